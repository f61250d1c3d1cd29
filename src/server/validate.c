/*
 * validate.c: request bodies checked field by field against the entity
 * tables, with the original's (DRF's) coercions and messages: strings are
 * trimmed and may come as numbers, integers may come as strings, booleans as
 * "true"/"1"/..., foreign keys must name an existing row, unique fields must
 * not clash. Errors are collected for every field, in field order.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonw.h"
#include "server/server.h"

const char *val_pytype(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "dict";
	case JSON_ARRAY: return "list";
	case JSON_STRING: return "str";
	case JSON_INTEGER: return "int";
	case JSON_REAL: return "float";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	case JSON_NULL: return "NoneType";
	}
	return "object";
}

/* Python str() of a scalar, for messages and CharField coercion. */
static void py_str(struct buf *b, const json_t *v)
{
	if (json_is_string(v))
		buf_add(b, json_string_value(v), json_string_length(v));
	else if (json_is_integer(v))
		buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		jsonw_double(b, json_real_value(v));
	else if (json_is_true(v))
		buf_adds(b, "True");
	else if (json_is_false(v))
		buf_adds(b, "False");
	else if (json_is_null(v))
		buf_adds(b, "None");
	else
		jsonw_value(b, v);
}

static size_t utf8_chars(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* An integer from int, integral float, or a decimal string ("12", " 12.0 "). */
static int to_int(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d != floor(d) || d < -9.2e18 || d > 9.2e18)
			return -1;
		*out = (int64_t)d;
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		long long x;
		while (is_space(*s))
			s++;
		if (*s == '\0')
			return -1;
		errno = 0;
		x = strtoll(s, &end, 10);
		if (errno || end == s || (end[-1] < '0' || end[-1] > '9'))
			return -1;
		if (*end == '.') {
			end++;
			while (*end == '0')
				end++;
		}
		while (is_space(*end))
			end++;
		if (*end)
			return -1;
		*out = x;
		return 0;
	}
	return -1;
}

static const char *const true_words[] = {"t", "T", "y", "Y", "yes", "Yes", "YES", "true",
	"True", "TRUE", "on", "On", "ON", "1", NULL};
static const char *const false_words[] = {"f", "F", "n", "N", "no", "No", "NO", "false",
	"False", "FALSE", "off", "Off", "OFF", "0", NULL};

static int to_bool(const json_t *v, int *out)
{
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (json_is_number(v)) {
		double d = json_number_value(v);
		if (d == 0 || d == 1) {
			*out = d == 1;
			return 0;
		}
		return -1;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		for (int i = 0; true_words[i]; i++)
			if (strcmp(s, true_words[i]) == 0) {
				*out = 1;
				return 0;
			}
		for (int i = 0; false_words[i]; i++)
			if (strcmp(s, false_words[i]) == 0) {
				*out = 0;
				return 0;
			}
	}
	return -1;
}

