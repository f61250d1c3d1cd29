"""test_cli_containers.py: `medperf container` (and its alias `mlcube`)
against a real server: submit with each kind of image, parameters and
additional files, the checks of container_config.yaml (each with the file and
line it names), encrypted images and their keys, a container with an `infer`
task registered as a model, ls/view and pagination. The server's state is
read back through the API after each command. (`medperf model`:
test_cli_models.py.)
"""
import hashlib
import io
import json
import os
import stat
import tarfile

import pytest
import yaml

from factory import uniq
from clitools import (by_name, EVAL_TASKS, failed, ihash, INFER_CFG, local_file,
                      ok, PREP_CFG, sha256_file, write)


# ---------------------------------------------------------------- helpers

def all_rows(client, path, **params):
    """Every row of a server list, following `next` (pages of 10)."""
    rows, url, query = [], path, dict(params, limit=10)
    for _ in range(1000):
        r = client.get(url, params=query)
        assert r.status_code == 200, r.text
        rows += r.json()["results"]
        url, query = r.json()["next"], None
        if not url:
            return rows
    raise AssertionError("too many pages")


def make_tarball(path, files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return write(path, buf.getvalue())


# ---------------------------------------------------------------- container submit: success

def test_submit_docker_image_with_parameters(cli, srv, tmp_path):
    c = cli("cowner")
    H = ihash()
    cfg = write(tmp_path / "container_config.yaml", PREP_CFG)
    params = write(tmp_path / "parameters.yaml", """\
# the container's parameters
labels_list: [a, b, c]
image_output_size: [28, 28, 1]
threshold: 0.5
big: 12345678901
negative: -3
use_gpu: false
strict: yes
name: "quoted: text"
nested:
  level1:
    level2: {k: v, n: 7}
  empty_map: {}
  empty_list: []
  nothing: null
""")
    name = uniq("prep")
    r = ok(c.run("container", "submit", "-n", name, "-m", cfg, "-p", params,
                 "--image-hash", H, "-y"))
    rows = by_name(srv.user("cowner"), "/mlcubes/", name)
    assert len(rows) == 1
    cube = rows[0]
    assert r.stdout == f"Registered container {cube['id']} '{name}'\n"
    assert cube["owner"] == c.user_id
    assert cube["state"] == "DEVELOPMENT"
    assert cube["image_hash"] == H
    assert cube["additional_files_tarball_url"] == ""
    assert cube["additional_files_tarball_hash"] == ""
    assert cube["container_config"] == yaml.safe_load(PREP_CFG)
    assert cube["parameters_config"] == {
        "labels_list": ["a", "b", "c"], "image_output_size": [28, 28, 1], "threshold": 0.5,
        "big": 12345678901, "negative": -3, "use_gpu": False, "strict": True,
        "name": "quoted: text",
        "nested": {"level1": {"level2": {"k": "v", "n": 7}}, "empty_map": {}, "empty_list": [],
                   "nothing": None}}
    assert isinstance(cube["parameters_config"]["threshold"], float)
    assert isinstance(cube["parameters_config"]["big"], int)
    # the local copy: cubes/<srv>/<id>/mlcube-meta.yaml, the server's record
    meta = local_file(c, "cubes", cube["id"], "mlcube-meta.yaml")
    with open(meta) as fh:
        saved = yaml.safe_load(fh)
    assert saved["id"] == cube["id"] and saved["name"] == name
    assert saved["image_hash"] == H
    assert saved["parameters_config"] == cube["parameters_config"]
    assert saved["container_config"] == cube["container_config"]
    # what the server holds is what `container view` shows
    assert c.json("container", "view", str(cube["id"])) == cube


def test_submit_operational_and_mlcube_alias(cli, srv, tmp_path):
    c = cli("cowner")
    cfg = write(tmp_path / "c.yaml", "container_type: DockerImage\nimage: example/eval:1\n"
                + EVAL_TASKS)
    name = uniq("eval")
    ok(c.run("mlcube", "submit", "-n", name, "-m", cfg, "--image-hash", ihash(), "--operational",
             "-y"))
    cube = by_name(srv.user("cowner"), "/mlcubes/", name)[0]
    assert cube["state"] == "OPERATION"
    # without -p nothing was given: the parameters are an empty mapping
    assert cube["parameters_config"] == {}
    listed = c.json("mlcube", "ls")
    assert listed == c.json("container", "ls")
    assert cube["id"] in [x["id"] for x in listed]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_parameters_file_gives_empty_mapping(cli, srv, tmp_path, text):
    c = cli("cowner")
    cfg = write(tmp_path / "c.yaml", PREP_CFG)
    params = write(tmp_path / "p.yaml", text)
    name = uniq("emptyp")
    ok(c.run("container", "submit", "-n", name, "-m", cfg, "-p", params, "--image-hash", ihash(),
             "-y"))
    assert by_name(srv.user("cowner"), "/mlcubes/", name)[0]["parameters_config"] == {}


def test_parameters_not_a_mapping(cli, srv, tmp_path):
    c = cli("cowner")
    cfg = write(tmp_path / "c.yaml", PREP_CFG)
    params = write(tmp_path / "p.yaml", "- a\n- b\n")
    name = uniq("listp")
    r = c.run("container", "submit", "-n", name, "-m", cfg, "-p", params, "--image-hash", ihash(),
              "-y")
    failed(r, 1, params)
    assert by_name(srv.user("cowner"), "/mlcubes/", name) == []


def test_docker_archive_local_image_is_hashed(cli, srv, tmp_path):
    c = cli("cowner")
    image = write(tmp_path / "image.tar", os.urandom(300_000))
    cfg = write(tmp_path / "c.yaml", f"container_type: DockerArchive\nimage: {image}\n"
                + EVAL_TASKS)
    name = uniq("archive")
    ok(c.run("container", "submit", "-n", name, "-m", cfg, "-y"))
    cube = by_name(srv.user("cowner"), "/mlcubes/", name)[0]
    assert cube["image_hash"] == hashlib.sha256(open(image, "rb").read()).hexdigest()
    assert cube["container_config"]["image"] == image
    # the right hash given as --image-hash is accepted, a wrong one refused (6)
    name2 = uniq("archive")
    params = write(tmp_path / "p.yaml", "variant: 2\n")  # (hash, config, parameters) are unique
    ok(c.run("container", "submit", "-n", name2, "-m", cfg, "-p", params,
             "--image-hash", cube["image_hash"], "-y"))
    assert by_name(srv.user("cowner"), "/mlcubes/", name2)[0]["image_hash"] == cube["image_hash"]
    name3 = uniq("archive")
    r = c.run("container", "submit", "-n", name3, "-m", cfg, "--image-hash", "0" * 64, "-y")
    failed(r, 6, "0" * 64, cube["image_hash"])
    assert by_name(srv.user("cowner"), "/mlcubes/", name3) == []


def test_docker_archive_missing_local_image(cli, srv, tmp_path):
    c = cli("cowner")
    missing = str(tmp_path / "nope.tar")
    cfg = write(tmp_path / "c.yaml", f"container_type: DockerArchive\nimage: {missing}\n"
                + EVAL_TASKS)
    name = uniq("noimg")
    failed(c.run("container", "submit", "-n", name, "-m", cfg, "-y"), 1, missing)
    assert by_name(srv.user("cowner"), "/mlcubes/", name) == []


def test_docker_archive_image_url_is_downloaded_into_cache(cli, srv, tmp_path, web):
    c = cli("cowner")
    root, base, _ = web
    data = os.urandom(200_000)
    write(os.path.join(root, "img-archive.tar"), data)
    want = hashlib.sha256(data).hexdigest()
    cfg = write(tmp_path / "c.yaml", f"container_type: DockerArchive\n"
                f"image: {base}/img-archive.tar\n" + EVAL_TASKS)
    name = uniq("urlimg")
    ok(c.run("container", "submit", "-n", name, "-m", cfg, "-y"))
    assert by_name(srv.user("cowner"), "/mlcubes/", name)[0]["image_hash"] == want
    cached = os.path.join(c.home, ".medperf", ".hashed_files", want)
    assert open(cached, "rb").read() == data


def test_additional_files_local_tarball(cli, srv, tmp_path):
    c = cli("cowner")
    tarball = make_tarball(tmp_path / "weights.tar.gz", {"weights/weight.txt": b"3\n"})
    h = sha256_file(tarball)
    cfg = write(tmp_path / "c.yaml", PREP_CFG)
    # without --additional-hash: the hash is computed and stored
    name = uniq("addf")
    ok(c.run("container", "submit", "-n", name, "-m", cfg, "--image-hash", ihash(), "-a", tarball,
             "-y"))
    cube = by_name(srv.user("cowner"), "/mlcubes/", name)[0]
    assert cube["additional_files_tarball_hash"] == h
    assert cube["additional_files_tarball_url"] == tarball
    # a matching --additional-hash
    name = uniq("addf")
    ok(c.run("container", "submit", "-n", name, "-m", cfg, "--image-hash", ihash(), "-a", tarball,
             "--additional-hash", h, "-y"))
    assert by_name(srv.user("cowner"), "/mlcubes/", name)[0]["additional_files_tarball_hash"] == h
    # a wrong one: exit 6, both hashes said, nothing registered
    name = uniq("addf")
    bad = "1" * 64
    r = c.run("container", "submit", "-n", name, "-m", cfg, "--image-hash", ihash(), "-a", tarball,
              "--additional-hash", bad, "-y")
    failed(r, 6, bad, h)
    assert by_name(srv.user("cowner"), "/mlcubes/", name) == []


def test_additional_files_url(cli, srv, tmp_path, web):
    c = cli("cowner")
    root, base, _ = web
    tarball = make_tarball(os.path.join(root, "add.tar.gz"), {"w.bin": os.urandom(5000)})
    h = sha256_file(tarball)
    cfg = write(tmp_path / "c.yaml", PREP_CFG)
    name = uniq("addurl")
    ok(c.run("container", "submit", "-n", name, "-m", cfg, "--image-hash", ihash(),
             "-a", f"{base}/add.tar.gz", "--additional-hash", h, "-y"))
    cube = by_name(srv.user("cowner"), "/mlcubes/", name)[0]
    assert cube["additional_files_tarball_url"] == f"{base}/add.tar.gz"
    assert cube["additional_files_tarball_hash"] == h
    name = uniq("addurl")
    r = c.run("container", "submit", "-n", name, "-m", cfg, "--image-hash", ihash(),
              "-a", f"{base}/add.tar.gz", "--additional-hash", "2" * 64, "-y")
    failed(r, 6, "2" * 64)
    assert by_name(srv.user("cowner"), "/mlcubes/", name) == []


def test_additional_hash_without_file(cli, srv, tmp_path):
    c = cli("cowner")
    cfg = write(tmp_path / "c.yaml", PREP_CFG)
    name = uniq("addh")
    r = c.run("container", "submit", "-n", name, "-m", cfg, "--image-hash", ihash(),
              "--additional-hash", "3" * 64, "-y")
    failed(r, 2, "--additional-file")
    assert by_name(srv.user("cowner"), "/mlcubes/", name) == []


def test_without_yes_and_terminal_nothing_is_sent(cli, srv, tmp_path):
    c = cli("cowner")
    cfg = write(tmp_path / "c.yaml", PREP_CFG)
    name = uniq("noyes")
    r = c.run("container", "submit", "-n", name, "-m", cfg, "--image-hash", ihash())
    assert r.returncode == 7, r.stderr
    assert name in r.stderr            # what would be sent is shown
    assert "[y/N]" in r.stderr
    assert r.stdout == ""
    assert by_name(srv.user("cowner"), "/mlcubes/", name) == []


def test_duplicate_name_is_refused_by_the_server(cli, srv, tmp_path):
    c = cli("cowner")
    H = ihash()
    cfg = write(tmp_path / "c.yaml", PREP_CFG)
    name = uniq("dup")
    ok(c.run("container", "submit", "-n", name, "-m", cfg, "--image-hash", H, "-y"))
    r = c.run("container", "submit", "-n", name, "-m", cfg, "--image-hash", "sha256:" + "cd" * 32,
              "-y")
    failed(r, 3, "ml cube with this name already exists")
    rows = by_name(srv.user("cowner"), "/mlcubes/", name)
    assert len(rows) == 1 and rows[0]["image_hash"] == H


def test_missing_options_and_files(cli, srv, tmp_path):
    c = cli("cowner")
    cfg = write(tmp_path / "c.yaml", PREP_CFG)
    r = c.run("container", "submit", "-m", cfg, "--image-hash", ihash(), "-y")
    assert r.returncode == 2 and "--name" in r.stderr, r.stderr
    r = c.run("container", "submit", "-n", uniq("x"), "--image-hash", ihash(), "-y")
    assert r.returncode == 2 and "--container-config-file" in r.stderr, r.stderr
    missing = str(tmp_path / "absent.yaml")
    failed(c.run("container", "submit", "-n", uniq("x"), "-m", missing, "--image-hash", ihash(),
                 "-y"), 1, missing)
    failed(c.run("container", "submit", "-n", uniq("x"), "-m", cfg, "-p", missing,
                 "--image-hash", ihash(), "-y"), 1, missing)


def test_docker_image_without_image_hash(cli, srv, tmp_path):
    c = cli("cowner")
    cfg = write(tmp_path / "c.yaml", PREP_CFG)
    name = uniq("nohash")
    failed(c.run("container", "submit", "-n", name, "-m", cfg, "-y"), 2, "--image-hash")
    assert by_name(srv.user("cowner"), "/mlcubes/", name) == []


# ---------------------------------------------------------------- container_config.yaml checks

def test_invalid_yaml_names_file_line_column(cli, srv, tmp_path):
    c = cli("cowner")
    cfg = write(tmp_path / "bad.yaml", "container_type: DockerImage\nimage: [example/x\n"
                "tasks: {}\n")
    name = uniq("badyaml")
    r = c.run("container", "submit", "-n", name, "-m", cfg, "--image-hash", ihash(), "-y")
    failed(r, 1, f"{cfg}:3:6:")
    assert by_name(srv.user("cowner"), "/mlcubes/", name) == []


def test_invalid_yaml_tab_indentation(cli, srv, tmp_path):
    c = cli("cowner")
    cfg = write(tmp_path / "tab.yaml", "container_type: DockerImage\nimage: x\ntasks:\n"
                "\tinfer: {}\n")
    r = c.run("container", "submit", "-n", uniq("tab"), "-m", cfg, "--image-hash", ihash(), "-y")
    failed(r, 1, f"{cfg}:4:")


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing here\n"])
def test_empty_config_file(cli, srv, tmp_path, text):
    c = cli("cowner")
    cfg = write(tmp_path / "empty.yaml", text)
    name = uniq("empty")
    r = c.run("container", "submit", "-n", name, "-m", cfg, "--image-hash", ihash(), "-y")
    failed(r, 1, cfg, "empty")
    assert by_name(srv.user("cowner"), "/mlcubes/", name) == []


HEAD = "container_type: DockerImage\nimage: example/x:1\ntasks:\n"

# (id, config text, the line the message must name, a part of the message)
CONFIG_ERRORS = [
    ("unknown-top-key", "container_type: DockerImage\nimage: x\nplatform: docker\ntasks:\n"
     "  infer: {}\n", 3, "platform"),
    ("missing-image", "container_type: DockerImage\ntasks:\n  evaluate:\n    output_volumes:\n"
     "      output_path: {mount_path: /o, type: file}\n", 1, "image"),
    ("missing-tasks", "container_type: DockerImage\nimage: example/x:1\n", 1, "tasks"),
    ("bad-container-type", "image: x\ncontainer_type: mlcube\ntasks:\n  evaluate: {}\n", 2,
     "container_type"),
    ("missing-container-type", "image: example/x:1\n" + EVAL_TASKS, 1, "container_type"),
    ("volume-without-mount-path", HEAD + "  prepare:\n    input_volumes:\n"
     "      data_path: {type: directory}\n", 6, "mount_path"),
    ("volume-without-type", HEAD + "  prepare:\n    input_volumes:\n"
     "      data_path:\n        mount_path: /d\n", 6, "type"),
    ("mount-path-not-a-string", HEAD + "  prepare:\n    input_volumes:\n"
     "      data_path:\n        type: directory\n        mount_path: [/d]\n", 8,
     "mount_path must be a string"),
    ("type-not-a-string", HEAD + "  prepare:\n    input_volumes:\n"
     "      data_path:\n        type: {a: 1}\n        mount_path: /d\n", 7,
     "type must be a string"),
    ("volume-bad-type", HEAD + "  prepare:\n    input_volumes:\n"
     "      data_path:\n        mount_path: /d\n        type: socket\n", 6, "socket"),
    ("relative-mount-path", HEAD + "  evaluate:\n    input_volumes:\n"
     "      predictions: {mount_path: /p, type: directory}\n"
     "      labels: {mount_path: relative/labels, type: directory}\n"
     "    output_volumes:\n      output_path: {mount_path: /o, type: file}\n", 7,
     "relative/labels"),
    ("unknown-run-args-key", HEAD + "  infer:\n    run_args:\n      command: run\n"
     "      privileged: true\n    output_volumes:\n"
     "      output_path: {mount_path: /o, type: directory}\n", 7, "privileged"),
    ("infer-with-labels", HEAD + "  infer:\n    input_volumes:\n"
     "      data_path: {mount_path: /d, type: directory}\n"
     "      labels_path: {mount_path: /l, type: directory}\n"
     "    output_volumes:\n      output_path: {mount_path: /o, type: directory}\n", 7,
     "labels_path"),
    ("infer-without-output", HEAD + "  infer:\n    input_volumes:\n"
     "      data_path: {mount_path: /d, type: directory}\n", 4, "output_path"),
    ("evaluate-unknown-output", HEAD + "  evaluate:\n    output_volumes:\n"
     "      output_path: {mount_path: /o, type: file}\n"
     "      predictions_copy: {mount_path: /c, type: directory}\n", 7, "predictions_copy"),
]


@pytest.mark.parametrize("text,line,part", [x[1:] for x in CONFIG_ERRORS],
                         ids=[x[0] for x in CONFIG_ERRORS])
def test_config_errors_name_the_line(cli, srv, tmp_path, text, line, part):
    c = cli("cowner")
    cfg = write(tmp_path / "container_config.yaml", text)
    name = uniq("badcfg")
    r = c.run("container", "submit", "-n", name, "-m", cfg, "--image-hash", ihash(), "-y")
    failed(r, 1, f"{cfg}:{line}: ", part)
    assert by_name(srv.user("cowner"), "/mlcubes/", name) == []
    assert by_name(srv.user("cowner"), "/models/", name) == []


def test_unknown_task_with_any_mounts_is_accepted(cli, srv, tmp_path):
    """Tasks MedPerf does not run (custom ones) are not held to the mount contract."""
    c = cli("cowner")
    cfg = write(tmp_path / "c.yaml", HEAD + "  my_tool:\n    input_volumes:\n"
                "      anything: {mount_path: /a, type: file}\n")
    name = uniq("custom")
    ok(c.run("container", "submit", "-n", name, "-m", cfg, "--image-hash", ihash(), "-y"))
    assert len(by_name(srv.user("cowner"), "/mlcubes/", name)) == 1


# ---------------------------------------------------------------- encrypted images

@pytest.mark.parametrize("ctype", ["EncryptedDockerArchive", "EncryptedSingularityFile"])
def test_encrypted_image_needs_key_and_keeps_it(cli, srv, tmp_path, ctype):
    c = cli("cowner")
    image = write(tmp_path / "private.gpg", os.urandom(4096))
    cfg = write(tmp_path / "c.yaml", f"container_type: {ctype}\nimage: {image}\n" + EVAL_TASKS)
    name = uniq("enc")
    r = c.run("container", "submit", "-n", name, "-m", cfg, "-y")
    failed(r, 2, ctype, "--decryption-key")
    assert by_name(srv.user("cowner"), "/mlcubes/", name) == []
    # a key that does not exist
    r = c.run("container", "submit", "-n", name, "-m", cfg, "-d", str(tmp_path / "nokey"), "-y")
    failed(r, 1, str(tmp_path / "nokey"))
    assert by_name(srv.user("cowner"), "/mlcubes/", name) == []
    key = write(tmp_path / "key.bin", b"passphrase-\x00\x01\xff-end")
    os.chmod(key, 0o644)
    ok(c.run("container", "submit", "-n", name, "-m", cfg, "-d", key, "-y"))
    cube = by_name(srv.user("cowner"), "/mlcubes/", name)[0]
    assert cube["image_hash"] == sha256_file(image)
    kept = os.path.join(c.config, ".container_keys", str(cube["id"]), "container.key")
    assert open(kept, "rb").read() == open(key, "rb").read()
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    # the key never goes to the server
    assert "passphrase" not in json.dumps(cube)


def test_key_for_a_plain_image_is_refused(cli, srv, tmp_path):
    c = cli("plainkey")
    key = write(tmp_path / "key.bin", "k")
    cfg = write(tmp_path / "c.yaml", PREP_CFG)
    name = uniq("plainkey")
    r = c.run("container", "submit", "-n", name, "-m", cfg, "--image-hash", ihash(), "-d", key, "-y")
    failed(r, 2, "DockerImage")
    assert by_name(srv.user("plainkey"), "/mlcubes/", name) == []
    assert not os.path.exists(os.path.join(c.config, ".container_keys"))


# ---------------------------------------------------------------- a container with infer is a model

def test_container_with_infer_registers_a_model(cli, srv, tmp_path):
    c = cli("mowner")
    H = ihash()
    cfg = write(tmp_path / "c.yaml", INFER_CFG)
    params = write(tmp_path / "p.yaml", "num_classes: 14\nbatch_size: 5\n")
    name = uniq("cnn")
    r = ok(c.run("container", "submit", "-n", name, "-m", cfg, "-p", params, "--image-hash", H,
                 "-y"))
    api = srv.user("mowner")
    models = by_name(api, "/models/", name)
    assert len(models) == 1
    model = models[0]
    assert model["type"] == "CONTAINER" and model["asset"] is None
    assert model["owner"] == c.user_id and model["state"] == "DEVELOPMENT"
    cube = model["container"]
    assert cube["name"] == name and cube["image_hash"] == H
    assert cube["parameters_config"] == {"num_classes": 14, "batch_size": 5}
    assert cube["container_config"] == yaml.safe_load(INFER_CFG)
    assert r.stdout == f"Registered model {model['id']} '{name}' with its container {cube['id']}\n"
    # both show in the lists
    assert model["id"] in [m["id"] for m in c.json("model", "ls")]
    assert cube["id"] in [x["id"] for x in c.json("container", "ls")]
    table = ok(c.run("model", "ls")).stdout
    line = [ln for ln in table.splitlines() if name in ln]
    assert len(line) == 1 and "CONTAINER" in line[0] and line[0].split()[0] == str(model["id"])
    # and the local copies
    with open(local_file(c, "models", model["id"], "model-info.yaml")) as fh:
        saved = yaml.safe_load(fh)
    assert saved["id"] == model["id"] and saved["container"]["id"] == cube["id"]
    with open(local_file(c, "cubes", cube["id"], "mlcube-meta.yaml")) as fh:
        assert yaml.safe_load(fh)["id"] == cube["id"]


# ---------------------------------------------------------------- ls / view

def test_container_ls_filters_and_table(cli, srv, tmp_path, f):
    c = cli("lister")
    cfg = write(tmp_path / "c.yaml", PREP_CFG)
    name = uniq("mine")
    ok(c.run("container", "submit", "-n", name, "-m", cfg, "--image-hash", ihash(), "-y"))
    other = f.mlcube(srv.user("someone-else"), state="DEVELOPMENT")
    mine = c.json("container", "ls", "--mine")
    assert [x["name"] for x in mine] == [name]
    assert [x["name"] for x in c.json("container", "ls", "--name", other["name"])] \
        == [other["name"]]
    everyone = [x["name"] for x in c.json("container", "ls")]
    assert name in everyone and other["name"] in everyone and "MedPerf CA" in everyone
    table = ok(c.run("container", "ls", "--mine")).stdout.splitlines()
    assert table[0].split() == ["UID", "Name", "State", "Registered"]
    assert table[1].split() == [str(mine[0]["id"]), name, "DEVELOPMENT", "True"]
    assert len(table) == 2


def test_container_view(cli, srv, tmp_path, f):
    c = cli("viewer")
    cube = f.mlcube(srv.user("viewer"), parameters_config={"x": [1, 2.5, "s"]})
    shown = yaml.safe_load(ok(c.run("container", "view", str(cube["id"]))).stdout)
    assert shown["id"] == cube["id"] and shown["parameters_config"] == {"x": [1, 2.5, "s"]}
    assert json.loads(ok(c.run("container", "view", str(cube["id"]), "-f", "json")).stdout) \
        == cube
    out = tmp_path / "cube.json"
    r = ok(c.run("container", "view", str(cube["id"]), "--json", "-o", str(out)))
    assert r.stdout == ""
    assert json.loads(out.read_text()) == cube
    failed(c.run("container", "view", "999999"), 3, "999999")
    failed(c.run("container", "view", "-f", "toml"), 2, "toml")


def test_container_ls_follows_pages(cli, srv, f):
    api = srv.user("pager")
    made = [f.mlcube(api)["id"] for _ in range(40)]
    c = cli("pager")
    everyone = c.json("container", "ls")
    ids = [x["id"] for x in everyone]
    assert len(ids) == len(set(ids))
    assert set(made) <= set(ids)
    # all of them, in the server's order (41 and more: two pages of the client's 32)
    assert len(ids) > 40
    assert ids == [x["id"] for x in all_rows(api, "/mlcubes/", is_valid="True")]
    mine = c.json("container", "ls", "--mine")
    assert sorted(x["id"] for x in mine) == sorted(made)


def test_not_logged_in(cli, tmp_path):
    c = cli.fresh("nobody")
    cfg = write(tmp_path / "c.yaml", PREP_CFG)
    failed(c.run("container", "ls"), 4)
    failed(c.run("container", "submit", "-n", "x", "-m", cfg, "--image-hash", ihash(), "-y"), 4)
    failed(c.run("model", "ls"), 4)
