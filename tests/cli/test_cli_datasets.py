"""test_cli_datasets.py: `medperf dataset` and `medperf result` against a real
server: dataset submit (with a benchmark or a preparation container, as
prepared or not) checked against a folder hash computed here, the local
record, the failures; dataset ls filters and view; prepare and set_operational
without a local copy; result ls/view for the data owner, the benchmark owner and others,
with results made through the API.
"""
import hashlib
import json
import os

import pytest
import yaml

from factory import uniq
from clitools import cells, failed, local_dir, ok, srv_dir, write

DATASET_HEADER = ["UID", "Name", "Data Preparation Container UID", "State", "Status", "Owner"]
RESULT_HEADER = ["UID", "Name", "Benchmark", "Model", "Dataset", "Executed", "Finalized"]


# ---------------------------------------------------------------- helpers

def folders_hash(*paths):
    """MedPerf's folder hash (reference 2.5), computed independently: the sha256
    of every regular file under the paths, sorted, concatenated, hashed."""
    digests = []
    for p in paths:
        for root, _dirs, files in os.walk(p):
            for name in files:
                full = os.path.join(root, name)
                if os.path.isfile(full):
                    with open(full, "rb") as f:
                        digests.append(hashlib.sha256(f.read()).hexdigest())
    return hashlib.sha256("".join(sorted(digests)).encode()).hexdigest()


def my_datasets(client):
    r = client.get("/me/datasets/", params={"limit": 1000})
    assert r.status_code == 200, r.text
    return r.json()["results"]


def named(client, name):
    return [d for d in my_datasets(client) if d["name"] == name]


@pytest.fixture(scope="module")
def bench(srv, f):
    """An approved benchmark of `prepowner` with its own preparation container."""
    return f.benchmark(srv.user("prepowner"))


@pytest.fixture
def raw(tmp_path):
    """A raw dataset: data (nested folders, an empty file, an empty folder) and labels."""
    d = tmp_path / "raw"
    write(d / "data" / "case1" / "img.bin", os.urandom(70_000))
    write(d / "data" / "case2" / "img.bin", os.urandom(1000))
    write(d / "data" / "nums.txt", "1 2 3\n4 5 6\n")
    write(d / "data" / "empty.txt", "")
    os.makedirs(d / "data" / "empty-dir")
    write(d / "labels" / "ans.txt", "6\n15\n")
    write(d / "labels" / "more" / "labels.csv", "id,label\n1,0\n2,1\n")
    return str(d / "data"), str(d / "labels")


def submit(c, data, labels, *extra):
    return c.run("dataset", "submit", "-d", data, "-l", labels, *extra)


# ---------------------------------------------------------------- submit

def test_submit_with_benchmark(cli, srv, bench, raw):
    c = cli("hospital")
    data, labels = raw
    name = uniq("cohort")
    want = folders_hash(data, labels)
    r = ok(submit(c, data, labels, "-b", str(bench["id"]), "--name", name, "--description",
                  "chest x-rays", "--location", "Hospital A", "-y"))
    rows = named(srv.user("hospital"), name)
    assert len(rows) == 1
    d = rows[0]
    assert d["input_data_hash"] == want
    assert d["generated_uid"] == want
    assert d["data_preparation_mlcube"] == bench["data_preparation_mlcube"]
    assert d["description"] == "chest x-rays" and d["location"] == "Hospital A"
    assert d["state"] == "DEVELOPMENT" and d["split_seed"] == 0
    assert d["submitted_as_prepared"] is False
    assert d["generated_metadata"] == {}
    assert d["owner"] == c.user_id
    assert str(d["id"]) in r.stdout and want in r.stdout
    # the local record
    folder = local_dir(c, "data", d["id"])
    with open(os.path.join(folder, "registration-info.yaml")) as fh:
        info = yaml.safe_load(fh)
    assert info["id"] == d["id"] and info["input_data_hash"] == want
    with open(os.path.join(folder, "raw.yaml")) as fh:
        assert yaml.safe_load(fh) == {"data_path": data, "labels_path": labels}
    # not prepared: nothing copied
    assert sorted(os.listdir(folder)) == ["raw.yaml", "registration-info.yaml"]


