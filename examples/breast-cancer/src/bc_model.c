/* bc_model.c: the infer task shared by the breast-cancer models (see bc_model.h):
 * options, the weights reader, prepared data in, predictions.csv out. */
#include "bc_model.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void read_weights(const char *path, struct bc_weights *w)
{
	struct stat st;
	FILE *f = fopen(path, "re");
	if (!f)
		bc_die("weights '%s': %s", path, strerror(errno));
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20))
		bc_die("weights '%s': not a regular file of at most 1 MiB", path);
	w->path = path;
	w->text = bc_xmalloc((size_t)st.st_size + 1);
	size_t len = fread(w->text, 1, (size_t)st.st_size, f);
	fclose(f);
	w->text[len] = '\0';
	w->n = 0;
	w->lines = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	for (char *p = w->text; *p;) {
		char *nl = strchr(p, '\n'), *line = p;
		lineno++;
		if (nl)
			*nl = '\0';
		p = nl ? nl + 1 : p + strlen(p);
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *save = NULL, *tok = strtok_r(line, " \t\r", &save);
		if (!tok)
			continue;
		if (w->n == cap) {
			cap = cap ? 2 * cap : 32;
			w->lines = bc_xrealloc(w->lines, cap * sizeof(*w->lines));
		}
		struct bc_wline *l = &w->lines[w->n++];
		l->key = tok;
		l->line = lineno;
		l->nvals = 0;
		l->vals = NULL;
		size_t vcap = 0;
		while ((tok = strtok_r(NULL, " \t\r", &save)) != NULL) {
			if (l->nvals == vcap) {
				vcap = vcap ? 2 * vcap : 8;
				l->vals = bc_xrealloc(l->vals, vcap * sizeof(char *));
			}
			l->vals[l->nvals++] = tok;
		}
	}
}

const struct bc_wline *bc_w_get(const struct bc_weights *w, const char *key)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->lines[i].key, key) == 0)
			return &w->lines[i];
	bc_die("weights '%s': no line '%s'", w->path, key);
}

double bc_w_number(const struct bc_weights *w, const struct bc_wline *l, size_t i)
{
	double v;
	if (i >= l->nvals)
		bc_die("%s:%u: '%s' needs more than %zu values", w->path, l->line, l->key,
		       l->nvals);
	if (bc_parse_double(l->vals[i], &v) != 0)
		bc_die("%s:%u: value %zu of '%s' is '%s', not a finite number", w->path, l->line,
		       i + 1, l->key, l->vals[i]);
	return v;
}

void bc_w_numbers(const struct bc_weights *w, const char *key, double *out, size_t count)
{
	const struct bc_wline *l = bc_w_get(w, key);
	if (l->nvals != count)
		bc_die("%s:%u: '%s' has %zu values, not %zu", w->path, l->line, key, l->nvals,
		       count);
	for (size_t i = 0; i < count; i++)
		out[i] = bc_w_number(w, l, i);
}

/* <folder of the program>/../weights/NAME.txt */
static char *default_weights(const char *name)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		bc_die("cannot find the program's own folder (give --weights)");
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	*slash = '\0';
	size_t len = strlen(exe) + strlen(name) + 32;
	char *p = bc_xmalloc(len);
	snprintf(p, len, "%s/../weights/%s.txt", exe, name);
	return p;
}

int bc_model_main(int argc, char **argv, const struct bc_model *m)
{
	static const char *const names[] = {"data_path", "output_path", "weights",
		"parameters_file", "additional_files", NULL};
	const char *o[5];
	char prog[64];
	snprintf(prog, sizeof(prog), "bc-%s", m->name);
	bc_set_prog(prog);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fprintf(argc < 2 ? stderr : stdout, "usage: %s infer --data_path DATA "
			"--output_path PREDICTIONS [--weights FILE]\n", prog);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "infer") != 0)
		bc_usage_die("unknown task '%s' (a model has one task: infer)", argv[1]);
	bc_parse_options(argc - 2, argv + 2, names, o);
	if (!o[0] || !o[1])
		bc_usage_die("infer needs --data_path and --output_path");
	bc_need_dir(o[1], "predictions folder");

	struct bc_weights w;
	char *wpath = o[2] ? bc_xstrdup(o[2]) : default_weights(m->name);
	read_weights(wpath, &w);
	const struct bc_wline *model = bc_w_get(&w, "model");
	if (model->nvals != 1 || strcmp(model->vals[0], m->name) != 0)
		bc_die("%s:%u: these are not %s weights", w.path, model->line, m->name);
	const struct bc_wline *feat = bc_w_get(&w, "features");
	if (feat->nvals != BC_FEATURES)
		bc_die("%s:%u: %zu features, not %d", w.path, feat->line, feat->nvals, BC_FEATURES);
	for (size_t j = 0; j < BC_FEATURES; j++)
		if (strcmp(feat->vals[j], bc_feature_names[j]) != 0)
			bc_die("%s:%u: feature %zu is '%s', the prepared data's is '%s'", w.path,
			       feat->line, j + 1, feat->vals[j], bc_feature_names[j]);
	m->load(&w);

	struct bc_csv csv;
	struct bc_cases cases;
	bc_read_prepared(o[0], &cases, &csv);
	struct bc_buf b = {0};
	bc_buf_add(&b, "id,p_malignant\n");
	for (size_t i = 0; i < cases.n; i++) {
		char num[40];
		double p = m->predict(cases.x + i * BC_FEATURES);
		if (!(p >= 0 && p <= 1))
			bc_die("case '%s': the model gave %g, not a probability", cases.ids[i], p);
		bc_format_double(num, p);
		bc_buf_printf(&b, "%s,%s\n", cases.ids[i], num);
	}
	bc_write_in_dir(o[1], "predictions.csv", &b);
	printf("%s: predictions for %zu cases written\n", prog, cases.n);

	bc_buf_free(&b);
	free(cases.ids);
	free(cases.x);
	bc_csv_free(&csv);
	for (size_t i = 0; i < w.n; i++)
		free(w.lines[i].vals);
	free(w.lines);
	free(w.text);
	free(wpath);
	return 0;
}
