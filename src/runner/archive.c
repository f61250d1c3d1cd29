/*
 * runner/archive.c: extracts tar archives from strangers (archive.h).
 *
 * libarchive only reads and decompresses; this file does the writing itself:
 * every entry is checked (path, type, link target, limits) and created with
 * openat()/mkdirat()/symlinkat()/linkat() under a private folder, walking
 * one component at a time and never following a symbolic link, so nothing
 * can land outside that folder whatever the entries say. Content is counted
 * as it comes out of the decompressor, never from the headers.
 *
 * Symbolic links: the target must be relative, made of leading ".." (no more
 * than the link's depth) followed by names only. Together with "no entry is
 * written through a symbolic link", this keeps every link inside the tree
 * however links point at each other, in whatever order they come.
 *
 * Not a general tar: owners, times, ACLs and extended attributes are not
 * restored; duplicate paths are refused (except a folder given twice).
 * Opening the archive (the libarchive reader) and archive_read_member are
 * in archive_read.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "core/buf.h"
#include "runner/archive.h"
#include "runner/archive_int.h"

#define READ_CHUNK ((size_t)128 << 10)

/*
 * Modes are normalised: folders 0755, files 0755 when any execute bit is set,
 * else 0644. A tree from a stranger is then readable by the sandbox user that
 * runs it (not its owner when medperf runs as root) and removable by its owner.
 */
static mode_t file_mode(mode_t m)
{
	return (m & 0111) ? 0755 : 0644;
}

/* ------------------------------------------------------------------ */
/* Extraction state                                                    */
/* ------------------------------------------------------------------ */

/* A folder whose mode is set at the end (folders stay 0700 meanwhile). */
struct dirmode {
	char *path;
	size_t seq;
	unsigned depth;
	mode_t mode;
};

struct xctx {
	struct archive *a;
	struct archive_limits lim;   /* defaults filled in */
	int root;                    /* the temporary folder */
	struct buf path;             /* the entry's path, normalised ("" = the folder itself) */
	unsigned depth;              /* its components */
	struct buf target;           /* a hard link's target, normalised */
	struct buf cached;           /* the folder parent_fd is open on */
	int parent_fd;               /* -1: none */
	struct dirmode *dirs;
	size_t ndirs, capdirs;
	uint64_t seen, total;
	char *chunk;
	struct archive_stats st;
	char why[200];               /* the reason an entry was refused */
};

static int why(struct xctx *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int why(struct xctx *c, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return rc;
}

static int add_dirmode(struct xctx *c, const char *path, size_t len, unsigned depth, mode_t mode)
{
	struct dirmode *d;

	if (c->ndirs == c->capdirs) {
		size_t ncap = c->capdirs ? c->capdirs * 2 : 64;
		d = realloc(c->dirs, ncap * sizeof(*d));
		if (d == NULL)
			return why(c, MP_ENOMEM, "out of memory");
		c->dirs = d;
		c->capdirs = ncap;
	}
	d = &c->dirs[c->ndirs];
	d->path = strndup(path, len);
	if (d->path == NULL)
		return why(c, MP_ENOMEM, "out of memory");
	d->seq = c->ndirs++;
	d->depth = depth;
	d->mode = 0755;
	(void)mode;
	return MP_OK;
}

/*
 * Checks a path from the archive and writes its normal form to out: no
 * empty or "." components, no trailing '/'; "" is the folder itself.
 */
static int norm_path(struct xctx *c, const char *raw, struct buf *out, unsigned *depth)
{
	const char *p = raw;

	buf_reset(out);
	*depth = 0;
	if (raw[0] == '\0')
		return why(c, MP_EINVAL, "empty path");
	if (strlen(raw) > c->lim.max_path)
		return why(c, MP_ETOOBIG, "path longer than %zu bytes", c->lim.max_path);
	if (raw[0] == '/')
		return why(c, MP_EINVAL, "absolute path");
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return why(c, MP_EINVAL, "path leaves the folder");
		if (n > NAME_MAX)
			return why(c, MP_EINVAL, "a name longer than %d bytes", NAME_MAX);
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (++*depth > c->lim.max_depth)
				return why(c, MP_ETOOBIG, "path deeper than %u levels", c->lim.max_depth);
			if ((out->len > 0 && buf_addch(out, '/') != MP_OK) || buf_add(out, p, n) != MP_OK)
				return why(c, MP_ENOMEM, "out of memory");
		}
		p += n;
		while (*p == '/')
			p++;
	}
	return MP_OK;
}

