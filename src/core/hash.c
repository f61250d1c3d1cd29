/*
 * hash.c: SHA-256 of buffers, files and folders as MedPerf computes them
 * (see hash.h and reference section 2.5).
 *
 * The digest is OpenSSL 3's SHA-256, fetched once per process, so that the
 * CPU's SHA extensions do the work. Files are read with read() in blocks of
 * READ_BLOCK bytes into a buffer each worker owns; nothing is mapped and no
 * file is ever read whole.
 *
 * The folder hash runs in two phases:
 *   1. walk: an explicit stack of directories (no recursion, so depth is
 *      bounded by PATH_MAX only) collects every file with its size, with
 *      the rules of Python's os.walk(followlinks=False) as MedPerf uses it;
 *   2. hash: the files, largest first, go to a pool of workers that take
 *      the next index from an atomic counter; each writes its raw digest
 *      into the file's slot. The digests are then sorted (memcmp order on
 *      raw bytes is the byte order of their lowercase hex) and the hex
 *      strings are hashed in that order.
 *
 * This file is not a general tree walker: it knows only what the folder
 * hash needs (paths, sizes, and which entries count as files).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/hash.h"

/*
 * 256 KiB: few system calls per file, and the buffer that read() fills and
 * SHA-256 then reads stays in a core's L2 cache (measured: 64 KiB to 4 MiB
 * are within noise of each other on files in the page cache).
 */
#define READ_BLOCK ((size_t)256 << 10)
#define DIGEST_LEN 32
/* An upper bound on workers, whatever the caller or the machine says. */
#define MAX_WORKERS 256
/* How much of a long path an error message keeps (its tail names the file). */
#define MSG_PATH_TAIL 160

/* ------------------------------------------------------------------ */
/* The algorithm, messages, hex                                        */
/* ------------------------------------------------------------------ */

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_sha256; /* set once by md_fetch, never freed */

static void md_fetch(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* The fetched SHA-256, or NULL when OpenSSL does not provide it. */
static const EVP_MD *md_get(void)
{
	pthread_once(&md_once, md_fetch);
	return md_sha256;
}

static void to_hex(const unsigned char d[DIGEST_LEN], char out[HASH_HEX])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < DIGEST_LEN; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 0x0f];
	}
	out[2 * DIGEST_LEN] = '\0';
}

/*
 * The part of path an error message shows: all of it, or when it is long
 * its tail (which names the file) with *cut set to "...".
 */
static const char *msg_tail(const char *path, const char **cut)
{
	size_t len = strlen(path);

	*cut = "";
	if (len <= MSG_PATH_TAIL)
		return path;
	*cut = "...";
	return path + len - MSG_PATH_TAIL;
}

/*
 * Sets e to "WHAT 'PATH'" or "WHAT 'PATH': strerror(errnum)" (errnum 0: no
 * OS error) and returns code. Safe to call from several threads on
 * different e.
 */
static int path_err(mp_errbuf *e, int code, const char *what, const char *path, int errnum)
{
	char ebuf[128];
	const char *cut;
	const char *shown = msg_tail(path, &cut);

	if (errnum == 0)
		return mp_seterr(e, code, "%s '%s%s'", what, cut, shown);
	return mp_seterr(e, code, "%s '%s%s': %s", what, cut, shown,
			 strerror_r(errnum, ebuf, sizeof(ebuf)));
}

static const char *file_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a fifo";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISDIR(m))
		return "a directory";
	return "of an unknown kind";
}

/* "cannot hash 'PATH': a fifo, not a regular file", and the like. */
static int kind_err(mp_errbuf *e, const char *path, mode_t mode)
{
	const char *cut;
	const char *shown = msg_tail(path, &cut);

	return mp_seterr(e, MP_EIO, "cannot hash '%s%s': %s, not a regular file", cut, shown,
			 file_kind(mode));
}

/* ------------------------------------------------------------------ */
/* Buffers and the incremental API                                     */
/* ------------------------------------------------------------------ */

struct sha256 {
	EVP_MD_CTX *ctx;
};

void sha256_free(struct sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

struct sha256 *sha256_new(void)
{
	const EVP_MD *md = md_get();
	struct sha256 *h;

	if (md == NULL)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex2(h->ctx, md, NULL) != 1) {
		sha256_free(h);
		return NULL;
	}
	return h;
}

