"""The federated evaluation end to end, as `make demo` walks it: both example
benchmarks (breast cancer, brain MRI segmentation) through a real server,
seven people with their own `medperf`, every task in the sandbox.

  - every model gets a finalized result at every hospital, and what the
    committee sees equals an independent computation on the hospital's own
    predictions (scikit-learn for the AUC and accuracy);
  - privacy: a recording proxy sees every request body the clients send
    during both benchmarks; none carries a case id, a prediction or a data
    value, and every body's keys are the ones MedPerf's flows send;
  - the same walks on podman, with the examples' OCI images, give the same
    results as on native.
"""
import csv
import glob
import json
import math
import os
import re
import shutil
import tempfile
import types

import pytest

from conftest import Recorder

BENCHMARKS = ("breast-cancer", "brain-seg")


@pytest.fixture(scope="module")
def native_runs(demo, build_dir):
    """Both benchmarks on native, all clients through one recording proxy."""
    tmp = tempfile.mkdtemp(prefix="medperf-e2e-", dir=os.environ.get("MEDPERF_E2E_TMP"))
    os.chmod(tmp, 0o755)  # the sandbox's user reads the packages and data from here
    server = demo.Server(build_dir, os.path.join(tmp, "server"))
    server.start()
    rec = Recorder(server.cert, os.path.join(server.data, "tls-key.pem"),
                   ("127.0.0.1", server.port))
    try:
        endpoint = types.SimpleNamespace(url=rec.url, cert=server.cert)
        people = demo.make_people(build_dir, server, tmp, "native", endpoint=endpoint)
        runs, spans = {}, {}
        for name in BENCHMARKS:
            ex = demo.package(name, build_dir, os.path.join(tmp, "packages", name))
            first = len(rec.requests)
            runs[name] = (ex, demo.walk(ex, server, people, lambda *a: None))
            spans[name] = (first, len(rec.requests))
        yield types.SimpleNamespace(runs=runs, spans=spans, people=people,
                                    requests=list(rec.requests), server=server, tmp=tmp)
    finally:
        rec.close()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def finalized(outcome):
    return {(r["model"], r["dataset"]): r for r in outcome["results"] if r["finalized"]}


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_model_has_a_result_at_every_hospital(native_runs, demo, name):
    ex, out = native_runs.runs[name]
    got = finalized(out)
    want = {(m, d) for m in out["models"].values() for d in out["datasets"].values()}
    assert set(got) == want, (sorted(got), sorted(want))
    assert len(out["models"]) == 3 and len(out["datasets"]) == 3
    for r in got.values():
        assert r["results"] and not r["metadata"].get("partial"), r
    lines = []
    demo.report(ex, out, out=lines.append)
    text = "\n".join(lines)
    assert "no result" not in text and text.count("all sites") == 3, text


def local_file(person, pattern):
    files = glob.glob(os.path.join(person.home, ".medperf", pattern))
    assert len(files) == 1, (pattern, files)
    return files[0]


def test_breast_cancer_results_equal_scikit_learn_on_the_sites_predictions(native_runs):
    from sklearn.metrics import accuracy_score, roc_auc_score
    ex, out = native_runs.runs["breast-cancer"]
    for (model, dataset), r in finalized(out).items():
        site = next(s for s, d in out["datasets"].items() if d == dataset)
        h = native_runs.people[site]
        labels = local_file(h, f"data/*/{dataset}/labels/labels.csv")
        preds = local_file(h, f"predictions/*/{r['id']}/*/predictions.csv")
        with open(labels) as f:
            y = {row["id"]: row["label"] == "malignant" for row in csv.DictReader(f)}
        with open(preds) as f:
            p = {row["id"]: float(row["p_malignant"]) for row in csv.DictReader(f)}
        assert set(y) == set(p)
        ids = sorted(y)
        yt, ps = [y[i] for i in ids], [p[i] for i in ids]
        m = r["results"]["metrics"]
        assert math.isclose(m["roc_auc"]["value"], roc_auc_score(yt, ps), abs_tol=1e-12)
        assert math.isclose(m["accuracy"]["value"],
                            accuracy_score(yt, [s >= 0.5 for s in ps]), abs_tol=1e-12)
        assert r["results"]["cases"] == len(ids)


