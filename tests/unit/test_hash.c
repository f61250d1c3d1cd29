/*
 * test_hash.c: unit tests for core/hash: SHA-256 known vectors, the
 * incremental API against the one-shot one, file hashes against
 * sha256sum(1), and folder hashes against an independent shell pipeline
 * that computes MedPerf's get_folders_hash with find(1) and sha256sum(1):
 * nested folders, empty files and folders, duplicate contents, odd names,
 * the same path twice, links to files (followed) and to folders (not
 * entered), a folder given as a link (entered), a file given as a path
 * (contributes nothing), a 64 MiB file, many files with 1 and 4 threads,
 * a deep tree; and the errors: missing paths, unreadable files and
 * folders (skipped as root), broken links, link loops, fifos (refused, no
 * hang), read errors while the workers run, paths longer than PATH_MAX,
 * long paths in messages.
 *
 * Every test works in its own mkdtemp directory under /tmp, removed by the
 * fixture's teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hash.h"

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define MILLION_A_SHA "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static char tmp[64];

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/mp-hash-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void teardown(void)
{
	struct buf cmd;

	buf_init(&cmd, 0);
	/* chmod first: some tests leave folders without permissions */
	ck_assert_int_eq(buf_addf(&cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", tmp, tmp),
			 MP_OK);
	ck_assert_int_eq(system(cmd.data), 0);
	buf_release(&cmd);
}

/* Deterministic xorshift64 so that a failure can be reproduced. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static void fill_random(unsigned char *p, size_t n, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++) {
		if (i % 8 == 0) {
			uint64_t r = rng_next(seed);

			for (size_t k = 0; k < 8 && i + k < n; k++)
				p[i + k] = (unsigned char)(r >> (8 * k));
		}
	}
}

/* tmp/rel, in a buffer the caller passes (PATH_MAX bytes). */
static const char *at(char *out, const char *rel)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", tmp, rel);

	ck_assert(n > 0 && n < PATH_MAX);
	return out;
}

static void mkdir_rel(const char *rel)
{
	char p[PATH_MAX];

	ck_assert_msg(mkdir(at(p, rel), 0755) == 0, "mkdir %s: %s", p, strerror(errno));
}

