/*
 * cmd_evaluate.c: `medperf-metrics evaluate`, the evaluator task of a
 * MedPerf metrics container (mount keys predictions, labels,
 * parameters_file, output_path; reference §3.2). It reads the parameters
 * YAML, picks the task (classification or segmentation), finds the files
 * in the folders, runs classif_evaluate() or seg_evaluate(), and writes the
 * results YAML mapping to output_path: atomically (a temporary file
 * renamed over it) where its folder is writable, else in place, as when
 * the runner mounts output_path as a single file in a read-only folder.
 *
 * Options come as `--name value` or `--name=value` (MLCube's form), with
 * MedPerf's underscores or with hyphens. Parameter keys: docs/metrics.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/yaml.h"
#include "metrics/metrics.h"

static const char evaluate_usage[] =
	"usage: medperf-metrics evaluate --predictions DIR --labels DIR\n"
	"                                --parameters_file FILE --output_path FILE\n"
	"\n"
	"The evaluator task: reads the parameters file (task: classification or\n"
	"segmentation, and that task's options), computes the metrics of the\n"
	"predictions against the labels, and writes the results YAML to output_path.\n"
	"\n"
	"options (also as --name=value, and with hyphens: --parameters-file):\n"
	"  --predictions DIR        the model's predictions (a folder, or one file)\n"
	"  --labels DIR             the prepared labels (a folder, or one file)\n"
	"  --parameters_file FILE   the parameters YAML (docs/metrics.md)\n"
	"  --output_path FILE       where the results YAML is written (atomically\n"
	"                           when its folder is writable, else in place)\n"
	"  --local_outputs_path DIR, --additional_files DIR   accepted and unused\n"
	"  -h, --help               show this help\n"
	"\n"
	"exit status: 0 results written, 1 bad input or parameters (the message names\n"
	"the file and the problem), 2 usage error.\n";

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether a folder (or a file) holds NIfTI images. */
/* A NIfTI file by its name: .nii, .nii.gz, or the header of a .hdr/.img pair. */
static int is_nifti_name(const char *name)
{
	return has_suffix(name, ".nii") || has_suffix(name, ".nii.gz") || has_suffix(name, ".hdr");
}

static int holds_nifti(const char *path)
{
	DIR *d;
	struct dirent *de;
	int found = 0;

	if (!is_dir(path))
		return is_nifti_name(path);
	d = opendir(path);
	if (d == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL)
		found = is_nifti_name(de->d_name);
	closedir(d);
	return found;
}

/*
 * The file of a folder to read: the name given in the parameters, or the
 * folder's only .csv or .json file. A path that is a file is used as is.
 * *out is malloc'd.
 */
static int find_file(const char *dir, const json_t *name, const char *key, const char *params,
		     int line, char **out, mp_errbuf *e)
{
	struct buf b, found;
	DIR *d;
	struct dirent *de;
	size_t count = 0;
	int rc = MP_OK;

	*out = NULL;
	if (!is_dir(dir)) {
		*out = strdup(dir);
		return *out ? MP_OK : mp_seterr(e, MP_ENOMEM, "out of memory");
	}
	buf_init(&b, 4096);
	buf_init(&found, 200);
	if (name) {
		if (!json_is_string(name) || json_string_length(name) == 0)
			rc = mp_seterr(e, MP_EINVAL, "%s:%d: %s must be a file name", params, line,
				       key);
		else if (buf_addf(&b, "%s/%s", dir, json_string_value(name)))
			rc = mp_seterr(e, MP_ETOOBIG, "%s: path too long", dir);
		goto out;
	}
	d = opendir(dir);
	if (d == NULL) {
		rc = mp_seterr(e, MP_EIO, "%s: cannot list the folder", dir);
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    !(has_suffix(de->d_name, ".csv") || has_suffix(de->d_name, ".json")))
			continue;
		if (count++ == 0) {
			buf_reset(&b);
			buf_addf(&b, "%s/%s", dir, de->d_name);
		}
		buf_addf(&found, "%s%s", count > 1 ? ", " : "", de->d_name);
	}
	closedir(d);
	if (count == 0)
		rc = mp_seterr(e, MP_EINVAL, "%s: no .csv or .json file (name one with %s in %s)",
			       dir, key, params);
	else if (count > 1)
		rc = mp_seterr(e, MP_EINVAL, "%s: several .csv or .json files (%s): name one with "
			       "%s in %s", dir, found.data, key, params);
