/* fetch.c: resources into the content-addressed cache (see fetch.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/fetch.h"
#include "core/timeutil.h"

int fetch_is_remote(const char *res)
{
	return strncmp(res, "http://", 7) == 0 || strncmp(res, "https://", 8) == 0 ||
	       strncmp(res, "direct:", 7) == 0;
}

struct bar {
	const char *what;
	int64_t last_us;
	int shown;
};

static void human(uint64_t n, char out[32])
{
	if (n >= (uint64_t)1 << 30)
		snprintf(out, 32, "%.1f GiB", (double)n / (1 << 30));
	else if (n >= 1 << 20)
		snprintf(out, 32, "%.1f MiB", (double)n / (1 << 20));
	else if (n >= 1 << 10)
		snprintf(out, 32, "%.1f KiB", (double)n / (1 << 10));
	else
		snprintf(out, 32, "%llu B", (unsigned long long)n);
}

static void progress(void *cls, uint64_t done, uint64_t total)
{
	struct bar *b = cls;
	int64_t now = tm_mono_us();
	char d[32], t[32];

	if (now - b->last_us < 100000 && done != total)
		return;
	b->last_us = now;
	human(done, d);
	if (total) {
		int pct = (int)(done * 100 / total), fill = pct / 5;
		human(total, t);
		fprintf(stderr, "\r  %s [%.*s%*s] %3d%% %s / %s ", b->what, fill,
			"####################", 20 - fill, "", pct, d, t);
	} else {
		fprintf(stderr, "\r  %s %s ", b->what, d);
	}
	b->shown = 1;
}

static char *cache_path(const struct ctx *c, const char *name)
{
	struct buf b;

	buf_init(&b, 8192);
	if (buf_addf(&b, "%s/.hashed_files/%s", c->storage, name)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

int fetch_resource(struct ctx *c, const char *what, const char *res, const char *expected,
		   char hash[HASH_HEX], char **path)
{
	struct comms_result r;
	struct bar bar = {what, 0, 0};
	char *dir = NULL, *tmp = NULL, *final = NULL, tmpname[64];
	mp_errbuf e;
	int rc;

	if (path)
		*path = NULL;
	if (!fetch_is_remote(res)) {
		struct stat st;
		if (stat(res, &st) != 0)
			return fail(EXIT_FAIL, "%s: cannot read '%s': %s", what, res, strerror(errno));
		if (!S_ISREG(st.st_mode))
			return fail(EXIT_FAIL, "%s: '%s' is not a file", what, res);
		if (hash_file(res, hash, &e) != 0)
			return fail(EXIT_FAIL, "%s: %s", what, e.msg);
		if (expected && strcasecmp(expected, hash) != 0)
			return fail(EXIT_INTEGRITY, "%s: hash mismatch for '%s': expected %s, got %s",
				    what, res, expected, hash);
		if (path)
			*path = strdup(res);
		return EXIT_OK;
	}
	dir = cache_path(c, "");
	if (dir == NULL || mkdirs(dir, 0700) != 0) {
		rc = fail(EXIT_FAIL, "cannot create the download cache '%s': %s", dir ? dir : "?",
			  strerror(errno));
		free(dir);
		return rc;
	}
	/* a cached copy that still hashes right is reused (the cache names files by their
	 * lowercase digest; an expected value that is no digest names no file) */
	if (expected && strlen(expected) == HASH_HEX - 1 &&
	    strspn(expected, "0123456789abcdefABCDEF") == HASH_HEX - 1) {
		char lower[HASH_HEX];
		for (size_t i = 0; i < sizeof(lower); i++)
			lower[i] = (char)tolower((unsigned char)expected[i]);
		final = cache_path(c, lower);
		if (final && access(final, R_OK) == 0 && hash_file(final, hash, &e) == 0 &&
		    strcasecmp(hash, expected) == 0) {
			if (path)
				*path = final;
			else
				free(final);
			free(dir);
			return EXIT_OK;
		}
		free(final);
		final = NULL;
	}
	snprintf(tmpname, sizeof(tmpname), "download-%ld-%lld", (long)getpid(),
		 (long long)tm_now_us());
	tmp = cache_path(c, tmpname);
	if (!isatty(2))
		bar.what = NULL;
	rc = comms_download(c->comms, res, tmp, expected, hash, bar.what ? progress : NULL, &bar,
			    &r);
	if (bar.shown)
		fputc('\n', stderr);
	if (rc) {
		if (strncmp(r.message, "hash mismatch ", 14) == 0)
			rc = fail(EXIT_INTEGRITY, "%s: %s", what, r.message);
		else if (rc == MP_EIO || rc == MP_ENOMEM) /* here: the cache could not be written */
			rc = fail(EXIT_FAIL, "%s: %s", what,
				  r.message[0] ? r.message : "cannot write the download");
		else
			rc = fail_comms(&r);
		comms_result_release(&r);
		unlink(tmp);
		goto out;
	}
	comms_result_release(&r);
	final = cache_path(c, hash);
	if (final == NULL || rename(tmp, final) != 0) {
		rc = fail(EXIT_FAIL, "cannot store the download in the cache: %s", strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (path) {
		*path = final;
		final = NULL;
	}
	rc = EXIT_OK;
out:
	free(final);
	free(tmp);
	free(dir);
	return rc;
}