static void write_rel(const char *rel, const void *data, size_t len)
{
	char p[PATH_MAX];
	FILE *f = fopen(at(p, rel), "wb");

	ck_assert_msg(f != NULL, "create %s: %s", p, strerror(errno));
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void write_str(const char *rel, const char *s)
{
	write_rel(rel, s, strlen(s));
}

/* A file of len pseudo-random bytes, written in chunks of 1 MiB. */
static void write_random(const char *rel, size_t len, uint64_t seed)
{
	char p[PATH_MAX];
	size_t chunk = (size_t)1 << 20;
	unsigned char *b = malloc(chunk);
	FILE *f = fopen(at(p, rel), "wb");

	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(f);
	for (size_t done = 0; done < len;) {
		size_t n = len - done < chunk ? len - done : chunk;

		fill_random(b, n, &seed);
		ck_assert_uint_eq(fwrite(b, 1, n, f), n);
		done += n;
	}
	ck_assert_int_eq(fclose(f), 0);
	free(b);
}

static void symlink_rel(const char *target, const char *rel)
{
	char p[PATH_MAX];

	ck_assert_int_eq(symlink(target, at(p, rel)), 0);
}

/* Runs a shell command and returns its first line (the caller frees). */
static char *shell_line(const char *cmd)
{
	char line[512];
	FILE *f = popen(cmd, "r");
	char *nl;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_int_eq(pclose(f), 0);
	nl = strchr(line, '\n');
	if (nl != NULL)
		*nl = '\0';
	nl = strdup(line);
	ck_assert_ptr_nonnull(nl);
	return nl;
}

/* sha256sum of one file. */
static char *oracle_file(const char *path)
{
	struct buf cmd;
	char *r;

	buf_init(&cmd, 0);
	ck_assert_int_eq(buf_addf(&cmd, "sha256sum -- '%s' | sed 's/^\\\\//' | cut -c1-64", path),
			 MP_OK);
	r = shell_line(cmd.data);
	buf_release(&cmd);
	ck_assert_uint_eq(strlen(r), 64);
	return r;
}

/*
 * MedPerf's folder hash in shell, for tmp-relative folders. find -H follows
 * a link only when it is a starting point (os.walk(top) enters a linked
 * top); inside, find does not enter linked folders (followlinks=False) and
 * -xtype f keeps regular files and links to regular files (os.walk lists
 * those as files and open() follows them). sha256sum escapes odd names
 * with a leading backslash, which sed drops before cut keeps the digest.
 * The same starting point twice is listed twice by find, as by MedPerf.
 * -mindepth 1 drops starting points that are files: os.walk(file) yields
 * nothing.
 */
static char *oracle_folders(const char *const *rels, size_t n, int count_only)
{
	struct buf cmd;
	char *r;

	buf_init(&cmd, 0);
	ck_assert_int_eq(buf_adds(&cmd, "find -H"), MP_OK);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(buf_addf(&cmd, " '%s/%s'", tmp, rels[i]), MP_OK);
	/* -mindepth 1: a file given as a starting point yields nothing (os.walk) */
	ck_assert_int_eq(buf_adds(&cmd, " -mindepth 1"), MP_OK);
	if (count_only)
		ck_assert_int_eq(buf_adds(&cmd, " -xtype f -printf x | wc -c"), MP_OK);
	else
		ck_assert_int_eq(buf_adds(&cmd, " -xtype f -print0"
						" | xargs -0 -r sha256sum --"
						" | sed 's/^\\\\//' | cut -c1-64 | LC_ALL=C sort"
						" | tr -d '\\n' | sha256sum | cut -c1-64"),
				 MP_OK);
	r = shell_line(cmd.data);
	buf_release(&cmd);
	return r;
}

/* hash_folders on tmp-relative paths; returns the error code. */
static int ours(const char *const *rels, size_t n, int threads, char out[HASH_HEX],
		struct hash_stats *st, mp_errbuf *e)
{
	char (*abs)[PATH_MAX] = calloc(n ? n : 1, PATH_MAX);
	const char **paths = calloc(n ? n : 1, sizeof(*paths));
	int rc;

	ck_assert_ptr_nonnull(abs);
	ck_assert_ptr_nonnull(paths);
	for (size_t i = 0; i < n; i++)
		paths[i] = at(abs[i], rels[i]);
	rc = hash_folders(paths, n, threads, out, st, e);
	free(paths);
	free(abs);
	return rc;
}

/* Asserts that hash_folders agrees with the shell for 1, 2, 4 and all threads. */
static void check_folders(const char *const *rels, size_t n)
{
	static const int threads[] = { 1, 2, 4, 0 };
	char *want = oracle_folders(rels, n, 0);
	char *count = oracle_folders(rels, n, 1);
	char got[HASH_HEX];
	struct hash_stats st;
	mp_errbuf e = { { 0 } };

	for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		int rc = ours(rels, n, threads[i], got, &st, &e);

		ck_assert_msg(rc == MP_OK, "hash_folders: %s", e.msg);
		ck_assert_str_eq(got, want);
		ck_assert_uint_eq(st.files, strtoull(count, NULL, 10));
	}
	free(want);
	free(count);
}

/* ------------------------------------------------------------------ */

START_TEST(known_vectors)
{
	char out[HASH_HEX];
	char *a = malloc(1000000);

	sha256_hex("", 0, out);
	ck_assert_str_eq(out, EMPTY_SHA);
	sha256_hex(NULL, 0, out);
	ck_assert_str_eq(out, EMPTY_SHA);
	sha256_hex("abc", 3, out);
	ck_assert_str_eq(out, ABC_SHA);
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, out);
	ck_assert_str_eq(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	ck_assert_ptr_nonnull(a);
	memset(a, 'a', 1000000);
	sha256_hex(a, 1000000, out);
	ck_assert_str_eq(out, MILLION_A_SHA);
	free(a);
}
END_TEST

