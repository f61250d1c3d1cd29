"""test_cli_errors.py: the client's help, usage errors, exit codes and output
conventions.

- every group's and command's --help, checked against the option tables in
  src/client/cmd_*.c, and every option shown accepted by the parser;
- usage errors (exit 2) name what is wrong;
- the server unreachable or not trusted (exit 5), refused logins and
  permissions (exit 4), refusals (exit 3), server failures (exit 1, with a
  fake server on 127.0.0.1), declined confirmations (exit 7, nothing sent);
- output: aligned tables, no colour unless on a terminal without NO_COLOR,
  --json prints only JSON.
"""
import json
import os
import pty
import re
import select
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from factory import Factory, uniq
from server import ROOT, SANITIZED, Server

SRC = os.path.join(ROOT, "src", "client")
GROUPS = ["association", "auth", "benchmark", "container", "dataset", "model", "profile",
          "result", "storage"]
ALIASES = {"mlcube": "container"}
ANSI = re.compile(r"\x1b\[")
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


# ---------------------------------------------------------------- the option tables in the C source

def _read(path):
    with open(path) as f:
        return f.read()


def _defines(text):
    """#define NAME[(params)] body (continuation lines joined) -> {NAME: (params, body)}."""
    out = {}
    for m in re.finditer(r"^#define[ \t]+(\w+)(\([^)]*\))?[ \t]*((?:[^\n]*\\\n)*[^\n]*)$",
                         text, re.M):
        params = [p.strip() for p in m.group(2)[1:-1].split(",")] if m.group(2) else None
        out[m.group(1)] = (params, m.group(3).replace("\\\n", " "))
    return out


def _expand(body, defs):
    for _ in range(3):
        for name, (params, repl) in defs.items():
            if not re.search(rf"\b{name}\b", body):
                continue
            if params is None:
                body = re.sub(rf"\b{name}\b", lambda _m, r=repl: r, body)
                continue

            def call(m, params=params, repl=repl):
                args = [a.strip() for a in m.group(1).split(",")]
                out = repl
                for p, a in zip(params, args):
                    out = re.sub(rf"\b{p}\b", a, out)
                return out
            body = re.sub(rf"\b{name}\(([^)]*)\)", call, body)
    return body


def c_tables(group):
    """{command: [(short, long, kind, required)]} and the command order, read from
    src/client/cmd_<group>.c (macros from the headers expanded)."""
    text = _read(os.path.join(SRC, f"cmd_{group}.c"))
    defs = {}
    for h in ("cli.h", "entity.h"):
        defs.update(_defines(_read(os.path.join(SRC, h))))
    defs.update(_defines(text))
    defs.pop("END", None)
    tables = {}
    for m in re.finditer(r"static const struct opt (\w+)\[\]\s*=\s*\{(.*?)\};", text, re.S):
        body = _expand(m.group(2), defs)
        entries = re.findall(r"\{\s*('.'|0)\s*,\s*\"([\w-]+)\"\s*,\s*(OPT_\w+)\s*,"
                             r"\s*(?:\"[^\"]*\"|NULL)\s*,\s*((?:\"(?:[^\"\\]|\\.)*\"\s*)+)"
                             r",\s*(\w+)\s*\}", body)
        tables[m.group(1)] = [(sh.strip("'") if sh != "0" else None, lng, kind, req != "0")
                              for sh, lng, kind, _help, req in entries]
    cm = re.search(r"static const struct cmd \w+\[\]\s*=\s*\{(.*?)\n\};", text, re.S)
    cmds = re.findall(r"\{\"(\w+)\",\s*\w+,\s*(\w+),", cm.group(1))
    assert cmds, f"no command table found in cmd_{group}.c"
    return {name: tables[table] for name, table in cmds}, [name for name, _ in cmds]


