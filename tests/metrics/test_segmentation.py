"""Segmentation metrics (src/metrics/seg.c, edt.c) against an independent
SciPy reference of the definitions pinned in docs/metrics-images.md:

- surface: the mask's voxels with a face neighbour outside the mask (outside
  the volume counts as outside);
- directed distances: from each surface voxel of one mask to the nearest
  surface voxel of the other, between voxel centres, in mm;
- HD95: the larger of the two directed sets' 95th percentiles (numpy's
  linear interpolation); ASSD: the mean of both sets together; NSD: the
  fraction of both sets within the tolerance;
- both masks empty: best values (overlap 1, distances 0, volumes 0); one
  empty: overlap 0 and every distance the field-of-view diagonal
  sqrt(sum (n_i s_i)^2), NSD 0.

The reference computes full-volume Euclidean distance transforms with
scipy.ndimage.distance_transform_edt(sampling=spacing): no bounding box, no
shortcut. Values must agree to 1e-9. Masks are written as NIfTI with the
writer of test_nifti.py.
"""
import json
import math
import os
import sys

import numpy as np
import pytest
from scipy.ndimage import distance_transform_edt, gaussian_filter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_nifti import nifti_bytes, write_nifti  # noqa: E402
from conftest import DATA  # noqa: E402

NAMES = ["dice", "iou", "sensitivity", "precision", "volume_prediction_mm3",
         "volume_reference_mm3", "volume_difference_mm3", "hausdorff", "hd95", "assd", "nsd"]
TOL = 1e-9


# --------------------------------------------------------------------------
# the reference
# --------------------------------------------------------------------------

def surface(m):
    """Voxels of m with a face neighbour outside m (or outside the volume)."""
    p = np.pad(m, 1)
    inner = m.copy()
    for axis in range(3):
        for shift in (1, -1):
            inner &= np.roll(p, shift, axis=axis)[1:-1, 1:-1, 1:-1]
    return m & ~inner


def reference(pred, ref, labels, spacing, tol=1.0):
    """Every metric of the structure made of labels, by the pinned definitions.
    spacing is taken as a NIfTI-1 header stores it (float32)."""
    spacing = tuple(float(np.float32(s)) for s in spacing)
    a, b = np.isin(pred, labels), np.isin(ref, labels)
    n_p, n_r, tp = int(a.sum()), int(b.sum()), int((a & b).sum())
    voxel = spacing[0] * spacing[1] * spacing[2]
    if n_p == 0 and n_r == 0:
        return dict(zip(NAMES, [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]))
    out = {"dice": 2 * tp / (n_p + n_r), "iou": tp / (n_p + n_r - tp),
           "sensitivity": tp / n_r if n_r else 0.0, "precision": tp / n_p if n_p else 0.0,
           "volume_prediction_mm3": n_p * voxel, "volume_reference_mm3": n_r * voxel,
           "volume_difference_mm3": n_p * voxel - n_r * voxel}
    if n_p == 0 or n_r == 0:
        diag = math.sqrt(sum((n * s) ** 2 for n, s in zip(pred.shape, spacing)))
        out.update(hausdorff=diag, hd95=diag, assd=diag, nsd=0.0)
        return out
    sa, sb = surface(a), surface(b)
    dab = distance_transform_edt(~sb, sampling=spacing)[sa]
    dba = distance_transform_edt(~sa, sampling=spacing)[sb]
    n = dab.size + dba.size
    out.update(hausdorff=max(dab.max(), dba.max()),
               hd95=max(np.percentile(dab, 95), np.percentile(dba, 95)),
               assd=(dab.sum() + dba.sum()) / n,
               nsd=(np.count_nonzero(dab <= tol) + np.count_nonzero(dba <= tol)) / n)
    return out


def assert_close(got, want, what=""):
    assert set(got) == set(want), what
    for k, v in want.items():
        assert got[k] is not None, (what, k)
        assert abs(got[k] - v) <= TOL, f"{what} {k}: ours {got[k]!r}, reference {v!r}"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def blobs(rng, shape, sigma=2.0, level=0.3):
    return gaussian_filter(rng.standard_normal(shape), sigma) > level * 0.5 / sigma


