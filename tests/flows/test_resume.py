"""A benchmark run that is interrupted (Ctrl-C) and resumed without redoing
the models that finished, and a run during which the server restarts."""
import os
import signal
import time

import yaml

from flowkit import failed, ok, restart, results_of, table


def wait_started(fed, who, b, d, model, proc, timeout=30):
    """Waits until the server has heard that model's infer started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        got = results_of(fed, who, b, d).get(model)
        if got and got[0]["model_report"].get("execution_status") == "started":
            return got[0]
        time.sleep(0.05)
    raise AssertionError("the model never started")


def test_interrupted_run_resumes(fed):
    slow = fed.model(mode="slow", sleep=3)
    b = fed.benchmark(models=[slow])
    ref = fed.parts()["ref"]
    do, d = fed.hospital("dresume", b)
    p = do.popen("benchmark", "run", "-b", b, "-d", d)
    x = wait_started(fed, "dresume", b, d, slow, p)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    do.check_sanitizer(err, "benchmark run")
    assert p.returncode == 130, (out, err)
    assert "interrupted" in err and "goes on where this run stopped" in err
    rows = {int(r["Model"]): r for r in table(out, "Model")}
    assert rows[ref]["Status"] == "ran" and rows[slow]["Status"] == "interrupted"
    res = results_of(fed, "dresume", b, d)
    assert res[slow][0]["model_report"] == {"execution_status": "interrupted"}
    assert res[ref][0]["model_report"] == {"execution_status": "finished"}
    here = {int(r["Model"]): r for r in table(ok(do.run("result", "ls", "-d", d)).stdout,
                                                   "UID  Model")}
    assert here[slow]["Here"] == "interrupted" and here[ref]["Here"] == "waiting for review"
    # what the reference model's run left, to see that it is not run again
    ref_id = res[ref][0]["id"]
    ref_log = do.local("experiments_logs", ref, d, "model.log")
    mtime = os.stat(ref_log).st_mtime_ns
    stamps = os.listdir(do.local("predictions", ref_id))

    r = ok(do.run("benchmark", "run", "-b", b, "-d", d))
    rows = {int(x["Model"]): x for x in table(r.stdout, "Model")}
    assert rows[ref]["Status"] == "ran before" and rows[slow]["Status"] == "ran"
    assert os.stat(ref_log).st_mtime_ns == mtime
    assert os.listdir(do.local("predictions", ref_id)) == stamps
    res = results_of(fed, "dresume", b, d)
    assert res[slow][0]["id"] == x["id"]     # the same result, now run to the end
    assert res[slow][0]["model_report"] == {"execution_status": "finished"}
    ex = do.local("executions", x["id"])
    assert os.path.exists(os.path.join(ex, ".executed"))
    assert yaml.safe_load(open(os.path.join(ex, "status.yaml")))["state"] == "executed"


def test_server_restart_during_a_run(fed, srv):
    slow = fed.model(mode="slow", sleep=3)
    b = fed.benchmark(models=[slow])
    ref = fed.parts()["ref"]
    do, d = fed.hospital("drestart", b)
    p = do.popen("benchmark", "run", "-b", b, "-d", d)
    wait_started(fed, "drestart", b, d, slow, p)
    restart(srv)
    out, err = p.communicate(timeout=60)
    do.check_sanitizer(err, "benchmark run")
    assert p.returncode == 0, (out, err)
    rows = {int(r["Model"]): r for r in table(out, "Model")}
    assert rows[ref]["Status"] == "ran" and rows[slow]["Status"] == "ran"
    res = results_of(fed, "drestart", b, d)
    for m in (ref, slow):
        assert res[m][0]["model_report"] == {"execution_status": "finished"}
        assert res[m][0]["evaluation_report"] == {"execution_status": "finished"}
    # and the results go on to the restarted server
    for m in (ref, slow):
        do.run("result", "submit", "-r", res[m][0]["id"], "-y", check=True)
    assert all(x[0]["finalized"] for x in results_of(fed, "drestart", b, d).values())
    failed(do.run("result", "submit", "-r", res[ref][0]["id"], "-y"), 3)
