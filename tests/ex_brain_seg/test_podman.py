"""The brain segmentation example on podman: every task of every container, with the
OCI images the package script builds offline (FROM scratch: the programs, their shared
libraries and the loader), through the real `medperf container run_test --platform
podman`, on hospital B's raw data. Each output is byte for byte what the native
platform wrote from the same data, and the Dice per tissue is numpy's."""
import filecmp
import os

import numpy as np
import pytest

import checks
from conftest import MODELS, TISSUES

SITE = "hospital-b"


@pytest.fixture(scope="module")
def runs(pipeline):
    return pipeline("podman", SITE), pipeline("native", SITE)


def same_files(a, b):
    names = sorted(os.listdir(a))
    assert names == sorted(os.listdir(b)) and names
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert not mismatch and not errors, (mismatch, errors)


def test_images_are_local_and_from_scratch(oci):
    import subprocess
    out, index = oci
    for role, entry in index["containers"].items():
        r = subprocess.run(["podman", "image", "inspect", "--format",
                            "{{.Id}} {{len .RootFS.Layers}} {{.Config.WorkingDir}}",
                            entry["oci_image"]], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        image_id, layers, workdir = r.stdout.split()
        assert image_id == entry["oci_image_id"] and layers == "1" and workdir == "/project"
        assert entry["oci_image"].startswith("localhost/medperf-brain-")


def test_prepare_sanity_check_statistics(runs):
    pod, native = runs
    for task in ("prepare", "sanity_check", "statistics"):
        pod.run(task)
    same_files(pod.data, native.data)
    same_files(pod.labels, native.labels)
    assert filecmp.cmp(pod.statistics, native.statistics, shallow=False)


@pytest.mark.parametrize("model", MODELS)
def test_infer_and_evaluate(runs, model):
    pod, native = runs
    pod.run(f"infer {model}")
    pod.run(f"evaluate {model}")
    native.run(f"infer {model}")
    native.run(f"evaluate {model}")
    same_files(pod.predictions[model], native.predictions[model])
    assert filecmp.cmp(pod.results[model], native.results[model], shallow=False)
    res = checks.load_yaml(pod.results[model])
    for tissue, values in checks.dice_table(pod.predictions[model], pod.labels).items():
        assert abs(res["summary"][tissue]["dice"]["mean"] - np.mean(values)) <= 1e-12
