"""test_cli_models.py: `medperf model` against a real server: submit backed
by a container (which must have an `infer` task) or by an asset (a local file,
or a URL served here: downloaded, hashed, cached), the failures, ls/view, and
`model associate` (a benchmark that skips the compatibility test, the
auto-approval of a model of the benchmark's owner, one whose compatibility test cannot run).
The server's state is read back through the API after each command.
"""
import hashlib
import json
import os

import pytest
import yaml

from factory import uniq
from clitools import (by_name, failed, ihash, INFER_CFG, local_file, ok, PREP_CFG,
                      sha256_file, write)


# ---------------------------------------------------------------- helpers


# ---------------------------------------------------------------- model submit

def test_model_submit_container(cli, srv, tmp_path):
    c = cli("mowner")
    H = ihash()
    cfg = write(tmp_path / "c.yaml", INFER_CFG)
    name = uniq("model")
    ok(c.run("model", "submit", "-n", name, "-m", cfg, "--image-hash", H, "--operational",
             "-y"))
    model = by_name(srv.user("mowner"), "/models/", name)[0]
    assert model["type"] == "CONTAINER" and model["state"] == "OPERATION"
    assert model["container"]["state"] == "OPERATION"
    assert model["container"]["image_hash"] == H


def test_model_submit_container_without_infer(cli, srv, tmp_path):
    c = cli("mowner")
    cfg = write(tmp_path / "c.yaml", PREP_CFG)
    name = uniq("notmodel")
    r = c.run("model", "submit", "-n", name, "-m", cfg, "--image-hash", ihash(), "-y")
    failed(r, 2, "infer")
    api = srv.user("mowner")
    assert by_name(api, "/models/", name) == [] and by_name(api, "/mlcubes/", name) == []


def test_model_submit_asset_path(cli, srv, tmp_path):
    c = cli("mowner")
    asset = write(tmp_path / "weights.pth", os.urandom(10_000))
    name = uniq("asset")
    r = ok(c.run("model", "submit", "-n", name, "--asset-path", asset, "-y"))
    model = by_name(srv.user("mowner"), "/models/", name)[0]
    assert model["type"] == "ASSET" and model["container"] is None
    assert model["asset"]["asset_hash"] == sha256_file(asset)
    assert model["asset"]["asset_url"] == "local"
    assert model["state"] == "DEVELOPMENT"
    assert str(model["id"]) in r.stdout
    # a local file is not copied into the download cache
    assert not os.path.exists(os.path.join(c.home, ".medperf", ".hashed_files",
                                           sha256_file(asset)))
    viewed = c.json("model", "view", str(model["id"]))
    assert viewed == model
    with open(local_file(c, "models", model["id"], "model-info.yaml")) as fh:
        assert yaml.safe_load(fh)["asset"]["asset_hash"] == sha256_file(asset)


def test_model_submit_asset_url(cli, srv, tmp_path, web):
    c = cli("mowner")
    root, base, seen = web
    data = os.urandom(123_457)
    write(os.path.join(root, "model.tar.gz"), data)
    h = hashlib.sha256(data).hexdigest()
    name = uniq("urlasset")
    ok(c.run("model", "submit", "-n", name, "--asset-url", f"{base}/model.tar.gz",
             "--operational", "-y"))
    assert "/model.tar.gz" in seen
    model = by_name(srv.user("mowner"), "/models/", name)[0]
    assert model["type"] == "ASSET" and model["state"] == "OPERATION"
    assert model["asset"]["asset_hash"] == h
    assert model["asset"]["asset_url"] == f"{base}/model.tar.gz"
    cached = os.path.join(c.home, ".medperf", ".hashed_files", h)
    assert open(cached, "rb").read() == data


def test_model_submit_asset_url_not_found(cli, srv, web):
    c = cli("mowner")
    _, base, _ = web
    name = uniq("missingurl")
    r = c.run("model", "submit", "-n", name, "--asset-url", f"{base}/absent.bin", "-y")
    failed(r, 3, "404", f"{base}/absent.bin")
    assert by_name(srv.user("mowner"), "/models/", name) == []
    cache = os.path.join(c.home, ".medperf", ".hashed_files")
    assert [x for x in (os.listdir(cache) if os.path.isdir(cache) else [])
            if x.startswith("download")] == []
    # nothing listens on port 1 of 127.0.0.1: unreachable is 5
    r = c.run("model", "submit", "-n", name, "--asset-url", "http://127.0.0.1:1/m.bin", "-y")
    failed(r, 5, "http://127.0.0.1:1/m.bin")
    assert by_name(srv.user("mowner"), "/models/", name) == []


def test_model_submit_sources_exactly_one(cli, srv, tmp_path, web):
    c = cli("mowner")
    asset = write(tmp_path / "w.bin", b"w")
    cfg = write(tmp_path / "c.yaml", INFER_CFG)
    _, base, _ = web
    name = uniq("two")
    for args in ([], ["--asset-path", asset, "--asset-url", f"{base}/w.bin"],
                 ["--asset-path", asset, "-m", cfg, "--image-hash", ihash()],
                 ["--asset-url", f"{base}/w.bin", "-m", cfg, "--image-hash", ihash()]):
        r = c.run("model", "submit", "-n", name, *args, "-y")
        failed(r, 2, "--asset-path")
    assert by_name(srv.user("mowner"), "/models/", name) == []
    failed(c.run("model", "submit", "-n", name, "--asset-path", str(tmp_path / "none"), "-y"), 1,
           str(tmp_path / "none"))
    assert by_name(srv.user("mowner"), "/models/", name) == []


