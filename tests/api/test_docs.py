"""test_docs.py: the curl walkthrough of docs/api.md runs as written and ends
where the document says (a finalized result the committee sees, a 403 for the
model owner), so the documentation cannot drift from the server."""
import os
import re
import socket
import subprocess

from server import BINARY, ROOT, sanitizer_env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_api_md_walkthrough(tmp_path):
    with open(os.path.join(ROOT, "docs", "api.md")) as f:
        text = f.read()
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    assert len(blocks) == 1, "docs/api.md should hold exactly one bash walkthrough"
    script = blocks[0].replace("8443", str(free_port()))
    env = sanitizer_env()
    env["PATH"] = os.path.dirname(BINARY) + os.pathsep + env["PATH"]
    env["TMPDIR"] = str(tmp_path)
    # output to files, not pipes: a background server must not hold our pipe open
    with open(tmp_path / "out", "w") as out_f, open(tmp_path / "err", "w") as err_f:
        r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], stdout=out_f,
                           stderr=err_f, env=env, timeout=120)
    stdout = (tmp_path / "out").read_text()
    assert r.returncode == 0, stdout + (tmp_path / "err").read_text()
    out = stdout.splitlines()
    assert '"approval_status":"APPROVED"' in out[0]          # the admin approved the benchmark
    assert any('"finalized":true' in l and '"AUC":0.84' in l for l in out)
    assert out[-2].startswith('{"count":1,') and '"Accuracy":0.79' in out[-2]
    assert out[-1] == '{"detail":"You do not have permission to perform this action."}'