START_TEST(incremental_matches_one_shot)
{
	uint64_t seed = 42;
	size_t len = 3 * 65536 + 17;
	unsigned char *data = malloc(len);
	char want[HASH_HEX], got[HASH_HEX];
	struct sha256 *h;

	ck_assert_ptr_nonnull(data);
	fill_random(data, len, &seed);
	sha256_hex(data, len, want);
	for (int round = 0; round < 20; round++) {
		size_t off = 0;

		h = sha256_new();
		ck_assert_ptr_nonnull(h);
		while (off < len) {
			size_t n = rng_next(&seed) % (round < 10 ? 70 : 100000);

			if (n > len - off)
				n = len - off;
			ck_assert_int_eq(sha256_update(h, data + off, n), MP_OK);
			off += n;
		}
		sha256_final_hex(h, got);
		ck_assert_str_eq(got, want);
	}
	/* "abc" a byte at a time, and nothing at all */
	h = sha256_new();
	ck_assert_ptr_nonnull(h);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(sha256_update(h, "abc" + i, 1), MP_OK);
	sha256_final_hex(h, got);
	ck_assert_str_eq(got, ABC_SHA);
	h = sha256_new();
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(sha256_update(h, NULL, 0), MP_OK);
	sha256_final_hex(h, got);
	ck_assert_str_eq(got, EMPTY_SHA);
	/* misuse is refused, and freeing an unfinished hash is fine */
	ck_assert_int_eq(sha256_update(NULL, "x", 1), MP_EINVAL);
	h = sha256_new();
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(sha256_update(h, NULL, 1), MP_EINVAL);
	sha256_free(h);
	sha256_free(NULL);
	sha256_final_hex(NULL, got);
	ck_assert_str_eq(got, "");
	free(data);
}
END_TEST

START_TEST(file_matches_sha256sum)
{
	/* sizes around SHA-256's 64-byte block and the 256 KiB read block, and 0 */
	static const size_t sizes[] = { 0, 1, 55, 56, 64, 65536, (256 << 10) - 1, 256 << 10,
					 (256 << 10) + 1, (1 << 20) + 1, 3 * (1 << 20) + 7 };
	char p[PATH_MAX], got[HASH_HEX];
	mp_errbuf e = { { 0 } };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[32];
		char *want;

		snprintf(name, sizeof(name), "f%zu", i);
		write_random(name, sizes[i], 1000 + i);
		want = oracle_file(at(p, name));
		ck_assert_msg(hash_file(p, got, &e) == MP_OK, "%s", e.msg);
		ck_assert_str_eq(got, want);
		free(want);
	}
	write_str("abc", "abc");
	ck_assert_int_eq(hash_file(at(p, "abc"), got, &e), MP_OK);
	ck_assert_str_eq(got, ABC_SHA);
	/* a link to a file is that file */
	symlink_rel("abc", "link");
	ck_assert_int_eq(hash_file(at(p, "link"), got, &e), MP_OK);
	ck_assert_str_eq(got, ABC_SHA);
}
END_TEST

START_TEST(file_large)
{
	char p[PATH_MAX], got[HASH_HEX];
	mp_errbuf e = { { 0 } };
	char *want;

	write_random("big", (size_t)64 << 20, 7);
	want = oracle_file(at(p, "big"));
	ck_assert_msg(hash_file(p, got, &e) == MP_OK, "%s", e.msg);
	ck_assert_str_eq(got, want);
	free(want);
}
END_TEST

START_TEST(file_errors)
{
	char p[PATH_MAX], got[HASH_HEX];
	mp_errbuf e = { { 0 } };

	ck_assert_int_eq(hash_file(at(p, "missing"), got, &e), MP_EIO);
	ck_assert_str_eq(got, "");
	ck_assert_ptr_nonnull(strstr(e.msg, p));
	ck_assert_ptr_nonnull(strstr(e.msg, "No such file"));
	/* a folder, a fifo (without a writer: must not block) */
	mkdir_rel("dir");
	ck_assert_int_eq(hash_file(at(p, "dir"), got, &e), MP_EIO);
	ck_assert_ptr_nonnull(strstr(e.msg, "directory"));
	ck_assert_int_eq(mkfifo(at(p, "fifo"), 0644), 0);
	ck_assert_int_eq(hash_file(p, got, &e), MP_EIO);
	ck_assert_ptr_nonnull(strstr(e.msg, "fifo"));
	ck_assert_ptr_nonnull(strstr(e.msg, p));
	/* broken link */
	symlink_rel("nowhere", "broken");
	ck_assert_int_eq(hash_file(at(p, "broken"), got, &e), MP_EIO);
	ck_assert_ptr_nonnull(strstr(e.msg, p));
	ck_assert_int_eq(hash_file(NULL, got, &e), MP_EINVAL);
	/* a read error: /proc/self/mem cannot be read at offset 0 */
	if (access("/proc/self/mem", F_OK) == 0) {
		ck_assert_int_eq(hash_file("/proc/self/mem", got, &e), MP_EIO);
		ck_assert_str_eq(got, "");
		ck_assert_ptr_nonnull(strstr(e.msg, "cannot read '/proc/self/mem'"));
	}
	/* unreadable: root reads anyway, so only the error path is skipped */
	write_str("secret", "x");
	ck_assert_int_eq(chmod(at(p, "secret"), 0), 0);
	if (geteuid() != 0) {
		ck_assert_int_eq(hash_file(p, got, &e), MP_EIO);
		ck_assert_ptr_nonnull(strstr(e.msg, p));
		ck_assert_ptr_nonnull(strstr(e.msg, "Permission denied"));
	}
}
END_TEST

