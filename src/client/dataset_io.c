/*
 * dataset_io.c: a dataset's local copy packed and unpacked (see
 * dataset_io.h). The archive is a gzip'd tar (pax) written with libarchive:
 * folders, regular files and symbolic links as they are (never followed);
 * it is read back only through archive_extract_safe, so an archive from
 * elsewhere cannot write outside the folder it is unpacked into.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/dataset_io.h"
#include "client/entity.h"
#include "client/tree.h"
#include "core/yaml.h"
#include "runner/archive.h"

#define ARCHIVE_CONFIG "archive_config.yaml"

/* ---- export ---- */

/* Adds the tree at path to the archive under the name name (recursively). */
static int add_tree(struct archive *ar, const char *path, const char *name, char *why, size_t n)
{
	struct archive_entry *en;
	struct stat st;
	int rc = 0;

	if (lstat(path, &st) != 0) {
		snprintf(why, n, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		return 0; /* sockets, FIFOs, devices: not data */
	en = archive_entry_new();
	archive_entry_copy_stat(en, &st);
	archive_entry_set_pathname(en, name);
	archive_entry_set_uid(en, 0);
	archive_entry_set_gid(en, 0);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t k = readlink(path, target, sizeof(target) - 1);
		if (k < 0) {
			archive_entry_free(en);
			snprintf(why, n, "cannot read the link '%s': %s", path, strerror(errno));
			return -1;
		}
		target[k] = '\0';
		archive_entry_set_symlink(en, target);
	}
	if (archive_write_header(ar, en) != ARCHIVE_OK) {
		snprintf(why, n, "%s: %s", name, archive_error_string(ar));
		archive_entry_free(en);
		return -1;
	}
	archive_entry_free(en);
	if (S_ISREG(st.st_mode)) {
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		char b[65536];
		ssize_t k = 0;
		while (fd >= 0 && (k = read(fd, b, sizeof(b))) > 0)
			if (archive_write_data(ar, b, (size_t)k) != k) {
				rc = -1;
				break;
			}
		if (fd < 0 || k < 0 || rc) {
			snprintf(why, n, "cannot pack '%s': %s", path,
				 rc ? archive_error_string(ar) : strerror(errno));
			rc = -1;
		}
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;
		if (d == NULL) {
			snprintf(why, n, "cannot read '%s': %s", path, strerror(errno));
			return -1;
		}
		while (rc == 0 && (de = readdir(d)) != NULL) {
			char p[PATH_MAX], nm[PATH_MAX];
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if ((size_t)snprintf(p, sizeof(p), "%s/%s", path, de->d_name) >= sizeof(p) ||
			    (size_t)snprintf(nm, sizeof(nm), "%s/%s", name, de->d_name) >= sizeof(nm)) {
				snprintf(why, n, "a path under '%s' is too long", path);
				rc = -1;
				break;
			}
			rc = add_tree(ar, p, nm, why, n);
		}
		closedir(d);
	}
	return rc;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s && s[1] ? s + 1 : p;
}

int dataset_export(struct ctx *c, const json_t *ds, const char *out_dir)
{
	int64_t id = json_integer_value(json_object_get(ds, "id"));
	int dev = strcmp(profile_str(ds, "state"), "OPERATION") != 0;
	char sid[32], why[600] = "", *dir = NULL, *out = NULL, *tmp = NULL, *cfgf = NULL;
	json_t *raw = NULL, *cfg = NULL;
	struct archive *ar = NULL;
	const char *rd = "", *rl = "";
	mp_errbuf e;
	int rc = EXIT_OK;

	snprintf(sid, sizeof(sid), "%lld", (long long)id);
	dir = storage_entity_dir(c, "data", sid);
	if (dir == NULL || (cfgf = path_join(dir, "raw.yaml")) == NULL)
		return fail(EXIT_FAIL, "out of memory");
	if (access(cfgf, F_OK) != 0 || yaml_load_file(cfgf, 1 << 20, &raw, NULL, &e) != 0) {
		rc = fail(EXIT_FAIL, "dataset %s has no local copy on this machine (no '%s')", sid,
			  cfgf);
		goto out;
	}
	free(cfgf);
	cfgf = NULL;
	if (!path_is_dir(out_dir)) {
		rc = fail(EXIT_FAIL, "--output: '%s' is not a folder", out_dir);
		goto out;
	}
	cfg = json_pack("{s:s,s:I}", "server", profile_str(c->profile, "server"), "dataset",
			(json_int_t)id);
	if (dev) {
		rd = profile_str(raw, "data_path");
		rl = profile_str(raw, "labels_path");
		if (!path_is_dir(rd) || !path_is_dir(rl)) {
			rc = fail(EXIT_FAIL, "dataset %s is in DEVELOPMENT, so its raw data goes along, "
				  "but '%s' or '%s' is not there", sid, rd, rl);
			goto out;
		}
		json_object_set_new(cfg, "raw_data", json_string(base_name(rd)));
		json_object_set_new(cfg, "raw_labels", json_string(base_name(rl)));
		if (!strcmp(base_name(rd), sid) || !strcmp(base_name(rl), sid) ||
		    !strcmp(base_name(rd), ARCHIVE_CONFIG) || !strcmp(base_name(rl), ARCHIVE_CONFIG) ||
		    (strcmp(rd, rl) != 0 && strcmp(base_name(rd), base_name(rl)) == 0)) {
			rc = fail(EXIT_FAIL, "the folders to pack have the same names ('%s', '%s', "
				  "'%s'): rename the raw data or labels folder", sid, base_name(rd),
				  base_name(rl));
			goto out;
		}
	}
	if (asprintf(&out, "%s/%s.gz", out_dir, sid) < 0 ||
	    asprintf(&tmp, "%s/.tmp/export-%s-%ld", c->storage, sid, (long)getpid()) < 0 ||
	    (cfgf = path_join(tmp, ARCHIVE_CONFIG)) == NULL) {
		rc = fail(EXIT_FAIL, "out of memory");
		goto out;
	}
	tree_remove(tmp);
	if (mkdirs(tmp, 0700) != 0 || yaml_write_file(cfgf, cfg, 0600, &e) != 0) {
		rc = fail(EXIT_FAIL, "cannot write '%s'", cfgf);
		goto out;
	}
	ar = archive_write_new();
	if (ar == NULL || archive_write_add_filter_gzip(ar) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(ar) != ARCHIVE_OK ||
	    archive_write_open_filename(ar, out) != ARCHIVE_OK) {
		rc = fail(EXIT_FAIL, "cannot write '%s': %s", out, ar ? archive_error_string(ar) :
			  "out of memory");
		goto out;
	}
	if (add_tree(ar, dir, sid, why, sizeof(why)) != 0 ||
	    add_tree(ar, cfgf, ARCHIVE_CONFIG, why, sizeof(why)) != 0 ||
	    (dev && add_tree(ar, rd, base_name(rd), why, sizeof(why)) != 0) ||
	    (dev && strcmp(rd, rl) != 0 && add_tree(ar, rl, base_name(rl), why, sizeof(why)) != 0))
		rc = fail(EXIT_FAIL, "%s", why);
	if (archive_write_close(ar) != ARCHIVE_OK && rc == EXIT_OK)
		rc = fail(EXIT_FAIL, "cannot write '%s': %s", out, archive_error_string(ar));
	if (rc)
		unlink(out);
	else
		done_msg(c, "Exported dataset %s to %s", sid, out);
out:
	if (ar)
		archive_write_free(ar);
	if (tmp)
		tree_remove(tmp);
	json_decref(raw);
	json_decref(cfg);
	free(dir);
	free(out);
	free(tmp);
	free(cfgf);
	return rc;
}

/* ---- import ---- */

/* Checks the archive's config against the dataset and the profile. */
static int check_config(struct ctx *c, const json_t *cfg, int64_t id, int dev)
{
	json_t *aid = json_object_get(cfg, "dataset");

	if (!json_is_object(cfg) || aid == NULL || *profile_str(cfg, "server") == '\0')
		return fail(EXIT_FAIL, "the archive's %s has no dataset or server: this is no "
			    "medperf dataset export", ARCHIVE_CONFIG);
	if (!json_is_integer(aid) || json_integer_value(aid) != id) {
		char which[32];
		if (json_is_integer(aid))
			snprintf(which, sizeof(which), "%lld", (long long)json_integer_value(aid));
		else
			snprintf(which, sizeof(which), "%.20s", json_is_string(aid) ?
				 json_string_value(aid) : "(not a number)");
		return fail(EXIT_FAIL, "the archive holds dataset %s, not dataset %lld", which,
			    (long long)id);
	}
	if (strcmp(profile_str(cfg, "server"), profile_str(c->profile, "server")) != 0)
		return fail(EXIT_FAIL, "the archive was exported for the server %s, and this "
			    "profile uses %s", profile_str(cfg, "server"),
			    profile_str(c->profile, "server"));
	if (dev && (*profile_str(cfg, "raw_data") == '\0' || *profile_str(cfg, "raw_labels") == '\0'))
		return fail(EXIT_FAIL, "dataset %lld is in DEVELOPMENT but the archive holds no raw "
			    "data (it was exported when the dataset was operational?)", (long long)id);
	return EXIT_OK;
}

/* A name from the archive config: one plain path component. */
static int plain(const char *s)
{
	return *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

int dataset_import(struct ctx *c, const json_t *ds, const char *file, const char *raw_path)
{
	int64_t id = json_integer_value(json_object_get(ds, "id"));
	int dev = strcmp(profile_str(ds, "state"), "OPERATION") != 0;
	char sid[32], *tmp = NULL, *x = NULL, *cfgf = NULL, *dir = NULL, *src = NULL;
	char *rd = NULL, *rl = NULL, *rawf = NULL;
	json_t *cfg = NULL, *raw = NULL;
	struct stat st;
	mp_errbuf e;
	int rc = EXIT_OK;

	snprintf(sid, sizeof(sid), "%lld", (long long)id);
	if (stat(file, &st) != 0 || !S_ISREG(st.st_mode))
		return fail(EXIT_FAIL, "--input: '%s' is not a file", file);
	if (dev && (raw_path == NULL || path_exists(raw_path)))
		return fail(EXIT_USAGE, "dataset %s is in DEVELOPMENT: give --raw_dataset_path, a "
			    "folder that does not exist yet, for its raw data", sid);
	dir = storage_entity_dir(c, "data", sid);
	if (dir == NULL || asprintf(&tmp, "%s/.tmp/import-XXXXXX", c->storage) < 0) {
		free(dir);
		return fail(EXIT_FAIL, "out of memory");
	}
	{
		char *parent = path_join(c->storage, ".tmp");
		if (parent == NULL || mkdirs(parent, 0700) != 0 || mkdtemp(tmp) == NULL)
			rc = fail(EXIT_FAIL, "cannot create '%s': %s", tmp, strerror(errno));
		free(parent);
	}
	if (rc)
		goto out;
	x = path_join(tmp, "x");
	if (x == NULL || (cfgf = path_join(x, ARCHIVE_CONFIG)) == NULL ||
	    (src = path_join(x, sid)) == NULL || (rawf = path_join(dir, "raw.yaml")) == NULL) {
		rc = fail(EXIT_FAIL, "out of memory");
		goto out;
	}
	if (archive_extract_safe(file, x, NULL, NULL, &e) != 0) {
		rc = fail(EXIT_FAIL, "%s: %s", file, e.msg);
		goto out;
	}
	if (access(cfgf, F_OK) != 0) {
		rc = fail(EXIT_FAIL, "%s has no %s: this is no medperf dataset export", file,
			  ARCHIVE_CONFIG);
		goto out;
	}
	if (yaml_load_file(cfgf, 1 << 20, &cfg, NULL, &e) != 0) {
		rc = fail(EXIT_FAIL, "%s", e.msg);
		goto out;
	}
	rc = check_config(c, cfg, id, dev);
	if (rc)
		goto out;
	if (!path_is_dir(src)) {
		rc = fail(EXIT_FAIL, "%s holds no prepared dataset (no folder '%s')", file, sid);
		goto out;
	}
	{
		char *d1 = path_join(dir, "data"), *d2 = path_join(dir, "labels");
		int there = path_exists(d1) || path_exists(d2);
		free(d1);
		free(d2);
		if (there) {
			rc = fail(EXIT_FAIL, "dataset %s exists on this machine already ('%s')", sid,
				  dir);
			goto out;
		}
	}
	if (dev) {
		const char *nd = profile_str(cfg, "raw_data"), *nl = profile_str(cfg, "raw_labels");
		char *ad = path_join(x, nd), *al = path_join(x, nl);
		if (!plain(nd) || !plain(nl) || !path_is_dir(ad) || !path_is_dir(al)) {
			rc = fail(EXIT_FAIL, "%s holds no raw data ('%s', '%s')", file, nd, nl);
		} else if (mkdirs(raw_path, 0755) != 0) {
			rc = fail(EXIT_FAIL, "cannot create '%s': %s", raw_path, strerror(errno));
		} else {
			rd = path_join(raw_path, nd);
			rl = path_join(raw_path, nl);
			if (rd == NULL || rl == NULL || rename(ad, rd) != 0 ||
			    (strcmp(nd, nl) != 0 && rename(al, rl) != 0))
				rc = fail(EXIT_FAIL, "cannot move the raw data into '%s': %s",
					  raw_path, strerror(errno));
		}
		free(ad);
		free(al);
		if (rc)
			goto out;
	}
	{
		char *parent = strdup(dir), *slash = parent ? strrchr(parent, '/') : NULL;
		if (slash)
			*slash = '\0';
		if (parent == NULL || mkdirs(parent, 0700) != 0)
			rc = fail(EXIT_FAIL, "cannot create '%s': %s", parent ? parent : dir,
				  strerror(errno));
		free(parent);
		if (rc)
			goto out;
	}
	if (tree_replace(src, dir) != 0) {
		rc = fail(EXIT_FAIL, "cannot move the dataset into '%s': %s", dir, strerror(errno));
		goto out;
	}
	{
		char rdabs[PATH_MAX] = "", rlabs[PATH_MAX] = "";
		if (rd && realpath(rd, rdabs) == NULL)
			rdabs[0] = '\0';
		if (rl && realpath(rl, rlabs) == NULL)
			rlabs[0] = '\0';
		raw = json_pack("{s:s,s:s}", "data_path", rdabs, "labels_path", rlabs);
	}
	if (yaml_write_file(rawf, raw, 0600, &e) != 0)
		rc = fail(EXIT_FAIL, "%s", e.msg);
	if (rc == EXIT_OK)
		rc = entity_save_local(c, &kind_dataset, ds);
	if (rc == EXIT_OK)
		done_msg(c, "Imported dataset %s into %s%s%s", sid, dir, dev ? ", its raw data into " :
			 "", dev ? raw_path : "");
out:
	if (tmp)
		tree_remove(tmp);
	json_decref(cfg);
	json_decref(raw);
	free(tmp);
	free(x);
	free(cfgf);
	free(dir);
	free(src);
	free(rd);
	free(rl);
	free(rawf);
	return rc;
}
