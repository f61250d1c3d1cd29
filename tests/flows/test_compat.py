"""The compatibility test (flow H' of reference 2.3) and the flows that run
it: `test run`, `benchmark submit` with its demo data (flow C), `model
associate` (flow H) and `dataset associate` (flow G).

The demo tarball holds raw cases 2, 5, 6 with labels 1, 0, 1; the committee's
preparation adds 1 (3, 6, 7); its reference model multiplies by the weight in
its additional files (1), so every prediction's parity matches its label: the
metrics are {cases: 3, predicted: 3, correct: 3}. A model of weight 2 gets only
the second case right.
"""
import hashlib
import io
import os
import tarfile

import yaml

from flowkit import failed, ok, targz, uniq

REF_METRICS = {"cases": 3, "predicted": 3, "correct": 3}
W2_METRICS = {"cases": 3, "predicted": 3, "correct": 1}


def fh(*contents):
    """MedPerf's folder hash of files with these contents."""
    d = sorted(hashlib.sha256(c.encode()).hexdigest() for c in contents)
    return hashlib.sha256("".join(d).encode()).hexdigest()


# the demo data once prepared: data 3, 6, 7 and labels 1, 0, 1
DEMO_PREPARED = fh("3\n", "6\n", "7\n", "1\n", "0\n", "1\n")


def test_benchmark_submit_runs_the_demo(fed, kit):
    b = fed.benchmark(test=True)
    got = fed.api.get(f"/benchmarks/{b}/").json()
    assert got["demo_dataset_tarball_url"] == kit.file_url("demo.tar.gz")
    assert got["demo_dataset_tarball_hash"] == kit.demo_sha
    assert got["demo_dataset_generated_uid"] == DEMO_PREPARED
    assert got["metadata"] == {"demo_dataset_already_prepared": False,
                               "skip_compatibility_tests": False, "results": REF_METRICS}
    # the committee's machine: the demo data extracted under demo/<sha256>/
    assert os.path.isfile(os.path.join(fed.bo.storage, "demo", kit.demo_sha, "paths.yaml"))


def submit_args(fed, name, *extra):
    p = fed.parts()
    return ("benchmark", "submit", "-n", name, "-d", "x", "-p", p["prep"], "-m", p["ref"],
            "-e", p["eval"], "-y", *extra)


def names(fed):
    return {x["name"] for x in fed.api.get("/benchmarks/", params={"limit": 1000}).json()[
        "results"]}


def test_benchmark_submit_refusals(fed, kit):
    name = uniq("bad")
    failed(fed.bo.run(*submit_args(fed, name, "--demo-url", kit.file_url("demo.tar.gz"),
                                   "--demo-hash", "0" * 64)), 6, "hash mismatch", kit.demo_sha)
    failed(fed.bo.run(*submit_args(fed, name)), 2, "--demo-url")
    # a demo whose paths.yaml points out of it
    bad = targz(os.path.join(kit.root, "escape.tar.gz"),
                {"paths.yaml": ("data_path: ../../etc\nlabels_path: x\n", 0o644)})
    failed(fed.bo.run(*submit_args(fed, name, "--demo-url", kit.file_url("escape.tar.gz"))), 1,
           "must be a path inside the tarball")
    assert os.path.isdir(os.path.join(fed.bo.storage, "demo", bad))
    # a tarball with an entry leaving it: refused whole, nothing extracted
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        ti = tarfile.TarInfo("../evil.txt")
        ti.size = 4
        tf.addfile(ti, io.BytesIO(b"evil"))
    with open(os.path.join(kit.root, "evil.tar.gz"), "wb") as f:
        f.write(buf.getvalue())
    evil = hashlib.sha256(buf.getvalue()).hexdigest()
    failed(fed.bo.run(*submit_args(fed, name, "--demo-url", kit.file_url("evil.tar.gz"))), 1,
           "..")
    assert not os.path.exists(os.path.join(fed.bo.storage, "demo", evil))
    assert not os.path.exists(os.path.join(fed.bo.storage, "evil.txt"))
    assert name not in names(fed)


def test_benchmark_submit_with_prepared_demo(fed, kit):
    name = uniq("prepared")
    got = fed.bo.json(*submit_args(fed, name, "--demo-url", kit.file_url("demo-prepared.tar.gz"),
                                   "--skip-demo-data-preparation"))
    assert got["demo_dataset_tarball_hash"] == kit.demo_prepared_sha
    assert got["demo_dataset_generated_uid"] == DEMO_PREPARED   # the same prepared values
    assert got["metadata"] == {"demo_dataset_already_prepared": True,
                               "skip_compatibility_tests": False, "results": REF_METRICS}
    fed.admin.run("benchmark", "reject", "-b", got["id"], "-y", check=True)  # one pending each


