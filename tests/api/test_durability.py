"""test_durability.py: what survives a restart (clean or kill -9), graceful
shutdown under load with its access log, `init` on an existing data
directory, plain-HTTP serving on loopback only, and IPv6 loopback."""
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests
import urllib3

from factory import Factory, uniq
from server import BINARY, SANITIZED, SANITIZER_MARKS, Server, run_cli, sanitizer_env

LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (GET|POST|PUT|DELETE|PATCH|"
                      r"HEAD|OPTIONS) (\S+) (\d{3}) (\d+\.\d{3})ms user=(\d+|-)$")


def result_body(w, **kw):
    body = {"benchmark": w["benchmark"]["id"], "model": w["model"]["id"],
            "dataset": w["dataset"]["id"], "name": uniq("run"), "results": {},
            "metadata": {}, "model_report": {"execution_status": "pending"}}
    body.update(kw)
    return body


def snapshot(clients_paths):
    """GETs every (client, path); returns {path: text}, asserting 200."""
    out = {}
    for client, path in clients_paths:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text)
        out[path] = r.text
    return out


# ---------------------------------------------------------------------
# Restarts
# ---------------------------------------------------------------------

def test_restart_keeps_everything(srv, f, bo, mo, do, admin):
    w = f.world(bo, mo, do)
    b, m, d = w["benchmark"], w["model"], w["dataset"]
    r = do.post("/results/", result_body(w))
    assert r.status_code == 201, r.text
    res = r.json()
    r = do.put(f"/results/{res['id']}/", {"results": {"AUC": 0.73}, "metadata": {"partial": False}})
    assert r.status_code == 200 and r.json()["finalized"] is True, r.text
    r = do.put(f"/users/{do.id}/", {"metadata": {"restart": 1}})
    assert r.status_code == 200, r.text
    watched = [
        (bo, f"/benchmarks/{b['id']}/"), (mo, f"/models/{m['id']}/"),
        (mo, f"/mlcubes/{m['container']['id']}/"), (do, f"/datasets/{d['id']}/"),
        (do, f"/results/{res['id']}/"), (do, f"/datasets/{d['id']}/benchmarks/{b['id']}/"),
        (mo, f"/models/{m['id']}/benchmarks/{b['id']}/"), (bo, f"/benchmarks/{b['id']}/results/"),
        (bo, f"/benchmarks/{b['id']}/models/"), (bo, f"/benchmarks/{b['id']}/datasets/"),
        (bo, f"/benchmarks/{b['id']}/participants_info/"), (do, "/me/"),
        (admin, "/results/?limit=1000"), (admin, "/users/?limit=1000"),
        (bo, "/benchmarks/?limit=1000"), (bo, "/me/benchmarks/"), (mo, "/me/models/"),
        (do, "/me/datasets/"), (do, "/me/results/"), (do, "/me/datasets/associations/"),
        (mo, "/me/models/associations/"), (bo, "/mlcubes/?limit=1000"),
    ]
    before = snapshot(watched)
    assert json.loads(before[f"/benchmarks/{b['id']}/results/"])["count"] == 1
    srv.restart()  # SIGTERM: Server.stop asserts a clean exit 0
    after = snapshot(watched)
    for path in before:
        assert after[path] == before[path], path
    # and the server still writes after the restart
    r = do.post("/results/", result_body(w))
    assert r.status_code == 201, r.text
    assert r.json()["id"] > res["id"]
    assert bo.get(f"/benchmarks/{b['id']}/results/").json()["count"] == 2


def test_kill9_keeps_acknowledged_writes(srv, f, bo, mo, do):
    w = f.world(bo, mo, do)
    created = []
    for i in range(50):
        r = do.post("/results/", result_body(w, metadata={"i": i}))
        assert r.status_code == 201, r.text
        created.append(r.json())
    # the last acknowledged write of another kind, too
    r = do.put(f"/results/{created[-1]['id']}/", {"results": {"AUC": 0.5}})
    assert r.status_code == 200, r.text
    finalized = r.json()
    rc = srv.stop(signal.SIGKILL)
    assert rc == -signal.SIGKILL
    srv.launch()
    for res in created[:-1]:
        r = do.get(f"/results/{res['id']}/")
        assert r.status_code == 200, (res["id"], r.text)
        assert r.json() == res
    r = do.get(f"/results/{finalized['id']}/")
    assert r.status_code == 200 and r.json() == finalized
    p = bo.get(f"/benchmarks/{w['benchmark']['id']}/results/?limit=100").json()
    assert p["count"] == 50
    assert sorted(x["id"] for x in p["results"]) == sorted(x["id"] for x in created)


