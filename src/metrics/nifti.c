/*
 * nifti.c: reads one NIfTI-1 or NIfTI-2 image (header and voxels) from a
 * file or from memory, plain or gzip-compressed, checking every header
 * field it relies on before it allocates or reads (see nifti.h for what is
 * accepted and refused). It knows bytes and headers, not masks or metrics.
 *
 * Reading goes through a small source (struct src) that is a zlib gzFile
 * for files (zlib reads plain files as they are) or a memory buffer,
 * inflated on the fly when it starts with the gzip magic.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "core/buf.h"
#include "metrics/nifti.h"

#define HDR1_SIZE 348
#define HDR2_SIZE 540

/* ---------------------------------------------------------------- */
/* datatypes                                                          */
/* ---------------------------------------------------------------- */

static const struct {
	int code;
	const char *name;
	unsigned size;   /* bytes per voxel; 0: refused */
} dtypes[] = {
	{NIFTI_DT_UINT8, "uint8", 1},       {NIFTI_DT_INT8, "int8", 1},
	{NIFTI_DT_INT16, "int16", 2},       {NIFTI_DT_UINT16, "uint16", 2},
	{NIFTI_DT_INT32, "int32", 4},       {NIFTI_DT_UINT32, "uint32", 4},
	{NIFTI_DT_INT64, "int64", 8},       {NIFTI_DT_UINT64, "uint64", 8},
	{NIFTI_DT_FLOAT32, "float32", 4},   {NIFTI_DT_FLOAT64, "float64", 8},
	{NIFTI_DT_BINARY, "binary", 0},     {NIFTI_DT_COMPLEX64, "complex64", 0},
	{NIFTI_DT_RGB24, "rgb24", 0},       {NIFTI_DT_FLOAT128, "float128", 0},
	{NIFTI_DT_COMPLEX128, "complex128", 0}, {NIFTI_DT_COMPLEX256, "complex256", 0},
	{NIFTI_DT_RGBA32, "rgba32", 0},
};

static int dtype_index(int code)
{
	for (size_t i = 0; i < sizeof(dtypes) / sizeof(dtypes[0]); i++)
		if (dtypes[i].code == code)
			return (int)i;
	return -1;
}

const char *nifti_datatype_name(int datatype)
{
	int i = dtype_index(datatype);

	return i < 0 ? "unknown" : dtypes[i].name;
}

const char *nifti_msg_path(const char *path, size_t max, const char **ellipsis)
{
	size_t n = strlen(path);

	*ellipsis = "";
	if (n <= max)
		return path;
	*ellipsis = "...";
	return path + (n - max);
}

/* "'PATH': " prefix, shortened so that the problem fits in an errbuf. */
#define NAME_MAX_SHOWN 120
#define PFX "'%s%s': "

/* ---------------------------------------------------------------- */
/* sources: a gzFile or memory (plain or gzip)                        */
/* ---------------------------------------------------------------- */

struct src {
	const char *name;      /* for messages */
	gzFile gz;             /* file source, or NULL */
	const unsigned char *mem;
	size_t len, pos;       /* plain memory source */
	z_stream zs;           /* gzip memory source */
	int inflating;         /* zs is in use */
	int zend;              /* the last gzip member ended with no more input */
	uint64_t off;          /* uncompressed bytes delivered so far */
	int64_t size;          /* total size when known (plain data), else -1 */
};