out:
	if (rc == MP_OK) {
		*out = buf_detach(&b, NULL);
		if (*out == NULL)
			rc = mp_seterr(e, MP_ENOMEM, "out of memory");
	}
	buf_release(&b);
	buf_release(&found);
	return rc;
}

static int key_line(const struct yaml_doc *doc, const char *key)
{
	char ptr[300];

	snprintf(ptr, sizeof(ptr), "/%s", key ? key : "");
	return yaml_line(doc, ptr);
}

/* The task's options: the parameters without the keys the evaluator reads. */
static json_t *task_options(const json_t *params, const char *const *own)
{
	json_t *o = json_deep_copy(params);

	json_object_del(o, "task");
	for (size_t i = 0; o && own[i]; i++)
		json_object_del(o, own[i]);
	return o;
}

static int run_classification(const char *pred, const char *lab, const char *params_path,
			      const json_t *params, const struct yaml_doc *doc,
			      const json_t *opts, json_t **results, mp_errbuf *e)
{
	char *pf = NULL, *lf = NULL;
	int rc;

	rc = find_file(pred, json_object_get(params, "predictions_file"), "predictions_file",
		       params_path, key_line(doc, "predictions_file"), &pf, e);
	if (rc == MP_OK)
		rc = find_file(lab, json_object_get(params, "labels_file"), "labels_file",
			       params_path, key_line(doc, "labels_file"), &lf, e);
	if (rc == MP_OK)
		rc = classif_evaluate(pf, lf, opts, results, e);
	free(pf);
	free(lf);
	return rc;
}

static int run_segmentation(const char *pred, const char *lab, const char *params_path,
			    const json_t *params, const struct yaml_doc *doc, const json_t *opts,
			    json_t **results, mp_errbuf *e)
{
	(void)params_path;
	(void)params;
	(void)doc;
	return seg_evaluate(pred, lab, opts, results, e);
}

/*
 * The tasks: each one's own parameter keys (besides "task"), the check of
 * the rest (its options), and the run.
 */
static const char *const classif_own[] = {"predictions_file", "labels_file", NULL};
static const char *const seg_own[] = {NULL};

static const struct task {
	const char *name;
	const char *const *own;
	int (*check)(const json_t *opts, const char **key, mp_errbuf *e);
	int (*run)(const char *pred, const char *lab, const char *params_path,
		   const json_t *params, const struct yaml_doc *doc, const json_t *opts,
		   json_t **results, mp_errbuf *e);
} tasks[] = {
	{"classification", classif_own, classif_check_options, run_classification},
	{"segmentation", seg_own, seg_check_options, run_segmentation},
};

/*
 * Writes the results to an existing regular file in place: MedPerf mounts
 * output_path as one file, and the folder around such a mount is read-only,
 * so no temporary file can be made beside it.
 */
static int write_in_place(const char *path, const json_t *results, mp_errbuf *e)
{
	struct buf b;
	const char *p;
	size_t left;
	int fd, rc;

	buf_init(&b, 0);
	rc = yaml_dump(&b, results);
	if (rc) {
		buf_release(&b);
		return mp_seterr(e, rc, "cannot write '%s' as YAML: %s", path, mp_strerror(rc));
	}
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = mp_seterr(e, MP_EIO, "cannot open '%s': %s", path, strerror(errno));
		buf_release(&b);
		return rc;
	}
	for (p = b.data, left = b.len; left > 0;) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = mp_seterr(e, MP_EIO, "cannot write '%s': %s", path, strerror(errno));
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	if (close(fd) != 0 && rc == MP_OK)
		rc = mp_seterr(e, MP_EIO, "cannot write '%s': %s", path, strerror(errno));
	buf_release(&b);
	return rc;
}

