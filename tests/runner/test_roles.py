"""Well-behaved tasks of each container role (reference §3.2), with MedPerf's
mount keys at MedPerf's usual mount paths, run one after the other as a site
would: prepare -> sanity_check -> statistics -> infer -> evaluate. Each exits
0, produces its outputs, and leaves them owned by medperf's user (root here)
on the host, whatever user the task ran as.
"""
import os
import tempfile

import pytest

from conftest import BIN, Home, Sandbox

V = "/mlcommons/volumes"
D, F = "directory", "file"
PARAMS = ("parameters_file", (f"{V}/parameters/parameters_file.yaml", F))
ADDITIONAL = ("additional_files", (f"{V}/additional_files", D))

ROLES = {
    "prepare": (
        dict([("data_path", (f"{V}/raw_data", D)), ("labels_path", (f"{V}/raw_labels", D)),
              PARAMS, ADDITIONAL]),
        {"output_path": (f"{V}/data", D), "output_labels_path": (f"{V}/labels", D),
         "metadata_path": (f"{V}/metadata", D), "report_file": (f"{V}/report/report.yaml", F)}),
    "sanity_check": (
        dict([("data_path", (f"{V}/data", D)), ("labels_path", (f"{V}/labels", D)),
              ("metadata_path", (f"{V}/metadata", D)), PARAMS, ADDITIONAL]),
        {}),
    "statistics": (
        dict([("data_path", (f"{V}/data", D)), ("labels_path", (f"{V}/labels", D)),
              ("metadata_path", (f"{V}/metadata", D)), PARAMS, ADDITIONAL]),
        {"output_path": (f"{V}/statistics/statistics.yaml", F)}),
    "infer": (
        dict([("data_path", (f"{V}/data", D)), PARAMS, ADDITIONAL]),
        {"output_path": (f"{V}/predictions", D)}),
    "evaluate": (
        dict([("predictions", (f"{V}/predictions", D)), ("labels", (f"{V}/labels", D)), PARAMS,
              ADDITIONAL]),
        {"output_path": (f"{V}/results/results.yaml", F),
         "local_outputs_path": (f"{V}/local_outputs", D)}),
}


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def owners(path):
    """(path, uid, gid) of path and everything under it."""
    found = [(path, os.lstat(path).st_uid, os.lstat(path).st_gid)]
    for dirpath, dirs, files in os.walk(path):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            found.append((p, st.st_uid, st.st_gid))
    return found


class Site:
    """One site's folders: raw data, prepared data, predictions, results."""

    def __init__(self, h):
        self.h = h
        p = h.path
        self.raw = p("raw", "data")
        self.raw_labels = p("raw", "labels")
        for i in (1, 2, 3):
            write(os.path.join(self.raw, f"case{i}.txt"), f"image {i}")
            write(os.path.join(self.raw_labels, f"case{i}.txt"), f"label {i}")
        for d in (p("raw"), self.raw, self.raw_labels):
            os.chmod(d, 0o755)
        self.params = p("parameters.yaml")
        write(self.params, "threshold: 0.5\n")
        self.additional = p("additional")
        write(os.path.join(self.additional, "weights.txt"), "w=42")
        os.chmod(self.additional, 0o755)
        self.mounts = {
            "prepare": {"data_path": self.raw, "labels_path": self.raw_labels,
                        "output_path": p("prepared", "data"),
                        "output_labels_path": p("prepared", "labels"),
                        "metadata_path": p("prepared", "metadata"),
                        "report_file": p("prepared", "report.yaml")},
        }
        prepared = {"data_path": p("prepared", "data"), "labels_path": p("prepared", "labels"),
                    "metadata_path": p("prepared", "metadata")}
        self.mounts["sanity_check"] = dict(prepared)
        self.mounts["statistics"] = dict(prepared, output_path=p("statistics.yaml"))
        self.mounts["infer"] = {"data_path": p("prepared", "data"),
                                "output_path": p("predictions")}
        self.mounts["evaluate"] = {"predictions": p("predictions"),
                                   "labels": p("prepared", "labels"),
                                   "output_path": p("results.yaml"),
                                   "local_outputs_path": p("local_outputs")}

    def run(self, sb, role):
        inputs, outputs = ROLES[role]
        return sb.run([BIN, "role", role], task=role, inputs=inputs, outputs=outputs,
                      mounts=self.mounts[role], args=["-p", self.params, "-a", self.additional])


