"""server.py: a real medperf-server process for the API tests.

Server.start() makes a data directory with `medperf-server init`, starts
`medperf-server serve` on an ephemeral loopback port over TLS and waits for
it. Clients are `requests` sessions that pin the server's certificate.
stop() sends SIGTERM and fails the test run when the server did not exit
cleanly or, in a sanitizer build, reported anything.
"""
import json
import os
import signal
import subprocess
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.path.abspath(os.environ.get("MEDPERF_SERVER",
                                         os.path.join(ROOT, "build", "src", "medperf-server")))
SANITIZED = os.environ.get("MEDPERF_SANITIZED") == "1"
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def sanitizer_env():
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    return env


def run_cli(*args, check=True, input=None):
    """Runs medperf-server with args; returns CompletedProcess (text)."""
    r = subprocess.run([BINARY, *args], capture_output=True, text=True, env=sanitizer_env(),
                       input=input, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError(f"medperf-server {' '.join(args)} failed ({r.returncode}):\n"
                             f"{r.stdout}\n{r.stderr}")
    if SANITIZED:
        for mark in SANITIZER_MARKS:
            assert mark not in r.stderr, f"sanitizer report from {args}:\n{r.stderr}"
    return r


class Client:
    """One user's view of the API (token=None: anonymous)."""

    def __init__(self, server, token=None, email=None):
        self.server = server
        self.token = token
        self.email = email
        self.session = requests.Session()
        self.session.verify = server.cert
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self._id = None

    def url(self, path):
        if path.startswith("http"):
            return path
        if path.startswith("/version") or path.startswith("/api/"):
            return self.server.url + path
        return self.server.url + "/api/v0" + (path if path.startswith("/") else "/" + path)

    def request(self, method, path, json_body=None, **kw):
        if json_body is not None:
            kw["json"] = json_body
        kw.setdefault("timeout", 30)
        # explicit: REQUESTS_CA_BUNDLE in the environment would override session.verify
        kw.setdefault("verify", self.server.cert)
        kw.setdefault("allow_redirects", False)
        return self.session.request(method, self.url(path), **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    @property
    def id(self):
        if self._id is None:
            r = self.get("/me/")
            assert r.status_code == 200, r.text
            self._id = r.json()["id"]
        return self._id


class Server:
    def __init__(self, base):
        self.base = str(base)
        self.data = os.path.join(self.base, "data")
        self.cert = os.path.join(self.data, "tls-cert.pem")
        self.proc = None
        self.port = None
        self.url = None
        self.tokens = {}
        self.clients = {}
        self.starts = 0

    # ---- life cycle ----
    @classmethod
    def start(cls, base, config=None):
        s = cls(base)
        run_cli("init", "--data-dir", s.data)
        if config:
            path = os.path.join(s.data, "config.json")
            with open(path) as f:
                cfg = json.load(f)
            cfg.update(config)
            with open(path, "w") as f:
                json.dump(cfg, f)
        s.launch()
        return s

    def launch(self, extra=()):
        self.starts += 1
        port_file = os.path.join(self.base, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.err_path = os.path.join(self.base, f"server-{self.starts}.err")
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--data-dir", self.data, "--listen", "127.0.0.1:0",
             "--port-file", port_file, "--access-log", os.path.join(self.base, "access.log"),
             *extra],
            stdout=self.err, stderr=self.err, env=sanitizer_env())
        for _ in range(400):  # bounded: 20 s
            if os.path.exists(port_file):
                with open(port_file) as f:
                    text = f.read().strip()
                if text:
                    self.port = int(text)
                    break
            if self.proc.poll() is not None:
                raise AssertionError("server exited at start:\n" + self.stderr())
            time.sleep(0.05)
        else:
            raise AssertionError("server did not start:\n" + self.stderr())
        self.url = f"https://127.0.0.1:{self.port}"

    def stderr(self):
        if not self.err.closed:
            self.err.flush()
        with open(self.err_path) as f:
            return f.read()

    def check_clean(self):
        text = self.stderr()
        if SANITIZED:
            for mark in SANITIZER_MARKS:
                assert mark not in text, "sanitizer report from the server:\n" + text

    def stop(self, sig=signal.SIGTERM):
        """Stops the server; returns its exit status."""
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            raise AssertionError("server did not stop within 30 s:\n" + self.stderr())
        self.proc = None
        self.err.close()
        if sig != signal.SIGKILL:
            assert rc == 0, f"server exited with {rc}:\n" + self.stderr()
            self.check_clean()
        return rc

    def restart(self, sig=signal.SIGTERM):
        self.stop(sig)
        self.launch()

    # ---- users ----
    def token(self, email, admin=False, sub=None, days=30):
        key = (email, admin, sub, days)
        if key not in self.tokens:
            args = ["token", "create", "--data-dir", self.data, "--email", email,
                    "--days", str(days)]
            if admin:
                args.append("--admin")
            if sub:
                args += ["--sub", sub]
            self.tokens[key] = run_cli(*args).stdout.strip()
        return self.tokens[key]

    def user(self, name, admin=False):
        """A client for name@example.org (admin rights when asked)."""
        if name not in self.clients:
            email = f"{name}@example.org"
            self.clients[name] = Client(self, self.token(email, admin=admin), email)
        return self.clients[name]

    def anon(self):
        return Client(self)
