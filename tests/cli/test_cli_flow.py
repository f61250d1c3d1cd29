"""test_cli_flow.py: the full registration path as the four roles.

Each role is a separate person with their own HOME and configuration:

  bo     the benchmark committee: registers the data preparation container,
         the reference model and the evaluator, submits the benchmark, and
         later approves the model owner's association request
  admin  a platform admin: approves the benchmark
  mo     a model owner: registers a model and asks the benchmark to take it
  do     a data owner: registers a dataset for the benchmark

Everything is checked the way each person would (`ls` / `view` --json of the
right user) and, where it matters, directly against the API.
"""
import hashlib
import os

import pytest
from clitools import write

IMAGE_HASH = "sha256:" + "ab" * 32
MODEL_IMAGE_HASH = "sha256:" + "cd" * 32


def volume(path, kind="directory"):
    return f"{{mount_path: {path}, type: {kind}}}"


PREP_CONFIG = f"""\
container_type: DockerImage
image: docker.io/mlcommons/flow-prep:0.0.1
tasks:
  prepare:
    input_volumes:
      data_path: {volume("/mlcommons/volumes/raw_data")}
      labels_path: {volume("/mlcommons/volumes/raw_labels")}
    output_volumes:
      output_path: {volume("/mlcommons/volumes/data")}
      output_labels_path: {volume("/mlcommons/volumes/labels")}
  sanity_check:
    input_volumes:
      data_path: {volume("/mlcommons/volumes/data")}
      labels_path: {volume("/mlcommons/volumes/labels")}
  statistics:
    input_volumes:
      data_path: {volume("/mlcommons/volumes/data")}
      labels_path: {volume("/mlcommons/volumes/labels")}
    output_volumes:
      output_path: {volume("/mlcommons/volumes/statistics/statistics.yaml", "file")}
"""

MODEL_CONFIG = """\
container_type: DockerImage
image: docker.io/mlcommons/flow-model-{which}:0.0.1
tasks:
  infer:
    input_volumes:
      data_path: {{mount_path: /mlcommons/volumes/data, type: directory}}
    output_volumes:
      output_path: {{mount_path: /mlcommons/volumes/predictions, type: directory}}
"""

EVAL_CONFIG = f"""\
container_type: DockerImage
image: docker.io/mlcommons/flow-metrics:0.0.1
tasks:
  evaluate:
    input_volumes:
      predictions: {volume("/mlcommons/volumes/predictions")}
      labels: {volume("/mlcommons/volumes/labels")}
    output_volumes:
      output_path: {volume("/mlcommons/volumes/results/results.yaml", "file")}
"""


def ids(items):
    return {i["id"] for i in items}