int sha256_update(struct sha256 *h, const void *data, size_t len)
{
	if (h == NULL || (data == NULL && len > 0))
		return MP_EINVAL;
	if (len == 0)
		return MP_OK;
	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		return MP_ECRYPTO;
	return MP_OK;
}

void sha256_final_hex(struct sha256 *h, char out[HASH_HEX])
{
	unsigned char d[DIGEST_LEN];

	out[0] = '\0';
	if (h == NULL)
		return;
	if (EVP_DigestFinal_ex(h->ctx, d, NULL) == 1)
		to_hex(d, out);
	sha256_free(h);
}

void sha256_hex(const void *data, size_t len, char out[HASH_HEX])
{
	const EVP_MD *md = md_get();
	unsigned char d[DIGEST_LEN];
	static const unsigned char none[1];

	out[0] = '\0';
	if (md == NULL)
		return;
	if (EVP_Digest(len > 0 ? data : none, len, d, NULL, md, NULL) == 1)
		to_hex(d, out);
}

/* ------------------------------------------------------------------ */
/* One file                                                            */
/* ------------------------------------------------------------------ */

/* What one thread needs to hash files: a context and a read buffer. */
struct hasher {
	const EVP_MD *md;
	EVP_MD_CTX *ctx;
	unsigned char *buf;
};

static void hasher_release(struct hasher *w)
{
	EVP_MD_CTX_free(w->ctx);
	free(w->buf);
	w->ctx = NULL;
	w->buf = NULL;
}

static int hasher_init(struct hasher *w, mp_errbuf *e)
{
	w->md = md_get();
	w->ctx = NULL;
	w->buf = NULL;
	if (w->md == NULL)
		return mp_seterr(e, MP_ECRYPTO, "hash: OpenSSL provides no SHA256");
	w->ctx = EVP_MD_CTX_new();
	w->buf = malloc(READ_BLOCK);
	if (w->ctx == NULL || w->buf == NULL) {
		hasher_release(w);
		return mp_seterr(e, MP_ENOMEM, "hash: out of memory");
	}
	return MP_OK;
}

/* open(2), again when a signal interrupts it. */
static int open_eintr(const char *path, int flags)
{
	int fd;

	do
		fd = open(path, flags);
	while (fd < 0 && errno == EINTR);
	return fd;
}

/*
 * The digest of the regular file at path (symbolic links followed) into d;
 * adds the bytes read to *nbytes. Anything but a regular file is refused:
 * O_NONBLOCK makes opening a fifo return at once, so that fstat can tell;
 * a regular file then gets blocking reads back.
 */
static int hasher_file(struct hasher *w, const char *path, unsigned char d[DIGEST_LEN],
		       uint64_t *nbytes, mp_errbuf *e)
{
	struct stat st;
	uint64_t total = 0;
	int fd, rc = MP_OK;

	fd = open_eintr(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return path_err(e, MP_EIO, "cannot open", path, errno);
	if (fstat(fd, &st) != 0) {
		rc = path_err(e, MP_EIO, "cannot stat", path, errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = kind_err(e, path, st.st_mode);
		goto out;
	}
	if (fcntl(fd, F_SETFL, 0) != 0) {
		rc = path_err(e, MP_EIO, "cannot read", path, errno);
		goto out;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (EVP_DigestInit_ex2(w->ctx, w->md, NULL) != 1) {
		rc = mp_seterr(e, MP_ECRYPTO, "hash: cannot start SHA256");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, w->buf, READ_BLOCK);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = path_err(e, MP_EIO, "cannot read", path, errno);
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(w->ctx, w->buf, (size_t)n) != 1) {
			rc = mp_seterr(e, MP_ECRYPTO, "hash: SHA256 update failed");
			goto out;
		}
		total += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(w->ctx, d, NULL) != 1) {
		rc = mp_seterr(e, MP_ECRYPTO, "hash: SHA256 final failed");
		goto out;
	}
	*nbytes += total;
out:
	close(fd);
	return rc;
}

int hash_file(const char *path, char out[HASH_HEX], mp_errbuf *e)
{
	struct hasher w;
	unsigned char d[DIGEST_LEN];
	uint64_t n = 0;
	int rc;

	out[0] = '\0';
	if (path == NULL)
		return mp_seterr(e, MP_EINVAL, "hash: no path");
	rc = hasher_init(&w, e);
	if (rc != MP_OK)
		return rc;
	rc = hasher_file(&w, path, d, &n, e);
	if (rc == MP_OK)
		to_hex(d, out);
	hasher_release(&w);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Phase 1: the walk                                                   */
/* ------------------------------------------------------------------ */

struct file_ent {
	size_t path; /* offset of the NUL-terminated path in walk.pool */
	uint64_t size;
};

/*
 * Everything the walk collects. Paths live back to back in one pool and
 * are named by offset (the pool moves when it grows). dirs is the stack of
 * directories still to read, also as pool offsets.
 */
struct walk {
	char *pool;
	size_t pool_len, pool_cap;
	struct file_ent *files;
	size_t nfiles, files_cap;
	size_t *dirs;
	size_t ndirs, dirs_cap;
	char cur[PATH_MAX]; /* the path being built */
};

static void walk_release(struct walk *w)
{
	free(w->pool);
	free(w->files);
	free(w->dirs);
}

/* Makes room for one more item of size sz in *arr (capacity *cap). */
static int grow(void **arr, size_t *cap, size_t need, size_t sz)
{
	size_t ncap = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return MP_OK;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / sz)
			return MP_ENOMEM;
		ncap *= 2;
	}
	p = realloc(*arr, ncap * sz);
	if (p == NULL)
		return MP_ENOMEM;
	*arr = p;
	*cap = ncap;
	return MP_OK;
}