/* A tree with most of what a dataset folder can hold. */
static void build_tree(void)
{
	static const char big_blob[] = "the same content in several files\n";

	mkdir_rel("t");
	mkdir_rel("t/a");
	mkdir_rel("t/a/b");
	mkdir_rel("t/a/b/c");
	mkdir_rel("t/empty");
	mkdir_rel("t/empty/nested-empty");
	mkdir_rel("t/.hidden");
	write_str("t/top.txt", "top\n");
	write_str("t/a/one", "1");
	write_str("t/a/b/two", "2");
	write_str("t/a/b/c/three", "3");
	write_rel("t/a/zero", "", 0);
	write_rel("t/a/b/zero-again", "", 0);
	write_str("t/dup1", big_blob);
	write_str("t/a/dup2", big_blob);
	write_str("t/a/b/c/dup3", big_blob);
	write_str("t/.hidden/.file", "hidden");
	write_str("t/name with spaces", "spaces");
	write_str("t/back\\slash", "backslash");
	write_str("t/new\nline", "newline");
	write_random("t/a/b/random", 300000, 3);
	/* outside the tree: reached only through links */
	mkdir_rel("outside");
	write_str("outside/only-via-dir-link", "must not count");
	write_str("outside/via-file-link", "counts through the link");
	symlink_rel("../outside", "t/dirlink");
	symlink_rel("../../outside/via-file-link", "t/a/filelink");
	symlink_rel("../top.txt", "t/a/rel-link-to-top");
	symlink_rel("b", "t/a/link-to-sibling-dir");
}

START_TEST(folder_tree)
{
	static const char *const one[] = { "t" };
	static const char *const sub[] = { "t/a/b" };
	static const char *const emptyd[] = { "t/empty" };
	char got[HASH_HEX];
	mp_errbuf e = { { 0 } };
	struct hash_stats st;

	build_tree();
	check_folders(one, 1);
	check_folders(sub, 1);
	check_folders(emptyd, 1);
	/* a folder with no files hashes nothing, like no paths at all */
	ck_assert_int_eq(ours(emptyd, 1, 0, got, &st, &e), MP_OK);
	ck_assert_str_eq(got, EMPTY_SHA);
	ck_assert_uint_eq(st.files, 0);
	ck_assert_int_eq(hash_folders(NULL, 0, 0, got, &st, &e), MP_OK);
	ck_assert_str_eq(got, EMPTY_SHA);
	/* 16 files: the folder links are not entered, the two file links count */
	ck_assert_int_eq(ours(one, 1, 2, got, &st, &e), MP_OK);
	ck_assert_uint_eq(st.files, 16);
	ck_assert_uint_eq(st.bytes, 4 + 1 + 1 + 1 + 0 + 0 + 3 * 34 + 6 + 6 + 9 + 7 + 300000 + 23 + 4);
}
END_TEST

START_TEST(folder_contents_not_names)
{
	static const char *const x[] = { "x" };
	static const char *const y[] = { "y" };
	char hx[HASH_HEX], hy[HASH_HEX];
	mp_errbuf e = { { 0 } };

	/* same contents under other names and shapes, empty folders aside */
	mkdir_rel("x");
	mkdir_rel("x/sub");
	write_str("x/sub/a", "alpha");
	write_str("x/b", "beta");
	mkdir_rel("y");
	mkdir_rel("y/empty");
	write_str("y/zz", "alpha");
	write_str("y/aa", "beta");
	ck_assert_int_eq(ours(x, 1, 0, hx, NULL, &e), MP_OK);
	ck_assert_int_eq(ours(y, 1, 0, hy, NULL, &e), MP_OK);
	ck_assert_str_eq(hx, hy);
	/* but a changed byte changes it */
	write_str("y/aa", "betb");
	ck_assert_int_eq(ours(y, 1, 0, hy, NULL, &e), MP_OK);
	ck_assert_str_ne(hx, hy);
}
END_TEST

