/*
 * cmd_storage.c: `medperf storage ls|cleanup`: the local storage folders
 * (reference 2.4) with their sizes, and removal of what is only scratch
 * (.tmp, .trash and interrupted downloads).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/cli.h"
#include "client/tree.h"

static const char *const folders[] = {"benchmarks", "cubes", "models", "assets", "data",
	"executions", "predictions", "experiments_logs", "tests", "demo", ".hashed_files",
	".tmp", ".trash", NULL};

/* Total size of a tree in bytes (links not followed). */
static uint64_t tree_size(const char *path)
{
	struct stat st;
	uint64_t total = 0;
	DIR *d;
	struct dirent *de;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return (uint64_t)st.st_size;
	d = opendir(path);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char p[PATH_MAX];
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", path, de->d_name) < sizeof(p))
			total += tree_size(p);
	}
	closedir(d);
	return total;
}

static void human(uint64_t n, char out[32])
{
	if (n >= (uint64_t)1 << 30)
		snprintf(out, 32, "%.1f GiB", (double)n / (1 << 30));
	else if (n >= 1 << 20)
		snprintf(out, 32, "%.1f MiB", (double)n / (1 << 20));
	else if (n >= 1 << 10)
		snprintf(out, 32, "%.1f KiB", (double)n / (1 << 10));
	else
		snprintf(out, 32, "%llu B", (unsigned long long)n);
}

static int ls(struct ctx *c, struct args *a)
{
	static const char *const head[] = {"Folder", "Location", "Size"};
	struct table *t = c->json ? NULL : table_new(head, 3);
	json_t *out = json_array();

	(void)a;
	for (const char *const *f = folders; *f; f++) {
		char p[PATH_MAX], size[32];
		uint64_t n;
		snprintf(p, sizeof(p), "%s/%s", c->storage, *f);
		n = tree_size(p);
		human(n, size);
		if (t) {
			const char *row[3] = {*f, p, size};
			table_add(t, row);
		}
		json_array_append_new(out, json_pack("{s:s,s:s,s:I}", "folder", *f, "location", p,
						     "bytes", (json_int_t)n));
	}
	if (t) {
		table_print(c, t);
		table_free(t);
	} else {
		print_json(out);
	}
	json_decref(out);
	return EXIT_OK;
}

static int cleanup(struct ctx *c, struct args *a)
{
	static const char *const scratch[] = {".tmp", ".trash", NULL};
	uint64_t freed = 0;
	char p[PATH_MAX], size[32];
	DIR *d;
	struct dirent *de;
	int rc = EXIT_OK;

	(void)a;
	for (const char *const *f = scratch; *f; f++) {
		snprintf(p, sizeof(p), "%s/%s", c->storage, *f);
		freed += tree_size(p);
		if (tree_remove(p) != 0)
			rc = fail(EXIT_FAIL, "cannot remove everything in '%s': %s", p,
				  strerror(errno));
	}
	/* interrupted downloads in the cache */
	snprintf(p, sizeof(p), "%s/.hashed_files", c->storage);
	d = opendir(p);
	while (d && (de = readdir(d)) != NULL) {
		char q[PATH_MAX];
		if (strncmp(de->d_name, "download-", 9) != 0)
			continue;
		if ((size_t)snprintf(q, sizeof(q), "%s/%s", p, de->d_name) < sizeof(q)) {
			freed += tree_size(q);
			unlink(q);
		}
	}
	if (d)
		closedir(d);
	human(freed, size);
	if (rc == EXIT_OK)
		done_msg(c, "Cleaned up %s of scratch files in %s", size, c->storage);
	return rc;
}

static const struct opt ls_opts[] = {
	{0, "json", OPT_FLAG, NULL, "print JSON instead of a table", 0},
	{0, NULL, 0, NULL, NULL, 0},
};
static const struct opt no_opts[] = {{0, NULL, 0, NULL, NULL, 0}};

static const struct cmd storage_cmds[] = {
	{"ls", ls, ls_opts, 0, "show the local storage folders and their sizes", NULL},
	{"cleanup", cleanup, no_opts, 0, "remove scratch files (.tmp, .trash, interrupted "
	 "downloads)", NULL},
	{NULL, NULL, NULL, 0, NULL, NULL},
};

const struct group group_storage = {"storage", NULL, storage_cmds, "the local storage"};
