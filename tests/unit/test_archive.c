/*
 * test_archive.c: runner/archive: every refusal (with its message, and
 * nothing left behind), good archives (folders, links, modes, compression)
 * and reading one member. Archives are made here with libarchive's writer.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "runner/archive.h"

/* ------------------------------------------------------------------ */
/* Fixtures: a fresh folder T per test, archives written into it       */
/* ------------------------------------------------------------------ */

static char T[64];           /* the test's folder */
static char A[128], D[128];  /* T/a.tar and T/out */

#define HARD ((mode_t)1)     /* ent.type of a hard link (data: its target) */

struct ent {
	const char *path;
	mode_t type;             /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, ... or HARD */
	mode_t perm;             /* 0: 0644 for files, 0755 for folders, 0777 for links */
	const char *data;        /* a file's content, a link's target */
	uint64_t zeros;          /* or this many zero bytes of content */
};

enum filter { F_NONE, F_GZIP, F_XZ, F_BZIP2, F_ZSTD };

static void rm_rf_at(int dfd, const char *name)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		fchmodat(dfd, name, 0700, 0);
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		d = fd >= 0 ? fdopendir(fd) : NULL;
		while (d != NULL && (de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				rm_rf_at(dirfd(d), de->d_name);
		if (d != NULL)
			closedir(d);
		unlinkat(dfd, name, AT_REMOVEDIR);
	} else {
		unlinkat(dfd, name, 0);
	}
}

static void setup(void)
{
	snprintf(T, sizeof(T), "/tmp/mp-archive-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(T));
	snprintf(A, sizeof(A), "%s/a.tar", T);
	snprintf(D, sizeof(D), "%s/out", T);
}

static void teardown(void)
{
	rm_rf_at(AT_FDCWD, T);
}

static void write_data(struct archive *a, const struct ent *x)
{
	static const char zeros[1 << 16];

	if (x->data != NULL && x->type == AE_IFREG)
		ck_assert_int_eq(archive_write_data(a, x->data, strlen(x->data)),
				 (la_ssize_t)strlen(x->data));
	for (uint64_t left = x->zeros; left > 0;) {
		size_t n = left < sizeof(zeros) ? (size_t)left : sizeof(zeros);
		ck_assert_int_eq(archive_write_data(a, zeros, n), (la_ssize_t)n);
		left -= n;
	}
}

static void make_archive(const char *file, enum filter f, const struct ent *ents, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	ck_assert_int_eq(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	if (f == F_GZIP)
		ck_assert_int_eq(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	if (f == F_XZ)
		ck_assert_int_eq(archive_write_add_filter_xz(a), ARCHIVE_OK);
	if (f == F_BZIP2)
		ck_assert_int_eq(archive_write_add_filter_bzip2(a), ARCHIVE_OK);
	if (f == F_ZSTD)
		ck_assert_int_eq(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open_filename(a, file), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		const struct ent *x = &ents[i];
		mode_t perm = x->perm;

		archive_entry_clear(e);
		archive_entry_set_pathname(e, x->path);
		archive_entry_set_mtime(e, 1700000000, 0);
		if (x->type == HARD) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, x->data);
			archive_entry_set_perm(e, 0644);
		} else {
			if (perm == 0)
				perm = x->type == AE_IFDIR ? 0755 : x->type == AE_IFLNK ? 0777 : 0644;
			archive_entry_set_filetype(e, x->type);
			archive_entry_set_perm(e, perm);
			if (x->type == AE_IFLNK)
				archive_entry_set_symlink(e, x->data);
			if (x->type == AE_IFCHR || x->type == AE_IFBLK)
				archive_entry_set_rdev(e, makedev(1, 3));
			if (x->type == AE_IFREG)
				archive_entry_set_size(e, (la_int64_t)(x->data ? strlen(x->data) : 0) +
							      (la_int64_t)x->zeros);
		}
		ck_assert_msg(archive_write_header(a, e) >= ARCHIVE_WARN, "%s: %s", x->path,
			      archive_error_string(a));
		if (x->type == AE_IFREG)
			write_data(a, x);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
}

/* Names in T other than a.tar (a temporary folder left behind would be one). */
static int others_in_T(void)
{
	DIR *d = opendir(T);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, "a.tar") != 0)
			n++;
	closedir(d);
	return n;
}