static int src_err(const struct src *s, int code, const char *what, const char *detail,
		   mp_errbuf *e)
{
	const char *ell, *shown = nifti_msg_path(s->name, NAME_MAX_SHOWN, &ell);

	return mp_seterr(e, code, PFX "%s%s%s%s", ell, shown, what,
			 detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
}

static int gz_chunk(struct src *s, unsigned char *p, size_t n, size_t *got, mp_errbuf *e)
{
	unsigned want = n > (1u << 30) ? (1u << 30) : (unsigned)n;
	int r = gzread(s->gz, p, want);
	int zerr;
	const char *msg;

	if (r >= 0) {
		*got = (size_t)r;
		return MP_OK;
	}
	msg = gzerror(s->gz, &zerr);
	if (zerr == Z_ERRNO)
		return src_err(s, MP_EIO, "read error", strerror(errno), e);
	return src_err(s, MP_EINVAL, "corrupt gzip data", msg, e);
}

static int inflate_chunk(struct src *s, unsigned char *p, size_t n, size_t *got, mp_errbuf *e)
{
	size_t want = n > (1u << 30) ? (1u << 30) : n;
	int r;

	*got = 0;
	if (s->zend)
		return MP_OK;
	s->zs.next_out = p;
	s->zs.avail_out = (uInt)want;
	while (s->zs.avail_out > 0) {
		r = inflate(&s->zs, Z_NO_FLUSH);
		if (r == Z_STREAM_END) {
			/* another gzip member may follow, as gzread allows */
			if (s->zs.avail_in >= 2 && s->zs.next_in[0] == 0x1f &&
			    s->zs.next_in[1] == 0x8b) {
				if (inflateReset(&s->zs) != Z_OK)
					return src_err(s, MP_EINVAL, "corrupt gzip data", NULL, e);
				continue;
			}
			s->zend = 1;
			break;
		}
		if (r == Z_BUF_ERROR || (r == Z_OK && s->zs.avail_in == 0)) {
			s->zend = 1;  /* input ends inside the stream: truncated */
			break;
		}
		if (r != Z_OK)
			return src_err(s, r == Z_MEM_ERROR ? MP_ENOMEM : MP_EINVAL,
				       "corrupt gzip data", s->zs.msg, e);
	}
	*got = want - s->zs.avail_out;
	return MP_OK;
}

/* Reads up to n bytes into p; *got < n only at the end of the data. */
static int src_read(struct src *s, void *p, size_t n, size_t *got, mp_errbuf *e)
{
	unsigned char *q = p;
	size_t done = 0, k = 0;
	int rc;

	while (done < n) {
		if (s->gz) {
			rc = gz_chunk(s, q + done, n - done, &k, e);
		} else if (s->inflating) {
			rc = inflate_chunk(s, q + done, n - done, &k, e);
		} else {
			k = s->len - s->pos < n - done ? s->len - s->pos : n - done;
			memcpy(q + done, s->mem + s->pos, k);
			s->pos += k;
			rc = MP_OK;
		}
		if (rc)
			return rc;
		if (k == 0)
			break;
		done += k;
	}
	s->off += done;
	*got = done;
	return MP_OK;
}

/* Skips n bytes; *got tells how many there were. */
static int src_skip(struct src *s, uint64_t n, uint64_t *got, mp_errbuf *e)
{
	unsigned char tmp[16384];
	uint64_t done = 0;
	size_t k;
	int rc;

	if (!s->gz && !s->inflating) {
		uint64_t left = s->len - s->pos;
		done = n < left ? n : left;
		s->pos += done;
		s->off += done;
		*got = done;
		return MP_OK;
	}
	while (done < n) {
		size_t want = n - done < sizeof(tmp) ? (size_t)(n - done) : sizeof(tmp);
		rc = src_read(s, tmp, want, &k, e);
		if (rc)
			return rc;
		done += k;
		if (k < want)
			break;
	}
	*got = done;
	return MP_OK;
}

static int src_open_file(struct src *s, const char *path, mp_errbuf *e)
{
	struct stat st;
	unsigned char magic[2];
	int fd;

	memset(s, 0, sizeof(*s));
	s->name = path;
	s->size = -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return src_err(s, errno == ENOENT ? MP_ENOTFOUND : MP_EIO, "cannot open",
			       strerror(errno), e);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return src_err(s, MP_EIO, "not a regular file", NULL, e);
	}
	if (pread(fd, magic, 2, 0) != 2 || magic[0] != 0x1f || magic[1] != 0x8b)
		s->size = (int64_t)st.st_size;
	s->gz = gzdopen(fd, "rb");
	if (s->gz == NULL) {
		close(fd);
		return src_err(s, MP_ENOMEM, "out of memory", NULL, e);
	}
	gzbuffer(s->gz, 1 << 17);
	return MP_OK;
}

