/*
 * infer.c: brainseg-infer, the models of the brain segmentation example
 * (examples/brain-seg/README.md). One program, three kinds of model; a
 * model is this program with its weights file (written by
 * examples/brain-seg/train):
 *
 *   gauss         a Gaussian classifier per tissue on two features, the
 *                 voxel's intensity and the mean intensity of the brain
 *                 voxels in its (2r+1)^3 box (the reference model)
 *   thresholds    two intensity thresholds (midpoints of 1-D k-means centres)
 *   nearest-mean  the tissue whose mean is nearest to the (2r+1)^3 box mean
 *                 of the voxel (a deliberately blurry, weaker model)
 *
 * The infer task (reference 3.2): every prepared image of --data_path (the
 * brain is its non-zero voxels) -> a label map of the same name and grid in
 * --output_path (uint8: 0 outside the brain, else the tissue's label, 1 CSF,
 * 2 GM, 3 WM unless the parameters file says otherwise).
 *
 * Exit status: 0 done, 1 bad data, weights or parameters, 2 usage.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "params.h"
#include "volume.h"

#define PROG "brainseg-infer"
#define NTISSUE 3
#define MAX_TOKENS 16

enum model_kind { MODEL_GAUSS, MODEL_THRESHOLDS, MODEL_NEAREST_MEAN };

static const char *const KIND_NAME[] = { "gauss", "thresholds", "nearest-mean" };

struct model {
	enum model_kind kind;
	int radius;
	/* gauss: per tissue */
	double prior[NTISSUE], mean[NTISSUE][2], cov[NTISSUE][3];  /* c11 c12 c22 */
	double icov[NTISSUE][3], logdet[NTISSUE];
	int have_class[NTISSUE];
	/* thresholds */
	double thr[2];
	/* nearest-mean */
	double centre[NTISSUE];
	int have[4];  /* model line, radius, thresholds, means */
};

static const struct param_spec SPECS[] = {
	{ "label_csf", 1, 1, 255, 1, "the label written for CSF" },
	{ "label_gm", 2, 1, 255, 1, "the label written for grey matter" },
	{ "label_wm", 3, 1, 255, 1, "the label written for white matter" },
};
#define NSPECS ((int)(sizeof(SPECS) / sizeof(SPECS[0])))

struct opts {
	const char *data_path, *output_path, *parameters_file, *weights;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " infer --weights FILE --data_path DATA --output_path PREDICTIONS\n"
		"                      [--parameters_file F]\n"
		"Options are also read as --name=value, with '-' for '_'. Exit: 0 done, 1 bad data,\n"
		"weights or parameters, 2 usage.\n");
}

/* ---------------------------------------------------------------- weights */

static int split(char *line, char **tok)
{
	int n = 0;
	char *s = line;
	while (*s && n < MAX_TOKENS) {
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			*s++ = '\0';
		if (*s == '\0' || *s == '#')
			break;
		tok[n++] = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			s++;
	}
	if (*s == '#')
		*s = '\0';
	return n;
}

static int number(const char *s, double *out)
{
	errno = 0;
	char *end = NULL;
	*out = strtod(s, &end);
	return end != s && *end == '\0' && errno == 0 && isfinite(*out) ? 0 : -1;
}

/* Reads "KEY v1 v2 ..." values after tok[first] into out (exactly n of them). */
static int numbers(char **tok, int ntok, int first, int n, double *out)
{
	if (ntok != first + n)
		return -1;
	for (int i = 0; i < n; i++)
		if (number(tok[first + i], &out[i]) != 0)
			return -1;
	return 0;
}

/* "class T prior P mean M1 M2 cov C11 C12 C22" */
static int class_line(struct model *m, char **tok, int ntok)
{
	double t, v[6];
	if (ntok != 11 || number(tok[1], &t) != 0 || t < 1 || t > NTISSUE || t != floor(t) ||
	    strcmp(tok[2], "prior") || strcmp(tok[4], "mean") || strcmp(tok[7], "cov"))
		return -1;
	const int at[6] = { 3, 5, 6, 8, 9, 10 };
	for (int i = 0; i < 6; i++)
		if (number(tok[at[i]], &v[i]) != 0)
			return -1;
	int k = (int)t - 1;
	m->prior[k] = v[0];
	m->mean[k][0] = v[1];
	m->mean[k][1] = v[2];
	for (int i = 0; i < 3; i++)
		m->cov[k][i] = v[3 + i];
	m->have_class[k] = 1;
	return 0;
}

