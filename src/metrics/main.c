/*
 * main.c: medperf-metrics: exact medical metrics with confidence intervals.
 * Dispatches to one subcommand per job (a table, as the other programs).
 */
#include <stdio.h>
#include <string.h>

#include "metrics/metrics.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{"classification", cmd_classification,
	 "classification metrics of predictions against labels (CSV or JSON)"},
	{"segmentation", cmd_segmentation,
	 "segmentation metrics of NIfTI masks against label masks"},
	{"evaluate", cmd_evaluate,
	 "the evaluator task: read the parameters file, write the results YAML"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: medperf-metrics COMMAND [options]   (COMMAND --help for its options)\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n  --version        print the version and exit\n"
		   "  --help           show this help and exit\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("medperf-metrics %s\n", MEDPERF_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "medperf-metrics: unknown command '%s' (see --help)\n", argv[1]);
	return 2;
}
