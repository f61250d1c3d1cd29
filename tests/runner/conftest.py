"""Fixtures for the sandbox tests: a hostile program run as a task through
the real `medperf container run_test`, on each platform.

  client       the medperf binary ($MEDPERF_CLIENT, default <build>/src/medperf)
  hostile_bin  tests/runner/hostile.c built once with `cc -static -O1`
  program_tree a folder with the hostile program and a root-owned setuid copy
               (mode 4755): a NativeArchive image given as a folder
  podman_image an OCI image built offline from the same binaries
               (FROM scratch, localhost/medperf-hostile:<unique>), removed at the end
  platform     "native" or "podman" (module-scoped, parametrized); podman is
               skipped, with the reason, while its backend cannot run a task
  home         a per-test HOME and MEDPERF_CONFIG_STORAGE (outside /tmp, so that
               "not visible in the sandbox" is not just "/tmp is private")
  sandbox      Sandbox(platform, home): .run(...) writes the container config,
               runs `medperf container run_test ... --json -q`, and returns a Run
               (the parsed report, the log text, the RESULT lines of the task)

Every result line of the task is "RESULT <attack> <ok|fail> <errno|-> [k=v ...]"
(see hostile.c). With MEDPERF_SANITIZED=1, any sanitizer report in medperf's
stderr fails the test.
"""
import json
import os
import shutil
import socket
import select
import stat
import subprocess
import tempfile
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.abspath(os.environ.get("MEDPERF_BUILD", os.path.join(ROOT, "build")))
CLIENT = os.path.abspath(os.environ.get("MEDPERF_CLIENT", os.path.join(BUILD, "src", "medperf")))
SANITIZED = os.environ.get("MEDPERF_SANITIZED") == "1"
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
PLATFORMS = ["native", "podman"]
SANDBOX_UID = 65534
# where the program tree is inside: the same on both platforms
BIN = "/project/hostile"
SUID_BIN = "/project/hostile-suid"


def medperf_env(home, config):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDPERF_")}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    env.update(HOME=home, MEDPERF_CONFIG_STORAGE=config, NO_COLOR="1", LC_ALL="C.UTF-8")
    return env


def check_sanitizer(stderr, what):
    if SANITIZED:
        for mark in SANITIZER_MARKS:
            assert mark not in stderr, f"sanitizer report from medperf {what}:\n{stderr}"


# ---------------------------------------------------------------- binaries

@pytest.fixture(scope="session")
def client():
    assert os.access(CLIENT, os.X_OK), f"no medperf client at {CLIENT} (set MEDPERF_CLIENT)"
    return CLIENT


@pytest.fixture(scope="session")
def base_dir():
    """Everything of the session, under /var/tmp (not /tmp: the sandbox's /tmp is private
    anyway, which would make 'the home is not visible' trivially true)."""
    d = tempfile.mkdtemp(prefix="medperf-runner-", dir="/var/tmp")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def hostile_bin(base_dir):
    out = os.path.join(base_dir, "build", "hostile")
    os.makedirs(os.path.dirname(out))
    r = subprocess.run(["cc", "-static", "-O1", "-Wall", "-o", out,
                        os.path.join(HERE, "hostile.c")], capture_output=True, text=True)
    assert r.returncode == 0, f"cannot build hostile.c:\n{r.stderr}"
    return out


@pytest.fixture(scope="session")
def program_tree(base_dir, hostile_bin):
    """A NativeArchive program tree given as a folder: the hostile program and a
    root-owned setuid copy of it (as root, the test makes it 4755)."""
    d = os.path.join(base_dir, "program")
    os.makedirs(d)
    shutil.copy(hostile_bin, os.path.join(d, "hostile"))
    os.chmod(os.path.join(d, "hostile"), 0o755)
    suid = os.path.join(d, "hostile-suid")
    shutil.copy(hostile_bin, suid)
    os.chown(suid, 0, 0)
    os.chmod(suid, 0o4755)
    os.chmod(d, 0o755)
    assert os.stat(suid).st_mode & stat.S_ISUID
    return d


# ---------------------------------------------------------------- platforms

_probe = {}


def platform_problem(platform, client, base_dir, program_tree, podman_tag):
    """None when medperf can run a trivial task on platform; otherwise why not."""
    if platform in _probe:
        return _probe[platform]
    d = tempfile.mkdtemp(prefix=f"probe-{platform}-", dir=base_dir)
    home, config = os.path.join(d, "home"), os.path.join(d, "config")
    os.makedirs(home)
    if platform == "native":
        image, ctype = program_tree, "NativeArchive"
    else:
        image, ctype = podman_tag, "DockerImage"
    cfg = {"container_type": ctype, "image": image,
           "tasks": {"probe": {"run_args": {"command": [BIN, "exit", "0"]}}}}
    path = os.path.join(d, "container_config.yaml")
    with open(path, "w") as f:
        json.dump(cfg, f)
    r = subprocess.run([client, "container", "run_test", "-m", path, "-t", "probe",
                        "--platform", platform, "--json", "-q"], capture_output=True,
                       text=True, env=medperf_env(home, config), cwd=d, timeout=120)
    check_sanitizer(r.stderr, "run_test (probe)")
    problem = None
    if r.returncode != 0:
        problem = (r.stderr.strip() or r.stdout.strip() or f"exit status {r.returncode}")
    _probe[platform] = problem
    return problem