/* In place when path is a regular file in a folder this process cannot write to. */
static int write_results(const char *path, const json_t *results, mp_errbuf *e)
{
	struct stat st;
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	int in_place;

	if (dir == NULL)
		return mp_seterr(e, MP_ENOMEM, "out of memory");
	in_place = lstat(path, &st) == 0 && S_ISREG(st.st_mode) && access(dir, W_OK) != 0;
	free(dir);
	return in_place ? write_in_place(path, results, e) : yaml_write_file(path, results, 0644, e);
}

static int evaluate(const char *pred, const char *lab, const char *params_path, const char *out,
		    mp_errbuf *e)
{
	json_t *params = NULL, *results = NULL, *task, *opts = NULL;
	struct yaml_doc *doc = NULL;
	const struct task *t = NULL;
	const char *name, *key = NULL;
	int rc;

	rc = yaml_load_file(params_path, 0, &params, &doc, e);
	if (rc)
		goto out;
	if (json_is_null(params)) {
		json_decref(params);
		params = json_object();
	}
	if (!json_is_object(params)) {
		rc = mp_seterr(e, MP_EINVAL, "%s: the parameters must be a mapping", params_path);
		goto out;
	}
	task = json_object_get(params, "task");
	name = task ? json_string_value(task)
		    : holds_nifti(pred) ? "segmentation" : "classification";
	for (size_t i = 0; name && i < sizeof(tasks) / sizeof(tasks[0]); i++)
		if (strcmp(name, tasks[i].name) == 0)
			t = &tasks[i];
	if (t == NULL) {
		rc = mp_seterr(e, MP_EINVAL, "%s:%d: task %s%s%sis not classification or "
			       "segmentation", params_path, key_line(doc, "task"), name ? "'" : "",
			       name ? name : "", name ? "' " : "");
		goto out;
	}
	opts = task_options(params, t->own);
	if (opts == NULL) {
		rc = mp_seterr(e, MP_ENOMEM, "out of memory");
		goto out;
	}
	rc = t->check(opts, &key, e);
	if (rc) {
		mp_errbuf inner = *e;
		mp_seterr(e, rc, "%s:%d: %s", params_path, key_line(doc, key), inner.msg);
		goto out;
	}
	rc = t->run(pred, lab, params_path, params, doc, opts, &results, e);
	if (rc == MP_OK && !json_is_object(results))
		rc = mp_seterr(e, MP_EINVAL, "the %s task gave no results mapping", t->name);
	if (rc == MP_OK)
		rc = write_results(out, results, e);
out:
	json_decref(params);
	json_decref(results);
	json_decref(opts);
	yaml_doc_free(doc);
	return rc;
}

int cmd_evaluate(int argc, char **argv)
{
	enum { O_PRED = 1, O_LAB, O_PARAMS, O_OUT, O_IGNORED };
	static const struct option opts[] = {
		{"predictions", required_argument, NULL, O_PRED},
		{"labels", required_argument, NULL, O_LAB},
		{"parameters_file", required_argument, NULL, O_PARAMS},
		{"parameters-file", required_argument, NULL, O_PARAMS},
		{"output_path", required_argument, NULL, O_OUT},
		{"output-path", required_argument, NULL, O_OUT},
		{"local_outputs_path", required_argument, NULL, O_IGNORED},
		{"local-outputs-path", required_argument, NULL, O_IGNORED},
		{"additional_files", required_argument, NULL, O_IGNORED},
		{"additional-files", required_argument, NULL, O_IGNORED},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *pred = NULL, *lab = NULL, *params = NULL, *out = NULL;
	mp_errbuf e;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_PRED: pred = optarg; break;
		case O_LAB: lab = optarg; break;
		case O_PARAMS: params = optarg; break;
		case O_OUT: out = optarg; break;
		case O_IGNORED: break;
		case 'h': fputs(evaluate_usage, stdout); return 0;
		default: fputs(evaluate_usage, stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "medperf-metrics evaluate: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!pred || !lab || !params || !out) {
		fprintf(stderr, "medperf-metrics evaluate: --predictions, --labels, "
			"--parameters_file and --output_path are required (see --help)\n");
		return 2;
	}
	if (evaluate(pred, lab, params, out, &e)) {
		fprintf(stderr, "medperf-metrics evaluate: %s\n", e.msg);
		return 1;
	}
	return 0;
}