/*
 * A symbolic link's target must be relative, and be leading ".." (at most
 * the depth of the link's folder) then names only: resolved from the link's
 * own folder, which is a real folder (nothing is written through links), it
 * stays in the tree, and so does everything reached through it.
 */
static int check_symlink(struct xctx *c, const char *target)
{
	struct shown sn;
	const char *p = target;
	unsigned up = 0, names = 0, folder_depth = c->depth - 1;

	if (target[0] == '\0')
		return why(c, MP_EINVAL, "symbolic link with an empty target");
	if (strlen(target) > c->lim.max_path)
		return why(c, MP_ETOOBIG, "symbolic link target longer than %zu bytes",
			   c->lim.max_path);
	if (target[0] == '/')
		return why(c, MP_EINVAL, "symbolic link to an absolute path '%s'", show(&sn, target));
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (names > 0)
				return why(c, MP_EINVAL,
					   "symbolic link '%s' has '..' after a name "
					   "(only leading '..' are allowed)", show(&sn, target));
			if (++up > folder_depth)
				return why(c, MP_EINVAL, "symbolic link '%s' leaves the folder",
					   show(&sn, target));
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			names++;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	return MP_OK;
}

/*
 * Makes parent_fd the folder holding the first plen bytes of npath (a
 * normalised path), one component at a time without following symbolic
 * links; with create, missing folders are made (mode 0755 at the end).
 * ENOENT without create answers MP_ENOTFOUND.
 */
static int walk(struct xctx *c, const char *npath, size_t plen, int create)
{
	struct shown sn;
	char name[NAME_MAX + 1];
	size_t at = 0;
	unsigned depth = 0;
	int fd, rc = MP_OK;

	if (c->parent_fd >= 0 && c->cached.len == plen && memcmp(c->cached.data, npath, plen) == 0)
		return MP_OK;
	if (c->parent_fd >= 0)
		close(c->parent_fd);
	c->parent_fd = -1;
	buf_reset(&c->cached);
	fd = dup(c->root);
	if (fd < 0)
		return why(c, MP_EIO, "cannot open the folder: %s", strerror(errno));
	while (at < plen) {
		size_t n = strcspn(npath + at, "/");
		int next;

		if (n > plen - at)
			n = plen - at;
		memcpy(name, npath + at, n);  /* n <= NAME_MAX: norm_path checked */
		name[n] = '\0';
		depth++;
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, name, 0700) != 0) {
				rc = why(c, MP_EIO, "cannot make folder '%s': %s",
					 show(&sn, name), strerror(errno));
				break;
			}
			rc = add_dirmode(c, npath, at + n, depth, 0755);
			if (rc != MP_OK)
				break;
			next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			struct stat st;
			int err = errno;
			char prefix[SHOWN_MAX + 1];

			snprintf(prefix, sizeof(prefix), "%.*s", (int)(at + n), npath);
			if (err == ENOENT)
				rc = why(c, MP_ENOTFOUND, "'%s' does not exist", show(&sn, prefix));
			else if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				rc = why(c, MP_EINVAL, "path goes through the symbolic link '%s'",
					 show(&sn, prefix));
			else if (err == ENOTDIR)
				rc = why(c, MP_EINVAL, "'%s' is not a folder", show(&sn, prefix));
			else
				rc = why(c, MP_EIO, "cannot open folder '%s': %s", show(&sn, prefix),
					 strerror(err));
			break;
		}
		close(fd);
		fd = next;
		at += n;
		if (at < plen)
			at++;  /* the '/' */
	}
	if (rc != MP_OK) {
		close(fd);
		return rc;
	}
	if (buf_add(&c->cached, npath, plen) != MP_OK) {
		close(fd);
		return why(c, MP_ENOMEM, "out of memory");
	}
	c->parent_fd = fd;
	return MP_OK;
}

