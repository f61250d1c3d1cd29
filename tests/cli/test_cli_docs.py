"""test_cli_docs.py: docs/cli.md's command reference is the --help of the
binary, so documentation and options cannot drift apart (regenerate it with
scripts/cli-reference --update)."""
import os
import subprocess
import sys

from conftest import CLIENT, ROOT


def test_reference_matches_help():
    build = os.path.relpath(os.path.dirname(os.path.dirname(CLIENT)), ROOT)
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "cli-reference"), build],
                       capture_output=True, text=True, check=True)
    with open(os.path.join(ROOT, "docs", "cli.md")) as f:
        doc = f.read()
    assert r.stdout in doc, ("docs/cli.md's command reference is out of date: run "
                             "scripts/cli-reference --update")


def test_every_exit_status_is_documented():
    with open(os.path.join(ROOT, "src", "client", "cli.h")) as f:
        header = f.read()
    with open(os.path.join(ROOT, "docs", "cli.md")) as f:
        doc = f.read()
    import re
    codes = re.findall(r"EXIT_[A-Z]+ = (\d+),", header)
    assert len(codes) >= 8
    for code in codes:
        assert f"\n| {code} |" in doc, f"exit status {code} is not in docs/cli.md"