def help_commands(text):
    lines = text.split("commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [line.split()[0] for line in lines if line.strip()]


def help_options(text):
    """The options a command's --help shows: [(short or None, long)], positionals apart."""
    body = text.split("\noptions:\n", 1)[1]
    opts, pos = [], []
    for line in body.splitlines():
        m = re.match(r"^  (?:-(\w), )?\s*--([\w-]+)", line)
        if m:
            opts.append((m.group(1), m.group(2)))
        elif line.strip():
            pos.append(line.split()[0])
    return opts, pos


# ---------------------------------------------------------------- helpers

def client_path(c):
    return c.run("--version").args[0]


def run_pty(c, args, answer=None, stdout_tty=False, env=None, timeout=60):
    """Runs medperf with a terminal as stdin (answer typed into it) and, when
    stdout_tty, as stdout. Returns (rc, stdout, stderr)."""
    master, slave = pty.openpty()
    e = dict(c.env)
    e.update(env or {})
    p = subprocess.Popen([client_path(c), *args], stdin=slave,
                         stdout=slave if stdout_tty else subprocess.PIPE,
                         stderr=subprocess.PIPE, env=e, cwd=c.home, close_fds=True)
    os.close(slave)
    if answer is not None:
        os.write(master, answer.encode())
    chunks, deadline = [], time.monotonic() + timeout
    out = b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif p.poll() is not None:
            # drain what is left
            try:
                while select.select([master], [], [], 0.05)[0]:
                    data = os.read(master, 65536)
                    if not data:
                        break
                    chunks.append(data)
            except OSError:
                pass
            break
    else:
        p.kill()
        raise AssertionError(f"medperf {args} did not finish within {timeout} s")
    if not stdout_tty:
        out = p.stdout.read()
    err = p.stderr.read().decode()
    rc = p.wait(timeout=timeout)
    os.close(master)
    tty_text = b"".join(chunks).decode(errors="replace")
    if SANITIZED:
        for mark in SANITIZER_MARKS:
            assert mark not in err, f"sanitizer report from medperf {args}:\n{err}"
    return rc, (tty_text if stdout_tty else out.decode()), err


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def self_signed(tmp_path):
    key, crt = os.path.join(str(tmp_path), "k.pem"), os.path.join(str(tmp_path), "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=x", "-keyout", key,
                    "-out", crt, "-days", "1"], check=True, capture_output=True, timeout=60)
    return crt


def token_file(c):
    import base64
    return os.path.join(c.config, ".tokens", base64.b64encode(c.email.encode()).decode(),
                        "medperf_access_token")


def assert_usage(r, *names):
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stdout == ""
    for n in names:
        assert n in r.stderr, (n, r.stderr)


def table_lines(stdout):
    return [line for line in stdout.splitlines() if line.strip()]


def assert_aligned(stdout, ncols, full=True):
    """Columns of a table: every row has its cells at the header's offsets,
    with two blanks at least between columns; with full (no empty cell),
    every line split on 2+ blanks gives ncols fields."""
    lines = table_lines(stdout)
    assert lines, "empty table"
    head = lines[0]
    starts = [m.start() for m in re.finditer(r"(?:^|(?<=  ))\S", head)]
    assert len(starts) == ncols, (head, starts)
    for line in lines[1:]:
        for i, s in enumerate(starts):
            if len(line) <= s:
                continue
            if i:
                assert line[s - 2:s] == "  ", (line, s)  # nothing spills into the gap
            end = starts[i + 1] - 2 if i + 1 < len(starts) else len(line)
            cell = line[s:end]
            assert cell.strip() == "" or not cell.startswith(" "), (line, i)  # starts at s
        if full:
            assert len(re.split(r" {2,}", line.strip())) == ncols, line
    if full:
        assert len(re.split(r" {2,}", head.strip())) == ncols


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def world(srv, cli):
    """Through the API: a benchmark of bo with an approved model of mo and an
    approved dataset of do, a result of do, and a pending benchmark of bo."""
    admin = srv.user("admin", admin=True)
    f = Factory(srv, admin)
    bo, mo, do = srv.user("bo"), srv.user("mo"), srv.user("do")
    w = f.world(bo, mo, do)
    b, m, d = w["benchmark"]["id"], w["model"]["id"], w["dataset"]["id"]
    r = do.post("/results/", {"benchmark": b, "model": m, "dataset": d, "name": uniq("run"),
                              "results": {}, "metadata": {},
                              "model_report": {"execution_status": "pending"}})
    assert r.status_code == 201, r.text
    w["result"] = r.json()
    w["pending"] = f.benchmark(bo, approve=False)
    w["f"] = f
    w["api"] = {"bo": bo, "mo": mo, "do": do, "admin": admin}
    for name in ("bo", "mo", "do"):
        cli(name)
    return w


