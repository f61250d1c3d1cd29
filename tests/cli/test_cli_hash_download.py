"""test_cli_hash_download.py: MedPerf's folder hash as `medperf dataset submit`
registers it, and the downloads of image files and additional files into the
content-addressed cache (<storage>/.hashed_files/<sha256>).

The folder hash (reference 2.5) is checked against two oracles computed
without the client: the shell pipeline

    find -H DATA LABELS -xtype f -exec sha256sum {} + | awk '{print $1}' |
        LC_ALL=C sort | tr -d '\\n' | sha256sum

(-H: a path given that is a link to a directory is walked, as os.walk does;
-xtype f: a link to a file counts as that file, a link to a directory is not
entered, as os.walk(followlinks=False) then open() do), and MedPerf's own
algorithm written out in Python (os.walk, sorted hex digests, concatenated).

Downloads are served by a small HTTP server on 127.0.0.1 (a thread in this
process) that counts requests, honours Range, and can be told to cut the first
transfer of a file short or to serve tampered bytes.
"""
import hashlib
import http.server
import json
import os
import pty
import re
import resource
import select
import socket
import signal
import subprocess
import threading
import time

import pytest

from conftest import CLIENT, SANITIZED, SANITIZER_MARKS

MiB = 1 << 20


# ---------------------------------------------------------------------------------------------
# Oracles
# ---------------------------------------------------------------------------------------------

SHELL_ORACLE = ("find -H \"$@\" -xtype f -exec sha256sum {} + | awk '{print $1}' | "
                "LC_ALL=C sort | tr -d '\\n' | sha256sum")


def shell_hash(*paths):
    r = subprocess.run(["bash", "-c", "set -o pipefail; " + SHELL_ORACLE, "oracle",
                        *map(str, paths)],
                       capture_output=True, text=True, timeout=300,
                       env={"PATH": os.environ["PATH"], "LC_ALL": "C"})
    assert r.returncode == 0, r.stderr
    return r.stdout.split()[0]


def naive_shell_hash(*paths):
    """The pipeline with plain `find -type f`: blind to links (to show they matter)."""
    cmd = SHELL_ORACLE.replace("find -H", "find").replace("-xtype f", "-type f")
    r = subprocess.run(["bash", "-c", cmd, "oracle", *map(str, paths)],
                       capture_output=True, text=True, timeout=300,
                       env={"PATH": os.environ["PATH"], "LC_ALL": "C"})
    return r.stdout.split()[0]


def file_sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MiB), b""):
            h.update(block)
    return h.hexdigest()


def medperf_hash(*paths):
    """MedPerf's get_folders_hash, as the original writes it."""
    hashes = []
    for path in paths:
        for root, _, files in os.walk(path, topdown=False):
            for name in files:
                hashes.append(file_sha(os.path.join(root, name)))
    return hashlib.sha256("".join(sorted(hashes)).encode()).hexdigest()


def oracle(*paths):
    """Both oracles, which must agree."""
    a, b = shell_hash(*paths), medperf_hash(*paths)
    assert a == b, f"the oracles disagree on {paths}"
    return a


def put(path, content=b""):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content if isinstance(content, bytes) else content.encode())
    return path


# ---------------------------------------------------------------------------------------------
# The folder hash through `medperf dataset submit`
# ---------------------------------------------------------------------------------------------

PREP_CONFIG = """\
container_type: DockerImage
image: docker.io/mlcommons/hash-prep:0.0.1
tasks:
  prepare:
    input_volumes:
      data_path: {mount_path: /mlcommons/volumes/raw_data, type: directory}
      labels_path: {mount_path: /mlcommons/volumes/raw_labels, type: directory}
    output_volumes:
      output_path: {mount_path: /mlcommons/volumes/data, type: directory}
      output_labels_path: {mount_path: /mlcommons/volumes/labels, type: directory}
"""


@pytest.fixture(scope="module")
def owner(cli, tmp_path_factory):
    """The data owner, and the id of a data preparation container to register against."""
    c = cli("hasher")
    cfg = put(tmp_path_factory.mktemp("prep") / "container_config.yaml", PREP_CONFIG)
    prep = c.json("container", "submit", "-n", "hash-prep", "-m", str(cfg),
                  "--image-hash", "ab" * 32, "-y")
    return c, prep["id"]


