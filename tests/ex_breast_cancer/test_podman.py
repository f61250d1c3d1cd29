"""The breast-cancer benchmark's OCI images on the podman platform: built offline by
package --oci (FROM scratch, --pull=never), each container's every task run through the
real `medperf container run_test --platform podman` on the demo tarball and hospital-b,
giving byte for byte the native platform's outputs; bad data refused there as well.
"""
import filecmp
import os
import shutil
import subprocess

import pytest
import yaml

from conftest import MODELS, make_pipeline

PODMAN_SITES = ["demo", "hospital-b"]


@pytest.fixture(scope="module")
def runs(medperf, package_oci, base_dir):
    med = medperf("podman")
    return {s: make_pipeline(med, package_oci, "oci", base_dir, s) for s in PODMAN_SITES}


def test_images_are_local_and_reproducible(package_oci):
    for role, c in package_oci.manifest["containers"].items():
        tag = c["oci"]["image"]
        assert tag == f"localhost/medperf-bc-{role}:{package_oci.version}"
        r = subprocess.run(["podman", "image", "inspect", "--format",
                            "{{.Id}} {{.Created.Unix}}", tag],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        image_id, created = r.stdout.split()
        assert image_id == c["oci"]["image_id"] and created == "0"
        with open(package_oci.config(role, "oci")) as f:
            cfg = yaml.safe_load(f)
        with open(package_oci.config(role)) as f:
            native = yaml.safe_load(f)
        assert cfg["container_type"] == "DockerImage" and cfg["image"] == tag
        assert cfg["tasks"] == native["tasks"], "the two forms run different commands"


@pytest.mark.parametrize("site", PODMAN_SITES)
def test_every_task_runs(runs, site):
    p = runs[site]
    keys = ["prepare", "sanity_check", "statistics"] + [f"infer-{m}" for m in MODELS] + \
        [f"evaluate-{m}" for m in MODELS]
    for key in keys:
        p.ran(key)


@pytest.mark.parametrize("site", PODMAN_SITES)
def test_outputs_equal_the_native_ones(runs, native_runs, site):
    p, n = runs[site], native_runs[site]
    for key in p.runs:
        p.ran(key)
    pairs = [(os.path.join(p.data, "features.csv"), os.path.join(n.data, "features.csv")),
             (os.path.join(p.labels, "labels.csv"), os.path.join(n.labels, "labels.csv")),
             (p.report, n.report), (p.stats, n.stats)]
    for m in MODELS:
        pairs.append((os.path.join(p.pred[m], "predictions.csv"),
                      os.path.join(n.pred[m], "predictions.csv")))
        pairs.append((p.results[m], n.results[m]))
    for a, b in pairs:
        assert os.path.getsize(a) > 0, a
        assert filecmp.cmp(a, b, shallow=False), f"{a} differs from {b}"
    for path in [p.data, p.labels, p.report, p.stats] + list(p.pred.values()):
        st = os.stat(path)
        assert (st.st_uid, st.st_gid) == (os.getuid(), os.getgid()), path


def test_bad_raw_data_refused(medperf, package_oci, native_runs, base_dir):
    d = os.path.join(base_dir, "podman-bad")
    data, labels = os.path.join(d, "data"), os.path.join(d, "labels")
    shutil.copytree(native_runs["hospital-b"].raw_data, data)
    shutil.copytree(native_runs["hospital-b"].raw_labels, labels)
    os.chmod(d, 0o755)
    path = os.path.join(labels, "diagnosis.csv")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("M,b-0002", "malignant,b-0002"))
    med = medperf("podman")
    run = med.run(package_oci.config("prep", "oci"), "prepare",
                  {"data_path": data, "labels_path": labels,
                   "output_path": os.path.join(d, "out"),
                   "output_labels_path": os.path.join(d, "out-labels"),
                   "report_file": os.path.join(d, "report.yaml")})
    run.failed("bc-prep: /mlcommons/volumes/raw_labels/diagnosis.csv:3: diagnosis of case "
               "'b-0002' is 'malignant', not M (malignant) or B (benign)")
    assert os.listdir(os.path.join(d, "out")) == []
    # prepared data whose labels lost a case
    pd, pl = os.path.join(d, "p-data"), os.path.join(d, "p-labels")
    shutil.copytree(native_runs["hospital-b"].data, pd)
    shutil.copytree(native_runs["hospital-b"].labels, pl)
    with open(os.path.join(pl, "labels.csv")) as f:
        lines = f.readlines()
    with open(os.path.join(pl, "labels.csv"), "w") as f:
        f.writelines(lines[:3] + lines[4:])
    run = med.run(package_oci.config("prep", "oci"), "sanity_check",
                  {"data_path": pd, "labels_path": pl})
    run.failed("bc-prep sanity_check: failed: /mlcommons/volumes/data/features.csv: 1 case "
               "without a label in /mlcommons/volumes/labels/labels.csv: 'b-0003'")
