"""Our NIfTI reader (src/metrics/nifti.c) against niftilib and against files
written here: the real volumes in tests/data/nifti, every datatype in both
byte orders, NIfTI-1 and NIfTI-2, plain and gzip, scl_slope/scl_inter,
.hdr/.img pairs, and each malformed header refused with a message naming
the file and the problem.

The reader is seen through `medperf-metrics segmentation --info FILE...`,
which prints the header fields and checksums of the voxels (sum of the raw
values, sum of the scaled values, FNV-1a of the bytes in host order).
niftilib (libnifti2-dev, its nifti2 API reads both versions) is the oracle:
a small C program compiled here prints the same fields.

write_nifti / nifti_bytes are also used by test_segmentation.py.
"""
import gzip
import json
import os
import shutil
import struct
import subprocess

import numpy as np
import pytest

from conftest import DATA

NIFTI_DIR = os.path.join(DATA, "nifti")
REAL = sorted(f for f in os.listdir(NIFTI_DIR) if f.endswith((".nii", ".nii.gz")))

DTYPES = {  # numpy dtype -> NIfTI datatype code
    "uint8": 2, "int16": 4, "int32": 8, "float32": 16, "float64": 64, "int8": 256,
    "uint16": 512, "uint32": 768, "int64": 1024, "uint64": 1280,
}


# --------------------------------------------------------------------------
# a small NIfTI-1/NIfTI-2 writer
# --------------------------------------------------------------------------

def nifti_bytes(arr, spacing=(1.0, 1.0, 1.0), version=1, big=False, slope=0.0, inter=0.0,
                vox_offset=None, qform_code=0, sform_code=0, quatern=(0, 0, 0),
                qoffset=(0, 0, 0), srow=None, pixdim0=1.0, datatype=None, dims=None,
                magic=None, sizeof_hdr=None, data=None):
    """The bytes of a single-file NIfTI image of arr (x fastest on disk).
    Every header field can be forced to a wrong value for refusal tests."""
    arr = np.asarray(arr)
    e = ">" if big else "<"
    shape = list(arr.shape)
    if dims is None:
        dims = [len(shape)] + shape + [1] * (7 - len(shape))
    pixdim = [pixdim0] + list(spacing) + [1.0] * (7 - len(spacing))
    if srow is None:
        srow = [[pixdim[1], 0, 0, 0], [0, pixdim[2], 0, 0], [0, 0, pixdim[3], 0]]
    if datatype is None:
        datatype = DTYPES[arr.dtype.name]
    bitpix = arr.dtype.itemsize * 8
    if version == 1:
        hsize, off = 348, 352 if vox_offset is None else vox_offset
        h = bytearray(352)
        struct.pack_into(e + "i", h, 0, 348 if sizeof_hdr is None else sizeof_hdr)
        struct.pack_into(e + "8h", h, 40, *dims)
        struct.pack_into(e + "hh", h, 70, datatype, bitpix)
        struct.pack_into(e + "8f", h, 76, *pixdim)
        struct.pack_into(e + "fff", h, 108, off, slope, inter)
        struct.pack_into(e + "hh", h, 252, qform_code, sform_code)
        struct.pack_into(e + "6f", h, 256, *quatern, *qoffset)
        struct.pack_into(e + "12f", h, 280, *srow[0], *srow[1], *srow[2])
        h[344:348] = b"n+1\0" if magic is None else magic
    else:
        hsize, off = 540, 544 if vox_offset is None else vox_offset
        h = bytearray(544)
        struct.pack_into(e + "i", h, 0, 540 if sizeof_hdr is None else sizeof_hdr)
        h[4:12] = b"n+2\0\r\n\x1a\n" if magic is None else magic
        struct.pack_into(e + "hh", h, 12, datatype, bitpix)
        struct.pack_into(e + "8q", h, 16, *dims)
        struct.pack_into(e + "8d", h, 104, *pixdim)
        struct.pack_into(e + "qdd", h, 168, int(off), slope, inter)
        struct.pack_into(e + "ii", h, 344, qform_code, sform_code)
        struct.pack_into(e + "6d", h, 352, *quatern, *qoffset)
        struct.pack_into(e + "12d", h, 400, *srow[0], *srow[1], *srow[2])
    if data is None:
        data = arr.astype(arr.dtype.newbyteorder(e)).tobytes(order="F")
    where = int(off) if off == off and off >= hsize else hsize  # where the data goes
    return bytes(h[:min(len(h), where)]) + b"\0" * max(0, where - len(h)) + data