def test_submit_with_prep_relative_paths(cli, srv, bench, tmp_path):
    """Paths are recorded absolute (resolved from the working directory)."""
    c = cli("hospital")
    base = os.path.join(c.home, uniq("rel"))
    write(os.path.join(base, "d", "x.bin"), os.urandom(500))
    write(os.path.join(base, "l", "y.txt"), "label\n")
    rel = os.path.basename(base)
    name = uniq("cohort")
    ok(submit(c, f"{rel}/d", f"./{rel}/l/", "-p", str(bench["data_preparation_mlcube"]),
              "--name", name, "-y"))
    d = named(srv.user("hospital"), name)[0]
    assert d["input_data_hash"] == folders_hash(os.path.join(base, "d"), os.path.join(base, "l"))
    assert d["description"] == "" and d["location"] == ""
    with open(os.path.join(local_dir(c, "data", d["id"]), "raw.yaml")) as fh:
        assert yaml.safe_load(fh) == {"data_path": os.path.join(base, "d"),
                                      "labels_path": os.path.join(base, "l")}


def test_hash_counts_duplicates_and_ignores_names(cli, srv, bench, tmp_path):
    """data == labels counts every file twice; file names and layout do not matter."""
    c = cli("hospital")
    same = tmp_path / "same"
    write(same / "a.txt", "alpha")
    write(same / "sub" / "b.txt", "beta")
    name = uniq("dup")
    ok(submit(c, str(same), str(same), "-p", str(bench["data_preparation_mlcube"]),
              "--name", name, "-y"))
    d = named(srv.user("hospital"), name)[0]
    hexes = sorted([hashlib.sha256(b"alpha").hexdigest(), hashlib.sha256(b"beta").hexdigest()] * 2)
    assert d["input_data_hash"] == hashlib.sha256("".join(hexes).encode()).hexdigest()
    assert d["input_data_hash"] == folders_hash(str(same), str(same))


def test_submit_as_prepared_copies_the_trees(cli, srv, bench, raw, tmp_path):
    c = cli("hospital")
    data, labels = raw
    meta = tmp_path / "meta"
    write(meta / "stats.yaml", "num_cases: 2\n")
    name = uniq("prepared")
    ok(submit(c, data, labels, "-p", str(bench["data_preparation_mlcube"]), "--name", name,
              "--submit-as-prepared", "-m", str(meta), "-y"))
    d = named(srv.user("hospital"), name)[0]
    assert d["submitted_as_prepared"] is True
    assert d["input_data_hash"] == folders_hash(data, labels)
    folder = local_dir(c, "data", d["id"])
    for sub, src in (("data", data), ("labels", labels), ("metadata", str(meta))):
        copied = os.path.join(folder, sub)
        assert folders_hash(copied) == folders_hash(src), sub
        assert open(os.path.join(folder, sub, *({"data": ["nums.txt"],
                                                 "labels": ["ans.txt"],
                                                 "metadata": ["stats.yaml"]}[sub])), "rb").read() \
            == open(os.path.join(src, {"data": "nums.txt", "labels": "ans.txt",
                                       "metadata": "stats.yaml"}[sub]), "rb").read()
    assert os.path.isfile(os.path.join(folder, "data", "case1", "img.bin"))
    assert os.path.isfile(os.path.join(folder, "labels", "more", "labels.csv"))
    # without -m the metadata folder is created empty
    name = uniq("prepared")
    write(os.path.join(data, "extra.txt"), "so the hash differs")
    ok(submit(c, data, labels, "-p", str(bench["data_preparation_mlcube"]), "--name", name,
              "--submit-as-prepared", "-y"))
    d = named(srv.user("hospital"), name)[0]
    assert os.listdir(os.path.join(local_dir(c, "data", d["id"]), "metadata")) == []