def test_test_run_and_its_cache(fed, person, kit):
    b = fed.benchmark(test=True)
    m = fed.model(mode="good", weight=2)
    dev = person("developer")
    r = ok(dev.run("test", "run", "-b", b, "-m", m))
    assert yaml.safe_load(r.stdout.split("\n✔")[0].split("Compatibility test")[0]) == W2_METRICS
    reports = dev.json("test", "ls")
    assert len(reports) == 1
    rep = reports[0]
    assert rep["model"] == m and rep["results"] == W2_METRICS
    assert rep["prepared_data_hash"] == DEMO_PREPARED
    assert rep["demo_dataset_hash"] == kit.demo_sha
    assert (rep["data_preparation_mlcube"], rep["data_evaluator_mlcube"]) == \
        (fed.parts()["prep"], fed.parts()["eval"])
    assert os.path.isfile(dev.local("tests", rep["id"], "test_report.yaml"))
    assert dev.json("test", "view", rep["id"][:10]) == rep
    # where a test keeps things: the predictions, logs, the prepared demo, no local outputs
    assert sorted(os.listdir(dev.local("predictions", m, DEMO_PREPARED))) == \
        ["case1.txt", "case2.txt", "case3.txt"]
    log = dev.local("experiments_logs", m, DEMO_PREPARED, "model.log")
    assert "infer: 3 cases" in open(log).read()
    assert os.path.isfile(os.path.join(dev.local("data", DEMO_PREPARED), ".ready"))
    # the same test again: the report is reused, nothing runs
    mtime = os.stat(log).st_mtime_ns
    r = ok(dev.run("test", "run", "-b", b, "-m", m))
    assert "reused" in r.stderr and os.stat(log).st_mtime_ns == mtime
    r = ok(dev.run("test", "run", "-b", b, "-m", m, "--no-cache"))
    assert "reused" not in r.stderr and os.stat(log).st_mtime_ns != mtime
    assert len(dev.json("test", "ls")) == 1


def test_test_run_with_local_configurations(fed, person, kit):
    """A developer's work in progress: configurations on disk, demo data from a file."""
    dev = person("developer")
    prep, _ = kit.config("prep", {"add": 1})
    model, _ = kit.config("model", {"mode": "good", "weight": 2})
    ev, _ = kit.config("eval")
    demo = os.path.join(kit.root, "demo.tar.gz")
    rep = dev.json("test", "run", "-p", prep, "-m", model, "-e", ev, "--demo_dataset_url", demo,
                   "--demo_dataset_hash", kit.demo_sha)
    assert rep["results"] == W2_METRICS
    assert rep["model"].startswith("local-") and rep["demo_dataset_url"] == demo
    failed(dev.run("test", "run", "-m", model, "-e", ev), 2, "give a benchmark")
    failed(dev.run("test", "run", "-p", prep, "-m", model, "-e", ev), 2, "no demo data")
    # a benchmark registered without a compatibility test has no demo data
    failed(dev.run("test", "run", "-b", fed.benchmark(), "-m", model), 2, "no demo data")


def test_model_associate_runs_the_compatibility_test(fed):
    b = fed.benchmark(test=True)
    m = fed.model(mode="good", weight=2)
    a = fed.mo.json("model", "associate", "-b", b, "-m", m, "-y")
    assert a["metadata"] == {"test_result": W2_METRICS} and a["approval_status"] == "PENDING"
    # a model that crashes on the demo data: no request is sent
    bad = fed.model(mode="crash")
    failed(fed.mo.run("model", "associate", "-b", b, "-m", bad, "-y"), 1,
           "compatibility test failed", "infer exited with status 3", "model.log")
    rows = fed.api.get(f"/benchmarks/{b}/models/").json()["results"]
    assert {x["model"] for x in rows} == {m}


def test_model_associate_on_a_pending_benchmark_runs_nothing(fed, kit):
    p = fed.parts()
    b = fed.bo.json("benchmark", "submit", "-n", uniq("pending"), "-d", "x", "-p", p["prep"],
                    "-m", p["ref"], "-e", p["eval"], "--demo-url", kit.file_url("demo.tar.gz"),
                    "-y")["id"]
    m = fed.model(mode="good", weight=3)
    before = os.listdir(fed.mo.local("tests")) if os.path.isdir(fed.mo.local("tests")) else []
    try:
        failed(fed.mo.run("model", "associate", "-b", b, "-m", m, "-y"), 3,
               "approved benchmark")
        after = os.listdir(fed.mo.local("tests")) if os.path.isdir(fed.mo.local("tests")) \
            else []
        assert before == after
    finally:
        fed.admin.run("benchmark", "reject", "-b", b, "-y", check=True)


def test_dataset_associate_runs_the_reference_model(fed):
    b = fed.benchmark(test=True)
    do, d = fed.hospital("dassoc", b)
    ref = fed.parts()["ref"]
    rows = fed.api.get(f"/benchmarks/{b}/datasets/").json()["results"]
    assert [(x["dataset"], x["approval_status"]) for x in rows] == [(d, "APPROVED")]
    assoc = fed.srv.user("dassoc").get(f"/datasets/{d}/benchmarks/").json()["results"][0]
    # the reference model's result on the server, not submitted; its metrics sent with the
    # request are those kept locally
    results = [x for x in fed.srv.user("dassoc").get("/me/results/").json()["results"]
               if x["benchmark"] == b]
    assert len(results) == 1
    res = results[0]
    assert (res["model"], res["dataset"], res["name"]) == (ref, d, f"b{b}m{ref}d{d}")
    assert res["finalized"] is False and res["results"] == {}
    assert res["model_report"] == {"execution_status": "finished"}
    assert res["evaluation_report"] == {"execution_status": "finished"}
    local = yaml.safe_load(open(do.local("executions", res["id"], "results.yaml")))
    assert assoc["metadata"] == {"test_result": local}
    # 3, 4, 7 + 1 = 4, 5, 8 against labels 0, 1, 0: all right
    assert local == {"cases": 3, "predicted": 3, "correct": 3}