def registered_hash(owner, data, labels, name="hashed"):
    """Registers data+labels; returns input_data_hash as `dataset view ID --json` shows it."""
    c, prep = owner
    r = c.run("dataset", "submit", "-p", str(prep), "-d", str(data), "-l", str(labels),
              "--name", name, "-y", "--json", check=True, timeout=600)
    ds = json.loads(r.stdout)
    view = c.json("dataset", "view", str(ds["id"]))
    assert view["input_data_hash"] == ds["input_data_hash"]
    assert view["generated_uid"] == view["input_data_hash"]
    assert re.fullmatch(r"[0-9a-f]{64}", view["input_data_hash"])
    return view["input_data_hash"]


def test_nested_folders(owner, tmp_path):
    data, labels = tmp_path / "data", tmp_path / "labels"
    put(data / "a" / "b" / "c" / "d" / "deep.bin", b"deep")
    put(data / "a" / "top.txt", "top")
    put(data / "x" / "y" / "z.dat", os.urandom(5000))
    put(data / ".hidden", "hidden files count")
    put(data / ".hidden_dir" / "inside", "and so do hidden folders")
    put(labels / "l1" / "l2" / "labels.csv", "a,1\nb,0\n")
    assert registered_hash(owner, data, labels, "nested") == oracle(data, labels)


def test_empty_files_count(owner, tmp_path):
    data, labels = tmp_path / "data", tmp_path / "labels"
    for i in range(3):
        put(data / f"empty{i}")
    put(labels / "sub" / "empty")
    got = registered_hash(owner, data, labels, "empty-files")
    assert got == oracle(data, labels)
    # four digests of nothing, concatenated
    e = hashlib.sha256(b"").hexdigest()
    assert got == hashlib.sha256((e * 4).encode()).hexdigest()


def test_empty_directories_change_nothing(owner, tmp_path):
    plain, cluttered = tmp_path / "plain", tmp_path / "cluttered"
    for base in (plain, cluttered):
        put(base / "data" / "one.txt", "one")
        put(base / "labels" / "two.txt", "two")
    for d in ("e1", "e2/e3/e4", "x/y"):
        os.makedirs(cluttered / "data" / d)
    os.makedirs(cluttered / "labels" / "empty")
    # and the structure and names do not matter either
    os.rename(cluttered / "data" / "one.txt", cluttered / "data" / "x" / "renamed")
    a = registered_hash(owner, plain / "data", plain / "labels", "no-empty-dirs")
    b = registered_hash(owner, cluttered / "data", cluttered / "labels", "empty-dirs")
    assert a == b == oracle(plain / "data", plain / "labels")
    # a data set of nothing but empty folders: the hash of no digests at all
    os.makedirs(tmp_path / "void" / "a" / "b")
    os.makedirs(tmp_path / "void2")
    assert registered_hash(owner, tmp_path / "void", tmp_path / "void2", "void") == \
        hashlib.sha256(b"").hexdigest() == oracle(tmp_path / "void", tmp_path / "void2")


def test_duplicate_contents_count_twice(owner, tmp_path):
    once, twice = tmp_path / "once", tmp_path / "twice"
    labels = tmp_path / "labels"
    put(labels / "l.csv", "l")
    put(once / "a.png", b"same bytes")
    put(twice / "a.png", b"same bytes")
    put(twice / "copy" / "b.png", b"same bytes")
    a = registered_hash(owner, once, labels, "dup-once")
    b = registered_hash(owner, twice, labels, "dup-twice")
    assert a != b
    assert a == oracle(once, labels) and b == oracle(twice, labels)


def test_same_folder_as_data_and_labels(owner, tmp_path):
    both = tmp_path / "both"
    put(both / "img.nii", b"image")
    put(both / "sub" / "lab.csv", "label")
    os.makedirs(tmp_path / "nothing")
    twice = registered_hash(owner, both, both, "same-folder")
    once = registered_hash(owner, both, tmp_path / "nothing", "same-folder-once")
    assert twice != once
    assert twice == oracle(both, both)
    assert once == oracle(both, tmp_path / "nothing")
    d1, d2 = file_sha(both / "img.nii"), file_sha(both / "sub" / "lab.csv")
    assert twice == hashlib.sha256("".join(sorted([d1, d1, d2, d2])).encode()).hexdigest()