def score(metrics, pred, ref, *args):
    r = metrics("segmentation", "--prediction", pred, "--label", ref, "--format", "json", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def one_case(out):
    assert out["n_cases"] == 1
    (case,) = out["cases"].values()
    return case


def refused(metrics, pred, ref, *args):
    r = metrics("segmentation", "--prediction", pred, "--label", ref, *args)
    assert r.returncode == 1, r.stdout
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


# --------------------------------------------------------------------------
# agreement with the reference
# --------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_random_blobs_anisotropic(metrics, tmp_path, seed):
    rng = np.random.default_rng(seed)
    shape = tuple(int(x) for x in rng.integers(18, 40, size=3))
    spacing = tuple(float(x) for x in rng.choice([0.5, 0.8, 1.0, 1.3, 2.5, 3.0], size=3))
    a = blobs(rng, shape)
    b = a ^ (blobs(rng, shape, sigma=1.5, level=0.9))  # a perturbed copy
    tol = float(rng.choice([0.9, 1.7, 3.1]))
    p = write_nifti(tmp_path / "p.nii.gz", a.astype(np.uint8), spacing=spacing)
    r = write_nifti(tmp_path / "r.nii", b.astype(np.int16), spacing=spacing, big=True)
    got = one_case(score(metrics, p, r, "--tolerance", str(tol)))
    assert_close(got["1"], reference(a, b, [1], spacing, tol), f"seed {seed}")


@pytest.mark.parametrize("seed", range(3))
def test_random_noise_masks(metrics, tmp_path, seed):
    """Salt-and-pepper masks: almost every voxel is on a surface."""
    rng = np.random.default_rng(100 + seed)
    shape, spacing = (21, 17, 13), (1.0, 0.6, 2.2)
    a, b = rng.random(shape) < 0.3, rng.random(shape) < 0.1
    p = write_nifti(tmp_path / "p.nii", a.astype(np.uint8), spacing=spacing)
    r = write_nifti(tmp_path / "r.nii", b.astype(np.uint8), spacing=spacing)
    got = one_case(score(metrics, p, r))
    assert_close(got["1"], reference(a, b, [1], spacing), f"seed {seed}")


def test_far_apart_objects_along_a_long_axis(metrics, tmp_path):
    """Distances of hundreds of voxels along z (the last pass's long searches)."""
    shape, spacing = (6, 5, 300), (1.0, 1.0, 0.5)
    a, b = np.zeros(shape, bool), np.zeros(shape, bool)
    a[1:4, 1:3, 2:40] = True
    b[2:5, 2:4, 250:296] = True
    b[0, 0, 150] = True
    p = write_nifti(tmp_path / "p.nii", a.astype(np.uint8), spacing=spacing)
    r = write_nifti(tmp_path / "r.nii", b.astype(np.uint8), spacing=spacing)
    assert_close(one_case(score(metrics, p, r))["1"], reference(a, b, [1], spacing))


@pytest.mark.parametrize("where", [((3, 4, 5), (10, 2, 6)), ((0, 0, 0), (11, 8, 6)),
                                   ((5, 5, 5), (5, 5, 5)), ((2, 3, 4), (2, 3, 5))])
def test_one_voxel_objects(metrics, tmp_path, where):
    shape, spacing = (12, 9, 7), (0.7, 1.9, 2.6)
    a, b = np.zeros(shape, bool), np.zeros(shape, bool)
    a[where[0]] = True
    b[where[1]] = True
    p = write_nifti(tmp_path / "p.nii", a.astype(np.uint8), spacing=spacing)
    r = write_nifti(tmp_path / "r.nii", b.astype(np.uint8), spacing=spacing)
    got = one_case(score(metrics, p, r))["1"]
    assert_close(got, reference(a, b, [1], spacing))
    stored = [float(np.float32(s)) for s in spacing]
    d = math.sqrt(sum(((i - j) * s) ** 2 for i, j, s in zip(*where, stored)))
    assert got["hausdorff"] == got["hd95"] == got["assd"] == pytest.approx(d, abs=1e-12)


def test_objects_touching_the_volume_border(metrics, tmp_path):
    shape, spacing = (14, 11, 9), (1.2, 0.9, 2.0)
    a = np.zeros(shape, bool)
    a[0:5, :, :] = True          # a slab filling three faces of the volume
    a[:, :, 8] = True            # and the last z plane
    b = np.zeros(shape, bool)
    b[3:, 0:4, 0:9] = True
    for pa, pb in ((a, b), (np.ones(shape, bool), b), (a, np.ones(shape, bool))):
        p = write_nifti(tmp_path / "p.nii", pa.astype(np.uint8), spacing=spacing)
        r = write_nifti(tmp_path / "r.nii", pb.astype(np.uint8), spacing=spacing)
        assert_close(one_case(score(metrics, p, r))["1"], reference(pa, pb, [1], spacing))


def test_whole_volume_masks_have_border_surfaces(metrics, tmp_path):
    """A mask filling the volume: its surface is the border, so distances are 0."""
    shape = (6, 7, 8)
    full = np.ones(shape, np.uint8)
    p = write_nifti(tmp_path / "p.nii", full)
    got = one_case(score(metrics, p, p))["1"]
    assert got["dice"] == 1.0 and got["hausdorff"] == 0.0 and got["nsd"] == 1.0


def label_map(rng, shape, k):
    """A label map 0..k from thresholded noise."""
    s = gaussian_filter(rng.standard_normal(shape), 2.0)
    edges = np.quantile(s, np.linspace(0.35, 1.0, k + 1)[:-1])
    return np.digitize(s, edges).astype(np.uint8)


def test_multiple_labels(metrics, tmp_path):
    rng = np.random.default_rng(7)
    shape, spacing = (30, 26, 20), (0.9, 0.9, 2.0)
    ref = label_map(rng, shape, 4)
    pred = ref.copy()
    noise = blobs(rng, shape, sigma=1.5, level=0.8)
    pred[noise] = rng.integers(0, 5, size=int(noise.sum()))
    p = write_nifti(tmp_path / "p.nii.gz", pred, spacing=spacing)
    r = write_nifti(tmp_path / "r.nii.gz", ref.astype(np.int32), spacing=spacing)
    got = one_case(score(metrics, p, r))
    assert list(got) == ["1", "2", "3", "4"]
    for k in range(1, 5):
        assert_close(got[str(k)], reference(pred, ref, [k], spacing), f"label {k}")
    got = one_case(score(metrics, p, r, "--labels", "3,1"))
    assert list(got) == ["3", "1"]
    got = one_case(score(metrics, p, r, "--labels", "WT=1+2+4,TC=1+4,ET=4"))
    assert list(got) == ["WT", "TC", "ET"]
    for name, labels in (("WT", [1, 2, 4]), ("TC", [1, 4]), ("ET", [4])):
        assert_close(got[name], reference(pred, ref, labels, spacing), name)


def test_real_label_map_against_a_perturbed_copy(metrics, tmp_path):
    """The ITK brain label map (labels 1-6, 2x2x3 mm) against itself shifted
    by one voxel with a few labels swapped."""
    src = os.path.join(DATA, "nifti", "KmeansTest_T1KmeansPrelimSegmentation.nii.gz")
    import gzip
    import struct
    raw = gzip.open(src).read()
    dims = struct.unpack("<8h", raw[40:56])[1:4]
    ref = np.frombuffer(raw[352:352 + int(np.prod(dims))], np.uint8).reshape(dims, order="F")
    rng = np.random.default_rng(3)
    pred = np.roll(ref, (1, 0, 1), axis=(0, 1, 2)).copy()
    swap = blobs(rng, dims, sigma=2.0, level=1.2) & (pred > 0)
    pred[swap] = rng.integers(1, 7, size=int(swap.sum()))
    spacing = (2.0, 2.0, 3.0)
    p = write_nifti(tmp_path / "p.nii.gz", pred, spacing=spacing)
    got = one_case(score(metrics, p, src, "--tolerance", "2.5"))
    assert list(got) == [str(k) for k in range(1, 7)]
    for k in range(1, 7):
        assert_close(got[str(k)], reference(pred, ref, [k], spacing, 2.5), f"label {k}")


def test_one_slice_images(metrics, tmp_path):
    """With a single slice every voxel of a mask is on its surface: the
    volume's border counts as outside on every axis."""
    rng = np.random.default_rng(11)
    shape, spacing = (25, 19, 1), (0.5, 0.8, 3.0)
    a, b = blobs(rng, shape[:2])[..., None], blobs(rng, shape[:2])[..., None]
    p = write_nifti(tmp_path / "p.nii", a.astype(np.uint8), spacing=spacing)
    r = write_nifti(tmp_path / "r.nii", b.astype(np.uint8), spacing=spacing)
    assert_close(one_case(score(metrics, p, r))["1"], reference(a, b, [1], spacing))


# --------------------------------------------------------------------------
# empty masks
# --------------------------------------------------------------------------

def test_empty_masks(metrics, tmp_path):
    shape, spacing = (10, 12, 8), (1.5, 1.0, 2.5)
    empty, some = np.zeros(shape, np.uint8), np.zeros(shape, np.uint8)
    some[2:5, 3:9, 1:4] = 1
    diag = math.sqrt((10 * 1.5) ** 2 + 12 ** 2 + (8 * 2.5) ** 2)
    pe = write_nifti(tmp_path / "pe.nii", empty, spacing=spacing)
    ps = write_nifti(tmp_path / "ps.nii", some, spacing=spacing)
    both = one_case(score(metrics, pe, pe, "--labels", "1"))["1"]
    assert both == dict(zip(NAMES, [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]))
    missed = one_case(score(metrics, pe, ps))["1"]          # the prediction is empty
    assert_close(missed, reference(empty, some, [1], spacing))
    assert missed["hd95"] == missed["hausdorff"] == missed["assd"] == diag
    assert missed["dice"] == missed["sensitivity"] == missed["precision"] == 0.0
    assert missed["nsd"] == 0.0 and missed["volume_reference_mm3"] == 54 * 3.75
    spurious = one_case(score(metrics, ps, pe))["1"]        # the reference is empty
    assert_close(spurious, reference(some, empty, [1], spacing))
    assert spurious["hd95"] == diag and spurious["sensitivity"] == 0.0
    nothing = score(metrics, pe, pe)                        # no label at all: nothing scored
    assert nothing["summary"] == {} and one_case(nothing) == {}


def test_labels_present_in_some_cases_only(metrics, tmp_path):
    """Every label present in any case is scored in every case; where both
    masks lack it, the case gets the both-empty values."""
    shape = (9, 8, 7)
    pd, rd = tmp_path / "pred", tmp_path / "ref"
    pd.mkdir()
    rd.mkdir()
    a = np.zeros(shape, np.uint8)
    a[1:4, 1:4, 1:4] = 1
    b = a.copy()
    b[5:8, 5:7, 4:6] = 2
    write_nifti(pd / "case1.nii.gz", a)
    write_nifti(rd / "case1.nii", a)
    write_nifti(pd / "case2.nii", b)
    write_nifti(rd / "case2.nii.gz", b)
    out = score(metrics, str(pd), str(rd))
    assert out["n_cases"] == 2 and list(out["cases"]) == ["case1", "case2"]
    assert list(out["cases"]["case1"]) == ["1", "2"]
    assert out["cases"]["case1"]["2"]["dice"] == 1.0
    assert out["cases"]["case1"]["2"]["hd95"] == 0.0


def test_summary_over_cases(metrics, tmp_path):
    rng = np.random.default_rng(21)
    shape, spacing = (16, 15, 12), (1.0, 1.5, 2.0)
    pd, rd = tmp_path / "p", tmp_path / "r"
    pd.mkdir()
    rd.mkdir()
    want = {}
    for i in range(5):
        a, b = blobs(rng, shape), blobs(rng, shape)
        if i == 3:
            a[:] = False  # one case with an empty prediction
        write_nifti(pd / f"c{i}.nii", a.astype(np.uint8), spacing=spacing)
        write_nifti(rd / f"c{i}.nii", b.astype(np.uint8), spacing=spacing)
        want[f"c{i}"] = reference(a, b, [1], spacing)
    out = score(metrics, str(pd), str(rd))
    for case, values in want.items():
        assert_close(out["cases"][case]["1"], values, case)
    for m in NAMES:
        col = np.array([want[c][m] for c in sorted(want)])
        s = out["summary"]["1"][m]
        assert abs(s["mean"] - col.mean()) <= TOL and abs(s["std"] - col.std()) <= TOL, m
        assert abs(s["median"] - np.median(col)) <= TOL, m


def test_metric_selection_summary_only_and_yaml(metrics, tmp_path):
    import yaml
    a = np.zeros((8, 8, 8), np.uint8)
    a[2:6, 2:6, 2:6] = 1
    b = np.roll(a, 1, axis=0)
    p, r = write_nifti(tmp_path / "p.nii", a), write_nifti(tmp_path / "r.nii", b)
    out = score(metrics, p, r, "--metrics", "hd95,dice", "--summary-only")
    assert "cases" not in out and list(out["summary"]["1"]) == ["dice", "hd95"]
    y = metrics("segmentation", "--prediction", p, "--label", r, check=True)
    assert yaml.safe_load(y.stdout) == score(metrics, p, r)
    dest = tmp_path / "out.yaml"
    metrics("segmentation", "--prediction", p, "--label", r, "--output", dest, check=True)
    assert yaml.safe_load(dest.read_text()) == score(metrics, p, r)


def test_tolerance_is_used_for_nsd(metrics, tmp_path):
    rng = np.random.default_rng(5)
    shape, spacing = (20, 20, 15), (1.0, 1.0, 1.0)
    a, b = blobs(rng, shape), blobs(rng, shape)
    p = write_nifti(tmp_path / "p.nii", a.astype(np.uint8))
    r = write_nifti(tmp_path / "r.nii", b.astype(np.uint8))
    values = []
    for tol in (1.0, 2.0, 5.0):
        got = one_case(score(metrics, p, r, "--tolerance", str(tol)))["1"]
        assert_close(got, reference(a, b, [1], spacing, tol))
        values.append(got["nsd"])
    assert values[0] < values[1] < values[2]


def test_masks_in_float_and_scaled_storage(metrics, tmp_path):
    """Labels may be stored as floats or scaled integers, if the values are whole."""
    rng = np.random.default_rng(9)
    a = label_map(rng, (12, 10, 9), 2)
    p = write_nifti(tmp_path / "p.nii", a.astype(np.float32))
    r = write_nifti(tmp_path / "r.nii.gz", (a * 2).astype(np.int16), slope=0.5, inter=0.0)
    got = one_case(score(metrics, p, r))
    assert got["1"]["dice"] == 1.0 and got["2"]["dice"] == 1.0


# --------------------------------------------------------------------------
# refusals
# --------------------------------------------------------------------------

def test_shape_mismatch(metrics, tmp_path):
    p = write_nifti(tmp_path / "p.nii", np.zeros((5, 6, 7), np.uint8))
    r = write_nifti(tmp_path / "r.nii", np.zeros((5, 6, 8), np.uint8))
    msg = refused(metrics, p, r)
    assert f"prediction '{p}' is 5x6x7 voxels but label '{r}' is 5x6x8" in msg


def test_spacing_mismatch(metrics, tmp_path):
    p = write_nifti(tmp_path / "p.nii", np.zeros((5, 6, 7), np.uint8), spacing=(1, 1, 1))
    r = write_nifti(tmp_path / "r.nii", np.zeros((5, 6, 7), np.uint8), spacing=(1, 1, 1.5))
    msg = refused(metrics, p, r)
    assert f"prediction '{p}' and label '{r}' differ in voxel spacing: 1x1x1 vs 1x1x1.5 mm" in msg


def test_spacing_within_tolerance_is_accepted(metrics, tmp_path):
    a = np.ones((4, 4, 4), np.uint8)
    p = write_nifti(tmp_path / "p.nii", a, spacing=(1.0, 1.0, 1.0))
    r = write_nifti(tmp_path / "r.nii", a, spacing=(1.0, 1.00001, 0.99999))
    assert one_case(score(metrics, p, r))["1"]["dice"] == 1.0


def test_geometry_mismatch(metrics, tmp_path):
    a = np.zeros((5, 6, 7), np.uint8)
    srow = [[1, 0, 0, -10], [0, 1, 0, -20], [0, 0, 1, -30]]
    moved = [[1, 0, 0, -10], [0, 1, 0, -20], [0, 0, 1, -33]]
    p = write_nifti(tmp_path / "p.nii", a, sform_code=1, srow=srow)
    r = write_nifti(tmp_path / "r.nii", a, sform_code=1, srow=moved)
    msg = refused(metrics, p, r)
    assert f"prediction '{p}' and label '{r}' are not on the same grid" in msg
    assert "row 3 column 4: -30 vs -33" in msg
    flipped = write_nifti(tmp_path / "f.nii", a, qform_code=1, quatern=(1, 0, 0),
                          qoffset=(-10, -20, -30))
    assert "are not on the same grid" in refused(metrics, p, flipped)
    same_q = write_nifti(tmp_path / "q.nii", a, qform_code=1, qoffset=(-10, -20, -30))
    assert one_case(score(metrics, p, same_q)) == {}
    plain = write_nifti(tmp_path / "n.nii", a)  # no orientation at all: nothing to compare
    assert one_case(score(metrics, p, plain)) == {}


def test_probability_map_refused(metrics, tmp_path):
    a = np.zeros((5, 6, 7), np.float32)
    a[3, 4, 5] = 0.75
    p = write_nifti(tmp_path / "p.nii", a)
    r = write_nifti(tmp_path / "r.nii", np.zeros((5, 6, 7), np.uint8))
    msg = refused(metrics, p, r)
    assert f"'{p}': voxel (3, 4, 5) has value 0.75, not an integer label" in msg
    a[3, 4, 5] = np.nan
    write_nifti(tmp_path / "p.nii", a)
    assert "has value nan, not an integer label" in refused(metrics, p, r)


def test_four_dimensional_and_zero_spacing_refused(metrics, tmp_path):
    r = write_nifti(tmp_path / "r.nii", np.zeros((5, 6, 7), np.uint8))
    p4 = write_nifti(tmp_path / "p4.nii", np.zeros((5, 6, 7, 2), np.uint8))
    assert f"'{p4}': a mask must be 3-D, but dim[4] is 2" in refused(metrics, p4, r)
    p0 = write_nifti(tmp_path / "p0.nii", np.zeros((5, 6, 7), np.uint8), spacing=(1, 0, 1))
    msg = refused(metrics, p0, r)
    assert f"'{p0}': voxel spacing pixdim[2] is 0" in msg


def test_unreadable_files_are_named(metrics, tmp_path):
    r = write_nifti(tmp_path / "r.nii", np.zeros((5, 6, 7), np.uint8))
    bad = tmp_path / "bad.nii"
    bad.write_bytes(nifti_bytes(np.zeros((5, 6, 7), np.uint8))[:200])
    assert f"'{bad}': truncated header (200 of 348 bytes)" in refused(metrics, bad, r)
    assert f"'{bad}': truncated header" in refused(metrics, r, bad)


def test_folder_pairing(metrics, tmp_path):
    pd, rd = tmp_path / "pred", tmp_path / "ref"
    pd.mkdir()
    rd.mkdir()
    a = np.zeros((4, 4, 4), np.uint8)
    write_nifti(pd / "a.nii.gz", a)
    write_nifti(rd / "a.nii", a)
    (pd / "notes.txt").write_text("ignored: not a NIfTI name")
    (rd / ".hidden.nii").write_text("ignored: hidden")
    assert score(metrics, str(pd), str(rd))["n_cases"] == 1
    write_nifti(rd / "b.nii.gz", a)
    msg = refused(metrics, pd, rd)
    assert f"label 'b.nii.gz' has no prediction in '{pd}'" in msg
    write_nifti(pd / "b.nii.gz", a)
    write_nifti(pd / "c.nii", a)
    assert f"prediction 'c.nii' has no label in '{rd}'" in refused(metrics, pd, rd)
    write_nifti(rd / "c.nii", a)
    write_nifti(rd / "c.nii.gz", a)
    assert f"labels folder '{rd}' has two files for case 'c'" in refused(metrics, pd, rd)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "holds no NIfTI file" in refused(metrics, empty, rd)
    assert "is a folder but the label is a file" in refused(metrics, pd, rd / "a.nii")
    assert "No such file" in refused(metrics, tmp_path / "nope", rd)


def test_usage_errors(metrics, tmp_path):
    for args, expect in ((["--labels", "1,x"], "--labels takes"),
                         (["--labels", "A=1+,B=2"], "--labels takes"),
                         (["--labels", "A=1,A=2"], "--labels takes"),
                         (["--tolerance", "0"], "--tolerance must be"),
                         (["--tolerance", "1mm"], "--tolerance must be"),
                         (["--metrics", "dice,hd96"], "--metrics takes"),
                         (["--format", "xml"], "--format must be"),
                         (["--prediction", "x"], "--label is required"),
                         (["--label", "x"], "--prediction is required"),
                         (["--prediction"], "missing value for '--prediction'")):
        r = metrics("segmentation", *args)
        assert r.returncode == 2 and expect in r.stderr, (args, r.stderr)
    r = metrics("segmentation", "--help")
    assert r.returncode == 0 and "HD95" in r.stdout


def test_label_set_refusals(metrics, tmp_path):
    p = write_nifti(tmp_path / "p.nii", np.zeros((4, 4, 4), np.uint8))
    msg = refused(metrics, p, p, "--labels", "1,2,1")
    assert "label 1 is listed twice" in msg
    msg = refused(metrics, p, p, "--labels", "A=1+2+1")
    assert "label 1 is listed twice in 'A'" in msg
