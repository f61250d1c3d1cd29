"""Fixtures for the tests of medperf-metrics: the binary of the build under
test (MEDPERF_METRICS, set by tests/run; default build/src/medperf-metrics)
and a runner that fails the test on any sanitizer report."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
METRICS = os.path.abspath(os.environ.get("MEDPERF_METRICS",
                                         os.path.join(ROOT, "build", "src", "medperf-metrics")))
DATA = os.path.join(ROOT, "tests", "data")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def run_metrics(*args, check=False, timeout=600, **kw):
    """Runs medperf-metrics with args; returns CompletedProcess (text)."""
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    r = subprocess.run([METRICS, *map(str, args)], capture_output=True, text=True, env=env,
                       timeout=timeout, **kw)
    for mark in SANITIZER_MARKS:
        assert mark not in r.stderr, f"sanitizer report from medperf-metrics {args}:\n{r.stderr}"
    if check:
        assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture
def metrics():
    return run_metrics