def write_nifti(path, arr, **kw):
    """Writes arr as NIfTI to path (gzip-compressed when it ends in .gz)."""
    b = nifti_bytes(arr, **kw)
    with (gzip.open(path, "wb") if str(path).endswith(".gz") else open(path, "wb")) as f:
        f.write(b)
    return str(path)


# --------------------------------------------------------------------------
# our reader and the niftilib oracle
# --------------------------------------------------------------------------

ORACLE_C = r"""
#include <stdint.h>
#include <stdio.h>
#include <nifti2_io.h>
#define SUM(T) for (int64_t i = 0; i < n->nvox; i++) sum += (double)((const T *)n->data)[i]; break
int main(int argc, char **argv)
{
    nifti_set_debug_level(0);
    for (int a = 1; a < argc; a++) {
        nifti_image *n = nifti_image_read(argv[a], 1);
        double sum = 0;
        uint64_t h = 0xcbf29ce484222325ULL;
        if (n == NULL) { printf("null\n"); continue; }
        const unsigned char *p = n->data;
        for (int64_t i = 0; i < n->nvox * n->nbyper; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
        switch (n->datatype) {
        case 2: SUM(uint8_t); case 256: SUM(int8_t); case 4: SUM(int16_t);
        case 512: SUM(uint16_t); case 8: SUM(int32_t); case 768: SUM(uint32_t);
        case 1024: SUM(int64_t); case 1280: SUM(uint64_t); case 16: SUM(float);
        case 64: SUM(double);
        }
        printf("{\"ndim\": %lld, \"dim\": [", (long long)n->dim[0]);
        for (int i = 1; i <= n->dim[0]; i++) printf("%s%lld", i > 1 ? ", " : "", (long long)n->dim[i]);
        printf("], \"pixdim\": [");
        for (int i = 1; i <= n->dim[0]; i++) printf("%s%.17g", i > 1 ? ", " : "", n->pixdim[i]);
        printf("], \"datatype\": %d, \"nbyper\": %d, \"scl_slope\": %.17g, \"scl_inter\": %.17g,"
               " \"qform_code\": %d, \"sform_code\": %d, \"qfac\": %.17g, \"big\": %s,"
               " \"vox_offset\": %lld, \"sum\": %.17g, \"fnv1a64\": \"%016llx\"}\n",
               n->datatype, n->nbyper, n->scl_slope, n->scl_inter, n->qform_code,
               n->sform_code, n->qfac, n->byteorder == 2 ? "true" : "false",
               (long long)n->iname_offset, sum, (unsigned long long)h);
        nifti_image_free(n);
    }
    return 0;
}
"""


@pytest.fixture(scope="session")
def oracle(tmp_path_factory):
    """niftilib's view of files: a list of dicts (None where it refuses)."""
    cc = shutil.which("cc")
    if cc is None or not os.path.exists("/usr/include/nifti/nifti2_io.h"):
        pytest.skip("niftilib (libnifti2-dev) or a C compiler is missing")
    d = tmp_path_factory.mktemp("oracle")
    (d / "oracle.c").write_text(ORACLE_C)
    exe = d / "oracle"
    subprocess.run([cc, "-O1", "-I/usr/include/nifti", str(d / "oracle.c"), "-o", str(exe),
                    "-lnifti2", "-lznz", "-lz", "-lm"], check=True, capture_output=True)

    def run(paths):
        r = subprocess.run([str(exe), *map(str, paths)], capture_output=True, text=True,
                           check=True)
        return [json.loads(line) for line in r.stdout.splitlines()]
    return run


def info(metrics, paths):
    """Our reader's view of files (all must be readable)."""
    r = metrics("segmentation", "--info", "--format", "json", *paths, check=True)
    out = json.loads(r.stdout)
    return [out[str(p)] for p in paths]


def refusal(metrics, path):
    """The one-line message with which our reader refuses path."""
    r = metrics("segmentation", "--info", path)
    assert r.returncode == 1, r.stdout
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert f"'{path}'" in lines[0], lines[0]
    return lines[0]


def header_fields(path):
    """sizeof_hdr and byte order read straight from the file."""
    with (gzip.open(path) if path.endswith(".gz") else open(path, "rb")) as f:
        head = f.read(4)
    if struct.unpack("<i", head)[0] in (348, 540):
        return struct.unpack("<i", head)[0], False
    return struct.unpack(">i", head)[0], True