def test_full_registration_path_as_the_four_roles(cli, srv, tmp_path):
    bo = cli("bo")
    admin = cli("admin", admin=True)
    mo = cli("mo")
    do = cli("do")
    api_admin = srv.user("admin", admin=True)   # the same person, straight to the API

    # ---- 1. The committee (bo) registers the three containers -------------------------------
    prep_cfg = write(str(tmp_path / "prep" / "container_config.yaml"), PREP_CONFIG)
    prep_params = write(str(tmp_path / "prep" / "parameters.yaml"), "output_size: 128\n")
    prep = bo.json("container", "submit", "-n", "flow-prep", "-m", prep_cfg, "-p", prep_params,
                   "--image-hash", IMAGE_HASH, "--operational", "-y")
    assert prep["name"] == "flow-prep" and prep["state"] == "OPERATION"
    assert prep["owner"] == bo.user_id
    assert prep["image_hash"] == IMAGE_HASH
    assert prep["parameters_config"] == {"output_size": 128}
    assert set(prep["container_config"]["tasks"]) == {"prepare", "sanity_check", "statistics"}

    # the reference model: a container with an `infer` task is registered as a model
    ref_cfg = write(str(tmp_path / "ref" / "container_config.yaml"),
                    MODEL_CONFIG.format(which="reference"))
    ref = bo.json("container", "submit", "-n", "flow-reference", "-m", ref_cfg,
                  "--image-hash", IMAGE_HASH, "--operational", "-y")
    assert ref["type"] == "CONTAINER" and ref["state"] == "OPERATION"
    assert ref["owner"] == bo.user_id
    assert ref["container"]["name"] == "flow-reference"
    assert "infer" in ref["container"]["container_config"]["tasks"]

    eval_cfg = write(str(tmp_path / "eval" / "container_config.yaml"), EVAL_CONFIG)
    evaluator = bo.json("container", "submit", "-n", "flow-metrics", "-m", eval_cfg,
                        "--image-hash", IMAGE_HASH, "--operational", "-y")
    assert evaluator["state"] == "OPERATION"

    mine = bo.json("container", "ls", "--mine")
    assert {prep["id"], ref["container"]["id"], evaluator["id"]} <= ids(mine)
    assert ref["id"] in ids(bo.json("model", "ls", "--mine"))
    assert bo.json("container", "view", str(prep["id"]))["image_hash"] == IMAGE_HASH

    # ---- 2. The committee submits the benchmark -------------------------------------------
    bench = bo.json("benchmark", "submit", "-n", "flow-benchmark", "-d", "the flow test",
                    "-p", str(prep["id"]), "-m", str(ref["id"]), "-e", str(evaluator["id"]),
                    "--skip-compatibility-tests", "--operational", "-y")
    b = str(bench["id"])
    assert bench["approval_status"] == "PENDING" and bench["state"] == "OPERATION"
    assert bench["owner"] == bo.user_id
    assert (bench["data_preparation_mlcube"], bench["reference_model"],
            bench["data_evaluator_mlcube"]) == (prep["id"], ref["id"], evaluator["id"])
    assert bench["metadata"]["skip_compatibility_tests"] is True

    # a pending benchmark takes no association requests, not even from its owner
    early = bo.run("model", "associate", "-b", b, "-m", str(ref["id"]), "-y")
    assert early.returncode == 3, early.stderr
    assert "only on an approved benchmark" in early.stderr
    assert bo.json("association", "ls", "-b", "-m") == []

    # ---- 3. Only a platform admin approves it ---------------------------------------------
    r = bo.run("benchmark", "approve", "-y", "-b", b)
    assert r.returncode == 4, r.stderr
    assert "medperf: error: only a platform admin may approve" in r.stderr
    assert bo.json("benchmark", "view", b)["approval_status"] == "PENDING"

    r = admin.run("benchmark", "approve", "-y", "-b", b, check=True)
    assert "APPROVED" in r.stdout
    assert api_admin.get(f"/benchmarks/{b}/").json()["approval_status"] == "APPROVED"
    assert api_admin.get(f"/benchmarks/{b}/").json()["approved_at"] is not None

    listed = {i["id"]: i for i in mo.json("benchmark", "ls")}
    assert listed[bench["id"]]["approval_status"] == "APPROVED"
    table = mo.run("benchmark", "ls", check=True).stdout
    row = next(line for line in table.splitlines() if "flow-benchmark" in line)
    assert "APPROVED" in row and "OPERATION" in row

    # ---- 4. The model owner (mo) registers a model and asks the benchmark to take it ------
    mo_cfg = write(str(tmp_path / "mo" / "container_config.yaml"),
                   MODEL_CONFIG.format(which="challenger"))
    model = mo.json("model", "submit", "-n", "flow-challenger", "-m", mo_cfg,
                    "--image-hash", MODEL_IMAGE_HASH, "--operational", "-y")
    m = str(model["id"])
    assert model["owner"] == mo.user_id and model["type"] == "CONTAINER"
    assert model["state"] == "OPERATION"
    assert ids(mo.json("model", "ls", "--mine")) == {model["id"]}

    assoc = mo.json("model", "associate", "-b", b, "-m", m, "-y")
    assert (assoc["model"], assoc["benchmark"]) == (model["id"], bench["id"])
    assert assoc["approval_status"] == "PENDING"
    assert assoc["initiated_by"] == mo.user_id

    pending = mo.json("association", "ls", "-b", "-m")
    assert [(a["model"], a["benchmark"], a["approval_status"]) for a in pending] == \
        [(model["id"], bench["id"], "PENDING")]
    # the committee sees the same request, pending
    theirs = bo.json("association", "ls", "-b", "-m", "--approval-status", "pending")
    assert (model["id"], bench["id"]) in {(a["model"], a["benchmark"]) for a in theirs}

    # ---- 5. The committee approves the association ----------------------------------------
    bo.run("association", "approve", "-y", "-b", b, "-m", m, check=True)
    rows = api_admin.get(f"/benchmarks/{b}/models/").json()["results"]
    assert {(x["model"], x["approval_status"]) for x in rows} >= {(model["id"], "APPROVED")}

    approved = mo.json("association", "ls", "-b", "-m")
    assert [(a["model"], a["benchmark"], a["approval_status"]) for a in approved] == \
        [(model["id"], bench["id"], "APPROVED")]
    assert mo.json("association", "ls", "-b", "-m", "--approval-status", "pending") == []
    table = mo.run("association", "ls", "-b", "-m", check=True).stdout
    row = next(line for line in table.splitlines() if line.split()[:2] == [m, b])
    assert row.split()[-1] == "APPROVED"

    # ---- 6. The data owner (do) registers a dataset for the benchmark ---------------------
    data = tmp_path / "do" / "data"
    labels = tmp_path / "do" / "labels"
    for d in (data, labels):
        d.mkdir(parents=True)
    (data / "case1.nii").write_bytes(b"\x00\x01image-one")
    (data / "case2.nii").write_bytes(b"\x00\x02image-two")
    (labels / "labels.csv").write_text("case1,0\ncase2,1\n")
    ds = do.json("dataset", "submit", "-b", b, "-d", str(data), "-l", str(labels),
                 "--name", "flow-dataset", "--description", "two cases",
                 "--location", "site A", "-y")
    d = str(ds["id"])
    assert ds["owner"] == do.user_id
    assert ds["data_preparation_mlcube"] == prep["id"]      # the benchmark's, via -b
    assert ds["state"] == "DEVELOPMENT" and ds["submitted_as_prepared"] is False
    # MedPerf's folder hash: the sorted SHA-256 digests of every file, concatenated
    digests = sorted(hashlib.sha256(p.read_bytes()).hexdigest()
                     for p in (data / "case1.nii", data / "case2.nii", labels / "labels.csv"))
    assert ds["input_data_hash"] == hashlib.sha256("".join(digests).encode()).hexdigest()
    assert ds["generated_uid"] == ds["input_data_hash"]

    seen = do.json("dataset", "view", d)
    assert (seen["name"], seen["description"], seen["location"]) == \
        ("flow-dataset", "two cases", "site A")
    assert ids(do.json("dataset", "ls", "--mine")) == {ds["id"]}
    # the committee owns the preparation container, so it sees the dataset through it
    assert ds["id"] in ids(bo.json("dataset", "ls", "-m", str(prep["id"])))
    raw = os.path.join(do.home, ".medperf", "data", srv.url.split("//")[1]
                       .replace(".", "_").replace(":", "_"), d, "raw.yaml")
    with open(raw) as f:
        text = f.read()
    assert str(data) in text and str(labels) in text

    # ---- 7. The server holds exactly that ---------------------------------------------------
    b_api = api_admin.get(f"/benchmarks/{b}/").json()
    assert (b_api["owner"], b_api["approval_status"], b_api["state"]) == \
        (bo.user_id, "APPROVED", "OPERATION")
    m_api = api_admin.get(f"/models/{m}/").json()
    assert m_api["owner"] == mo.user_id
    d_api = api_admin.get(f"/datasets/{d}/").json()
    assert (d_api["owner"], d_api["data_preparation_mlcube"]) == (do.user_id, prep["id"])
    assert d_api["input_data_hash"] == ds["input_data_hash"]
    owners = {u: c.user_id for u, c in (("bo", bo), ("mo", mo), ("do", do), ("admin", admin))}
    assert len(set(owners.values())) == 4, owners


