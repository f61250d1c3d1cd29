/*
 * cmd_seg.c: `medperf-metrics segmentation`: scores NIfTI prediction masks
 * against label masks (a file each, or two folders paired by file name)
 * through seg_evaluate, and prints the results as YAML or JSON. With
 * --info it prints what our reader sees in NIfTI files instead (header
 * fields and voxel checksums), for checking files and the reader itself.
 *
 * Exit status: 0 done, 1 bad input (the message names the file and the
 * problem), 2 usage error.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/jsonw.h"
#include "core/yaml.h"
#include "metrics/metrics.h"
#include "metrics/nifti.h"
#include "metrics/seg.h"

static const char seg_usage[] =
	"usage: medperf-metrics segmentation --prediction FILE|DIR --label FILE|DIR\n"
	"                                    [--labels LIST] [--tolerance MM] [--metrics LIST]\n"
	"                                    [--summary-only] [--format yaml|json] [--output FILE]\n"
	"       medperf-metrics segmentation --info FILE...\n"
	"\n"
	"Scores predicted NIfTI masks (.nii, .nii.gz, .hdr/.img) against label masks, per\n"
	"structure: Dice, IoU, sensitivity, precision, volumes in mm3 and their difference,\n"
	"Hausdorff distance, HD95, average symmetric surface distance and normalized surface\n"
	"Dice. Two folders are paired by file name (without .nii/.nii.gz/.hdr). Definitions,\n"
	"the HD95 rule and the empty-mask policy: docs/metrics-images.md.\n"
	"\n"
	"options:\n"
	"  --prediction PATH  a predicted mask, or a folder of them\n"
	"  --label PATH       the reference mask, or a folder of them\n"
	"  --labels LIST      structures to score: labels (1,2,4) or named sets of labels\n"
	"                     (WT=1+2+4,TC=1+4,ET=4); default: every non-zero label present\n"
	"  --tolerance MM     tolerance of the normalized surface Dice (default 1)\n"
	"  --metrics LIST     metrics to compute, comma-separated (default all): dice, iou,\n"
	"                     sensitivity, precision, volume_prediction_mm3,\n"
	"                     volume_reference_mm3, volume_difference_mm3, hausdorff, hd95,\n"
	"                     assd, nsd\n"
	"  --summary-only     leave out the per-case values\n"
	"  --format FORMAT    yaml (default) or json\n"
	"  --output FILE      write the results to FILE instead of standard output\n"
	"  --info             print what the reader sees in each FILE (header fields and\n"
	"                     voxel checksums) and exit\n"
	"  -h, --help         show this help\n"
	"\n"
	"exit status: 0 done, 1 bad input, 2 usage error\n";

#define ME "medperf-metrics segmentation"

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, ME ": %s%s%s%s\n", msg, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
	fprintf(stderr, "(see " ME " --help)\n");
	return 2;
}

/* Parses a whole int32 from [s, end); -1 if it is not one. */
static int parse_label(const char *s, const char *end, json_t **out)
{
	char tmp[24], *stop;
	long v;
	size_t n = (size_t)(end - s);

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	v = strtol(tmp, &stop, 10);
	if (*stop || v < INT32_MIN || v > INT32_MAX)
		return -1;
	*out = json_integer(v);
	return *out ? 0 : -1;
}

/* "1,2,4" -> [1,2,4]; "WT=1+2+4,ET=4" -> {"WT":[1,2,4],"ET":[4]}. */
static json_t *parse_labels_arg(const char *arg)
{
	int named = strchr(arg, '=') != NULL;
	json_t *all = named ? json_object() : json_array();
	const char *p = arg;

	while (all) {
		const char *end = strchr(p, ',');
		const char *eq;
		json_t *v;
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (!named) {
			if (eq || parse_label(p, end, &v) || json_array_append_new(all, v))
				goto bad;
		} else {
			json_t *set = json_array();
			struct buf name;
			int ok;
			const char *q = eq ? eq + 1 : NULL;
			if (eq == NULL || eq == p || set == NULL) {
				json_decref(set);
				goto bad;
			}
			while (q < end) {
				const char *plus = memchr(q, '+', (size_t)(end - q));
				if (plus == NULL)
					plus = end;
				if (parse_label(q, plus, &v) || json_array_append_new(set, v)) {
					json_decref(set);
					goto bad;
				}
				q = plus == end ? end : plus + 1;
				if (plus != end && q == end) {  /* trailing '+' */
					json_decref(set);
					goto bad;
				}
			}
			buf_init(&name, 256);
			ok = json_array_size(set) > 0 && buf_add(&name, p, (size_t)(eq - p)) == 0 &&
			     json_object_get(all, name.data) == NULL;
			if (ok)  /* json_object_set_new takes set, even when it fails */
				ok = json_object_set_new(all, name.data, set) == 0;
			else
				json_decref(set);
			buf_release(&name);
			if (!ok)
				goto bad;
		}
		if (*end == 0)
			break;
		p = end + 1;
	}
	return all;
bad:
	json_decref(all);
	return NULL;
}