def assert_same(ours, theirs, path):
    assert ours["ndim"] == theirs["ndim"], path
    assert ours["dim"] == theirs["dim"], path
    assert ours["pixdim"][1:1 + ours["ndim"]] == theirs["pixdim"], path
    assert ours["datatype"] == theirs["datatype"], path
    assert ours["nbyper"] == theirs["nbyper"], path
    assert ours["vox_offset"] == theirs["vox_offset"], path
    assert ours["qform_code"] == theirs["qform_code"], path
    assert ours["sform_code"] == theirs["sform_code"], path
    assert (ours["byte_order"] == "big") == theirs["big"], path
    if ours["qform_code"] > 0:  # niftilib leaves qfac 0 without a qform
        assert (-1.0 if ours["pixdim"][0] < 0 else 1.0) == theirs["qfac"], path
    assert ours["fnv1a64"] == theirs["fnv1a64"], path
    assert ours["sum_raw"] == pytest.approx(theirs["sum"], rel=1e-12, abs=0), path
    for k in ("scl_slope", "scl_inter"):
        assert ours[k] == theirs[k] or (ours[k] is None and theirs[k] == 0), (path, k)


# --------------------------------------------------------------------------
# real volumes
# --------------------------------------------------------------------------

def test_real_volumes_agree_with_niftilib(metrics, oracle):
    paths = [os.path.join(NIFTI_DIR, f) for f in REAL]
    ours, theirs = info(metrics, paths), oracle(paths)
    assert len(REAL) >= 12
    for p, o, t in zip(paths, ours, theirs):
        assert t is not None, f"niftilib cannot read {p}"
        assert_same(o, t, p)
        size, big = header_fields(p)
        assert o["version"] == (1 if size == 348 else 2), p
        assert (o["byte_order"] == "big") == big, p


def test_real_volumes_cover_both_versions_and_byte_orders(metrics):
    ours = info(metrics, [os.path.join(NIFTI_DIR, f) for f in REAL])
    assert {o["version"] for o in ours} == {1, 2}
    assert {o["byte_order"] for o in ours} == {"little", "big"}
    assert any(o["scaled"] for o in ours)  # functional.nii has scl_slope/scl_inter


def test_label_map_counts_match_the_provenance(metrics):
    """KmeansTest's label map: the label sizes recorded in dependencies.md."""
    p = os.path.join(NIFTI_DIR, "KmeansTest_T1KmeansPrelimSegmentation.nii.gz")
    (o,) = info(metrics, [p])
    assert o["dim"] == [128, 128, 62] and o["datatype_name"] == "uint8"
    assert o["pixdim"][1:4] == [2.0, 2.0, 3.0]
    counts = {1: 729202, 2: 114711, 3: 43423, 4: 24061, 5: 57084, 6: 47201}
    assert o["nonzero"] == sum(counts.values())
    assert o["sum"] == sum(k * v for k, v in counts.items())


# --------------------------------------------------------------------------
# files written here: every datatype, both byte orders, both versions, gzip
# --------------------------------------------------------------------------

def sample(dtype, shape=(5, 4, 3), seed=0):
    rng = np.random.default_rng(seed)
    info_ = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    if info_ is None:
        a = rng.normal(0, 1000, size=shape).astype(dtype)
        a.flat[0] = -0.0
        a.flat[1] = 1.5e-30
        return a
    a = rng.integers(info_.min, info_.max, size=shape, dtype=dtype, endpoint=True)
    a.flat[0], a.flat[-1] = info_.min, info_.max
    return a


CASES = [(dt, v, big, gz) for dt in DTYPES for v in (1, 2) for big in (False, True)
         for gz in (False, True)]