# ---------------------------------------------------------------------
# Graceful shutdown and the access log
# ---------------------------------------------------------------------

def test_graceful_shutdown_under_load(tmp_path):
    s = Server.start(tmp_path)
    try:
        admin = s.user("admin", admin=True)
        f = Factory(s, admin)
        u = s.user(uniq("loader"))
        uid = u.id
        cube = f.mlcube(u)
        for _ in range(40):
            f.mlcube(u)
        detail_path = f"/api/v0/mlcubes/{cube['id']}/"
        list_path = "/api/v0/me/mlcubes/"
        expected = {detail_path: u.get(detail_path).text,
                    list_path: u.get(list_path + "?limit=100").text}
        assert len(expected[list_path]) > 10000
        marker = "MARKER-" + uniq("body")
        r = u.post("/mlcubes/", f.mlcube_body(name=marker, metadata={"note": marker}))
        assert r.status_code == 201, r.text
        r = u.get("/mlcubes/", params={"name": marker})
        assert r.status_code == 200 and r.json()["count"] == 1
        r = u.post("/mlcubes/", {"name": marker + "-bad", "image_hash": ""})
        assert r.status_code == 400
        expected[list_path] = u.get(list_path + "?limit=100").text

        stop = threading.Event()
        termed = threading.Event()
        lock = threading.Lock()
        ok = {"n": 0, "cut": 0}
        bad = []

        def worker(k):
            sess = requests.Session()
            sess.verify = s.cert
            sess.headers["Authorization"] = f"Bearer {u.token}"
            path = detail_path if k % 2 == 0 else list_path
            query = "" if k % 2 == 0 else "?limit=100"
            for _ in range(100000):  # bounded; ends when the server is gone
                if stop.is_set():
                    break
                try:
                    r = sess.get(s.url + path + query, timeout=30, verify=s.cert)
                except (requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError) as e:
                    with lock:
                        bad.append(f"truncated: {e!r}")
                    continue
                except requests.exceptions.ConnectionError as e:
                    # refused, or closed before a response: no response was given,
                    # which is fine once the server is stopping, and only then
                    if not termed.is_set():
                        with lock:
                            bad.append(f"before SIGTERM: {e!r}")
                        break
                    reason = getattr(e.args[0] if e.args else None, "reason", None)
                    if not isinstance(reason, urllib3.exceptions.NewConnectionError):
                        with lock:
                            ok["cut"] += 1  # sent on an open connection, no answer
                    if s.proc is None or s.proc.poll() is not None:
                        break
                    time.sleep(0.01)
                    continue
                with lock:
                    if r.status_code != 200 or r.text != expected[path]:
                        bad.append(f"{r.status_code} {len(r.content)} bytes")
                    else:
                        try:
                            r.json()
                            ok["n"] += 1
                        except ValueError:
                            bad.append("invalid JSON")

        threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while ok["n"] < 200 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ok["n"] >= 200, ("the load did not get going", bad[:5])
        t0 = time.monotonic()
        termed.set()
        s.proc.send_signal(signal.SIGTERM)
        rc = s.proc.wait(timeout=30)
        elapsed = time.monotonic() - t0
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in threads)
        s.proc = None
        s.err.close()
        assert rc == 0, s.stderr()
        s.check_clean()
        assert elapsed < 5, f"shutdown took {elapsed:.1f} s"
        assert bad == [], bad[:10]

        with open(os.path.join(s.base, "access.log")) as fh:
            lines = fh.read().splitlines()
        parsed = []
        for line in lines:
            m = LOG_LINE.match(line)
            assert m, f"bad access-log line: {line!r}"
            parsed.append(m.groups())
        # one line per request: every 200 the clients saw (plus the three GETs made to
        # record `expected`), and beyond that at most the requests that shutdown cut off
        # after they reached the server (sent on an open connection, never answered)
        load = [p for p in parsed if p[2] in (detail_path, list_path)]
        load_ok = [p for p in load if p[3] == "200"]
        assert ok["n"] + 3 <= len(load_ok) <= len(load) <= ok["n"] + 3 + ok["cut"], \
            (len(load_ok), len(load), ok)
        assert all(p[5] == str(uid) for p in load_ok)
        assert all(float(p[4]) >= 0 for p in parsed)
        posts = [p for p in parsed if p[1] == "POST" and p[2] == "/api/v0/mlcubes/"]
        assert sorted(p[3] for p in posts[-2:]) == ["201", "400"]
        assert all(p[5] == str(uid) for p in posts)
        # no token, no scheme, no body, no query string
        text = "\n".join(lines)
        assert u.token not in text
        assert u.token.split(".")[2] not in text
        assert "Bearer" not in text and "Authorization" not in text
        assert marker not in text
        assert "name=" not in text and "?" not in text
    finally:
        if s.proc is not None:
            s.stop()


