"""clitools.py: what the tests of `medperf` share: checks of one command's
outcome (ok, failed, cells), MedPerf's local storage paths, small file
helpers, and container configurations that pass the client's checks."""
import hashlib
import os

from factory import sha


def ok(r):
    """r exited 0."""
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def failed(r, code, *parts):
    """r exited with code, one error line on stderr holding every part, nothing on stdout."""
    assert r.returncode == code, f"exit {r.returncode}, wanted {code}\n{r.stdout}\n{r.stderr}"
    assert "medperf: error: " in r.stderr, r.stderr
    for p in parts:
        assert p in r.stderr, f"{p!r} not in stderr:\n{r.stderr}"
    assert r.stdout == "", r.stdout
    return r


def cells(line):
    """The cells of one table line (columns are separated by two spaces or more)."""
    return [x.strip() for x in line.split("  ") if x.strip()]


def srv_dir(srv):
    """MedPerf's per-server folder name: the URL without its scheme, '.' and ':' -> '_'."""
    return srv.url.split("//", 1)[1].replace(".", "_").replace(":", "_")


def local_dir(c, kind, ident):
    """The local folder of an entity of user c (e.g. kind "benchmarks")."""
    return os.path.join(c.home, ".medperf", kind, srv_dir(c.srv), str(ident))


def local_file(c, kind, ident, name):
    return os.path.join(local_dir(c, kind, ident), name)


def write(path, data):
    """Writes text or bytes to path, making its folder; returns the path as a string."""
    folder = os.path.dirname(str(path))
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return str(path)


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def by_name(client, path, name):
    """Rows of path (a server list) with that name."""
    r = client.get(path, params={"name": name, "limit": 1000})
    assert r.status_code == 200, r.text
    return [x for x in r.json()["results"] if x["name"] == name]


def ihash():
    """A fresh DockerImage digest: the server wants (image hash, config, parameters,
    additional files hash) unique, so each submission gets its own."""
    return "sha256:" + sha()


PREP_CFG = """\
container_type: DockerImage
image: example/prep:1.0
tasks:
  prepare:
    run_args:
      command: python3 /project/prepare.py
    input_volumes:
      data_path: {mount_path: /mlcommons/volumes/raw_data, type: directory}
      labels_path: {mount_path: /mlcommons/volumes/raw_labels, type: directory}
      parameters_file: {mount_path: /mlcommons/volumes/parameters.yaml, type: file}
    output_volumes:
      output_path: {mount_path: /mlcommons/volumes/data, type: directory}
      output_labels_path: {mount_path: /mlcommons/volumes/labels, type: directory}
  sanity_check:
    input_volumes:
      data_path: {mount_path: /mlcommons/volumes/data, type: directory}
      labels_path: {mount_path: /mlcommons/volumes/labels, type: directory}
  statistics:
    input_volumes:
      data_path: {mount_path: /mlcommons/volumes/data, type: directory}
      labels_path: {mount_path: /mlcommons/volumes/labels, type: directory}
    output_volumes:
      output_path: {mount_path: /mlcommons/volumes/statistics.yaml, type: file}
"""

EVAL_TASKS = """\
tasks:
  evaluate:
    input_volumes:
      predictions: {mount_path: /mlcommons/volumes/predictions, type: directory}
      labels: {mount_path: /mlcommons/volumes/labels, type: directory}
    output_volumes:
      output_path: {mount_path: /mlcommons/volumes/results.yaml, type: file}
"""

INFER_TASKS = """\
tasks:
  infer:
    run_args:
      command: [python3, /project/infer.py]
      environment: {THREADS: "2"}
    input_volumes:
      data_path: {mount_path: /mlcommons/volumes/data, type: directory}
      additional_files: {mount_path: /mlcommons/volumes/additional_files, type: directory}
    output_volumes:
      output_path: {mount_path: /mlcommons/volumes/predictions, type: directory}
"""

INFER_CFG = "container_type: DockerImage\nimage: example/model:2\n" + INFER_TASKS