def test_every_datatype_byte_order_version_and_gzip(metrics, oracle, tmp_path):
    paths, arrays = [], []
    for i, (dt, v, big, gz) in enumerate(CASES):
        a = sample(dt, seed=i)
        # distinct stems: given x.nii.gz, niftilib reads x.nii if there is one
        p = tmp_path / f"{dt}-v{v}-{'be' if big else 'le'}{'-z.nii.gz' if gz else '.nii'}"
        paths.append(write_nifti(p, a, spacing=(0.5, 1.25, 3.0), version=v, big=big))
        arrays.append(a)
    ours, theirs = info(metrics, paths), oracle(paths)
    for (dt, v, big, gz), p, a, o, t in zip(CASES, paths, arrays, ours, theirs):
        assert t is not None, p
        assert_same(o, t, p)
        assert o["version"] == v and o["byte_order"] == ("big" if big else "little"), p
        assert o["datatype_name"] == dt and o["dim"] == [5, 4, 3], p
        assert o["pixdim"][1:4] == [0.5, 1.25, 3.0], p
        native = a.astype(a.dtype.newbyteorder("=")).tobytes(order="F")
        h = 0xcbf29ce484222325
        for byte in native:
            h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
        assert o["fnv1a64"] == f"{h:016x}", p
        assert o["sum"] == pytest.approx(float(np.sum(a.astype(np.float64))), rel=1e-9), p
        assert not o["scaled"]


@pytest.mark.parametrize("dt", ["uint8", "int16", "float32"])
@pytest.mark.parametrize("version", [1, 2])
def test_scl_slope_and_inter_are_applied(metrics, oracle, tmp_path, dt, version):
    a = sample(dt, seed=7)
    p = write_nifti(tmp_path / "s.nii", a, version=version, slope=0.5, inter=-3.0)
    (o,), (t,) = info(metrics, [p]), oracle([p])
    assert_same(o, t, p)
    assert o["scaled"] and o["scl_slope"] == 0.5 and o["scl_inter"] == -3.0
    expect = float(np.sum(a.astype(np.float64).ravel(order="F") * 0.5 - 3.0))
    assert o["sum"] == pytest.approx(expect, rel=1e-9)


@pytest.mark.parametrize("slope,inter,scaled", [(0.0, 5.0, False), (1.0, 0.0, False),
                                                (1.0, 2.0, True), (float("nan"), 1.0, False),
                                                (2.0, float("nan"), True)])
def test_scaling_rules(metrics, tmp_path, slope, inter, scaled):
    """slope 0 or not finite: no scaling at all; a non-finite inter counts as 0."""
    a = np.arange(24, dtype=np.int16).reshape(4, 3, 2)
    p = write_nifti(tmp_path / "s.nii", a, slope=slope, inter=inter)
    (o,) = info(metrics, [p])
    assert o["scaled"] is scaled
    s, i = (slope, 0.0 if inter != inter else inter) if scaled else (1.0, 0.0)
    assert o["sum"] == pytest.approx(float(np.sum(a * s + i)), rel=1e-12)


def test_vox_offset_with_extension_bytes(metrics, oracle, tmp_path):
    a = sample("int16", seed=3)
    p = write_nifti(tmp_path / "ext.nii.gz", a, vox_offset=1024)
    (o,), (t,) = info(metrics, [p]), oracle([p])
    assert_same(o, t, p)
    assert o["vox_offset"] == 1024


def test_one_and_two_dimensional_images(metrics, oracle, tmp_path):
    paths = [write_nifti(tmp_path / "line.nii", np.arange(7, dtype=np.uint8), spacing=(2.0,)),
             write_nifti(tmp_path / "plane.nii", np.ones((3, 4), dtype=np.int32),
                         spacing=(1.0, 2.0))]
    for p, o, t in zip(paths, info(metrics, paths), oracle(paths)):
        assert_same(o, t, p)


def test_hdr_img_pair(metrics, tmp_path):
    a = sample("int16", seed=5)
    b = nifti_bytes(a, magic=b"ni1\0", vox_offset=0)
    (tmp_path / "pair.hdr").write_bytes(b[:348])
    (tmp_path / "pair.img").write_bytes(a.astype("<i2").tobytes(order="F"))
    (o,) = info(metrics, [str(tmp_path / "pair.hdr")])
    assert o["dim"] == [5, 4, 3] and o["sum"] == float(a.astype(np.float64).sum())


def test_hdr_img_pair_with_gzip_image(metrics, tmp_path):
    a = sample("uint16", seed=6)
    b = nifti_bytes(a, magic=b"ni1\0", vox_offset=0, big=True)
    (tmp_path / "pair.hdr").write_bytes(b[:348])
    with gzip.open(tmp_path / "pair.img.gz", "wb") as f:
        f.write(a.astype(">u2").tobytes(order="F"))
    (o,) = info(metrics, [str(tmp_path / "pair.hdr")])
    assert o["byte_order"] == "big" and o["sum"] == float(a.astype(np.float64).sum())


