/*
 * params.h: the parameters files of the brain segmentation example's
 * programs. They are YAML, but only its flattest form is read: one
 * "key: number" per line, with blank lines and '#' comments. Anything else
 * (nesting, lists, strings, a key given twice, an unknown key) is refused
 * with the file's name and the line, so a misspelt key never falls back to a
 * default in silence. An empty file (MedPerf mounts one when a container has
 * no parameters) means every default.
 *
 * Lifecycle: params_load fills a caller's struct; params_release frees it.
 */
#ifndef BS_PARAMS_H
#define BS_PARAMS_H

#include "core/err.h"

#define PARAMS_MAX 32

struct params {
	int n;
	char *key[PARAMS_MAX];
	double val[PARAMS_MAX];
	int line[PARAMS_MAX];
	char path[512];
};

/* One key the program knows: its default and the range a value must be in. */
struct param_spec {
	const char *key;
	double def;
	double min, max;
	int integer;   /* the value must be a whole number */
	const char *help;
};

/*
 * Reads path (NULL or "": no file, every default) and checks every key
 * against specs (n of them): known, in range, whole when it must be. Returns
 * MP_OK, or MP_EINVAL / MP_EIO with "'PATH':LINE: problem" in e.
 */
int params_load(const char *path, const struct param_spec *specs, int n, struct params *p,
		mp_errbuf *e);
/* The value of key (its default when the file does not give it). */
double params_get(const struct params *p, const struct param_spec *specs, int n,
		  const char *key);
void params_release(struct params *p);

#endif