/* Open file descriptors of this process (to catch leaks). */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* Extracting ents into D fails with rc and exactly msg; nothing is left. */
static void refused_as(const struct ent *ents, size_t n, const struct archive_limits *lim,
		       int rc, const char *msg)
{
	mp_errbuf e = {{0}};
	struct stat st;
	int fds;

	make_archive(A, F_NONE, ents, n);
	fds = open_fds();
	ck_assert_int_eq(archive_extract_safe(A, D, lim, NULL, &e), rc);
	ck_assert_int_eq(open_fds(), fds);
	ck_assert_str_eq(e.msg, msg);
	ck_assert_int_ne(lstat(D, &st), 0);
	ck_assert_int_eq(others_in_T(), 0);
}

#define REFUSED(ents, lim, rc, msg) refused_as(ents, sizeof(ents) / sizeof(ents[0]), lim, rc, msg)

static void extract_ok(const struct ent *ents, size_t n, enum filter f, struct archive_stats *st)
{
	mp_errbuf e = {{0}};
	int fds;

	make_archive(A, f, ents, n);
	fds = open_fds();
	ck_assert_msg(archive_extract_safe(A, D, NULL, st, &e) == MP_OK, "%s", e.msg);
	ck_assert_int_eq(open_fds(), fds);
}

#define EXTRACT_OK(ents, f, st) extract_ok(ents, sizeof(ents) / sizeof(ents[0]), f, st)