# --------------------------------------------------------------------------
# refusals: each names the file and the problem
# --------------------------------------------------------------------------

GOOD = np.arange(60, dtype=np.uint8).reshape(5, 4, 3)


def bad(tmp_path, name, raw):
    p = tmp_path / name
    p.write_bytes(raw)
    return str(p)


def test_empty_file(metrics, tmp_path):
    msg = refusal(metrics, bad(tmp_path, "empty.nii", b""))
    assert "truncated header (0 bytes" in msg


@pytest.mark.parametrize("version,size", [(1, 348), (2, 540)])
def test_truncated_header(metrics, tmp_path, version, size):
    raw = nifti_bytes(GOOD, version=version)[:size - 48]
    msg = refusal(metrics, bad(tmp_path, "short.nii", raw))
    assert f"truncated header ({size - 48} of {size} bytes)" in msg


def test_not_a_nifti_file(metrics, tmp_path):
    msg = refusal(metrics, bad(tmp_path, "text.nii", b"hello, this is not an image\n" * 20))
    assert "not a NIfTI file (sizeof_hdr is" in msg


@pytest.mark.parametrize("version,magic", [(1, b"n+3\0"), (1, b"XYZ\0"),
                                           (2, b"n+2\0\r\n\n\n"), (2, b"n+1\0\r\n\x1a\n")])
def test_bad_magic(metrics, tmp_path, version, magic):
    msg = refusal(metrics, bad(tmp_path, "m.nii", nifti_bytes(GOOD, version=version,
                                                             magic=magic)))
    assert "bad magic" in msg and f"expected 'n+{version}'" in msg


def test_analyze_header_without_magic(metrics, tmp_path):
    msg = refusal(metrics, bad(tmp_path, "a.hdr", nifti_bytes(GOOD, magic=b"\0\0\0\0")))
    assert "no NIfTI magic (an Analyze 7.5 header?)" in msg


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("dims,expect", [
    ([0, 5, 4, 3, 1, 1, 1, 1], "bad dim[0] 0 (must be 1 to 7)"),
    ([8, 5, 4, 3, 1, 1, 1, 1], "bad dim[0] 8 (must be 1 to 7)"),
    ([-3, 5, 4, 3, 1, 1, 1, 1], "bad dim[0] -3 (must be 1 to 7)"),
    ([3, 5, 0, 3, 1, 1, 1, 1], "bad dim[2] 0 (must be positive)"),
    ([3, 5, 4, -2, 1, 1, 1, 1], "bad dim[3] -2 (must be positive)"),
])
def test_bad_dim(metrics, tmp_path, version, dims, expect):
    msg = refusal(metrics, bad(tmp_path, "d.nii", nifti_bytes(GOOD, version=version,
                                                             dims=dims)))
    assert expect in msg


def test_dims_past_dim0_are_ignored(metrics, tmp_path):
    p = write_nifti(tmp_path / "d.nii", GOOD, dims=[3, 5, 4, 3, 0, -7, 99, 0])
    (o,) = info(metrics, [p])
    assert o["dim"] == [5, 4, 3] and o["nvox"] == 60


@pytest.mark.parametrize("version", [1, 2])
def test_image_over_the_size_cap(metrics, tmp_path, version):
    dims = [3, 32767, 32767, 32767, 1, 1, 1, 1]
    msg = refusal(metrics, bad(tmp_path, "huge.nii", nifti_bytes(GOOD, version=version,
                                                                dims=dims)))
    assert "image too large" in msg


def test_image_over_the_cap_in_bytes_but_not_voxels(metrics, tmp_path):
    dims = [4, 32767, 32767, 1, 2, 1, 1, 1]  # 2^31 voxels of 8 bytes: 16 GiB
    raw = nifti_bytes(GOOD.astype(np.float64), dims=dims)
    msg = refusal(metrics, bad(tmp_path, "big.nii", raw))
    assert "image too large" in msg


@pytest.mark.parametrize("code,expect", [
    (3, "unknown datatype 3"), (0, "unknown datatype 0"), (-5, "unknown datatype -5"),
    (32, "unsupported datatype 32 (complex64)"), (128, "unsupported datatype 128 (rgb24)"),
    (2304, "unsupported datatype 2304 (rgba32)"), (1792, "unsupported datatype 1792"),
    (1536, "unsupported datatype 1536 (float128)"), (1, "unsupported datatype 1 (binary)"),
])
def test_datatype_refused(metrics, tmp_path, code, expect):
    msg = refusal(metrics, bad(tmp_path, "t.nii", nifti_bytes(GOOD, datatype=code)))
    assert expect in msg


