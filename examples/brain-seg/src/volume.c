/*
 * volume.c: case folders, volumes read as doubles, the grid check, our
 * NIfTI-1 writer, the percentile and the box mean of the brain segmentation
 * example (see volume.h). The reading itself is the project's reader,
 * src/metrics/nifti.c, the one medperf-metrics uses.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "volume.h"

char *path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *s = malloc(a + b + 2);
	if (s == NULL)
		return NULL;
	memcpy(s, dir, a);
	s[a] = '/';
	memcpy(s + a + 1, name, b + 1);
	return s;
}

/* ---------------------------------------------------------------- case folders */

static size_t id_length(const char *name)
{
	size_t len = strlen(name);
	if (len > 7 && strcmp(name + len - 7, ".nii.gz") == 0)
		return len - 7;
	if (len > 4 && strcmp(name + len - 4, ".nii") == 0)
		return len - 4;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_case(struct caselist *cl, size_t *cap, const char *name)
{
	if (cl->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		char **f = realloc(cl->file, ncap * sizeof(*f));
		if (f == NULL)
			return MP_ENOMEM;
		cl->file = f;
		*cap = ncap;
	}
	cl->file[cl->n] = strdup(name);
	if (cl->file[cl->n] == NULL)
		return MP_ENOMEM;
	cl->n++;
	return MP_OK;
}

static int check_entry(const char *dir, const char *name, mp_errbuf *e)
{
	char *p = path_join(dir, name);
	if (p == NULL)
		return mp_seterr(e, MP_ENOMEM, "out of memory");
	struct stat st;
	int rc = MP_OK;
	if (stat(p, &st) != 0)
		rc = mp_seterr(e, MP_EIO, "'%s': %s", p, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = mp_seterr(e, MP_EINVAL, "'%s' is not a regular file (a case is one NIfTI file)", p);
	else if (id_length(name) == 0)
		rc = mp_seterr(e, MP_EINVAL, "'%s' is not a NIfTI file name (a case is ID.nii.gz or ID.nii)",
			       p);
	free(p);
	return rc;
}

int caselist_read(const char *dir, struct caselist *cl, mp_errbuf *e)
{
	memset(cl, 0, sizeof(*cl));
	DIR *d = opendir(dir);
	if (d == NULL)
		return mp_seterr(e, MP_EIO, "'%s': %s", dir, strerror(errno));
	size_t cap = 0;
	int rc = MP_OK;
	struct dirent *de;
	while (rc == MP_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		rc = check_entry(dir, de->d_name, e);
		if (rc == MP_OK && add_case(cl, &cap, de->d_name) != MP_OK)
			rc = mp_seterr(e, MP_ENOMEM, "out of memory");
	}
	closedir(d);
	if (rc == MP_OK && cl->n == 0)
		rc = mp_seterr(e, MP_EINVAL, "'%s' holds no case (no .nii.gz or .nii file)", dir);
	if (rc == MP_OK) {
		qsort(cl->file, cl->n, sizeof(*cl->file), cmp_str);
		cl->id = calloc(cl->n, sizeof(*cl->id));
		if (cl->id == NULL)
			rc = mp_seterr(e, MP_ENOMEM, "out of memory");
	}
	for (size_t i = 0; rc == MP_OK && i < cl->n; i++) {
		cl->id[i] = strndup(cl->file[i], id_length(cl->file[i]));
		if (cl->id[i] == NULL)
			rc = mp_seterr(e, MP_ENOMEM, "out of memory");
		else if (i > 0 && strcmp(cl->id[i], cl->id[i - 1]) == 0)
			rc = mp_seterr(e, MP_EINVAL, "'%s' holds two files of case '%s'", dir, cl->id[i]);
	}
	if (rc != MP_OK)
		caselist_release(cl);
	return rc;
}

void caselist_release(struct caselist *cl)
{
	for (size_t i = 0; i < cl->n; i++) {
		free(cl->file[i]);
		if (cl->id)
			free(cl->id[i]);
	}
	free(cl->file);
	free(cl->id);
	memset(cl, 0, sizeof(*cl));
}

static int find_id(const struct caselist *cl, const char *id)
{
	for (size_t i = 0; i < cl->n; i++)
		if (strcmp(cl->id[i], id) == 0)
			return 1;
	return 0;
}

int caselist_pair(const struct caselist *a, const char *adir, const struct caselist *b,
		  const char *bdir, mp_errbuf *e)
{
	for (size_t i = 0; i < a->n; i++)
		if (!find_id(b, a->id[i]))
			return mp_seterr(e, MP_EINVAL, "case '%s' is in '%s' but not in '%s'",
					 a->id[i], adir, bdir);
	for (size_t i = 0; i < b->n; i++)
		if (!find_id(a, b->id[i]))
			return mp_seterr(e, MP_EINVAL, "case '%s' is in '%s' but not in '%s'",
					 b->id[i], bdir, adir);
	return MP_OK;
}

/* ---------------------------------------------------------------- volumes */

int vol_read(const char *path, struct vol *vol, mp_errbuf *e)
{
	memset(vol, 0, sizeof(*vol));
	int rc = nifti_read(path, VOL_MAX_VOXELS * 8, &vol->img, e);
	if (rc != MP_OK)
		return rc;
	struct nifti_image *im = &vol->img;
	vol->nx = im->dim[1];
	vol->ny = im->dim[2];
	vol->nz = im->dim[3];
	vol->n = (size_t)vol->nx * (size_t)vol->ny * (size_t)vol->nz;
	if (im->nvox != vol->n) {
		rc = mp_seterr(e, MP_EINVAL, "'%s' is a %d-D image of %lldx%lldx%lldx%lld voxels, "
			       "not a 3-D volume", path, im->ndim, (long long)im->dim[1],
			       (long long)im->dim[2], (long long)im->dim[3], (long long)im->dim[4]);
		goto out;
	}
	if (vol->n > VOL_MAX_VOXELS) {
		rc = mp_seterr(e, MP_ETOOBIG, "'%s' has %zu voxels (at most %zu)", path, vol->n,
			       VOL_MAX_VOXELS);
		goto out;
	}
	for (int i = 1; i <= 3; i++) {
		double s = fabs(im->pixdim[i]);
		if (i <= im->ndim && !(isfinite(s) && s > 0)) {
			rc = mp_seterr(e, MP_EINVAL, "'%s': voxel spacing pixdim[%d] is %g (must be "
				       "positive)", path, i, im->pixdim[i]);
			goto out;
		}
	}
	vol->v = malloc(vol->n * sizeof(double));
	if (vol->v == NULL) {
		rc = mp_seterr(e, MP_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < vol->n; i++) {
		double x = nifti_value(im, i);
		if (!isfinite(x)) {
			rc = mp_seterr(e, MP_EINVAL, "'%s': voxel (%lld, %lld, %lld) is %g, not a finite "
				       "value", path, (long long)(i % (size_t)vol->nx),
				       (long long)(i / (size_t)vol->nx % (size_t)vol->ny),
				       (long long)(i / ((size_t)vol->nx * (size_t)vol->ny)), x);
			goto out;
		}
		vol->v[i] = x;
	}
	free(im->data);
	im->data = NULL;
out:
	if (rc != MP_OK)
		vol_release(vol);
	return rc;
}

void vol_release(struct vol *vol)
{
	nifti_release(&vol->img);
	free(vol->v);
	memset(vol, 0, sizeof(*vol));
}

static int close_enough(double a, double b, double rel)
{
	double scale = fmax(1.0, fmax(fabs(a), fabs(b)));
	return fabs(a - b) <= rel * scale;
}

int vol_same_grid(const struct vol *a, const char *aname, const struct vol *b,
		  const char *bname, mp_errbuf *e)
{
	if (a->nx != b->nx || a->ny != b->ny || a->nz != b->nz)
		return mp_seterr(e, MP_EINVAL, "'%s' is %lldx%lldx%lld voxels but '%s' is "
				 "%lldx%lldx%lld", aname, (long long)a->nx, (long long)a->ny,
				 (long long)a->nz, bname, (long long)b->nx, (long long)b->ny,
				 (long long)b->nz);
	for (int i = 1; i <= 3; i++)
		if (!close_enough(fabs(a->img.pixdim[i]), fabs(b->img.pixdim[i]), 1e-6))
			return mp_seterr(e, MP_EINVAL, "'%s' and '%s' differ in voxel spacing "
					 "(pixdim[%d]: %g vs %g mm)", aname, bname, i,
					 fabs(a->img.pixdim[i]), fabs(b->img.pixdim[i]));
	double ma[3][4], mb[3][4];
	nifti_affine(&a->img, ma);
	nifti_affine(&b->img, mb);
	for (int r = 0; r < 3; r++)
		for (int c = 0; c < 4; c++)
			if (!close_enough(ma[r][c], mb[r][c], 1e-5))
				return mp_seterr(e, MP_EINVAL, "'%s' and '%s' are not on the same grid "
						 "(voxel-to-world affine row %d column %d: %g vs %g)",
						 aname, bname, r + 1, c + 1, ma[r][c], mb[r][c]);
	return MP_OK;
}

/* ---------------------------------------------------------------- writer */

static void put16(unsigned char *h, size_t off, int v)
{
	uint16_t u = (uint16_t)(int16_t)v;
	h[off] = (unsigned char)(u & 0xff);
	h[off + 1] = (unsigned char)(u >> 8);
}

static void put32(unsigned char *h, size_t off, uint32_t u)
{
	for (int i = 0; i < 4; i++)
		h[off + (size_t)i] = (unsigned char)(u >> (8 * i));
}

static void putf(unsigned char *h, size_t off, double v)
{
	float f = (float)v;
	uint32_t u;
	memcpy(&u, &f, sizeof(u));
	put32(h, off, u);
}

/* The 352 bytes of a NIfTI-1 header (348 + an empty extension flag), little-endian. */
static void header(unsigned char h[352], const struct nifti_image *g, int datatype,
		   const char *descrip)
{
	memset(h, 0, 352);
	put32(h, 0, 348);
	h[38] = 'r';
	put16(h, 40, 3);
	for (int i = 1; i <= 3; i++)
		put16(h, 40 + 2 * (size_t)i, (int)g->dim[i]);
	for (int i = 4; i <= 7; i++)
		put16(h, 40 + 2 * (size_t)i, 1);
	put16(h, 70, datatype);
	put16(h, 72, datatype == NIFTI_DT_UINT8 ? 8 : 32);
	putf(h, 76, g->pixdim[0] < 0 ? -1.0 : 1.0);
	for (int i = 1; i <= 3; i++)
		putf(h, 76 + 4 * (size_t)i, g->ndim >= i ? g->pixdim[i] : 1.0);
	putf(h, 108, 352.0);  /* vox_offset; scl_slope 0: no scaling */
	h[123] = 2 | 8;       /* mm, s */
	snprintf((char *)h + 148, 80, "%s", descrip);
	put16(h, 252, g->qform_code);
	put16(h, 254, g->sform_code);
	for (int i = 0; i < 3; i++) {
		putf(h, 256 + 4 * (size_t)i, g->quatern[i]);
		putf(h, 268 + 4 * (size_t)i, g->qoffset[i]);
	}
	for (int r = 0; r < 3; r++)
		for (int c = 0; c < 4; c++)
			putf(h, 280 + 16 * (size_t)r + 4 * (size_t)c, g->srow[r][c]);
	memcpy(h + 344, "n+1", 4);
}

/* Voxels as little-endian bytes (uint8 as is; float32 swapped on big-endian hosts). */
static int put_voxels(gzFile gz, int datatype, const void *data, size_t nvox)
{
	if (datatype == NIFTI_DT_UINT8)
		return gzwrite(gz, data, (unsigned)nvox) == (int)nvox ? 0 : -1;
	const float *f = data;
	unsigned char chunk[4096];
	size_t i = 0;
	while (i < nvox) {
		size_t k = 0;
		for (; k < sizeof(chunk) / 4 && i < nvox; k++, i++) {
			uint32_t u;
			memcpy(&u, &f[i], sizeof(u));
			put32(chunk, 4 * k, u);
		}
		if (gzwrite(gz, chunk, (unsigned)(4 * k)) != (int)(4 * k))
			return -1;
	}
	return 0;
}

int niftiw_write(const char *path, const struct nifti_image *geom, int datatype,
		 const void *data, const char *descrip, mp_errbuf *e)
{
	if (datatype != NIFTI_DT_UINT8 && datatype != NIFTI_DT_FLOAT32)
		return mp_seterr(e, MP_EINVAL, "'%s': cannot write datatype %d", path, datatype);
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t len = strlen(path);
	char *tmp = malloc(len + 16);
	if (tmp == NULL)
		return mp_seterr(e, MP_ENOMEM, "out of memory");
	memcpy(tmp, path, dirlen);
	snprintf(tmp + dirlen, len + 16 - dirlen, ".%s.XXXXXX", path + dirlen);
	int rc = MP_OK;
	int fd = mkstemp(tmp);
	if (fd < 0) {
		rc = mp_seterr(e, MP_EIO, "'%s': %s", path, strerror(errno));
		free(tmp);
		return rc;
	}
	gzFile gz = gzdopen(fd, "wb6");
	if (gz == NULL || fchmod(fd, 0644) != 0) {
		rc = mp_seterr(e, MP_EIO, "'%s': cannot write", path);
		if (gz)
			gzclose(gz);
		else
			close(fd);
		goto out;
	}
	unsigned char h[352];
	header(h, geom, datatype, descrip);
	int bad = gzwrite(gz, h, sizeof(h)) != (int)sizeof(h) ||
		  put_voxels(gz, datatype, data, geom->nvox) != 0;
	if (gzclose(gz) != Z_OK || bad)
		rc = mp_seterr(e, MP_EIO, "'%s': write failed (disk full?)", path);
	else if (rename(tmp, path) != 0)
		rc = mp_seterr(e, MP_EIO, "'%s': %s", path, strerror(errno));
out:
	if (rc != MP_OK)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* ---------------------------------------------------------------- numbers */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double percentile(double *vals, size_t n, double q)
{
	qsort(vals, n, sizeof(*vals), cmp_double);
	double h = (double)(n - 1) * q / 100.0;
	size_t lo = (size_t)floor(h);
	if (lo >= n - 1)
		return vals[n - 1];
	return vals[lo] + (h - (double)lo) * (vals[lo + 1] - vals[lo]);
}

/* One axis of the box sum: out[i] = sum of in over [i - r, i + r] along the axis. */
static void box_axis(const double *in, double *out, int64_t len, int64_t stride,
		     int64_t nlines, int64_t (*start)(int64_t, const int64_t *), const int64_t *dims,
		     int r)
{
	for (int64_t l = 0; l < nlines; l++) {
		int64_t s = start(l, dims);
		for (int64_t i = 0; i < len; i++) {
			double sum = 0.0;
			int64_t a = i - r < 0 ? 0 : i - r, b = i + r >= len ? len - 1 : i + r;
			for (int64_t k = a; k <= b; k++)
				sum += in[s + k * stride];
			out[s + i * stride] = sum;
		}
	}
}

/* First voxel of line l along x, y or z (dims = nx, ny, nz). */
static int64_t line_x(int64_t l, const int64_t *d) { return l * d[0]; }
static int64_t line_y(int64_t l, const int64_t *d) { return (l / d[0]) * d[0] * d[1] + l % d[0]; }
static int64_t line_z(int64_t l, const int64_t *d) { (void)d; return l; }

static void box_sum(double *a, double *tmp, const int64_t *d, int r)
{
	box_axis(a, tmp, d[0], 1, d[1] * d[2], line_x, d, r);
	box_axis(tmp, a, d[1], d[0], d[0] * d[2], line_y, d, r);
	box_axis(a, tmp, d[2], d[0] * d[1], d[0] * d[1], line_z, d, r);
	memcpy(a, tmp, (size_t)(d[0] * d[1] * d[2]) * sizeof(double));
}

int box_mean(const double *v, const unsigned char *mask, int64_t nx, int64_t ny, int64_t nz,
	     int r, double *out)
{
	size_t n = (size_t)nx * (size_t)ny * (size_t)nz;
	const int64_t d[3] = { nx, ny, nz };
	double *cnt = malloc(n * sizeof(double)), *tmp = malloc(n * sizeof(double));
	if (cnt == NULL || tmp == NULL) {
		free(cnt);
		free(tmp);
		return MP_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		out[i] = mask[i] ? v[i] : 0.0;
		cnt[i] = mask[i] ? 1.0 : 0.0;
	}
	box_sum(out, tmp, d, r);
	box_sum(cnt, tmp, d, r);
	for (size_t i = 0; i < n; i++)
		out[i] = mask[i] ? out[i] / cnt[i] : 0.0;
	free(cnt);
	free(tmp);
	return MP_OK;
}