# ---------------------------------------------------------------- help

def test_top_level_help(cli):
    c = cli.fresh("help")
    for flag in ("--help", "-h"):
        r = c.run(flag)
        assert r.returncode == 0 and r.stderr == ""
        assert r.stdout.startswith("usage: medperf")
        for g in GROUPS:
            assert re.search(rf"^  {g}\b", r.stdout, re.M), g
        assert "mlcube" in r.stdout and "--profile NAME" in r.stdout and "--version" in r.stdout
    r = c.run()
    assert r.returncode == 2 and r.stdout == "" and "usage: medperf" in r.stderr


@pytest.mark.parametrize("group", GROUPS + list(ALIASES))
def test_group_help_lists_the_commands_of_the_table(cli, group):
    c = cli.fresh(f"ghelp-{group}")
    real = ALIASES.get(group, group)
    _, order = c_tables(real)
    for flag in ("--help", "-h"):
        r = c.run(group, flag)
        assert r.returncode == 0 and r.stderr == ""
        assert r.stdout.startswith(f"usage: medperf {real} <command>")
        assert help_commands(r.stdout) == order
    # the group alone: its help, as a usage error
    r = c.run(group)
    assert r.returncode == 2 and r.stdout == ""
    assert help_commands(r.stderr) == order


@pytest.mark.parametrize("group", GROUPS)
def test_command_help_and_every_option_accepted(cli, group):
    """Each command's --help lists exactly its table's options, and each
    option (long and short) gets past the parser."""
    c = cli.fresh(f"chelp-{group}")  # not logged in: nothing reaches the server
    tables, order = c_tables(group)
    r = c.run(group, "--help")
    assert help_commands(r.stdout) == order
    for cmd in order:
        table = tables[cmd]
        r = c.run(group, cmd, "--help")
        assert r.returncode == 0 and r.stderr == "", (cmd, r.stderr)
        assert r.stdout.startswith(f"usage: medperf {group} {cmd}")
        assert c.run(group, cmd, "-h").stdout == r.stdout
        shown, positional = help_options(r.stdout)
        want = [(s, lng) for s, lng, kind, _ in table if kind != "OPT_POS"] + [("h", "help")]
        assert shown == want, (cmd, shown, want)
        pos_help = list(positional)
        for s, lng, kind, req in table:
            if kind == "OPT_POS":
                assert any(p.isupper() for p in pos_help), (cmd, lng)
                continue
            if req:
                assert re.search(rf"--{lng}\b.*\(required\)", r.stdout), (cmd, lng)
            value = ["1"] if kind == "OPT_INT" else ([] if kind == "OPT_FLAG" else ["x"])
            forms = [f"--{lng}"] + ([f"-{s}"] if s else [])
            for form in forms:
                rr = c.run(group, cmd, form, *value, input="")
                assert "unknown option" not in rr.stderr, (cmd, form, rr.stderr)
                assert "needs a value" not in rr.stderr, (cmd, form, rr.stderr)
                assert "needs a whole number" not in rr.stderr, (cmd, form, rr.stderr)
                assert "unexpected argument" not in rr.stderr, (cmd, form, rr.stderr)
                if kind != "OPT_FLAG":
                    # and the value is required
                    rr = c.run(group, cmd, form, input="")
                    assert rr.returncode == 2, (cmd, form)
                    assert f"option '{form}' needs a value" in rr.stderr, (cmd, form, rr.stderr)
                if kind == "OPT_INT":
                    for bad in ("abc", "1.5", "2x"):
                        rr = c.run(group, cmd, form, bad, input="")
                        assert rr.returncode == 2, (cmd, form, bad)
                        assert f"--{lng} needs a whole number, not '{bad}'" in rr.stderr


def test_options_table_parser_finds_options():
    # the C table parser itself: a few known rows, so that an empty parse cannot pass
    t, _ = c_tables("benchmark")
    assert ("b", "benchmark", "OPT_INT", True) in t["approve"]
    assert ("y", "yes", "OPT_FLAG", False) in t["submit"]
    t, _ = c_tables("container")
    assert ("m", "container-config-file", "OPT_VALUE", True) in t["submit"]
    t, _ = c_tables("profile")
    assert (None, "prepare_timeout", "OPT_INT", False) in t["set"]
    assert (None, "name", "OPT_POS", True) in t["delete"]
    assert len(t["set"]) >= 20