@pytest.fixture(scope="session")
def podman_image(base_dir, hostile_bin, client, program_tree):
    """(tag, problem): localhost/medperf-hostile:<unique>, FROM scratch, built offline
    (--pull=never), and None or why the podman platform cannot run it. The image is
    built before medperf is ever asked to run it (so nothing would try to pull it),
    and removed at the session's end."""
    if shutil.which("podman") is None:
        yield None, "podman is not installed"
        return
    tag = f"localhost/medperf-hostile:{uuid.uuid4().hex[:12]}"
    ctx = os.path.join(base_dir, "oci")
    os.makedirs(ctx)
    shutil.copy(hostile_bin, os.path.join(ctx, "hostile"))
    os.chmod(os.path.join(ctx, "hostile"), 0o755)
    with open(os.path.join(ctx, "Containerfile"), "w") as f:
        f.write("FROM scratch\n"
                "COPY hostile /project/hostile\n"
                # COPY drops the setuid bit unless told
                "COPY --chmod=4755 hostile /project/hostile-suid\n"
                "WORKDIR /project\n")
    r = subprocess.run(["podman", "build", "--pull=never", "--network=none", "-q",
                        "-t", tag, "-f", os.path.join(ctx, "Containerfile"), ctx],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        yield None, f"podman build failed: {r.stderr.strip()}"
        return
    try:
        yield tag, platform_problem("podman", client, base_dir, program_tree, tag)
    finally:
        subprocess.run(["podman", "rmi", "-f", tag], capture_output=True, timeout=120)


@pytest.fixture(scope="module", params=PLATFORMS)
def platform(request):
    return request.param


@pytest.fixture(scope="module")
def image(platform, request, client, base_dir, program_tree):
    """(container_type, image) of the hostile program on this platform."""
    if platform == "native":
        problem = platform_problem("native", client, base_dir, program_tree, None)
        assert problem is None, f"the native runner cannot run a trivial task: {problem}"
        return "NativeArchive", program_tree
    tag, problem = request.getfixturevalue("podman_image")
    if tag is None or problem is not None:
        pytest.skip(f"podman platform: the podman backend (src/runner/podman.c) cannot run "
                    f"tasks yet: {problem}")
    return "DockerImage", tag


# ---------------------------------------------------------------- homes and runs

class Home:
    """One person's medperf: a HOME and a MEDPERF_CONFIG_STORAGE of their own."""

    def __init__(self, d):
        self.dir = d
        self.home = os.path.join(d, "home")
        self.config = os.path.join(d, "config")
        os.makedirs(self.home)
        os.makedirs(self.config)
        self.env = medperf_env(self.home, self.config)
        self.storage = os.path.join(self.home, ".medperf")

    def path(self, *parts):
        return os.path.join(self.dir, *parts)


@pytest.fixture
def home(base_dir, request):
    d = tempfile.mkdtemp(prefix=request.node.name[:40].replace("/", "_") + "-", dir=base_dir)
    os.chmod(d, 0o755)
    return Home(d)


class Run:
    """What one run_test said: rc, report (parsed --json), log text, results."""

    def __init__(self, rc, stdout, stderr, seconds):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds  # wall time of the whole medperf command
        self.report = None
        self.log = ""
        self.results = {}
        self.env = {}
        self.lines = {}
        text = stdout.strip()
        if text.startswith("{"):
            self.report = json.loads(text)
            log = self.report.get("log")
            if log and os.path.exists(log):
                with open(log, errors="replace") as f:
                    self.log = f.read()
        for line in self.log.splitlines():
            if line.startswith("RESULT "):
                w = line.split(" ")
                if len(w) >= 4:
                    extras = dict(x.split("=", 1) for x in w[4:] if "=" in x)
                    self.results[w[1]] = (w[2], w[3], extras)
            elif line.startswith("LINE "):
                path, _, text = line[5:].partition(" ")
                self.lines.setdefault(path, []).append(text)
            elif line.startswith("ENV "):
                k, _, v = line[4:].partition("=")
                self.env[k] = v

    def result(self, attack):
        """(outcome, errno, extras) of one attack; fails if the task never reported it."""
        assert attack in self.results, (f"the task did not report '{attack}' (rc {self.rc})\n"
                                        f"report: {self.report}\nlog:\n{self.log[-3000:]}\n"
                                        f"stderr:\n{self.stderr[-3000:]}")
        return self.results[attack]

    def failed_with(self, attack, errno_name):
        outcome, err, extras = self.result(attack)
        assert (outcome, err) == ("fail", errno_name), (
            f"{attack}: expected fail {errno_name}, got {outcome} {err} {extras}")
        return extras

    @property
    def stop(self):
        assert self.report is not None, (f"no JSON report (rc {self.rc})\nstdout:\n{self.stdout}"
                                         f"\nstderr:\n{self.stderr}")
        return self.report["stop"]


class Sandbox:
    """Runs the hostile program as one task of a container, through medperf."""

    def __init__(self, client, platform, image, home):
        self.client = client
        self.platform = platform
        self.ctype, self.image = image
        self.h = home
        self.n = 0

    def config(self, command, inputs=None, outputs=None, task="hostile", environment=None):
        """Writes a container_config.yaml (JSON is YAML) and returns its path.
        inputs/outputs: {key: (mount_path, "directory"|"file")}."""
        run_args = {"command": list(command)}
        if environment:
            run_args["environment"] = environment
        t = {"run_args": run_args}
        if inputs:
            t["input_volumes"] = {k: {"mount_path": m, "type": ty} for k, (m, ty) in inputs.items()}
        if outputs:
            t["output_volumes"] = {k: {"mount_path": m, "type": ty}
                                   for k, (m, ty) in outputs.items()}
        cfg = {"container_type": self.ctype, "image": self.image, "tasks": {task: t}}
        self.n += 1
        path = self.h.path(f"container_config-{self.n}.yaml")
        with open(path, "w") as f:
            json.dump(cfg, f, indent=1)
        return path

    def run(self, command, inputs=None, outputs=None, mounts=None, task="hostile", args=(),
            environment=None, timeout=120, extra_env=None):
        """command: the task's argv (the hostile program's path first). mounts: {key: host}.
        Returns a Run."""
        import time
        cfg = self.config(command, inputs, outputs, task, environment)
        argv = [self.client, "container", "run_test", "-m", cfg, "-t", task,
                "--platform", self.platform, "--json", "-q", *args]
        if mounts:
            argv += ["--mounts", ",".join(f"{k}={v}" for k, v in mounts.items())]
        env = dict(self.h.env)
        if extra_env:
            env.update(extra_env)
        t0 = time.monotonic()
        r = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=self.h.dir,
                           timeout=timeout)
        seconds = time.monotonic() - t0
        check_sanitizer(r.stderr, "container run_test")
        return Run(r.returncode, r.stdout, r.stderr, seconds)

    def multi(self, *commands, **kw):
        """Several hostile subcommands in one task ("read /etc/shadow", ...)."""
        return self.run([BIN, "multi", *commands], **kw)


