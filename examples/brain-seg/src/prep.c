/*
 * prep.c: brainseg-prep, the data preparator of the brain segmentation
 * example (examples/brain-seg/README.md). Three tasks, as MedPerf runs
 * them (reference 3.2):
 *
 *   prepare       raw T1 volumes and raw label maps (the hospital's codes for
 *                 CSF, grey and white matter) -> prepared images (float32,
 *                 intensities divided by the brain's 99th percentile, 0
 *                 outside the brain) and label maps (uint8: 0 background,
 *                 1 CSF, 2 GM, 3 WM), one pair per case, same names, same grid
 *   sanity_check  exit 1 with one line per problem when the prepared data is
 *                 not what prepare writes
 *   statistics    a YAML summary: case count, image sizes, voxel spacing,
 *                 brain and tissue volumes (no per-case or per-voxel data)
 *
 * Exit status: 0 done, 1 bad data or parameters (messages name the file and
 * the problem), 2 usage.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "params.h"
#include "volume.h"

#define PROG "brainseg-prep"
#define NTISSUE 3

static const char *const TISSUE_NAME[NTISSUE] = { "CSF", "GM", "WM" };

static const struct param_spec SPECS[] = {
	{ "raw_label_csf", 4, 1, 2147483647, 1, "the raw label maps' code of CSF" },
	{ "raw_label_gm", 5, 1, 2147483647, 1, "the raw label maps' code of grey matter" },
	{ "raw_label_wm", 6, 1, 2147483647, 1, "the raw label maps' code of white matter" },
	{ "normalise_percentile", 99, 50, 100, 0,
	  "brain intensities are divided by this percentile of theirs" },
	{ "min_brain_voxels", 1000, 1, 1e9, 1, "fewer non-zero voxels: not a brain" },
};
#define NSPECS ((int)(sizeof(SPECS) / sizeof(SPECS[0])))

struct opts {
	const char *task;
	const char *data_path, *labels_path, *output_path, *output_labels_path, *parameters_file;
	struct params params;
	int raw_code[NTISSUE];
	double percentile;
	size_t min_brain;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " prepare --data_path RAW --labels_path RAW_LABELS\n"
		"                     --output_path DATA --output_labels_path LABELS [--parameters_file F]\n"
		"       " PROG " sanity_check --data_path DATA --labels_path LABELS [--parameters_file F]\n"
		"       " PROG " statistics --data_path DATA --labels_path LABELS --output_path FILE\n"
		"                     [--parameters_file F]\n"
		"Options are also read as --name=value, with '-' for '_'. Exit: 0 done, 1 bad data or\n"
		"parameters, 2 usage.\n");
}

/* ---------------------------------------------------------------- options */

static const char **opt_slot(struct opts *o, const char *name, size_t len)
{
	static const char *const names[] = { "data_path", "labels_path", "output_path",
					     "output_labels_path", "parameters_file" };
	const char **slots[] = { &o->data_path, &o->labels_path, &o->output_path,
				 &o->output_labels_path, &o->parameters_file };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i]) != len)
			continue;
		size_t k = 0;
		for (; k < len; k++) {
			char c = name[k] == '-' ? '_' : name[k];
			if (c != names[i][k])
				break;
		}
		if (k == len)
			return slots[i];
	}
	return NULL;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0) {
			fprintf(stderr, PROG ": unexpected argument '%s'\n", a);
			return 2;
		}
		const char *eq = strchr(a, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		const char **slot = opt_slot(o, a + 2, len);
		if (slot == NULL) {
			fprintf(stderr, PROG ": unknown option '%s'\n", a);
			return 2;
		}
		if (eq) {
			*slot = eq + 1;
		} else if (i + 1 < argc) {
			*slot = argv[++i];
		} else {
			fprintf(stderr, PROG ": option '%s' needs a value\n", a);
			return 2;
		}
	}
	return 0;
}

static int need(const struct opts *o, const char *value, const char *name)
{
	if (value != NULL && *value != '\0')
		return 0;
	fprintf(stderr, PROG " %s: missing --%s\n", o->task, name);
	usage(stderr);
	return 2;
}

