/*
 * compat.h: the compatibility test (flow H' of reference 2.3, `medperf test
 * run`, and the test inside `model associate` and `benchmark submit`): a
 * data preparation container, a model and an evaluator run together on the
 * benchmark's demo data (downloaded, verified, extracted safely into
 * demo/<sha256>/ and prepared as a local test dataset) or on a prepared
 * dataset of this site; nothing is reported to the server. The report is
 * kept in tests/<srv>/<id>/test_report.yaml and reused unless --no-cache.
 */
#ifndef MP_CLIENT_COMPAT_H
#define MP_CLIENT_COMPAT_H

#include <jansson.h>

#include "client/cli.h"
#include "core/hash.h"

struct compat_request {
	const json_t *bench;      /* the benchmark whose parts are the defaults (NULL: none) */
	const char *prep;         /* a container id or a local container_config.yaml; NULL: the
				   * benchmark's */
	const char *model;        /* a model id or a local container_config.yaml */
	const char *evaluator;    /* a container id or a local container_config.yaml */
	const char *demo_url;     /* the demo tarball (URL, direct:URL, local file); NULL: the
				   * benchmark's */
	const char *demo_hash;    /* its SHA-256, checked when given */
	int64_t data_uid;         /* a prepared dataset of this site instead of the demo data */
	int demo_prepared;        /* the demo data is prepared already (no prepare task) */
	int no_cache;             /* run even when a report of the same test exists */
};

struct compat_result {
	json_t *report;           /* the test report, results included (owned) */
	json_t *results;          /* its metrics (borrowed from report) */
	char id[HASH_HEX];        /* the report's local id */
	char prepared_hash[HASH_HEX]; /* the prepared data's folder hash */
	char demo_hash[HASH_HEX]; /* the demo tarball's SHA-256 ("" with data_uid) */
	int cached;               /* the results come from an earlier identical test */
};

/* Runs the test; fills out (release with compat_result_release). Returns an exit status. */
int compat_run(struct ctx *c, const struct compat_request *r, struct compat_result *out);
void compat_result_release(struct compat_result *out);

#endif