def test_submit_benchmark_xor_prep(cli, srv, bench, raw):
    c = cli("hospital")
    data, labels = raw
    name = uniq("bad")
    for extra in ([], ["-b", str(bench["id"]), "-p", str(bench["data_preparation_mlcube"])]):
        r = submit(c, data, labels, "--name", name, *extra, "-y")
        failed(r, 2, "Must provide either a benchmark or a preparation container")
    assert named(srv.user("hospital"), name) == []


def test_metadata_only_when_submitted_as_prepared(cli, srv, bench, raw, tmp_path):
    c = cli("hospital")
    data, labels = raw
    meta = tmp_path / "meta"
    os.makedirs(meta)
    name = uniq("bad")
    r = submit(c, data, labels, "-b", str(bench["id"]), "--name", name, "-m", str(meta), "-y")
    failed(r, 2, "metadata path should only be provided when the dataset is submitted as "
           "prepared")
    assert named(srv.user("hospital"), name) == []


def test_missing_paths(cli, srv, bench, raw, tmp_path):
    c = cli("hospital")
    data, labels = raw
    missing = str(tmp_path / "missing")
    name = uniq("bad")
    failed(submit(c, missing, labels, "-b", str(bench["id"]), "--name", name, "-y"), 1, missing)
    failed(submit(c, data, missing, "-b", str(bench["id"]), "--name", name, "-y"), 1, missing)
    failed(submit(c, data, labels, "-b", str(bench["id"]), "--name", name, "--submit-as-prepared",
                  "-m", missing, "-y"), 1, missing)
    # a file is not a dataset folder: it would add nothing to the folder hash
    one = write(tmp_path / "one.nii", b"image")
    failed(submit(c, one, labels, "-b", str(bench["id"]), "--name", name, "-y"), 1,
           "--data_path", "is not a folder")
    failed(submit(c, data, one, "-b", str(bench["id"]), "--name", name, "-y"), 1,
           "--labels_path", "is not a folder")
    assert named(srv.user("hospital"), name) == []
    for drop in ("-d", "-l", "--name"):
        args = ["dataset", "submit", "-d", data, "-l", labels, "--name", name, "-b",
                str(bench["id"]), "-y"]
        i = args.index(drop)
        del args[i:i + 2]
        r = c.run(*args)
        assert r.returncode == 2 and r.stdout == "", r.stderr
    assert named(srv.user("hospital"), name) == []


def test_unknown_benchmark_or_container(cli, srv, raw):
    c = cli("hospital")
    data, labels = raw
    name = uniq("bad")
    failed(submit(c, data, labels, "-b", "919191", "--name", name, "-y"), 3, "919191")
    failed(submit(c, data, labels, "-p", "929292", "--name", name, "-y"), 3, "929292")
    assert named(srv.user("hospital"), name) == []


def test_invalidated_container(cli, srv, f, raw):
    owner = srv.user("prepowner")
    cube = f.mlcube(owner)
    r = owner.put(f"/mlcubes/{cube['id']}/", {"is_valid": False})
    assert r.status_code == 200, r.text
    c = cli("hospital")
    name = uniq("bad")
    failed(submit(c, *raw, "-p", str(cube["id"]), "--name", name, "-y"), 1, str(cube["id"]))
    assert named(srv.user("hospital"), name) == []


def test_without_yes_nothing_is_sent(cli, srv, bench, raw):
    c = cli("hospital")
    name = uniq("noyes")
    r = submit(c, *raw, "-b", str(bench["id"]), "--name", name)
    assert r.returncode == 7 and r.stdout == "", r.stderr
    assert folders_hash(*raw) in r.stderr and "[y/N]" in r.stderr
    assert named(srv.user("hospital"), name) == []
    assert not os.path.exists(os.path.join(c.home, ".medperf", "data", srv_dir(srv),
                                           folders_hash(*raw)))


