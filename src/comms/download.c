/*
 * download.c: comms_download (see comms.h): a file from a URL into place,
 * verified by SHA-256 while it streams.
 *
 * Bytes go to dest + ".part" (same directory, so that the final rename is
 * atomic) and through the hash as they are written. No Authorization
 * header is ever sent (the token is for the API only). The pinned
 * certificate is used when the URL has the API server's origin, the system
 * store otherwise. There is no whole-transfer timeout (files can be large):
 * a transfer that brings no data for opts.timeout_s seconds is broken.
 *
 * Resuming. A broken transfer (connection closed, stall, 502/503/504) is
 * tried again up to opts.retries times with the API's back-off. When .part
 * already holds bytes, the retry asks for the rest ("Range: bytes=N-"). The
 * answer decides: a 206 whose Content-Range starts at N is appended after
 * the bytes already there are hashed again from the file (the file is the
 * truth, not the state of the previous try); a 200 restarts from byte 0
 * with a new hash; a 206 for anything else (or a 416) means the server
 * does not do ranges properly, and every later try restarts from 0.
 *
 * Only then is the digest compared with the expected one: a mismatch
 * deletes .part and leaves dest as it was; a match is fsync'd and renamed
 * onto dest. On any failure .part is removed before returning.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "comms/comms.h"
#include "comms/comms_int.h"
#include "core/buf.h"

#define REHASH_BLOCK ((size_t)1 << 20)
#define PROGRESS_EVERY_MS 100

/* One download in progress, across its tries. */
struct dl {
	struct comms *c;
	int fd;                 /* .part, open for reading and writing */
	struct sha256 *h;       /* the digest of .part's first `have` bytes */
	uint64_t have;          /* bytes in .part */
	uint64_t total;         /* the whole size (0: unknown) */
	int ranges_broken;      /* the server mishandled a Range: always restart from 0 */
	/* this try */
	uint64_t range_from;    /* asked for bytes range_from- (0: everything) */
	int started;            /* the answer's body was accepted (dl_begin ran) */
	int cr_ok;              /* a valid Content-Range came with the answer */
	uint64_t cr_start;
	uint64_t cr_total;      /* 0: "*" */
	long status;            /* the status of the answer */
	/* why this try stopped, beyond libcurl's code */
	int bad_range;          /* a 206 for the wrong range */
	int bad_status;         /* a body with a status that is not 2xx */
	int werr;               /* errno of a failed write or read of .part */
	int nomem;
	/* progress */
	comms_progress_fn progress;
	void *cls;
	struct timespec last;
	int reported;
};

static void dl_progress(struct dl *d, int final)
{
	struct timespec now;
	long long ms;

	if (d->progress == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(now.tv_sec - d->last.tv_sec) * 1000 +
	     (now.tv_nsec - d->last.tv_nsec) / 1000000;
	if (!final && d->reported && ms < PROGRESS_EVERY_MS)
		return;
	d->last = now;
	d->reported = 1;
	d->progress(d->cls, d->have, final ? d->have : d->total);
}

/* A decimal number starting at *s (digits only); 0 or -1. */
static int parse_u64(const char **s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	x = strtoull(*s, &end, 10);
	if (errno)
		return -1;
	*v = x;
	*s = end;
	return 0;
}

/* "bytes START-END/TOTAL" (TOTAL may be "*", giving 0). 0 or -1. */
static int parse_content_range(const char *s, uint64_t *start, uint64_t *total)
{
	uint64_t end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (strncasecmp(s, "bytes", 5) != 0)
		return -1;
	s += 5;
	while (*s == ' ' || *s == '\t')
		s++;
	if (parse_u64(&s, start) || *s++ != '-' || parse_u64(&s, &end) || *s++ != '/' ||
	    end < *start)
		return -1;
	if (*s == '*') {
		*total = 0;
		s++;
	} else if (parse_u64(&s, total) || end >= *total) {
		return -1;
	}
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return *s ? -1 : 0;
}

static size_t dl_header(char *p, size_t size, size_t n, void *ud)
{
	struct dl *d = ud;
	size_t len = size * n;
	char line[256];

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		d->cr_ok = 0; /* a new answer (after a redirect): forget the last one's */
	} else if (len > 14 && len - 14 < sizeof(line) &&
		   strncasecmp(p, "Content-Range:", 14) == 0) {
		memcpy(line, p + 14, len - 14);
		line[len - 14] = '\0';
		d->cr_ok = parse_content_range(line, &d->cr_start, &d->cr_total) == 0;
	}
	return len;
}