static int src_open_mem(struct src *s, const void *p, size_t len, const char *name,
			mp_errbuf *e)
{
	const unsigned char *b = p;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->mem = b;
	s->len = len;
	s->size = (int64_t)len;
	if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
		s->size = -1;
		if (len > UINT_MAX)
			return src_err(s, MP_ETOOBIG, "compressed data over 4 GiB", NULL, e);
		s->zs.next_in = (unsigned char *)b;
		s->zs.avail_in = (uInt)len;
		if (inflateInit2(&s->zs, 15 + 16) != Z_OK)
			return src_err(s, MP_ENOMEM, "out of memory", NULL, e);
		s->inflating = 1;
	}
	return MP_OK;
}

static void src_close(struct src *s)
{
	if (s->gz)
		gzclose(s->gz);
	if (s->inflating)
		inflateEnd(&s->zs);
	s->gz = NULL;
	s->inflating = 0;
}

/* ---------------------------------------------------------------- */
/* header fields in either byte order                                 */
/* ---------------------------------------------------------------- */

static uint64_t get_uint(const unsigned char *p, int n, int big)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[big ? n - 1 - i : i] << (8 * i);
	return v;
}

static int16_t get_i16(const unsigned char *p, int big)
{
	return (int16_t)(uint16_t)get_uint(p, 2, big);
}

static int32_t get_i32(const unsigned char *p, int big)
{
	return (int32_t)(uint32_t)get_uint(p, 4, big);
}

static int64_t get_i64(const unsigned char *p, int big)
{
	return (int64_t)get_uint(p, 8, big);
}

static double get_f32(const unsigned char *p, int big)
{
	uint32_t u = (uint32_t)get_uint(p, 4, big);
	float f;

	memcpy(&f, &u, 4);
	return f;
}

static double get_f64(const unsigned char *p, int big)
{
	uint64_t u = get_uint(p, 8, big);
	double d;

	memcpy(&d, &u, 8);
	return d;
}

/* Field offsets of the two header layouts (nifti1.h, nifti2.h). */
struct layout {
	int size, datatype, dim, pixdim, vox_offset, scl_slope, scl_inter;
	int qform_code, sform_code, quatern, srow, magic;
	int dim_bytes, real_bytes, code_bytes;  /* 2/4/2 or 8/8/4 */
};

static const struct layout lay1 = {
	HDR1_SIZE, 70, 40, 76, 108, 112, 116, 252, 254, 256, 280, 344, 2, 4, 2,
};
static const struct layout lay2 = {
	HDR2_SIZE, 12, 16, 104, 168, 176, 184, 344, 348, 352, 400, 4, 8, 8, 4,
};

static double get_real(const struct layout *L, const unsigned char *h, int off, int big)
{
	return L->real_bytes == 4 ? get_f32(h + off, big) : get_f64(h + off, big);
}

/* ---------------------------------------------------------------- */
/* the header                                                         */
/* ---------------------------------------------------------------- */

struct hdr_ctx {
	const char *name;
	const char *ell, *shown;  /* name for messages */
	int pair;                 /* magic says the voxels are in a separate file */
};

static int check_magic(const struct hdr_ctx *c, const unsigned char *h, int version,
		       int *pair, mp_errbuf *e)
{
	const unsigned char *m = h + (version == 1 ? lay1.magic : lay2.magic);
	static const unsigned char tail2[4] = {'\r', '\n', 0x1a, '\n'};
	char shown[20];
	size_t k = 0;

	if (m[0] == 'n' && (m[1] == '+' || m[1] == 'i') && m[2] == '0' + version && m[3] == 0 &&
	    (version == 1 || memcmp(m + 4, tail2, 4) == 0)) {
		*pair = m[1] == 'i';
		return MP_OK;
	}
	for (int i = 0; i < 4; i++) {
		if (m[i] >= 0x20 && m[i] < 0x7f && m[i] != '\'' && m[i] != '\\') {
			shown[k++] = (char)m[i];
		} else {
			static const char hex[] = "0123456789abcdef";
			shown[k++] = '\\';
			shown[k++] = 'x';
			shown[k++] = hex[m[i] >> 4];
			shown[k++] = hex[m[i] & 15];
		}
	}
	shown[k] = 0;
	if (version == 1 && m[0] == 0 && m[1] == 0 && m[2] == 0 && m[3] == 0)
		return mp_seterr(e, MP_EINVAL, PFX "no NIfTI magic (an Analyze 7.5 header?): "
				 "not supported", c->ell, c->shown);
	return mp_seterr(e, MP_EINVAL, PFX "bad magic '%s' (expected 'n+%d' or 'ni%d'%s)",
			 c->ell, c->shown, shown, version, version,
			 version == 2 ? " and \\r\\n\\x1a\\n" : "");
}

