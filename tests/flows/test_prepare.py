"""Flows E and F (reference 2.3) and `dataset check`: a data owner prepares a
registered dataset with its preparation container, registers the hashes and
statistics, and checks later that the data is still what was registered.

What the server hears during preparation is checked as the preparation
container's owner sees it (the `report` field): the execution status always,
the progress summary only with the data owner's consent.
"""
import os
import signal
import time

import pytest
import yaml

from flowkit import failed, folder_hash, ok, raw_site, uniq


def sent_body(stderr):
    """The YAML a command showed before asking (and, without a terminal, cancelling)."""
    lines = stderr.splitlines()
    start = next(i for i, l in enumerate(lines) if l.endswith(":") and not l.startswith(" ")
                 and "medperf" not in l)
    end = next(i for i, l in enumerate(lines) if l.startswith("Send this to"))
    return yaml.safe_load("\n".join(lines[start + 1:end]))


def submit(fed, do, prep, values=(3, 4, 7), labels=(0, 1, 0)):
    data, lab = raw_site(os.path.join(fed.base, "raw", do.name, uniq("s")), values, labels)
    d = do.json("dataset", "submit", "-p", prep, "-d", data, "-l", lab, "--name",
                uniq("ds"), "-y")["id"]
    return d, data, lab


def report_of(fed, d):
    """The report as the preparation container's owner (bo) sees it (admins do not)."""
    return fed.srv.user("bo").get(f"/datasets/{d}/").json()["report"]


def read(path):
    with open(path) as f:
        return f.read()


def test_prepare_set_operational_and_check(fed, person):
    do = person("dprep")
    d, data, lab = submit(fed, do, fed.parts()["prep"])
    folder = do.local("data", d)

    r = ok(do.run("dataset", "prepare", "-d", d, "-y"))
    assert "set_operational" in r.stdout
    # MedPerf's layout: data/<srv>/<id>/{data,labels,metadata,report.yaml,statistics.yaml,.ready}
    assert os.path.exists(os.path.join(folder, ".ready"))
    prepared = {n: read(os.path.join(folder, "data", n)) for n in os.listdir(
        os.path.join(folder, "data")) if n.endswith(".txt")}
    assert prepared == {"case1.txt": "4\n", "case2.txt": "5\n", "case3.txt": "8\n"}  # add: 1
    assert sorted(os.listdir(os.path.join(folder, "labels"))) == \
        ["case1.txt", "case2.txt", "case3.txt"]
    assert yaml.safe_load(read(os.path.join(folder, "statistics.yaml"))) == {"num_cases": 3}
    assert read(os.path.join(folder, "metadata", "meta.yaml")) == "cases: 3\n"
    assert "registration-info.yaml" in os.listdir(folder) and "raw.yaml" in os.listdir(folder)
    # consented (-y): the progress summary went along with the status
    assert report_of(fed, d) == {"progress": {"Stage done": "100.0%"},
                                 "execution_status": "finished"}
    # the dataset's owner sees it too; a stranger does not
    assert fed.srv.user("dprep").get(f"/datasets/{d}/").json()["report"] == report_of(fed, d)
    assert "report" not in fed.srv.user("stranger").get(f"/datasets/{d}/").json()

    # set_operational shows exactly what it sends, and without a yes sends nothing
    r = do.run("dataset", "set_operational", "-d", d)
    assert r.returncode == 7, r.stderr
    body = sent_body(r.stderr)
    assert set(body) == {"input_data_hash", "generated_uid", "generated_metadata", "state"}
    assert body["input_data_hash"] == folder_hash(data, lab)
    assert body["generated_uid"] == folder_hash(os.path.join(folder, "data"),
                                                os.path.join(folder, "labels"))
    assert body["generated_metadata"] == {"num_cases": 3} and body["state"] == "OPERATION"
    assert fed.api.get(f"/datasets/{d}/").json()["state"] == "DEVELOPMENT"

    got = do.json("dataset", "set_operational", "-d", d, "-y")
    server = fed.api.get(f"/datasets/{d}/").json()
    for k, v in body.items():
        assert got[k] == v and server[k] == v, k
    with open(os.path.join(folder, "registration-info.yaml")) as f:
        assert yaml.safe_load(f)["state"] == "OPERATION"

    r = ok(do.run("dataset", "check", "-d", d))
    assert r.stdout.count("unchanged") == 2, r.stdout
    # operational: nothing left to prepare, nothing to set
    failed(do.run("dataset", "prepare", "-d", d, "-y"), 1, "operational already")
    failed(do.run("dataset", "set_operational", "-d", d, "-y"), 1, "operational already")


def test_prepare_without_consent_sends_no_progress(fed, person):
    do = person("dprep")
    d, _, _ = submit(fed, do, fed.parts()["prep"])
    r = ok(do.run("dataset", "prepare", "-d", d))   # no -y, no terminal to ask
    assert "progress summaries will not be sent" in r.stderr
    assert report_of(fed, d) == {"progress": {}, "execution_status": "finished"}


