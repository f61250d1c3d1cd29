/*
 * args.c: command-line options from each command's option table: parsing
 * with getopt_long, checks (required, integers, unknown options, extra
 * arguments) with messages that name the option, and the usage text that
 * --help prints, generated from the same table so the two cannot drift.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"

static int nopts(const struct cmd *cmd)
{
	int n = 0;

	while (cmd->opts && cmd->opts[n].longname)
		n++;
	return n;
}

int args_index(const struct cmd *cmd, const char *longname)
{
	for (int i = 0; cmd->opts && cmd->opts[i].longname; i++)
		if (strcmp(cmd->opts[i].longname, longname) == 0)
			return i;
	return -1;
}

void args_usage(FILE *f, const char *cmdname, const struct cmd *cmd)
{
	int n = nopts(cmd);

	fprintf(f, "usage: medperf %s", cmdname);
	for (int i = 0; i < n; i++) {
		const struct opt *o = &cmd->opts[i];
		if (o->kind == OPT_POS)
			fprintf(f, o->required ? " %s" : " [%s]", o->metavar);
	}
	if (n)
		fprintf(f, " [options]");
	fprintf(f, "\n\n%s\n", cmd->summary);
	if (cmd->description)
		fprintf(f, "\n%s\n", cmd->description);
	fprintf(f, "\noptions:\n");
	for (int i = 0; i < n; i++) {
		const struct opt *o = &cmd->opts[i];
		char left[80];
		if (o->kind == OPT_POS) {
			snprintf(left, sizeof(left), "%s", o->metavar);
		} else if (o->shortc) {
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->shortc, o->longname,
				 o->kind == OPT_FLAG ? "" : " ", o->kind == OPT_FLAG ? "" : o->metavar);
		} else {
			snprintf(left, sizeof(left), "    --%s%s%s", o->longname,
				 o->kind == OPT_FLAG ? "" : " ", o->kind == OPT_FLAG ? "" : o->metavar);
		}
		fprintf(f, "  %-34s %s%s\n", left, o->help, o->required ? " (required)" : "");
	}
	fprintf(f, "  %-34s %s\n", "-h, --help", "show this help and exit");
}

static int parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

int args_parse(const char *cmdname, const struct cmd *cmd, int argc, char **argv, struct args *a)
{
	struct option lopts[OPT_MAX + 2];
	char shorts[OPT_MAX * 2 + 4];
	int n = nopts(cmd), nl = 0, ns = 0, c, li = 0, pos = 0;

	memset(a, 0, sizeof(*a));
	shorts[ns++] = ':';  /* report missing values ourselves */
	for (int i = 0; i < n && i < OPT_MAX; i++) {
		const struct opt *o = &cmd->opts[i];
		if (o->kind == OPT_POS)
			continue;
		lopts[nl].name = o->longname;
		lopts[nl].has_arg = o->kind == OPT_FLAG ? no_argument : required_argument;
		lopts[nl].flag = NULL;
		lopts[nl].val = 1000 + i;
		nl++;
		if (o->shortc) {
			shorts[ns++] = o->shortc;
			if (o->kind != OPT_FLAG)
				shorts[ns++] = ':';
		}
	}
	lopts[nl++] = (struct option){"help", no_argument, NULL, 'h'};
	lopts[nl] = (struct option){NULL, 0, NULL, 0};
	shorts[ns++] = 'h';
	shorts[ns] = '\0';
	optind = 0;  /* GNU: full re-initialisation; options and arguments may mix */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lopts, &li)) != -1) {
		const struct opt *o;
		int i;

		if (c == 'h') {
			args_usage(stdout, cmdname, cmd);
			return -1;
		}
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			if (c == ':')
				fprintf(stderr, "medperf %s: option '%s' needs a value\n", cmdname, bad);
			else if (optopt >= 1000 && optopt - 1000 < n)
				/* a known flag given a value: --json=yes */
				fprintf(stderr, "medperf %s: option '--%s' takes no value\n", cmdname,
					cmd->opts[optopt - 1000].longname);
			else if (optopt > 0 && optopt < 256)
				fprintf(stderr, "medperf %s: unknown option '-%c'\n", cmdname, optopt);
			else
				fprintf(stderr, "medperf %s: unknown option '%s'\n", cmdname, bad);
			fprintf(stderr, "Run 'medperf %s --help' for the options.\n", cmdname);
			return EXIT_USAGE;
		}
		if (c < 1000) {
			/* a short option: find it */
			for (i = 0; i < n; i++)
				if (cmd->opts[i].shortc == c && cmd->opts[i].kind != OPT_POS)
					break;
			c = 1000 + i;
		}
		i = c - 1000;
		o = &cmd->opts[i];
		a->val[i] = o->kind == OPT_FLAG ? "1" : optarg;
		if (o->kind == OPT_INT && parse_int(optarg, &a->num[i])) {
			fprintf(stderr, "medperf %s: --%s needs a whole number, not '%s'\n",
				cmdname, o->longname, optarg);
			return EXIT_USAGE;
		}
	}
	/* what is left are the positional arguments, in order */
	for (; optind < argc; optind++) {
		int k;
		for (k = pos; k < n; k++)
			if (cmd->opts[k].kind == OPT_POS)
				break;
		if (k >= n) {
			fprintf(stderr, "medperf %s: unexpected argument '%s'\n", cmdname,
				argv[optind]);
			return EXIT_USAGE;
		}
		a->val[k] = argv[optind];
		if (cmd->opts[k].metavar && strcmp(cmd->opts[k].metavar, "ID") == 0 &&
		    parse_int(argv[optind], &a->num[k])) {
			fprintf(stderr, "medperf %s: %s must be a whole number, not '%s'\n", cmdname,
				cmd->opts[k].metavar, argv[optind]);
			return EXIT_USAGE;
		}
		pos = k + 1;
	}
	for (int i = 0; i < n; i++)
		if (cmd->opts[i].required && a->val[i] == NULL) {
			if (cmd->opts[i].kind == OPT_POS)
				fprintf(stderr, "medperf %s: missing %s\n", cmdname,
					cmd->opts[i].metavar);
			else
				fprintf(stderr, "medperf %s: missing option --%s\n", cmdname,
					cmd->opts[i].longname);
			fprintf(stderr, "Run 'medperf %s --help' for the options.\n", cmdname);
			return EXIT_USAGE;
		}
	return 0;
}

const char *arg(const struct ctx *c, const struct args *a, const char *longname)
{
	int i = args_index(c->cmd, longname);

	return i < 0 ? NULL : a->val[i];
}

int arg_flag(const struct ctx *c, const struct args *a, const char *longname)
{
	return arg(c, a, longname) != NULL;
}

int64_t arg_int(const struct ctx *c, const struct args *a, const char *longname)
{
	int i = args_index(c->cmd, longname);

	return i < 0 ? 0 : a->num[i];
}