def test_submit_json(cli, srv, bench, raw):
    c = cli("hospital2")
    name = uniq("json")
    r = ok(submit(c, *raw, "-b", str(bench["id"]), "--name", name, "-y", "--json"))
    d = json.loads(r.stdout)
    assert d == named(srv.user("hospital2"), name)[0]


# ---------------------------------------------------------------- ls / view

@pytest.fixture(scope="module")
def dsets(srv, f, bench):
    """Datasets of two owners (dsa, dsb) with two preparation containers of prepowner."""
    a, b = srv.user("dsa"), srv.user("dsb")
    p1 = bench["data_preparation_mlcube"]
    p2 = f.mlcube(srv.user("prepowner"))["id"]
    made = {
        "a_dev": f.dataset(a, p1, operational=False),
        "a_op": f.dataset(a, p2),
        "b_op": f.dataset(b, p1),
    }
    made["a_invalid"] = f.dataset(a, p1, operational=False)
    r = a.put(f"/datasets/{made['a_invalid']['id']}/", {"is_valid": False})
    assert r.status_code == 200, r.text
    made["a_invalid"] = r.json()
    return {"a": a, "b": b, "p1": p1, "p2": p2, "made": made,
            "ids": {k: v["id"] for k, v in made.items()}}


def ds_ids(c, *args):
    return [x["id"] for x in c.json("dataset", "ls", *args)]


def test_dataset_ls_filters(cli, dsets):
    w = dsets["ids"]
    c = cli("dsa")
    everyone = ds_ids(c)
    assert w["a_dev"] in everyone and w["a_op"] in everyone and w["b_op"] in everyone
    assert w["a_invalid"] not in everyone
    assert ds_ids(c, "--name", dsets["made"]["b_op"]["name"]) == [w["b_op"]]
    assert sorted(ds_ids(c, "--mine")) == sorted([w["a_dev"], w["a_op"]])
    assert ds_ids(cli("dsb"), "--mine") == [w["b_op"]]
    assert ds_ids(c, "--mine", "--state", "OPERATION") == [w["a_op"]]
    assert ds_ids(c, "--mine", "--state", "DEVELOPMENT") == [w["a_dev"]]
    op = c.json("dataset", "ls", "--state", "OPERATION")
    assert all(x["state"] == "OPERATION" for x in op)
    assert w["a_op"] in [x["id"] for x in op] and w["a_dev"] not in [x["id"] for x in op]
    assert sorted(ds_ids(c, "--owner", str(dsets["a"].id))) == sorted([w["a_dev"], w["a_op"]])
    assert ds_ids(c, "--owner", str(dsets["b"].id)) == [w["b_op"]]
    assert ds_ids(c, "--mine", "--invalid") == [w["a_invalid"]]
    assert ds_ids(c, "--name", "no-such-dataset") == []


def test_dataset_ls_by_preparation_container(cli, dsets):
    w = dsets["ids"]
    owner = cli("prepowner")
    by_p1 = ds_ids(owner, "-m", str(dsets["p1"]))
    assert w["a_dev"] in by_p1 and w["b_op"] in by_p1
    assert w["a_op"] not in by_p1 and w["a_invalid"] not in by_p1
    assert ds_ids(owner, "-m", str(dsets["p2"])) == [w["a_op"]]
    assert ds_ids(owner, "-m", str(dsets["p1"]), "--owner", str(dsets["b"].id)) == [w["b_op"]]
    dev = owner.json("dataset", "ls", "-m", str(dsets["p1"]), "--state", "DEVELOPMENT")
    assert all(x["state"] == "DEVELOPMENT" for x in dev)
    assert w["a_dev"] in [x["id"] for x in dev] and w["b_op"] not in [x["id"] for x in dev]
    assert ds_ids(owner, "-m", str(dsets["p1"]), "--state", "DEVELOPMENT",
                  "--owner", str(dsets["a"].id)) == [w["a_dev"]]
    # only the container's owner may list its datasets
    failed(cli("dsa").run("dataset", "ls", "-m", str(dsets["p2"])), 4)