def test_large_file_and_its_last_byte(owner, tmp_path):
    """300 MiB written in 1 MiB chunks; then its very last byte changes."""
    data, labels = tmp_path / "data", tmp_path / "labels"
    os.makedirs(data)
    put(labels / "l.csv", "large")
    big = data / "big.raw"
    with open(big, "wb") as f:
        for i in range(300):
            f.write(os.urandom(MiB - 8) + i.to_bytes(8, "little"))
    assert os.path.getsize(big) == 300 * MiB
    first = registered_hash(owner, data, labels, "large")
    assert first == oracle(data, labels)
    with open(big, "r+b") as f:
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last[0] ^ 0x01]))
    second = registered_hash(owner, data, labels, "large-changed")
    assert second != first
    assert second == oracle(data, labels)


def test_non_ascii_names(owner, tmp_path):
    data, labels = tmp_path / "dätä ü", tmp_path / "ラベル"
    put(data / "données" / "é.txt", "accent")
    put(data / "日本語.bin", b"\x00japanese")
    put(data / "emoji 🚀 space.dat", "rocket")
    put(data / "Ωmega" / "ñ" / "ж.nii", "cyrillic")
    put(labels / "標籤.csv", "labels")
    # a name that is not UTF-8 at all (Latin-1 bytes)
    with open(os.path.join(os.fsencode(data), b"caf\xe9-\xff.raw"), "wb") as f:
        f.write(b"latin-1 name")
    got = registered_hash(owner, data, labels, "non-ascii")
    assert got == oracle(data, labels)


def test_many_small_files(owner, tmp_path):
    c, prep = owner
    data, labels = tmp_path / "data", tmp_path / "labels"
    for i in range(2000):
        # every 100th file repeats an earlier one's content: it still counts
        content = f"case {i % 1900 if i % 100 == 99 else i}\n"
        put(data / f"batch{i // 250}" / f"case{i:05d}.txt", content)
    put(labels / "labels.csv", "".join(f"case{i:05d},{i % 2}\n" for i in range(2000)))
    r = c.run("dataset", "submit", "-p", str(prep), "-d", str(data), "-l", str(labels),
              "--name", "many", "-y", check=True)
    m = re.search(r"Registered dataset (\d+) 'many' \((\d+) files, ([0-9a-f]{64})\)", r.stdout)
    assert m, r.stdout
    assert m.group(2) == "2001"
    view = c.json("dataset", "view", m.group(1))
    assert view["input_data_hash"] == m.group(3) == oracle(data, labels)


def test_symbolic_links(owner, tmp_path):
    """A link to a file counts as that file; a link to a directory is not entered; a path
    given that is a link to a directory is walked (os.walk's rules)."""
    outside = tmp_path / "outside"
    put(outside / "shared.bin", b"outside file")
    put(outside / "dir" / "hidden1", b"never counted 1")
    put(outside / "dir" / "hidden2", b"never counted 2")
    data = tmp_path / "data"
    put(data / "real.txt", "real")
    os.symlink(data / "real.txt", data / "link-to-real")          # counts: real twice
    os.symlink(outside / "shared.bin", data / "link-to-outside")  # counts
    os.symlink(outside / "dir", data / "link-to-dir")             # not entered
    os.symlink("link-to-real", data / "link-to-link")              # a chain: counts
    real_labels = tmp_path / "real-labels"
    put(real_labels / "labels.csv", "labels")
    labels = tmp_path / "labels-link"
    os.symlink(real_labels, labels)                                 # walked
    got = registered_hash(owner, data, labels, "links")
    assert got == oracle(data, labels)
    # links made a difference: a walker that ignores them gets something else
    assert got != naive_shell_hash(data, labels)
    digests = [file_sha(data / "real.txt")] * 3 + [file_sha(outside / "shared.bin"),
                                                   file_sha(real_labels / "labels.csv")]
    assert got == hashlib.sha256("".join(sorted(digests)).encode()).hexdigest()


def test_one_byte_changes_the_hash(owner, tmp_path):
    data, labels = tmp_path / "data", tmp_path / "labels"
    put(data / "a" / "scan.nii", bytes(range(256)) * 40)
    put(data / "b.txt", "unchanged")
    put(labels / "l.csv", "x,1\n")
    before = registered_hash(owner, data, labels, "byte-before")
    assert before == oracle(data, labels)
    with open(data / "a" / "scan.nii", "r+b") as f:
        f.seek(5000)
        f.write(b"\xee")
    after = registered_hash(owner, data, labels, "byte-after")
    assert after != before
    assert after == oracle(data, labels)


