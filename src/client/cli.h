/*
 * cli.h: what the parts of the `medperf` client share: the run context
 * (configuration, active profile, local storage, the server connection),
 * command and option tables, exit codes, and the output helpers.
 *
 * One file per command group (cmd_*.c) holds its commands with their
 * option tables and help beside the code; main.c holds the group table.
 * Commands never build URLs by hand beyond the path: comms does the rest.
 */
#ifndef MP_CLIENT_CLI_H
#define MP_CLIENT_CLI_H

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "comms/comms.h"
#include "core/buf.h"

/* Exit statuses (documented in docs/cli.md). */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_FAIL = 1,       /* a local problem: file missing, invalid YAML, ... */
	EXIT_USAGE = 2,      /* bad or missing options */
	EXIT_SERVER = 3,     /* the server refused the request (400, 404, 409) */
	EXIT_AUTH = 4,       /* not logged in, token expired or refused (401), not permitted (403) */
	EXIT_NETWORK = 5,    /* the server could not be reached */
	EXIT_INTEGRITY = 6,  /* a hash did not match */
	EXIT_CANCELLED = 7,  /* the user declined a confirmation */
	EXIT_INTERRUPTED = 130, /* interrupted (Ctrl-C, SIGTERM) while running tasks */
};

/* ---- options ---- */

enum opt_kind {
	OPT_FLAG,     /* --yes */
	OPT_VALUE,    /* --name NAME */
	OPT_INT,      /* --priority 3 (checked to be an integer) */
	OPT_POS,      /* a positional argument (long = its name in usage) */
};

struct opt {
	char shortc;          /* 0: none */
	const char *longname; /* without dashes */
	enum opt_kind kind;
	const char *metavar;  /* "NAME" */
	const char *help;
	int required;
};

#define OPT_MAX 48

/* Parsed options: val[i] is the value of opts[i] (NULL when absent), "1" for set flags. */
struct args {
	const char *val[OPT_MAX];
	int64_t num[OPT_MAX];
};

/* ---- commands ---- */

struct ctx;

#define CMD_SERVER 0x1  /* talks to the server (needs a profile and comms) */
#define CMD_LOGIN  0x2  /* needs a logged-in user */

struct cmd {
	const char *name;
	int (*fn)(struct ctx *c, struct args *a);
	const struct opt *opts;
	unsigned flags;
	const char *summary;     /* one line for the group's help */
	const char *description; /* paragraph for the command's help (may be NULL) */
};

struct group {
	const char *name;
	const char *alias;       /* NULL: none */
	const struct cmd *cmds;  /* ends with {NULL} */
	const char *summary;
};

extern const struct group group_auth, group_profile, group_benchmark, group_container,
	group_model, group_dataset, group_association, group_result, group_storage, group_test;
/* Commands outside any group: `medperf run` (cmd_result.c). */
extern const struct cmd cmd_run_top;

/* ---- the run context ---- */

struct ctx {
	const char *config_dir;   /* $MEDPERF_CONFIG_STORAGE or ~/.medperf_config */
	json_t *config;           /* config.yaml */
	const char *profile_name; /* active (or --profile) */
	json_t *profile;          /* borrowed from config */
	const char *storage;      /* local storage root (~/.medperf) */
	char *server_dir;         /* "localhost_8000" from the profile's server */
	struct comms *comms;      /* opened for CMD_SERVER commands */
	int json;                 /* --json output */
	int yes;                  /* -y given */
	int tty_out;              /* stdout is a terminal */
	int color;                /* colour allowed (terminal, no NO_COLOR) */
	const char *cmdname;      /* "benchmark ls", for messages */
	const struct cmd *cmd;    /* the command running (for arg()) */
};

/* ---- args.c ---- */
/* Parses argv against opts; prints the message and returns EXIT_USAGE on error,
 * prints help and returns -1 for --help, else 0. */
int args_parse(const char *cmdname, const struct cmd *cmd, int argc, char **argv,
	       struct args *a);
void args_usage(FILE *f, const char *cmdname, const struct cmd *cmd);
/* Index of the option named longname in cmd's table (for a->val[]). */
int args_index(const struct cmd *cmd, const char *longname);
/* a->val of the option named longname (NULL when absent). */
const char *arg(const struct ctx *c, const struct args *a, const char *longname);
/* 1 when the flag named longname was given. */
int arg_flag(const struct ctx *c, const struct args *a, const char *longname);
/* The integer value of longname (only when given: check arg() first). */
int64_t arg_int(const struct ctx *c, const struct args *a, const char *longname);

/* ---- out.c: everything that is printed ---- */
/* "medperf: error: ..." on stderr; returns code. */
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Progress and notes on stderr (not for parsing). */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The exit code for a failed comms result, after printing its message. */
int fail_comms(const struct comms_result *r);
/* Success line on stdout ("✅ Done!"-style, without emoji when not a terminal). */
void done_msg(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Asks "question [y/N]"; 1 for yes. -y or a non-terminal without -y: see out.c. */
int confirm(struct ctx *c, const char *question);
/* Prints v as indented JSON (our JSON writer: floats as the server writes them). */
void print_json(const json_t *v);
/* Prints v as YAML. */
void print_yaml(const json_t *v);
/* An ISO-8601 UTC time as local "YYYY-MM-DD HH:MM:SS" (or the input when unparsable). */
const char *local_time(const char *iso, char out[32]);

/* A text table fitted to the terminal. */
struct table;
struct table *table_new(const char *const *headers, int ncols);
void table_add(struct table *t, const char *const *cells);
void table_print(struct ctx *c, struct table *t);
void table_free(struct table *t);

/* ---- config.c: configuration, profiles, tokens, storage ---- */
/* Loads (creating on first run) the configuration and the active profile. */
int config_load(struct ctx *c, const char *profile_override);
int config_save(struct ctx *c);
/* Frees what the context holds (connection, configuration, paths). */
void ctx_release(struct ctx *c);
/* A profile value as a string ("" when unset). */
const char *profile_str(const json_t *profile, const char *key);
/* Path of the stored token of email (malloc'd). */
char *token_path(const struct ctx *c, const char *email);
/* When the stored login expires (token_issued_at + token_expires_in), 0: unknown. */
int64_t credentials_expiry(const json_t *cred);
/* The stored token of the active profile's user (malloc'd), or NULL. */
char *token_load(const struct ctx *c);
/* Opens c->comms for the active profile (with the token when logged in). */
int comms_for_profile(struct ctx *c, int need_login);
/* Opens another connection for the active profile into *out (a second thread's). */
int comms_open_profile(struct ctx *c, int need_login, struct comms **out);
/* Storage path of an entity kind ("benchmarks", "cubes", ...) for the
 * profile's server and id: storage/kind/<server_dir>/<id> (malloc'd). */
char *storage_entity_dir(const struct ctx *c, const char *kind, const char *id);
/* mkdir -p with mode. */
int mkdirs(const char *path, int mode);

#endif
