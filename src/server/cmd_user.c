/*
 * cmd_user.c: `medperf-server user ls|set-admin|unset-admin`: the platform
 * admin flag (the original's is_superuser) is never granted through the API;
 * an operator sets it here, on the data directory's database.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "core/timeutil.h"
#include "server/cmds.h"
#include "store/store.h"

static const char user_usage[] =
	"usage: medperf-server user ls [--data-dir DIR]\n"
	"       medperf-server user set-admin EMAIL [--data-dir DIR]\n"
	"       medperf-server user unset-admin EMAIL [--data-dir DIR]\n"
	"\n"
	"ls           lists users: id, username, email, admin, active\n"
	"set-admin    grants platform-admin rights to every user with EMAIL\n"
	"unset-admin  revokes them\n"
	"\n"
	"Users appear on their first authenticated request, or with 'token create'.\n"
	"options:\n"
	"  --data-dir DIR   data directory (or $MEDPERF_SERVER_DATA_DIR)\n"
	"  -h, --help       show this help\n";

static int list_users(struct store *st)
{
	struct store_query q = {.limit = -1};
	json_t *rows, *r;
	size_t i;

	if (store_list(st, ENT_USER, &q, &rows, NULL)) {
		fprintf(stderr, "medperf-server user: cannot list users\n");
		return 1;
	}
	printf("%-6s %-30s %-34s %-5s %s\n", "ID", "USERNAME", "EMAIL", "ADMIN", "ACTIVE");
	json_array_foreach(rows, i, r)
		printf("%-6lld %-30s %-34s %-5s %s\n",
		       (long long)json_integer_value(json_object_get(r, "id")),
		       json_string_value(json_object_get(r, "username")),
		       json_string_value(json_object_get(r, "email")),
		       json_is_true(json_object_get(r, "is_admin")) ? "yes" : "no",
		       json_is_true(json_object_get(r, "is_active")) ? "yes" : "no");
	json_decref(rows);
	return 0;
}

static int set_admin(struct store *st, const char *email, int admin)
{
	json_t *v = json_string(email), *rows = NULL, *r, *ch;
	struct store_cond c = {"email", v};
	struct store_query q = {.conds = &c, .nconds = 1, .limit = -1};
	size_t i;
	int rc;

	rc = store_list(st, ENT_USER, &q, &rows, NULL);
	json_decref(v);
	if (rc) {
		fprintf(stderr, "medperf-server user: database error\n");
		return 1;
	}
	if (json_array_size(rows) == 0) {
		fprintf(stderr, "medperf-server user: no user with email '%s' (users appear on "
			"their first request, or with 'medperf-server token create')\n", email);
		json_decref(rows);
		return 1;
	}
	ch = json_pack("{s:b}", "is_admin", admin);
	json_array_foreach(rows, i, r) {
		rc = store_update(st, ENT_USER, json_integer_value(json_object_get(r, "id")), ch);
		if (rc)
			break;
		printf("%s admin rights %s user %lld (%s)\n", admin ? "granted" : "revoked",
		       admin ? "to" : "from", (long long)json_integer_value(json_object_get(r, "id")),
		       json_string_value(json_object_get(r, "username")));
	}
	json_decref(ch);
	json_decref(rows);
	if (rc) {
		fprintf(stderr, "medperf-server user: cannot update: %s\n", mp_strerror(rc));
		return 1;
	}
	return 0;
}

int cmd_user(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir_opt = NULL, *dir, *sub;
	struct store *st;
	int c, rc;

	if (argc < 2) {
		fputs(user_usage, stderr);
		return 2;
	}
	sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		fputs(user_usage, stdout);
		return 0;
	}
	if (strcmp(sub, "ls") && strcmp(sub, "set-admin") && strcmp(sub, "unset-admin")) {
		fprintf(stderr, "medperf-server user: unknown subcommand '%s'\n", sub);
		fputs(user_usage, stderr);
		return 2;
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir_opt = optarg; break;
		case 'h': fputs(user_usage, stdout); return 0;
		default: fputs(user_usage, stderr); return 2;
		}
	}
	if (strcmp(sub, "ls") != 0 && optind != argc - 1) {
		fprintf(stderr, "medperf-server user %s: give exactly one EMAIL\n", sub);
		return 2;
	}
	if (strcmp(sub, "ls") == 0 && optind != argc) {
		fprintf(stderr, "medperf-server user ls: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	dir = cmd_data_dir(dir_opt);
	if (dir == NULL)
		return 2;
	if (cmd_open_store(dir, &st))
		return 1;
	if (strcmp(sub, "ls") == 0)
		rc = list_users(st);
	else
		rc = set_admin(st, argv[optind], strcmp(sub, "set-admin") == 0);
	store_close(st);
	return rc;
}