def test_fifo_is_an_error_not_a_hang(owner, tmp_path):
    """MedPerf would block reading a named pipe; here it is refused, naming it."""
    c, prep = owner
    data, labels = tmp_path / "data", tmp_path / "labels"
    put(data / "ok.txt", "ok")
    os.mkfifo(data / "pipe")
    put(labels / "l.csv", "l")
    r = c.run("dataset", "submit", "-p", str(prep), "-d", str(data), "-l", str(labels),
              "--name", "fifo", "-y", timeout=60)
    assert r.returncode == 1, r.stderr
    assert "medperf: error: " in r.stderr and str(data / "pipe") in r.stderr
    assert "fifo" not in {d["name"] for d in c.json("dataset", "ls", "--mine")}


def test_broken_link_is_an_error_naming_it(owner, tmp_path):
    c, prep = owner
    data, labels = tmp_path / "data", tmp_path / "labels"
    put(data / "ok.txt", "ok")
    os.symlink(tmp_path / "gone", data / "dangling")
    put(labels / "l.csv", "l")
    before = len(c.json("dataset", "ls", "--mine"))
    r = c.run("dataset", "submit", "-p", str(prep), "-d", str(data), "-l", str(labels),
              "--name", "broken", "-y")
    assert r.returncode == 1, r.stderr
    assert "medperf: error: broken symbolic link" in r.stderr
    assert str(data / "dangling") in r.stderr
    assert len(c.json("dataset", "ls", "--mine")) == before


# ---------------------------------------------------------------------------------------------
# A file server on 127.0.0.1
# ---------------------------------------------------------------------------------------------

class FileServer:
    """Serves `files` (path -> bytes). Options per path:
      cut[path] = N      the first GET (whatever it asks) sends N bytes of the body, with
                         the full Content-Length, then closes the connection
      tampered[path] = b  serve b instead of files[path] (same status and headers logic)
      redirects[path] = p answer 302 with Location p
      stall[path] = (N, event)  send N bytes of the body, then wait for event (at most
                         30 s) before closing
      ranges = False      ignore Range headers (always 200 with everything)
    Every request is recorded as (method, path, Range header or None)."""

    def __init__(self):
        self.files = {}
        self.cut = {}
        self.tampered = {}
        self.redirects = {}
        self.stall = {}
        self.ranges = True
        self.log = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_HEAD(self):
                self.answer(head=True)

            def do_GET(self):
                self.answer(head=False)

            def answer(self, head):
                rng = self.headers.get("Range")
                with outer.lock:
                    outer.log.append((self.command, self.path, rng))
                    body = outer.tampered.get(self.path, outer.files.get(self.path))
                    cut = outer.cut.pop(self.path, None) if not head else None
                    ranges = outer.ranges
                    target = outer.redirects.get(self.path)
                    stall = outer.stall.get(self.path) if not head else None
                if target is not None:
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if body is None:
                    msg = b"not found\n"
                    self.send_response(404)
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    if not head:
                        self.wfile.write(msg)
                    return
                start, status = 0, 200
                m = re.fullmatch(r"bytes=(\d+)-(\d*)", rng or "")
                if ranges and m and int(m.group(1)) < len(body):
                    start = int(m.group(1))
                    end = int(m.group(2)) if m.group(2) else len(body) - 1
                    part = body[start:end + 1]
                    status = 206
                else:
                    part = body
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(part)))
                if status == 206:
                    self.send_header("Content-Range",
                                     f"bytes {start}-{start + len(part) - 1}/{len(body)}")
                if ranges:
                    self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if head:
                    return
                try:
                    if stall is not None:
                        self.wfile.write(part[:stall[0]])
                        self.wfile.flush()
                        stall[1].wait(30)
                        self.close_connection = True
                        return
                    if cut is not None:
                        self.wfile.write(part[:cut])
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    self.wfile.write(part)
                except OSError:          # the client went away (e.g. the full-disk test)
                    self.close_connection = True

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path, body):
        self.files[path] = body
        return self.url(path), hashlib.sha256(body).hexdigest()

    def gets(self, path):
        with self.lock:
            return [x for x in self.log if x[0] == "GET" and x[1] == path]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def files():
    s = FileServer()
    yield s
    s.close()