/* The content of D/rel, read whole. */
static char *slurp(const char *rel)
{
	static char text[4096];
	char p[256];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", D, rel);
	f = fopen(p, "rb");
	ck_assert_msg(f != NULL, "%s: %s", p, strerror(errno));
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static mode_t mode_of(const char *rel)
{
	struct stat st;
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", D, rel);
	ck_assert_int_eq(lstat(p, &st), 0);
	return st.st_mode;
}

/* ------------------------------------------------------------------ */
/* Refusals                                                            */
/* ------------------------------------------------------------------ */

START_TEST(refuses_absolute_path)
{
	const struct ent ents[] = {{"ok", AE_IFREG, 0, "x", 0}, {"/tmp/evil", AE_IFREG, 0, "x", 0}};

	REFUSED(ents, NULL, MP_EINVAL, "a.tar: entry '/tmp/evil': absolute path");
}
END_TEST

START_TEST(refuses_dotdot)
{
	const struct ent up[] = {{"../x", AE_IFREG, 0, "x", 0}};
	const struct ent inner[] = {{"a/", AE_IFDIR, 0, NULL, 0}, {"a/../../x", AE_IFREG, 0, "x", 0}};

	REFUSED(up, NULL, MP_EINVAL, "a.tar: entry '../x': path leaves the folder");
	REFUSED(inner, NULL, MP_EINVAL, "a.tar: entry 'a/../../x': path leaves the folder");
}
END_TEST

START_TEST(refuses_symlink_to_absolute_path)
{
	const struct ent ents[] = {{"l", AE_IFLNK, 0, "/etc/passwd", 0}};

	REFUSED(ents, NULL, MP_EINVAL,
		"a.tar: entry 'l': symbolic link to an absolute path '/etc/passwd'");
}
END_TEST

START_TEST(refuses_symlink_leaving_the_tree)
{
	const struct ent deep[] = {{"d/l", AE_IFLNK, 0, "../../x", 0}};
	const struct ent top[] = {{"l", AE_IFLNK, 0, "..", 0}};

	REFUSED(deep, NULL, MP_EINVAL, "a.tar: entry 'd/l': symbolic link '../../x' leaves the folder");
	REFUSED(top, NULL, MP_EINVAL, "a.tar: entry 'l': symbolic link '..' leaves the folder");
}
END_TEST

START_TEST(refuses_symlink_chain_escaping)
{
	/* d/up is the tree itself; "d/up/.." looks like "d" but is the tree's parent */
	const struct ent chain[] = {{"d/up", AE_IFLNK, 0, "..", 0},
				    {"esc", AE_IFLNK, 0, "d/up/..", 0}};
	/* the same, the escaping link first (d/up does not exist yet) */
	const struct ent early[] = {{"esc", AE_IFLNK, 0, "d/up/../..", 0},
				    {"d/up", AE_IFLNK, 0, "..", 0}};

	REFUSED(chain, NULL, MP_EINVAL, "a.tar: entry 'esc': symbolic link 'd/up/..' has '..' "
		"after a name (only leading '..' are allowed)");
	REFUSED(early, NULL, MP_EINVAL, "a.tar: entry 'esc': symbolic link 'd/up/../..' has '..' "
		"after a name (only leading '..' are allowed)");
}
END_TEST

START_TEST(refuses_hard_link_outside)
{
	const struct ent up[] = {{"h", HARD, 0, "../../etc/passwd", 0}};
	const struct ent abs[] = {{"h", HARD, 0, "/etc/passwd", 0}};

	REFUSED(up, NULL, MP_EINVAL,
		"a.tar: entry 'h': hard link to '../../etc/passwd': path leaves the folder");
	REFUSED(abs, NULL, MP_EINVAL, "a.tar: entry 'h': hard link to '/etc/passwd': absolute path");
}
END_TEST

START_TEST(refuses_hard_link_to_what_is_not_an_extracted_file)
{
	const struct ent later[] = {{"h", HARD, 0, "later", 0}, {"later", AE_IFREG, 0, "x", 0}};
	const struct ent dir[] = {{"d/", AE_IFDIR, 0, NULL, 0}, {"h", HARD, 0, "d", 0}};
	const struct ent link[] = {{"f", AE_IFREG, 0, "x", 0}, {"l", AE_IFLNK, 0, "f", 0},
				   {"h", HARD, 0, "l", 0}};
	const struct ent via[] = {{"d/f", AE_IFREG, 0, "x", 0}, {"l", AE_IFLNK, 0, "d", 0},
				  {"h", HARD, 0, "l/f", 0}};

	REFUSED(later, NULL, MP_EINVAL,
		"a.tar: entry 'h': hard link to 'later', not a regular file extracted earlier");
	REFUSED(dir, NULL, MP_EINVAL,
		"a.tar: entry 'h': hard link to 'd', not a regular file extracted earlier");
	REFUSED(link, NULL, MP_EINVAL,
		"a.tar: entry 'h': hard link to 'l', not a regular file extracted earlier");
	REFUSED(via, NULL, MP_EINVAL,
		"a.tar: entry 'h': hard link to 'l/f', not a regular file extracted earlier");
}
END_TEST

START_TEST(refuses_devices_and_fifos)
{
	const struct ent chr[] = {{"dev/null", AE_IFCHR, 0666, NULL, 0}};
	const struct ent blk[] = {{"sda", AE_IFBLK, 0660, NULL, 0}};
	const struct ent fifo[] = {{"ok/", AE_IFDIR, 0, NULL, 0}, {"ok/p", AE_IFIFO, 0644, NULL, 0}};

	REFUSED(chr, NULL, MP_EINVAL, "a.tar: entry 'dev/null': character device not allowed");
	REFUSED(blk, NULL, MP_EINVAL, "a.tar: entry 'sda': block device not allowed");
	REFUSED(fifo, NULL, MP_EINVAL, "a.tar: entry 'ok/p': FIFO not allowed");
}
END_TEST

START_TEST(refuses_too_many_entries)
{
	const struct ent ents[] = {{"a", AE_IFREG, 0, "1", 0}, {"b", AE_IFREG, 0, "2", 0},
				   {"c/", AE_IFDIR, 0, NULL, 0}, {"c/d", AE_IFREG, 0, "", 0},
				   {"e", AE_IFLNK, 0, "a", 0}, {"f", AE_IFREG, 0, "3", 0}};
	const struct archive_limits lim = {.max_entries = 5};
	struct archive_stats st;
	mp_errbuf e;

	REFUSED(ents, &lim, MP_ETOOBIG, "a.tar: more than 5 entries");
	/* the same with room for six */
	make_archive(A, F_NONE, ents, 6);
	ck_assert_int_eq(archive_extract_safe(A, D, &(struct archive_limits){.max_entries = 6}, &st,
					      &e), MP_OK);
	ck_assert_uint_eq(st.entries, 6);
	ck_assert_uint_eq(st.bytes, 3);
}
END_TEST

START_TEST(stops_a_decompression_bomb_early)
{
	const struct ent ents[] = {{"zeros", AE_IFREG, 0, NULL, (uint64_t)200 << 20}};
	const struct archive_limits lim = {.max_total_bytes = 10 << 20};
	struct archive_stats st;
	struct timespec t0, t1;
	struct stat sb;
	mp_errbuf e;
	double secs;

	make_archive(A, F_GZIP, ents, 1);
	ck_assert_int_eq(stat(A, &sb), 0);
	ck_assert_int_lt(sb.st_size, 1 << 20);  /* 200 MB in under 1 MB */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(archive_extract_safe(A, D, &lim, &st, &e), MP_ETOOBIG);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_str_eq(e.msg, "a.tar: entry 'zeros': the archive has more than 10485760 bytes "
		"of content");
	ck_assert_msg(secs < 3.0, "took %.2f s", secs);
	ck_assert_uint_le(st.bytes, 10 << 20);
	ck_assert_int_ne(lstat(D, &sb), 0);
	ck_assert_int_eq(others_in_T(), 0);
}
END_TEST

START_TEST(refuses_entry_over_its_limit)
{
	const struct ent big[] = {{"small", AE_IFREG, 0, "x", 0}, {"big", AE_IFREG, 0, NULL, 1001}};
	const struct ent two[] = {{"a", AE_IFREG, 0, NULL, 1000}, {"b", AE_IFREG, 0, NULL, 1000}};
	const struct archive_limits lim = {.max_entry_bytes = 1000};
	const struct archive_limits tot = {.max_total_bytes = 1500};

	REFUSED(big, &lim, MP_ETOOBIG, "a.tar: entry 'big': more than 1000 bytes");
	REFUSED(two, &tot, MP_ETOOBIG,
		"a.tar: entry 'b': the archive has more than 1500 bytes of content");
}
END_TEST

START_TEST(refuses_long_and_deep_paths)
{
	const struct ent longp[] = {{"aaaaaaaaaa/bbbbbbbbbb/cccccccccc/dddddddddd/eeeeeeeeee/f",
				     AE_IFREG, 0, "x", 0}};
	const struct ent deep[] = {{"a/b/c", AE_IFREG, 0, "x", 0}, {"a/b/x/d", AE_IFREG, 0, "x", 0}};
	const struct ent target[] = {{"l", AE_IFLNK, 0,
				      "aaaaaaaaaa/bbbbbbbbbb/cccccccccc/dddddddddd/eeeeeeeeee/f", 0}};
	const struct archive_limits lim = {.max_path = 50, .max_depth = 3};

	REFUSED(longp, &lim, MP_ETOOBIG, "a.tar: entry "
		"'aaaaaaaaaa/bbbbbbbbbb/cccccccccc/dddddddddd/eeeeeeeeee/f': "
		"path longer than 50 bytes");
	REFUSED(deep, &lim, MP_ETOOBIG, "a.tar: entry 'a/b/x/d': path deeper than 3 levels");
	REFUSED(target, &lim, MP_ETOOBIG,
		"a.tar: entry 'l': symbolic link target longer than 50 bytes");
}
END_TEST

START_TEST(refuses_writing_through_a_symlink)
{
	const struct ent file[] = {{"sub/", AE_IFDIR, 0, NULL, 0}, {"a", AE_IFLNK, 0, "sub", 0},
				   {"a/file", AE_IFREG, 0, "x", 0}};
	const struct ent dir[] = {{"d/up", AE_IFLNK, 0, "..", 0}, {"d/up/d/up/x/", AE_IFDIR, 0, NULL, 0}};

	REFUSED(file, NULL, MP_EINVAL,
		"a.tar: entry 'a/file': path goes through the symbolic link 'a'");
	REFUSED(dir, NULL, MP_EINVAL,
		"a.tar: entry 'd/up/d/up/x/': path goes through the symbolic link 'd/up'");
}
END_TEST

START_TEST(refuses_duplicates_cleanly)
{
	const struct ent twice[] = {{"f", AE_IFREG, 0, "1", 0}, {"f", AE_IFREG, 0, "2", 0}};
	const struct ent file_dir[] = {{"f", AE_IFREG, 0, "1", 0}, {"f/", AE_IFDIR, 0, NULL, 0}};
	const struct ent dir_file[] = {{"d/x", AE_IFREG, 0, "1", 0}, {"d", AE_IFREG, 0, "2", 0}};
	const struct ent link_dir[] = {{"d/", AE_IFDIR, 0, NULL, 0}, {"l", AE_IFLNK, 0, "d", 0},
				       {"l/", AE_IFDIR, 0, NULL, 0}};
	const struct ent under_file[] = {{"f", AE_IFREG, 0, "1", 0}, {"f/x", AE_IFREG, 0, "2", 0}};
	const struct ent root_file[] = {{"./", AE_IFDIR, 0, NULL, 0}, {".", AE_IFREG, 0, "1", 0}};

	REFUSED(twice, NULL, MP_EINVAL, "a.tar: entry 'f': duplicate of an earlier entry");
	REFUSED(file_dir, NULL, MP_EINVAL, "a.tar: entry 'f/': duplicate of an earlier entry");
	REFUSED(dir_file, NULL, MP_EINVAL, "a.tar: entry 'd': duplicate of an earlier entry");
	REFUSED(link_dir, NULL, MP_EINVAL, "a.tar: entry 'l/': duplicate of an earlier entry");
	REFUSED(under_file, NULL, MP_EINVAL, "a.tar: entry 'f/x': 'f' is not a folder");
	REFUSED(root_file, NULL, MP_EINVAL,
		"a.tar: entry '.': the folder itself given as another kind of entry");
}
END_TEST

START_TEST(refuses_what_is_not_an_archive)
{
	mp_errbuf e;
	FILE *f = fopen(A, "w");
	const char *want = "a.tar: not a tar archive (plain, gzip, xz, bzip2 or zstd): ";

	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 100; i++)
		fputs("this is a text file, not an archive\n", f);
	fclose(f);
	ck_assert_int_eq(archive_extract_safe(A, D, NULL, NULL, &e), MP_EINVAL);
	ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0, "%s", e.msg);
	ck_assert_int_eq(others_in_T(), 0);
	ck_assert_int_eq(archive_extract_safe("/nonexistent/x.tar", D, NULL, NULL, &e), MP_EIO);
	ck_assert_str_eq(e.msg, "x.tar: cannot open: No such file or directory");
	ck_assert_int_eq(others_in_T(), 0);
}
END_TEST