static int load_params(struct opts *o)
{
	mp_errbuf e = { { 0 } };
	if (params_load(o->parameters_file, SPECS, NSPECS, &o->params, &e) != MP_OK) {
		fprintf(stderr, PROG " %s: %s\n", o->task, e.msg);
		return 1;
	}
	const char *keys[NTISSUE] = { "raw_label_csf", "raw_label_gm", "raw_label_wm" };
	for (int t = 0; t < NTISSUE; t++)
		o->raw_code[t] = (int)params_get(&o->params, SPECS, NSPECS, keys[t]);
	if (o->raw_code[0] == o->raw_code[1] || o->raw_code[0] == o->raw_code[2] ||
	    o->raw_code[1] == o->raw_code[2]) {
		fprintf(stderr, PROG " %s: '%s': raw_label_csf, raw_label_gm and raw_label_wm must "
			"differ\n", o->task, o->parameters_file);
		return 1;
	}
	o->percentile = params_get(&o->params, SPECS, NSPECS, "normalise_percentile");
	o->min_brain = (size_t)params_get(&o->params, SPECS, NSPECS, "min_brain_voxels");
	return 0;
}

/* ---------------------------------------------------------------- checks */

static void voxel_xyz(const struct vol *v, size_t i, long long xyz[3])
{
	xyz[0] = (long long)(i % (size_t)v->nx);
	xyz[1] = (long long)(i / (size_t)v->nx % (size_t)v->ny);
	xyz[2] = (long long)(i / ((size_t)v->nx * (size_t)v->ny));
}

/*
 * Tissue (1..3) of every voxel of a label map whose codes are code[0..2]
 * (0 stays 0); anything else is refused, naming the voxel.
 */
static int map_labels(const struct vol *lab, const char *name, const int code[NTISSUE],
		      unsigned char *out, mp_errbuf *e)
{
	for (size_t i = 0; i < lab->n; i++) {
		double x = lab->v[i];
		int t = -1;
		if (x == 0)
			t = 0;
		for (int k = 0; k < NTISSUE && t < 0; k++)
			if (x == code[k])
				t = k + 1;
		if (t < 0) {
			long long p[3];
			voxel_xyz(lab, i, p);
			return mp_seterr(e, MP_EINVAL, "'%s': voxel (%lld, %lld, %lld) has label %g, not "
					 "0 or a tissue code (CSF %d, GM %d, WM %d)", name, p[0], p[1],
					 p[2], x, code[0], code[1], code[2]);
		}
		out[i] = (unsigned char)t;
	}
	return MP_OK;
}

/*
 * The brain is the image's non-zero voxels: no intensity may be negative,
 * every labelled voxel must be in the brain, and there must be at least
 * min_brain voxels of it. *nbrain gets the count.
 */
static int check_brain(const struct vol *img, const char *iname, const unsigned char *tissue,
		       const char *lname, size_t min_brain, size_t *nbrain, mp_errbuf *e)
{
	size_t n = 0;
	long long p[3];
	for (size_t i = 0; i < img->n; i++) {
		if (img->v[i] < 0) {
			voxel_xyz(img, i, p);
			return mp_seterr(e, MP_EINVAL, "'%s': voxel (%lld, %lld, %lld) has intensity %g "
					 "(a magnitude image has none below 0)", iname, p[0], p[1],
					 p[2], img->v[i]);
		}
		if (img->v[i] > 0)
			n++;
		else if (tissue[i] != 0) {
			voxel_xyz(img, i, p);
			return mp_seterr(e, MP_EINVAL, "'%s': voxel (%lld, %lld, %lld) is labelled %s but "
					 "has intensity 0 in '%s' (outside the skull-stripped brain)",
					 lname, p[0], p[1], p[2], TISSUE_NAME[tissue[i] - 1], iname);
		}
	}
	if (n < min_brain)
		return mp_seterr(e, MP_EINVAL, "'%s' has %zu non-zero voxels, fewer than "
				 "min_brain_voxels (%zu): is it a skull-stripped brain?", iname, n,
				 min_brain);
	*nbrain = n;
	return MP_OK;
}

/* The q-th percentile of the brain's intensities (0 when there is no brain). */
static double brain_percentile(const struct vol *img, size_t nbrain, double q)
{
	double *vals = malloc((nbrain ? nbrain : 1) * sizeof(double));
	if (vals == NULL || nbrain == 0) {
		free(vals);
		return 0.0;
	}
	size_t k = 0;
	for (size_t i = 0; i < img->n; i++)
		if (img->v[i] > 0)
			vals[k++] = img->v[i];
	double p = percentile(vals, nbrain, q);
	free(vals);
	return p;
}

/* One case: its image and label map read, on one grid, tissue mapped, brain checked. */
struct one_case {
	char *ipath, *lpath;
	struct vol img, lab;
	unsigned char *tissue;
	size_t nbrain;
};