@pytest.fixture
def sandbox(client, platform, image, home):
    return Sandbox(client, platform, image, home)


# ---------------------------------------------------------------- the host side

def sandbox_processes(marker=None):
    """Processes of the sandbox user running the hostile program, or carrying marker."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/status") as f:
                uid = next(int(l.split()[1]) for l in f if l.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if (marker and marker in cmd) or (uid == SANDBOX_UID and "hostile" in cmd):
            found.append((int(pid), uid, cmd))
    return found


class Listeners:
    """TCP and UDP sockets the test itself listens on, on 127.0.0.1 and ::1
    (the only addresses any test ever targets)."""

    def __init__(self):
        self.socks = {}
        for fam, host, v in ((socket.AF_INET, "127.0.0.1", "4"), (socket.AF_INET6, "::1", "6")):
            t = socket.socket(fam, socket.SOCK_STREAM)
            t.bind((host, 0))
            t.listen(16)
            t.setblocking(False)
            u = socket.socket(fam, socket.SOCK_DGRAM)
            u.bind((host, 0))
            u.setblocking(False)
            self.socks["tcp" + v] = t
            self.socks["udp" + v] = u

    def port(self, name):
        return self.socks[name].getsockname()[1]

    def seen(self, name, wait=0.3):
        """What reached the listener: connections accepted or datagrams received."""
        s = self.socks[name]
        got = []
        while True:
            r, _, _ = select.select([s], [], [], wait)
            if not r:
                return got
            wait = 0
            try:
                if name.startswith("tcp"):
                    c, addr = s.accept()
                    got.append(addr)
                    c.close()
                else:
                    data, addr = s.recvfrom(4096)
                    got.append((addr, data))
            except BlockingIOError:
                return got

    def close(self):
        for s in self.socks.values():
            s.close()


@pytest.fixture
def listeners():
    ls = Listeners()
    yield ls
    ls.close()
