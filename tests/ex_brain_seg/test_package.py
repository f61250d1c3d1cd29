"""The brain segmentation example's package script: byte-reproducible archives
(sorted entries, mtime 0, owner 0:0, modes 0755/0644, gzip without time stamp),
container configs that use only the mount keys MedPerf gives each task (reference
3.2) under /mlcommons/volumes and that medperf itself accepts, a demo tarball with
its paths.yaml, and an index whose digests are the files'."""
import hashlib
import os
import subprocess
import tarfile

import pytest
import yaml

from conftest import EXAMPLE, MODELS, PYTHON, script

# reference 3.2: the mount keys MedPerf supplies to each task
KEYS = {
    "prepare": ({"data_path", "labels_path", "parameters_file", "additional_files"},
                {"output_path", "output_labels_path", "metadata_path", "report_file"}),
    "sanity_check": ({"data_path", "labels_path", "metadata_path", "parameters_file",
                      "additional_files"}, set()),
    "statistics": ({"data_path", "labels_path", "metadata_path", "parameters_file",
                    "additional_files"}, {"output_path"}),
    "infer": ({"data_path", "parameters_file", "additional_files"}, {"output_path"}),
    "evaluate": ({"predictions", "labels", "parameters_file", "additional_files"},
                 {"output_path", "local_outputs_path"}),
}
ROLE_TASKS = {"prep": {"prepare", "sanity_check", "statistics"}, "metrics": {"evaluate"},
              **{m: {"infer"} for m in MODELS}}


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def archives(out, index):
    return [os.path.join(out, c["image"]) for c in index["containers"].values()] + \
        [os.path.join(out, index["demo"]["tarball"])]


def test_archives_are_byte_reproducible(packaged, build, base_dir):
    out, index = packaged
    again = os.path.join(base_dir, "package-again")
    script("package", build, again)
    for a, b in zip(archives(out, index), archives(again, index)):
        assert sha256(a) == sha256(b), f"{a} and {b} differ"
    with open(os.path.join(out, "index.yaml")) as f1, open(os.path.join(again, "index.yaml")) as f2:
        assert f1.read() == f2.read()


def test_archive_entries_are_normalised(packaged):
    out, index = packaged
    for path in archives(out, index):
        with open(path, "rb") as f:
            head = f.read(10)
        assert head[:3] == b"\x1f\x8b\x08" and head[3] == 0 and head[4:8] == b"\0\0\0\0", \
            f"{path}: gzip header with a name or a time stamp"
        with tarfile.open(path) as tar:
            members = tar.getmembers()
        names = [m.name for m in members]
        assert names == sorted(names)
        for m in members:
            assert (m.mtime, m.uid, m.gid) == (0, 0, 0), m.name
            assert m.isdir() or m.isfile(), m.name
            assert m.mode == (0o755 if m.isdir() or m.name.startswith("bin/") else 0o644), m.name
            assert not m.name.startswith("/") and ".." not in m.name.split("/")


def test_index_digests_and_program_trees(packaged):
    out, index = packaged
    assert index["reference_model"] == "model-gauss"
    assert index["models"] == ["model-thresholds", "model-nearest-mean"]
    for role, c in index["containers"].items():
        assert sha256(os.path.join(out, c["image"])) == c["image_sha256"]
        with tarfile.open(os.path.join(out, c["image"])) as tar:
            files = sorted(m.name for m in tar.getmembers() if m.isfile())
        want = {"prep": ["bin/brainseg-prep"],
                "metrics": ["bin/medperf-metrics"]}.get(
            role, ["bin/brainseg-infer", f"weights/{role[len('model-'):]}.txt"])
        assert files == want
    assert sha256(os.path.join(out, index["demo"]["tarball"])) == index["demo"]["sha256"]
    for site, d in index["datasets"].items():
        for key in ("data_path", "labels_path"):
            assert len(os.listdir(os.path.join(out, d[key]))) == d["cases"] == 3


def test_demo_tarball_has_paths_yaml(packaged):
    out, index = packaged
    with tarfile.open(os.path.join(out, index["demo"]["tarball"])) as tar:
        names = tar.getnames()
        paths = yaml.safe_load(tar.extractfile("paths.yaml"))
    assert paths == {"data_path": "data", "labels_path": "labels"}
    assert sorted(n for n in names if n.startswith("data/")) == ["data/demo01.nii.gz",
                                                                "data/demo02.nii.gz"]
    assert sorted(n for n in names if n.startswith("labels/")) == ["labels/demo01.nii.gz",
                                                                  "labels/demo02.nii.gz"]


@pytest.mark.parametrize("role", list(ROLE_TASKS))
def test_configs_use_medperfs_mount_keys(packaged, role):
    out, index = packaged
    with open(os.path.join(out, index["containers"][role]["config"])) as f:
        cfg = yaml.safe_load(f)
    assert cfg["container_type"] == "NativeArchive" and cfg["image"] == f"{role}.tar.gz"
    assert set(cfg["tasks"]) == ROLE_TASKS[role]
    for name, t in cfg["tasks"].items():
        ins, outs = KEYS[name]
        assert set(t["input_volumes"]) <= ins
        assert set(t.get("output_volumes", {})) <= outs
        volumes = list(t["input_volumes"].values()) + list(t.get("output_volumes", {}).values())
        for v in volumes:
            assert v["mount_path"].startswith("/mlcommons/volumes/")
            assert v["type"] in ("file", "directory")
        command = t["run_args"]["command"]
        assert command[0].startswith("./bin/")
        for v in volumes:  # the program is told every path mounted for it
            assert v["mount_path"] in command, (name, v)
    with open(os.path.join(out, index["containers"][role]["parameters"])) as f:
        assert isinstance(yaml.safe_load(f), dict)


def test_configs_are_accepted_by_medperf(packaged, client, medperf_native):
    """run_test of a task that is not declared names the declared ones: the config
    itself was read without complaint (unknown keys, types, mount keys are refused)."""
    out, index = packaged
    for role in ROLE_TASKS:
        config = os.path.join(out, index["containers"][role]["config"])
        r = subprocess.run([client, "container", "run_test", "-m", config, "-t", "no_such_task",
                            "-q"], capture_output=True, text=True, env=medperf_native.env,
                           cwd=medperf_native.cwd, timeout=60)
        assert r.returncode != 0
        assert r.stderr.strip() == f"medperf: error: {config}: there is no task 'no_such_task'"


def test_package_refuses_a_build_without_the_programs(base_dir):
    empty = os.path.join(base_dir, "not-a-build")
    os.makedirs(os.path.join(empty, "meson-info"))
    with open(os.path.join(empty, "meson-info", "intro-projectinfo.json"), "w") as f:
        f.write('{"version": "0.1.0"}')
    r = subprocess.run([PYTHON, os.path.join(EXAMPLE, "package"), empty,
                        os.path.join(base_dir, "never")], capture_output=True, text=True)
    assert r.returncode == 1 and "no program at" in r.stderr and "brainseg-prep" in r.stderr