static int check_dims(const struct hdr_ctx *c, const struct layout *L, const unsigned char *h,
		      int big, size_t max_bytes, struct nifti_image *im, mp_errbuf *e)
{
	int64_t d0 = L->dim_bytes == 2 ? get_i16(h + L->dim, big) : get_i64(h + L->dim, big);
	uint64_t nvox = 1, bytes;

	if (d0 < 1 || d0 > 7)
		return mp_seterr(e, MP_EINVAL, PFX "bad dim[0] %lld (must be 1 to 7)", c->ell,
				 c->shown, (long long)d0);
	im->ndim = (int)d0;
	im->dim[0] = d0;
	for (int i = 1; i < 8; i++) {
		int64_t d = L->dim_bytes == 2 ? get_i16(h + L->dim + 2 * i, big)
					      : get_i64(h + L->dim + 8 * i, big);
		if (i > d0) {
			im->dim[i] = 1;
			continue;
		}
		if (d < 1)
			return mp_seterr(e, MP_EINVAL, PFX "bad dim[%d] %lld (must be positive)",
					 c->ell, c->shown, i, (long long)d);
		im->dim[i] = d;
		/* max_bytes < 2^63 keeps nvox * nbyper from overflowing below */
		if ((uint64_t)d > max_bytes || nvox > max_bytes / (uint64_t)d)
			return mp_seterr(e, MP_ETOOBIG, PFX "image too large (dim[%d] %lld makes "
					 "more than %zu voxels)", c->ell, c->shown, i,
					 (long long)d, max_bytes);
		nvox *= (uint64_t)d;
	}
	bytes = nvox * im->nbyper;
	if (bytes > max_bytes)
		return mp_seterr(e, MP_ETOOBIG, PFX "image too large (%llu bytes of voxels, the "
				 "limit is %zu)", c->ell, c->shown, (unsigned long long)bytes,
				 max_bytes);
	im->nvox = (size_t)nvox;
	return MP_OK;
}

static int check_datatype(const struct hdr_ctx *c, int dt, struct nifti_image *im,
			  mp_errbuf *e)
{
	int i = dtype_index(dt);

	if (i < 0)
		return mp_seterr(e, MP_EINVAL, PFX "unknown datatype %d", c->ell, c->shown, dt);
	if (dtypes[i].size == 0)
		return mp_seterr(e, MP_EINVAL, PFX "unsupported datatype %d (%s): only integer "
				 "and real voxels are read", c->ell, c->shown, dt, dtypes[i].name);
	im->datatype = dt;
	im->nbyper = dtypes[i].size;
	return MP_OK;
}

static int check_vox_offset(const struct hdr_ctx *c, const struct layout *L,
			    const unsigned char *h, int big, struct nifti_image *im, mp_errbuf *e)
{
	int64_t off;

	if (L->real_bytes == 4) {
		double v = get_f32(h + L->vox_offset, big);
		if (!isfinite(v) || v < 0 || v != floor(v) || v > 9.0e15)
			return mp_seterr(e, MP_EINVAL, PFX "bad vox_offset %g (must be a whole "
					 "number of bytes)", c->ell, c->shown, v);
		off = (int64_t)v;
	} else {
		off = get_i64(h + L->vox_offset, big);
		if (off < 0)
			return mp_seterr(e, MP_EINVAL, PFX "bad vox_offset %lld (negative)",
					 c->ell, c->shown, (long long)off);
	}
	if (!c->pair && off < L->size)
		return mp_seterr(e, MP_EINVAL, PFX "bad vox_offset %lld (inside the %d-byte "
				 "header)", c->ell, c->shown, (long long)off, L->size);
	im->vox_offset = off;
	return MP_OK;
}