@pytest.mark.parametrize("role", ["mo", "do"])
def test_only_an_admin_approves_or_rejects_a_benchmark(cli, srv, role):
    """A model or data owner cannot reject the committee's benchmark (exit 4), and it
    stays as it was."""
    admin = srv.user("admin", admin=True)
    found = [x for x in cli("bo").json("benchmark", "ls", "--mine")
             if x["name"] == "flow-benchmark"]
    assert found, "the flow test registers flow-benchmark first"
    b = str(found[0]["id"])
    before = admin.get(f"/benchmarks/{b}/").json()["approval_status"]
    for action in ("reject", "approve"):
        r = cli(role).run("benchmark", action, "-y", "-b", b)
        assert r.returncode == 4, (r.returncode, r.stderr)
        assert "medperf: error: only a platform admin may approve or reject" in r.stderr
    assert admin.get(f"/benchmarks/{b}/").json()["approval_status"] == before


def test_image_hash_as_given(cli, srv, tmp_path):
    """A DockerImage's --image-hash (a registry digest, "sha256:" and 64 hex digits, 71
    characters) is registered exactly as given, not cut short."""
    digest = "sha256:" + "0123456789abcdef" * 4
    cfg = write(str(tmp_path / "container_config.yaml"), f"""\
container_type: DockerImage
image: docker.io/mlcommons/digest-check:0.0.1
tasks:
  sanity_check:
    input_volumes:
      data_path: {volume("/mlcommons/volumes/data")}
""")
    c = cli("bo")
    got = c.json("container", "submit", "-n", "digest-as-given", "-m", cfg,
                 "--image-hash", digest, "-y")
    assert got["image_hash"] == digest
    assert srv.user("bo").get(f"/mlcubes/{got['id']}/").json()["image_hash"] == digest
