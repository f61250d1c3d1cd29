/*
 * archive.h: safe extraction of archives from strangers (program trees of
 * native containers, additional files, demo data) with libarchive.
 *
 * An archive is refused, with the entry and the reason in the message, when
 * any entry has an absolute path or a ".." component, is a symbolic link
 * whose target is absolute or leaves the tree, is a hard link to anything
 * but a regular file already extracted from the same archive, is a device,
 * FIFO or socket, or when the archive passes the limits (entries, total
 * bytes, bytes of one entry, path length, depth): decompression bombs stop
 * at the limit, not at the end of the disk.
 *
 * Extraction is all or nothing: entries go to a fresh folder beside dest,
 * which is renamed to dest only when every entry was good; on failure
 * nothing is left behind. Modes are normalised (folders 0755, files 0755
 * when executable by anyone, else 0644: no setuid, setgid, sticky or
 * group/other write, and always readable by the sandbox user); owners are
 * not restored.
 */
#ifndef MP_ARCHIVE_H
#define MP_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct archive_limits {
	uint64_t max_entries;      /* 0: the default, 100,000 */
	uint64_t max_total_bytes;  /* 0: the default, 64 GiB */
	uint64_t max_entry_bytes;  /* 0: the default, max_total_bytes */
	size_t max_path;           /* 0: the default, 1024 bytes */
	unsigned max_depth;        /* 0: the default, 64 components */
};

struct archive_stats {
	uint64_t entries;          /* entries extracted (files, folders, links) */
	uint64_t bytes;            /* bytes of file content written */
};

/*
 * Extracts the archive at path (tar, optionally gzip/xz/bzip2/zstd
 * compressed; format detected from content) into dest, which must not exist
 * yet. lim and st may be NULL.
 */
int archive_extract_safe(const char *path, const char *dest, const struct archive_limits *lim,
			 struct archive_stats *st, mp_errbuf *e);

/*
 * Reads one member of an archive (by exact path, "./" prefix ignored) into
 * a malloc'd NUL-terminated buffer of at most max bytes: e.g. manifest.json
 * of a `docker save` tarball. MP_ENOTFOUND when it is not there.
 */
int archive_read_member(const char *path, const char *member, size_t max, char **out,
			size_t *len, mp_errbuf *e);

#endif
