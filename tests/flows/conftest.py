"""Fixtures of the federated-evaluation flow tests (reference 2.3 E-J):
a real medperf-server over TLS, the real `medperf` as several people, and
tiny NativeArchive containers run in the real sandbox.

  srv         the server (tests/api/server.py), one for the folder;
  web         a plain HTTP server on 127.0.0.1: (folder, base URL)
  kit         flowkit.Kit: the containers, weights and demo data, served by web
  person      person("do1") -> flowkit.Person, set up and logged in (cached)
  fed         Federation: the committee's containers and benchmarks, model
              owners' models, hospitals, each made through the CLI as the
              people would
"""
import functools
import http.server
import os
import shutil
import sys
import tempfile
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
sys.path.insert(0, HERE)

from server import ROOT, SANITIZED, Server  # noqa: E402
from flowkit import Kit, Person, raw_site, uniq  # noqa: E402

BUILD = os.path.abspath(os.environ.get("MEDPERF_BUILD", os.path.join(ROOT, "build")))
CLIENT = os.path.abspath(os.environ.get("MEDPERF_CLIENT", os.path.join(BUILD, "src", "medperf")))


@pytest.fixture(scope="session")
def base():
    # outside /tmp: the sandbox's /tmp is private, so nothing here is visible by accident
    d = tempfile.mkdtemp(prefix="medperf-flows-", dir="/var/tmp")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def srv(base):
    os.makedirs(os.path.join(base, "srv"))
    s = Server.start(os.path.join(base, "srv"))
    yield s
    s.stop()


@pytest.fixture(scope="session")
def web(base):
    root = os.path.join(base, "www")
    os.makedirs(root)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=root))
    th = threading.Thread(target=httpd.serve_forever, daemon=True)
    th.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    th.join(timeout=10)
    httpd.server_close()


@pytest.fixture(scope="session")
def kit(web, base):
    root, url = web
    work = os.path.join(base, "kit")
    os.makedirs(work)
    return Kit(root, url, work)


@pytest.fixture(scope="session")
def person(srv, base):
    made = {}
    users = os.path.join(base, "users")

    def get(name, admin=False, email=None):
        if name not in made:
            assert os.access(CLIENT, os.X_OK), f"no medperf at {CLIENT} (set MEDPERF_CLIENT)"
            made[name] = Person(srv, CLIENT, users, name, email=email,
                                sanitized=SANITIZED).setup(admin=admin)
        return made[name]
    return get


class Federation:
    """The people and what they register, through the CLI."""

    def __init__(self, srv, kit, person, base):
        self.srv, self.kit, self.person, self.base = srv, kit, person, base
        self.bo = person("bo")
        self.mo = person("mo")
        self.admin = person("admin", admin=True)
        self.api = srv.user("admin", admin=True)
        self._parts = None

    def container(self, who, kind, params=None, extra=(), name=None):
        cfg, p = self.kit.config(kind, params)
        got = who.json("container", "submit", "-n", name or uniq(kind), "-m", cfg, "-p", p,
                       "--operational", "-y", *extra)
        return got

    def parts(self):
        """The committee's preparation container, reference model and evaluator (once)."""
        if self._parts is None:
            prep = self.container(self.bo, "prep", {"add": 1})
            ref = self.container(self.bo, "model", {"mode": "good"},
                                 extra=("-a", self.kit.file_url("weights.tar.gz"),
                                        "--additional-hash", self.kit.weights_sha))
            ev = self.container(self.bo, "eval")
            self._parts = {"prep": prep["id"], "ref": ref["id"], "eval": ev["id"]}
        return self._parts

    def model(self, owner=None, **params):
        """A model of owner (default mo): the model container with these parameters."""
        return self.container(owner or self.mo, "model", params or {"mode": "good"})["id"]

    def benchmark(self, models=(), test=False, prep=None):
        """An approved benchmark of bo with the models associated and approved."""
        p = self.parts()
        args = ["benchmark", "submit", "-n", uniq("bench"), "-d", "flows",
                "-p", prep or p["prep"], "-m", p["ref"], "-e", p["eval"], "--operational", "-y"]
        if test:
            args += ["--demo-url", self.kit.file_url("demo.tar.gz")]
        else:
            args += ["--skip-compatibility-tests"]
        b = self.bo.json(*args)["id"]
        self.admin.run("benchmark", "approve", "-b", b, "-y", check=True)
        for m in models:
            self.associate_model(b, m)
        return b

    def associate_model(self, b, m, owner=None):
        (owner or self.mo).run("model", "associate", "-b", b, "-m", m, "-y", check=True)
        self.bo.run("association", "approve", "-b", b, "-m", m, "-y", check=True)

    def hospital(self, name, b, values=(3, 4, 7), labels=(0, 1, 0), infer_timeout=None,
                 approve=True):
        """A data owner with an operational dataset associated with benchmark b (the
        request approved by the committee unless approve is False): (person, dataset id)."""
        do = self.person(name)
        if infer_timeout:
            do.run("profile", "set", "--infer_timeout", infer_timeout, check=True)
        data, lab = raw_site(os.path.join(self.base, "raw", name, uniq("site")), values, labels)
        d = do.json("dataset", "submit", "-b", b, "-d", data, "-l", lab, "--name", uniq(name),
                    "-y")["id"]
        do.run("dataset", "prepare", "-d", d, "-y", check=True)
        do.run("dataset", "set_operational", "-d", d, "-y", check=True)
        do.run("dataset", "associate", "-d", d, "-b", b, "-y", check=True)
        if approve:
            self.bo.run("association", "approve", "-b", b, "-d", d, "-y", check=True)
        return do, d


@pytest.fixture(scope="session")
def fed(srv, kit, person, base):
    return Federation(srv, kit, person, base)