START_TEST(refuses_a_truncated_archive)
{
	const struct ent ents[] = {{"a", AE_IFREG, 0, "x", 0}, {"b", AE_IFREG, 0, NULL, 100000}};
	struct stat st;
	mp_errbuf e;

	make_archive(A, F_NONE, ents, 2);
	ck_assert_int_eq(truncate(A, 50000), 0);
	ck_assert_int_eq(archive_extract_safe(A, D, NULL, NULL, &e), MP_EINVAL);
	ck_assert_msg(strncmp(e.msg, "a.tar: entry 'b': corrupt content: ", 35) == 0, "%s", e.msg);
	ck_assert_int_ne(lstat(D, &st), 0);
	ck_assert_int_eq(others_in_T(), 0);
}
END_TEST

START_TEST(refuses_a_damaged_header)
{
	const struct ent ents[] = {{"a", AE_IFREG, 0, "x", 0}, {"b", AE_IFREG, 0, "y", 0}};
	struct stat st;
	mp_errbuf e;
	int fd;

	make_archive(A, F_NONE, ents, 2);
	fd = open(A, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "9", 1, 1024 + 148), 1);  /* b's checksum, not octal */
	close(fd);
	ck_assert_int_eq(archive_extract_safe(A, D, NULL, NULL, &e), MP_EINVAL);
	ck_assert_str_eq(e.msg, "a.tar: corrupt archive after 1 entries: Damaged tar archive");
	ck_assert_int_ne(lstat(D, &st), 0);
	ck_assert_int_eq(others_in_T(), 0);
}
END_TEST