def archive_config(image, tag):
    """A DockerArchive container whose image is downloaded from `image`. tag keeps
    configurations apart (the server wants them unique with the same image hash)."""
    return f"""\
container_type: DockerArchive
image: {image}
tasks:
  evaluate:
    run_args:
      command: "python3 /project/metrics.py --tag {tag}"
    input_volumes:
      predictions: {{mount_path: /mlcommons/volumes/predictions, type: directory}}
      labels: {{mount_path: /mlcommons/volumes/labels, type: directory}}
    output_volumes:
      output_path: {{mount_path: /mlcommons/volumes/results/results.yaml, type: file}}
"""


def cache_dir(c):
    return os.path.join(c.home, ".medperf", ".hashed_files")


def cache_listing(c):
    d = cache_dir(c)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def submit(c, tmp_path, name, image, *extra, tag=None, run=None):
    cfg = put(tmp_path / f"{name}.yaml", archive_config(image, tag or name))
    args = ("container", "submit", "-n", name, "-m", str(cfg), "-y", "--json", *extra)
    return (run or c.run)(*args)


def my_container_names(c):
    return {x["name"] for x in c.json("container", "ls", "--mine")}


def blob(n, seed):
    """n deterministic bytes (different per seed)."""
    out = bytearray()
    block = hashlib.sha256(seed.encode()).digest() * 2048  # 64 KiB
    i = 0
    while len(out) < n:
        out += block[:n - len(out)]
        out[-1] ^= i & 0xFF
        i += 1
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# Image downloads
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("direct", [False, True], ids=["url", "direct"])
def test_image_download_registers_its_hash(cli, files, tmp_path, direct):
    c = cli("dl-ok-direct" if direct else "dl-ok")
    path = f"/ok/{'direct' if direct else 'plain'}/image.tar"
    url, sha = files.add(path, blob(3 * MiB + 123, path))
    image = ("direct:" + url) if direct else url
    r = submit(c, tmp_path, f"archive-{'direct' if direct else 'url'}", image,
               "--image-hash", sha)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["image_hash"] == sha
    assert got["container_config"]["image"] == image
    assert got["container_config"]["container_type"] == "DockerArchive"
    # the file, complete, under its hash; nothing else in the cache
    assert cache_listing(c) == [sha]
    assert file_sha(os.path.join(cache_dir(c), sha)) == sha
    assert len(files.gets(path)) == 1
    # no progress bar when stderr is not a terminal
    assert "\r" not in r.stderr
    assert c.json("container", "view", str(got["id"]))["image_hash"] == sha


def test_image_hash_computed_when_not_given(cli, files, tmp_path):
    c = cli("dl-nohash")
    url, sha = files.add("/nohash/image.sif", blob(MiB + 7, "nohash"))
    r = submit(c, tmp_path, "archive-nohash", url)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["image_hash"] == sha
    assert cache_listing(c) == [sha]


def test_wrong_image_hash(cli, files, tmp_path):
    c = cli("dl-wrong")
    url, sha = files.add("/wrong/image.tar", blob(2 * MiB, "wrong"))
    wrong = "0" * 64
    r = submit(c, tmp_path, "archive-wrong-hash", url, "--image-hash", wrong)
    assert r.returncode == 6, r.stderr
    assert r.stderr.startswith("medperf: error: image: hash mismatch"), r.stderr
    assert url in r.stderr
    assert f"expected {wrong}" in r.stderr and f"got {sha}" in r.stderr
    assert r.stdout == ""
    assert "archive-wrong-hash" not in my_container_names(c)
    assert cache_listing(c) == []          # no .part, no download-*, no file


def test_tampered_image(cli, files, tmp_path):
    """The host serves other bytes than the ones the hash was taken of."""
    c = cli("dl-tampered")
    url, sha = files.add("/tampered/image.tar", blob(MiB, "genuine"))
    files.tampered["/tampered/image.tar"] = evil = blob(MiB, "evil")
    r = submit(c, tmp_path, "archive-tampered", url, "--image-hash", sha)
    assert r.returncode == 6, r.stderr
    assert r.stderr.startswith("medperf: error: image: hash mismatch"), r.stderr
    assert f"expected {sha}" in r.stderr
    assert f"got {hashlib.sha256(evil).hexdigest()}" in r.stderr
    assert url in r.stderr
    assert "archive-tampered" not in my_container_names(c)
    assert cache_listing(c) == []
    tmp = os.path.join(c.home, ".medperf", ".tmp")
    assert not os.path.isdir(tmp) or os.listdir(tmp) == []


