"""The brain segmentation example's cases (examples/brain-seg/tools/cases.py, derive):
deterministic to the byte, and each transform the README documents is really there:
crops, the left-right flip and the thicker slices follow the files' affines back to
the source voxels, the datatypes and scales are the hospitals', the background is 0
exactly where the tissue labels are, and the committed weights are a fresh fit."""
import hashlib
import os

import numpy as np
import pytest

import cases
import niftiio
from conftest import EXAMPLE, script

ALL = dict(cases.HOSPITALS, demo=cases.DEMO)


def digests(top):
    found = {}
    for dirpath, _, files in os.walk(top):
        for name in files:
            p = os.path.join(dirpath, name)
            with open(p, "rb") as f:
                found[os.path.relpath(p, top)] = hashlib.sha256(f.read()).hexdigest()
    return found


@pytest.fixture(scope="module")
def derived(base_dir):
    a, b = os.path.join(base_dir, "derive-1"), os.path.join(base_dir, "derive-2")
    script("derive", a)
    script("derive", b)
    return a, b


@pytest.fixture(scope="module")
def source():
    return cases.load_source()


def test_derive_is_deterministic_to_the_byte(derived):
    a, b = derived
    da, db = digests(a), digests(b)
    expected = {"demo/paths.yaml"}
    for site, specs in ALL.items():
        for spec in specs:
            expected |= {f"{site}/data/{spec['name']}.nii.gz", f"{site}/labels/{spec['name']}.nii.gz"}
    assert set(da) == expected
    assert da == db


def test_three_hospitals_of_three_cases_and_a_demo_of_two():
    assert {k: len(v) for k, v in ALL.items()} == {
        "hospital-a": 3, "hospital-b": 3, "hospital-c": 3, "demo": 2}
    names = [s["name"] for specs in ALL.values() for s in specs]
    assert len(set(names)) == len(names)


def source_index(case_affine, src_affine, ijk):
    """Source voxel indices (float) of case voxels ijk (N x 3) through both affines."""
    a = np.vstack([case_affine, [0, 0, 0, 1]])
    s = np.vstack([src_affine, [0, 0, 0, 1]])
    pts = np.hstack([ijk, np.ones((len(ijk), 1))]) @ a.T
    return (pts @ np.linalg.inv(s).T)[:, :3]


@pytest.mark.parametrize("site", list(ALL))
def test_affines_lead_back_to_the_source_labels(derived, source, site):
    """Every voxel of every case, through its file's affine and the source's, lands on
    a source voxel with the same raw label (thick slices: on the nearest source slice)."""
    h, _, codes = source
    for spec in ALL[site]:
        lh, lab = niftiio.read(os.path.join(derived[0], site, "labels", spec["name"] + ".nii.gz"))
        ijk = np.indices(lab.shape).reshape(3, -1).T
        src = source_index(lh.affine, h.affine, ijk)
        if spec["zstep"] == 1.0:
            assert np.allclose(src, np.rint(src), atol=1e-4)
        else:  # the z axis: positions z0 + k * zstep, labels from the nearest slice
            assert np.allclose(src[:, :2], np.rint(src[:, :2]), atol=1e-4)
            src[:, 2] = np.floor(src[:, 2] + 0.5 + 1e-6)
        i = np.rint(src).astype(int)
        assert np.array_equal(codes[i[:, 0], i[:, 1], i[:, 2]], lab[ijk[:, 0], ijk[:, 1], ijk[:, 2]])


@pytest.mark.parametrize("site", list(ALL))
def test_images_are_skull_stripped_in_the_sites_datatype(derived, site):
    dtype = {"hospital-a": np.int16, "hospital-b": np.uint16, "hospital-c": np.float32,
             "demo": np.int16}[site]
    spacing = (2.0, 2.0, 4.5 if site == "hospital-c" else 3.0)
    for spec in ALL[site]:
        ih, img = niftiio.read(os.path.join(derived[0], site, "data", spec["name"] + ".nii.gz"))
        lh, lab = niftiio.read(os.path.join(derived[0], site, "labels", spec["name"] + ".nii.gz"))
        assert img.dtype == dtype and lab.dtype == np.uint8
        assert img.shape == lab.shape and ih.pixdim == spacing == lh.pixdim
        assert np.array_equal(ih.affine, lh.affine)
        assert set(np.unique(lab)) <= {0, 4, 5, 6}
        assert np.all((img > 0) == (lab > 0)), "background must be 0 exactly outside the tissues"
        assert img.min() >= 0


def test_hospital_b_is_flipped_and_on_a_12_bit_scale(derived, source):
    """b01 against the same crop made without the flip: the mirror image, and its
    median brain intensity is the gain (8) times the unflipped, noise-free one's."""
    h, t1, codes = source
    spec = cases.HOSPITALS["hospital-b"][0]
    img, lab, _, _ = cases.make(spec, h, t1, codes)
    plain = dict(spec, flip=False, sigma=0.0, gain=1.0, bias=(0.0, 0.0, 0.0), dtype="float32")
    ref, rlab, _, _ = cases.make(plain, h, t1, codes)
    assert np.array_equal(lab, rlab[::-1])
    ratio = np.median(img[lab > 0].astype(float)) / np.median(ref[rlab > 0].astype(float))
    assert 7.0 < ratio < 9.5


def test_noise_is_seeded_and_differs_between_cases(source):
    h, t1, codes = source
    spec = cases.HOSPITALS["hospital-a"][0]
    a1, _, _, _ = cases.make(spec, h, t1, codes)
    a2, _, _, _ = cases.make(spec, h, t1, codes)
    other, _, _, _ = cases.make(dict(spec, seed=spec["seed"] + 1), h, t1, codes)
    assert np.array_equal(a1, a2)
    assert not np.array_equal(a1, other)


def test_the_source_is_checked_against_its_digests(base_dir):
    """A changed source volume is refused before anything is derived."""
    d = os.path.join(base_dir, "bad-source")
    os.makedirs(d)
    for name in (cases.T1, cases.LABELS, "SHA256SUMS"):
        with open(os.path.join(cases.SOURCE_DIR, name), "rb") as f:
            data = f.read()
        if name == cases.T1:
            data = data[:-1] + bytes([data[-1] ^ 1])
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    with pytest.raises(SystemExit, match="is not the one in SHA256SUMS"):
        cases.load_source(d)


def test_committed_weights_are_a_fresh_fit():
    script("train", "--check")
    for name in ("gauss.txt", "thresholds.txt", "nearest-mean.txt"):
        with open(os.path.join(EXAMPLE, "weights", name)) as f:
            assert f.readline().startswith("# brain-seg example weights")
