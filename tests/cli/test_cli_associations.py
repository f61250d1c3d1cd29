"""test_cli_associations.py: `medperf association` against a real server:
ls (MedPerf's flag checks and messages, the status filter, only the latest
request of each pair), approve/reject by the other party and by the
initiator, set_priority (only for an approved model). Requests are made and
revoked through the API; the server's rows are read back after each command.
"""
import json

import pytest

from clitools import cells, failed, ok

ONE_EXPERIMENT = "One training experiment or a benchmark flag must be provided"
ONE_COMPONENT = "One dataset or model flag must be provided"
NO_TRAINING_MODELS = ("Invalid combination of arguments. There are no associations between "
                      "training experiments and models")
BAD_STATUS = "If provided, approval status must be one of pending, approved, or rejected"
SAME_USER = "Same user cannot approve the association request"
NOT_ASSOCIATED = "The given model doesn't exist or is not associated with the benchmark"


# ---------------------------------------------------------------- helpers

@pytest.fixture(scope="module")
def bench(srv, f):
    return f.benchmark(srv.user("abo"))


def pair_rows(client, kind, cid, bid):
    r = client.get(f"/{kind}s/{cid}/benchmarks/{bid}/")
    assert r.status_code == 200, r.text
    return r.json()


def latest(client, kind, cid, bid):
    rows = pair_rows(client, kind, cid, bid)   # oldest first; ties keep the server's order
    return max(enumerate(rows), key=lambda ix: (ix[1]["created_at"], ix[0]))[1]


def assoc_ls(c, *args):
    return c.json("association", "ls", *args)


def request_dataset(srv, f, bench, owner="ado", **kw):
    """A new operational dataset of owner, asked to join bench (through the API)."""
    do = srv.user(owner)
    d = f.dataset(do, bench["data_preparation_mlcube"])
    row = f.dataset_assoc(do, d["id"], bench["id"], **kw)
    return d, row


def request_model(srv, f, bench, owner="amo"):
    mo = srv.user(owner)
    m = f.model(mo)
    row = f.model_assoc(mo, m["id"], bench["id"])
    return m, row


# ---------------------------------------------------------------- ls: the flag checks

@pytest.mark.parametrize("args,code,msg", [
    ([], 2, ONE_EXPERIMENT),
    (["-d"], 2, ONE_EXPERIMENT),
    (["-b"], 2, ONE_COMPONENT),
    (["-b", "-d", "-m"], 2, ONE_COMPONENT),
    (["-b", "-t", "-d"], 2, ONE_EXPERIMENT),
    (["-t", "-m"], 2, NO_TRAINING_MODELS),
    (["-t", "-d"], 1, "training"),
    (["-b", "-d", "--approval-status", "accepted"], 2, BAD_STATUS),
    (["--approval-status", "maybe"], 2, BAD_STATUS),
])
def test_ls_flag_checks(cli, args, code, msg):
    failed(cli("ado").run("association", "ls", *args), code, msg)


def test_ls_empty(cli):
    c = cli("nobody-assoc")
    assert assoc_ls(c, "-b", "-d") == []
    assert assoc_ls(c, "-b", "-m") == []
    lines = ok(c.run("association", "ls", "-b", "-d")).stdout.splitlines()
    assert cells(lines[0]) == ["Dataset UID", "Benchmark UID", "Initiated by", "Status"]
    assert len(lines) == 1


# ---------------------------------------------------------------- ls: content and latest row