@pytest.mark.parametrize("version", [1, 2])
def test_vox_offset_past_the_end(metrics, tmp_path, version):
    raw = nifti_bytes(GOOD, version=version, vox_offset=100000, data=b"")
    msg = refusal(metrics, bad(tmp_path, "v.nii", raw[:600]))
    assert "vox_offset 100000 is past the end of the file (" in msg


def test_vox_offset_past_the_end_of_gzip_data(metrics, tmp_path):
    raw = nifti_bytes(GOOD, vox_offset=100000, data=b"")[:600]
    p = tmp_path / "v.nii.gz"
    p.write_bytes(gzip.compress(raw))
    msg = refusal(metrics, str(p))
    assert "vox_offset 100000 is past the end of the data (600 bytes)" in msg


@pytest.mark.parametrize("version,off,expect", [
    (1, 100, "bad vox_offset 100 (inside the 348-byte header)"),
    (2, 352, "bad vox_offset 352 (inside the 540-byte header)"),
    (1, 352.5, "bad vox_offset 352.5 (must be a whole number of bytes)"),
    (1, -352, "bad vox_offset -352"),
    (2, -1, "bad vox_offset -1 (negative)"),
    (1, float("nan"), "bad vox_offset nan"),
])
def test_bad_vox_offset(metrics, tmp_path, version, off, expect):
    raw = nifti_bytes(GOOD, version=version, vox_offset=off, data=b"")
    raw = raw[:544] + GOOD.tobytes(order="F")
    msg = refusal(metrics, bad(tmp_path, "o.nii", raw))
    assert expect in msg


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("version", [1, 2])
def test_truncated_data(metrics, tmp_path, version, gz):
    raw = nifti_bytes(GOOD.astype(np.int16), version=version)[:-7]
    off = 352 if version == 1 else 544
    p = tmp_path / ("t.nii.gz" if gz else "t.nii")
    p.write_bytes(gzip.compress(raw) if gz else raw)
    msg = refusal(metrics, str(p))
    assert f"truncated data ({120 - 7} of 120 bytes after vox_offset {off})" in msg


def test_truncated_gzip_stream(metrics, tmp_path):
    z = gzip.compress(nifti_bytes(sample("float64", seed=2)))
    p = tmp_path / "cut.nii.gz"
    p.write_bytes(z[:len(z) * 2 // 3])
    msg = refusal(metrics, str(p))
    assert "truncated data (" in msg


def test_corrupt_gzip_stream(metrics, tmp_path):
    z = bytearray(gzip.compress(nifti_bytes(sample("float64", seed=2))))
    for i in range(40, 60):
        z[i] ^= 0x5A
    p = tmp_path / "bad.nii.gz"
    p.write_bytes(bytes(z))
    msg = refusal(metrics, str(p))
    assert "corrupt gzip data" in msg or "truncated" in msg


def test_pair_magic_in_a_single_file(metrics, tmp_path):
    msg = refusal(metrics, bad(tmp_path, "x.nii", nifti_bytes(GOOD, magic=b"ni1\0")))
    assert "magic 'ni1' says the voxels are in a separate .img file" in msg


def test_hdr_without_its_img(metrics, tmp_path):
    msg = refusal(metrics, bad(tmp_path, "lone.hdr", nifti_bytes(GOOD, magic=b"ni1\0",
                                                                 vox_offset=0)[:348]))
    assert "no .img file beside this .hdr" in msg


def test_missing_file_and_folder(metrics, tmp_path):
    msg = refusal(metrics, str(tmp_path / "nope.nii"))
    assert "cannot open" in msg and "No such file" in msg
    msg = refusal(metrics, str(tmp_path))
    assert "not a regular file" in msg


def test_usage_errors(metrics):
    r = metrics("segmentation", "--info")
    assert r.returncode == 2 and "--info needs at least one FILE" in r.stderr
    r = metrics("segmentation", "--bogus")
    assert r.returncode == 2 and "unknown option '--bogus'" in r.stderr
    r = metrics("segmentation", "--help")
    assert r.returncode == 0 and "--info" in r.stdout and "exit status" in r.stdout