def test_model_view_and_ls(cli, srv, f, tmp_path):
    c = cli("mviewer")
    api = srv.user("mviewer")
    m1 = f.model(api)
    m2 = f.model(api, type="ASSET")
    mine = c.json("model", "ls", "--mine")
    assert [m["id"] for m in mine] == [m1["id"], m2["id"]]
    assert [m["id"] for m in c.json("model", "ls", "--mine", "--type", "ASSET")] == [m2["id"]]
    table = ok(c.run("model", "ls", "--mine")).stdout.splitlines()
    assert table[0].split() == ["UID", "Name", "Type", "State", "Registered"]
    assert table[1].split() == [str(m1["id"]), m1["name"], "CONTAINER", "OPERATION", "True"]
    assert table[2].split() == [str(m2["id"]), m2["name"], "ASSET", "OPERATION", "True"]
    shown = yaml.safe_load(ok(c.run("model", "view", str(m1["id"]))).stdout)
    assert shown == m1
    both = c.json("model", "view", "--mine")
    assert [m["id"] for m in both] == [m1["id"], m2["id"]]
    out = tmp_path / "m.yaml"
    r = ok(c.run("model", "view", str(m2["id"]), "-o", str(out)))
    assert r.stdout == ""
    assert yaml.safe_load(out.read_text()) == m2
    failed(c.run("model", "view", "987654"), 3, "987654")


# ---------------------------------------------------------------- model associate

@pytest.fixture(scope="module")
def skip_bench(cli, srv, f):
    """An approved benchmark of `bowner`, submitted with --skip-compatibility-tests."""
    bo = srv.user("bowner")
    prep = f.mlcube(bo)["id"]
    ref = f.model(bo)["id"]
    ev = f.mlcube(bo)["id"]
    c = cli("bowner")
    name = uniq("assocbench")
    ok(c.run("benchmark", "submit", "-n", name, "-d", "for associations", "-p", str(prep),
             "-m", str(ref), "-e", str(ev), "--skip-compatibility-tests", "--operational", "-y"))
    b = by_name(bo, "/benchmarks/", name)[0]
    ok(cli("admin", admin=True).run("benchmark", "approve", "-y", "-b", str(b["id"])))
    return bo.get(f"/benchmarks/{b['id']}/").json()


def model_rows(api, model_id, bench_id):
    r = api.get(f"/models/{model_id}/benchmarks/{bench_id}/")
    assert r.status_code == 200, r.text
    return r.json()


def test_model_associate_pending(cli, srv, f, skip_bench):
    mo = srv.user("massoc")
    m = f.model(mo)
    c = cli("massoc")
    r = ok(c.run("model", "associate", "-b", str(skip_bench["id"]), "-m", str(m["id"]), "-y"))
    assert "PENDING" in r.stdout
    rows = model_rows(mo, m["id"], skip_bench["id"])
    assert len(rows) == 1
    assert rows[0]["approval_status"] == "PENDING"
    assert rows[0]["initiated_by"] == c.user_id
    # the benchmark owner sees it pending
    assoc = cli("bowner").json("association", "ls", "-b", "-m")
    mine = [a for a in assoc if a["model"] == m["id"]]
    assert len(mine) == 1 and mine[0]["approval_status"] == "PENDING"
    # asking again while pending: the server refuses (3), nothing added
    r = c.run("model", "associate", "-b", str(skip_bench["id"]), "-m", str(m["id"]), "-y")
    failed(r, 3, "User can create a new request only if prior request is rejected")
    assert len(model_rows(mo, m["id"], skip_bench["id"])) == 1


def test_model_associate_same_owner_is_approved(cli, srv, f, skip_bench):
    bo = srv.user("bowner")
    m = f.model(bo)
    c = cli("bowner")
    r = ok(c.run("model", "associate", "-b", str(skip_bench["id"]), "-m", str(m["id"]), "-y",
                 "--json"))
    body = json.loads(r.stdout)
    assert body["approval_status"] == "APPROVED"
    rows = model_rows(bo, m["id"], skip_bench["id"])
    assert [x["approval_status"] for x in rows] == ["APPROVED"]
    assert rows[0]["approved_at"] is not None


def test_model_associate_without_yes(cli, srv, f, skip_bench):
    mo = srv.user("massoc")
    m = f.model(mo)
    r = cli("massoc").run("model", "associate", "-b", str(skip_bench["id"]), "-m", str(m["id"]))
    assert r.returncode == 7 and r.stdout == "", r.stderr
    assert model_rows(mo, m["id"], skip_bench["id"]) == []


def test_model_associate_runs_the_compatibility_test_first(cli, srv, f):
    """The test runs before anything is sent (tests/flows runs real ones): the factory's
    containers cannot run, so no request is made."""
    bo = srv.user("bowner")
    b = f.benchmark(bo, metadata={})           # approved, asks for a compatibility test
    mo = srv.user("massoc")
    m = f.model(mo)
    r = cli("massoc").run("model", "associate", "-b", str(b["id"]), "-m", str(m["id"]), "-y")
    failed(r, 1, "container_type")
    assert model_rows(mo, m["id"], b["id"]) == []


def test_model_associate_missing_benchmark(cli, srv, f):
    m = f.model(srv.user("massoc"))
    r = cli("massoc").run("model", "associate", "-b", "888888", "-m", str(m["id"]), "-y")
    failed(r, 3, "888888")
    r = cli("massoc").run("model", "associate", "-m", str(m["id"]), "-y")
    assert r.returncode == 2 and "--benchmark" in r.stderr
