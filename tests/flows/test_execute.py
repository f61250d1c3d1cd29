"""Execution and submission (flows I and J of reference 2.3): `benchmark run`,
`result create`, `result ls`, `result submit` and `medperf run`, and what goes
wrong: a model that crashes (with and without --ignore-model-errors), one that
hangs (the profile's infer_timeout), a model package tampered with after
registration, a dataset changed after registration, a finalized result sent
again, --new-result.

Hospital data: raw 3, 4, 7 (labels 0, 1, 0), prepared 4, 5, 8. The reference
model (weight 1) gets all three right; a model of weight 2 predicts 8, 10, 16
and gets cases 1 and 3 right; a model that crashes after its first case leaves
one prediction.
"""
import os
import time

import pytest
import yaml

from flowkit import INFER, failed, ok, results_of, table, targz

REF = {"cases": 3, "predicted": 3, "correct": 3}
W2 = {"cases": 3, "predicted": 3, "correct": 2}
CRASHED = {"cases": 3, "predicted": 1, "correct": 1}


@pytest.fixture(scope="module")
def happy(fed):
    m = fed.model(mode="good", weight=2)
    b = fed.benchmark(models=[m])
    do, d = fed.hospital("dhappy", b)
    return {"b": b, "m": m, "ref": fed.parts()["ref"], "do": do, "d": d}


def test_benchmark_run_and_review(fed, happy):
    b, m, ref, do, d = happy["b"], happy["m"], happy["ref"], happy["do"], happy["d"]
    r = ok(do.run("benchmark", "run", "-b", b, "-d", d))
    rows = {int(x["Model"]): x for x in table(r.stdout, "Model")}
    assert set(rows) == {ref, m}       # the reference model and the approved one
    assert all(x["Status"] == "ran" and x["Detail"] == "waiting for review"
               for x in rows.values()), r.stdout
    res = results_of(fed, "dhappy", b, d)
    for model, want in ((ref, REF), (m, W2)):
        x = res[model][0]
        # the server has the status of both tasks, and nothing else yet
        assert x["model_report"] == {"execution_status": "finished"}
        assert x["evaluation_report"] == {"execution_status": "finished"}
        assert x["results"] == {} and x["finalized"] is False
        assert x["name"] == f"b{b}m{model}d{d}"
        # MedPerf's layout (reference 2.4)
        ex = do.local("executions", x["id"])
        assert yaml.safe_load(open(os.path.join(ex, "results.yaml"))) == want
        assert os.path.exists(os.path.join(ex, ".executed"))
        assert not os.path.exists(os.path.join(ex, ".partial"))
        assert yaml.safe_load(open(os.path.join(ex, "result-info.yaml")))["id"] == x["id"]
        assert open(os.path.join(ex, "local_outputs", "details.txt")).read() == \
            "per-case details stay here\n"
        (stamp,) = os.listdir(do.local("predictions", x["id"]))
        assert sorted(os.listdir(do.local("predictions", x["id"], stamp))) == \
            ["case1.txt", "case2.txt", "case3.txt"]
        logs = do.local("experiments_logs", model, d)
        assert "infer: 3 cases" in open(os.path.join(logs, "model.log")).read()
        assert os.path.isfile(os.path.join(logs, f"metrics_{fed.parts()['eval']}.log"))
    # result ls: the server's table, then what this machine knows
    failed(do.run("result", "ls", "-b", b), 4)  # -b: the benchmark owner's view only
    r = ok(do.run("result", "ls", "-d", d))
    here = {int(x["Model"]): x for x in table(r.stdout, "UID  Model")}
    assert {k: v["Here"] for k, v in here.items()} == {ref: "waiting for review",
                                                         m: "waiting for review"}
    listed = do.json("result", "ls", "-d", d)
    assert all(x["local"]["executed"] is True and x["local"]["state"] == "executed"
               for x in listed)


