"""test_cli_demo.py: `make demo` (scripts/demo) runs to its end with this
build's server and client, and shows what it claims: every role's step, a
result for each of the three models at each of the three hospitals and
across them, and a model owner refused another owner's result. The walk
itself is checked in depth by tests/e2e."""
import os
import re
import subprocess
import sys

from conftest import CLIENT, SANITIZER_MARKS
from server import ROOT, sanitizer_env


def test_demo_runs_end_to_end():
    build = os.path.relpath(os.path.dirname(os.path.dirname(CLIENT)), ROOT)
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "demo"), "--build", build],
                       capture_output=True, text=True, env=sanitizer_env(), timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    for mark in SANITIZER_MARKS:
        assert mark not in r.stderr
    out = r.stdout
    for who in ("operator", "committee", "admin", "model-owner-1", "model-owner-2",
                "hospital-a", "hospital-b", "hospital-c"):
        assert f"  {who} " in out, who
    assert "medperf benchmark approve -b 1" in out
    assert re.search(r"model-owner-1 +medperf result view \d+ .*refused, exit 4", out), out
    for model in ("bc-logreg", "bc-gnb", "bc-tree"):
        assert f"\n  {model}\n" in out, model
    rows = re.findall(r"^    (hospital-[abc]|all sites) +AUC (\d\.\d{3}) \[(\d\.\d{3}), "
                      r"(\d\.\d{3})\]", out, re.M)
    assert len(rows) == 12, out  # 3 models x (3 hospitals + all sites)
    for _, v, lo, hi in rows:
        assert 0.5 < float(v) <= 1 and float(lo) <= float(v) <= float(hi)
    assert "no result" not in out
    assert out.rstrip().splitlines()[-1].startswith("== done in")
