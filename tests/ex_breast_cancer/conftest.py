"""Fixtures for the breast-cancer example's tests (examples/breast-cancer): its packages
run through the real `medperf container run_test`, as a site would run them.

  package_native  examples/breast-cancer/package run once into a session folder, with the
                  build's programs ($MEDPERF_BUILD) and medperf-metrics ($MEDPERF_METRICS)
  package_oci     the same with --oci: OCI images built offline by podman, tagged with a
                  unique version, removed at the session's end (skipped when podman is
                  not installed)
  medperf(platform) a Medperf that runs one task: .run(config, task, mounts, params)
  make_pipeline   prepare -> sanity_check -> statistics -> infer (every model) -> evaluate
                  (every model) on one site's raw data, each task's Run kept
  native_runs     those pipelines on native for the demo tarball and the three hospitals
  sklearn_models  the three models fitted again by ../../examples/breast-cancer/train,
                  for their predict_proba

Environment as tests/run sets it: MEDPERF_BUILD, MEDPERF_CLIENT, MEDPERF_METRICS. With a
sanitized medperf-metrics, the evaluator task gets ASAN_OPTIONS=detect_leaks=0 (LeakSanitizer
needs ptrace, which the sandbox refuses); any sanitizer report of medperf fails the test.
"""
import csv
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLE = os.path.join(ROOT, "examples", "breast-cancer")
BUILD = os.path.abspath(os.environ.get("MEDPERF_BUILD", os.path.join(ROOT, "build")))
CLIENT = os.path.abspath(os.environ.get("MEDPERF_CLIENT", os.path.join(BUILD, "src", "medperf")))
METRICS = os.path.abspath(os.environ.get("MEDPERF_METRICS",
                                         os.path.join(BUILD, "src", "medperf-metrics")))
PROGRAMS = os.path.join(BUILD, "examples", "breast-cancer")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
MODELS = ["logreg", "gnb", "tree"]
SITES = ["demo", "hospital-a", "hospital-b", "hospital-c"]