def test_dataset_ls_table(cli, dsets):
    c = cli("dsb")
    lines = ok(c.run("dataset", "ls", "--mine")).stdout.splitlines()
    assert cells(lines[0]) == DATASET_HEADER
    d = dsets["made"]["b_op"]
    row = cells(lines[1])
    assert row[:4] == [str(d["id"]), d["name"], str(dsets["p1"]), "OPERATION"]
    assert row[-1] == str(dsets["b"].id)
    assert len(lines) == 2


def test_dataset_view(cli, dsets, tmp_path):
    c = cli("dsa")
    d = dsets["made"]["a_op"]
    assert yaml.safe_load(ok(c.run("dataset", "view", str(d["id"]))).stdout) == d
    assert json.loads(ok(c.run("dataset", "view", str(d["id"]), "-f", "json")).stdout) == d
    mine = c.json("dataset", "view", "--mine")
    assert sorted(x["id"] for x in mine) == sorted(dsets["ids"][k] for k in
                                                   ("a_dev", "a_op", "a_invalid"))
    out = tmp_path / "d.yaml"
    r = ok(c.run("dataset", "view", str(d["id"]), "-o", str(out)))
    assert r.stdout == "" and yaml.safe_load(out.read_text()) == d
    failed(c.run("dataset", "view", str(d["id"]), "-f", "xml"), 2, "xml")
    failed(c.run("dataset", "view", "303030"), 3, "303030")


@pytest.mark.parametrize("cmd", ["prepare", "set_operational"])
def test_needs_the_local_copy(cli, dsets, cmd):
    """A dataset registered through the API has no local copy here (tests/flows prepares
    real ones)."""
    c = cli("dsa")
    d = dsets["made"]["a_dev"]
    failed(c.run("dataset", cmd, "-d", str(d["id"]), "-y"), 1, "no local copy")
    assert dsets["a"].get(f"/datasets/{d['id']}/").json() == d


# ---------------------------------------------------------------- results

@pytest.fixture(scope="module")
def results(srv, f):
    """A benchmark of rbo with two approved models (of rmo) and two datasets
    (of rdo, one of rdo2), and results created through the API by the data owners."""
    bo, mo, do, do2 = (srv.user(n) for n in ("rbo", "rmo", "rdo", "rdo2"))
    w = f.world(bo, mo, do)
    b, m1, d1 = w["benchmark"]["id"], w["model"]["id"], w["dataset"]["id"]
    m2 = f.model(mo)["id"]
    f.model_assoc(mo, m2, b)
    assert bo.put(f"/models/{m2}/benchmarks/{b}/", {"approval_status": "APPROVED"}).status_code \
        == 200
    d2 = f.dataset(do, w["benchmark"]["data_preparation_mlcube"])["id"]
    f.dataset_assoc(do, d2, b)
    assert bo.put(f"/datasets/{d2}/benchmarks/{b}/", {"approval_status": "APPROVED"}).status_code \
        == 200
    d3 = f.dataset(do2, w["benchmark"]["data_preparation_mlcube"])["id"]
    f.dataset_assoc(do2, d3, b)
    assert bo.put(f"/datasets/{d3}/benchmarks/{b}/", {"approval_status": "APPROVED"}).status_code \
        == 200

    def create(client, m, d):
        r = client.post("/results/", {"benchmark": b, "model": m, "dataset": d,
                                      "name": f"b{b}m{m}d{d}", "results": {}, "metadata": {}})
        assert r.status_code == 201, r.text
        return r.json()

    made = {"m1d1": create(do, m1, d1), "m2d1": create(do, m2, d1), "m1d2": create(do, m1, d2),
            "m1d3": create(do2, m1, d3)}
    # one submitted (finalized) by its owner
    r = do.put(f"/results/{made['m2d1']['id']}/", {"results": {"AUC": 0.75},
                                                  "metadata": {"partial": False}})
    assert r.status_code == 200, r.text
    made["m2d1"] = r.json()
    return {"b": b, "m1": m1, "m2": m2, "d1": d1, "d2": d2, "d3": d3, "made": made,
            "ids": {k: v["id"] for k, v in made.items()}}


