/*
 * fuzz_archive.c: fuzz target for runner/archive: the input, as an archive
 * file, is extracted with small limits into a fresh folder under /tmp, and
 * manifest.json is read from it. After a successful extraction every
 * symbolic link that resolves must stay inside the extracted folder, and
 * nothing may appear beside it; any escape aborts (a finding). Everything
 * is removed before returning.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Removes name under dfd and everything in it (folders made writable first). */
static void remove_all(int dfd, const char *name)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(dfd, name, 0);
		return;
	}
	fchmodat(dfd, name, 0700, 0);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL && fd >= 0)
		close(fd);
	while (d != NULL && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			remove_all(dirfd(d), de->d_name);
	if (d != NULL)
		closedir(d);
	unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Aborts if a symbolic link under path resolves outside root (a real path). */
static void check_links(const char *path, const char *root, size_t rootlen)
{
	struct dirent *de;
	struct stat st;
	char sub[PATH_MAX], real[PATH_MAX];
	DIR *d;

	chmod(path, 0700);  /* a folder the archive made unreadable */
	d = opendir(path);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= (int)sizeof(sub) ||
		    lstat(sub, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			check_links(sub, root, rootlen);
		} else if (S_ISLNK(st.st_mode) && realpath(sub, real) != NULL &&
			   !(strncmp(real, root, rootlen) == 0 &&
			     (real[rootlen] == '\0' || real[rootlen] == '/'))) {
			fprintf(stderr, "fuzz_archive: link %s escapes to %s\n", sub, real);
			abort();
		}
	}
	closedir(d);
}

/* Aborts if the folder holds anything but "in" and "out". */
static void check_nothing_beside(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, "in") != 0 && strcmp(de->d_name, "out") != 0) {
			fprintf(stderr, "fuzz_archive: '%s' left beside the folder\n", de->d_name);
			abort();
		}
	}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct archive_limits lim = {.max_entries = 64, .max_total_bytes = 1 << 20,
					   .max_entry_bytes = 256 << 10, .max_path = 256,
					   .max_depth = 16};
	char dir[] = "/tmp/fuzz-archive-XXXXXX";
	char in[64], out[64], real[PATH_MAX];
	struct archive_stats st;
	mp_errbuf e;
	char *text = NULL;
	size_t len;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return 0;
	snprintf(in, sizeof(in), "%s/in", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	f = fopen(in, "wb");
	if (f != NULL) {
		if (size > 0)
			fwrite(data, 1, size, f);
		fclose(f);
		if (archive_extract_safe(in, out, &lim, &st, &e) == MP_OK &&
		    realpath(out, real) != NULL)
			check_links(out, real, strlen(real));
		check_nothing_beside(dir);
		if (archive_read_member(in, "manifest.json", 4096, &text, &len, &e) == MP_OK)
			free(text);
	}
	remove_all(AT_FDCWD, dir);
	return 0;
}