def test_ls_latest_request_per_pair(cli, srv, f, bench):
    do, bo = srv.user("ado"), srv.user("abo")
    d, row = request_dataset(srv, f, bench)
    key = (d["id"], bench["id"])

    def shown(c, *extra):
        return [r for r in assoc_ls(c, "-b", "-d", *extra)
                if (r["dataset"], r["benchmark"]) == key]

    # 1. pending: both parties see one row
    for who in ("ado", "abo"):
        rows = shown(cli(who))
        assert len(rows) == 1
        assert rows[0]["approval_status"] == "PENDING"
        assert rows[0]["initiated_by"] == do.id
    assert len(shown(cli("ado"), "--approval-status", "pending")) == 1
    assert len(shown(cli("ado"), "--approval-status", "PENDING")) == 1
    assert shown(cli("ado"), "--approval-status", "approved") == []
    # the table
    lines = ok(cli("ado").run("association", "ls", "-b", "-d")).stdout.splitlines()
    assert cells(lines[0]) == ["Dataset UID", "Benchmark UID", "Initiated by", "Status"]
    assert [str(d["id"]), str(bench["id"]), str(do.id), "PENDING"] in [cells(x)
                                                                        for x in lines[1:]]
    # 2. the benchmark owner approves with the CLI
    ok(cli("abo").run("association", "approve", "-y", "-b", str(bench["id"]), "-d", str(d["id"])))
    assert latest(bo, "dataset", *key)["approval_status"] == "APPROVED"
    rows = shown(cli("ado"))
    assert len(rows) == 1 and rows[0]["approval_status"] == "APPROVED"
    assert shown(cli("ado"), "--approval-status", "pending") == []
    assert len(shown(cli("ado"), "--approval-status", "approved")) == 1
    # 3. revoked through the API with a REJECTED request: a second row on the server,
    #    still one row in ls, the newest
    r = bo.post("/datasets/benchmarks/", {"dataset": d["id"], "benchmark": bench["id"],
                                          "approval_status": "REJECTED", "metadata": {}})
    assert r.status_code == 201, r.text
    assert len(pair_rows(bo, "dataset", *key)) == 2
    for who in ("ado", "abo"):
        rows = shown(cli(who))
        assert len(rows) == 1, rows
        assert rows[0]["approval_status"] == "REJECTED"
        assert rows[0]["initiated_by"] == bo.id
    assert shown(cli("ado"), "--approval-status", "approved") == []
    assert len(shown(cli("ado"), "--approval-status", "rejected")) == 1
    # 4. asked again: pending again, still one row shown
    f.dataset_assoc(do, d["id"], bench["id"])
    assert len(pair_rows(bo, "dataset", *key)) == 3
    rows = shown(cli("abo"))
    assert len(rows) == 1 and rows[0]["approval_status"] == "PENDING"


def test_ls_models_and_other_users(cli, srv, f, bench):
    m, row = request_model(srv, f, bench)
    rows = [r for r in assoc_ls(cli("amo"), "-b", "-m") if r["model"] == m["id"]]
    assert len(rows) == 1
    assert rows[0]["benchmark"] == bench["id"] and rows[0]["approval_status"] == "PENDING"
    assert m["id"] in [r["model"] for r in assoc_ls(cli("abo"), "-b", "-m")]
    lines = ok(cli("amo").run("association", "ls", "-b", "-m")).stdout.splitlines()
    assert cells(lines[0]) == ["Model UID", "Benchmark UID", "Initiated by", "Status"]
    # models do not show among datasets, nor to someone unrelated
    assert all("dataset" in r for r in assoc_ls(cli("amo"), "-b", "-d"))
    assert m["id"] not in [r.get("model") for r in assoc_ls(cli("ado"), "-b", "-m")]


# ---------------------------------------------------------------- approve / reject

def test_other_party_approves_model(cli, srv, f, bench):
    m, _ = request_model(srv, f, bench)
    r = ok(cli("abo").run("association", "approve", "-y", "-b", str(bench["id"]), "-m", str(m["id"])))
    assert str(m["id"]) in r.stdout
    row = latest(srv.user("abo"), "model", m["id"], bench["id"])
    assert row["approval_status"] == "APPROVED" and row["approved_at"] is not None


def test_decisions_ask_first(cli, srv, f, bench):
    """Without -y and without a terminal to ask on, nothing is sent (exit 7)."""
    d, _ = request_dataset(srv, f, bench)
    for cmd in ("approve", "reject"):
        r = failed(cli("abo").run("association", cmd, "-b", str(bench["id"]), "-d", str(d["id"]),
                                  input=""), 7, "nothing was sent")
        assert "approval_status: " + ("APPROVED" if cmd == "approve" else "REJECTED") in r.stderr
        assert "use -y" in r.stderr
    assert latest(srv.user("abo"), "dataset", d["id"], bench["id"])["approval_status"] \
        == "PENDING"