START_TEST(folder_same_path_twice)
{
	static const char *const one[] = { "t" };
	static const char *const twice[] = { "t", "t" };
	static const char *const parts[] = { "t/a", "t/a/b" };
	char h1[HASH_HEX], h2[HASH_HEX];
	mp_errbuf e = { { 0 } };
	struct hash_stats st;

	build_tree();
	check_folders(twice, 2);
	check_folders(parts, 2);
	ck_assert_int_eq(ours(one, 1, 0, h1, NULL, &e), MP_OK);
	ck_assert_int_eq(ours(twice, 2, 0, h2, &st, &e), MP_OK);
	ck_assert_str_ne(h1, h2);
	ck_assert_uint_eq(st.files, 32);
}
END_TEST

START_TEST(folder_given_as_file_or_link)
{
	static const char *const d[] = { "d" };
	static const char *const dlink[] = { "dlink" };
	static const char *const with_file[] = { "d", "lone", "flink" };
	static const char *const file_only[] = { "lone" };
	char h[HASH_HEX], hl[HASH_HEX];
	mp_errbuf e = { { 0 } };
	struct hash_stats st;

	mkdir_rel("d");
	write_str("d/f", "in d");
	write_str("lone", "a file given as a folder");
	symlink_rel("lone", "flink");
	symlink_rel("d", "dlink");
	/* os.walk(file) yields nothing: a file path contributes nothing */
	ck_assert_int_eq(ours(file_only, 1, 0, h, &st, &e), MP_OK);
	ck_assert_str_eq(h, EMPTY_SHA);
	ck_assert_uint_eq(st.files, 0);
	ck_assert_int_eq(ours(d, 1, 0, h, NULL, &e), MP_OK);
	ck_assert_int_eq(ours(with_file, 3, 0, hl, NULL, &e), MP_OK);
	ck_assert_str_eq(h, hl);
	check_folders(with_file, 3);
	/* os.walk(link to a folder) enters it */
	ck_assert_int_eq(ours(dlink, 1, 0, hl, &st, &e), MP_OK);
	ck_assert_str_eq(h, hl);
	ck_assert_uint_eq(st.files, 1);
	check_folders(dlink, 1);
}
END_TEST

START_TEST(folder_large_and_many)
{
	static const char *const one[] = { "m" };
	char name[64];
	uint64_t seed = 99;

	mkdir_rel("m");
	write_random("m/big", (size_t)64 << 20, 11);
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "m/d%d", i);
		mkdir_rel(name);
		for (int k = 0; k < 40; k++) {
			snprintf(name, sizeof(name), "m/d%d/f%d", i, k);
			write_random(name, rng_next(&seed) % 200000, seed);
		}
	}
	/* duplicates among them */
	write_random("m/d0/copy-a", 5000, 5);
	write_random("m/d7/copy-b", 5000, 5);
	check_folders(one, 1);
}
END_TEST

START_TEST(folder_deep)
{
	static const char *const one[] = { "deep" };
	char rel[PATH_MAX];
	size_t len;

	/* 1000 levels, about 3000 bytes of path: under PATH_MAX, deeper than any stack frame budget */
	len = (size_t)snprintf(rel, sizeof(rel), "deep");
	mkdir_rel(rel);
	for (int i = 0; i < 1000; i++) {
		ck_assert_uint_lt(len + 3, sizeof(rel) - 64);
		memcpy(rel + len, "/dd", 4);
		len += 3;
		mkdir_rel(rel);
		if (i % 100 == 0) {
			char f[PATH_MAX];
			int n = snprintf(f, sizeof(f), "%s/file", rel);

			ck_assert(n > 0 && (size_t)n < sizeof(f));
			write_str(f, i % 200 ? "x" : "y");
		}
	}
	check_folders(one, 1);
}
END_TEST

/* Creates name (of n copies of c) in the folder open at dfd; returns the fd of it if a folder. */
static int make_at(int dfd, char c, size_t n, int dir)
{
	char name[256];
	int fd;

	ck_assert_uint_lt(n, sizeof(name));
	memset(name, c, n);
	name[n] = '\0';
	if (!dir) {
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, "edge", 4), 4);
		close(fd);
		return -1;
	}
	ck_assert_int_eq(mkdirat(dfd, name, 0755), 0);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return fd;
}