def test_submit_shows_asks_sends_once(fed, happy):
    b, m, ref, do, d = happy["b"], happy["m"], happy["ref"], happy["do"], happy["d"]
    x = results_of(fed, "dhappy", b, d)[m][0]
    local = yaml.safe_load(open(do.local("executions", x["id"], "results.yaml")))
    # without a yes (and no terminal): shown, nothing sent
    r = do.run("result", "submit", "-r", x["id"])
    assert r.returncode == 7, r.stderr
    shown = r.stderr.split(":\n", 1)[1].split("Send this to")[0]
    assert yaml.safe_load(shown) == {"results": local, "metadata": {"partial": False}}
    assert fed.api.get(f"/results/{x['id']}/").json()["finalized"] is False
    got = do.json("result", "submit", "-r", x["id"], "-y")
    server = fed.api.get(f"/results/{x['id']}/").json()
    assert got["finalized"] is True and server["results"] == local == W2
    assert server["metadata"] == {"partial": False}
    # again: refused before anything is sent; the server keeps what it had
    failed(do.run("result", "submit", "-r", x["id"], "-y"), 3, "submitted already",
           "--new-result")
    assert fed.api.get(f"/results/{x['id']}/").json()["finalized_at"] == server["finalized_at"]
    # the other one, named by its benchmark, dataset and model
    do.run("result", "submit", "-b", b, "-d", d, "-m", ref, "-y", check=True)
    assert results_of(fed, "dhappy", b, d)[ref][0]["results"] == REF
    failed(do.run("result", "submit", "-b", b, "-d", d, "-y"), 2, "--model")
    # a run now runs nothing: both are submitted
    r = ok(do.run("benchmark", "run", "-b", b, "-d", d))
    assert {x["Status"] for x in table(r.stdout, "Model")} == {"submitted"}
    r = ok(do.run("result", "ls", "-d", d))
    assert {x["Here"] for x in table(r.stdout, "UID  Model")} == {"submitted"}


def test_new_result_and_medperf_run(fed, happy):
    b, m, ref, do, d = happy["b"], happy["m"], happy["ref"], happy["do"], happy["d"]
    before = results_of(fed, "dhappy", b, d)
    assert before[m][0]["finalized"], "runs after test_submit_shows_asks_sends_once"
    ok(do.run("result", "create", "-b", b, "-d", d, "-m", m, "--new-result"))
    after = results_of(fed, "dhappy", b, d)
    assert len(after[m]) == len(before[m]) + 1
    new = after[m][0]
    assert new["finalized"] is False and new["model_report"]["execution_status"] == "finished"
    do.run("result", "submit", "-r", new["id"], "-y", check=True)
    assert [x["finalized"] for x in results_of(fed, "dhappy", b, d)[m]] == \
        [True] * len(after[m])
    # medperf run: create and submit in one
    failed(do.run("run", "-b", b, "-d", d, "-m", ref, "-y"), 3, "submitted already")
    got = do.json("run", "-b", b, "-d", d, "-m", ref, "--new-result", "-y")
    assert got["finalized"] is True and got["results"] == REF and got["model"] == ref
    # a model that is not the benchmark's
    other = fed.model(mode="good", weight=5)
    failed(do.run("result", "create", "-b", b, "-d", d, "-m", other), 1,
           f"not among the models of benchmark {b}", str(other))


@pytest.fixture(scope="module")
def troubled(fed):
    """A benchmark with a good model, one that crashes and one that hangs; a hospital
    whose infer_timeout is 2 s."""
    good = fed.model(mode="good", weight=2)
    crash = fed.model(mode="crash")
    hang = fed.model(mode="hang")
    b = fed.benchmark(models=[good, crash, hang])
    do, d = fed.hospital("dtrouble", b, infer_timeout=2)
    t0 = time.monotonic()
    r = do.run("benchmark", "run", "-b", b, "-d", d)
    return {"b": b, "good": good, "crash": crash, "hang": hang, "ref": fed.parts()["ref"],
            "do": do, "d": d, "run": r, "seconds": time.monotonic() - t0}