def test_other_party_rejects(cli, srv, f, bench):
    d, _ = request_dataset(srv, f, bench)
    ok(cli("abo").run("association", "reject", "-y", "-b", str(bench["id"]), "-d", str(d["id"])))
    assert latest(srv.user("abo"), "dataset", d["id"], bench["id"])["approval_status"] \
        == "REJECTED"
    m, _ = request_model(srv, f, bench)
    ok(cli("abo").run("association", "reject", "-y", "-b", str(bench["id"]), "-m", str(m["id"])))
    assert latest(srv.user("abo"), "model", m["id"], bench["id"])["approval_status"] \
        == "REJECTED"


def test_initiator_cannot_approve(cli, srv, f, bench):
    d, _ = request_dataset(srv, f, bench)
    r = cli("ado").run("association", "approve", "-y", "-b", str(bench["id"]), "-d", str(d["id"]))
    failed(r, 3, SAME_USER)
    assert latest(srv.user("ado"), "dataset", d["id"], bench["id"])["approval_status"] \
        == "PENDING"
    # an invitation by the benchmark owner: the benchmark owner cannot approve it,
    # the model owner can
    mo, bo = srv.user("amo"), srv.user("abo")
    m = f.model(mo)
    row = f.model_assoc(bo, m["id"], bench["id"])
    assert row["approval_status"] == "PENDING"
    failed(cli("abo").run("association", "approve", "-y", "-b", str(bench["id"]), "-m",
                          str(m["id"])), 3, SAME_USER)
    assert latest(bo, "model", m["id"], bench["id"])["approval_status"] == "PENDING"
    ok(cli("amo").run("association", "approve", "-y", "-b", str(bench["id"]), "-m", str(m["id"])))
    assert latest(bo, "model", m["id"], bench["id"])["approval_status"] == "APPROVED"


def test_initiator_may_withdraw(cli, srv, f, bench):
    d, _ = request_dataset(srv, f, bench)
    ok(cli("ado").run("association", "reject", "-y", "-b", str(bench["id"]), "-d", str(d["id"])))
    assert latest(srv.user("ado"), "dataset", d["id"], bench["id"])["approval_status"] \
        == "REJECTED"


def test_decided_request_cannot_be_decided_again(cli, srv, f, bench):
    d, _ = request_dataset(srv, f, bench)
    ok(cli("abo").run("association", "approve", "-y", "-b", str(bench["id"]), "-d", str(d["id"])))
    failed(cli("abo").run("association", "approve", "-y", "-b", str(bench["id"]), "-d", str(d["id"])),
           3, "pending")
    assert len(pair_rows(srv.user("abo"), "dataset", d["id"], bench["id"])) == 1


@pytest.mark.parametrize("cmd", ["approve", "reject"])
def test_approve_reject_flag_checks(cli, srv, f, bench, cmd):
    d, _ = request_dataset(srv, f, bench)
    m, _ = request_model(srv, f, bench)
    c = cli("abo")
    b, ds, ms = str(bench["id"]), str(d["id"]), str(m["id"])
    failed(c.run("association", cmd, "-d", ds), 2, ONE_EXPERIMENT)
    failed(c.run("association", cmd, "-b", b), 2, ONE_COMPONENT)
    failed(c.run("association", cmd, "-b", b, "-d", ds, "-m", ms), 2, ONE_COMPONENT)
    failed(c.run("association", cmd, "-t", "1", "-m", ms), 2, NO_TRAINING_MODELS)
    failed(c.run("association", cmd, "-t", "1", "-d", ds), 1, "training")
    r = c.run("association", cmd, "-b", "x", "-d", ds)
    assert r.returncode == 2 and "x" in r.stderr
    # nothing changed
    assert latest(srv.user("abo"), "dataset", d["id"], bench["id"])["approval_status"] \
        == "PENDING"
    assert latest(srv.user("abo"), "model", m["id"], bench["id"])["approval_status"] \
        == "PENDING"


def test_approve_without_request_or_by_stranger(cli, srv, f, bench):
    do = srv.user("ado")
    d = f.dataset(do, bench["data_preparation_mlcube"])
    failed(cli("abo").run("association", "approve", "-y", "-b", str(bench["id"]), "-d",
                          str(d["id"])), 3, "No dataset association found")
    d2, _ = request_dataset(srv, f, bench)
    failed(cli("stranger").run("association", "approve", "-y", "-b", str(bench["id"]), "-d",
                               str(d2["id"])), 4)
    assert latest(do, "dataset", d2["id"], bench["id"])["approval_status"] == "PENDING"