static int weights_line(struct model *m, char **tok, int ntok)
{
	double v[3];
	if (strcmp(tok[0], "model") == 0 && ntok == 2) {
		for (int k = 0; k < 3; k++)
			if (strcmp(tok[1], KIND_NAME[k]) == 0) {
				m->kind = (enum model_kind)k;
				m->have[0] = 1;
				return 0;
			}
		return -1;
	}
	if (strcmp(tok[0], "radius") == 0 && numbers(tok, ntok, 1, 1, v) == 0 && v[0] >= 0 &&
	    v[0] <= 10 && v[0] == floor(v[0])) {
		m->radius = (int)v[0];
		m->have[1] = 1;
		return 0;
	}
	if (strcmp(tok[0], "thresholds") == 0 && numbers(tok, ntok, 1, 2, m->thr) == 0) {
		m->have[2] = 1;
		return 0;
	}
	if (strcmp(tok[0], "means") == 0 && numbers(tok, ntok, 1, NTISSUE, m->centre) == 0) {
		m->have[3] = 1;
		return 0;
	}
	if (strcmp(tok[0], "class") == 0)
		return class_line(m, tok, ntok);
	return -1;
}

/* What a kind needs, checked; the Gaussians' inverses computed. */
static int weights_complete(struct model *m, const char *path, mp_errbuf *e)
{
	if (!m->have[0])
		return mp_seterr(e, MP_EINVAL, "'%s': no 'model' line", path);
	if (m->kind != MODEL_THRESHOLDS && !m->have[1])
		return mp_seterr(e, MP_EINVAL, "'%s': a %s model needs a 'radius' line", path,
				 KIND_NAME[m->kind]);
	if (m->kind == MODEL_THRESHOLDS && !(m->have[2] && m->thr[0] < m->thr[1]))
		return mp_seterr(e, MP_EINVAL, "'%s': needs 'thresholds T1 T2' with T1 < T2", path);
	if (m->kind == MODEL_NEAREST_MEAN && !m->have[3])
		return mp_seterr(e, MP_EINVAL, "'%s': needs 'means CSF GM WM'", path);
	if (m->kind != MODEL_GAUSS)
		return MP_OK;
	for (int k = 0; k < NTISSUE; k++) {
		double *c = m->cov[k], det = c[0] * c[2] - c[1] * c[1];
		if (!m->have_class[k] || !(m->prior[k] > 0) || !(c[0] > 0) || !(det > 0))
			return mp_seterr(e, MP_EINVAL, "'%s': class %d is missing, or its prior is not "
					 "positive or its covariance not positive definite", path, k + 1);
		m->icov[k][0] = c[2] / det;
		m->icov[k][1] = -c[1] / det;
		m->icov[k][2] = c[0] / det;
		m->logdet[k] = log(det);
	}
	return MP_OK;
}

static int weights_read(const char *path, struct model *m, mp_errbuf *e)
{
	memset(m, 0, sizeof(*m));
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return mp_seterr(e, MP_EIO, "weights '%s': %s", path, strerror(errno));
	char line[1024];
	int lineno = 0, rc = MP_OK;
	while (rc == MP_OK && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		char *tok[MAX_TOKENS];
		int ntok = split(line, tok);
		if (ntok > 0 && weights_line(m, tok, ntok) != 0)
			rc = mp_seterr(e, MP_EINVAL, "weights '%s':%d: not understood ('%s' ...)", path,
				       lineno, tok[0]);
	}
	fclose(f);
	if (rc == MP_OK)
		rc = weights_complete(m, path, e);
	return rc;
}

/* ---------------------------------------------------------------- models */

static int gauss_tissue(const struct model *m, double v, double mean)
{
	int best = 0;
	double best_score = -INFINITY;
	for (int k = 0; k < NTISSUE; k++) {
		double d0 = v - m->mean[k][0], d1 = mean - m->mean[k][1];
		const double *ic = m->icov[k];
		double q = d0 * d0 * ic[0] + 2 * d0 * d1 * ic[1] + d1 * d1 * ic[2];
		double score = -0.5 * q - 0.5 * m->logdet[k] + log(m->prior[k]);
		if (score > best_score) {
			best_score = score;
			best = k;
		}
	}
	return best;
}

static int nearest_tissue(const struct model *m, double mean)
{
	int best = 0;
	for (int k = 1; k < NTISSUE; k++)
		if (fabs(mean - m->centre[k]) < fabs(mean - m->centre[best]))
			best = k;
	return best;
}