def test_failing_models_do_not_stop_the_others(fed, troubled):
    t = troubled
    r = t["run"]
    failed(r, 1)
    rows = {int(x["Model"]): x for x in table(r.stdout, "Model")}
    assert rows[t["ref"]]["Status"] == "ran" and rows[t["good"]]["Status"] == "ran"
    assert rows[t["crash"]]["Status"] == "failed"
    assert "infer exited with status 3" in rows[t["crash"]]["Detail"]
    assert "model.log" in rows[t["crash"]]["Detail"]
    assert rows[t["hang"]]["Status"] == "failed"
    assert "time limit" in rows[t["hang"]]["Detail"], rows[t["hang"]]
    assert t["seconds"] < 30
    res = results_of(fed, "dtrouble", t["b"], t["d"])
    assert res[t["crash"]][0]["model_report"] == {"execution_status": "failed"}
    assert res[t["hang"]][0]["model_report"] == {"execution_status": "failed"}
    assert res[t["good"]][0]["evaluation_report"] == {"execution_status": "finished"}
    log = t["do"].local("experiments_logs", t["crash"], t["d"], "model.log")
    assert "infer: crashing after one case" in open(log).read()
    # result ls says what ran, what failed and why
    lr = ok(t["do"].run("result", "ls", "-d", t["d"]))
    here = {int(x["Model"]): x for x in table(lr.stdout, "UID  Model")}
    assert here[t["crash"]]["Here"] == "model failed"
    assert "infer exited with status 3" in here[t["crash"]]["Why"]
    assert here[t["crash"]]["Infer"] == "failed" and here[t["crash"]]["Evaluate"] == "pending"
    assert "time limit" in here[t["hang"]]["Why"]
    assert here[t["good"]]["Here"] == "waiting for review"
    # nothing to submit for a failed model
    failed(t["do"].run("result", "submit", "-r", res[t["crash"]][0]["id"], "-y"), 1,
           "no metrics to send", "model failed")


def test_ignore_model_errors_makes_a_partial_result(fed, troubled):
    t = troubled
    do = t["do"]
    # the models that ran are not run again; the crashing one runs and is evaluated
    r = do.run("benchmark", "run", "-b", t["b"], "-d", t["d"], "--ignore-model-errors",
               "-f", write_models(do, t["crash"], t["good"]))
    ok(r)
    rows = {int(x["Model"]): x for x in table(r.stdout, "Model")}
    assert rows[t["good"]]["Status"] == "ran before"
    assert rows[t["crash"]]["Status"] == "ran (partial)"
    assert "infer exited with status 3" in rows[t["crash"]]["Detail"]
    x = results_of(fed, "dtrouble", t["b"], t["d"])[t["crash"]][0]
    ex = do.local("executions", x["id"])
    assert os.path.exists(os.path.join(ex, ".partial"))
    assert yaml.safe_load(open(os.path.join(ex, "results.yaml"))) == CRASHED
    assert x["model_report"] == {"execution_status": "failed"}
    assert x["evaluation_report"] == {"execution_status": "finished"}
    got = do.json("result", "submit", "-r", x["id"], "-y")
    assert got["metadata"] == {"partial": True} and got["results"] == CRASHED


def write_models(do, *ids):
    path = os.path.join(do.home, "models.txt")
    with open(path, "w") as f:
        f.write(",".join(map(str, ids)) + "\n")
    return path


