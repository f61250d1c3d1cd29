/*
 * tree.c: file trees and flag files in the local storage (see tree.h).
 * Trees are walked with lstat: a symbolic link is an entry of its own,
 * removed or skipped, never a way out of the tree.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/cli.h"
#include "client/tree.h"

char *path_join(const char *a, const char *b)
{
	char *out = NULL;

	if (asprintf(&out, "%s/%s", a, b) < 0)
		return NULL;
	return out;
}

int path_is_dir(const char *path)
{
	struct stat st;

	return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int path_exists(const char *path)
{
	struct stat st;

	return path && lstat(path, &st) == 0;
}

int tree_remove(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char p[PATH_MAX];
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", path, de->d_name) >= sizeof(p)) {
			errno = ENAMETOOLONG;
			rc = -1;
			continue;
		}
		if (tree_remove(p) != 0)
			rc = -1;
	}
	closedir(d);
	return rc ? rc : rmdir(path);
}

static int copy_file(const char *s, const char *t, mode_t mode)
{
	int in = open(s, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), out = -1, rc = 0;
	char b[65536];
	ssize_t n = 0;

	if (in >= 0)
		out = open(t, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			   (mode & 0111) ? 0755 : 0644);
	while (out >= 0 && (n = read(in, b, sizeof(b))) > 0)
		if (write(out, b, (size_t)n) != n) {
			rc = -1;
			break;
		}
	if (in < 0 || out < 0 || n < 0)
		rc = -1;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		rc = -1;
	return rc;
}

int tree_copy(const char *src, const char *dst)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (mkdirs(dst, 0755) != 0)
		return -1;
	d = opendir(src);
	if (d == NULL)
		return -1;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char s[PATH_MAX], t[PATH_MAX];
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(s, sizeof(s), "%s/%s", src, de->d_name) >= sizeof(s) ||
		    (size_t)snprintf(t, sizeof(t), "%s/%s", dst, de->d_name) >= sizeof(t) ||
		    stat(s, &st) != 0) {
			rc = -1;
			break;
		}
		if (S_ISDIR(st.st_mode))
			rc = tree_copy(s, t);
		else if (S_ISREG(st.st_mode))
			rc = copy_file(s, t, st.st_mode);
	}
	closedir(d);
	return rc;
}

int tree_replace(const char *src, const char *dst)
{
	if (strcmp(src, dst) == 0)
		return 0;
	if (tree_remove(dst) != 0)
		return -1;
	return rename(src, dst);
}

int flag_set(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	int fd = p ? open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;

	free(p);
	if (fd < 0)
		return -1;
	return close(fd);
}

int flag_get(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	int r = p && access(p, F_OK) == 0;

	free(p);
	return r;
}

void flag_clear(const char *dir, const char *name)
{
	char *p = path_join(dir, name);

	if (p)
		unlink(p);
	free(p);
}