static void read_geometry(const struct layout *L, const unsigned char *h, int big,
			  struct nifti_image *im)
{
	for (int i = 0; i < 8; i++)
		im->pixdim[i] = get_real(L, h, L->pixdim + i * L->real_bytes, big);
	im->scl_slope = get_real(L, h, L->scl_slope, big);
	im->scl_inter = get_real(L, h, L->scl_inter, big);
	im->scaled = isfinite(im->scl_slope) && im->scl_slope != 0 &&
		     !(im->scl_slope == 1 && (im->scl_inter == 0 || !isfinite(im->scl_inter)));
	if (L->code_bytes == 2) {
		im->qform_code = get_i16(h + L->qform_code, big);
		im->sform_code = get_i16(h + L->sform_code, big);
	} else {
		im->qform_code = get_i32(h + L->qform_code, big);
		im->sform_code = get_i32(h + L->sform_code, big);
	}
	for (int i = 0; i < 3; i++) {
		im->quatern[i] = get_real(L, h, L->quatern + i * L->real_bytes, big);
		im->qoffset[i] = get_real(L, h, L->quatern + (3 + i) * L->real_bytes, big);
		for (int j = 0; j < 4; j++)
			im->srow[i][j] = get_real(L, h, L->srow + (4 * i + j) * L->real_bytes, big);
	}
}

/*
 * Reads and checks the header from s. On success s is positioned just
 * after the header; c->pair tells whether the voxels are elsewhere.
 */
static int read_header(struct src *s, struct hdr_ctx *c, size_t max_bytes,
		       struct nifti_image *im, mp_errbuf *e)
{
	unsigned char h[HDR2_SIZE];
	const struct layout *L;
	size_t got, more;
	int32_t le, be;
	int big, rc;

	rc = src_read(s, h, 4, &got, e);
	if (rc)
		return rc;
	if (got < 4)
		return mp_seterr(e, MP_EINVAL, PFX "truncated header (%zu bytes; a NIfTI header "
				 "has %d or %d)", c->ell, c->shown, got, HDR1_SIZE, HDR2_SIZE);
	le = get_i32(h, 0);
	be = get_i32(h, 1);
	if (le == HDR1_SIZE || le == HDR2_SIZE) {
		big = 0;
	} else if (be == HDR1_SIZE || be == HDR2_SIZE) {
		big = 1;
	} else {
		return mp_seterr(e, MP_EINVAL, PFX "not a NIfTI file (sizeof_hdr is %d, neither "
				 "%d nor %d in either byte order)", c->ell, c->shown, le,
				 HDR1_SIZE, HDR2_SIZE);
	}
	L = get_i32(h, big) == HDR1_SIZE ? &lay1 : &lay2;
	rc = src_read(s, h + 4, (size_t)L->size - 4, &more, e);
	if (rc)
		return rc;
	if (more < (size_t)L->size - 4)
		return mp_seterr(e, MP_EINVAL, PFX "truncated header (%zu of %d bytes)", c->ell,
				 c->shown, more + 4, L->size);
	memset(im, 0, sizeof(*im));
	im->version = L == &lay1 ? 1 : 2;
	im->big_endian = big;
	rc = check_magic(c, h, im->version, &c->pair, e);
	if (rc == MP_OK)
		rc = check_datatype(c, get_i16(h + L->datatype, big), im, e);
	if (rc == MP_OK)
		rc = check_dims(c, L, h, big, max_bytes, im, e);
	if (rc == MP_OK)
		rc = check_vox_offset(c, L, h, big, im, e);
	if (rc)
		return rc;
	read_geometry(L, h, big, im);
	return MP_OK;
}

/* ---------------------------------------------------------------- */
/* the voxels                                                         */
/* ---------------------------------------------------------------- */