# ---------------------------------------------------------------- usage errors

@pytest.mark.parametrize("args,names", [
    (("nosuchgroup", "ls"), ["unknown command 'nosuchgroup'"]),
    (("benchmark", "nosuchcmd"), ["unknown command 'nosuchcmd'"]),
    (("benchmark", "ls", "--bogus"), ["unknown option '--bogus'"]),
    (("benchmark", "ls", "-Z"), ["unknown option '-Z'"]),
    (("--bogus", "benchmark", "ls"), ["unknown option '--bogus'"]),
    (("benchmark", "approve", "-y"), ["missing option --benchmark"]),
    (("benchmark", "submit", "-n", "x"), ["missing option --description"]),
    (("profile", "activate"), ["missing NAME"]),
    (("benchmark", "ls", "--name"), ["option '--name' needs a value"]),
    (("benchmark", "approve", "-y", "-b"), ["option '-b' needs a value"]),
    (("benchmark", "approve", "-y", "-b", "x"), ["--benchmark needs a whole number, not 'x'"]),
    (("association", "set_priority", "-y", "-b", "1", "-m", "2", "-p", "high"),
     ["--priority needs a whole number, not 'high'"]),
    (("profile", "set", "--infer_timeout", "soon"),
     ["--infer_timeout needs a whole number, not 'soon'"]),
    (("benchmark", "ls", "extra"), ["unexpected argument 'extra'"]),
    (("benchmark", "view", "1", "2"), ["unexpected argument '2'"]),
    (("auth", "status", "now"), ["unexpected argument 'now'"]),
    (("benchmark", "view", "abc"), ["ID must be a whole number", "abc"]),
    (("auth", "status", "--json=yes"), ["option '--json' takes no value"]),
])
def test_usage_errors(cli, args, names):
    c = cli("usage")  # logged in: the parser, not the login, must be what fails
    r = c.run(*args)
    assert_usage(r, *names)


def test_usage_error_sends_nothing(cli, srv, world):
    c = cli("bo")
    before = c.json("benchmark", "ls")
    r = c.run("benchmark", "submit", "-n", uniq("usage"), "-d", "x", "-p", "1", "-m", "1",
              "-e", "x", "--skip-compatibility-tests", "-y")
    assert_usage(r, "--evaluator-container", "'x'")
    assert c.json("benchmark", "ls") == before


# ---------------------------------------------------------------- the server unreachable or not trusted

def test_closed_port(cli, srv):
    c = cli.fresh("closed")
    port = free_port()
    assert c.run("profile", "set", "--server", f"https://127.0.0.1:{port}").returncode == 0
    r = c.run("auth", "login", "--token", srv.token(c.email))
    assert r.returncode == 5, r.stderr
    assert "cannot connect" in r.stderr and f"127.0.0.1:{port}" in r.stderr
    assert r.stdout == ""


def test_server_stopped(cli, tmp_path_factory):
    s2 = Server.start(tmp_path_factory.mktemp("srv-down"))
    c = cli.fresh("stopped")
    try:
        assert c.run("profile", "set", "--server", s2.url, "--certificate", s2.cert).returncode == 0
        assert c.run("auth", "login", "--token", s2.token(c.email)).returncode == 0
        assert c.run("benchmark", "ls", "--json").returncode == 0
    finally:
        s2.stop()
    for args in (("benchmark", "ls"), ("container", "view", "1"), ("result", "ls", "--json"),
                 ("association", "ls", "-b", "-d")):
        r = c.run(*args)
        assert r.returncode == 5, (args, r.stderr)
        assert "cannot connect" in r.stderr and s2.url.split("//")[1] in r.stderr
        assert r.stdout == ""