def test_tampered_model_runs_nothing(fed, kit):
    """A model whose package, or whose weights, changed after registration: refused
    (hash mismatch), nothing of it runs, the others run."""
    good = fed.model(mode="good", weight=2)
    extra = INFER + "echo tampered\n"
    # a package of its own (a copy of another's bytes would be in the site's cache already,
    # and rightly used: the cache is content-addressed)
    targz(os.path.join(kit.root, "tamper.tar.gz"), {"bin/infer": (INFER + "# v1\n", 0o755)})
    cfg, params = kit.config("model", {"mode": "good"}, image=kit.file_url("tamper.tar.gz"))
    bad = fed.mo.json("model", "submit", "-n", "tampered", "-m", cfg, "-p", params,
                      "--operational", "-y")["id"]
    # and one whose weights (additional files) change after registration
    wsha = targz(os.path.join(kit.root, "tamper-weights.tar.gz"), {"weights.txt": ("3\n", 0o644)})
    cfg, params = kit.config("model", {"mode": "good"})
    bad2 = fed.mo.json("model", "submit", "-n", "tampered-weights", "-m", cfg, "-p", params,
                       "-a", kit.file_url("tamper-weights.tar.gz"), "--additional-hash", wsha,
                       "--operational", "-y")["id"]
    b = fed.benchmark(models=[good, bad, bad2])
    do, d = fed.hospital("dtamper", b)
    targz(os.path.join(kit.root, "tamper.tar.gz"), {"bin/infer": (extra, 0o755)})
    targz(os.path.join(kit.root, "tamper-weights.tar.gz"), {"weights.txt": ("4\n", 0o644)})
    r = failed(do.run("benchmark", "run", "-b", b, "-d", d), 6, "hash mismatch")
    rows = {int(x["Model"]): x for x in table(r.stdout, "Model")}
    assert rows[good]["Status"] == "ran" and rows[bad]["Status"] == "failed"
    assert "does not match its registered hash" in rows[bad]["Detail"]
    assert rows[bad2]["Status"] == "failed" and "could not be set up" in rows[bad2]["Detail"]
    assert "the additional files of container" in r.stderr and wsha in r.stderr
    x = results_of(fed, "dtamper", b, d)[bad][0]
    assert x["model_report"] == {"execution_status": "failed"}
    assert results_of(fed, "dtamper", b, d)[bad2][0]["model_report"] == \
        {"execution_status": "failed"}
    assert not os.path.exists(do.local("experiments_logs", bad2, d, "model.log"))
    # nothing of it ran: no log, no predictions
    assert not os.path.exists(do.local("experiments_logs", bad, d, "model.log"))
    preds = do.local("predictions", x["id"])
    assert not os.path.isdir(preds) or all(not os.listdir(os.path.join(preds, s))
                                           for s in os.listdir(preds))


def test_changed_dataset_runs_nothing(fed, happy):
    do, d, b = happy["do"], happy["d"], happy["b"]
    f = os.path.join(do.local("data", d), "labels", "case1.txt")
    before = open(f).read()
    n = sum(len(v) for v in results_of(fed, "dhappy", b, d).values())
    with open(f, "w") as out:
        out.write("1\n")
    try:
        failed(do.run("benchmark", "run", "-b", b, "-d", d, "--new-result"), 6,
               "has changed since it was registered", "dataset check")
        assert sum(len(v) for v in results_of(fed, "dhappy", b, d).values()) == n
    finally:
        with open(f, "w") as out:
            out.write(before)


def test_pending_association_runs_only_the_reference_model(fed):
    m = fed.model(mode="good", weight=2)
    b = fed.benchmark(models=[m])
    do, d = fed.hospital("dpending", b, approve=False)
    failed(do.run("benchmark", "run", "-b", b, "-d", d), 1,
           f"association of dataset {d} with benchmark {b} is PENDING")
    failed(do.run("result", "create", "-b", b, "-d", d, "-m", m), 1, "PENDING")
    assert m not in results_of(fed, "dpending", b, d)
    # the reference model needs no association (MedPerf's rule for the compatibility test)
    ref = fed.parts()["ref"]
    ok(do.run("result", "create", "-b", b, "-d", d, "-m", ref))
    assert results_of(fed, "dpending", b, d)[ref][0]["model_report"] == \
        {"execution_status": "finished"}