/* "dice,hd95" -> ["dice","hd95"]; NULL if a name is not a metric's. */
static json_t *parse_metrics_arg(const char *arg)
{
	json_t *a = json_array();
	const char *p = arg;

	while (a) {
		const char *end = strchr(p, ',');
		int m = 0;
		if (end == NULL)
			end = p + strlen(p);
		while (m < SEG_NMETRICS && (strlen(seg_metric_names[m]) != (size_t)(end - p) ||
					    strncmp(p, seg_metric_names[m], (size_t)(end - p)) != 0))
			m++;
		if (m == SEG_NMETRICS || json_array_append_new(a, json_string(seg_metric_names[m]))) {
			json_decref(a);
			return NULL;
		}
		if (*end == 0)
			break;
		p = end + 1;
	}
	return a;
}

/* Writes v as YAML or JSON to path (NULL: standard output). */
static int emit(const json_t *v, int json, const char *path)
{
	struct buf b;
	mp_errbuf e;
	int rc = 0;

	if (!json && path) {
		if (yaml_write_file(path, v, 0644, &e)) {
			fprintf(stderr, ME ": %s\n", e.msg);
			return 1;
		}
		return 0;
	}
	buf_init(&b, BUF_MAX_DEFAULT);
	if (json) {
		char *s = jsonw_dumps(v);
		rc = s == NULL || buf_adds(&b, s) || buf_addch(&b, '\n');
		free(s);
	} else {
		rc = yaml_dump(&b, v) != MP_OK;
	}
	if (rc) {
		fprintf(stderr, ME ": cannot format the results\n");
		buf_release(&b);
		return 1;
	}
	if (path) {
		FILE *f = fopen(path, "w");
		if (f == NULL || fwrite(b.data, 1, b.len, f) != b.len) {
			fprintf(stderr, ME ": cannot write '%s'\n", path);
			rc = 1;
		}
		if (f && fclose(f) != 0 && rc == 0) {
			fprintf(stderr, ME ": cannot write '%s'\n", path);
			rc = 1;
		}
	} else {
		fwrite(b.data, 1, b.len, stdout);
	}
	buf_release(&b);
	return rc;
}

static json_t *num(double v)
{
	json_t *j = isfinite(v) ? json_real(v) : NULL;

	return j ? j : json_null();
}

static json_t *reals(const double *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n && a; i++)
		json_array_append_new(a, num(v[i]));
	return a;
}

/* What the reader sees in one file. */
static json_t *info_of(const struct nifti_image *im)
{
	const unsigned char *p = im->data;
	uint64_t fnv = 0xcbf29ce484222325ull;
	double sum_raw = 0, sum = 0;
	size_t nonzero = 0, nb = im->nvox * im->nbyper;
	json_t *dims = json_array(), *srow = json_array(), *o;
	char hex[17];

	for (size_t i = 0; i < nb; i++)
		fnv = (fnv ^ p[i]) * 0x100000001b3ull;
	for (size_t i = 0; i < im->nvox; i++) {
		double v = nifti_value(im, i);
		sum += v;
		nonzero += v != 0;
	}
	if (im->scaled) {
		struct nifti_image raw = *im;
		raw.scaled = 0;
		for (size_t i = 0; i < im->nvox; i++)
			sum_raw += nifti_value(&raw, i);
	} else {
		sum_raw = sum;
	}
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)fnv);
	for (int i = 1; i <= im->ndim; i++)
		json_array_append_new(dims, json_integer(im->dim[i]));
	for (int i = 0; i < 3; i++)
		json_array_append_new(srow, reals(im->srow[i], 4));
	o = json_pack("{s:i,s:s,s:i,s:o,s:i,s:s,s:I,s:o,s:I,s:o,s:o,s:b,s:i,s:i,s:o,s:o,s:o,"
		      "s:I,s:o,s:o,s:I,s:s}",
		      "version", im->version, "byte_order", im->big_endian ? "big" : "little",
		      "ndim", im->ndim, "dim", dims, "datatype", im->datatype,
		      "datatype_name", nifti_datatype_name(im->datatype),
		      "nbyper", (json_int_t)im->nbyper, "pixdim", reals(im->pixdim, 8),
		      "vox_offset", (json_int_t)im->vox_offset, "scl_slope", num(im->scl_slope),
		      "scl_inter", num(im->scl_inter), "scaled", im->scaled,
		      "qform_code", im->qform_code, "sform_code", im->sform_code,
		      "quatern", reals(im->quatern, 3), "qoffset", reals(im->qoffset, 3),
		      "srow", srow, "nvox", (json_int_t)im->nvox, "sum_raw", num(sum_raw),
		      "sum", num(sum), "nonzero", (json_int_t)nonzero, "fnv1a64", hex);
	return o;
}