def test_access_log_anonymous_and_statuses(srv, anon, bo):
    log = os.path.join(srv.base, "access.log")
    path = f"/api/v0/benchmarks/{10 ** 9 + 7}/"
    assert anon.get(path).status_code == 401
    assert bo.get(path).status_code == 404
    assert bo.request("PATCH", path).status_code == 405
    # the line is written when the request completes: wait for it, bounded
    for _ in range(200):
        with open(log) as fh:
            mine = [LOG_LINE.match(x) for x in fh.read().splitlines() if f" {path} " in x]
        if len(mine) >= 3:
            break
        time.sleep(0.01)
    # lines are written as requests complete, on several worker threads: the order
    # of completion may differ from the order the client sent them in
    assert sorted((m.group(2), m.group(4), m.group(6)) for m in mine) == sorted([
        ("GET", "401", "-"), ("GET", "404", str(bo.id)), ("PATCH", "405", str(bo.id))])


# ---------------------------------------------------------------------
# init on an existing data directory
# ---------------------------------------------------------------------

def dir_digest(path):
    out = {}
    for name in sorted(os.listdir(path)):
        p = os.path.join(path, name)
        if os.path.isfile(p):
            with open(p, "rb") as fh:
                out[name] = (hashlib.sha256(fh.read()).hexdigest(), os.stat(p).st_mtime_ns)
    return out


def test_init_refuses_existing_data_dir(tmp_path):
    s = Server.start(tmp_path)
    try:
        u = s.user("keeper")
        f = Factory(s, s.user("admin", admin=True))
        cube = f.mlcube(u)
        s.stop()
        before = dir_digest(s.data)
        assert {"config.json", "medperf.db", "tls-cert.pem", "tls-key.pem"} <= set(before)
        r = run_cli("init", "--data-dir", s.data, check=False)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "--force" in r.stderr and r.stdout == ""
        assert dir_digest(s.data) == before
        s.launch()
        r = u.get(f"/mlcubes/{cube['id']}/")  # the old token and certificate still work
        assert r.status_code == 200 and r.json() == cube
    finally:
        if s.proc is not None:
            s.stop()


def test_init_force_recreates(tmp_path):
    s = Server.start(tmp_path)
    try:
        u = s.user("gone")
        f = Factory(s, s.user("admin", admin=True))
        cube = f.mlcube(u)
        old_token = u.token
        s.stop()
        with open(s.cert) as fh:
            old_cert = fh.read()
        r = run_cli("init", "--data-dir", s.data, "--force")
        assert r.returncode == 0
        with open(s.cert) as fh:
            assert fh.read() != old_cert
        s2 = Server(s.base)
        s2.launch()
        s = s2
        fresh = s.user("gone")
        assert fresh.token != old_token
        assert fresh.get(f"/mlcubes/{cube['id']}/").status_code == 404
        p = fresh.get("/mlcubes/").json()
        assert p["count"] == 1 and p["results"][0]["id"] == 1  # only the seeded CA container
        assert fresh.get("/me/mlcubes/").json()["count"] == 0
        # a token of the old signing key is no longer valid
        r = requests.get(s.url + "/api/v0/me/", verify=s.cert, timeout=30,
                         headers={"Authorization": f"Bearer {old_token}"})
        assert r.status_code == 401 and r.json()["code"] == "token_not_valid"
    finally:
        if s.proc is not None:
            s.stop()


