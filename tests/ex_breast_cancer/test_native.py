"""The breast-cancer benchmark's packages on the native platform: every task of every
container through the real `medperf container run_test`, on the demo tarball and the three
hospitals: prepared data equal to the raw values, statistics with counts only,
predictions for every case equal to scikit-learn's predict_proba, evaluator results whose
AUC and accuracy are scikit-learn's to 1e-12; and the packages themselves (reproducible
archives, configs with MedPerf's mount keys).
"""
import gzip
import hashlib
import os
import tarfile

import numpy as np
import pytest
import yaml
from sklearn.metrics import accuracy_score, roc_auc_score

from conftest import MODELS, SITES, read_csv, run_package

# ROC AUC of each model per site, as README.md states them (4 decimals)
DOCUMENTED_AUC = {
    ("logreg", "demo"): 1.0, ("logreg", "hospital-a"): 0.9996,
    ("logreg", "hospital-b"): 0.9990, ("logreg", "hospital-c"): 1.0,
    ("gnb", "demo"): 1.0, ("gnb", "hospital-a"): 0.9978,
    ("gnb", "hospital-b"): 0.9901, ("gnb", "hospital-c"): 1.0,
    ("tree", "demo"): 1.0, ("tree", "hospital-a"): 0.9948,
    ("tree", "hospital-b"): 0.9007, ("tree", "hospital-c"): 0.8989,
}


@pytest.fixture(scope="module")
def runs(native_runs):
    return native_runs


def raw_cases(p):
    """{case id: ({feature: value}, 'M'|'B')} from a site's raw files."""
    table = read_csv(os.path.join(p.raw_data, "cases.csv"))
    diag = read_csv(os.path.join(p.raw_labels, "diagnosis.csv"))
    ci, di = diag[0].index("case_id"), diag[0].index("diagnosis")
    dx = {r[ci]: r[di] for r in diag[1:]}
    out = {}
    for r in table[1:]:
        row = dict(zip(table[0], r))
        cid = row.pop("case_id")
        out[cid] = ({k: float(v) for k, v in row.items()}, dx[cid])
    return out


def prepared(p):
    feat = read_csv(os.path.join(p.data, "features.csv"))
    lab = read_csv(os.path.join(p.labels, "labels.csv"))
    return feat, lab


@pytest.mark.parametrize("site", SITES)
def test_prepare(runs, site, make_sites):
    p = runs[site]
    p.ran("prepare")
    assert "prepared" in p.runs["prepare"].log
    raw = raw_cases(p)
    feat, lab = prepared(p)
    assert feat[0] == ["id"] + make_sites.FEATURES
    assert lab[0] == ["id", "label"]
    ids = [r[0] for r in feat[1:]]
    assert ids == sorted(raw) and [r[0] for r in lab[1:]] == ids
    for r in feat[1:]:
        values, dx = raw[r[0]]
        assert [float(v) for v in r[1:]] == [values[n] for n in make_sites.FEATURES]
    for cid, label in lab[1:]:
        assert label == {"M": "malignant", "B": "benign"}[raw[cid][1]]
    assert os.listdir(p.data) == ["features.csv"] and os.listdir(p.labels) == ["labels.csv"]
    with open(p.report) as f:
        report = yaml.safe_load(f)
    assert report == {"status": {cid: "prepared" for cid in ids}}


@pytest.mark.parametrize("site", SITES)
def test_sanity_check(runs, site):
    p = runs[site]
    run = p.ran("sanity_check")
    n = len(prepared(p)[0]) - 1
    assert f"sanity check passed: {n} cases" in run.log


@pytest.mark.parametrize("site", SITES)
def test_statistics_hold_counts_only(runs, site):
    p = runs[site]
    p.ran("statistics")
    _, lab = prepared(p)
    labels = [r[1] for r in lab[1:]]
    n, m = len(labels), labels.count("malignant")
    with open(p.stats) as f:
        text = f.read()
    assert yaml.safe_load(text) == {"num_cases": n, "labels_count": {"benign": n - m,
                                    "malignant": m}, "malignant_fraction": m / n,
                                    "num_features": 30}
    for r in lab[1:]:
        assert r[0] not in text


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("site", SITES)
def test_infer_matches_scikit_learn(runs, site, model, sklearn_models):
    p = runs[site]
    p.ran(f"infer-{model}")
    feat, _ = prepared(p)
    pred = read_csv(os.path.join(p.pred[model], "predictions.csv"))
    assert pred[0] == ["id", "p_malignant"]
    assert [r[0] for r in pred[1:]] == [r[0] for r in feat[1:]], "not one row per case"
    assert os.listdir(p.pred[model]) == ["predictions.csv"]
    mine = np.array([float(r[1]) for r in pred[1:]])
    X = np.array([[float(v) for v in r[1:]] for r in feat[1:]])
    ref = sklearn_models[model](X)
    assert np.all((mine >= 0) & (mine <= 1))
    assert np.max(np.abs(mine - ref)) <= 1e-12


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("site", SITES)
def test_evaluate_matches_scikit_learn(runs, site, model):
    p = runs[site]
    p.ran(f"evaluate-{model}")
    _, lab = prepared(p)
    pred = dict(r for r in read_csv(os.path.join(p.pred[model], "predictions.csv"))[1:])
    y = np.array([r[1] == "malignant" for r in lab[1:]], dtype=int)
    s = np.array([float(pred[r[0]]) for r in lab[1:]])
    with open(p.results[model]) as f:
        res = yaml.safe_load(f)
    assert res["task"] == "binary" and res["cases"] == len(y)
    assert res["classes"] == ["benign", "malignant"] and res["positive_class"] == "malignant"
    assert res["class_counts"] == {"benign": int((y == 0).sum()), "malignant": int(y.sum())}
    auc = res["metrics"]["roc_auc"]
    assert abs(auc["value"] - roc_auc_score(y, s)) <= 1e-12
    assert auc["ci_method"] == "delong" and len(auc["ci"]) == 2
    assert auc["ci"][0] <= auc["value"] <= auc["ci"][1]
    acc = res["metrics"]["accuracy"]["value"]
    assert abs(acc - accuracy_score(y, (s >= 0.5).astype(int))) <= 1e-12
    assert round(auc["value"], 4) == DOCUMENTED_AUC[(model, site)]


