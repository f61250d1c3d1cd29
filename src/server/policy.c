/* policy.c: permission roles and the state machines (see policy.h). */
#include <string.h>

#include "server/policy.h"
#include "store/entity.h"

unsigned policy_base(int64_t user_id, int is_admin)
{
	unsigned r = 0;

	if (user_id > 0)
		r |= ROLE_AUTH;
	if (user_id > 0 && is_admin)
		r |= ROLE_ADMIN;
	return r;
}

int policy_allows(unsigned allow, unsigned held)
{
	return (allow & held) != 0;
}

static const struct {
	unsigned role;
	const char *name;
} role_names[] = {
	{ROLE_AUTH, "any authenticated user"},
	{ROLE_ADMIN, "admin"},
	{ROLE_OWNER, "owner"},
	{ROLE_BENCH_OWNER, "benchmark owner"},
	{ROLE_DATASET_OWNER, "dataset owner"},
	{ROLE_MODEL_OWNER, "model owner"},
	{ROLE_APPROVED_DATA, "owner of a dataset approved in the benchmark"},
	{ROLE_APPROVED_MODEL, "owner of a model approved in the benchmark"},
	{ROLE_SELF, "the user themself"},
	{ROLE_PREP_OWNER, "owner of the preparation container"},
};

const char *policy_role_name(unsigned role)
{
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (role_names[i].role == role)
			return role_names[i].name;
	return "?";
}

static const char *const approval_names[] = {"PENDING", "APPROVED", "REJECTED"};

enum approval approval_parse(const char *s)
{
	for (int i = 0; s && i < 3; i++)
		if (strcmp(s, approval_names[i]) == 0)
			return (enum approval)i;
	return AP_NONE;
}

const char *approval_str(enum approval a)
{
	return a >= AP_PENDING && a <= AP_REJECTED ? approval_names[a] : "";
}

const char *policy_benchmark_transition(enum approval from, enum approval to)
{
	if (to == AP_PENDING)
		return "User can only approve or reject a benchmark";
	if (to == AP_APPROVED && from == AP_REJECTED)
		return "User can approve only a pending request";
	return NULL;
}

const char *policy_assoc_create(enum approval latest, enum approval want)
{
	if (latest == AP_NONE)
		return want == AP_PENDING ? NULL :
			"User can approve or reject association request only if there are "
			"prior requests";
	switch (want) {
	case AP_PENDING:
		return latest == AP_REJECTED ? NULL :
			"User can create a new request only if prior request is rejected";
	case AP_APPROVED:
		return "User cannot create an approved association request";
	case AP_REJECTED:
		return latest == AP_APPROVED ? NULL :
			"User can reject request only if prior request is approved";
	default:
		return "\"\" is not a valid choice.";
	}
}

enum automode automode_parse(const char *s)
{
	if (s == NULL)
		return AM_INVALID;
	if (strcmp(s, "NEVER") == 0)
		return AM_NEVER;
	if (strcmp(s, "ALWAYS") == 0)
		return AM_ALWAYS;
	if (strcmp(s, "ALLOWLIST") == 0)
		return AM_ALLOWLIST;
	return AM_INVALID;
}

enum approval policy_auto_approve(int64_t component_owner, int64_t bench_owner,
				  int64_t requester, enum automode mode,
				  const json_t *allow_list, const char *component_owner_email)
{
	size_t i;
	json_t *v;

	if (component_owner == bench_owner)
		return AP_APPROVED;
	if (requester == bench_owner)
		return AP_PENDING;
	if (mode == AM_ALWAYS)
		return AP_APPROVED;
	if (mode == AM_ALLOWLIST && json_is_array(allow_list) && component_owner_email)
		json_array_foreach(allow_list, i, v)
			if (json_is_string(v) && strcmp(json_string_value(v),
							component_owner_email) == 0)
				return AP_APPROVED;
	return AP_PENDING;
}

const char *policy_assoc_decide(enum approval latest, enum approval want,
				int64_t initiated_by, int64_t user)
{
	if (latest != AP_PENDING)
		return "User can approve or reject only a pending request";
	if (want == AP_APPROVED && initiated_by == user)
		return "Same user cannot approve the association request";
	return NULL;
}

/* A number as Python sees it: booleans are 0 and 1. */
static int py_number(const json_t *v, double *d)
{
	if (json_is_boolean(v)) {
		*d = json_is_true(v);
		return 1;
	}
	if (json_is_number(v)) {
		*d = json_number_value(v);
		return 1;
	}
	return 0;
}

/* Python's == on decoded JSON: 1 == 1.0 == true, dictionaries ignore key order. */
static int py_equal(const json_t *x, const json_t *y)
{
	double a, b;
	const char *key;
	json_t *v;
	size_t i;

	if (py_number(x, &a) && py_number(y, &b)) {
		if (json_is_integer(x) && json_is_integer(y))
			return json_integer_value(x) == json_integer_value(y);
		return a == b;
	}
	if (json_typeof(x) != json_typeof(y))
		return 0;
	switch (json_typeof(x)) {
	case JSON_OBJECT:
		if (json_object_size(x) != json_object_size(y))
			return 0;
		json_object_foreach((json_t *)x, key, v) {
			json_t *w = json_object_get(y, key);
			if (w == NULL || !py_equal(v, w))
				return 0;
		}
		return 1;
	case JSON_ARRAY:
		if (json_array_size(x) != json_array_size(y))
			return 0;
		json_array_foreach(x, i, v)
			if (!py_equal(v, json_array_get(y, i)))
				return 0;
		return 1;
	default:
		return json_equal((json_t *)x, (json_t *)y);
	}
}

int policy_operation_edit_ok(int ent, const json_t *row, const json_t *values)
{
	const struct entity *en = &entities[ent];
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)values, key, v) {
		const struct field *f = entity_get_field((enum entity_id)ent, key);
		json_t *old;
		if (f == NULL || (f->flags & FF_OPEDIT))
			continue;
		old = json_object_get(row, key);
		if (old == NULL || !py_equal(old, v))
			return 0;
	}
	(void)en;
	return 1;
}