def test_prepare_reports_while_running(fed, person):
    """'started', 'running' (a while after the report file changed) and 'finished',
    as the preparation container's owner sees them during the run."""
    do = person("dwatch")
    do.run("profile", "set", "--wait_before_sending_reports", "1", check=True)
    prep = fed.container(fed.bo, "prep", {"add": 1, "sleep": 3})["id"]
    d, _, _ = submit(fed, do, prep)
    p = do.popen("dataset", "prepare", "-d", d, "-y")
    seen = []
    while p.poll() is None:
        rep = report_of(fed, d)
        if rep and (not seen or seen[-1] != rep):
            seen.append(rep)
        time.sleep(0.1)
    out, err = p.communicate()
    assert p.returncode == 0, err
    final = report_of(fed, d)
    if seen[-1] != final:
        seen.append(final)
    statuses = [s["execution_status"] for s in seen]
    assert statuses[0] == "started" and statuses[-1] == "finished", seen
    running = [s for s in seen if s["execution_status"] == "running"]
    assert running and running[0]["progress"] == {"Stage 1": "100.0%"}, seen
    assert seen[-1]["progress"] == {"Stage done": "100.0%"}


def test_prepare_interrupted_is_reported_and_goes_on(fed, person):
    do = person("dprep")
    prep = fed.container(fed.bo, "prep", {"add": 1, "sleep": 30})["id"]
    d, _, _ = submit(fed, do, prep)
    p = do.popen("dataset", "prepare", "-d", d, "-y")
    deadline = time.monotonic() + 30
    while (report_of(fed, d) or {}).get("execution_status") != "started":
        assert p.poll() is None and time.monotonic() < deadline, p.communicate()
        time.sleep(0.05)
    time.sleep(0.3)    # the task has started
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    do.check_sanitizer(err, "dataset prepare")
    assert p.returncode == 130, err
    assert "preparation interrupted" in err
    assert report_of(fed, d)["execution_status"] == "interrupted"
    assert not os.path.exists(os.path.join(do.local("data", d), ".ready"))


def test_prepare_failure_is_reported(fed, person):
    do = person("dprep")
    prep = fed.container(fed.bo, "prep", {"fail": 1})["id"]
    d, _, _ = submit(fed, do, prep)
    r = failed(do.run("dataset", "prepare", "-d", d, "-y"), 1, "task 'prepare' exited with "
               "status 4", "log:")
    assert report_of(fed, d) == {"progress": {"Stage 1": "100.0%"}, "execution_status": "failed"}
    assert not os.path.exists(os.path.join(do.local("data", d), ".ready"))
    failed(do.run("dataset", "set_operational", "-d", d, "-y"), 1, "is not prepared")
    assert fed.api.get(f"/datasets/{d}/").json()["state"] == "DEVELOPMENT"
    assert "prepare: failing as asked" in read(r.stderr.split("log: ")[1].split(")")[0])


def test_prepare_needs_the_local_copy(fed, person):
    """A dataset submitted on another machine: nothing here to prepare."""
    d, _, _ = submit(fed, person("dprep"), fed.parts()["prep"])
    other = person("dprep-elsewhere", email="dprep@example.org")
    failed(other.run("dataset", "prepare", "-d", d, "-y"), 1, "no local copy", "import")
    failed(other.run("dataset", "check", "-d", d), 1, "no local copy")


@pytest.fixture(scope="module")
def operational(fed, person):
    do = person("dcheck")
    d, data, lab = submit(fed, do, fed.parts()["prep"])
    do.run("dataset", "prepare", "-d", d, "-y", check=True)
    do.run("dataset", "set_operational", "-d", d, "-y", check=True)
    return do, d, data, lab


def test_check_reports_changed_prepared_data(operational):
    do, d, _, _ = operational
    f = os.path.join(do.local("data", d), "data", "case2.txt")
    before = read(f)
    with open(f, "w") as out:
        out.write("99\n")
    try:
        r = failed(do.run("dataset", "check", "-d", d), 6, f"dataset {d} has changed")
        lines = {l.split(":")[0]: l for l in r.stdout.splitlines()}
        assert "unchanged" in lines["raw data"]
        assert "CHANGED" in lines["prepared data"] and "generated_uid" in lines["prepared data"]
    finally:
        with open(f, "w") as out:
            out.write(before)
    ok(do.run("dataset", "check", "-d", d))


def test_check_reports_changed_raw_data(operational):
    do, d, data, _ = operational
    extra = os.path.join(data, "case9.txt")
    with open(extra, "w") as out:
        out.write("1\n")
    try:
        r = failed(do.run("dataset", "check", "-d", d), 6)
        lines = {l.split(":")[0]: l for l in r.stdout.splitlines()}
        assert "CHANGED" in lines["raw data"] and "input_data_hash" in lines["raw data"]
        assert "unchanged" in lines["prepared data"]
    finally:
        os.unlink(extra)