START_TEST(folder_path_too_long)
{
	static const char *const one[] = { "long" };
	char got[HASH_HEX];
	mp_errbuf e = { { 0 } };
	struct hash_stats st;
	char p[PATH_MAX];
	size_t len, room;
	int fd, nfd;

	/*
	 * Folders of 200-byte names (built with mkdirat/openat), then a file
	 * whose path is PATH_MAX - 1 bytes long: the longest that works.
	 */
	mkdir_rel("long");
	len = strlen(at(p, "long"));
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	room = PATH_MAX - 1 - len - 1;
	while (room > 255) {
		nfd = make_at(fd, 'n', 200, 1);
		close(fd);
		fd = nfd;
		len += 201;
		room = PATH_MAX - 1 - len - 1;
	}
	make_at(fd, 'f', room, 0);
	check_folders(one, 1);
	ck_assert_int_eq(ours(one, 1, 1, got, &st, &e), MP_OK);
	ck_assert_uint_eq(st.files, 1);
	/* a folder of that length is fine, anything in it is too long */
	nfd = make_at(fd, 'd', room, 1);
	ck_assert_int_eq(ours(one, 1, 1, got, NULL, &e), MP_OK);
	make_at(nfd, 'x', 1, 0);
	close(nfd);
	close(fd);
	ck_assert_int_eq(ours(one, 1, 2, got, NULL, &e), MP_ETOOBIG);
	ck_assert_str_eq(got, "");
	ck_assert_ptr_nonnull(strstr(e.msg, "path too long"));
	ck_assert_ptr_nonnull(strstr(e.msg, "ddddd/x...'"));
	/* and a path given that is too long */
	{
		char *lp = malloc(PATH_MAX + 10);

		ck_assert_ptr_nonnull(lp);
		memset(lp, 'a', PATH_MAX + 9);
		lp[PATH_MAX + 9] = '\0';
		ck_assert_int_eq(hash_folders((const char *const *)&lp, 1, 0, got, NULL, &e),
				 MP_ETOOBIG);
		ck_assert_ptr_nonnull(strstr(e.msg, "path too long"));
		free(lp);
	}
}
END_TEST