/* Length of the folder part of a normalised path, and where its last name starts. */
static size_t split_leaf(const char *npath, const char **leaf)
{
	const char *slash = strrchr(npath, '/');

	*leaf = slash != NULL ? slash + 1 : npath;
	return slash != NULL ? (size_t)(slash - npath) : 0;
}

/* ------------------------------------------------------------------ */
/* One entry                                                           */
/* ------------------------------------------------------------------ */

/* Reads the entry's content (all of it, counted against the limits), writing it to fd if >= 0. */
static int copy_data(struct xctx *c, int fd)
{
	uint64_t mine = 0;

	for (;;) {
		la_ssize_t n = archive_read_data(c->a, c->chunk, READ_CHUNK);
		const char *whyarch;

		if (n == 0)
			return MP_OK;
		if (n < 0) {
			whyarch = archive_error_string(c->a);
			return why(c, MP_EINVAL, "corrupt content: %s",
				   whyarch != NULL ? whyarch : "unknown error");
		}
		mine += (uint64_t)n;
		c->total += (uint64_t)n;
		if (c->total > c->lim.max_total_bytes)
			return why(c, MP_ETOOBIG, "the archive has more than %" PRIu64
				   " bytes of content", c->lim.max_total_bytes);
		if (mine > c->lim.max_entry_bytes)
			return why(c, MP_ETOOBIG, "more than %" PRIu64 " bytes", c->lim.max_entry_bytes);
		for (la_ssize_t off = 0; fd >= 0 && off < n;) {
			ssize_t w = write(fd, c->chunk + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return why(c, MP_EIO, "cannot write: %s", strerror(errno));
			off += w;
		}
		if (fd >= 0)
			c->st.bytes += (uint64_t)n;
	}
}

static int duplicate(struct xctx *c, int err)
{
	if (err == EEXIST)
		return why(c, MP_EINVAL, "duplicate of an earlier entry");
	return why(c, MP_EIO, "cannot create: %s", strerror(err));
}

/* Creates a regular file, fills it with the entry's content and sets its mode. */
static int put_file(struct xctx *c, const char *leaf, mode_t mode)
{
	int fd, rc;

	fd = openat(c->parent_fd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return duplicate(c, errno);
	rc = copy_data(c, fd);
	if (rc == MP_OK && fchmod(fd, file_mode(mode)) != 0)
		rc = why(c, MP_EIO, "cannot set mode: %s", strerror(errno));
	if (close(fd) != 0 && rc == MP_OK)
		rc = why(c, MP_EIO, "cannot write: %s", strerror(errno));
	return rc;
}

/* Makes a folder (0700 until the end); one already made by the archive is fine. */
static int put_dir(struct xctx *c, const char *leaf, mode_t mode)
{
	struct stat st;

	if (mkdirat(c->parent_fd, leaf, 0700) != 0) {
		int err = errno;

		if (err != EEXIST)
			return why(c, MP_EIO, "cannot make folder: %s", strerror(err));
		if (fstatat(c->parent_fd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
			return duplicate(c, err);
	}
	return add_dirmode(c, c->path.data, c->path.len, c->depth, mode);
}

static int put_symlink(struct xctx *c, const char *leaf, const char *target)
{
	if (symlinkat(target, c->parent_fd, leaf) != 0)
		return duplicate(c, errno);
	return MP_OK;
}

static int put_hardlink(struct xctx *c, const char *target)
{
	struct shown sn;
	struct stat st;
	const char *tleaf, *leaf;
	unsigned tdepth;
	size_t plen;
	int rc, tfd;

	rc = norm_path(c, target, &c->target, &tdepth);
	if (rc != MP_OK) {
		char inner[sizeof(c->why)];

		memcpy(inner, c->why, sizeof(inner));
		return why(c, rc, "hard link to '%s': %s", show(&sn, target), inner);
	}
	plen = split_leaf(c->target.data, &tleaf);
	rc = c->target.len == 0 ? MP_ENOTFOUND : walk(c, c->target.data, plen, 0);
	if (rc == MP_OK && (fstatat(c->parent_fd, tleaf, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
			    !S_ISREG(st.st_mode)))
		rc = MP_ENOTFOUND;
	if (rc == MP_ENOTFOUND || rc == MP_EINVAL)
		return why(c, MP_EINVAL, "hard link to '%s', not a regular file extracted earlier",
			   show(&sn, target));
	if (rc != MP_OK)
		return rc;
	tfd = dup(c->parent_fd);
	if (tfd < 0)
		return why(c, MP_EIO, "cannot open the folder: %s", strerror(errno));
	plen = split_leaf(c->path.data, &leaf);
	rc = walk(c, c->path.data, plen, 1);
	if (rc == MP_OK && linkat(tfd, tleaf, c->parent_fd, leaf, 0) != 0)
		rc = duplicate(c, errno);
	close(tfd);
	return rc;
}

static const char *special_kind(mode_t type)
{
	switch (type) {
	case AE_IFCHR: return "character device";
	case AE_IFBLK: return "block device";
	case AE_IFIFO: return "FIFO";
	case AE_IFSOCK: return "socket";
	default: return NULL;
	}
}

/* Checks and extracts the current entry, content included; c->why says why not. */
static int put_entry(struct xctx *c, struct archive_entry *ent)
{
	const char *raw = archive_entry_pathname(ent);
	const char *hard = archive_entry_hardlink(ent);
	const char *target = archive_entry_symlink(ent);
	mode_t type = archive_entry_filetype(ent);
	const char *kind = special_kind(type), *leaf;
	int rc;

	if (raw == NULL)
		return why(c, MP_EINVAL, "path not readable in this locale");
	rc = norm_path(c, raw, &c->path, &c->depth);
	if (rc != MP_OK)
		return rc;
	if (c->path.len == 0) {  /* "./": the folder itself */
		if (hard != NULL || type != AE_IFDIR)
			return why(c, MP_EINVAL, "the folder itself given as another kind of entry");
		return copy_data(c, -1);
	}
	if (hard != NULL) {
		rc = put_hardlink(c, hard);
	} else if (type == AE_IFREG || type == AE_IFDIR || type == AE_IFLNK) {
		if (type == AE_IFLNK)
			rc = check_symlink(c, target != NULL ? target : "");
		if (rc == MP_OK)
			rc = walk(c, c->path.data, split_leaf(c->path.data, &leaf), 1);
		if (rc == MP_OK && type == AE_IFREG)
			rc = put_file(c, leaf, archive_entry_perm(ent));
		else if (rc == MP_OK && type == AE_IFDIR)
			rc = put_dir(c, leaf, archive_entry_perm(ent));
		else if (rc == MP_OK)
			rc = put_symlink(c, leaf, target);
	} else if (kind != NULL) {
		return why(c, MP_EINVAL, "%s not allowed", kind);
	} else {
		return why(c, MP_EINVAL, "unknown kind of entry");
	}
	if (rc != MP_OK)
		return rc;
	c->st.entries++;
	/* a file's content is written; other entries have none, but count what comes */
	return hard == NULL && type == AE_IFREG ? MP_OK : copy_data(c, -1);
}

/* ------------------------------------------------------------------ */
/* The folder: modes at the end, removal on failure                    */
/* ------------------------------------------------------------------ */

/* Deepest first (parents stay 0700 until their children are done); of one path, the last given first. */
static int dirmode_cmp(const void *pa, const void *pb)
{
	const struct dirmode *a = pa, *b = pb;
	int r;

	if (a->depth != b->depth)
		return a->depth > b->depth ? -1 : 1;
	r = strcmp(a->path, b->path);
	if (r != 0)
		return r;
	return a->seq > b->seq ? -1 : (a->seq < b->seq ? 1 : 0);
}

static int apply_modes(struct xctx *c)
{
	struct shown sn;
	const char *leaf;

	if (c->ndirs > 0)
		qsort(c->dirs, c->ndirs, sizeof(*c->dirs), dirmode_cmp);
	for (size_t i = 0; i < c->ndirs; i++) {
		const struct dirmode *d = &c->dirs[i];
		int fd, rc;

		if (i > 0 && strcmp(d->path, c->dirs[i - 1].path) == 0)
			continue;
		rc = walk(c, d->path, split_leaf(d->path, &leaf), 0);
		if (rc != MP_OK)
			return rc;
		fd = openat(c->parent_fd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fchmod(fd, d->mode) != 0) {
			rc = why(c, MP_EIO, "cannot set the mode of '%s': %s", show(&sn, d->path),
				 strerror(errno));
			if (fd >= 0)
				close(fd);
			return rc;
		}
		close(fd);
	}
	if (fchmod(c->root, 0755) != 0)
		return why(c, MP_EIO, "cannot set the folder's mode: %s", strerror(errno));
	return MP_OK;
}

/* Removes name (under dfd) and everything in it, without following links. */
static void remove_tree(int dfd, const char *name)
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
	fchmodat(dfd, name, 0700, 0);  /* a folder of ours, just seen not to be a link */
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		d = fdopendir(fd);
		if (d == NULL) {
			close(fd);
		} else {
			while ((de = readdir(d)) != NULL) {
				if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
					remove_tree(dirfd(d), de->d_name);
			}
			closedir(d);
		}
	}
	unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Makes the temporary folder beside dest: "<parent>/.<name>.part-XXXXXX". */
static int make_temp(const char *dest, struct buf *tmp, mp_errbuf *e)
{
	struct shown sn;
	size_t len = strlen(dest);
	const char *slash;
	size_t plen;

	while (len > 1 && dest[len - 1] == '/')
		len--;
	slash = memrchr(dest, '/', len);
	plen = slash != NULL ? (size_t)(slash - dest) + 1 : 0;
	if (len == 0 || (len - plen == 1 && dest[plen] == '.') ||
	    (len - plen == 2 && dest[plen] == '.' && dest[plen + 1] == '.') ||
	    (len == 1 && dest[0] == '/'))
		return mp_seterr(e, MP_EINVAL, "'%s': not a folder name to extract to", show(&sn, dest));
	if (buf_add(tmp, dest, plen) != MP_OK || buf_addch(tmp, '.') != MP_OK ||
	    buf_add(tmp, dest + plen, len - plen) != MP_OK || buf_adds(tmp, ".part-XXXXXX") != MP_OK)
		return mp_seterr(e, MP_ETOOBIG, "'%s': path too long", show(&sn, dest));
	if (mkdtemp(tmp->data) == NULL)
		return mp_seterr(e, MP_EIO, "cannot make a folder beside '%s': %s", show(&sn, dest),
				 strerror(errno));
	return MP_OK;
}

/* Renames the finished folder to dest, never replacing anything there. */
static int move_into_place(const char *tmp, const char *dest, mp_errbuf *e)
{
	struct shown sn;
	struct stat sb;
	int err;

	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_NOREPLACE) == 0)
		return MP_OK;
	err = errno;
	if (err == EINVAL || err == ENOSYS) {  /* a file system without RENAME_NOREPLACE */
		if (lstat(dest, &sb) == 0)
			err = EEXIST;
		else if (rename(tmp, dest) == 0)
			return MP_OK;
		else
			err = errno;
	}
	if (err == EEXIST || err == ENOTEMPTY)
		return mp_seterr(e, MP_EEXISTS, "'%s' already exists", show(&sn, dest));
	return mp_seterr(e, MP_EIO, "cannot move the extracted folder to '%s': %s", show(&sn, dest),
			 strerror(err));
}

static void fill_limits(struct archive_limits *l, const struct archive_limits *given)
{
	if (given != NULL)
		*l = *given;
	else
		memset(l, 0, sizeof(*l));
	if (l->max_entries == 0)
		l->max_entries = DEF_MAX_ENTRIES;
	if (l->max_total_bytes == 0)
		l->max_total_bytes = DEF_MAX_TOTAL;
	if (l->max_entry_bytes == 0)
		l->max_entry_bytes = l->max_total_bytes;
	if (l->max_path == 0)
		l->max_path = DEF_MAX_PATH;
	if (l->max_depth == 0)
		l->max_depth = DEF_MAX_DEPTH;
}

/* Reads every entry into c->root; the message names the entry. */
static int extract_all(struct xctx *c, const char *name, mp_errbuf *e)
{
	struct shown sn, se;
	struct archive_entry *ent;

	for (;;) {
		int r = archive_read_next_header(c->a, &ent), rc;

		if (r == ARCHIVE_EOF)
			return MP_OK;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return arch_header_error(c->a, name, c->seen, e);
		if (++c->seen > c->lim.max_entries)
			return mp_seterr(e, MP_ETOOBIG, "%s: more than %" PRIu64 " entries",
					 show(&sn, name), c->lim.max_entries);
		rc = put_entry(c, ent);
		if (rc != MP_OK)
			return mp_seterr(e, rc, "%s: entry '%s': %s", show(&sn, name),
					 show(&se, archive_entry_pathname(ent)), c->why);
	}
}

int archive_extract_safe(const char *path, const char *dest, const struct archive_limits *lim,
			 struct archive_stats *st, mp_errbuf *e)
{
	struct xctx c = {.root = -1, .parent_fd = -1};
	struct shown sn;
	struct stat sb;
	struct buf tmp;
	const char *name = base_name(path);
	int fd = -1, rc, made = 0;

	fill_limits(&c.lim, lim);
	buf_init(&tmp, PATH_MAX);
	buf_init(&c.path, c.lim.max_path);  /* normal forms are never longer than the raw paths */
	buf_init(&c.target, c.lim.max_path);
	buf_init(&c.cached, c.lim.max_path);
	if (st != NULL)
		memset(st, 0, sizeof(*st));
	if (lstat(dest, &sb) == 0) {
		rc = mp_seterr(e, MP_EEXISTS, "'%s' already exists", show(&sn, dest));
		goto out;
	}
	if (errno != ENOENT) {
		rc = mp_seterr(e, MP_EIO, "'%s': %s", show(&sn, dest), strerror(errno));
		goto out;
	}
	rc = arch_open_input(path, name, &fd, e);
	if (rc != MP_OK)
		goto out;
	rc = arch_reader_open(fd, name, &c.a, e);
	if (rc != MP_OK)
		goto out;
	c.chunk = malloc(READ_CHUNK);
	if (c.chunk == NULL) {
		rc = mp_seterr(e, MP_ENOMEM, "%s: out of memory", show(&sn, name));
		goto out;
	}
	rc = make_temp(dest, &tmp, e);
	if (rc != MP_OK)
		goto out;
	made = 1;
	c.root = open(tmp.data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c.root < 0) {
		rc = mp_seterr(e, MP_EIO, "cannot open '%s': %s", show(&sn, tmp.data), strerror(errno));
		goto out;
	}
	rc = extract_all(&c, name, e);
	if (rc != MP_OK)
		goto out;
	rc = apply_modes(&c);
	if (rc != MP_OK) {
		mp_seterr(e, rc, "%s: %s", show(&sn, name), c.why);
		goto out;
	}
	rc = move_into_place(tmp.data, dest, e);
	if (rc != MP_OK)
		goto out;
	made = 0;
out:
	if (st != NULL)
		*st = c.st;
	if (c.parent_fd >= 0)
		close(c.parent_fd);
	if (c.root >= 0)
		close(c.root);
	if (made)
		remove_tree(AT_FDCWD, tmp.data);
	if (c.a != NULL)
		archive_read_free(c.a);
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < c.ndirs; i++)
		free(c.dirs[i].path);
	free(c.dirs);
	free(c.chunk);
	buf_release(&c.path);
	buf_release(&c.target);
	buf_release(&c.cached);
	buf_release(&tmp);
	return rc;
}