def test_task_times(runs, medperf):
    """Every task of the four sites ran, each in well under a second on native."""
    for site, p in runs.items():
        assert len(p.runs) == 9, site
        for key, run in p.runs.items():
            assert run.report["seconds"] < 5, (site, key, run.report)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_package_is_reproducible(package_native, base_dir):
    """A second run gives the same bytes; --image-url-base changes only the image lines."""
    again = os.path.join(base_dir, "package-again")
    r = run_package(again, "--image-url-base", again)
    assert r.returncode == 0, r.stderr
    files = []
    for dirpath, _, names in os.walk(package_native.out):
        files += [os.path.relpath(os.path.join(dirpath, n), package_native.out) for n in names]
    assert len(files) > 20
    for rel in sorted(files):
        a, b = os.path.join(package_native.out, rel), os.path.join(again, rel)
        if rel.endswith("container_config.yaml"):
            with open(a) as f:
                ta = f.read()
            with open(b) as f:
                tb = f.read()
            image = os.path.join(again, os.path.dirname(rel), yaml.safe_load(ta)["image"])
            assert tb == ta.replace(f"image: {os.path.basename(image)}\n",
                                    f"image: {image}\n"), rel
            assert os.path.isfile(image)
        else:
            assert sha256(a) == sha256(b), rel
    m = package_native.manifest
    for role, c in m["containers"].items():
        assert sha256(package_native.path(c["native"]["image"])) == c["native"]["image_sha256"]
    assert sha256(package_native.path(m["demo"]["tarball"])) == m["demo"]["sha256"]


def test_archives_are_normalised(package_native):
    m = package_native.manifest
    tarballs = [c["native"]["image"] for c in m["containers"].values()] + [m["demo"]["tarball"]]
    for rel in tarballs:
        path = package_native.path(rel)
        with open(path, "rb") as f:
            head = f.read(10)
        assert head[:3] == b"\x1f\x8b\x08" and head[3] == 0 and head[4:8] == b"\0\0\0\0", rel
        with tarfile.open(path) as t:
            members = t.getmembers()
        names = [x.name for x in members]
        assert names == sorted(names), rel
        for x in members:
            assert (x.uid, x.gid, x.uname, x.gname) == (0, 0, "", ""), (rel, x.name)
            assert x.mtime == 1704067200 and x.mode in (0o755, 0o644), (rel, x.name)
            assert x.isfile() or x.isdir(), (rel, x.name)
    with tarfile.open(package_native.path(m["demo"]["tarball"])) as t:
        assert t.extractfile("paths.yaml").read() == b"data_path: data\nlabels_path: labels\n"
    with tarfile.open(package_native.path(m["containers"]["logreg"]["native"]["image"])) as t:
        assert sorted(t.getnames()) == ["bin", "bin/bc-logreg", "weights", "weights/logreg.txt"]


REFERENCE_KEYS = {  # reference §3.2: the keys MedPerf supplies per task
    "prepare": ({"data_path", "labels_path", "parameters_file", "additional_files"},
                {"output_path", "output_labels_path", "metadata_path", "report_file"}),
    "sanity_check": ({"data_path", "labels_path", "metadata_path", "parameters_file",
                      "additional_files"}, set()),
    "statistics": ({"data_path", "labels_path", "metadata_path", "parameters_file",
                    "additional_files"}, {"output_path"}),
    "infer": ({"data_path", "parameters_file", "additional_files"}, {"output_path"}),
    "evaluate": ({"predictions", "labels", "parameters_file", "additional_files"},
                 {"output_path", "local_outputs_path"}),
}


def test_configs_use_medperf_keys_and_paths(package_native):
    expected = {"prep": ["prepare", "sanity_check", "statistics"], "logreg": ["infer"],
                "gnb": ["infer"], "tree": ["infer"], "metrics": ["evaluate"]}
    for role, c in package_native.manifest["containers"].items():
        with open(package_native.path(c["native"]["config"])) as f:
            cfg = yaml.safe_load(f)
        assert cfg["container_type"] == "NativeArchive"
        assert cfg["image"] == os.path.basename(c["native"]["image"])
        assert list(cfg["tasks"]) == expected[role]
        for task, t in cfg["tasks"].items():
            ins, outs = t.get("input_volumes", {}), t.get("output_volumes", {})
            assert set(ins) <= REFERENCE_KEYS[task][0] and set(outs) <= REFERENCE_KEYS[task][1]
            for v in list(ins.values()) + list(outs.values()):
                assert v["mount_path"].startswith("/mlcommons/volumes/")
                assert v["type"] in ("file", "directory")
        with open(package_native.path(c["native"]["parameters"])) as f:
            params = yaml.safe_load(f)
        assert isinstance(params, dict)
    assert package_native.manifest["reference_model"] == "logreg"
