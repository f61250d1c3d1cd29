"""Fixtures for the tests of the `medperf` client: the real binary against a
real medperf-server (tests/api/server.py) over TLS, each user with a home and
configuration folder of their own.

  srv     the Server of this module
  cli     Cli factory: cli("bo") is a logged-in client of user bo@example.org;
          cli("admin", admin=True) a platform admin; cli.fresh("x") one that
          is set up (profile, pinned certificate) but not logged in
  admin_api, f   the platform admin straight to the API, and a Factory using it
  web     a plain HTTP server on 127.0.0.1: (folder it serves, base URL, paths asked)

Shared checks and file helpers are in clitools.py.
"""
import functools
import http.server
import json
import os
import subprocess
import sys
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))

from server import ROOT, SANITIZED, Server, sanitizer_env  # noqa: E402

CLIENT = os.path.abspath(os.environ.get("MEDPERF_CLIENT",
                                         os.path.join(ROOT, "build", "src", "medperf")))
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


class Cli:
    """One person's `medperf`: their own HOME and MEDPERF_CONFIG_STORAGE."""

    def __init__(self, srv, base, name):
        self.srv = srv
        self.name = name
        self.email = f"{name}@example.org"
        self.home = os.path.join(base, name, "home")
        self.config = os.path.join(base, name, "config")
        os.makedirs(self.home, exist_ok=True)
        self.env = sanitizer_env()
        self.env.update(HOME=self.home, MEDPERF_CONFIG_STORAGE=self.config, NO_COLOR="1",
                        COLUMNS="200")
        self.env.pop("MEDPERF_SERVER_DATA_DIR", None)

    def run(self, *args, input=None, check=False, env=None, timeout=120):
        """Runs medperf with args; returns CompletedProcess (text). check=True
        fails the test on a non-zero exit."""
        e = dict(self.env)
        if env:
            e.update(env)
        r = subprocess.run([CLIENT, *args], capture_output=True, text=True, env=e,
                           input=input, timeout=timeout, cwd=self.home)
        if SANITIZED:
            for mark in SANITIZER_MARKS:
                assert mark not in r.stderr, f"sanitizer report from medperf {args}:\n{r.stderr}"
        if check:
            assert r.returncode == 0, (f"medperf {' '.join(args)} exited {r.returncode}\n"
                                       f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}")
        return r

    def json(self, *args):
        """Runs a command with --json and returns the parsed output."""
        r = self.run(*args, "--json", check=True)
        return json.loads(r.stdout)

    def setup_profile(self):
        self.run("profile", "create", "-n", "test", "--server", self.srv.url,
                 "--certificate", self.srv.cert, check=True)
        self.run("profile", "activate", "test", check=True)

    def login(self, admin=False):
        tok = os.path.join(self.home, "token")
        with open(tok, "w") as f:
            f.write(self.srv.token(self.email, admin=admin))
        self.run("auth", "login", "--token-file", tok, check=True)
        return self

    @property
    def user_id(self):
        return self.json("auth", "status")["user"]["id"]


class CliFactory:
    def __init__(self, srv, base):
        self.srv = srv
        self.base = base
        self.made = {}

    def fresh(self, name):
        c = Cli(self.srv, self.base, name)
        c.setup_profile()
        return c

    def __call__(self, name, admin=False):
        if name not in self.made:
            self.made[name] = self.fresh(name).login(admin=admin)
        return self.made[name]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server.start(tmp_path_factory.mktemp("srv"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def cli(srv, tmp_path_factory):
    return CliFactory(srv, str(tmp_path_factory.mktemp("users")))


@pytest.fixture(scope="module")
def admin_api(srv):
    """The platform admin, straight to the API (for setting up and checking)."""
    return srv.user("admin", admin=True)


@pytest.fixture(scope="module")
def f(srv, admin_api):
    """A Factory (tests/api/factory.py) making entities through the API."""
    from factory import Factory
    return Factory(srv, admin_api)


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """A local HTTP server on 127.0.0.1 serving a folder: (folder, base URL, requests seen)."""
    root = tmp_path_factory.mktemp("www")
    seen = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            seen.append(self.path)

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    th = threading.Thread(target=httpd.serve_forever, daemon=True)
    th.start()
    yield str(root), f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    th.join(timeout=10)
    httpd.server_close()