def load_script(name):
    """examples/breast-cancer/<name> (a Python script without .py) as a module."""
    path = os.path.join(EXAMPLE, name)
    loader = importlib.machinery.SourceFileLoader(name.replace("-", "_"), path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def metrics_sanitized():
    r = subprocess.run(["ldd", METRICS], capture_output=True, text=True)
    return "libasan" in r.stdout or "libubsan" in r.stdout


@pytest.fixture(scope="session")
def base_dir():
    """Under /var/tmp, world-readable: the sandbox user reads the raw data from here."""
    d = tempfile.mkdtemp(prefix="medperf-bc-", dir="/var/tmp")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def make_sites():
    return load_script("make-sites")


@pytest.fixture(scope="session")
def sklearn_models():
    """{model: predict_proba(X)[:, 1]} of the models as train fits them; the committed
    weights must be what that fit writes (else the C programs run another model)."""
    train = load_script("train")
    rows = train.ms.load()
    X, y, _ = train.site_arrays(rows, train.ms.split(rows)["train"])
    out = {}
    for name, fit in train.MODELS:
        text, proba = fit(X, y)
        with open(os.path.join(EXAMPLE, "weights", f"{name}.txt")) as f:
            assert f.read() == text, f"weights/{name}.txt is not what train writes"
        out[name] = proba
    return out


class Package:
    """One run of examples/breast-cancer/package: OUT_DIR and its manifest."""

    def __init__(self, out):
        self.out = out
        with open(os.path.join(out, "manifest.json")) as f:
            self.manifest = json.load(f)

    def path(self, *parts):
        return os.path.join(self.out, *parts)

    def config(self, role, form="native"):
        return self.path(self.manifest["containers"][role][form]["config"])

    def params(self, role, form="native"):
        return self.path(self.manifest["containers"][role][form]["parameters"])


def run_package(out, *extra):
    for prog in ("bc-prep", "bc-logreg", "bc-gnb", "bc-tree", "bc-evaluate"):
        assert os.access(os.path.join(PROGRAMS, prog), os.X_OK), (
            f"no {prog} in {PROGRAMS}: build the example (ninja -C {BUILD})")
    r = subprocess.run([os.path.join(EXAMPLE, "package"), BUILD, out, "--metrics", METRICS,
                        *extra], capture_output=True, text=True, timeout=300)
    return r


@pytest.fixture(scope="session")
def package_native(base_dir):
    out = os.path.join(base_dir, "package")
    r = run_package(out)
    assert r.returncode == 0, f"package failed:\n{r.stdout}\n{r.stderr}"
    return Package(out)


@pytest.fixture(scope="session")
def package_oci(base_dir):
    """The package with its OCI images (tagged test-<unique>, removed at the end);
    skipped when podman is not installed, failed when the images cannot be built."""
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed")
    version = "test-" + uuid.uuid4().hex[:12]
    out = os.path.join(base_dir, "package-oci")
    tags = [f"localhost/medperf-bc-{role}:{version}"
            for role in ("prep", "logreg", "gnb", "tree", "metrics")]
    try:
        r = run_package(out, "--oci", "--version", version)
        assert r.returncode == 0, f"package --oci failed:\n{r.stdout}\n{r.stderr}"
        pkg = Package(out)
        pkg.version, pkg.tags = version, tags
        yield pkg
    finally:
        for tag in tags:
            subprocess.run(["podman", "rmi", tag], capture_output=True, timeout=120)


class Run:
    """What one run_test said: rc, the --json report, the task's log, medperf's stderr."""

    def __init__(self, argv, rc, stdout, stderr):
        self.argv, self.rc, self.stdout, self.stderr = argv, rc, stdout, stderr
        self.report, self.log = None, ""
        text = stdout.strip()
        if text.startswith("{"):
            self.report = json.loads(text)
            log = self.report.get("log")
            if log and os.path.exists(log):
                with open(log, errors="replace") as f:
                    self.log = f.read()

    def describe(self):
        return (f"{' '.join(self.argv)}\nexit {self.rc}\nreport: {self.report}\n"
                f"log:\n{self.log[-3000:]}\nstderr:\n{self.stderr[-3000:]}")

    def ok(self):
        assert self.rc == 0 and self.report and self.report["stop"] == "exited" and \
            self.report["exit_code"] == 0, self.describe()
        return self

    def failed(self, message):
        """The task ran and exited 1 with message in its output."""
        assert self.report is not None, self.describe()
        assert self.rc != 0 and self.report["stop"] == "exited" and \
            self.report["exit_code"] == 1, self.describe()
        assert message in self.log, f"expected {message!r}\n{self.describe()}"
        return self


class Medperf:
    """One person's medperf (a HOME and storage of their own) on one platform."""

    def __init__(self, d, platform):
        self.dir, self.platform = d, platform
        home, config = os.path.join(d, "home"), os.path.join(d, "config")
        os.makedirs(home, exist_ok=True)
        os.makedirs(config, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MEDPERF_")}
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.env.update(HOME=home, MEDPERF_CONFIG_STORAGE=config, NO_COLOR="1",
                        LC_ALL="C.UTF-8")
        self.task_env = "ASAN_OPTIONS=detect_leaks=0" if metrics_sanitized() else None
        self.seconds = 0.0

    def run(self, config, task, mounts, params=None, timeout=120):
        argv = [CLIENT, "container", "run_test", "-m", config, "-t", task,
                "--platform", self.platform, "--json", "-q",
                "--mounts", ",".join(f"{k}={v}" for k, v in mounts.items())]
        if params:
            argv += ["-p", params]
        if task == "evaluate" and self.task_env:
            argv += ["--env", self.task_env]
        t0 = time.monotonic()
        r = subprocess.run(argv, capture_output=True, text=True, env=self.env, cwd=self.dir,
                           timeout=timeout)
        self.seconds += time.monotonic() - t0
        for mark in SANITIZER_MARKS:
            assert mark not in r.stderr, f"sanitizer report from medperf:\n{r.stderr}"
        return Run(argv, r.returncode, r.stdout, r.stderr)


@pytest.fixture(scope="session")
def medperf(base_dir):
    """medperf(platform): one Medperf per platform for the session."""
    made = {}

    def get(platform):
        if platform not in made:
            d = os.path.join(base_dir, f"medperf-{platform}")
            os.makedirs(d)
            os.chmod(d, 0o755)
            made[platform] = Medperf(d, platform)
        return made[platform]
    return get


def extract_demo(pkg, dest):
    """The demo tarball extracted as MedPerf does: (data_path, labels_path) from paths.yaml."""
    os.makedirs(dest)
    with tarfile.open(pkg.path(pkg.manifest["demo"]["tarball"])) as t:
        t.extractall(dest)
    paths = {}
    with open(os.path.join(dest, "paths.yaml")) as f:
        for line in f:
            k, _, v = line.partition(":")
            paths[k.strip()] = v.strip()
    for d in ("", "data", "labels"):
        os.chmod(os.path.join(dest, d), 0o755)
    return os.path.join(dest, paths["data_path"]), os.path.join(dest, paths["labels_path"])


class Pipeline:
    """A site's whole run, each task on the previous one's outputs."""

    def __init__(self, med, pkg, form, work, raw_data, raw_labels):
        self.med, self.pkg, self.form = med, pkg, form
        p = lambda *x: os.path.join(work, *x)
        self.raw_data, self.raw_labels = raw_data, raw_labels
        self.data, self.labels = p("data"), p("labels")
        self.report, self.stats = p("report.yaml"), p("statistics.yaml")
        self.pred = {m: p(f"predictions-{m}") for m in MODELS}
        self.results = {m: p(f"results-{m}.yaml") for m in MODELS}
        self.runs = {}

    def task(self, role, task, mounts, key=None):
        params = self.pkg.params(role, self.form) if role == "metrics" else None
        run = self.med.run(self.pkg.config(role, self.form), task, mounts, params)
        self.runs[key or task] = run
        return run

    def run_all(self):
        prep = {"data_path": self.data, "labels_path": self.labels}
        steps = [("prep", "prepare", {"data_path": self.raw_data, "labels_path": self.raw_labels,
                                      "output_path": self.data,
                                      "output_labels_path": self.labels,
                                      "report_file": self.report}, None),
                 ("prep", "sanity_check", prep, None),
                 ("prep", "statistics", dict(prep, output_path=self.stats), None)]
        steps += [(m, "infer", {"data_path": self.data, "output_path": self.pred[m]},
                   f"infer-{m}") for m in MODELS]
        steps += [("metrics", "evaluate", {"predictions": self.pred[m], "labels": self.labels,
                                           "output_path": self.results[m]},
                   f"evaluate-{m}") for m in MODELS]
        for role, task, mounts, key in steps:
            if self.task(role, task, mounts, key).rc != 0:
                break
        return self

    def ran(self, key):
        assert key in self.runs, f"an earlier task failed: " + "; ".join(
            f"{k}: exit {r.rc}" for k, r in self.runs.items()) + "\n" + \
            "\n".join(r.describe() for r in self.runs.values() if r.rc != 0)
        return self.runs[key].ok()


def make_pipeline(med, pkg, form, base, site):
    work = os.path.join(base, f"{form}-{site}")
    os.makedirs(work)
    os.chmod(work, 0o755)
    if site == "demo":
        raw_data, raw_labels = extract_demo(pkg, os.path.join(work, "demo"))
    else:
        raw_data = pkg.path(pkg.manifest["sites"][site]["data_path"])
        raw_labels = pkg.path(pkg.manifest["sites"][site]["labels_path"])
    return Pipeline(med, pkg, form, work, raw_data, raw_labels).run_all()


@pytest.fixture(scope="session")
def native_runs(medperf, package_native, base_dir):
    """{site: Pipeline} of the demo tarball and the three hospitals on native."""
    med = medperf("native")
    return {s: make_pipeline(med, package_native, "native", base_dir, s) for s in SITES}