static void swap_bytes(unsigned char *p, size_t n, size_t width)
{
	for (size_t i = 0; i < n; i++, p += width)
		for (size_t a = 0, b = width - 1; a < b; a++, b--) {
			unsigned char t = p[a];
			p[a] = p[b];
			p[b] = t;
		}
}

/* Reads the voxels from s, whose next byte is at offset s->off. */
static int read_voxels(struct src *s, const struct hdr_ctx *c, struct nifti_image *im,
		       mp_errbuf *e)
{
	size_t bytes = im->nvox * im->nbyper, got;
	uint64_t skip, skipped;
	int rc, host_big = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;

	if ((uint64_t)im->vox_offset < s->off)
		return mp_seterr(e, MP_EINVAL, PFX "bad vox_offset %lld (inside the header)",
				 c->ell, c->shown, (long long)im->vox_offset);
	if (s->size >= 0 && im->vox_offset > s->size)
		return mp_seterr(e, MP_EINVAL, PFX "vox_offset %lld is past the end of the file "
				 "(%lld bytes)", c->ell, c->shown, (long long)im->vox_offset,
				 (long long)s->size);
	if (s->size >= 0 && (uint64_t)(s->size - im->vox_offset) < bytes)
		return mp_seterr(e, MP_EINVAL, PFX "truncated data (%lld of %zu bytes after "
				 "vox_offset %lld)", c->ell, c->shown,
				 (long long)(s->size - im->vox_offset), bytes,
				 (long long)im->vox_offset);
	skip = (uint64_t)im->vox_offset - s->off;
	rc = src_skip(s, skip, &skipped, e);
	if (rc)
		return rc;
	if (skipped < skip)
		return mp_seterr(e, MP_EINVAL, PFX "vox_offset %lld is past the end of the data "
				 "(%llu bytes)", c->ell, c->shown, (long long)im->vox_offset,
				 (unsigned long long)s->off);
	im->data = malloc(bytes);
	if (im->data == NULL)
		return mp_seterr(e, MP_ENOMEM, PFX "out of memory for %zu bytes of voxels", c->ell,
				 c->shown, bytes);
	rc = src_read(s, im->data, bytes, &got, e);
	if (rc)
		return rc;
	if (got < bytes)
		return mp_seterr(e, MP_EINVAL, PFX "truncated data (%zu of %zu bytes after "
				 "vox_offset %lld)", c->ell, c->shown, got, bytes,
				 (long long)im->vox_offset);
	if (im->nbyper > 1 && im->big_endian != host_big)
		swap_bytes(im->data, im->nvox, im->nbyper);
	return MP_OK;
}

/* ---------------------------------------------------------------- */
/* entry points                                                       */
/* ---------------------------------------------------------------- */

static size_t cap_of(size_t max_bytes)
{
	if (max_bytes == 0)
		max_bytes = NIFTI_MAX_BYTES_DEFAULT;
	if (max_bytes > ((size_t)1 << 62))
		max_bytes = (size_t)1 << 62;
	return max_bytes;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The .img (or .img.gz) beside a .hdr (or .hdr.gz); an empty buf if none. */
static int image_path(const char *hdr, struct buf *img)
{
	size_t stem = strlen(hdr) - (ends_with(hdr, ".hdr.gz") ? 7 : 4);
	static const char *const exts[] = {".img", ".img.gz", ".IMG"};

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		buf_reset(img);
		if (buf_add(img, hdr, stem) || buf_adds(img, exts[i]))
			return MP_ENOMEM;
		if (access(img->data, R_OK) == 0)
			return MP_OK;
	}
	buf_reset(img);
	return MP_OK;
}