def res_ids(c, *args):
    return sorted(x["id"] for x in c.json("result", "ls", *args))


def test_result_ls_data_owner(cli, results):
    w = results["ids"]
    c = cli("rdo")
    assert res_ids(c) == sorted([w["m1d1"], w["m2d1"], w["m1d2"]])
    assert res_ids(cli("rdo2")) == [w["m1d3"]]
    assert res_ids(c, "-m", str(results["m2"])) == [w["m2d1"]]
    assert res_ids(c, "-d", str(results["d2"])) == [w["m1d2"]]
    assert res_ids(c, "-m", str(results["m1"]), "-d", str(results["d1"])) == [w["m1d1"]]
    assert res_ids(c, "-m", str(results["m1"]), "-d", str(results["d3"])) == []
    # the model owner has no results of their own
    assert res_ids(cli("rmo")) == []


def test_result_ls_table(cli, results):
    c = cli("rdo")
    lines = ok(c.run("result", "ls", "-d", str(results["d1"]))).stdout.splitlines()
    assert cells(lines[0]) == RESULT_HEADER
    rows = sorted((cells(x) for x in lines[1:]), key=lambda x: int(x[0]))
    b, m1, m2, d1 = results["b"], results["m1"], results["m2"], results["d1"]
    want = sorted([
        [str(results["ids"]["m1d1"]), f"b{b}m{m1}d{d1}", str(b), str(m1), str(d1), "False",
         "False"],
        [str(results["ids"]["m2d1"]), f"b{b}m{m2}d{d1}", str(b), str(m2), str(d1), "False",
         "True"]], key=lambda x: int(x[0]))
    assert rows == want


def test_result_ls_benchmark_owner(cli, results):
    w = results["ids"]
    bo = cli("rbo")
    assert res_ids(bo, "-b", str(results["b"])) == sorted(w.values())
    assert res_ids(bo, "-b", str(results["b"]), "-m", str(results["m1"])) \
        == sorted([w["m1d1"], w["m1d2"], w["m1d3"]])
    assert res_ids(bo, "-b", str(results["b"]), "-d", str(results["d3"])) == [w["m1d3"]]
    # the benchmark owner's own results (none)
    assert res_ids(bo) == []
    # a model owner may not read the benchmark's results
    failed(cli("rmo").run("result", "ls", "-b", str(results["b"])), 4)
    failed(cli("rdo").run("result", "ls", "-b", str(results["b"])), 4)


def test_result_view(cli, srv, results, tmp_path):
    w = results["made"]
    c = cli("rdo")
    got = yaml.safe_load(ok(c.run("result", "view", str(w["m2d1"]["id"]))).stdout)
    assert got == srv.user("rdo").get(f"/results/{w['m2d1']['id']}/").json()
    assert got["results"] == {"AUC": 0.75} and got["finalized"] is True
    assert json.loads(ok(c.run("result", "view", str(w["m1d1"]["id"]), "--json")).stdout) \
        == w["m1d1"]
    # without an id: mine
    assert sorted(x["id"] for x in c.json("result", "view")) \
        == sorted([w["m1d1"]["id"], w["m2d1"]["id"], w["m1d2"]["id"]])
    out = tmp_path / "r.json"
    r = ok(c.run("result", "view", str(w["m1d2"]["id"]), "-f", "json", "-o", str(out)))
    assert r.stdout == "" and json.loads(out.read_text()) == w["m1d2"]
    # the benchmark owner may read one; the model owner may not; a missing one
    assert cli("rbo").json("result", "view", str(w["m1d3"]["id"])) == w["m1d3"]
    failed(cli("rmo").run("result", "view", str(w["m1d1"]["id"])), 4)
    failed(cli("rdo2").run("result", "view", str(w["m1d1"]["id"])), 4)
