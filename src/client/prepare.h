/*
 * prepare.h: a dataset's local folder (data/<srv>/<id>/, reference 2.4)
 * and flows E and F of reference 2.3: preparation (the prepare,
 * sanity_check and statistics tasks of its preparation container, with
 * status reports to the server and progress summaries only with the
 * owner's consent), the .ready flag, and the hashes that set_operational
 * registers and `dataset check` compares.
 */
#ifndef MP_CLIENT_PREPARE_H
#define MP_CLIENT_PREPARE_H

#include <jansson.h>

#include "client/cli.h"
#include "client/cube.h"
#include "core/hash.h"

struct dset {
	int64_t id;             /* the server id; 0: a local test dataset (compatibility tests) */
	json_t *entity;         /* the server's record (owned), or NULL */
	char *dir;              /* data/<srv>/<id>/ (a test dataset: data/<srv>/<hash>/) */
	char *raw_data;         /* raw.yaml's data_path ("" when not known here) */
	char *raw_labels;       /* raw.yaml's labels_path */
	char *data, *labels;    /* the prepared data and labels */
	char *metadata;         /* <dir>/metadata */
	char *report;           /* <dir>/report.yaml (the prepare task's progress) */
	char *statistics;       /* <dir>/statistics.yaml */
	int as_prepared;        /* submitted as prepared: no prepare task */
};

/*
 * The local folder of the registered dataset entity (a reference is
 * taken). Fails, saying what to do, when this machine has no raw.yaml for
 * it (it was submitted elsewhere and not imported).
 */
int dset_open(struct ctx *c, json_t *entity, struct dset *d);
/*
 * A fresh local test dataset in data/<srv>/<key>/ (an old one is removed):
 * raw data and labels to prepare, or, when as_prepared, data and labels
 * used as they are.
 */
int dset_open_test(struct ctx *c, const char *key, const char *data, const char *labels,
		   int as_prepared, struct dset *d);
void dset_release(struct dset *d);
/* Moves the folder of a test dataset to data/<srv>/<key>/ (replacing one there). */
int dset_rekey(struct ctx *c, struct dset *d, const char *key);
/* 1 when the .ready flag is there. */
int dset_ready(const struct dset *d);

/*
 * Flow E with the preparation container prep: the prepare task (unless the
 * dataset was submitted as prepared or is ready), sanity_check and
 * statistics; .ready at the end. consent: 1 progress summaries may be
 * sent, 0 not, -1 ask (when the task declares a report_file). Status
 * reports go to the server only for a registered dataset. Returns an exit
 * status (EXIT_INTERRUPTED when stopped by Ctrl-C).
 */
int dset_prepare(struct ctx *c, struct dset *d, const struct cube *prep, int consent);

/* MedPerf's folder hash of the prepared data and labels (generated_uid). */
int dset_prepared_hash(const struct dset *d, char out[HASH_HEX]);
/* The folder hash of the raw data and labels (input_data_hash); EXIT_FAIL when unknown. */
int dset_raw_hash(const struct dset *d, char out[HASH_HEX]);
/* statistics.yaml as a mapping (*out owned by the caller). */
int dset_statistics(const struct dset *d, json_t **out);

#endif