def test_brain_seg_reference_beats_the_weak_model_everywhere(native_runs):
    ex, out = native_runs.runs["brain-seg"]
    got = finalized(out)
    ref, weak = out["models"]["brain-model-gauss"], out["models"]["brain-model-nearest-mean"]
    for d in out["datasets"].values():
        for label in ("CSF", "GM", "WM"):
            a = got[(ref, d)]["results"]["summary"][label]["dice"]["mean"]
            b = got[(weak, d)]["results"]["summary"][label]["dice"]["mean"]
            assert 0 < b < a <= 1, (d, label, a, b)
        assert "cases" not in got[(ref, d)]["results"]  # per_case: false, no case ids


# ---------------------------------------------------------------- privacy

# Each (method, path) of the flows and the top-level keys its body may have.
ALLOWED = [
    ("POST", r"/api/v0/mlcubes/", {"name", "container_config", "parameters_config", "image_hash",
                                   "additional_files_tarball_url",
                                   "additional_files_tarball_hash", "state", "metadata",
                                   "image_tarball_url", "image_tarball_hash", "git_mlcube_url",
                                   "mlcube_hash", "git_parameters_url", "parameters_hash"}),
    ("POST", r"/api/v0/models/", {"name", "type", "state", "container", "asset", "metadata"}),
    ("POST", r"/api/v0/benchmarks/", {"name", "description", "docs_url",
                                      "demo_dataset_tarball_url", "demo_dataset_tarball_hash",
                                      "demo_dataset_generated_uid", "data_preparation_mlcube",
                                      "reference_model", "data_evaluator_mlcube", "metadata",
                                      "state", "is_valid", "user_metadata"}),
    ("PUT", r"/api/v0/benchmarks/\d+/", {"approval_status"}),
    ("POST", r"/api/v0/models/benchmarks/", {"model", "benchmark", "approval_status",
                                             "metadata"}),
    ("PUT", r"/api/v0/models/\d+/benchmarks/\d+/", {"approval_status"}),
    ("POST", r"/api/v0/datasets/", {"name", "description", "location", "input_data_hash",
                                    "generated_uid", "split_seed", "data_preparation_mlcube",
                                    "submitted_as_prepared", "generated_metadata", "state",
                                    "is_valid", "user_metadata"}),
    ("PUT", r"/api/v0/datasets/\d+/", {"report"}),
    ("PUT", r"/api/v0/datasets/\d+/", {"input_data_hash", "generated_uid", "generated_metadata",
                                       "state"}),
    ("POST", r"/api/v0/datasets/benchmarks/", {"dataset", "benchmark", "approval_status",
                                               "metadata"}),
    ("PUT", r"/api/v0/datasets/\d+/benchmarks/\d+/", {"approval_status"}),
    ("POST", r"/api/v0/results/", {"name", "benchmark", "model", "dataset"}),
    ("PUT", r"/api/v0/results/\d+/", {"model_report"}),
    ("PUT", r"/api/v0/results/\d+/", {"evaluation_report"}),
    ("PUT", r"/api/v0/results/\d+/", {"results", "metadata"}),
]


def allowed(method, path, keys):
    path = path.split("?", 1)[0]
    return any(m == method and re.fullmatch(p, path) and keys <= k for m, p, k in ALLOWED)