def test_wrong_pinned_certificate(cli, srv, tmp_path):
    c = cli.fresh("wrongpin")
    other = self_signed(tmp_path)
    assert c.run("auth", "login", "--token", srv.token(c.email)).returncode == 0
    assert c.run("profile", "set", "--certificate", other).returncode == 0
    r = c.run("container", "ls")
    assert r.returncode == 5, r.stderr
    assert "TLS" in r.stderr and other in r.stderr
    assert r.stdout == ""
    # a login attempt through it fails the same way
    c2 = cli.fresh("wrongpin2")
    assert c2.run("profile", "set", "--certificate", other).returncode == 0
    r = c2.run("auth", "login", "--token", srv.token(c2.email))
    assert r.returncode == 5 and "TLS" in r.stderr
    assert c2.json("auth", "status")["logged_in"] is False
    # back to the right certificate: it works again
    assert c.run("profile", "set", "--certificate", srv.cert).returncode == 0
    assert c.run("container", "ls").returncode == 0


def test_pinned_certificate_not_a_certificate(cli, srv, tmp_path):
    c = cli.fresh("garbagepin")
    assert c.run("auth", "login", "--token", srv.token(c.email)).returncode == 0
    junk = os.path.join(str(tmp_path), "junk.pem")
    with open(junk, "w") as f:
        f.write("this is not a certificate\n")
    assert c.run("profile", "set", "--certificate", junk).returncode == 0
    r = c.run("container", "ls")
    # reported with the TLS failures (exit 5), naming the file
    assert r.returncode == 5, r.stderr
    assert "TLS: cannot use the pinned certificate" in r.stderr and junk in r.stderr


def test_system_store_does_not_trust_the_test_server(cli, srv):
    c = cli.fresh("sysstore")
    for var in ("SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE"):
        c.env.pop(var, None)  # the system store only
    assert c.run("auth", "login", "--token", srv.token(c.email)).returncode == 0
    assert c.run("profile", "set", "--certificate", "").returncode == 0
    r = c.run("container", "ls")
    assert r.returncode == 5, r.stderr
    assert "TLS" in r.stderr and "system" in r.stderr
    c2 = cli.fresh("sysstore2")
    c2.env = dict(c.env, HOME=c2.home, MEDPERF_CONFIG_STORAGE=c2.config)
    assert c2.run("profile", "set", "--certificate", "").returncode == 0
    r = c2.run("auth", "login", "--token", srv.token(c2.email))
    assert r.returncode == 5 and "TLS" in r.stderr


# ---------------------------------------------------------------- the server's answers

def test_401_token_of_another_server(cli, srv, tmp_path_factory):
    c = cli.fresh("t401")
    assert c.run("auth", "login", "--token", srv.token(c.email)).returncode == 0
    s2 = Server.start(tmp_path_factory.mktemp("srv-401"))
    try:
        foreign = s2.token(c.email)
    finally:
        s2.stop()
    with open(token_file(c), "w") as f:
        f.write(foreign)
    for args in (("container", "ls"), ("benchmark", "view", "1"), ("dataset", "ls", "--mine")):
        r = c.run(*args)
        assert r.returncode == 4, (args, r.stderr)
        assert "401" in r.stderr
        assert foreign.split(".")[2] not in r.stderr + r.stdout


def test_403_non_admin_approves_benchmark(cli, srv, world):
    b = world["pending"]["id"]
    for name in ("bo", "mo"):  # the owner is no admin either
        r = cli(name).run("benchmark", "approve", "-y", "-b", str(b))
        assert r.returncode == 4, r.stderr
        assert "only a platform admin" in r.stderr
        r = cli(name).run("benchmark", "reject", "-y", "-b", str(b))
        assert r.returncode == 4
    api = world["api"]["bo"].get(f"/benchmarks/{b}/")
    assert api.json()["approval_status"] == "PENDING"
    # the admin can
    adm = cli("admin", admin=True)
    r = adm.run("benchmark", "approve", "-y", "-b", str(b))
    assert r.returncode == 0, r.stderr
    assert world["api"]["bo"].get(f"/benchmarks/{b}/").json()["approval_status"] == "APPROVED"


def test_403_server_message(cli, world):
    b = world["benchmark"]["id"]
    r = cli("mo").run("benchmark", "update_associations_policy", "-y", "-b", str(b),
                      "--dataset_auto_approve_mode", "always")
    assert r.returncode == 4, r.stderr
    assert "permission" in r.stderr
    bench = world["api"]["bo"].get(f"/benchmarks/{b}/").json()
    assert bench["dataset_auto_approval_mode"] == "NEVER"


@pytest.mark.parametrize("group,noun", [("benchmark", "benchmark"), ("container", "container"),
                                        ("mlcube", "container"), ("model", "model"),
                                        ("dataset", "dataset"), ("result", "result")])