# ---------------------------------------------------------------- set_priority

def test_set_priority_on_approved_model(cli, srv, f, bench):
    m, _ = request_model(srv, f, bench)
    bo = srv.user("abo")
    assert bo.put(f"/models/{m['id']}/benchmarks/{bench['id']}/",
                  {"approval_status": "APPROVED"}).status_code == 200
    c = cli("abo")
    ok(c.run("association", "set_priority", "-y", "-b", str(bench["id"]), "-m", str(m["id"]),
             "-p", "7"))
    assert latest(bo, "model", m["id"], bench["id"])["priority"] == 7
    ok(c.run("association", "set_priority", "-y", "-b", str(bench["id"]), "-m", str(m["id"]),
             "-p", "-3"))
    assert latest(bo, "model", m["id"], bench["id"])["priority"] == -3
    # only the priority changed: still one row, approved
    rows = pair_rows(bo, "model", m["id"], bench["id"])
    assert [(x["approval_status"], x["priority"]) for x in rows] == [("APPROVED", -3)]


def test_set_priority_needs_an_approved_model(cli, srv, f, bench):
    bo = srv.user("abo")
    c = cli("abo")
    b = str(bench["id"])
    # pending
    m, _ = request_model(srv, f, bench)
    failed(c.run("association", "set_priority", "-y", "-b", b, "-m", str(m["id"]), "-p", "2"), 1,
           NOT_ASSOCIATED)
    assert latest(bo, "model", m["id"], bench["id"])["priority"] == 0
    # never asked
    lone = f.model(srv.user("amo"))
    failed(c.run("association", "set_priority", "-y", "-b", b, "-m", str(lone["id"]), "-p", "2"), 1,
           NOT_ASSOCIATED)
    # no such model
    failed(c.run("association", "set_priority", "-y", "-b", b, "-m", "545454", "-p", "2"), 1,
           NOT_ASSOCIATED)
    # approved, then revoked: the latest row decides
    m2, _ = request_model(srv, f, bench)
    assert bo.put(f"/models/{m2['id']}/benchmarks/{b}/",
                  {"approval_status": "APPROVED"}).status_code == 200
    r = bo.post("/models/benchmarks/", {"model": m2["id"], "benchmark": bench["id"],
                                        "approval_status": "REJECTED", "metadata": {}})
    assert r.status_code == 201, r.text
    failed(c.run("association", "set_priority", "-y", "-b", b, "-m", str(m2["id"]), "-p", "2"), 1,
           NOT_ASSOCIATED)
    assert [x["priority"] for x in pair_rows(bo, "model", m2["id"], bench["id"])] == [0, 0]


def test_set_priority_options(cli, srv, f, bench):
    c = cli("abo")
    b = str(bench["id"])
    for args in (["-b", b, "-m", "1"], ["-b", b, "-p", "1"], ["-m", "1", "-p", "1"],
                 ["-b", b, "-m", "1", "-p", "high"]):
        r = c.run("association", "set_priority", "-y", *args)
        assert r.returncode == 2 and r.stdout == "", r.stderr
    # the model owner may not read the benchmark's models
    m, _ = request_model(srv, f, bench)
    assert srv.user("abo").put(f"/models/{m['id']}/benchmarks/{b}/",
                               {"approval_status": "APPROVED"}).status_code == 200
    failed(cli("amo").run("association", "set_priority", "-y", "-b", b, "-m", str(m["id"]), "-p", "9"),
           4)
    assert latest(srv.user("abo"), "model", m["id"], bench["id"])["priority"] == 0


def test_not_logged_in(cli):
    c = cli.fresh("anon-assoc")
    failed(c.run("association", "ls", "-b", "-d"), 4)
    failed(c.run("association", "approve", "-y", "-b", "1", "-d", "1"), 4)


def test_json_is_the_only_output(cli, srv, f, bench):
    request_dataset(srv, f, bench, owner="ado-json")
    r = ok(cli("ado-json").run("association", "ls", "-b", "-d", "--json"))
    rows = json.loads(r.stdout)
    assert len(rows) == 1 and rows[0]["approval_status"] == "PENDING"
