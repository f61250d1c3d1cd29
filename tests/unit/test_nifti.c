/*
 * test_nifti.c: metrics/nifti from memory (the path the fuzz target takes):
 * NIfTI-1 and NIfTI-2 headers built here in both byte orders, plain and
 * gzip-compressed, scaling, labels, affines, and the refusals with their
 * messages. Files on disk are tested by tests/metrics/test_nifti.py.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "metrics/nifti.h"

struct spec {
	int version, big, datatype;
	int64_t dim[8];
	double pixdim[8];
	double vox_offset, slope, inter;
	const char *magic;  /* NULL: the right one */
	int qform, sform;
	double quatern[3], qoffset[3], srow[12];
};

static void put(unsigned char *p, uint64_t v, int n, int big)
{
	for (int i = 0; i < n; i++)
		p[big ? n - 1 - i : i] = (unsigned char)(v >> (8 * i));
}

static void put_f32(unsigned char *p, double d, int big)
{
	float f = (float)d;
	uint32_t u;

	memcpy(&u, &f, 4);
	put(p, u, 4, big);
}

static void put_f64(unsigned char *p, double d, int big)
{
	uint64_t u;

	memcpy(&u, &d, 8);
	put(p, u, 8, big);
}

/* Header (and padding up to vox_offset) into buf; returns its length. */
static size_t header(unsigned char *buf, const struct spec *s)
{
	int b = s->big;
	size_t off = (size_t)s->vox_offset;

	memset(buf, 0, off > 544 ? off : 544);
	if (s->version == 1) {
		put(buf, 348, 4, b);
		for (int i = 0; i < 8; i++) {
			put(buf + 40 + 2 * i, (uint64_t)s->dim[i], 2, b);
			put_f32(buf + 76 + 4 * i, s->pixdim[i], b);
		}
		put(buf + 70, (uint64_t)s->datatype, 2, b);
		put_f32(buf + 108, s->vox_offset, b);
		put_f32(buf + 112, s->slope, b);
		put_f32(buf + 116, s->inter, b);
		put(buf + 252, (uint64_t)s->qform, 2, b);
		put(buf + 254, (uint64_t)s->sform, 2, b);
		for (int i = 0; i < 3; i++) {
			put_f32(buf + 256 + 4 * i, s->quatern[i], b);
			put_f32(buf + 268 + 4 * i, s->qoffset[i], b);
		}
		for (int i = 0; i < 12; i++)
			put_f32(buf + 280 + 4 * i, s->srow[i], b);
		memcpy(buf + 344, s->magic ? s->magic : "n+1", 4);
	} else {
		put(buf, 540, 4, b);
		memcpy(buf + 4, s->magic ? s->magic : "n+2\0\r\n\032\n", 8);
		put(buf + 12, (uint64_t)s->datatype, 2, b);
		for (int i = 0; i < 8; i++) {
			put(buf + 16 + 8 * i, (uint64_t)s->dim[i], 8, b);
			put_f64(buf + 104 + 8 * i, s->pixdim[i], b);
		}
		put(buf + 168, (uint64_t)(int64_t)s->vox_offset, 8, b);
		put_f64(buf + 176, s->slope, b);
		put_f64(buf + 184, s->inter, b);
		put(buf + 344, (uint64_t)s->qform, 4, b);
		put(buf + 348, (uint64_t)s->sform, 4, b);
		for (int i = 0; i < 12; i++)
			put_f64(buf + 400 + 8 * i, s->srow[i], b);
	}
	return off;
}

static struct spec base(int version, int big, int datatype)
{
	struct spec s = {version, big, datatype, {3, 4, 3, 2, 1, 1, 1, 1},
			 {1, 0.5, 2, 3, 1, 1, 1, 1}, version == 1 ? 352 : 544, 0, 0,
			 NULL, 0, 0, {0}, {0}, {0}};
	return s;
}

static size_t gzip_of(const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	deflateEnd(&zs);
	return cap - zs.avail_out;
}

static unsigned char buf[8192], zbuf[8192];

START_TEST(reads_uint8_little_endian_nifti1)
{
	struct spec s = base(1, 0, NIFTI_DT_UINT8);
	size_t off = header(buf, &s);
	struct nifti_image im;
	int32_t lab[24];
	mp_errbuf e;

	for (int i = 0; i < 24; i++)
		buf[off + i] = (unsigned char)(i * 10);
	ck_assert_int_eq(nifti_read_mem(buf, off + 24, "mem", 0, &im, &e), MP_OK);
	ck_assert_int_eq(im.version, 1);
	ck_assert_int_eq(im.ndim, 3);
	ck_assert_int_eq(im.dim[1], 4);
	ck_assert_int_eq(im.dim[3], 2);
	ck_assert_int_eq(im.dim[4], 1);
	ck_assert_uint_eq(im.nvox, 24);
	ck_assert(im.pixdim[2] == 2.0 && im.pixdim[1] == 0.5);
	ck_assert(!im.scaled);
	ck_assert(nifti_value(&im, 23) == 230.0);
	ck_assert_int_eq(nifti_labels(&im, "mem", lab, &e), MP_OK);
	ck_assert_int_eq(lab[5], 50);
	nifti_release(&im);
	ck_assert_ptr_null(im.data);
}
END_TEST