def test_cached_image_is_reused(cli, files, tmp_path):
    c = cli("dl-cache")
    path = "/cache/image.tar"
    url, sha = files.add(path, blob(2 * MiB + 5, "cache"))
    first = submit(c, tmp_path, "archive-cache-1", url, "--image-hash", sha)
    assert first.returncode == 0, first.stderr
    assert len(files.gets(path)) == 1
    second = submit(c, tmp_path, "archive-cache-2", url, "--image-hash", sha)
    assert second.returncode == 0, second.stderr
    assert len(files.gets(path)) == 1       # no second GET
    assert json.loads(second.stdout)["image_hash"] == sha
    # the hash in capitals is the same hash, and the same cached file
    upper = submit(c, tmp_path, "archive-cache-upper", url, "--image-hash", sha.upper())
    assert upper.returncode == 0, upper.stderr
    assert len(files.gets(path)) == 1
    assert json.loads(upper.stdout)["image_hash"] == sha
    assert {"archive-cache-1", "archive-cache-2", "archive-cache-upper"} <= \
        my_container_names(c)
    # a cached copy that no longer hashes right is fetched again, and repaired
    cached = os.path.join(cache_dir(c), sha)
    with open(cached, "r+b") as f:
        f.write(b"rot")
    third = submit(c, tmp_path, "archive-cache-3", url, "--image-hash", sha)
    assert third.returncode == 0, third.stderr
    assert len(files.gets(path)) == 2
    assert file_sha(cached) == sha
    assert cache_listing(c) == [sha]


def test_interrupted_download_is_resumed(cli, files, tmp_path):
    c = cli("dl-resume")
    path = "/resume/image.tar"
    body = blob(6 * MiB + 321, "resume")
    url, sha = files.add(path, body)
    files.cut[path] = 2 * MiB + 11
    r = submit(c, tmp_path, "archive-resume", url, "--image-hash", sha)
    assert r.returncode == 0, r.stderr
    gets = files.gets(path)
    assert gets[0][2] is None
    assert len(gets) >= 2, gets
    # the retry asks for the rest only, from the byte where the first try broke
    assert gets[1][2] == f"bytes={2 * MiB + 11}-", gets
    assert "\r" not in r.stderr
    assert json.loads(r.stdout)["image_hash"] == sha
    cached = os.path.join(cache_dir(c), sha)
    assert os.path.getsize(cached) == len(body)
    assert file_sha(cached) == sha
    assert cache_listing(c) == [sha]


def test_interrupted_download_without_ranges_restarts(cli, files, tmp_path):
    """A host that ignores Range answers 200 with everything: the client starts over."""
    c = cli("dl-noranges")
    path = "/noranges/image.tar"
    body = blob(4 * MiB + 99, "noranges")
    url, sha = files.add(path, body)
    files.cut[path] = MiB
    files.ranges = False
    try:
        r = submit(c, tmp_path, "archive-noranges", url, "--image-hash", sha)
    finally:
        files.ranges = True
    assert r.returncode == 0, r.stderr
    assert len(files.gets(path)) == 2
    cached = os.path.join(cache_dir(c), sha)
    assert os.path.getsize(cached) == len(body) and file_sha(cached) == sha
    assert cache_listing(c) == [sha]


def test_missing_image_url(cli, files, tmp_path):
    c = cli("dl-404")
    url = files.url("/no/such/image.tar")
    r = submit(c, tmp_path, "archive-404", url, "--image-hash", "1" * 64)
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert r.stderr.startswith("medperf: error: ")
    assert url in r.stderr and "404" in r.stderr
    assert "archive-404" not in my_container_names(c)
    assert cache_listing(c) == []


def test_unreachable_host(cli, tmp_path):
    c = cli("dl-unreachable")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/image.tar"      # nobody listens there any more
    r = submit(c, tmp_path, "archive-unreachable", url, "--image-hash", "2" * 64)
    assert r.returncode == 5, (r.returncode, r.stderr)
    assert r.stderr.startswith("medperf: error: ")
    assert f"127.0.0.1:{port}" in r.stderr
    assert cache_listing(c) == []


def test_redirect_is_followed(cli, files, tmp_path):
    c = cli("dl-redirect")
    url, sha = files.add("/moved/here/image.tar", blob(MiB + 1, "redirect"))
    files.redirects["/old/image.tar"] = url
    r = submit(c, tmp_path, "archive-redirect", files.url("/old/image.tar"),
               "--image-hash", sha)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["image_hash"] == sha
    assert got["container_config"]["image"] == files.url("/old/image.tar")
    assert len(files.gets("/old/image.tar")) == 1 and len(files.gets("/moved/here/image.tar")) == 1
    assert cache_listing(c) == [sha]