static int run_info(char **files, int n, int json, const char *out)
{
	json_t *all = json_object();
	int rc = 0;

	for (int i = 0; i < n && rc == 0; i++) {
		struct nifti_image im;
		mp_errbuf e;
		if (nifti_read(files[i], 0, &im, &e)) {
			fprintf(stderr, ME ": %s\n", e.msg);
			rc = 1;
			break;
		}
		json_object_set_new(all, files[i], info_of(&im));
		nifti_release(&im);
	}
	if (rc == 0)
		rc = emit(all, json, out);
	json_decref(all);
	return rc;
}

int cmd_segmentation(int argc, char **argv)
{
	static const struct option opts[] = {
		{"prediction", required_argument, NULL, 'p'},
		{"label", required_argument, NULL, 'l'},
		{"labels", required_argument, NULL, 'L'},
		{"tolerance", required_argument, NULL, 't'},
		{"metrics", required_argument, NULL, 'm'},
		{"summary-only", no_argument, NULL, 's'},
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"info", no_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *pred = NULL, *label = NULL, *out = NULL;
	json_t *options = json_object(), *results = NULL, *v;
	int c, json = 0, info = 0, rc = 2;
	mp_errbuf e;
	char *end;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pred = optarg; break;
		case 'l': label = optarg; break;
		case 'o': out = optarg; break;
		case 'i': info = 1; break;
		case 's': json_object_set_new(options, "per_case", json_false()); break;
		case 'f':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "yaml") != 0) {
				rc = usage_error("--format must be yaml or json, not", optarg);
				goto out;
			}
			json = strcmp(optarg, "json") == 0;
			break;
		case 'L':
			v = parse_labels_arg(optarg);
			if (v == NULL) {
				rc = usage_error("--labels takes labels (1,2,4) or named sets "
						 "(WT=1+2+4,ET=4), not", optarg);
				goto out;
			}
			json_object_set_new(options, "labels", v);
			break;
		case 'm':
			v = parse_metrics_arg(optarg);
			if (v == NULL) {
				rc = usage_error("--metrics takes comma-separated metric names (see "
						 "--help), not", optarg);
				goto out;
			}
			json_object_set_new(options, "metrics", v);
			break;
		case 't': {
			double t = strtod(optarg, &end);
			if (end == optarg || *end || !(t > 0) || !isfinite(t)) {
				rc = usage_error("--tolerance must be a positive number of mm, not",
						 optarg);
				goto out;
			}
			json_object_set_new(options, "tolerance_mm", json_real(t));
			break;
		}
		case 'h':
			fputs(seg_usage, stdout);
			rc = 0;
			goto out;
		case ':':
			rc = usage_error("missing value for", argv[optind - 1]);
			goto out;
		default:
			rc = usage_error("unknown option", argv[optind - 1]);
			goto out;
		}
	}
	if (info) {
		if (optind >= argc) {
			rc = usage_error("--info needs at least one FILE", NULL);
			goto out;
		}
		rc = run_info(argv + optind, argc - optind, json, out);
		goto out;
	}
	if (optind < argc) {
		rc = usage_error("unexpected argument", argv[optind]);
		goto out;
	}
	if (pred == NULL || label == NULL) {
		rc = usage_error(pred ? "--label is required" : "--prediction is required", NULL);
		goto out;
	}
	if (seg_evaluate(pred, label, options, &results, &e)) {
		fprintf(stderr, ME ": %s\n", e.msg);
		rc = 1;
		goto out;
	}
	rc = emit(results, json, out);
out:
	json_decref(results);
	json_decref(options);
	return rc;
}