/* Copies w->cur (len bytes) into the pool; its offset goes to *off. */
static int pool_add_cur(struct walk *w, size_t len, size_t *off, mp_errbuf *e)
{
	void *p = w->pool;

	if (grow(&p, &w->pool_cap, w->pool_len + len + 1, 1) != MP_OK)
		return mp_seterr(e, MP_ENOMEM, "hash: out of memory");
	w->pool = p;
	memcpy(w->pool + w->pool_len, w->cur, len + 1);
	*off = w->pool_len;
	w->pool_len += len + 1;
	return MP_OK;
}

static int push_dir(struct walk *w, size_t len, mp_errbuf *e)
{
	void *p = w->dirs;
	size_t off;
	int rc;

	if (grow(&p, &w->dirs_cap, w->ndirs + 1, sizeof(*w->dirs)) != MP_OK)
		return mp_seterr(e, MP_ENOMEM, "hash: out of memory");
	w->dirs = p;
	rc = pool_add_cur(w, len, &off, e);
	if (rc != MP_OK)
		return rc;
	w->dirs[w->ndirs++] = off;
	return MP_OK;
}

static int add_file(struct walk *w, size_t len, uint64_t size, mp_errbuf *e)
{
	void *p = w->files;
	size_t off;
	int rc;

	if (grow(&p, &w->files_cap, w->nfiles + 1, sizeof(*w->files)) != MP_OK)
		return mp_seterr(e, MP_ENOMEM, "hash: out of memory");
	w->files = p;
	rc = pool_add_cur(w, len, &off, e);
	if (rc != MP_OK)
		return rc;
	w->files[w->nfiles].path = off;
	w->files[w->nfiles].size = size;
	w->nfiles++;
	return MP_OK;
}

/*
 * Sorts one entry of the directory open at dfd (its path is w->cur, len
 * bytes) the way os.walk(followlinks=False) does: a directory is pushed; a
 * symbolic link to a directory is listed by os.walk but not entered, so it
 * contributes nothing; a regular file, or a link to one, is a file. A
 * broken link or any other kind of file (fifo, socket, device) would make
 * MedPerf's open() fail or block, so it is an error here.
 */
static int walk_entry(struct walk *w, int dfd, const char *name, size_t len, mp_errbuf *e)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return path_err(e, MP_EIO, "cannot stat", w->cur, errno);
	if (S_ISDIR(st.st_mode))
		return push_dir(w, len, e);
	if (S_ISLNK(st.st_mode)) {
		if (fstatat(dfd, name, &st, 0) != 0) {
			if (errno == ENOENT)
				return path_err(e, MP_EIO, "broken symbolic link", w->cur, 0);
			return path_err(e, MP_EIO, "cannot follow symbolic link", w->cur, errno);
		}
		if (S_ISDIR(st.st_mode))
			return MP_OK;
	}
	if (!S_ISREG(st.st_mode))
		return kind_err(e, w->cur, st.st_mode);
	return add_file(w, len, (uint64_t)st.st_size, e);
}

