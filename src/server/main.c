/*
 * main.c: medperf-server, the MedPerf API server. Dispatches to the
 * subcommands of its table; each prints its own --help.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/cmds.h"
#include "server/config.h"
#include "store/store.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{"init", cmd_init, "create a data directory: database, token keys, TLS certificate"},
	{"serve", cmd_serve, "run the API server"},
	{"token", cmd_token, "mint access tokens signed by this server"},
	{"user", cmd_user, "list users and grant or revoke admin rights"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: medperf-server <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nRun 'medperf-server <command> --help' for a command's options.\n"
		"Every command takes --data-dir DIR (default: $MEDPERF_SERVER_DATA_DIR).\n");
}

const char *cmd_data_dir(const char *opt)
{
	const char *d = opt ? opt : getenv("MEDPERF_SERVER_DATA_DIR");

	if (d == NULL || d[0] == '\0') {
		fprintf(stderr, "medperf-server: no data directory: give --data-dir DIR or set "
			"MEDPERF_SERVER_DATA_DIR\n");
		return NULL;
	}
	return d;
}

int cmd_open_store(const char *data_dir, struct store **st)
{
	struct store_opts o = {.busy_ms = 10000};
	mp_errbuf e;
	char *path = cfg_path(data_dir, CFG_DB);
	int rc, v;

	if (path == NULL)
		return MP_ENOMEM;
	o.path = path;
	rc = store_open(&o, st, &e);
	free(path);
	if (rc) {
		fprintf(stderr, "medperf-server: %s\n", e.msg);
		return rc;
	}
	v = store_schema_version(*st);
	if (v != store_latest_schema_version()) {
		fprintf(stderr, "medperf-server: database schema is version %d, this program "
			"expects %d; run 'medperf-server serve' once to migrate\n", v,
			store_latest_schema_version());
		store_close(*st);
		*st = NULL;
		return MP_EDB;
	}
	return MP_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("medperf-server %s (API v0)\n", MEDPERF_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "medperf-server: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
