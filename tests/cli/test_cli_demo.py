"""test_cli_demo.py: `make demo` (scripts/demo) runs to its end with this
build's server and client, and shows what it claims: every role's step, the
committee's four results, and the model owner refused a result."""
import os
import subprocess
import sys

from conftest import CLIENT, SANITIZER_MARKS
from server import ROOT, sanitizer_env


def test_demo_runs_end_to_end():
    build = os.path.relpath(os.path.dirname(os.path.dirname(CLIENT)), ROOT)
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "demo"), "--build", build],
                       capture_output=True, text=True, env=sanitizer_env(), timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    for mark in SANITIZER_MARKS:
        assert mark not in r.stderr
    out = r.stdout
    for who in ("committee", "admin", "model owner", "hospital A", "hospital B"):
        assert f"  {who} " in out, who
    assert "medperf benchmark approve -b 1: APPROVED" in out
    assert "medperf result ls -b 1: 4 results" in out
    assert out.count('{"AUC": ') == 8          # four submitted, four seen by the committee
    assert "medperf result view 4: exit 4" in out and "403" in out
    assert out.rstrip().splitlines()[-1].startswith("== done in")