def walk_json(v):
    """Every key and scalar of a JSON value."""
    if isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from walk_json(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk_json(x)
    else:
        yield v


def secrets_of_the_sites(native_runs):
    """Case ids of both benchmarks; predictions and data values of the breast
    cancer one (its requests only are searched for those: a number of one
    benchmark's data may well stand in the other's statistics)."""
    ids, numbers = set(), set()
    ex, out = native_runs.runs["breast-cancer"]
    for site in ex.sites:
        data, labels = ex.sites[site]
        with open(os.path.join(data, "cases.csv"), newline="") as f:
            for row in csv.DictReader(f):
                ids.add(row["case_id"])
                for k, v in row.items():
                    # data values with 4+ significant digits (no count or rounded share matches)
                    if k != "case_id" and len(v.strip().lstrip("0.").replace(".", "")) >= 4:
                        numbers.add(float(v))
    ex, out = native_runs.runs["brain-seg"]
    for site in ex.sites:
        data, labels = ex.sites[site]
        for f in os.listdir(data):
            ids.add(f.split(".")[0])
    for person in native_runs.people.values():
        for p in glob.glob(os.path.join(person.home, ".medperf", "predictions", "**",
                                        "predictions.csv"), recursive=True):
            with open(p, newline="") as f:
                for row in csv.DictReader(f):
                    ids.add(row["id"])
                    v = row["p_malignant"]
                    if len(v.strip().lstrip("0.").replace(".", "")) >= 6:
                        numbers.add(float(v))
    return ids, numbers


def test_no_request_carries_data(native_runs):
    first, end = native_runs.spans["breast-cancer"]
    reqs = [(i, *r) for i, r in enumerate(native_runs.requests) if r[0] != "GET"]
    assert len(reqs) > 100, len(reqs)
    ids, numbers = secrets_of_the_sites(native_runs)
    assert len(ids) > 250 and len(numbers) > 1000, (len(ids), len(numbers))
    token = re.compile(r"[A-Za-z0-9_-]+")
    for i, method, path, body in reqs:
        assert body, (method, path)
        doc = json.loads(body)
        # written as MedPerf's Python client writes it (floats in their shortest form)
        assert body.decode() == json.dumps(doc, separators=(",", ":"), ensure_ascii=False), body
        assert isinstance(doc, dict) and allowed(method, path, set(doc)), \
            f"{method} {path} sends keys {sorted(doc)}"
        for v in walk_json(doc):
            if isinstance(v, str):
                leaked = set(token.findall(v)) & ids
                assert not leaked, f"{method} {path} carries case ids {sorted(leaked)[:5]}"
            elif isinstance(v, float) and first <= i < end:
                assert v not in numbers, f"{method} {path} carries a data value {v!r}"
    sent = [json.loads(b) for _, m, p, b in reqs if m == "PUT" and "/results/" in p]
    assert any("results" in d for d in sent)


def test_the_preparation_report_sends_shares_only(native_runs):
    reports = [json.loads(b)["report"] for m, p, b in native_runs.requests
               if m == "PUT" and re.fullmatch(r"/api/v0/datasets/\d+/", p)
               and "report" in json.loads(b)]
    assert reports, "no preparation report was sent"
    for r in reports:
        assert set(r) <= {"progress", "execution_status"}, r
        for k, v in r["progress"].items():
            assert re.fullmatch(r"Stage .+", k) and re.fullmatch(r"\d+(\.\d+)?%", v), r


# ----------------------------------------------------------------- podman

@pytest.mark.parametrize("name", BENCHMARKS)
def test_podman_gives_the_same_results(native_runs, demo, build_dir, name):
    tmp = tempfile.mkdtemp(prefix="medperf-e2e-podman-", dir=os.environ.get("MEDPERF_E2E_TMP"))
    os.chmod(tmp, 0o755)
    server = example = None
    try:
        example = demo.package(name, build_dir, os.path.join(tmp, "packages"), oci=True)
        server, people = demo.setup(build_dir, tmp, "podman")
        out = demo.walk(example, server, people, lambda *a: None)
    finally:
        if server is not None:
            server.stop()
        demo.remove_images(example)
        shutil.rmtree(tmp, ignore_errors=True)
    _, native = native_runs.runs[name]

    def by_names(o):
        model = {v: k for k, v in o["models"].items()}
        site = {v: k for k, v in o["datasets"].items()}
        return {(model[m], site[d]): r["results"] for (m, d), r in finalized(o).items()}

    assert by_names(out) == by_names(native)


def test_each_site_keeps_a_line_per_task(native_runs):
    """~/.medperf/logs/tasks.tsv: when, platform, task, seconds, how it ended, status."""
    for site in ("hospital-a", "hospital-b", "hospital-c"):
        h = native_runs.people[site]
        with open(os.path.join(h.home, ".medperf", "logs", "tasks.tsv")) as f:
            rows = [line.rstrip("\n").split("\t") for line in f]
        tasks = sorted(r[2] for r in rows)
        # two benchmarks: prepare, sanity_check, statistics, then 3 models x (infer, evaluate)
        assert tasks == sorted(["prepare", "sanity_check", "statistics"] * 2 +
                               ["infer", "evaluate"] * 6), tasks
        for when, platform, task, seconds, stop, status in rows:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", when)
            assert platform == "native" and stop == "exited" and status == "0"
            assert 0 < float(seconds) < 60