static int read_pair_data(const char *path, struct hdr_ctx *c, struct nifti_image *im,
			  mp_errbuf *e)
{
	struct buf img;
	struct src s;
	int rc;

	if (!ends_with(path, ".hdr") && !ends_with(path, ".hdr.gz"))
		return mp_seterr(e, MP_EINVAL, PFX "magic 'ni%d' says the voxels are in a "
				 "separate .img file, but this is not a .hdr file", c->ell,
				 c->shown, im->version);
	buf_init(&img, 8192);
	rc = image_path(path, &img);
	if (rc) {
		buf_release(&img);
		return mp_seterr(e, rc, PFX "path too long", c->ell, c->shown);
	}
	if (img.len == 0) {
		buf_release(&img);
		return mp_seterr(e, MP_ENOTFOUND, PFX "no .img file beside this .hdr", c->ell,
				 c->shown);
	}
	rc = src_open_file(&s, img.data, e);
	if (rc == MP_OK) {
		struct hdr_ctx ic = *c;
		ic.name = img.data;
		ic.shown = nifti_msg_path(img.data, NAME_MAX_SHOWN, &ic.ell);
		rc = read_voxels(&s, &ic, im, e);
		src_close(&s);
	}
	buf_release(&img);
	return rc;
}

int nifti_read(const char *path, size_t max_bytes, struct nifti_image *img, mp_errbuf *e)
{
	struct hdr_ctx c = {path, NULL, NULL, 0};
	struct src s;
	int rc;

	memset(img, 0, sizeof(*img));
	c.shown = nifti_msg_path(path, NAME_MAX_SHOWN, &c.ell);
	rc = src_open_file(&s, path, e);
	if (rc)
		return rc;
	rc = read_header(&s, &c, cap_of(max_bytes), img, e);
	if (rc == MP_OK && !c.pair)
		rc = read_voxels(&s, &c, img, e);
	src_close(&s);
	if (rc == MP_OK && c.pair)
		rc = read_pair_data(path, &c, img, e);
	if (rc)
		nifti_release(img);
	return rc;
}

int nifti_read_mem(const void *p, size_t len, const char *name, size_t max_bytes,
		   struct nifti_image *img, mp_errbuf *e)
{
	struct hdr_ctx c = {name, NULL, NULL, 0};
	struct src s;
	int rc;

	memset(img, 0, sizeof(*img));
	c.shown = nifti_msg_path(name, NAME_MAX_SHOWN, &c.ell);
	rc = src_open_mem(&s, p, len, name, e);
	if (rc)
		return rc;
	rc = read_header(&s, &c, cap_of(max_bytes), img, e);
	if (rc == MP_OK && c.pair)
		rc = mp_seterr(e, MP_EINVAL, PFX "magic 'ni%d' says the voxels are in a separate "
			       ".img file", c.ell, c.shown, img->version);
	if (rc == MP_OK)
		rc = read_voxels(&s, &c, img, e);
	src_close(&s);
	if (rc)
		nifti_release(img);
	return rc;
}

void nifti_release(struct nifti_image *img)
{
	free(img->data);
	memset(img, 0, sizeof(*img));
}

/* ---------------------------------------------------------------- */
/* values                                                             */
/* ---------------------------------------------------------------- */

/* The raw (unscaled) value of voxel i as a double. */
static double raw_value(const struct nifti_image *im, size_t i)
{
	const unsigned char *p = (const unsigned char *)im->data + i * im->nbyper;

	switch (im->datatype) {
	case NIFTI_DT_UINT8: return *p;
	case NIFTI_DT_INT8: return (int8_t)*p;
	case NIFTI_DT_INT16: { int16_t v; memcpy(&v, p, 2); return v; }
	case NIFTI_DT_UINT16: { uint16_t v; memcpy(&v, p, 2); return v; }
	case NIFTI_DT_INT32: { int32_t v; memcpy(&v, p, 4); return v; }
	case NIFTI_DT_UINT32: { uint32_t v; memcpy(&v, p, 4); return v; }
	case NIFTI_DT_INT64: { int64_t v; memcpy(&v, p, 8); return (double)v; }
	case NIFTI_DT_UINT64: { uint64_t v; memcpy(&v, p, 8); return (double)v; }
	case NIFTI_DT_FLOAT32: { float v; memcpy(&v, p, 4); return v; }
	case NIFTI_DT_FLOAT64: { double v; memcpy(&v, p, 8); return v; }
	default: return NAN;
	}
}

