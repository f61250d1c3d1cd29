/*
 * runner/archive_int.h: what archive.c (safe extraction) and
 * archive_read.c (opening archives, reading one member) share and nothing
 * else sees: the default limits, names as messages show them, and the
 * libarchive reader every archive is opened with. Not part of the
 * interface: include runner/archive.h.
 */
#ifndef MP_RUNNER_ARCHIVE_INT_H
#define MP_RUNNER_ARCHIVE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <archive.h>

#include "core/err.h"

/* The defaults of struct archive_limits (archive.h). */
#define DEF_MAX_ENTRIES 100000u
#define DEF_MAX_TOTAL ((uint64_t)64 << 30)
#define DEF_MAX_PATH 1024u
#define DEF_MAX_DEPTH 64u

#define SHOWN_MAX 80    /* bytes of a name shown in a message */

/* A name as messages show it: at most SHOWN_MAX bytes, control bytes as '?'. */
struct shown {
	char s[SHOWN_MAX + 4];
};

static inline const char *show(struct shown *out, const char *name)
{
	size_t i;

	if (name == NULL)
		name = "";
	for (i = 0; name[i] != '\0' && i < SHOWN_MAX; i++) {
		unsigned char ch = (unsigned char)name[i];
		out->s[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	out->s[i] = '\0';
	if (name[i] != '\0')
		memcpy(out->s + i, "...", 4);
	return out->s;
}

/* The last name of path, as messages name an archive. */
static inline const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL && slash[1] != '\0' ? slash + 1 : path;
}

/*
 * The error of a failed archive_read_next_header() on archive name: "not
 * a tar archive" when no entry was seen yet, else "corrupt archive after
 * N entries", each with libarchive's reason.
 */
int arch_header_error(struct archive *a, const char *name, uint64_t seen, mp_errbuf *e);

/* A reader for tar, plain or gzip/xz/bzip2/zstd compressed, on fd. */
int arch_reader_open(int fd, const char *name, struct archive **out, mp_errbuf *e);

/* Opens path (called name in messages) for reading; it must not be a folder. */
int arch_open_input(const char *path, const char *name, int *fd, mp_errbuf *e);

#endif
