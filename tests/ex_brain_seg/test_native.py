"""Every task of every container of the brain segmentation example, through the real
`medperf container run_test` on the native platform with the packaged NativeArchive
configs, on the demo (extracted from its tarball) and on each hospital's raw data:
prepare writes what numpy says it must, sanity_check passes, statistics match the
labels, each model writes one mask per case on the label's grid (and the mask numpy
computes from the committed weights), and medperf-metrics' Dice per tissue is numpy's
Dice of the same masks to 1e-12."""
import os

import numpy as np
import pytest

import checks
import niftiio
from conftest import MODELS, SITES, TISSUES

KIND = {"model-gauss": "gauss", "model-thresholds": "thresholds",
        "model-nearest-mean": "nearest-mean"}


@pytest.fixture(scope="module", params=SITES)
def run(request, pipeline):
    return pipeline("native", request.param), request.param


@pytest.fixture(scope="module")
def train():
    return checks.load_train()


def test_prepare_writes_normalised_images_and_tissue_labels(run):
    p, site = run
    p.run("prepare")
    raw = checks.nifti_files(p.raw_data)
    assert checks.nifti_files(p.data) == raw == checks.nifti_files(p.labels)
    for name in raw:
        want_img, want_lab = checks.expected_prepared(os.path.join(p.raw_data, name),
                                                      os.path.join(p.raw_labels, name))
        rh, _ = niftiio.read(os.path.join(p.raw_data, name))
        ih, img = niftiio.read(os.path.join(p.data, name))
        lh, lab = niftiio.read(os.path.join(p.labels, name))
        assert img.dtype == np.float32 and lab.dtype == np.uint8
        assert np.allclose(img, want_img, rtol=1e-6, atol=0), name
        assert np.array_equal(lab, want_lab), name
        for h in (ih, lh):  # the raw image's grid, kept
            assert h.dim == rh.dim and h.pixdim == rh.pixdim
            assert np.array_equal(h.affine, rh.affine)


def test_sanity_check_passes(run):
    p, _ = run
    assert "sanity check passed" in p.run("sanity_check").log


def test_statistics(run):
    p, site = run
    p.run("statistics")
    stats = checks.load_yaml(p.statistics)
    names = checks.nifti_files(p.labels)
    assert stats["num_cases"] == len(names)
    vols = {t: [] for t in TISSUES}
    for name in names:
        h, lab = niftiio.read(os.path.join(p.labels, name))
        ml = np.prod(h.pixdim) / 1000.0
        for t, label in TISSUES.items():
            vols[t].append(np.count_nonzero(lab == label) * ml)
        for axis, size, spacing in zip("xyz", lab.shape, h.pixdim):
            assert stats["image_size_voxels"][axis]["min"] <= size <= \
                stats["image_size_voxels"][axis]["max"]
            assert stats["voxel_spacing_mm"][axis]["min"] <= spacing <= \
                stats["voxel_spacing_mm"][axis]["max"]
    for t in TISSUES:
        s = stats["tissue_volume_ml"][t]
        assert s["mean"] == pytest.approx(np.mean(vols[t]), abs=1e-4)
        assert s["std"] == pytest.approx(np.std(vols[t]), abs=1e-3)
        assert (s["min"], s["max"]) == (pytest.approx(min(vols[t]), abs=1e-4),
                                        pytest.approx(max(vols[t]), abs=1e-4))
    text = open(p.statistics).read()
    assert not any(os.path.splitext(os.path.splitext(n)[0])[0] in text for n in names), \
        "statistics name a case"


@pytest.mark.parametrize("model", MODELS)
def test_infer_writes_a_mask_per_case_on_the_labels_grid(run, model, train):
    p, _ = run
    p.run(f"infer {model}")
    names = checks.nifti_files(p.labels)
    assert checks.nifti_files(p.predictions[model]) == names
    for name in names:
        ph, pred = niftiio.read(os.path.join(p.predictions[model], name))
        lh, _ = niftiio.read(os.path.join(p.labels, name))
        _, img = niftiio.read(os.path.join(p.data, name))
        assert pred.dtype == np.uint8 and pred.shape == img.shape
        assert ph.dim == lh.dim and ph.pixdim == lh.pixdim
        assert np.array_equal(ph.affine, lh.affine)
        assert set(np.unique(pred)) <= {0, 1, 2, 3}
        assert np.array_equal(pred > 0, img > 0), "a tissue for every brain voxel, none outside"
        # the model as trained, in numpy: the same masks (box means may differ in the
        # last bits between C and SciPy, so a voxel on a decision boundary may flip)
        want = checks.predict(KIND[model], img, train)
        differ = np.count_nonzero(pred != want)
        assert differ <= 1e-4 * pred.size, f"{name}: {differ} voxels differ from numpy"


@pytest.mark.parametrize("model", MODELS)
def test_evaluate_dice_is_numpys(run, model):
    p, _ = run
    p.run(f"evaluate {model}")
    res = checks.load_yaml(p.results[model])
    table = checks.dice_table(p.predictions[model], p.labels)
    assert res["n_cases"] == len(checks.nifti_files(p.labels))
    assert "cases" not in res, "per_case: false keeps case ids at the site"
    for tissue, values in table.items():
        d = res["summary"][tissue]["dice"]
        assert abs(d["mean"] - np.mean(values)) <= 1e-12
        assert abs(d["median"] - np.median(values)) <= 1e-12
        assert abs(d["std"] - np.std(values)) <= 1e-12
        for metric in ("hd95", "nsd", "assd", "volume_difference_mm3"):
            assert metric in res["summary"][tissue]


def test_evaluate_per_case_dice_is_numpys(run, medperf_native, packaged, tmp_path):
    """The same evaluator with per_case: true: each case's Dice is numpy's."""
    p, _ = run
    out, index = packaged
    params = tmp_path / "per-case.yaml"
    params.write_text("task: segmentation\nlabels: {CSF: 1, GM: 2, WM: 3}\n"
                      "metrics: [dice]\nper_case: true\n")
    os.chmod(tmp_path, 0o755)
    os.chmod(params, 0o644)
    result = os.path.join(p.work, "per-case-results.yaml")
    medperf_native.run(os.path.join(out, index["containers"]["metrics"]["config"]), "evaluate",
                       {"predictions": p.predictions["model-gauss"], "labels": p.labels,
                        "output_path": result}, str(params)).ok("evaluate per case")
    res = checks.load_yaml(result)
    table = checks.dice_table(p.predictions["model-gauss"], p.labels)
    names = [n[:-len(".nii.gz")] for n in checks.nifti_files(p.labels)]
    assert sorted(res["cases"]) == names
    for i, name in enumerate(names):
        for tissue in TISSUES:
            assert abs(res["cases"][name][tissue]["dice"] - table[tissue][i]) <= 1e-12


def test_models_rank_as_designed(run):
    """The reference model is good on the reference-like sites and the weak one is
    worse than it on every tissue everywhere."""
    p, site = run
    mean = {m: {t: checks.load_yaml(p.results[m])["summary"][t]["dice"]["mean"]
                for t in TISSUES} for m in MODELS}
    for t in TISSUES:
        assert mean["model-nearest-mean"][t] < mean["model-gauss"][t] - 0.1
        if site in ("demo", "hospital-a"):
            assert mean["model-gauss"][t] > 0.85