/* Hashes .part's first upto bytes again and puts the write offset after them. */
static int dl_rehash(struct dl *d, uint64_t upto)
{
	unsigned char *blk = malloc(REHASH_BLOCK);
	uint64_t off = 0;
	ssize_t n;
	size_t want;
	int rc = -1;

	if (blk == NULL) {
		d->nomem = 1;
		return -1;
	}
	while (off < upto) {
		want = upto - off < REHASH_BLOCK ? (size_t)(upto - off) : REHASH_BLOCK;
		n = pread(d->fd, blk, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			d->werr = errno;
			goto out;
		}
		if (n == 0) { /* shorter than we wrote: start over */
			d->bad_range = 1;
			goto out;
		}
		if (sha256_update(d->h, blk, (size_t)n)) {
			d->nomem = 1;
			goto out;
		}
		off += (uint64_t)n;
	}
	if (lseek(d->fd, (off_t)upto, SEEK_SET) < 0) {
		d->werr = errno;
		goto out;
	}
	rc = 0;
out:
	free(blk);
	return rc;
}

/*
 * The first byte of an answer's body (or its end, for an empty one): decides
 * whether this try appends to .part (a 206 for the range asked) or restarts
 * it. 0, or -1 to stop the transfer (the reason is in d).
 */
static int dl_begin(struct dl *d)
{
	curl_off_t cl = -1;

	d->started = 1;
	curl_easy_getinfo(d->c->curl, CURLINFO_RESPONSE_CODE, &d->status);
	if (d->status < 200 || d->status >= 300) {
		d->bad_status = 1;
		return -1;
	}
	if (d->h)
		sha256_free(d->h);
	d->h = sha256_new();
	if (d->h == NULL) {
		d->nomem = 1;
		return -1;
	}
	if (d->status == 206) {
		if (d->range_from == 0 || !d->cr_ok || d->cr_start != d->range_from) {
			d->bad_range = 1;
			return -1;
		}
		if (dl_rehash(d, d->range_from))
			return -1;
		d->have = d->range_from;
		d->total = d->cr_total;
		return 0;
	}
	if (ftruncate(d->fd, 0) != 0 || lseek(d->fd, 0, SEEK_SET) < 0) {
		d->werr = errno;
		return -1;
	}
	d->have = 0;
	curl_easy_getinfo(d->c->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	d->total = cl > 0 ? (uint64_t)cl : 0;
	return 0;
}

static size_t dl_write(char *p, size_t size, size_t n, void *ud)
{
	struct dl *d = ud;
	size_t len = size * n, done = 0;
	ssize_t w;

	if (!d->started && dl_begin(d))
		return 0;
	while (done < len) {
		w = write(d->fd, p + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			d->werr = errno;
			return 0;
		}
		done += (size_t)w;
	}
	if (sha256_update(d->h, p, len)) {
		d->nomem = 1;
		return 0;
	}
	d->have += len;
	dl_progress(d, 0);
	return len;
}

/* One try: from byte 0, or the rest after what .part holds. */
static CURLcode dl_try(struct dl *d, const char *url, int pinned)
{
	struct comms *c = d->c;
	CURL *h = c->curl;
	char range[32];
	CURLcode cc;
	int ok;

	d->started = 0;
	d->cr_ok = 0;
	d->status = 0;
	d->bad_range = 0;
	d->bad_status = 0;
	d->range_from = d->have > 0 && !d->ranges_broken ? d->have : 0;
	if (comms_setup(c, pinned))
		return CURLE_FAILED_INIT;
	ok = curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->timeout_s) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, dl_write) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_WRITEDATA, d) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, dl_header) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_HEADERDATA, d) == CURLE_OK;
	if (d->range_from) {
		snprintf(range, sizeof(range), "%" PRIu64 "-", d->range_from);
		ok &= curl_easy_setopt(h, CURLOPT_RANGE, range) == CURLE_OK;
	}
	if (!ok)
		return CURLE_FAILED_INIT;
	cc = curl_easy_perform(h);
	if (d->status == 0)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &d->status);
	if (cc == CURLE_OK && !d->started && dl_begin(d))
		cc = CURLE_WRITE_ERROR; /* an empty body we could not accept */
	return cc;
}