START_TEST(refuses_an_existing_or_unreachable_dest)
{
	const struct ent ents[] = {{"a", AE_IFREG, 0, "x", 0}};
	struct stat st;
	mp_errbuf e;
	char msg[256];

	make_archive(A, F_NONE, ents, 1);
	ck_assert_int_eq(mkdir(D, 0700), 0);
	ck_assert_int_eq(archive_extract_safe(A, D, NULL, NULL, &e), MP_EEXISTS);
	snprintf(msg, sizeof(msg), "'%s' already exists", D);
	ck_assert_str_eq(e.msg, msg);
	ck_assert_int_eq(stat(D, &st), 0);
	ck_assert_int_eq(others_in_T(), 1);  /* out, untouched */
	/* a dest whose folder does not exist */
	ck_assert_int_eq(archive_extract_safe(A, "/nonexistent/out", NULL, NULL, &e), MP_EIO);
	ck_assert_str_eq(e.msg, "cannot make a folder beside '/nonexistent/out': "
			 "No such file or directory");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Good archives                                                       */
/* ------------------------------------------------------------------ */

START_TEST(extracts_nested_folders_and_empty_files)
{
	const struct ent ents[] = {{"./", AE_IFDIR, 0, NULL, 0},
				   {"./a/", AE_IFDIR, 0, NULL, 0},
				   {"./a/b/c/deep.txt", AE_IFREG, 0, "deep", 0},
				   {"./a/empty", AE_IFREG, 0, "", 0},
				   {"./a/b/", AE_IFDIR, 0750, NULL, 0},  /* after being made implicitly */
				   {"x//y/./z", AE_IFREG, 0, "z", 0},
				   {"a/", AE_IFDIR, 0700, NULL, 0}};     /* a folder given twice */
	struct archive_stats st;
	struct stat sb;

	EXTRACT_OK(ents, F_NONE, &st);
	ck_assert_str_eq(slurp("a/b/c/deep.txt"), "deep");
	ck_assert_str_eq(slurp("a/empty"), "");
	ck_assert_str_eq(slurp("x/y/z"), "z");
	ck_assert_int_eq(mode_of("a") & 07777, 0755);
	ck_assert_int_eq(mode_of("a/b") & 07777, 0755);   /* folders are always 0755 */
	ck_assert_int_eq(mode_of("a/b/c") & 07777, 0755);
	ck_assert_int_eq(stat(D, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0755);
	ck_assert_uint_eq(st.entries, 6);
	ck_assert_uint_eq(st.bytes, 5);
	ck_assert_int_eq(others_in_T(), 1);  /* out only */
}
END_TEST

START_TEST(keeps_symlinks_and_hard_links_inside)
{
	const struct ent ents[] = {{"lib/libx.so.1.2", AE_IFREG, 0, "elf", 0},
				   {"lib/libx.so.1", AE_IFLNK, 0, "libx.so.1.2", 0},
				   {"lib/libx.so", AE_IFLNK, 0, "./libx.so.1", 0},
				   {"bin/tool", AE_IFLNK, 0, "../lib/libx.so", 0},
				   {"bin/dangling", AE_IFLNK, 0, "../nothing/yet", 0},
				   {"lib64", AE_IFLNK, 0, "lib", 0},
				   {"bin/copy", HARD, 0, "./lib/libx.so.1.2", 0}};
	char p[256], q[256], t[64];
	struct stat a, b;
	ssize_t n;

	EXTRACT_OK(ents, F_NONE, NULL);
	snprintf(p, sizeof(p), "%s/bin/tool", D);
	n = readlink(p, t, sizeof(t) - 1);
	ck_assert_int_eq(n, 14);
	t[n] = '\0';
	ck_assert_str_eq(t, "../lib/libx.so");
	ck_assert_str_eq(slurp("bin/tool"), "elf");
	ck_assert_str_eq(slurp("lib64/libx.so.1"), "elf");
	ck_assert(S_ISLNK(mode_of("bin/dangling")));
	snprintf(p, sizeof(p), "%s/bin/copy", D);
	snprintf(q, sizeof(q), "%s/lib/libx.so.1.2", D);
	ck_assert_int_eq(stat(p, &a), 0);
	ck_assert_int_eq(stat(q, &b), 0);
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert_uint_eq(a.st_nlink, 2);
}
END_TEST

START_TEST(sanitises_modes)
{
	const struct ent ents[] = {{"run.sh", AE_IFREG, 0755, "#!/bin/sh\n", 0},
				   {"private", AE_IFREG, 0700, "p", 0},
				   {"plain", AE_IFREG, 0644, "p", 0},
				   {"suid", AE_IFREG, 04755, "s", 0},
				   {"sgid-open", AE_IFREG, 02777, "s", 0},
				   {"writable", AE_IFREG, 0666, "w", 0},
				   {"tmp/", AE_IFDIR, 01777, NULL, 0},
				   {"ro/", AE_IFDIR, 0500, NULL, 0},
				   {"ro/inside", AE_IFREG, 0400, "i", 0}};

	EXTRACT_OK(ents, F_NONE, NULL);
	ck_assert_int_eq(mode_of("run.sh") & 07777, 0755);
	ck_assert_int_eq(mode_of("private") & 07777, 0755);
	ck_assert_int_eq(mode_of("plain") & 07777, 0644);
	ck_assert_int_eq(mode_of("suid") & 07777, 0755);
	ck_assert_int_eq(mode_of("sgid-open") & 07777, 0755);
	ck_assert_int_eq(mode_of("writable") & 07777, 0644);
	ck_assert_int_eq(mode_of("tmp") & 07777, 0755);
	ck_assert_int_eq(mode_of("ro") & 07777, 0755);
	ck_assert_int_eq(mode_of("ro/inside") & 07777, 0644);   /* readable by the sandbox user */
	ck_assert_str_eq(slurp("ro/inside"), "i");
}
END_TEST

START_TEST(reads_every_compression)
{
	const struct ent ents[] = {{"d/f", AE_IFREG, 0, "compressed", 0},
				   {"d/z", AE_IFREG, 0, NULL, 100000}};
	const enum filter filters[] = {F_GZIP, F_XZ, F_BZIP2, F_ZSTD};
	struct archive_stats st;

	for (size_t i = 0; i < 4; i++) {
		EXTRACT_OK(ents, filters[i], &st);
		ck_assert_str_eq(slurp("d/f"), "compressed");
		ck_assert_uint_eq(st.bytes, 100010);
		rm_rf_at(AT_FDCWD, D);
	}
}
END_TEST

START_TEST(extracts_an_entry_at_its_limits)
{
	const struct ent ents[] = {{"a/b/c", AE_IFREG, 0, NULL, 1000},
				   {"aaaaaaaaaa/bbbbbbbbbb/cccccccccc/dddddddddd/eeeeee", AE_IFREG,
				    0, "x", 0}};
	const struct archive_limits lim = {.max_entry_bytes = 1000, .max_total_bytes = 1001,
					   .max_path = 50, .max_depth = 5, .max_entries = 2};
	mp_errbuf e;

	make_archive(A, F_NONE, ents, 2);
	ck_assert_msg(archive_extract_safe(A, D, &lim, NULL, &e) == MP_OK, "%s", e.msg);
}
END_TEST

START_TEST(extracts_an_empty_archive)
{
	struct stat st;

	extract_ok(NULL, 0, F_GZIP, NULL);
	ck_assert_int_eq(stat(D, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
}
END_TEST

/* ------------------------------------------------------------------ */
/* One member                                                          */
/* ------------------------------------------------------------------ */

START_TEST(reads_one_member)
{
	const struct ent ents[] = {{"./blobs/", AE_IFDIR, 0, NULL, 0},
				   {"./blobs/layer.tar", AE_IFREG, 0, NULL, 50000},
				   {"./manifest.json", AE_IFREG, 0, "[{\"Config\":\"c.json\"}]", 0},
				   {"index.json", AE_IFREG, 0, "{}", 0}};
	char *text;
	size_t len;
	mp_errbuf e;

	make_archive(A, F_NONE, ents, 4);
	ck_assert_int_eq(archive_read_member(A, "manifest.json", 1024, &text, &len, &e), MP_OK);
	ck_assert_str_eq(text, "[{\"Config\":\"c.json\"}]");
	ck_assert_uint_eq(len, 21);
	free(text);
	ck_assert_int_eq(archive_read_member(A, "./index.json", 2, &text, &len, &e), MP_OK);
	ck_assert_str_eq(text, "{}");
	free(text);

	ck_assert_int_eq(archive_read_member(A, "repositories", 1024, &text, &len, &e),
			 MP_ENOTFOUND);
	ck_assert_ptr_null(text);
	ck_assert_str_eq(e.msg, "a.tar: no member 'repositories'");

	ck_assert_int_eq(archive_read_member(A, "manifest.json", 20, &text, &len, &e), MP_ETOOBIG);
	ck_assert_ptr_null(text);
	ck_assert_str_eq(e.msg, "a.tar: member 'manifest.json': more than 20 bytes");

	ck_assert_int_eq(archive_read_member(A, "blobs/", 20, &text, &len, &e), MP_EINVAL);
	ck_assert_str_eq(e.msg, "a.tar: member 'blobs/' is not a regular file");
}
END_TEST

int main(void)
{
	Suite *su = suite_create("archive");
	TCase *bad = tcase_create("refusals"), *good = tcase_create("good"),
	      *member = tcase_create("member");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(bad, setup, teardown);
	tcase_add_checked_fixture(good, setup, teardown);
	tcase_add_checked_fixture(member, setup, teardown);
	tcase_set_timeout(bad, 60);
	tcase_add_test(bad, refuses_absolute_path);
	tcase_add_test(bad, refuses_dotdot);
	tcase_add_test(bad, refuses_symlink_to_absolute_path);
	tcase_add_test(bad, refuses_symlink_leaving_the_tree);
	tcase_add_test(bad, refuses_symlink_chain_escaping);
	tcase_add_test(bad, refuses_hard_link_outside);
	tcase_add_test(bad, refuses_hard_link_to_what_is_not_an_extracted_file);
	tcase_add_test(bad, refuses_devices_and_fifos);
	tcase_add_test(bad, refuses_too_many_entries);
	tcase_add_test(bad, stops_a_decompression_bomb_early);
	tcase_add_test(bad, refuses_entry_over_its_limit);
	tcase_add_test(bad, refuses_long_and_deep_paths);
	tcase_add_test(bad, refuses_writing_through_a_symlink);
	tcase_add_test(bad, refuses_duplicates_cleanly);
	tcase_add_test(bad, refuses_what_is_not_an_archive);
	tcase_add_test(bad, refuses_a_truncated_archive);
	tcase_add_test(bad, refuses_a_damaged_header);
	tcase_add_test(bad, refuses_an_existing_or_unreachable_dest);
	tcase_add_test(good, extracts_nested_folders_and_empty_files);
	tcase_add_test(good, keeps_symlinks_and_hard_links_inside);
	tcase_add_test(good, sanitises_modes);
	tcase_add_test(good, reads_every_compression);
	tcase_add_test(good, extracts_an_entry_at_its_limits);
	tcase_add_test(good, extracts_an_empty_archive);
	tcase_add_test(member, reads_one_member);
	suite_add_tcase(su, bad);
	suite_add_tcase(su, good);
	suite_add_tcase(su, member);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
