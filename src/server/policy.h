/*
 * policy.h: who may do what, and the state machines. Pure functions of
 * facts the handlers gather (owners, states, the latest association row):
 * no database, no HTTP, so that every rule is unit-tested on its own.
 *
 * Permissions follow the original's permission classes, combined with OR:
 * a route admits a set of roles and the caller passes when it holds one.
 */
#ifndef MP_POLICY_H
#define MP_POLICY_H

#include <stdint.h>

#include <jansson.h>

/* Roles toward an object. */
#define ROLE_AUTH           0x001u /* any authenticated user */
#define ROLE_ADMIN          0x002u
#define ROLE_OWNER          0x004u /* owns the object itself */
#define ROLE_BENCH_OWNER    0x008u /* owns the benchmark involved */
#define ROLE_DATASET_OWNER  0x010u /* owns the dataset involved */
#define ROLE_MODEL_OWNER    0x020u /* owns the model involved */
#define ROLE_APPROVED_DATA  0x040u /* owns a dataset approved in the benchmark */
#define ROLE_APPROVED_MODEL 0x080u /* owns a model approved in the benchmark */
#define ROLE_SELF           0x100u /* the user object is the caller */
#define ROLE_PREP_OWNER     0x200u /* owns the preparation container involved */

/* The roles every caller has: authenticated, and admin when flagged. */
unsigned policy_base(int64_t user_id, int is_admin);
int policy_allows(unsigned allow, unsigned held);
/* Text for the roles of a mask ("admin, benchmark owner"), for docs. */
const char *policy_role_name(unsigned role);

enum approval { AP_NONE = -1, AP_PENDING = 0, AP_APPROVED = 1, AP_REJECTED = 2 };
enum approval approval_parse(const char *s);   /* AP_NONE when unknown */
const char *approval_str(enum approval a);

/*
 * Benchmark approval_status change by an admin. NULL when allowed, else the
 * error message (field "approval_status").
 */
const char *policy_benchmark_transition(enum approval from, enum approval to);

/*
 * Creating an association row with status want, given the pair's latest row
 * status (AP_NONE when there is none). NULL when allowed, else the message.
 */
const char *policy_assoc_create(enum approval latest, enum approval want);

enum automode { AM_NEVER, AM_ALWAYS, AM_ALLOWLIST, AM_INVALID };
enum automode automode_parse(const char *s);

/*
 * Auto-approval of a new PENDING association: returns AP_APPROVED or
 * AP_PENDING. allow_list is the benchmark's list of emails (JSON array).
 */
enum approval policy_auto_approve(int64_t component_owner, int64_t bench_owner,
				  int64_t requester, enum automode mode,
				  const json_t *allow_list, const char *component_owner_email);

/*
 * Deciding the latest association row (PUT): latest is its status,
 * initiated_by its initiator, user the caller. NULL when allowed.
 */
const char *policy_assoc_decide(enum approval latest, enum approval want,
				int64_t initiated_by, int64_t user);

/*
 * The OPERATION edit rule: in OPERATION, a body may change only fields
 * flagged FF_OPEDIT; any other key must carry the stored value. Returns 1
 * when body (already validated values) respects it against row.
 */
int policy_operation_edit_ok(int ent, const json_t *row, const json_t *values);

#endif