# ---------------------------------------------------------------------
# Listening: plain HTTP on loopback only, IPv6
# ---------------------------------------------------------------------

def serve(data, base, *args):
    """Starts `serve` with args; returns (proc, port, err_path)."""
    port_file = os.path.join(base, "port-" + uniq("p"))
    err_path = port_file + ".err"
    err = open(err_path, "w")
    proc = subprocess.Popen([BINARY, "serve", "--data-dir", data, "--port-file", port_file,
                             "--access-log", "none", *args],
                            stdout=err, stderr=err, env=sanitizer_env())
    err.close()
    for _ in range(400):  # bounded: 20 s
        if os.path.exists(port_file):
            with open(port_file) as fh:
                text = fh.read().strip()
            if text:
                return proc, int(text), err_path
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    with open(err_path) as fh:
        raise AssertionError("server did not start:\n" + fh.read())


def stop_clean(proc, err_path):
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=30)
    with open(err_path) as fh:
        text = fh.read()
    assert rc == 0, text
    if SANITIZED:
        for mark in SANITIZER_MARKS:
            assert mark not in text, text
    return text


@pytest.fixture(scope="module")
def datadir(tmp_path_factory):
    base = str(tmp_path_factory.mktemp("listen"))
    data = os.path.join(base, "data")
    run_cli("init", "--data-dir", data)
    return base, data


def test_insecure_http_on_loopback(datadir):
    base, data = datadir
    proc, port, err = serve(data, base, "--insecure-http", "--listen", "127.0.0.1:0")
    try:
        r = requests.get(f"http://127.0.0.1:{port}/version", timeout=30)
        assert r.status_code == 200 and r.text == '{"version":"v0"}'
        assert r.headers["Content-Type"] == "application/json"
        r = requests.get(f"http://127.0.0.1:{port}/api/v0/me/", timeout=30)
        assert r.status_code == 401
        # no TLS is spoken there
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"https://127.0.0.1:{port}/version", verify=False, timeout=10)
        # pagination links say http
        tok = run_cli("token", "create", "--data-dir", data, "--email",
                      "plain@example.org").stdout.strip()
        r = requests.get(f"http://127.0.0.1:{port}/api/v0/mlcubes/?limit=1&offset=0",
                         headers={"Authorization": f"Bearer {tok}"}, timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["count"] == 1 and r.json()["next"] is None
    finally:
        text = stop_clean(proc, err)
    assert "serving http://127.0.0.1:" in text


@pytest.mark.parametrize("listen", ["0.0.0.0:0", "[::]:0", "192.0.2.1:0"])
def test_insecure_http_refused_off_loopback(datadir, listen):
    base, data = datadir
    r = subprocess.run([BINARY, "serve", "--data-dir", data, "--insecure-http",
                        "--listen", listen, "--access-log", "none"],
                       capture_output=True, text=True, env=sanitizer_env(), timeout=20)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "loopback" in r.stderr
    if SANITIZED:
        for mark in SANITIZER_MARKS:
            assert mark not in r.stderr


def ipv6_loopback():
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_ipv6_loopback(datadir):
    if not ipv6_loopback():
        pytest.skip("::1 cannot be bound on this machine")
    base, data = datadir
    proc, port, err = serve(data, base, "--listen", "[::1]:0")
    try:
        cert = os.path.join(data, "tls-cert.pem")
        r = requests.get(f"https://[::1]:{port}/version", verify=cert, timeout=30)
        assert r.status_code == 200 and r.text == '{"version":"v0"}'
        tok = run_cli("token", "create", "--data-dir", data, "--email",
                      "six@example.org").stdout.strip()
        r = requests.get(f"https://[::1]:{port}/api/v0/mlcubes/?limit=1",
                         headers={"Authorization": f"Bearer {tok}"}, verify=cert, timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["count"] == 1 and r.json()["next"] is None
        r = requests.get(f"https://[::1]:{port}/api/v0/mlcubes/?limit=1&offset=1",
                         headers={"Authorization": f"Bearer {tok}"}, verify=cert, timeout=30)
        assert r.json()["previous"] == f"https://[::1]:{port}/api/v0/mlcubes/?limit=1"
    finally:
        text = stop_clean(proc, err)
    assert f"serving https://[::1]:{port}/" in text
