/*
 * fuzz_nifti.c: libFuzzer target for the NIfTI reader (metrics/nifti.c):
 * the input is a whole file, plain or gzip, read from memory with a 16 MiB
 * cap on the voxels. What parses is also turned into labels and an affine,
 * and small 3-D images with a usable spacing are scored against themselves
 * flipped (metrics/seg.c, metrics/edt.c), so that odd shapes and label
 * values reach the metrics too.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "metrics/nifti.h"
#include "metrics/seg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void score_against_flip(const struct nifti_image *im, const int32_t *lab)
{
	struct seg_volume v = {lab, NULL, {0, 0, 0}, {0, 0, 0}};
	struct seg_opts o = {SEG_ALL_METRICS, 1.0, 2};
	double out[SEG_NMETRICS];
	int32_t *flip;

	for (int i = 0; i < 3; i++) {
		v.n[i] = (size_t)im->dim[i + 1];
		v.sp[i] = i + 1 > im->ndim ? 1.0 : fabs(im->pixdim[i + 1]);
		if (!(v.sp[i] > 0) || !isfinite(v.sp[i]) || v.sp[i] > 1e6)
			return;
	}
	if (im->ndim > 3 || im->nvox > 4096)
		return;
	flip = malloc(sizeof(int32_t) * im->nvox);
	if (flip == NULL)
		return;
	for (size_t i = 0; i < im->nvox; i++)
		flip[i] = lab[im->nvox - 1 - i];
	v.ref = flip;
	seg_structure(&v, &lab[0], 1, NULL, &o, out, NULL);
	seg_structure(&v, &flip[0], 1, NULL, &o, out, NULL);
	free(flip);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nifti_image im;
	double a[3][4], sum = 0;
	int32_t *lab;
	mp_errbuf e;

	if (nifti_read_mem(data, size, "fuzz", (size_t)16 << 20, &im, &e) != MP_OK)
		return 0;
	nifti_affine(&im, a);
	for (size_t i = 0; i < im.nvox && i < 4096; i++)
		sum += nifti_value(&im, i);
	(void)sum;
	lab = malloc(sizeof(int32_t) * im.nvox);
	if (lab && nifti_labels(&im, "fuzz", lab, &e) == MP_OK)
		score_against_flip(&im, lab);
	free(lab);
	nifti_release(&im);
	return 0;
}
