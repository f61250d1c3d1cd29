/*
 * runner/archive_read.c: opens archives from strangers for reading with
 * libarchive (tar, plain or gzip/xz/bzip2/zstd compressed, the format
 * detected from content; archive_int.h), and archive_read_member
 * (archive.h), which reads one regular-file member into memory, capped.
 * Extraction to a folder is archive.c's job.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "core/buf.h"
#include "runner/archive.h"
#include "runner/archive_int.h"

/* ------------------------------------------------------------------ */
/* libarchive set-up                                                   */
/* ------------------------------------------------------------------ */

int arch_header_error(struct archive *a, const char *name, uint64_t seen, mp_errbuf *e)
{
	struct shown sn;
	const char *reason = archive_error_string(a);

	if (reason == NULL)
		reason = "unknown error";
	if (seen == 0)
		return mp_seterr(e, MP_EINVAL,
				 "%s: not a tar archive (plain, gzip, xz, bzip2 or zstd): %s",
				 show(&sn, name), reason);
	return mp_seterr(e, MP_EINVAL, "%s: corrupt archive after %" PRIu64 " entries: %s",
			 show(&sn, name), seen, reason);
}

int arch_reader_open(int fd, const char *name, struct archive **out, mp_errbuf *e)
{
	struct shown sn;
	struct archive *a = archive_read_new();
	const char *whyarch;
	int err, rc;

	*out = NULL;
	if (a == NULL)
		return mp_seterr(e, MP_ENOMEM, "%s: cannot start reading: out of memory",
				 show(&sn, name));
	/* ARCHIVE_WARN means "through an external program": still usable */
	if (archive_read_support_format_tar(a) >= ARCHIVE_WARN &&
	    archive_read_support_filter_gzip(a) >= ARCHIVE_WARN &&
	    archive_read_support_filter_xz(a) >= ARCHIVE_WARN &&
	    archive_read_support_filter_bzip2(a) >= ARCHIVE_WARN &&
	    archive_read_support_filter_zstd(a) >= ARCHIVE_WARN &&
	    archive_read_open_fd(a, fd, 64 << 10) == ARCHIVE_OK) {
		*out = a;
		return MP_OK;
	}
	/* the format is recognised while opening: EILSEQ is libarchive's "not this format" */
	err = archive_errno(a);
	whyarch = archive_error_string(a);
	if (err == ENOMEM)
		rc = mp_seterr(e, MP_ENOMEM, "%s: cannot start reading: out of memory",
			       show(&sn, name));
	else if (err > 0 && err != EILSEQ)
		rc = mp_seterr(e, MP_EIO, "%s: cannot read: %s", show(&sn, name),
			       whyarch != NULL ? whyarch : strerror(err));
	else
		rc = arch_header_error(a, name, 0, e);
	archive_read_free(a);
	return rc;
}

int arch_open_input(const char *path, const char *name, int *fd, mp_errbuf *e)
{
	struct stat st;
	struct shown sn;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return mp_seterr(e, MP_EIO, "%s: cannot open: %s", show(&sn, name), strerror(errno));
	if (fstat(*fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		close(*fd);
		*fd = -1;
		return mp_seterr(e, MP_EINVAL, "%s: not an archive file", show(&sn, name));
	}
	return MP_OK;
}

/* ------------------------------------------------------------------ */
/* One member, read into memory                                        */
/* ------------------------------------------------------------------ */

/* Skips leading "./" (and the slashes after it), as tar writes them. */
static const char *skip_dot_slash(const char *p)
{
	while (p[0] == '.' && p[1] == '/') {
		p += 2;
		while (*p == '/')
			p++;
	}
	return p;
}

/* Reads the current entry's content into b (capped at its max). */
static int read_content(struct archive *a, struct buf *b, const char *name, const char *member,
			mp_errbuf *e)
{
	struct shown sn, sm;
	char chunk[16384];

	for (;;) {
		la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));
		int rc;

		if (n == 0)
			return MP_OK;
		if (n < 0) {
			const char *whyarch = archive_error_string(a);
			return mp_seterr(e, MP_EINVAL, "%s: member '%s': corrupt content: %s",
					 show(&sn, name), show(&sm, member),
					 whyarch != NULL ? whyarch : "unknown error");
		}
		rc = buf_add(b, chunk, (size_t)n);
		if (rc == MP_ETOOBIG)
			return mp_seterr(e, rc, "%s: member '%s': more than %zu bytes", show(&sn, name),
					 show(&sm, member), b->max);
		if (rc != MP_OK)
			return mp_seterr(e, rc, "%s: member '%s': out of memory", show(&sn, name),
					 show(&sm, member));
	}
}

int archive_read_member(const char *path, const char *member, size_t max, char **out,
			size_t *len, mp_errbuf *e)
{
	struct shown sn, sm;
	struct archive *a = NULL;
	struct archive_entry *ent;
	struct buf b;
	const char *name = base_name(path), *want = skip_dot_slash(member);
	uint64_t seen = 0;
	int fd = -1, rc;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	buf_init(&b, max);
	if (want[0] == '\0') {
		rc = mp_seterr(e, MP_EINVAL, "%s: empty member name", show(&sn, name));
		goto out;
	}
	rc = arch_open_input(path, name, &fd, e);
	if (rc != MP_OK)
		goto out;
	rc = arch_reader_open(fd, name, &a, e);
	if (rc != MP_OK)
		goto out;
	for (;;) {
		int r = archive_read_next_header(a, &ent);
		const char *p;

		if (r == ARCHIVE_EOF) {
			rc = mp_seterr(e, MP_ENOTFOUND, "%s: no member '%s'", show(&sn, name),
				       show(&sm, member));
			goto out;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = arch_header_error(a, name, seen, e);
			goto out;
		}
		if (++seen > DEF_MAX_ENTRIES) {
			rc = mp_seterr(e, MP_ETOOBIG, "%s: more than %u entries", show(&sn, name),
				       DEF_MAX_ENTRIES);
			goto out;
		}
		p = archive_entry_pathname(ent);
		if (p != NULL && strcmp(skip_dot_slash(p), want) == 0)
			break;
	}
	if (archive_entry_hardlink(ent) != NULL || archive_entry_filetype(ent) != AE_IFREG) {
		rc = mp_seterr(e, MP_EINVAL, "%s: member '%s' is not a regular file", show(&sn, name),
			       show(&sm, member));
		goto out;
	}
	rc = read_content(a, &b, name, member, e);
	if (rc != MP_OK)
		goto out;
	*out = buf_detach(&b, len);
	if (*out == NULL)
		rc = mp_seterr(e, MP_ENOMEM, "%s: member '%s': out of memory", show(&sn, name),
			       show(&sm, member));
out:
	if (a != NULL)
		archive_read_free(a);
	if (fd >= 0)
		close(fd);
	buf_release(&b);
	return rc;
}
