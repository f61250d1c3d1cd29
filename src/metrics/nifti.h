/*
 * nifti.h: our NIfTI-1 and NIfTI-2 reader: one image (header and voxels)
 * from a .nii, .nii.gz or .hdr/.img pair, or from memory. It checks the
 * header before trusting it and says what is wrong, naming the file.
 *
 * Accepted: sizeof_hdr 348 (NIfTI-1) or 540 (NIfTI-2) in either byte order
 * (the order is the one in which sizeof_hdr reads right); magic "n+1"/"n+2"
 * (data in the same file at vox_offset) or "ni1"/"ni2" (data in the .img
 * beside a .hdr); dim[0] 1..7 and dim[1..dim[0]] > 0 (later dims count as
 * 1); datatypes uint8, int8, int16, uint16, int32, uint32, int64, uint64,
 * float32, float64. bitpix is not trusted: the datatype gives the size.
 * Refused: complex, RGB, float128 and binary voxels, unknown datatypes,
 * Analyze 7.5 headers (no magic), a vox_offset that is negative, not whole,
 * inside the header or past the end, fewer data bytes than the dims need,
 * and images whose voxel data would pass the size cap.
 *
 * Lifecycle: nifti_read / nifti_read_mem fill a caller's struct (nothing to
 * free on failure); nifti_release frees the voxels and zeroes the struct.
 */
#ifndef MP_NIFTI_H
#define MP_NIFTI_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Default cap on the voxel data of one image (bytes, after decompression). */
#define NIFTI_MAX_BYTES_DEFAULT ((size_t)4 << 30)

/* NIfTI datatype codes (nifti1.h), the ones we name in messages. */
enum nifti_dt {
	NIFTI_DT_BINARY = 1, NIFTI_DT_UINT8 = 2, NIFTI_DT_INT16 = 4, NIFTI_DT_INT32 = 8,
	NIFTI_DT_FLOAT32 = 16, NIFTI_DT_COMPLEX64 = 32, NIFTI_DT_FLOAT64 = 64,
	NIFTI_DT_RGB24 = 128, NIFTI_DT_INT8 = 256, NIFTI_DT_UINT16 = 512,
	NIFTI_DT_UINT32 = 768, NIFTI_DT_INT64 = 1024, NIFTI_DT_UINT64 = 1280,
	NIFTI_DT_FLOAT128 = 1536, NIFTI_DT_COMPLEX128 = 1792, NIFTI_DT_COMPLEX256 = 2048,
	NIFTI_DT_RGBA32 = 2304,
};

struct nifti_image {
	int version;          /* 1 or 2 */
	int big_endian;       /* byte order of the file (data is converted to ours) */
	int ndim;             /* dim[0], 1..7 */
	int64_t dim[8];       /* dim[1..7]; those past ndim are 1; dim[0] == ndim */
	int datatype;         /* enum nifti_dt */
	size_t nbyper;        /* bytes per voxel */
	double pixdim[8];     /* as in the header (pixdim[0] is qfac) */
	double scl_slope;     /* as in the header (0 or not finite: no scaling) */
	double scl_inter;
	int scaled;           /* scaling changes values: slope finite, non-zero, and
	                         not the identity (1, 0) */
	int qform_code, sform_code;
	double quatern[3];    /* b, c, d */
	double qoffset[3];
	double srow[3][4];
	int64_t vox_offset;
	size_t nvox;          /* product of dim[1..ndim] */
	void *data;           /* nvox * nbyper bytes in host byte order (malloc'd) */
};

/*
 * Reads the image at path (.nii, .nii.gz, or a .hdr whose magic says its
 * voxels are in the .img or .img.gz beside it). max_bytes caps the voxel
 * data (0: NIFTI_MAX_BYTES_DEFAULT). On failure img is zeroed and e says
 * "'PATH': problem".
 */
int nifti_read(const char *path, size_t max_bytes, struct nifti_image *img, mp_errbuf *e);

/*
 * The same from len bytes at p (plain or gzip-compressed; single-file
 * images only). name is used in messages only.
 */
int nifti_read_mem(const void *p, size_t len, const char *name, size_t max_bytes,
		   struct nifti_image *img, mp_errbuf *e);

void nifti_release(struct nifti_image *img);

/* Short name of a datatype ("uint8", "complex64"), "unknown" if none. */
const char *nifti_datatype_name(int datatype);

/* Value of voxel i (0-based, x fastest) with scl_slope/scl_inter applied. */
double nifti_value(const struct nifti_image *img, size_t i);

/*
 * Converts the voxels to integer labels (scaling applied) into out
 * (img->nvox entries). Refuses, naming the file and the voxel, a value
 * that is NaN, not whole (a probability map, say) or outside int32.
 */
int nifti_labels(const struct nifti_image *img, const char *name, int32_t *out, mp_errbuf *e);

/*
 * The image's voxel-to-world affine (3 rows of 4): the sform when
 * sform_code > 0, else the qform when qform_code > 0 (NIfTI "method 2",
 * qfac from pixdim[0]). Returns 2 (sform), 1 (qform) or 0 (neither; a is
 * then the diagonal of pixdim[1..3]).
 */
int nifti_affine(const struct nifti_image *img, double a[3][4]);

/* Shortens a path for a message: its last max characters after "...". */
const char *nifti_msg_path(const char *path, size_t max, const char **ellipsis);

#endif