/* Tissue index 0..2 of each brain voxel, label[] of it written into out. */
static int classify(const struct model *m, const struct vol *img, const int label[NTISSUE],
		    unsigned char *out)
{
	size_t n = img->n;
	unsigned char *brain = malloc(n);
	double *mean = m->kind == MODEL_THRESHOLDS ? NULL : malloc(n * sizeof(double));
	if (brain == NULL || (m->kind != MODEL_THRESHOLDS && mean == NULL)) {
		free(brain);
		free(mean);
		return MP_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		brain[i] = img->v[i] > 0;
	if (mean && box_mean(img->v, brain, img->nx, img->ny, img->nz, m->radius, mean) != MP_OK) {
		free(brain);
		free(mean);
		return MP_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		int t;
		if (!brain[i]) {
			out[i] = 0;
			continue;
		}
		if (m->kind == MODEL_GAUSS)
			t = gauss_tissue(m, img->v[i], mean[i]);
		else if (m->kind == MODEL_NEAREST_MEAN)
			t = nearest_tissue(m, mean[i]);
		else
			t = img->v[i] < m->thr[0] ? 0 : img->v[i] < m->thr[1] ? 1 : 2;
		out[i] = (unsigned char)label[t];
	}
	free(brain);
	free(mean);
	return MP_OK;
}

/* ---------------------------------------------------------------- the task */

static int infer_case(const struct model *m, const struct opts *o, const char *file,
		      const char *id, const int label[NTISSUE], mp_errbuf *e)
{
	char name[512];
	snprintf(name, sizeof(name), "%s.nii.gz", id);
	char *in = path_join(o->data_path, file), *outp = path_join(o->output_path, name);
	struct vol img;
	memset(&img, 0, sizeof(img));
	unsigned char *pred = NULL;
	int rc = MP_OK;
	if (in == NULL || outp == NULL) {
		rc = mp_seterr(e, MP_ENOMEM, "out of memory");
		goto out;
	}
	rc = vol_read(in, &img, e);
	if (rc != MP_OK)
		goto out;
	pred = malloc(img.n);
	if (pred == NULL || classify(m, &img, label, pred) != MP_OK) {
		rc = mp_seterr(e, MP_ENOMEM, "out of memory");
		goto out;
	}
	rc = niftiw_write(outp, &img.img, NIFTI_DT_UINT8, pred, "brain-seg prediction", e);
	if (rc == MP_OK)
		printf("predicted %s\n", id);
out:
	vol_release(&img);
	free(pred);
	free(in);
	free(outp);
	return rc;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const char *const names[] = { "data_path", "output_path", "parameters_file",
					     "weights" };
	const char **slots[] = { &o->data_path, &o->output_path, &o->parameters_file, &o->weights };
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		const char **slot = NULL;
		for (size_t k = 0; strncmp(a, "--", 2) == 0 && k < 4 && slot == NULL; k++) {
			size_t j = 0;
			while (j < len && names[k][j] && (a[2 + j] == '-' ? '_' : a[2 + j]) == names[k][j])
				j++;
			if (j == len && names[k][j] == '\0')
				slot = slots[k];
		}
		if (slot == NULL) {
			fprintf(stderr, PROG ": unknown argument '%s'\n", a);
			return 2;
		}
		if (eq == NULL && i + 1 >= argc) {
			fprintf(stderr, PROG ": option '%s' needs a value\n", a);
			return 2;
		}
		*slot = eq ? eq + 1 : argv[++i];
	}
	if (!o->data_path || !o->output_path || !o->weights) {
		fprintf(stderr, PROG " infer: --weights, --data_path and --output_path are required\n");
		usage(stderr);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "infer") != 0) {
		int help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
		if (!help && argc >= 2)
			fprintf(stderr, PROG ": unknown task '%s' (infer)\n", argv[1]);
		usage(help ? stdout : stderr);
		return help ? 0 : 2;
	}
	struct opts o = { 0 };
	int rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc;
	mp_errbuf e = { { 0 } };
	struct params p;
	struct model m;
	struct caselist cl = { 0 };
	int label[NTISSUE];
	rc = params_load(o.parameters_file, SPECS, NSPECS, &p, &e);
	if (rc == MP_OK)
		rc = weights_read(o.weights, &m, &e);
	if (rc == MP_OK) {
		label[0] = (int)params_get(&p, SPECS, NSPECS, "label_csf");
		label[1] = (int)params_get(&p, SPECS, NSPECS, "label_gm");
		label[2] = (int)params_get(&p, SPECS, NSPECS, "label_wm");
		if (label[0] == label[1] || label[0] == label[2] || label[1] == label[2])
			rc = mp_seterr(&e, MP_EINVAL, "'%s': label_csf, label_gm and label_wm must "
				       "differ", o.parameters_file);
	}
	if (rc == MP_OK)
		rc = caselist_read(o.data_path, &cl, &e);
	if (rc == MP_OK && mkdir(o.output_path, 0755) != 0 && errno != EEXIST)
		rc = mp_seterr(&e, MP_EIO, "'%s': %s", o.output_path, strerror(errno));
	for (size_t i = 0; rc == MP_OK && i < cl.n; i++)
		rc = infer_case(&m, &o, cl.file[i], cl.id[i], label, &e);
	if (rc == MP_OK)
		printf("%s model: %zu cases predicted\n", KIND_NAME[m.kind], cl.n);
	else
		fprintf(stderr, PROG " infer: %s\n", e.msg);
	caselist_release(&cl);
	params_release(&p);
	return rc == MP_OK ? 0 : 1;
}
