"""flowkit.py: what the federated-evaluation flow tests share.

  Person     one person's `medperf` (own HOME and MEDPERF_CONFIG_STORAGE, own
             email, logged in to the test server); .run() .json() .popen()
  Kit        tiny NativeArchive containers made here (tar.gz of /bin/sh
             scripts run at /project in the sandbox): a data preparator, a
             model whose behaviour its parameters choose (good, crash, hang,
             slow), an evaluator; a weights tarball; a demo tarball with
             paths.yaml; all served over HTTP by the `web` fixture
  checks     ok(), failed(), folder_hash(), results_of() (a person's results on the
             server), table() (a table medperf printed), local paths in MedPerf's layout
  uniq()     unique names; restart(srv) restarts the server on the same port

The containers' numbers: a raw case file holds an integer v; prepare writes
v + add (parameter add); infer writes the prepared value times the weight
(parameter weight, else additional_files/weights.txt, else 1); evaluate
counts the cases, the predicted ones and those where prediction % 2 equals
the label, and writes {cases, predicted, correct}.
"""
import hashlib
import io
import json
import os
import subprocess
import tarfile
import uuid

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

PREPARE = r"""#!/bin/sh
# prepare: raw case files -> prepared values (v + add), labels copied, a report per case
set -eu
add=$(sed -n 's/^add: *//p' /params.yaml); add=${add:-0}
pause=$(sed -n 's/^sleep: *//p' /params.yaml)
failing=$(sed -n 's/^fail: *//p' /params.yaml)
{ echo "status:"; for f in /in/data/*.txt; do echo "  $(basename "$f" .txt): 1"; done; } > /out/report.yaml
if [ -n "$pause" ]; then sleep "$pause"; fi
if [ -n "$failing" ]; then echo "prepare: failing as asked" >&2; exit 4; fi
for f in /in/data/*.txt; do
  v=$(cat "$f"); echo $((v + add)) > "/out/data/$(basename "$f")"
done
for f in /in/labels/*.txt; do cp "$f" "/out/labels/$(basename "$f")"; done
for f in /in/data/*.id; do if [ -f "$f" ]; then cp "$f" /out/data/; fi; done
echo "cases: $(ls /in/data/*.txt | wc -l)" > /out/metadata/meta.yaml
{ echo "status:"; for f in /in/data/*.txt; do echo "  $(basename "$f" .txt): done"; done; } > /out/report.yaml
echo "prepare: done"
"""

SANITY = r"""#!/bin/sh
nd=$(ls /data/*.txt | wc -l); nl=$(ls /labels/*.txt | wc -l)
if [ "$nd" -eq 0 ] || [ "$nd" != "$nl" ]; then
  echo "sanity_check: $nd data files, $nl labels" >&2; exit 1
fi
"""

STATISTICS = r"""#!/bin/sh
printf 'num_cases: %s\n' "$(ls /data/*.txt | wc -l)" > /out/stats.yaml
"""

INFER = r"""#!/bin/sh
mode=$(sed -n 's/^mode: *//p' /params.yaml)
w=$(sed -n 's/^weight: *//p' /params.yaml)
if [ -z "$w" ]; then w=1; [ -f /add/weights.txt ] && w=$(cat /add/weights.txt); fi
case "$mode" in
  hang) echo "infer: hanging"; sleep 600 ;;
  slow) sleep "$(sed -n 's/^sleep: *//p' /params.yaml)" ;;
esac
i=0
for f in /data/*.txt; do
  i=$((i + 1))
  if [ "$mode" = crash ] && [ "$i" -gt 1 ]; then echo "infer: crashing after one case" >&2; exit 3; fi
  echo $(( $(cat "$f") * w )) > "/preds/$(basename "$f")"
done
echo "infer: $i cases"
"""

EVALUATE = r"""#!/bin/sh
n=0; p=0; ok=0
for f in /labels/*.txt; do
  n=$((n + 1)); b=$(basename "$f")
  if [ -f "/preds/$b" ]; then
    p=$((p + 1))
    if [ $(( $(cat "/preds/$b") % 2 )) -eq "$(cat "$f")" ]; then ok=$((ok + 1)); fi
  fi
done
printf 'cases: %s\npredicted: %s\ncorrect: %s\n' "$n" "$p" "$ok" > /out/results.yaml
echo "per-case details stay here" > /local/details.txt
"""


def vol(path, kind="directory"):
    return f"{{mount_path: {path}, type: {kind}}}"