/* Makes a finished rename durable: fsync of dest's directory (best effort). */
static void sync_dir_of(const char *dest)
{
	const char *slash = strrchr(dest, '/');
	struct buf dir;
	int fd;

	buf_init(&dir, 0);
	if (slash == NULL ? buf_adds(&dir, ".") : buf_add(&dir, dest, slash == dest ? 1 :
						       (size_t)(slash - dest))) {
		buf_release(&dir);
		return;
	}
	fd = open(dir.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	buf_release(&dir);
}

/* Why the last try failed, into r; returns the code comms_download gives. */
static int dl_failure(struct dl *d, CURLcode cc, const char *who, int pinned, const char *part,
		      struct comms_result *r)
{
	r->status = d->status;
	if (d->werr) {
		snprintf(r->message, sizeof(r->message), "cannot write '%s': %s", part,
			 strerror(d->werr));
		return MP_EIO;
	}
	if (d->nomem) {
		snprintf(r->message, sizeof(r->message), "out of memory downloading %s", who);
		return MP_ENOMEM;
	}
	if (d->bad_status || cc == CURLE_HTTP_RETURNED_ERROR) {
		r->fail = COMMS_HTTP;
		snprintf(r->message, sizeof(r->message), "HTTP %ld for %s", d->status, who);
	} else if (d->bad_range) {
		r->fail = COMMS_BAD_ANSWER;
		snprintf(r->message, sizeof(r->message), "%s answered a range request with the "
			 "wrong range", who);
	} else {
		r->fail = COMMS_NETWORK;
		comms_net_message(d->c, cc, who, pinned, d->c->timeout_s, r->message,
				  sizeof(r->message));
	}
	comms_clean_line(d->c, r->message);
	return MP_EINVAL;
}

/* Should this try's failure be tried again? (It may change d->ranges_broken.) */
static int dl_retryable(struct dl *d, CURLcode cc)
{
	if (d->werr || d->nomem || d->bad_status)
		return 0;
	if (d->bad_range) {
		d->ranges_broken = 1;
		return 1;
	}
	if (cc == CURLE_HTTP_RETURNED_ERROR) {
		if (d->status == 416 && d->range_from) {
			d->ranges_broken = 1;
			return 1;
		}
		return d->status == 502 || d->status == 503 || d->status == 504;
	}
	return comms_classify(cc) != RETRY_NEVER;
}

/* The digest is known: compare, then put .part in place. */
static int dl_settle(struct dl *d, const char *who, const char *part, const char *dest,
		     const char *expected, char got[HASH_HEX], struct comms_result *r)
{
	r->status = d->status;
	sha256_final_hex(d->h, got);
	d->h = NULL;
	if (expected && strcasecmp(expected, got) != 0) {
		r->fail = COMMS_BAD_ANSWER;
		snprintf(r->message, sizeof(r->message), "hash mismatch for %s: expected %s, got %s",
			 who, expected, got);
		comms_clean_line(d->c, r->message);
		return MP_EINVAL;
	}
	if (fsync(d->fd) != 0) {
		snprintf(r->message, sizeof(r->message), "cannot write '%s': %s", part,
			 strerror(errno));
		return MP_EIO;
	}
	if (close(d->fd) != 0) {
		d->fd = -1;
		snprintf(r->message, sizeof(r->message), "cannot write '%s': %s", part,
			 strerror(errno));
		return MP_EIO;
	}
	d->fd = -1;
	if (rename(part, dest) != 0) {
		snprintf(r->message, sizeof(r->message), "cannot rename '%s' to '%s': %s", part,
			 dest, strerror(errno));
		return MP_EIO;
	}
	sync_dir_of(dest);
	return MP_OK;
}

int comms_download(struct comms *c, const char *url, const char *dest, const char *expected,
		   char got[HASH_HEX], comms_progress_fn progress, void *cls,
		   struct comms_result *r)
{
	struct dl d;
	const char *u = strncmp(url, "direct:", 7) == 0 ? url + 7 : url;
	char *origin = NULL, *who = NULL, *part = NULL;
	struct buf pb;
	CURLcode cc;
	int pinned, attempt, rc;

	got[0] = '\0';
	memset(r, 0, sizeof(*r));
	memset(&d, 0, sizeof(d));
	d.c = c;
	d.fd = -1;
	d.progress = progress;
	d.cls = cls;
	origin = comms_origin(u);
	if (origin == NULL) {
		snprintf(r->message, sizeof(r->message), "cannot download '%s': not an http(s) URL",
			 url);
		comms_clean_line(c, r->message);
		return MP_EINVAL;
	}
	rc = MP_ENOMEM;
	who = comms_display_url(u);
	buf_init(&pb, 0);
	if (who == NULL || buf_addf(&pb, "%s.part", dest)) {
		buf_release(&pb);
		snprintf(r->message, sizeof(r->message), "out of memory");
		goto out;
	}
	part = buf_detach(&pb, NULL);
	pinned = strcmp(origin, c->origin) == 0;
	d.fd = open(part, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (d.fd < 0) {
		snprintf(r->message, sizeof(r->message), "cannot create '%s': %s", part,
			 strerror(errno));
		free(part);
		part = NULL; /* not ours to remove */
		rc = MP_EIO;
		goto out;
	}
	for (attempt = 0;; attempt++) {
		cc = dl_try(&d, u, pinned);
		if (cc == CURLE_OK && d.total && d.have != d.total)
			cc = CURLE_PARTIAL_FILE;
		if (cc == CURLE_OK)
			break;
		if (!dl_retryable(&d, cc) || attempt >= c->retries) {
			rc = dl_failure(&d, cc, who, pinned, part, r);
			goto out;
		}
		comms_backoff(c, attempt);
	}
	dl_progress(&d, 1);
	rc = dl_settle(&d, who, part, dest, expected, got, r);
out:
	if (d.fd >= 0)
		close(d.fd);
	if (rc != MP_OK && part)
		unlink(part);
	if (d.h)
		sha256_free(d.h);
	free(part);
	free(who);
	free(origin);
	return rc;
}