def test_progress_bar_only_on_a_terminal(cli, files, tmp_path):
    """On a terminal the bar is drawn with '\\r'; through a pipe (the other tests) never."""
    c = cli("dl-tty")
    url, sha = files.add("/tty/image.tar", blob(3 * MiB, "tty"))
    cfg = put(tmp_path / "tty.yaml", archive_config(url, "tty"))
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([CLIENT, "container", "submit", "-n", "archive-tty", "-m",
                              str(cfg), "--image-hash", sha, "-y", "--json"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
                             env=c.env, cwd=c.home)
        os.close(slave)
        slave = None
        seen = b""
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            assert ready, "no output on the terminal within 60 s"
            try:
                chunk = os.read(master, 65536)
            except OSError:      # EIO: the client closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        out = p.stdout.read()
        p.stdout.close()
        assert p.wait(timeout=60) == 0, seen.decode(errors="replace")
    finally:
        os.close(master)
        if slave is not None:
            os.close(slave)
    text = seen.decode(errors="replace")
    if SANITIZED:
        for mark in SANITIZER_MARKS:
            assert mark not in text
    assert "\r" in text and "100%" in text, text
    assert json.loads(out)["image_hash"] == sha


# ---------------------------------------------------------------------------------------------
# The additional-files tarball
# ---------------------------------------------------------------------------------------------

def test_additional_files_by_url(cli, files, tmp_path):
    c = cli("dl-additional")
    img_url, img_sha = files.add("/add/image.tar", blob(MiB, "add-image"))
    add_url, add_sha = files.add("/add/weights.tar.gz", blob(MiB + 77, "weights"))
    r = submit(c, tmp_path, "archive-with-weights", img_url, "--image-hash", img_sha,
               "-a", add_url, "--additional-hash", add_sha)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["additional_files_tarball_url"] == add_url
    assert got["additional_files_tarball_hash"] == add_sha
    assert cache_listing(c) == sorted([img_sha, add_sha])
    assert file_sha(os.path.join(cache_dir(c), add_sha)) == add_sha

    # a wrong one: exit 6, names the additional files and both hashes, registers nothing
    other_url, other_sha = files.add("/add/other.tar.gz", blob(MiB, "other-weights"))
    r = submit(c, tmp_path, "archive-bad-weights", img_url, "--image-hash", img_sha,
               "-a", other_url, "--additional-hash", "f" * 64)
    assert r.returncode == 6, r.stderr
    assert r.stderr.startswith("medperf: error: additional files: hash mismatch"), r.stderr
    assert other_url in r.stderr
    assert f"expected {'f' * 64}" in r.stderr and f"got {other_sha}" in r.stderr
    assert "archive-bad-weights" not in my_container_names(c)
    assert cache_listing(c) == sorted([img_sha, add_sha])

    # without --additional-hash the computed hash is registered
    r = submit(c, tmp_path, "archive-weights-nohash", img_url, "--image-hash", img_sha,
               "-a", "direct:" + other_url)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["additional_files_tarball_url"] == "direct:" + other_url
    assert got["additional_files_tarball_hash"] == other_sha


# ---------------------------------------------------------------------------------------------
# A full disk (simulated with RLIMIT_FSIZE in the client)
# ---------------------------------------------------------------------------------------------

def test_full_disk_during_download(cli, files, tmp_path):
    c = cli("dl-full")
    path = "/full/image.tar"
    url, sha = files.add(path, blob(4 * MiB, "full"))
    limit = MiB

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    def run(*args):
        return subprocess.run([CLIENT, *args], capture_output=True, text=True, env=c.env,
                              cwd=c.home, timeout=120, preexec_fn=small_files)

    r = submit(c, tmp_path, "archive-full", url, "--image-hash", sha, run=run)
    assert r.returncode > 0, f"killed by signal {-r.returncode}: {r.stderr}"
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith("medperf: error: ")
    assert "medperf: error: image: cannot write" in r.stderr
    assert "File too large" in r.stderr
    if SANITIZED:
        for mark in SANITIZER_MARKS:
            assert mark not in r.stderr
    assert cache_listing(c) == []
    assert "archive-full" not in my_container_names(c)
    # with room again, the same command works
    r = submit(c, tmp_path, "archive-full", url, "--image-hash", sha)
    assert r.returncode == 0, r.stderr
    assert cache_listing(c) == [sha]


# ---------------------------------------------------------------------------------------------
# storage ls / cleanup
# ---------------------------------------------------------------------------------------------

def test_storage_cleanup_and_ls(cli, files, tmp_path):
    c = cli("storage")
    url, sha = files.add("/storage/image.tar", blob(MiB, "storage"))
    r = submit(c, tmp_path, "archive-storage", url, "--image-hash", sha)
    assert r.returncode == 0, r.stderr
    base = os.path.join(c.home, ".medperf")
    hashed = os.path.join(base, ".hashed_files")
    # leftovers of interrupted downloads and scratch space
    put(os.path.join(hashed, "download-1234-5678.part"), b"x" * 1000)
    put(os.path.join(hashed, "download-99-1"), b"y" * 10)
    put(os.path.join(base, ".tmp", "abc", "def"), b"z" * 100)
    put(os.path.join(base, ".tmp", "loose"), b"z")
    put(os.path.join(base, ".trash", "old", "deep", "file"), b"t" * 50)

    listed = {x["folder"]: x for x in c.json("storage", "ls")}
    for folder in (".hashed_files", ".tmp", ".trash", "benchmarks", "cubes", "data"):
        assert listed[folder]["location"] == os.path.join(base, folder), listed[folder]
    assert listed[".hashed_files"]["bytes"] == MiB + 1010
    assert listed[".tmp"]["bytes"] == 101
    assert listed[".trash"]["bytes"] == 50
    table = c.run("storage", "ls", check=True).stdout
    for folder in (".hashed_files", ".tmp", ".trash"):
        assert os.path.join(base, folder) in table

    r = c.run("storage", "cleanup", check=True)
    assert "Cleaned up" in r.stdout
    assert cache_listing(c) == [sha]            # the real cached file stays
    assert file_sha(os.path.join(hashed, sha)) == sha
    for scratch in (".tmp", ".trash"):
        d = os.path.join(base, scratch)
        assert not os.path.exists(d) or os.listdir(d) == [], scratch
    listed = {x["folder"]: x for x in c.json("storage", "ls")}
    assert listed[".hashed_files"]["bytes"] == MiB
    assert listed[".tmp"]["bytes"] == 0 and listed[".trash"]["bytes"] == 0
    # the registered container is untouched, and a later submit reuses the cache
    before = len(files.gets("/storage/image.tar"))
    r = submit(c, tmp_path, "archive-storage-2", url, "--image-hash", sha)
    assert r.returncode == 0, r.stderr
    assert len(files.gets("/storage/image.tar")) == before


def test_killed_download_leaves_a_part_that_cleanup_removes(cli, files, tmp_path):
    """A client killed mid-transfer cannot tidy up: its download-*.part stays in the cache
    until `medperf storage cleanup`."""
    c = cli("dl-killed")
    path = "/killed/image.tar"
    url, sha = files.add(path, blob(4 * MiB, "killed"))
    release = threading.Event()
    files.stall[path] = (MiB, release)
    cfg = put(tmp_path / "killed.yaml", archive_config(url, "killed"))
    p = subprocess.Popen([CLIENT, "container", "submit", "-n", "archive-killed", "-m",
                          str(cfg), "--image-hash", sha, "-y"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=c.env, cwd=c.home)
    try:
        part = None
        for _ in range(300):                        # bounded: 30 s
            names = [n for n in cache_listing(c) if n.startswith("download-")]
            if names and os.path.getsize(os.path.join(cache_dir(c), names[0])) >= MiB:
                part = names[0]
                break
            assert p.poll() is None, "the client ended before the transfer stalled"
            time.sleep(0.1)
        assert part is not None, cache_listing(c)
        assert part.endswith(".part")
        p.send_signal(signal.SIGKILL)
        assert p.wait(timeout=30) == -signal.SIGKILL
    finally:
        release.set()
        files.stall.pop(path, None)
        if p.poll() is None:
            p.kill()
            p.wait(timeout=30)
    assert cache_listing(c) == [part]
    assert "archive-killed" not in my_container_names(c)

    r = c.run("storage", "cleanup", check=True)
    assert "Cleaned up 1.0 MiB" in r.stdout, r.stdout
    assert cache_listing(c) == []
    # and the next try downloads it whole
    r = submit(c, tmp_path, "archive-killed", url, "--image-hash", sha)
    assert r.returncode == 0, r.stderr
    assert cache_listing(c) == [sha]