static double inter_of(const struct nifti_image *im)
{
	return isfinite(im->scl_inter) ? im->scl_inter : 0;
}

double nifti_value(const struct nifti_image *im, size_t i)
{
	double v = raw_value(im, i);

	return im->scaled ? v * im->scl_slope + inter_of(im) : v;
}

static int bad_label(const struct nifti_image *im, const char *name, size_t i, double v,
		     mp_errbuf *e)
{
	const char *ell, *shown = nifti_msg_path(name, NAME_MAX_SHOWN, &ell);
	size_t nx = (size_t)im->dim[1], ny = (size_t)im->dim[2];

	return mp_seterr(e, MP_EINVAL, PFX "voxel (%zu, %zu, %zu) has value %.17g, not an "
			 "integer label", ell, shown, i % nx, i / nx % ny, i / nx / ny, v);
}

int nifti_labels(const struct nifti_image *im, const char *name, int32_t *out, mp_errbuf *e)
{
	const unsigned char *p = im->data;
	size_t n = im->nvox;

	if (!im->scaled) {
		switch (im->datatype) {
		case NIFTI_DT_UINT8:
			for (size_t i = 0; i < n; i++)
				out[i] = p[i];
			return MP_OK;
		case NIFTI_DT_INT8:
			for (size_t i = 0; i < n; i++)
				out[i] = (int8_t)p[i];
			return MP_OK;
		case NIFTI_DT_INT16: {
			const int16_t *q = im->data;
			for (size_t i = 0; i < n; i++)
				out[i] = q[i];
			return MP_OK;
		}
		case NIFTI_DT_UINT16: {
			const uint16_t *q = im->data;
			for (size_t i = 0; i < n; i++)
				out[i] = q[i];
			return MP_OK;
		}
		case NIFTI_DT_INT32:
			memcpy(out, im->data, n * 4);
			return MP_OK;
		default:
			break;
		}
	}
	for (size_t i = 0; i < n; i++) {
		double v = nifti_value(im, i);
		if (!(v >= INT32_MIN && v <= INT32_MAX) || v != floor(v))
			return bad_label(im, name, i, v, e);
		out[i] = (int32_t)v;
	}
	return MP_OK;
}

/* ---------------------------------------------------------------- */
/* geometry                                                           */
/* ---------------------------------------------------------------- */

int nifti_affine(const struct nifti_image *im, double a[3][4])
{
	double b = im->quatern[0], c = im->quatern[1], d = im->quatern[2], w, s[3];

	if (im->sform_code > 0) {
		memcpy(a, im->srow, sizeof(im->srow));
		return 2;
	}
	for (int i = 0; i < 3; i++)
		s[i] = im->pixdim[i + 1] > 0 ? im->pixdim[i + 1] : 1;
	if (im->qform_code <= 0) {
		memset(a, 0, sizeof(double) * 12);
		for (int i = 0; i < 3; i++)
			a[i][i] = s[i];
		return 0;
	}
	w = 1 - (b * b + c * c + d * d);
	if (w < 1e-7) {
		double n = sqrt(b * b + c * c + d * d);
		if (n > 0) {
			b /= n;
			c /= n;
			d /= n;
		}
		w = 0;
	} else {
		w = sqrt(w);
	}
	if (im->pixdim[0] < 0)
		s[2] = -s[2];
	a[0][0] = (w * w + b * b - c * c - d * d) * s[0];
	a[0][1] = 2 * (b * c - w * d) * s[1];
	a[0][2] = 2 * (b * d + w * c) * s[2];
	a[1][0] = 2 * (b * c + w * d) * s[0];
	a[1][1] = (w * w + c * c - b * b - d * d) * s[1];
	a[1][2] = 2 * (c * d - w * b) * s[2];
	a[2][0] = 2 * (b * d - w * c) * s[0];
	a[2][1] = 2 * (c * d + w * b) * s[1];
	a[2][2] = (w * w + d * d - c * c - b * b) * s[2];
	for (int i = 0; i < 3; i++)
		a[i][3] = im->qoffset[i];
	return 1;
}