/* Reads the directory at pool offset off; top: it was given by the caller. */
static int walk_dir(struct walk *w, size_t off, bool top, mp_errbuf *e)
{
	DIR *d = NULL;
	size_t dlen = strlen(w->pool + off); /* < PATH_MAX, checked when pushed */
	size_t base = dlen;                  /* where entry names go */
	int fd, rc = MP_OK;

	memcpy(w->cur, w->pool + off, dlen + 1);
	/* A directory given by the caller may be a link (os.walk follows it). */
	fd = open_eintr(w->cur, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (top ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return path_err(e, MP_EIO, "cannot open directory", w->cur, errno);
	d = fdopendir(fd);
	if (d == NULL) {
		rc = path_err(e, MP_EIO, "cannot read directory", w->cur, errno);
		close(fd);
		return rc;
	}
	if (base > 0 && w->cur[base - 1] != '/')
		w->cur[base++] = '/';
	for (;;) {
		struct dirent *de;
		size_t nlen, len;

		errno = 0;
		de = readdir(d);
		if (de == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		nlen = strlen(de->d_name);
		len = base + nlen;
		if (len >= sizeof(w->cur)) {
			const char *cut, *shown;

			w->cur[dlen] = '\0';
			shown = msg_tail(w->cur, &cut);
			rc = mp_seterr(e, MP_ETOOBIG, "path too long (PATH_MAX is %d): '%s%s/%.40s...'",
				       PATH_MAX, cut, shown, de->d_name);
			goto out;
		}
		memcpy(w->cur + base, de->d_name, nlen + 1);
		rc = walk_entry(w, dirfd(d), de->d_name, len, e);
		if (rc != MP_OK)
			goto out;
	}
	if (errno != 0) {
		w->cur[dlen] = '\0';
		rc = path_err(e, MP_EIO, "cannot read directory", w->cur, errno);
	}
out:
	closedir(d);
	return rc;
}

/*
 * Walks one path given by the caller. As with os.walk, a path that is not
 * a directory (a regular file, a fifo, ...) yields nothing; unlike os.walk,
 * a path that does not exist or a directory that cannot be read is an
 * error rather than silently nothing.
 */
static int walk_path(struct walk *w, const char *path, mp_errbuf *e)
{
	struct stat st;
	size_t len;
	int rc;

	if (path == NULL)
		return mp_seterr(e, MP_EINVAL, "hash: no path");
	len = strlen(path);
	if (len >= sizeof(w->cur))
		return path_err(e, MP_ETOOBIG, "path too long", path, 0);
	if (stat(path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return path_err(e, MP_ENOTFOUND, "cannot hash", path, errno);
		return path_err(e, MP_EIO, "cannot stat", path, errno);
	}
	if (!S_ISDIR(st.st_mode))
		return MP_OK;
	memcpy(w->cur, path, len + 1);
	rc = push_dir(w, len, e);
	if (rc != MP_OK)
		return rc;
	rc = walk_dir(w, w->dirs[--w->ndirs], true, e);
	while (rc == MP_OK && w->ndirs > 0)
		rc = walk_dir(w, w->dirs[--w->ndirs], false, e);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Phase 2: the workers                                                */
/* ------------------------------------------------------------------ */

struct job {
	const struct walk *w;
	unsigned char (*digests)[DIGEST_LEN]; /* one slot per file, same index */
	atomic_size_t next;                   /* the next file to hand out */
	atomic_int failed;                    /* set once, by the first failure */
	atomic_uint_least64_t bytes;
	int rc;                               /* written by the first failure only */
	mp_errbuf *e;
};

/* Records the first failure of any worker; later ones are dropped. */
static void job_fail(struct job *j, int rc, const mp_errbuf *local)
{
	int expected = 0;

	if (!atomic_compare_exchange_strong(&j->failed, &expected, 1))
		return;
	j->rc = rc;
	if (j->e != NULL)
		*j->e = *local;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	struct hasher h;
	mp_errbuf local = { { 0 } };
	uint64_t bytes = 0;
	int rc;

	rc = hasher_init(&h, &local);
	if (rc != MP_OK) {
		job_fail(j, rc, &local);
		return NULL;
	}
	while (atomic_load_explicit(&j->failed, memory_order_relaxed) == 0) {
		size_t i = atomic_fetch_add(&j->next, 1);

		if (i >= j->w->nfiles)
			break;
		rc = hasher_file(&h, j->w->pool + j->w->files[i].path, j->digests[i], &bytes,
				 &local);
		if (rc != MP_OK) {
			job_fail(j, rc, &local);
			break;
		}
	}
	atomic_fetch_add(&j->bytes, bytes);
	hasher_release(&h);
	return NULL;
}

static int by_size_desc(const void *a, const void *b)
{
	const struct file_ent *x = a, *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->path < y->path ? -1 : x->path > y->path;
}

static int by_digest(const void *a, const void *b)
{
	return memcmp(a, b, DIGEST_LEN);
}

static size_t worker_count(int threads, size_t nfiles)
{
	long n = threads;

	if (n == 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	if ((size_t)n > nfiles)
		n = (long)(nfiles > 0 ? nfiles : 1);
	return (size_t)n;
}

/*
 * Hashes every file of w into j->digests with up to nworkers threads, the
 * calling thread being one of them. When a thread cannot be started, the
 * ones that did start (and the caller) do the work.
 */
static void run_workers(struct job *j, size_t nworkers)
{
	pthread_t tids[MAX_WORKERS];
	size_t started = 0;

	for (size_t i = 1; i < nworkers; i++) {
		if (pthread_create(&tids[started], NULL, worker, j) != 0)
			break;
		started++;
	}
	worker(j);
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
}

/* The folder hash from the sorted raw digests. */
static int combine(unsigned char (*digests)[DIGEST_LEN], size_t n, char out[HASH_HEX],
		   mp_errbuf *e)
{
	struct sha256 *h = sha256_new();
	char hex[HASH_HEX];

	if (h == NULL)
		return mp_seterr(e, MP_ECRYPTO, "hash: cannot start SHA256");
	if (n > 1)
		qsort(digests, n, DIGEST_LEN, by_digest);
	for (size_t i = 0; i < n; i++) {
		to_hex(digests[i], hex);
		if (sha256_update(h, hex, 2 * DIGEST_LEN) != MP_OK) {
			sha256_free(h);
			return mp_seterr(e, MP_ECRYPTO, "hash: SHA256 update failed");
		}
	}
	sha256_final_hex(h, out);
	if (out[0] == '\0')
		return mp_seterr(e, MP_ECRYPTO, "hash: SHA256 final failed");
	return MP_OK;
}

int hash_folders(const char *const *paths, size_t npaths, int threads, char out[HASH_HEX],
		 struct hash_stats *stats, mp_errbuf *e)
{
	struct walk *w;
	struct job j;
	unsigned char (*digests)[DIGEST_LEN] = NULL;
	int rc = MP_OK;

	out[0] = '\0';
	if (stats != NULL)
		*stats = (struct hash_stats){ 0, 0 };
	if (threads < 0 || (paths == NULL && npaths > 0))
		return mp_seterr(e, MP_EINVAL, "hash: bad arguments");
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return mp_seterr(e, MP_ENOMEM, "hash: out of memory");
	for (size_t i = 0; i < npaths && rc == MP_OK; i++)
		rc = walk_path(w, paths[i], e);
	if (rc != MP_OK)
		goto out;
	if (w->nfiles > 0) {
		digests = malloc(w->nfiles * DIGEST_LEN);
		if (digests == NULL) {
			rc = mp_seterr(e, MP_ENOMEM, "hash: out of memory");
			goto out;
		}
	}
	if (w->nfiles > 1)
		qsort(w->files, w->nfiles, sizeof(*w->files), by_size_desc);
	j.w = w;
	j.digests = digests;
	atomic_init(&j.next, 0);
	atomic_init(&j.failed, 0);
	atomic_init(&j.bytes, 0);
	j.rc = MP_OK;
	j.e = e;
	if (w->nfiles > 0)
		run_workers(&j, worker_count(threads, w->nfiles));
	if (atomic_load(&j.failed)) {
		rc = j.rc;
		goto out;
	}
	rc = combine(digests, w->nfiles, out, e);
	if (rc == MP_OK && stats != NULL) {
		stats->files = w->nfiles;
		stats->bytes = atomic_load(&j.bytes);
	}
out:
	free(digests);
	walk_release(w);
	free(w);
	return rc;
}
