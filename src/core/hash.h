/*
 * hash.h: SHA-256 as MedPerf uses it (reference section 2.5), lowercase hex.
 *
 * File hash: the digest of a file's bytes, read in large blocks (never the
 * whole file at once), through OpenSSL so that the CPU's SHA extensions do
 * the work.
 *
 * Folder hash (MedPerf's get_folders_hash): for every path, walk it
 * recursively and take the file hash of every file in it (a symbolic link
 * to a file counts as that file; links to directories are not followed);
 * sort the hex digests; the result is the SHA-256 of their concatenation.
 * Names, directory structure and empty directories do not matter; the same
 * content twice counts twice (also when the same path is given twice).
 * Files are hashed by several threads at once.
 *
 * Edge cases follow os.walk(followlinks=False) as MedPerf calls it: a path
 * given that is a link to a directory is walked; a path given that is not
 * a directory (a regular file, say) contributes nothing. Where MedPerf
 * would silently skip or fail or block, these are errors naming the path:
 * a path that does not exist (MP_ENOTFOUND); a directory or file that
 * cannot be read, a broken link, a fifo, socket or device found in a walk
 * (MP_EIO); a path longer than PATH_MAX (MP_ETOOBIG).
 */
#ifndef MP_HASH_H
#define MP_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define HASH_HEX 65 /* 64 hex digits and a NUL */

/* An incremental SHA-256 (for data that streams by, like downloads). */
struct sha256;
struct sha256 *sha256_new(void);
int sha256_update(struct sha256 *h, const void *data, size_t len);
/* Writes the hex digest and frees h. */
void sha256_final_hex(struct sha256 *h, char out[HASH_HEX]);
void sha256_free(struct sha256 *h);
/* The hex digest of a buffer. */
void sha256_hex(const void *data, size_t len, char out[HASH_HEX]);

/*
 * The file hash of path (links followed). MP_EIO (with the path in e) when
 * it cannot be read or is not a regular file (a fifo is refused, not read).
 */
int hash_file(const char *path, char out[HASH_HEX], mp_errbuf *e);

struct hash_stats {
	uint64_t files;
	uint64_t bytes;
};

/*
 * The folder hash of npaths paths, with up to threads workers (0: one per
 * CPU; negative: MP_EINVAL). stats (may be NULL) receives what was read,
 * zeros on error. A path that does not exist or a file that cannot be read
 * is an error naming it (see above); out is then "".
 */
int hash_folders(const char *const *paths, size_t npaths, int threads, char out[HASH_HEX],
		 struct hash_stats *stats, mp_errbuf *e);

#endif