static void case_release(struct one_case *c)
{
	free(c->ipath);
	free(c->lpath);
	vol_release(&c->img);
	vol_release(&c->lab);
	free(c->tissue);
	memset(c, 0, sizeof(*c));
}

static int case_read(const char *ddir, const char *dfile, const char *ldir, const char *lfile,
		     const int code[NTISSUE], size_t min_brain, struct one_case *c, mp_errbuf *e)
{
	memset(c, 0, sizeof(*c));
	c->ipath = path_join(ddir, dfile);
	c->lpath = path_join(ldir, lfile);
	if (c->ipath == NULL || c->lpath == NULL)
		return mp_seterr(e, MP_ENOMEM, "out of memory");
	int rc = vol_read(c->ipath, &c->img, e);
	if (rc == MP_OK)
		rc = vol_read(c->lpath, &c->lab, e);
	if (rc == MP_OK)
		rc = vol_same_grid(&c->img, c->ipath, &c->lab, c->lpath, e);
	if (rc == MP_OK) {
		c->tissue = malloc(c->img.n);
		if (c->tissue == NULL)
			rc = mp_seterr(e, MP_ENOMEM, "out of memory");
	}
	if (rc == MP_OK)
		rc = map_labels(&c->lab, c->lpath, code, c->tissue, e);
	if (rc == MP_OK)
		rc = check_brain(&c->img, c->ipath, c->tissue, c->lpath, min_brain, &c->nbrain, e);
	return rc;
}

/* The label file of case i of data (paired by id). */
static const char *label_file(const struct caselist *data, const struct caselist *labels,
			      size_t i)
{
	for (size_t k = 0; k < labels->n; k++)
		if (strcmp(labels->id[k], data->id[i]) == 0)
			return labels->file[k];
	return NULL;
}

static int read_lists(const struct opts *o, struct caselist *data, struct caselist *labels,
		      mp_errbuf *e)
{
	memset(data, 0, sizeof(*data));
	memset(labels, 0, sizeof(*labels));
	int rc = caselist_read(o->data_path, data, e);
	if (rc == MP_OK)
		rc = caselist_read(o->labels_path, labels, e);
	if (rc == MP_OK)
		rc = caselist_pair(data, o->data_path, labels, o->labels_path, e);
	return rc;
}

/* ---------------------------------------------------------------- prepare */