START_TEST(reads_every_layout_and_gzip)
{
	for (int version = 1; version <= 2; version++)
		for (int big = 0; big <= 1; big++)
			for (int gz = 0; gz <= 1; gz++) {
				struct spec s = base(version, big, NIFTI_DT_INT16);
				size_t off = header(buf, &s), n = off + 48;
				struct nifti_image im;
				mp_errbuf e;
				const unsigned char *p = buf;
				for (int i = 0; i < 24; i++)
					put(buf + off + 2 * i, (uint64_t)(int64_t)(i * 1000 - 9000), 2, big);
				if (gz) {
					n = gzip_of(buf, n, zbuf, sizeof(zbuf));
					p = zbuf;
				}
				ck_assert_msg(nifti_read_mem(p, n, "mem", 0, &im, &e) == MP_OK, "%s",
					      e.msg);
				ck_assert_int_eq(im.version, version);
				ck_assert_int_eq(im.big_endian, big);
				for (int i = 0; i < 24; i++)
					ck_assert(nifti_value(&im, (size_t)i) == i * 1000 - 9000);
				nifti_release(&im);
			}
}
END_TEST

START_TEST(applies_scl_slope_and_inter)
{
	struct spec s = base(2, 1, NIFTI_DT_FLOAT32);
	size_t off;
	struct nifti_image im;
	int32_t lab[24];
	mp_errbuf e;

	s.slope = 0.5;
	s.inter = 10;
	off = header(buf, &s);
	for (int i = 0; i < 24; i++)
		put_f32(buf + off + 4 * i, i * 2.0, 1);
	ck_assert_int_eq(nifti_read_mem(buf, off + 96, "mem", 0, &im, &e), MP_OK);
	ck_assert(im.scaled);
	ck_assert(nifti_value(&im, 7) == 17.0);
	ck_assert_int_eq(nifti_labels(&im, "mem", lab, &e), MP_OK);
	ck_assert_int_eq(lab[23], 33);
	nifti_release(&im);
}
END_TEST

START_TEST(labels_refuse_fractions_and_out_of_range_values)
{
	struct spec s = base(1, 0, NIFTI_DT_FLOAT64);
	size_t off = header(buf, &s);
	struct nifti_image im;
	int32_t lab[24];
	mp_errbuf e;

	memset(buf + off, 0, 192);
	put_f64(buf + off + 8 * 13, 0.25, 0);
	ck_assert_int_eq(nifti_read_mem(buf, off + 192, "probs.nii", 0, &im, &e), MP_OK);
	ck_assert_int_eq(nifti_labels(&im, "probs.nii", lab, &e), MP_EINVAL);
	ck_assert_str_eq(e.msg, "'probs.nii': voxel (1, 0, 1) has value 0.25, not an integer label");
	nifti_release(&im);
	s = base(1, 0, NIFTI_DT_INT64);
	off = header(buf, &s);
	memset(buf + off, 0, 192);
	put(buf + off + 8, (uint64_t)1 << 40, 8, 0);
	ck_assert_int_eq(nifti_read_mem(buf, off + 192, "big.nii", 0, &im, &e), MP_OK);
	ck_assert_int_eq(nifti_labels(&im, "big.nii", lab, &e), MP_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "voxel (1, 0, 0) has value 1099511627776"));
	nifti_release(&im);
}
END_TEST

static void refused(const unsigned char *p, size_t n, size_t cap, int code, const char *msg)
{
	struct nifti_image im;
	mp_errbuf e;

	ck_assert_int_eq(nifti_read_mem(p, n, "mem", cap, &im, &e), code);
	ck_assert_msg(strstr(e.msg, msg) != NULL, "'%s' not in '%s'", msg, e.msg);
	ck_assert_ptr_null(im.data);
}

