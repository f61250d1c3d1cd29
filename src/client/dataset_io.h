/*
 * dataset_io.h: `medperf dataset export|import` (MedPerf's): a dataset's
 * local folder (data/<srv>/<id>/: prepared data, labels, statistics,
 * flags), and for a dataset still in DEVELOPMENT its raw data and labels,
 * packed into <DIR>/<id>.gz with an archive_config.yaml naming the server,
 * the dataset and the raw folders; and unpacked on another machine of the
 * same site, safely (runner/archive.c), after checking that the archive is
 * that dataset's, from this profile's server.
 */
#ifndef MP_CLIENT_DATASET_IO_H
#define MP_CLIENT_DATASET_IO_H

#include <jansson.h>

#include "client/cli.h"

/* Writes <out_dir>/<id>.gz for the registered dataset ds. Returns an exit status. */
int dataset_export(struct ctx *c, const json_t *ds, const char *out_dir);
/* Unpacks file as the local copy of ds; raw_path: where its raw data goes (DEVELOPMENT). */
int dataset_import(struct ctx *c, const json_t *ds, const char *file, const char *raw_path);

#endif