static int prepare_case(const struct opts *o, struct one_case *c, const char *id, mp_errbuf *e,
			char **written, int *nwritten)
{
	double p = brain_percentile(&c->img, c->nbrain, o->percentile);
	if (!(p > 0))
		return mp_seterr(e, MP_EINVAL, "'%s': the brain's intensities have no positive "
				 "percentile", c->ipath);
	float *out = malloc(c->img.n * sizeof(float));
	char name[512];
	snprintf(name, sizeof(name), "%s.nii.gz", id);
	char *dpath = path_join(o->output_path, name), *lpath = path_join(o->output_labels_path, name);
	int rc = MP_OK;
	if (out == NULL || dpath == NULL || lpath == NULL) {
		rc = mp_seterr(e, MP_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c->img.n; i++)
		out[i] = c->img.v[i] > 0 ? (float)(c->img.v[i] / p) : 0.0f;
	/* a value that rounds to 0 in float32 would leave the brain */
	for (size_t i = 0; i < c->img.n; i++)
		if (c->img.v[i] > 0 && !(out[i] > 0))
			out[i] = 1e-30f;
	rc = niftiw_write(dpath, &c->img.img, NIFTI_DT_FLOAT32, out,
			  "brain-seg prepared T1 (brain / percentile)", e);
	if (rc == MP_OK) {
		written[(*nwritten)++] = dpath;
		dpath = NULL;
		rc = niftiw_write(lpath, &c->img.img, NIFTI_DT_UINT8, c->tissue,
				  "brain-seg labels: 1 CSF, 2 GM, 3 WM", e);
	}
	if (rc == MP_OK) {
		written[(*nwritten)++] = lpath;
		lpath = NULL;
		printf("prepared %s: %lldx%lldx%lld voxels\n", id, (long long)c->img.nx,
		       (long long)c->img.ny, (long long)c->img.nz);
	}
out:
	free(out);
	free(dpath);
	free(lpath);
	return rc;
}

/* An output folder: created when missing (MedPerf creates it before the task). */
static int output_dir(const char *path, mp_errbuf *e)
{
	struct stat st;
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return mp_seterr(e, MP_EIO, "'%s': %s", path, strerror(errno));
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return mp_seterr(e, MP_EIO, "'%s' is not a folder", path);
	return MP_OK;
}

static int task_prepare(struct opts *o)
{
	struct caselist data, labels;
	mp_errbuf e = { { 0 } };
	int rc = read_lists(o, &data, &labels, &e);
	if (rc == MP_OK)
		rc = output_dir(o->output_path, &e);
	if (rc == MP_OK)
		rc = output_dir(o->output_labels_path, &e);
	char **written = NULL;
	int nwritten = 0;
	if (rc == MP_OK) {
		written = calloc(2 * data.n + 1, sizeof(char *));
		if (written == NULL)
			rc = mp_seterr(&e, MP_ENOMEM, "out of memory");
	}
	for (size_t i = 0; rc == MP_OK && i < data.n; i++) {
		struct one_case c;
		rc = case_read(o->data_path, data.file[i], o->labels_path,
			       label_file(&data, &labels, i), o->raw_code, o->min_brain, &c, &e);
		if (rc == MP_OK)
			rc = prepare_case(o, &c, data.id[i], &e, written, &nwritten);
		case_release(&c);
	}
	if (rc == MP_OK) {
		printf("prepared %zu cases\n", data.n);
	} else {
		fprintf(stderr, PROG " prepare: %s\n", e.msg);
		for (int i = 0; i < nwritten; i++)
			unlink(written[i]);  /* all or nothing */
	}
	for (int i = 0; i < nwritten; i++)
		free(written[i]);
	free(written);
	caselist_release(&data);
	caselist_release(&labels);
	return rc == MP_OK ? 0 : 1;
}

/* ---------------------------------------------------------------- sanity_check */

/* The prepared image must be normalised: its brain percentile is 1. */
static int check_normalised(const struct opts *o, const struct one_case *c, mp_errbuf *e)
{
	double p = brain_percentile(&c->img, c->nbrain, o->percentile);
	if (fabs(p - 1.0) > 1e-5)
		return mp_seterr(e, MP_EINVAL, "'%s' is not normalised (the %g-th percentile of its "
				 "brain intensities is %g, not 1): was it written by prepare?",
				 c->ipath, o->percentile, p);
	return MP_OK;
}

static const int PREPARED_CODES[NTISSUE] = { 1, 2, 3 };

static int task_sanity_check(struct opts *o)
{
	struct caselist data, labels;
	mp_errbuf e = { { 0 } };
	if (read_lists(o, &data, &labels, &e) != MP_OK) {
		fprintf(stderr, PROG " sanity_check: failed: %s\n", e.msg);
		caselist_release(&data);
		caselist_release(&labels);
		return 1;
	}
	size_t bad = 0;
	for (size_t i = 0; i < data.n; i++) {
		struct one_case c;
		int rc = case_read(o->data_path, data.file[i], o->labels_path,
				   label_file(&data, &labels, i), PREPARED_CODES, o->min_brain, &c, &e);
		if (rc == MP_OK)
			rc = check_normalised(o, &c, &e);
		if (rc != MP_OK) {
			fprintf(stderr, PROG " sanity_check: failed: %s\n", e.msg);
			bad++;
		}
		case_release(&c);
	}
	if (bad == 0)
		printf("sanity check passed: %zu cases, labels 0-3 on the images' grids\n", data.n);
	else
		fprintf(stderr, PROG " sanity_check: %zu of %zu cases failed\n", bad, data.n);
	caselist_release(&data);
	caselist_release(&labels);
	return bad ? 1 : 0;
}

/* ---------------------------------------------------------------- statistics */

struct summary {
	double sum, sumsq, min, max;
	size_t n;
};

static void add(struct summary *s, double x)
{
	if (s->n == 0 || x < s->min)
		s->min = x;
	if (s->n == 0 || x > s->max)
		s->max = x;
	s->sum += x;
	s->sumsq += x * x;
	s->n++;
}

static void put_summary(FILE *f, const char *indent, const char *key, const struct summary *s,
			int with_mean)
{
	fprintf(f, "%s%s: {", indent, key);
	if (with_mean) {
		double mean = s->sum / (double)s->n;
		double var = s->sumsq / (double)s->n - mean * mean;
		fprintf(f, "mean: %.4f, std: %.4f, ", mean, var > 0 ? sqrt(var) : 0.0);
	}
	fprintf(f, "min: %.4f, max: %.4f}\n", s->min, s->max);
}

static int write_statistics(const char *path, size_t ncases, const struct summary size[3],
			    const struct summary spacing[3], const struct summary *brain,
			    const struct summary vol[NTISSUE], const struct summary frac[NTISSUE])
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	const char *axis[3] = { "x", "y", "z" };
	fprintf(f, "num_cases: %zu\nimage_size_voxels:\n", ncases);
	for (int a = 0; a < 3; a++)
		fprintf(f, "  %s: {min: %.0f, max: %.0f}\n", axis[a], size[a].min, size[a].max);
	fprintf(f, "voxel_spacing_mm:\n");
	for (int a = 0; a < 3; a++)
		put_summary(f, "  ", axis[a], &spacing[a], 0);
	put_summary(f, "", "brain_volume_ml", brain, 1);
	fprintf(f, "tissue_volume_ml:\n");
	for (int t = 0; t < NTISSUE; t++)
		put_summary(f, "  ", TISSUE_NAME[t], &vol[t], 1);
	fprintf(f, "tissue_fraction_of_brain:\n");
	for (int t = 0; t < NTISSUE; t++)
		put_summary(f, "  ", TISSUE_NAME[t], &frac[t], 1);
	return fclose(f) == 0 ? 0 : -1;
}

