"""Fixtures of the brain segmentation example's tests (examples/brain-seg): its
packages made by the real package script, and its containers' tasks run through the
real `medperf container run_test`, on native and on podman.

  build        MEDPERF_BUILD (default <root>/build); its examples/brain-seg programs
  client       MEDPERF_CLIENT (default <build>/src/medperf)
  base_dir     one folder of the session under /var/tmp (readable by the sandbox's user)
  packaged     `package BUILD OUT`: (OUT, index) with NativeArchive configs
  oci          `package BUILD OUT --oci --version test-<unique>`: (OUT, index), its
               images removed at the end; skipped, with the reason, without podman
  sites        the raw data of the demo (from its tarball) and of the three hospitals
  pipeline     pipeline(platform, site): every task of every container on that site's
               data, run once per session; returns a Pipeline (paths, reports, logs)
  Medperf      .run(config, task, mounts, params) -> Run (rc, report, log)

With MEDPERF_SANITIZED=1, any sanitizer report in medperf's stderr fails the test.
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import uuid

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLE = os.path.join(ROOT, "examples", "brain-seg")
sys.path.insert(0, os.path.join(EXAMPLE, "tools"))
BUILD = os.path.abspath(os.environ.get("MEDPERF_BUILD", os.path.join(ROOT, "build")))
CLIENT = os.path.abspath(os.environ.get("MEDPERF_CLIENT", os.path.join(BUILD, "src", "medperf")))
SANITIZED = os.environ.get("MEDPERF_SANITIZED") == "1"
PYTHON = "/usr/bin/python3"  # Debian's, with numpy and SciPy
SITES = ["demo", "hospital-a", "hospital-b", "hospital-c"]
MODELS = ["model-gauss", "model-thresholds", "model-nearest-mean"]
TISSUES = {"CSF": 1, "GM": 2, "WM": 3}


def check_sanitizer(stderr, what):
    if SANITIZED:
        for mark in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            assert mark not in stderr, f"sanitizer report from medperf {what}:\n{stderr}"


def script(name, *args, timeout=300):
    r = subprocess.run([PYTHON, os.path.join(EXAMPLE, name), *args], capture_output=True,
                       text=True, timeout=timeout)
    assert r.returncode == 0, f"{name} {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="session")
def build():
    for prog in ("brainseg-prep", "brainseg-infer"):
        p = os.path.join(BUILD, "examples", "brain-seg", prog)
        assert os.access(p, os.X_OK), (f"no {p}: build {BUILD} (after adding an example, "
                                       f"'meson setup --reconfigure {BUILD}')")
    return BUILD


@pytest.fixture(scope="session")
def client():
    assert os.access(CLIENT, os.X_OK), f"no medperf client at {CLIENT} (set MEDPERF_CLIENT)"
    return CLIENT


@pytest.fixture(scope="session")
def base_dir():
    d = tempfile.mkdtemp(prefix="medperf-brainseg-", dir="/var/tmp")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def fresh(base, name):
    d = tempfile.mkdtemp(prefix=name + "-", dir=base)
    os.chmod(d, 0o755)
    return d


def read_index(out):
    with open(os.path.join(out, "index.yaml")) as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="session")
def packaged(build, base_dir):
    out = os.path.join(base_dir, "package")
    script("package", build, out)
    return out, read_index(out)


@pytest.fixture(scope="session")
def oci(build, base_dir):
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed")
    out = os.path.join(base_dir, "package-oci")
    version = f"test-{uuid.uuid4().hex[:10]}"
    r = subprocess.run([PYTHON, os.path.join(EXAMPLE, "package"), build, out, "--oci",
                        "--version", version], capture_output=True, text=True, timeout=600)
    tags = [f"localhost/medperf-brain-{role}:{version}"
            for role in ["prep", "metrics"] + MODELS]
    try:
        assert r.returncode == 0, f"package --oci failed:\n{r.stdout}\n{r.stderr}"
        yield out, read_index(out)
    finally:
        subprocess.run(["podman", "rmi", "-f", *tags], capture_output=True, timeout=300)


@pytest.fixture(scope="session")
def sites(packaged, base_dir):
    """{site: (raw data folder, raw labels folder)}: the demo extracted from its tarball
    (through its paths.yaml), the hospitals as package wrote them."""
    out, index = packaged
    found = {}
    demo = fresh(base_dir, "demo")
    with tarfile.open(os.path.join(out, index["demo"]["tarball"])) as tar:
        tar.extractall(demo)
    for dirpath, dirs, _ in os.walk(demo):
        for d in dirs:
            os.chmod(os.path.join(dirpath, d), 0o755)
    with open(os.path.join(demo, "paths.yaml")) as f:
        paths = yaml.safe_load(f)
    found["demo"] = (os.path.join(demo, paths["data_path"]), os.path.join(demo, paths["labels_path"]))
    for site, entry in index["datasets"].items():
        found[site] = (os.path.join(out, entry["data_path"]), os.path.join(out, entry["labels_path"]))
    return found


class Run:
    def __init__(self, rc, stdout, stderr):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.report = json.loads(stdout) if stdout.strip().startswith("{") else None
        self.log = ""
        if self.report and self.report.get("log") and os.path.exists(self.report["log"]):
            with open(self.report["log"], errors="replace") as f:
                self.log = f.read()

    def ok(self, what=""):
        assert self.rc == 0 and self.report and self.report["stop"] == "exited", (
            f"{what}: exit {self.rc}\nreport: {self.report}\nlog:\n{self.log[-3000:]}\n"
            f"stderr:\n{self.stderr[-3000:]}")
        return self


class Medperf:
    """One person's medperf (own HOME and config storage) running container tasks."""

    def __init__(self, client, home_dir, platform):
        self.client = client
        self.platform = platform
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MEDPERF_")}
        self.env.update(HOME=home_dir, MEDPERF_CONFIG_STORAGE=os.path.join(home_dir, "config"),
                        NO_COLOR="1", LC_ALL="C.UTF-8")
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.cwd = home_dir

    def run(self, config, task, mounts, params=None, timeout=300):
        argv = [self.client, "container", "run_test", "-m", config, "-t", task,
                "--platform", self.platform, "--json", "-q",
                "--mounts", ",".join(f"{k}={v}" for k, v in mounts.items())]
        if params:
            argv += ["-p", params]
        r = subprocess.run(argv, capture_output=True, text=True, env=self.env, cwd=self.cwd,
                           timeout=timeout)
        check_sanitizer(r.stderr, f"container run_test -t {task}")
        return Run(r.returncode, r.stdout, r.stderr)