def prep_config(image):
    return f"""container_type: NativeArchive
image: {image}
tasks:
  prepare:
    run_args: {{command: ./bin/prepare}}
    input_volumes:
      data_path: {vol("/in/data")}
      labels_path: {vol("/in/labels")}
      parameters_file: {vol("/params.yaml", "file")}
    output_volumes:
      output_path: {vol("/out/data")}
      output_labels_path: {vol("/out/labels")}
      metadata_path: {vol("/out/metadata")}
      report_file: {vol("/out/report.yaml", "file")}
  sanity_check:
    run_args: {{command: ./bin/sanity_check}}
    input_volumes:
      data_path: {vol("/data")}
      labels_path: {vol("/labels")}
      metadata_path: {vol("/meta")}
  statistics:
    run_args: {{command: ./bin/statistics}}
    input_volumes:
      data_path: {vol("/data")}
      labels_path: {vol("/labels")}
    output_volumes:
      output_path: {vol("/out/stats.yaml", "file")}
"""


def model_config(image):
    return f"""container_type: NativeArchive
image: {image}
tasks:
  infer:
    run_args: {{command: ./bin/infer}}
    input_volumes:
      data_path: {vol("/data")}
      parameters_file: {vol("/params.yaml", "file")}
      additional_files: {vol("/add")}
    output_volumes:
      output_path: {vol("/preds")}
"""


def eval_config(image):
    return f"""container_type: NativeArchive
image: {image}
tasks:
  evaluate:
    run_args: {{command: ./bin/evaluate}}
    input_volumes:
      predictions: {vol("/preds")}
      labels: {vol("/labels")}
    output_volumes:
      output_path: {vol("/out/results.yaml", "file")}
      local_outputs_path: {vol("/local")}
"""


def targz(path, files):
    """Writes a .tar.gz of {name: (text or bytes, mode)}; returns its SHA-256."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, (data, mode) in sorted(files.items()):
            raw = data.encode() if isinstance(data, str) else data
            ti = tarfile.TarInfo(name)
            ti.size = len(raw)
            ti.mode = mode
            ti.mtime = 1700000000
            tf.addfile(ti, io.BytesIO(raw))
    data = buf.getvalue()
    with open(path, "wb") as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest()


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return str(path)


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def folder_hash(*paths):
    """MedPerf's folder hash: sorted SHA-256 of every file, concatenated, hashed."""
    digests = []
    for p in paths:
        for dirpath, _, files in os.walk(p):
            for n in files:
                digests.append(sha256_file(os.path.join(dirpath, n)))
    return hashlib.sha256("".join(sorted(digests)).encode()).hexdigest()


def raw_site(base, values, labels):
    """A hospital's raw data: data/caseN.txt = values[N-1], labels/caseN.txt = labels[N-1],
    and data/site.id, which makes each site's data (and prepared data) its own: the server
    takes one operational dataset per prepared-data hash."""
    data, lab = os.path.join(base, "data"), os.path.join(base, "labels")
    write(os.path.join(data, "site.id"), uuid.uuid4().hex + "\n")
    for i, (v, l) in enumerate(zip(values, labels), 1):
        write(os.path.join(data, f"case{i}.txt"), f"{v}\n")
        write(os.path.join(lab, f"case{i}.txt"), f"{l}\n")
    return data, lab


class Kit:
    """The containers' files, served from the web root (folder, base URL)."""

    def __init__(self, root, base_url, work):
        self.root, self.url, self.work = root, base_url, work
        x = 0o755
        self.prep_sha = targz(os.path.join(root, "prep.tar.gz"), {
            "bin/prepare": (PREPARE, x), "bin/sanity_check": (SANITY, x),
            "bin/statistics": (STATISTICS, x)})
        self.model_sha = targz(os.path.join(root, "model.tar.gz"), {"bin/infer": (INFER, x)})
        self.eval_sha = targz(os.path.join(root, "eval.tar.gz"),
                              {"bin/evaluate": (EVALUATE, x)})
        self.weights_sha = targz(os.path.join(root, "weights.tar.gz"),
                                 {"weights.txt": ("1\n", 0o644)})
        demo = {"paths.yaml": ("data_path: raw/data\nlabels_path: raw/labels\n", 0o644)}
        for i, (v, l) in enumerate([(2, 1), (5, 0), (6, 1)], 1):
            demo[f"raw/data/case{i}.txt"] = (f"{v}\n", 0o644)
            demo[f"raw/labels/case{i}.txt"] = (f"{l}\n", 0o644)
        self.demo_sha = targz(os.path.join(root, "demo.tar.gz"), demo)
        prepared = {"paths.yaml": ("data_path: data\nlabels_path: labels\n", 0o644)}
        for i, (v, l) in enumerate([(3, 1), (6, 0), (7, 1)], 1):
            prepared[f"data/case{i}.txt"] = (f"{v}\n", 0o644)
            prepared[f"labels/case{i}.txt"] = (f"{l}\n", 0o644)
        self.demo_prepared_sha = targz(os.path.join(root, "demo-prepared.tar.gz"), prepared)

    def file_url(self, name):
        return f"{self.url}/{name}"

    def config(self, kind, params=None, image=None):
        """A folder with container_config.yaml (and parameters.yaml): its paths."""
        d = os.path.join(self.work, f"{kind}-{uuid.uuid4().hex[:8]}")
        maker = {"prep": prep_config, "model": model_config, "eval": eval_config}[kind]
        cfg = write(os.path.join(d, "container_config.yaml"),
                    maker(image or self.file_url(f"{kind}.tar.gz")))
        # parameters are part of a container's identity on the server: each gets a tag
        params = dict(params or {}, tag=uuid.uuid4().hex[:8])
        p = write(os.path.join(d, "parameters.yaml"),
                  "".join(f"{k}: {v}\n" for k, v in params.items()))
        return cfg, p