def test_404_view(cli, world, group, noun):
    # a missing result is a 403 for non-admins (MedPerf's server): the admin asks
    c = cli("admin", admin=True) if group == "result" else cli("bo")
    r = c.run(group, "view", "999999")
    assert r.returncode == 3, r.stderr
    assert f"there is no {noun} 999999" in r.stderr
    assert r.stdout == ""


def test_missing_result_for_a_non_admin(cli, world):
    r = cli("bo").run("result", "view", "999999")
    assert r.returncode == 4, r.stderr
    assert "permission" in r.stderr


def test_400_field_errors_named(cli, srv, world):
    c = cli("bo")
    b = world["benchmark"]
    before = c.json("benchmark", "ls")
    r = c.run("benchmark", "submit", "-n", b["name"], "-d", "again",
              "-p", str(b["data_preparation_mlcube"]), "-m", str(b["reference_model"]),
              "-e", str(b["data_evaluator_mlcube"]), "--skip-compatibility-tests", "-y")
    assert r.returncode == 3, r.stderr
    assert "name: benchmark with this name already exists." in r.stderr
    after = c.json("benchmark", "ls")
    assert after == before
    assert [x["name"] for x in after].count(b["name"]) == 1


class _Fake(BaseHTTPRequestHandler):
    """GET /api/v0/me/: a user; GET /api/v0/benchmarks/<status>/: that status."""
    hits = {}

    def log_message(self, *a):
        pass

    def _send(self, status, body, ctype="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        _Fake.hits[self.path] = _Fake.hits.get(self.path, 0) + 1
        if self.path.startswith("/api/v0/me/"):
            return self._send(200, json.dumps({"id": 7, "username": "fake@example.org",
                                               "email": "fake@example.org", "first_name": "",
                                               "last_name": "", "metadata": {}}))
        m = re.match(r"^/api/v0/benchmarks/(\d+)/$", self.path)
        if not m:
            return self._send(404, json.dumps({"detail": "Not found."}))
        status = int(m.group(1))
        if status == 200:
            return self._send(200, "<html>not json</html>", "text/html")
        if status == 400:
            return self._send(400, json.dumps({"name": ["this name is bad"]}))
        if status == 599:
            return self._send(500, "<html>Internal Server Error</html>", "text/html")
        return self._send(status, json.dumps({"detail": f"answer {status}"}))


@pytest.fixture(scope="module")
def fake(cli, srv):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    c = cli.fresh("fake")
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    assert c.run("profile", "set", "--server", url).returncode == 0
    r = c.run("auth", "login", "--token", srv.token("fake@example.org"))
    assert r.returncode == 0, r.stderr
    yield c
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("status,code,text", [
    (400, 3, "name: this name is bad"),
    (404, 3, "there is no benchmark 404"),
    (409, 3, "answer 409"),
    (401, 4, "answer 401"),
    (403, 4, "answer 403"),
    (500, 1, "answer 500"),
    (599, 1, "500"),
    (502, 1, "answer 502"),
    (503, 1, "answer 503"),
    (200, 1, "not JSON"),
])
def test_status_mapping(fake, status, code, text):
    r = fake.run("benchmark", "view", str(status))
    assert r.returncode == code, (status, r.returncode, r.stderr)
    assert text in r.stderr, r.stderr
    assert r.stderr.startswith("medperf: error: ")
    assert r.stdout == ""


def test_idempotent_get_retried_on_503_only(fake):
    _Fake.hits.clear()
    fake.run("benchmark", "view", "503")
    fake.run("benchmark", "view", "500")
    assert _Fake.hits["/api/v0/benchmarks/503/"] > 1
    assert _Fake.hits["/api/v0/benchmarks/500/"] == 1


# ---------------------------------------------------------------- declining a confirmation

def _submit_args(world, name):
    b = world["benchmark"]
    return ["benchmark", "submit", "-n", name, "-d", "declined",
            "-p", str(b["data_preparation_mlcube"]), "-m", str(b["reference_model"]),
            "-e", str(b["data_evaluator_mlcube"]), "--skip-compatibility-tests"]


def _names(c):
    return [x["name"] for x in c.json("benchmark", "ls", "--mine")]


def test_decline_without_terminal(cli, world):
    c = cli("bo")
    name = uniq("declined")
    r = c.run(*_submit_args(world, name), input="y\n")  # not a terminal: no answer read
    assert r.returncode == 7, r.stderr
    assert "cancelled" in r.stderr and "[y/N]" in r.stderr
    assert name in r.stderr  # what would have been sent is shown
    assert r.stdout == ""
    assert name not in _names(c)
    api = world["api"]["bo"].get("/me/benchmarks/").json()
    assert name not in [x["name"] for x in api["results"]]


def test_decline_on_terminal(cli, world):
    c = cli("bo")
    for answer in ("n\n", "\n", "no\n", "x\n"):
        name = uniq("ttyno")
        rc, out, err = run_pty(c, _submit_args(world, name), answer=answer)
        assert rc == 7, (answer, err)
        assert "[y/N]" in err and "cancelled" in err
        assert name not in _names(c)


def test_accept_on_terminal(cli, world):
    c = cli("ttyuser")  # a user owns one pending benchmark at most: one user per submit
    name = uniq("ttyyes")
    rc, out, err = run_pty(c, _submit_args(world, name), answer="y\n")
    assert rc == 0, err
    assert "[y/N]" in err
    assert name in _names(c)


def test_yes_skips_the_question(cli, world):
    c = cli("yesuser")
    name = uniq("yes")
    r = c.run(*_submit_args(world, name), "-y", "--json")
    assert r.returncode == 0, r.stderr
    assert "[y/N]" not in r.stderr
    assert json.loads(r.stdout)["name"] == name
    assert name in _names(c)


# ---------------------------------------------------------------- output

LS_TABLES = [
    ("bo", ("benchmark", "ls"), 7),
    ("bo", ("container", "ls"), 4),
    ("bo", ("mlcube", "ls"), 4),
    ("bo", ("model", "ls"), 5),
    ("do", ("result", "ls"), 7),
    ("bo", ("result", "ls", "-b", "BENCH"), 7),
    ("bo", ("association", "ls", "-b", "-m"), 4),
    ("bo", ("association", "ls", "-b", "-d"), 4),
    ("do", ("association", "ls", "-b", "-d"), 4),
    ("bo", ("profile", "ls"), 3),  # NAME, SERVER, LOGGED IN AS (the * column has no header)
    ("bo", ("storage", "ls"), 3),
]


@pytest.mark.parametrize("who,args,ncols", LS_TABLES)
def test_tables_aligned(cli, world, who, args, ncols):
    args = tuple(str(world["benchmark"]["id"]) if a == "BENCH" else a for a in args)
    r = cli(who).run(*args)
    assert r.returncode == 0, r.stderr
    lines = table_lines(r.stdout)
    assert len(lines) >= 2, f"no rows in {args}:\n{r.stdout}"
    # profile ls has an unnamed marker column, empty on most rows
    assert_aligned(r.stdout, ncols, full=args[0] not in ("profile",))


def test_dataset_table_aligned(cli, world):
    r = cli("do").run("dataset", "ls")
    assert r.returncode == 0
    assert_aligned(r.stdout, 6, full=False)  # Status may be empty
    assert str(world["dataset"]["id"]) in r.stdout


def test_table_columns_are_medperf_s(cli, world):
    heads = {
        ("benchmark", "ls"): ["UID", "Name", "Description", "Data Preparation Container",
                              "State", "Approval Status", "Registered"],
        ("container", "ls"): ["UID", "Name", "State", "Registered"],
        ("dataset", "ls"): ["UID", "Name", "Data Preparation Container UID", "State", "Status",
                            "Owner"],
        ("result", "ls"): ["UID", "Name", "Benchmark", "Model", "Dataset", "Executed",
                           "Finalized"],
    }
    for args, want in heads.items():
        r = cli("do").run(*args)
        assert re.split(r" {2,}", table_lines(r.stdout)[0].strip()) == want, args


def test_result_and_association_tables_show_no_raw_timestamps(cli, world):
    for who, args in (("do", ("result", "ls")), ("bo", ("association", "ls", "-b", "-d")),
                      ("bo", ("association", "ls", "-b", "-m")),
                      ("bo", ("result", "ls", "-b", str(world["benchmark"]["id"])))):
        r = cli(who).run(*args)
        assert r.returncode == 0
        assert not ISO_TIME.search(r.stdout), r.stdout
        for m in re.finditer(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?\S*", r.stdout):
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", m.group(0)), m.group(0)


@pytest.mark.parametrize("args", [("benchmark", "ls"), ("profile", "ls"), ("auth", "status"),
                                  ("container", "view", "1"), ("storage", "ls")])
def test_no_colour_when_not_a_terminal(cli, world, args):
    c = cli("bo")
    for env in ({"NO_COLOR": ""}, {"NO_COLOR": "1"}, {"NO_COLOR": "", "TERM": "xterm-256color"}):
        r = c.run(*args, env=env)
        assert r.returncode == 0, r.stderr
        assert not ANSI.search(r.stdout) and not ANSI.search(r.stderr), (args, env)


def test_colour_only_on_a_terminal_without_no_color(cli, world):
    c = cli("bo")
    rc, out, err = run_pty(c, ["benchmark", "ls"], stdout_tty=True,
                           env={"NO_COLOR": "1", "TERM": "xterm"})
    assert rc == 0, err
    assert "UID" in out and not ANSI.search(out)
    rc, out, err = run_pty(c, ["benchmark", "ls"], stdout_tty=True,
                           env={"NO_COLOR": "", "TERM": "xterm"})
    assert rc == 0, err
    assert "UID" in out and ANSI.search(out), "no colour on a terminal (the check proves nothing)"
    # a declined question on a terminal: the messages on stderr have no colour with NO_COLOR
    rc, out, err = run_pty(c, _submit_args(world, uniq("colour")), answer="n\n",
                           env={"NO_COLOR": "1"})
    assert rc == 7 and not ANSI.search(err)


JSON_LS = ["benchmark", "container", "mlcube", "model", "dataset", "result"]


@pytest.mark.parametrize("group", JSON_LS)
def test_json_only_on_stdout(cli, world, group):
    real = ALIASES.get(group, group)
    ent = {"benchmark": world["benchmark"], "container": {"id": 1}, "model": world["model"],
           "dataset": world["dataset"], "result": world["result"]}[real]
    who = "do" if real in ("result", "dataset") else "bo"
    c = cli(who)
    eid = str(ent["id"])
    for args in (("ls", "--json"), ("view", "--json"), ("view", "-f", "json"),
                 ("view", "--format", "json", "--mine"), ("view", eid, "--json"),
                 ("view", eid, "-f", "json")):
        r = c.run(group, *args)
        assert r.returncode == 0, (args, r.stderr)
        data = json.loads(r.stdout)  # nothing but JSON
        if eid in args:
            assert isinstance(data, dict) and data["id"] == ent["id"]
        else:
            assert isinstance(data, list)
            if "--mine" not in args or real in ("result", "dataset", "benchmark"):
                assert ent["id"] in [x["id"] for x in data], (group, args)
    # YAML view is not JSON, and -o writes the file and prints nothing on stdout
    out = os.path.join(c.home, f"view-{group}.json")
    r = c.run(group, "view", eid, "--json", "-o", out)
    assert r.returncode == 0 and r.stdout == ""
    with open(out) as f:
        assert json.load(f)["id"] == ent["id"]


def test_json_only_on_stdout_other_commands(cli, world):
    c = cli("bo")
    for args, kind in ((("association", "ls", "-b", "-m", "--json"), list),
                       (("association", "ls", "-b", "-d", "--json"), list),
                       (("profile", "ls", "--json"), list),
                       (("profile", "view", "--json"), dict),
                       (("profile", "view", "default", "--json"), dict),
                       (("storage", "ls", "--json"), list),
                       (("auth", "status", "--json"), dict),
                       (("benchmark", "ls", "--mine", "--json"), list)):
        r = c.run(*args)
        assert r.returncode == 0, (args, r.stderr)
        assert isinstance(json.loads(r.stdout), kind), args
    rows = c.json("association", "ls", "-b", "-m")
    assert (world["model"]["id"], world["benchmark"]["id"]) in \
        [(x["model"], x["benchmark"]) for x in rows]


def test_json_error_prints_nothing_on_stdout(cli, world):
    r = cli("bo").run("benchmark", "view", "999999", "--json")
    assert r.returncode == 3 and r.stdout == ""