@pytest.fixture
def medperf_native(client, base_dir):
    return Medperf(client, fresh(base_dir, "home"), "native")


class Pipeline:
    """Every task of every container on one site: prepare, sanity_check, statistics,
    then infer of each model and evaluate of its predictions."""

    def __init__(self, mp, out, index, raw, work, suffix):
        self.out, self.index, self.work = out, index, work
        self.raw_data, self.raw_labels = raw
        self.data = os.path.join(work, "data")
        self.labels = os.path.join(work, "labels")
        self.statistics = os.path.join(work, "statistics.yaml")
        self.runs = {}

        def cfg(role):
            c = index["containers"][role]
            return os.path.join(out, c["oci_config" if suffix else "config"]), \
                os.path.join(out, c["parameters"])

        prep, prep_params = cfg("prep")
        self.runs["prepare"] = mp.run(prep, "prepare", {
            "data_path": self.raw_data, "labels_path": self.raw_labels,
            "output_path": self.data, "output_labels_path": self.labels}, prep_params)
        if self.runs["prepare"].rc != 0:
            return
        prepared = {"data_path": self.data, "labels_path": self.labels}
        self.runs["sanity_check"] = mp.run(prep, "sanity_check", prepared, prep_params)
        self.runs["statistics"] = mp.run(prep, "statistics",
                                         dict(prepared, output_path=self.statistics), prep_params)
        metrics, metrics_params = cfg("metrics")
        self.predictions, self.results = {}, {}
        for model in MODELS:
            config, params = cfg(model)
            self.predictions[model] = os.path.join(work, f"predictions-{model}")
            self.results[model] = os.path.join(work, f"results-{model}.yaml")
            self.runs[f"infer {model}"] = mp.run(config, "infer", {
                "data_path": self.data, "output_path": self.predictions[model]}, params)
            self.runs[f"evaluate {model}"] = mp.run(metrics, "evaluate", {
                "predictions": self.predictions[model], "labels": self.labels,
                "output_path": self.results[model]}, metrics_params)

    def run(self, name):
        assert name in self.runs, f"'{name}' did not run: {[(k, r.rc) for k, r in self.runs.items()]}"
        return self.runs[name].ok(name)


_pipelines = {}


@pytest.fixture(scope="session")
def pipeline(client, base_dir, packaged, sites, request):
    def get(platform, site):
        key = (platform, site)
        if key not in _pipelines:
            if platform == "podman":
                out, index = request.getfixturevalue("oci")
            else:
                out, index = packaged
            mp = Medperf(client, fresh(base_dir, f"home-{platform}"), platform)
            _pipelines[key] = Pipeline(mp, out, index, sites[site],
                                       fresh(base_dir, f"{platform}-{site}"), platform == "podman")
        return _pipelines[key]
    return get