static int task_statistics(struct opts *o)
{
	struct caselist data, labels;
	mp_errbuf e = { { 0 } };
	struct summary size[3] = { { 0 } }, spacing[3] = { { 0 } }, brain = { 0 };
	struct summary vol[NTISSUE] = { { 0 } }, frac[NTISSUE] = { { 0 } };
	int rc = read_lists(o, &data, &labels, &e);
	for (size_t i = 0; rc == MP_OK && i < data.n; i++) {
		struct one_case c;
		rc = case_read(o->data_path, data.file[i], o->labels_path,
			       label_file(&data, &labels, i), PREPARED_CODES, 1, &c, &e);
		if (rc == MP_OK) {
			int64_t dims[3] = { c.img.nx, c.img.ny, c.img.nz };
			double ml = 1e-3;
			for (int a = 0; a < 3; a++) {
				add(&size[a], (double)dims[a]);
				add(&spacing[a], fabs(c.img.img.pixdim[a + 1]));
				ml *= fabs(c.img.img.pixdim[a + 1]);
			}
			size_t count[NTISSUE] = { 0 };
			for (size_t k = 0; k < c.img.n; k++)
				if (c.tissue[k])
					count[c.tissue[k] - 1]++;
			add(&brain, (double)c.nbrain * ml);
			for (int t = 0; t < NTISSUE; t++) {
				add(&vol[t], (double)count[t] * ml);
				add(&frac[t], (double)count[t] / (double)c.nbrain);
			}
		}
		case_release(&c);
	}
	if (rc == MP_OK && write_statistics(o->output_path, data.n, size, spacing, &brain, vol,
					    frac) != 0)
		rc = mp_seterr(&e, MP_EIO, "'%s': %s", o->output_path, strerror(errno));
	if (rc != MP_OK)
		fprintf(stderr, PROG " statistics: %s\n", e.msg);
	else
		printf("statistics of %zu cases written\n", data.n);
	caselist_release(&data);
	caselist_release(&labels);
	return rc == MP_OK ? 0 : 1;
}

/* ---------------------------------------------------------------- main */

static const struct task {
	const char *name;
	int (*run)(struct opts *);
	int needs_output, needs_output_labels;
} TASKS[] = {
	{ "prepare", task_prepare, 1, 1 },
	{ "sanity_check", task_sanity_check, 0, 0 },
	{ "statistics", task_statistics, 1, 0 },
};

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const struct task *task = NULL;
	for (size_t i = 0; i < sizeof(TASKS) / sizeof(TASKS[0]); i++)
		if (strcmp(argv[1], TASKS[i].name) == 0)
			task = &TASKS[i];
	if (task == NULL) {
		fprintf(stderr, PROG ": unknown task '%s' (prepare, sanity_check, statistics)\n",
			argv[1]);
		return 2;
	}
	struct opts o;
	memset(&o, 0, sizeof(o));
	o.task = task->name;
	int rc = parse_args(argc, argv, &o);
	if (rc == 0)
		rc = need(&o, o.data_path, "data_path") || need(&o, o.labels_path, "labels_path") ? 2 : 0;
	if (rc == 0 && task->needs_output)
		rc = need(&o, o.output_path, "output_path");
	if (rc == 0 && task->needs_output_labels)
		rc = need(&o, o.output_labels_path, "output_labels_path");
	if (rc == 0)
		rc = load_params(&o);
	if (rc == 0)
		rc = task->run(&o);
	params_release(&o.params);
	return rc;
}
