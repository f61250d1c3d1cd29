/*
 * main.c: medperf, the command-line client for every role of the platform.
 * Finds the command group and command in the tables, parses the command's
 * options, loads the configuration and, for commands that talk to the
 * server, opens the connection; main() alone turns results into the exit
 * status.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "client/cli.h"

static const struct group *const groups[] = {
	&group_association, &group_auth, &group_benchmark, &group_container, &group_dataset,
	&group_model, &group_profile, &group_result, &group_storage, &group_test,
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

/* Commands outside the groups, as in MedPerf (`medperf run ...`). */
static const struct cmd *const top_cmds[] = {&cmd_run_top};
#define NTOP (sizeof(top_cmds) / sizeof(top_cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: medperf [--profile NAME] <group> <command> [options]\n\n"
		   "The MedPerf client: benchmarks, containers, models, datasets, associations\n"
		   "and results on a MedPerf server, for every role.\n\ngroups:\n");
	for (size_t i = 0; i < NGROUPS; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s%s%s", groups[i]->name,
			 groups[i]->alias ? " | " : "", groups[i]->alias ? groups[i]->alias : "");
		fprintf(f, "  %-22s %s\n", name, groups[i]->summary);
	}
	fprintf(f, "\ncommands:\n");
	for (size_t i = 0; i < NTOP; i++)
		fprintf(f, "  %-22s %s\n", top_cmds[i]->name, top_cmds[i]->summary);
	fprintf(f, "\noptions:\n"
		   "  --profile NAME         use this profile instead of the active one\n"
		   "  --version              print the version and exit\n"
		   "  -h, --help             show this help and exit\n"
		   "\nRun 'medperf <group> --help' for a group's commands.\n");
}

static void group_usage(FILE *f, const struct group *g)
{
	fprintf(f, "usage: medperf %s <command> [options]\n\n%s\n\ncommands:\n", g->name,
		g->summary);
	for (const struct cmd *c = g->cmds; c->name; c++)
		fprintf(f, "  %-28s %s\n", c->name, c->summary);
	fprintf(f, "\nRun 'medperf %s <command> --help' for a command's options.\n", g->name);
}

static const struct group *find_group(const char *name)
{
	for (size_t i = 0; i < NGROUPS; i++)
		if (strcmp(groups[i]->name, name) == 0 ||
		    (groups[i]->alias && strcmp(groups[i]->alias, name) == 0))
			return groups[i];
	return NULL;
}

static int run_cmd(const struct cmd *cmd, const char *cmdname, const char *profile, int argc,
		   char **argv);

static int run(int argc, char **argv)
{
	const char *profile = NULL;
	const struct group *g;
	const struct cmd *cmd;
	char cmdname[128];
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--version")) {
			printf("MedPerf version %s (medperf-c)\n", MEDPERF_VERSION);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--profile")) {
			if (i + 1 >= argc || argv[i + 1][0] == '\0' || argv[i + 1][0] == '-') {
				fprintf(stderr, "medperf: option '--profile' needs a value (a profile "
					"name)\n");
				return EXIT_USAGE;
			}
			profile = argv[i + 1];
			i += 2;
			continue;
		}
		if (!strncmp(argv[i], "--profile=", 10) && argv[i][10]) {
			profile = argv[i] + 10;
			i++;
			continue;
		}
		fprintf(stderr, "medperf: unknown option '%s'\n\n", argv[i]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t k = 0; k < NTOP; k++)
		if (strcmp(argv[i], top_cmds[k]->name) == 0)
			return run_cmd(top_cmds[k], top_cmds[k]->name, profile, argc - i, argv + i);
	g = find_group(argv[i]);
	if (g == NULL) {
		fprintf(stderr, "medperf: unknown command '%s'\n\n", argv[i]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (i + 1 >= argc || !strcmp(argv[i + 1], "--help") || !strcmp(argv[i + 1], "-h")) {
		group_usage(i + 1 >= argc ? stderr : stdout, g);
		return i + 1 >= argc ? EXIT_USAGE : EXIT_OK;
	}
	for (cmd = g->cmds; cmd->name; cmd++)
		if (strcmp(cmd->name, argv[i + 1]) == 0)
			break;
	if (cmd->name == NULL) {
		fprintf(stderr, "medperf %s: unknown command '%s'\n\n", g->name, argv[i + 1]);
		group_usage(stderr, g);
		return EXIT_USAGE;
	}
	snprintf(cmdname, sizeof(cmdname), "%s %s", g->name, cmd->name);
	return run_cmd(cmd, cmdname, profile, argc - i - 1, argv + i + 1);
}

/* Parses cmd's options (argv[0] is the command's own name), loads the configuration and runs it. */
static int run_cmd(const struct cmd *cmd, const char *cmdname, const char *profile, int argc,
		   char **argv)
{
	const char *nocolor = getenv("NO_COLOR");
	struct ctx c;
	struct args a;
	int rc;

	rc = args_parse(cmdname, cmd, argc, argv, &a);
	if (rc < 0)
		return EXIT_OK;  /* --help */
	if (rc)
		return rc;
	memset(&c, 0, sizeof(c));
	c.cmdname = cmdname;
	c.cmd = cmd;
	c.tty_out = isatty(1);
	c.color = c.tty_out && !(nocolor && nocolor[0]);
	c.json = args_index(cmd, "json") >= 0 && arg_flag(&c, &a, "json");
	c.yes = args_index(cmd, "yes") >= 0 && arg_flag(&c, &a, "yes");
	rc = config_load(&c, profile);
	if (rc == EXIT_OK && (cmd->flags & CMD_SERVER))
		rc = comms_for_profile(&c, (cmd->flags & CMD_LOGIN) != 0);
	if (rc == EXIT_OK)
		rc = cmd->fn(&c, &a);
	ctx_release(&c);
	return rc;
}

int main(int argc, char **argv)
{
	int rc;

	/* a full disk or a file-size limit is an error to report, not a signal to die of */
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = run(argc, argv);
	curl_global_cleanup();
	fflush(stdout);
	return rc;
}