class Person:
    """One person at one machine: own HOME and configuration, logged in as email."""

    def __init__(self, srv, client, base, name, email=None, sanitized=False):
        self.srv, self.client, self.name = srv, client, name
        self.email = email or f"{name}@example.org"
        self.home = os.path.join(base, name, "home")
        self.config = os.path.join(base, name, "config")
        self.sanitized = sanitized
        os.makedirs(self.home, exist_ok=True)
        self.env = dict(os.environ)
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        for k in [k for k in self.env if k.startswith("MEDPERF_")]:
            del self.env[k]
        self.env.update(HOME=self.home, MEDPERF_CONFIG_STORAGE=self.config, NO_COLOR="1",
                        COLUMNS="250", LC_ALL="C.UTF-8")

    def check_sanitizer(self, stderr, args):
        if self.sanitized:
            for mark in SANITIZER_MARKS:
                assert mark not in stderr, f"sanitizer report from medperf {args}:\n{stderr}"

    def run(self, *args, check=False, input="", timeout=120):
        r = subprocess.run([self.client, *map(str, args)], capture_output=True, text=True,
                           env=self.env, input=input, timeout=timeout, cwd=self.home)
        self.check_sanitizer(r.stderr, args)
        if check:
            assert r.returncode == 0, (f"{self.name}: medperf {' '.join(map(str, args))} exited "
                                       f"{r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}")
        return r

    def json(self, *args):
        return json.loads(self.run(*args, "--json", check=True).stdout)

    def popen(self, *args):
        return subprocess.Popen([self.client, *map(str, args)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env, cwd=self.home,
                                stdin=subprocess.DEVNULL)

    def setup(self, admin=False):
        self.run("profile", "create", "-n", "test", "--server", self.srv.url, "--certificate",
                 self.srv.cert, check=True)
        self.run("profile", "activate", "test", check=True)
        tok = os.path.join(self.home, "token")
        with open(tok, "w") as f:
            f.write(self.srv.token(self.email, admin=admin))
        self.run("auth", "login", "--token-file", tok, check=True)
        return self

    @property
    def storage(self):
        return os.path.join(self.home, ".medperf")

    def local(self, kind, *parts):
        """A path in this person's storage: <storage>/<kind>/<server folder>/<parts...>."""
        srv = self.srv.url.split("//", 1)[1].replace(".", "_").replace(":", "_")
        return os.path.join(self.storage, kind, srv, *map(str, parts))


def ok(r):
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def failed(r, code, *parts):
    """r exited with code and its error lines hold every part."""
    assert r.returncode == code, f"exit {r.returncode}, wanted {code}\n{r.stdout}\n{r.stderr}"
    assert "medperf: error: " in r.stderr, r.stderr
    for p in parts:
        assert p in r.stderr, f"{p!r} not in stderr:\n{r.stderr}"
    return r


def results_of(fed, who, b, d):
    """My results of benchmark b on dataset d, by model (the latest first)."""
    out = {}
    for x in sorted(fed.srv.user(who).get("/me/results/", params={"limit": 1000}).json()[
            "results"], key=lambda x: -x["id"]):
        if x["benchmark"] == b and x["dataset"] == d:
            out.setdefault(x["model"], []).append(x)
    return out


def table(stdout, first):
    """The rows of the table whose header starts with first: [{header: cell}]."""
    lines = stdout.splitlines()
    i = next(k for k, l in enumerate(lines) if l.startswith(first))
    head = [h for h in lines[i].split("  ") if h.strip()]
    starts = [lines[i].index(h) for h in head]
    rows = []
    for line in lines[i + 1:]:
        if not line.strip():
            break
        cells = [line[s:(starts[j + 1] if j + 1 < len(starts) else None)].strip()
                 for j, s in enumerate(starts)]
        rows.append(dict(zip([h.strip() for h in head], cells)))
    return rows


def uniq(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def restart(srv):
    """Stops the server and starts it again on the same port (same data, same certificate)."""
    port = srv.port
    srv.stop()
    srv.launch(extra=("--listen", f"127.0.0.1:{port}"))
    assert srv.port == port