/* Checks one present, non-null value; returns the accepted value or NULL after adding an error. */
static json_t *check_value(struct api *a, const struct field *f, json_t *v, json_t *errors)
{
	char msg[320];
	struct buf s;
	int64_t n;
	int b;

	switch (f->type) {
	case FT_STR:
	case FT_TEXT: {
		const char *p;
		size_t len;
		json_t *out;
		if (json_is_boolean(v) || json_is_object(v) || json_is_array(v)) {
			err_add(errors, f->name, "Not a valid string.");
			return NULL;
		}
		buf_init(&s, 0);
		py_str(&s, v);
		p = s.data;
		len = s.len;
		while (len && is_space(*p)) {
			p++;
			len--;
		}
		while (len && is_space(p[len - 1]))
			len--;
		if (len == 0 && !(f->flags & FF_BLANK)) {
			buf_release(&s);
			err_add(errors, f->name, "This field may not be blank.");
			return NULL;
		}
		if (f->type == FT_STR && utf8_chars(p, len) > (size_t)f->maxlen) {
			buf_release(&s);
			snprintf(msg, sizeof(msg), "Ensure this field has no more than %d characters.",
				 f->maxlen);
			err_add(errors, f->name, msg);
			return NULL;
		}
		out = json_stringn(p, len);
		buf_release(&s);
		if (out == NULL)
			err_add(errors, f->name, "Not a valid string.");
		return out;
	}
	case FT_INT:
		if (json_is_boolean(v) || to_int(v, &n)) {
			err_add(errors, f->name, "A valid integer is required.");
			return NULL;
		}
		return json_integer(n);
	case FT_BOOL:
		if (to_bool(v, &b)) {
			err_add(errors, f->name, "Must be a valid boolean.");
			return NULL;
		}
		return json_boolean(b);
	case FT_ENUM:
		if (json_is_string(v))
			for (const char *const *c = f->choices; *c; c++)
				if (strcmp(*c, json_string_value(v)) == 0)
					return json_incref(v);
		buf_init(&s, 256);
		py_str(&s, v);
		if (s.len == 0 && json_is_string(v))
			snprintf(msg, sizeof(msg), "\"\" is not a valid choice.");
		else
			snprintf(msg, sizeof(msg), "\"%.200s\" is not a valid choice.", s.data);
		buf_release(&s);
		err_add(errors, f->name, msg);
		return NULL;
	case FT_JSON:
		return json_incref(v);
	case FT_FK:
		if (json_is_boolean(v) || json_is_object(v) || json_is_array(v) ||
		    (json_is_real(v) && to_int(v, &n)) ||
		    (json_is_string(v) && to_int(v, &n))) {
			snprintf(msg, sizeof(msg), "Incorrect type. Expected pk value, received %s.",
				 val_pytype(v));
			err_add(errors, f->name, msg);
			return NULL;
		}
		to_int(v, &n);
		if (n <= 0 || api_get(a, f->fk, n) == NULL) {
			buf_init(&s, 256);
			py_str(&s, v);
			snprintf(msg, sizeof(msg), "Invalid pk \"%.100s\" - object does not exist.",
				 s.data);
			buf_release(&s);
			err_add(errors, f->name, msg);
			return NULL;
		}
		return json_integer(n);
	case FT_ID:
	case FT_DT:
		return NULL;
	}
	return NULL;
}

json_t *val_collect(struct api *a, enum entity_id ent, enum val_mode mode, json_t *body,
		    int64_t self_id, json_t *errors)
{
	const struct entity *en = &entities[ent];
	json_t *values;
	int failed = 0;

	if (!json_is_object(body)) {
		char msg[128];
		snprintf(msg, sizeof(msg), "Invalid data. Expected a dictionary, but got %s.",
			 val_pytype(body));
		err_add(errors, "non_field_errors", msg);
		return NULL;
	}
	values = json_object();
	for (int i = 0; i < en->nfields; i++) {
		const struct field *f = &en->fields[i];
		json_t *v = json_object_get(body, f->name), *ok;

		if (f->type == FT_ID || f->type == FT_DT ||
		    (f->flags & (FF_READONLY | FF_HIDDEN | FF_NESTED)))
			continue;
		if ((mode == VAL_CREATE && (f->flags & FF_NOCREATE)) ||
		    (mode == VAL_UPDATE && (f->flags & FF_NOUPDATE)))
			continue;
		if (v == NULL) {
			if (mode == VAL_CREATE && (f->flags & FF_REQUIRED)) {
				err_add(errors, f->name, "This field is required.");
				failed = 1;
			}
			continue;
		}
		if (json_is_null(v)) {
			if (f->flags & FF_NULLABLE) {
				json_object_set_new(values, f->name, json_null());
			} else {
				err_add(errors, f->name, "This field may not be null.");
				failed = 1;
			}
			continue;
		}
		ok = check_value(a, f, v, errors);
		if (ok == NULL) {
			failed = 1;
			continue;
		}
		if (f->flags & FF_UNIQUE) {
			struct store_cond c = {f->name, ok};
			int64_t cnt = 0;
			if (store_count(a->st, ent, &c, 1, self_id, &cnt) == 0 && cnt > 0) {
				char msg[200];
				snprintf(msg, sizeof(msg), "%s with this %s already exists.", en->name,
					 f->name);
				err_add(errors, f->name, msg);
				json_decref(ok);
				failed = 1;
				continue;
			}
		}
		json_object_set_new(values, f->name, ok);
	}
	if (failed) {
		json_decref(values);
		return NULL;
	}
	return values;
}

json_t *val_body(struct api *a, enum entity_id ent, enum val_mode mode, json_t *body,
		 int64_t self_id)
{
	json_t *errors = json_object();
	json_t *values = val_collect(a, ent, mode, body, self_id, errors);

	if (values == NULL) {
		api_field_errors(a, errors);
		return NULL;
	}
	json_decref(errors);
	return arena_keep(a->arena, values);
}