@pytest.fixture(scope="module")
def site_runs(client, platform, image, base_dir):
    """The five roles, in a site's order, each on the previous one's outputs."""
    h = Home(tempfile.mkdtemp(prefix="site-", dir=base_dir))
    site = Site(h)
    sb = Sandbox(client, platform, image, h)
    runs = {}
    for role in ROLES:
        runs[role] = site.run(sb, role)
        if runs[role].rc != 0:
            break
    return site, runs, sb


def ran_ok(runs, role):
    assert role in runs, f"an earlier role failed: {[(r, x.rc) for r, x in runs.items()]}"
    run = runs[role]
    assert run.rc == 0, f"{role}: exit {run.rc}\n{run.stderr}\n{run.log}"
    assert run.stop == "exited" and run.report["exit_code"] == 0, run.report
    assert run.result("role")[0] == "ok"
    return run


def assert_root_owned(*paths):
    for path in paths:
        for p, uid, gid in owners(path):
            assert (uid, gid) == (0, 0), f"{p} is owned by {uid}:{gid} after the task"


def test_prepare(site_runs):
    site, runs, _ = site_runs
    ran_ok(runs, "prepare")
    m = site.mounts["prepare"]
    assert sorted(os.listdir(m["output_path"])) == [f"case{i}.txt.prepared" for i in (1, 2, 3)]
    with open(os.path.join(m["output_path"], "case2.txt.prepared")) as f:
        assert f.read() == "image 2 w=42\n"  # its input, its additional files
    assert sorted(os.listdir(m["output_labels_path"])) == [
        f"case{i}.txt.prepared" for i in (1, 2, 3)]
    with open(os.path.join(m["metadata_path"], "metadata.yaml")) as f:
        assert f.read() == 'cases: 3\nparameters: "threshold: 0.5"\n'  # and its parameters
    with open(m["report_file"]) as f:
        assert f.read() == "status: done\n"
    assert_root_owned(m["output_path"], m["output_labels_path"], m["metadata_path"],
                      m["report_file"])


def test_sanity_check(site_runs):
    ran_ok(site_runs[1], "sanity_check")


def test_statistics(site_runs):
    site, runs, _ = site_runs
    ran_ok(runs, "statistics")
    out = site.mounts["statistics"]["output_path"]
    with open(out) as f:
        assert f.read() == "num_cases: 3\n"
    assert_root_owned(out)


def test_infer(site_runs):
    site, runs, _ = site_runs
    ran_ok(runs, "infer")
    out = site.mounts["infer"]["output_path"]
    assert sorted(os.listdir(out)) == [f"case{i}.txt.prepared.pred" for i in (1, 2, 3)]
    assert_root_owned(out)


def test_evaluate(site_runs):
    site, runs, _ = site_runs
    ran_ok(runs, "evaluate")
    m = site.mounts["evaluate"]
    with open(m["output_path"]) as f:
        assert f.read() == 'predictions: 3\nlabels: 3\nweights: "w=42"\n'
    with open(os.path.join(m["local_outputs_path"], "details.txt")) as f:
        assert f.read() == "kept locally\n"
    assert_root_owned(m["output_path"], m["local_outputs_path"])


def test_inputs_untouched_by_the_roles(site_runs):
    site, runs, _ = site_runs
    assert all(r.rc == 0 for r in runs.values())
    assert sorted(os.listdir(site.raw)) == [f"case{i}.txt" for i in (1, 2, 3)]
    assert_root_owned(site.raw, site.raw_labels, site.additional, site.params)


def test_failing_sanity_check_is_reported(site_runs):
    """The control: a check that fails (no labels) exits non-zero and medperf says so."""
    site, runs, sb = site_runs
    empty = site.h.path("empty-labels")
    os.makedirs(empty)
    os.chmod(empty, 0o755)
    inputs, outputs = ROLES["sanity_check"]
    run = sb.run([BIN, "role", "sanity_check"], task="sanity_check", inputs=inputs,
                 outputs=outputs, mounts=dict(site.mounts["sanity_check"], labels_path=empty),
                 args=["-p", site.params, "-a", site.additional])
    assert run.rc == 1 and run.stop == "exited" and run.report["exit_code"] == 1, run.report
    assert "sanity check failed (3 cases, 0 labels)" in run.log