START_TEST(refusals)
{
	struct spec s = base(1, 0, NIFTI_DT_UINT8);
	size_t off = header(buf, &s);

	refused(buf, 100, 0, MP_EINVAL, "'mem': truncated header (100 of 348 bytes)");
	refused(buf, 2, 0, MP_EINVAL, "'mem': truncated header (2 bytes;");
	refused(buf, off + 20, 0, MP_EINVAL, "'mem': truncated data (20 of 24 bytes");
	refused(buf, off + 24, 10, MP_ETOOBIG, "'mem': image too large");
	s.magic = "ni1";
	header(buf, &s);
	refused(buf, off + 24, 0, MP_EINVAL, "magic 'ni1' says the voxels are in a separate");
	s.magic = "n+2";
	header(buf, &s);
	refused(buf, off + 24, 0, MP_EINVAL, "'mem': bad magic 'n+2\\x00' (expected 'n+1'");
	s = base(1, 0, 3);
	header(buf, &s);
	refused(buf, off + 24, 0, MP_EINVAL, "'mem': unknown datatype 3");
	s = base(2, 1, NIFTI_DT_COMPLEX64);
	off = header(buf, &s);
	refused(buf, off + 200, 0, MP_EINVAL, "'mem': unsupported datatype 32 (complex64)");
	s = base(2, 1, NIFTI_DT_UINT8);
	s.dim[2] = -4;
	off = header(buf, &s);
	refused(buf, off + 24, 0, MP_EINVAL, "'mem': bad dim[2] -4 (must be positive)");
	s = base(2, 0, NIFTI_DT_UINT8);
	s.vox_offset = 4000;
	off = header(buf, &s);
	refused(buf, 600, 0, MP_EINVAL, "'mem': vox_offset 4000 is past the end of the file "
		"(600 bytes)");
	memset(buf, 0x41, 400);
	refused(buf, 400, 0, MP_EINVAL, "'mem': not a NIfTI file (sizeof_hdr is 1094795585");
}
END_TEST

START_TEST(gzip_refusals)
{
	struct spec s = base(1, 0, NIFTI_DT_UINT8);
	size_t off = header(buf, &s), n;

	n = gzip_of(buf, off + 24, zbuf, sizeof(zbuf));
	refused(zbuf, n / 2, 0, MP_EINVAL, "'mem': truncated");
	zbuf[n / 2] ^= 0xff;
	zbuf[n / 2 + 1] ^= 0xff;
	{
		struct nifti_image im;
		mp_errbuf e;
		ck_assert_int_ne(nifti_read_mem(zbuf, n, "mem", 0, &im, &e), MP_OK);
		ck_assert_ptr_nonnull(strstr(e.msg, "'mem': "));
	}
	s.vox_offset = 5000;
	off = header(buf, &s);
	n = gzip_of(buf, 600, zbuf, sizeof(zbuf));
	refused(zbuf, n, 0, MP_EINVAL, "'mem': vox_offset 5000 is past the end of the data "
		"(600 bytes)");
}
END_TEST

START_TEST(affines)
{
	struct spec s = base(1, 0, NIFTI_DT_UINT8);
	size_t off;
	struct nifti_image im;
	double a[3][4];
	mp_errbuf e;

	s.qform = 1;
	s.pixdim[0] = -1;  /* qfac: z flipped */
	s.qoffset[0] = 5;
	s.qoffset[2] = -7;
	off = header(buf, &s);
	ck_assert_int_eq(nifti_read_mem(buf, off + 24, "mem", 0, &im, &e), MP_OK);
	ck_assert_int_eq(nifti_affine(&im, a), 1);
	ck_assert(a[0][0] == 0.5 && a[1][1] == 2 && a[2][2] == -3);
	ck_assert(a[0][1] == 0 && a[0][3] == 5 && a[2][3] == -7);
	nifti_release(&im);
	s.sform = 2;
	for (int i = 0; i < 12; i++)
		s.srow[i] = i + 1;
	off = header(buf, &s);
	ck_assert_int_eq(nifti_read_mem(buf, off + 24, "mem", 0, &im, &e), MP_OK);
	ck_assert_int_eq(nifti_affine(&im, a), 2);
	ck_assert(a[1][2] == 7 && a[2][3] == 12);
	nifti_release(&im);
	s = base(1, 0, NIFTI_DT_UINT8);
	off = header(buf, &s);
	ck_assert_int_eq(nifti_read_mem(buf, off + 24, "mem", 0, &im, &e), MP_OK);
	ck_assert_int_eq(nifti_affine(&im, a), 0);
	ck_assert(a[0][0] == 0.5 && a[2][2] == 3 && a[0][3] == 0);
	nifti_release(&im);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("nifti");
	TCase *tc = tcase_create("nifti");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, reads_uint8_little_endian_nifti1);
	tcase_add_test(tc, reads_every_layout_and_gzip);
	tcase_add_test(tc, applies_scl_slope_and_inter);
	tcase_add_test(tc, labels_refuse_fractions_and_out_of_range_values);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, gzip_refusals);
	tcase_add_test(tc, affines);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