START_TEST(folder_errors)
{
	static const char *const missing[] = { "t", "missing" };
	static const char *const t[] = { "t" };
	char p[PATH_MAX], got[HASH_HEX];
	mp_errbuf e = { { 0 } };
	struct hash_stats st;

	mkdir_rel("t");
	write_str("t/ok", "ok");
	/* a path that does not exist is an error naming it */
	ck_assert_int_eq(ours(missing, 2, 0, got, &st, &e), MP_ENOTFOUND);
	ck_assert_str_eq(got, "");
	ck_assert_uint_eq(st.files, 0);
	ck_assert_ptr_nonnull(strstr(e.msg, at(p, "missing")));
	ck_assert_ptr_nonnull(strstr(e.msg, "No such file"));
	ck_assert_int_eq(hash_folders(t, 1, -1, got, NULL, &e), MP_EINVAL);
	/* a broken link inside */
	symlink_rel("nowhere", "t/broken");
	ck_assert_int_eq(ours(t, 1, 0, got, NULL, &e), MP_EIO);
	ck_assert_ptr_nonnull(strstr(e.msg, at(p, "t/broken")));
	ck_assert_ptr_nonnull(strstr(e.msg, "broken symbolic link"));
	ck_assert_int_eq(unlink(p), 0);
	/* a link loop is an error too (os.walk lists it as a file; open fails) */
	symlink_rel("loop", "t/loop");
	ck_assert_int_eq(ours(t, 1, 0, got, NULL, &e), MP_EIO);
	ck_assert_ptr_nonnull(strstr(e.msg, at(p, "t/loop")));
	ck_assert_int_eq(unlink(p), 0);
	/* a fifo inside, and a link to one: refused, never opened */
	ck_assert_int_eq(mkfifo(at(p, "fifo"), 0644), 0);
	symlink_rel("../fifo", "t/fifo-link");
	ck_assert_int_eq(ours(t, 1, 4, got, NULL, &e), MP_EIO);
	ck_assert_ptr_nonnull(strstr(e.msg, "a fifo"));
	ck_assert_ptr_nonnull(strstr(e.msg, at(p, "t/fifo-link")));
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(mkfifo(at(p, "t/fifo"), 0644), 0);
	ck_assert_int_eq(ours(t, 1, 4, got, NULL, &e), MP_EIO);
	ck_assert_ptr_nonnull(strstr(e.msg, p));
	ck_assert_int_eq(unlink(p), 0);
	/*
	 * A read error while the workers run: /proc/self/mem is a regular file
	 * that fails to read at offset 0; the first failure wins, the other
	 * workers stop, and nothing leaks.
	 */
	if (access("/proc/self/mem", F_OK) == 0) {
		char name[32];

		for (int i = 0; i < 200; i++) {
			snprintf(name, sizeof(name), "t/many%d", i);
			write_random(name, 10000 + (size_t)i, (uint64_t)i + 1);
		}
		symlink_rel("/proc/self/mem", "t/mem");
		for (int threads = 1; threads <= 4; threads++) {
			ck_assert_int_eq(ours(t, 1, threads, got, &st, &e), MP_EIO);
			ck_assert_str_eq(got, "");
			ck_assert_uint_eq(st.files, 0);
			ck_assert_ptr_nonnull(strstr(e.msg, "cannot read"));
			ck_assert_ptr_nonnull(strstr(e.msg, at(p, "t/mem")));
		}
		ck_assert_int_eq(unlink(p), 0);
	}
	/* after all that, the tree hashes again */
	ck_assert_int_eq(ours(t, 1, 0, got, NULL, &e), MP_OK);
	/* unreadable file and folder: root reads them anyway */
	write_str("t/secret", "x");
	ck_assert_int_eq(chmod(at(p, "t/secret"), 0), 0);
	if (geteuid() != 0) {
		ck_assert_int_eq(ours(t, 1, 2, got, NULL, &e), MP_EIO);
		ck_assert_ptr_nonnull(strstr(e.msg, p));
		ck_assert_ptr_nonnull(strstr(e.msg, "Permission denied"));
	}
	ck_assert_int_eq(unlink(p), 0);
	mkdir_rel("t/closed");
	ck_assert_int_eq(chmod(at(p, "t/closed"), 0), 0);
	if (geteuid() != 0) {
		ck_assert_int_eq(ours(t, 1, 2, got, NULL, &e), MP_EIO);
		ck_assert_ptr_nonnull(strstr(e.msg, p));
		ck_assert_ptr_nonnull(strstr(e.msg, "Permission denied"));
	}
}
END_TEST

START_TEST(error_message_keeps_path_tail)
{
	char rel[PATH_MAX], p[PATH_MAX], got[HASH_HEX];
	mp_errbuf e = { { 0 } };
	size_t len;

	/* a 400-byte missing path: the message keeps the end, which names it */
	memset(rel, 'q', 381);
	rel[190] = '/';
	memcpy(rel + 381, "/the-missing-file", 18);
	len = strlen(at(p, rel));
	ck_assert_uint_gt(len, sizeof(e.msg));
	ck_assert_int_eq(hash_file(p, got, &e), MP_EIO);
	ck_assert_ptr_nonnull(strstr(e.msg, "the-missing-file'"));
	ck_assert_ptr_nonnull(strstr(e.msg, "..."));
	ck_assert_ptr_nonnull(strstr(e.msg, "No such file"));
}
END_TEST

static Suite *hash_suite(void)
{
	Suite *s = suite_create("hash");
	TCase *tc = tcase_create("sha256");
	TCase *tf = tcase_create("files");
	TCase *td = tcase_create("folders");

	tcase_add_test(tc, known_vectors);
	tcase_add_test(tc, incremental_matches_one_shot);
	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_set_timeout(tf, 120);
	tcase_add_test(tf, file_matches_sha256sum);
	tcase_add_test(tf, file_large);
	tcase_add_test(tf, file_errors);
	tcase_add_test(tf, error_message_keeps_path_tail);
	tcase_add_checked_fixture(td, setup, teardown);
	tcase_set_timeout(td, 120);
	tcase_add_test(td, folder_tree);
	tcase_add_test(td, folder_contents_not_names);
	tcase_add_test(td, folder_same_path_twice);
	tcase_add_test(td, folder_given_as_file_or_link);
	tcase_add_test(td, folder_large_and_many);
	tcase_add_test(td, folder_deep);
	tcase_add_test(td, folder_path_too_long);
	tcase_add_test(td, folder_errors);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tf);
	suite_add_tcase(s, td);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hash_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
