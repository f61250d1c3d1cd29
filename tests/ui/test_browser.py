"""test_browser.py: the web UI in a real browser (issue 7): playwright-core
(tests/ui/package.json, installed by scripts/install-deps) drives Debian's
chromium headless (browser.mjs) against a real server filled by the demo flow
(scripts/demo's breast-cancer walk: seven people, three hospitals, results),
plus two pending benchmarks and two pending dataset associations.

Checked: each role's navigation, benchmarks and leaderboard access (and not
what it may not see); the leaderboard's numbers equal the API's; the
committee approves and rejects an association and the admin a benchmark, with
the keyboard, and the API shows the change; bad and expired tokens get a clear
message and nothing is stored; sign out forgets the token; no Content-Security-
Policy violation and no script error; no sideways scrolling on a tablet.
Screenshots of the main pages go to <build>/ui-screenshots/.
"""
import base64
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.abspath(os.environ.get("MEDPERF_BUILD", os.path.join(ROOT, "build")))
CHROMIUM = shutil.which("chromium")
NODE = shutil.which("node")
PLAYWRIGHT = os.path.join(HERE, "node_modules", "playwright-core", "package.json")
COMMITTEE = "committee"

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and NODE and os.path.exists(PLAYWRIGHT)),
    reason="needs chromium, node and tests/ui/node_modules/playwright-core (scripts/install-deps)")


def load_demo():
    loader = importlib.machinery.SourceFileLoader("medperf_demo",
                                                  os.path.join(ROOT, "scripts", "demo"))
    spec = importlib.util.spec_from_loader("medperf_demo", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def expired_token(token, key_pem):
    """token with iat/exp moved into the past, re-signed with the server's key."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    head, body, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    now = int(time.time())
    claims.update(iat=now - 10 * 86400, exp=now - 2 * 86400)
    claims.pop("nbf", None)
    signing = f"{head}.{b64url(json.dumps(claims).encode())}"
    with open(key_pem, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    sig = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing}.{b64url(sig)}"


class Api:
    def __init__(self, server, token):
        self.url, self.cert = server.url + "/api/v0", server.cert
        self.headers = {"Authorization": f"Bearer {token}"}

    def __call__(self, method, path, body=None, status=200):
        r = requests.request(method, self.url + path, json=body, headers=self.headers,
                             verify=self.cert, timeout=30)
        assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.text else None


@pytest.fixture(scope="module")
def world():
    demo = load_demo()
    build = os.path.relpath(BUILD, ROOT)
    tmp = tempfile.mkdtemp(prefix="medperf-ui-", dir=os.environ.get("MEDPERF_E2E_TMP"))
    os.chmod(tmp, 0o755)  # the sandbox's user reads the packages and data from here
    server, people = demo.setup(build, tmp, "native")
    try:
        ex = demo.package("breast-cancer", build, os.path.join(tmp, "packages"))
        outcome = demo.walk(ex, server, people, lambda *a: None)
        tokens = {who: server.token(f"{who}@demo.example", admin=(who == "admin"))
                  for who in ("admin", COMMITTEE, "model-owner-1", "model-owner-2",
                              "hospital-a", "hospital-b")}
        api = {who: Api(server, t) for who, t in tokens.items()}
        b = outcome["benchmark"]
        bench = api[COMMITTEE]("GET", f"/benchmarks/{b}/")
        pending = {}
        for who, name in (("model-owner-1", "ui-approve-me"), ("model-owner-2", "ui-reject-me")):
            body = {k: bench[k] for k in ("demo_dataset_tarball_url", "demo_dataset_tarball_hash",
                                          "demo_dataset_generated_uid", "data_preparation_mlcube",
                                          "reference_model", "data_evaluator_mlcube")}
            body.update(name=name, description="waiting for the admin", state="DEVELOPMENT")
            pending[name] = api[who]("POST", "/benchmarks/", body, status=201)["id"]
        extra = {}
        for who, name in (("hospital-a", "ui-extra-a"), ("hospital-b", "ui-extra-b")):
            d = api[who]("POST", "/datasets/", {
                "name": name, "description": "extra cohort", "location": who,
                "input_data_hash": "ab" * 32, "generated_uid": name + "-uid", "split_seed": 0,
                "data_preparation_mlcube": bench["data_preparation_mlcube"],
                "submitted_as_prepared": False, "generated_metadata": {"n": 1}}, status=201)
            api[who]("PUT", f"/datasets/{d['id']}/", {"state": "OPERATION"})
            a = api[who]("POST", "/datasets/benchmarks/", {
                "dataset": d["id"], "benchmark": b, "metadata": {"test_result": {}}}, status=201)
            assert a["approval_status"] == "PENDING"
            extra[name] = d["id"]
        yield dict(server=server, tokens=tokens, api=api, benchmark=bench, outcome=outcome,
                   pending=pending, extra=extra)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def seen(world):
    """What the browser saw (browser.mjs), once for all the checks below."""
    server, bench = world["server"], world["benchmark"]
    shots = os.path.join(BUILD, "ui-screenshots")
    os.makedirs(shots, exist_ok=True)
    good = world["tokens"]["hospital-a"]
    tampered = good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA") else "BBBBBB")
    cfg = {
        "url": server.url, "chromium": CHROMIUM, "shots": shots, "benchmark": bench["id"],
        "dataset": world["outcome"]["datasets"]["hospital-a"],
        "committee": COMMITTEE,
        "tokens": {w: world["tokens"][w] for w in ("admin", COMMITTEE, "model-owner-1",
                                                    "hospital-a")},
        "bad_tokens": ["not a token", tampered,
                       expired_token(good, os.path.join(server.data, "token-key.pem"))],
        "decide": [
            {"who": COMMITTEE, "hash": "#/associations", "verb": "Approve",
             "label": f"ui-extra-a in {bench['name']}"},
            {"who": COMMITTEE, "hash": "#/associations", "verb": "Reject",
             "label": f"ui-extra-b in {bench['name']}"},
            {"who": "admin", "hash": "#/admin/benchmarks", "verb": "Approve",
             "label": "benchmark ui-approve-me"},
            {"who": "admin", "hash": "#/admin/benchmarks", "verb": "Reject",
             "label": "benchmark ui-reject-me"},
        ],
    }
    r = subprocess.run([NODE, os.path.join(HERE, "browser.mjs")], input=json.dumps(cfg),
                       capture_output=True, text=True, timeout=600, cwd=HERE)
    assert r.returncode == 0, r.stderr[-4000:]
    return json.loads(r.stdout)


def test_no_csp_violation_or_script_error(seen):
    assert seen["csp"] == []
    assert seen["errors"] == []


def test_bad_tokens_are_explained_and_not_kept(seen):
    garbage, tampered, expired = seen["bad_tokens"]
    assert garbage["message"].startswith("This is not a token")
    assert tampered["message"].startswith("The server refused this token:")
    assert expired["message"].startswith("This token expired on ")
    for b in seen["bad_tokens"]:
        assert b["stored"] == 0 and b["cookies"] == 0


def test_each_role_sees_its_navigation(seen):
    nav = {who: r["nav"] for who, r in seen["roles"].items()}
    common = ["Benchmarks", "Models", "Containers", "Datasets"]
    assert nav["admin"] == common + ["My associations", "Pending benchmarks"]
    assert nav[COMMITTEE] == common + ["My associations"]
    assert nav["model-owner-1"] == common + ["My associations"]
    assert nav["hospital-a"] == common + ["My results", "My associations"]
    assert "admin" in seen["roles"]["admin"]["who"]
    assert "benchmark owner" in seen["roles"][COMMITTEE]["who"]
    assert "data owner" in seen["roles"]["hospital-a"]["who"]


def test_benchmarks_and_detail_as_the_api_lists_them(seen, world):
    for who, r in seen["roles"].items():
        listed = world["api"][who]("GET", "/benchmarks/?limit=1000")["results"]
        assert r["benchmarks"] == [b["name"] for b in listed], who
        assert r["detail_cards"] == ["Data preparation", "Reference model", "Evaluator"]


def test_leaderboard_only_for_committee_and_admin(seen):
    for who in ("admin", COMMITTEE):
        r = seen["roles"][who]
        assert r["leaderboard_link"] == 1 and r["leaderboard_tables"] >= 1, who
        assert r["leaderboard_note"] == []
    for who in ("model-owner-1", "hospital-a"):
        r = seen["roles"][who]
        assert r["leaderboard_link"] == 0 and r["leaderboard_tables"] == 0, who
        assert r["leaderboard_note"] == [
            "Only the benchmark's committee (its owner) and admins may see its results."]


def test_leaderboard_values_equal_the_api(seen, world):
    api = world["api"][COMMITTEE]
    b = world["benchmark"]
    lb = api("GET", f"/benchmarks/{b['id']}/leaderboard/")
    assert len(lb["rows"]) == 9                       # 3 models x 3 hospitals
    models = sorted({r["model"] for r in lb["rows"]})
    datasets = sorted({r["dataset"] for r in lb["rows"]})
    mname = {m: api("GET", f"/models/{m}/")["name"] +
             (" (reference)" if m == b["reference_model"] else "") for m in models}
    dname = {d: api("GET", f"/datasets/{d}/")["name"] for d in datasets}
    by = {(r["model"], r["dataset"]): r["results"] for r in lb["rows"]}
    assert seen["leaderboard_first"] == {"visible": 1, "picked": "0"}   # the first metric alone
    shown = seen["leaderboard"]
    metrics = list(by[(models[0], datasets[0])]["metrics"])
    assert shown["metrics"] == metrics
    assert shown["charts"] == len(metrics)
    for metric, table in zip(metrics, shown["tables"]):
        assert table["head"] == ["Model", *[dname[d] for d in datasets], "Pooled (case-weighted)"]
        assert [row[0] for row in table["rows"]] == [mname[m] for m in models]
        for m, row in zip(models, table["rows"]):
            num, den = 0.0, 0
            for d, cell in zip(datasets, row[1:-1]):
                res = by[(m, d)]
                v = res["metrics"][metric]
                want = "—" if v.get("value") is None else f"{v['value']:.3f}"
                if v.get("ci"):
                    want += f" [{v['ci'][0]:.3f}, {v['ci'][1]:.3f}]"
                assert cell == f"{want} n={res['cases']}", (metric, m, d)
                if v.get("value") is not None and num is not None:
                    num += v["value"] * res["cases"]
                    den += res["cases"]
                else:
                    num = None
            assert row[-1] == (f"{num / den:.3f}" if num is not None else "—"), (metric, m)


def test_decisions_reach_the_server(seen, world):
    api, b = world["api"], world["benchmark"]
    d = seen["decisions"]
    assert d[f"Approve ui-extra-a in {b['name']}"]["status"] == f"Approved: ui-extra-a in {b['name']}."
    assert d[f"Reject ui-extra-b in {b['name']}"]["status"] == f"Rejected: ui-extra-b in {b['name']}."
    assert d["Approve benchmark ui-approve-me"]["status"] == "Approved benchmark ui-approve-me."
    assert d["Reject benchmark ui-reject-me"]["status"] == "Rejected benchmark ui-reject-me."
    for v in d.values():
        assert v["left"] == 0                         # the button went with the decision
    for name, want in (("ui-extra-a", "APPROVED"), ("ui-extra-b", "REJECTED")):
        rows = api[COMMITTEE]("GET", f"/datasets/{world['extra'][name]}/benchmarks/{b['id']}/")
        assert max(rows, key=lambda r: r["created_at"])["approval_status"] == want, name
    for name, want in (("ui-approve-me", "APPROVED"), ("ui-reject-me", "REJECTED")):
        got = api["admin"]("GET", f"/benchmarks/{world['pending'][name]}/")
        assert got["approval_status"] == want


def test_token_only_in_the_tab_and_sign_out_forgets_it(seen):
    for who, r in seen["roles"].items():
        assert r["token_in"] == {"session": 1, "local": 0, "cookie": ""}, who
        assert r["after_sign_out"] == 0, who


def test_fits_a_tablet(seen):
    assert seen["tablet_overflow"] is False


def test_registry_pages_and_a_hospitals_own_results(seen, world):
    for who, r in seen["roles"].items():
        listed = world["api"][who]("GET", "/models/?limit=1000")["results"]
        assert r["models"] == [m["name"] for m in listed], who
        assert "Statistics" in r["dataset_h2"], who
    # only the hospital sees results on its dataset page: one per model
    hosp = seen["roles"]["hospital-a"]
    assert "Results on this dataset" in hosp["dataset_h2"]
    assert hosp["dataset_results"] == len(world["outcome"]["models"])
    mine = world["api"]["hospital-a"]("GET", "/me/results/?limit=1000")["count"]
    assert hosp["my_results"] == mine
    for who in ("admin", COMMITTEE, "model-owner-1"):
        assert "Results on this dataset" not in seen["roles"][who]["dataset_h2"], who
        assert seen["roles"][who]["dataset_results"] == 0


def test_screen_reader_names(seen):
    """Every control has a name or a label, every table a caption, every chart a label, one h1 a page."""
    assert seen["a11y"] == []


def test_keyboard_alone(seen):
    k = seen["keyboard"]
    assert k["start"] == "token"                      # the token field has the focus at first
    assert k["tab_to"] == "Sign in"
    assert k["focus_after"] == "H1"                   # each page focuses its heading
    assert k["back_to"] == "Sign out"                 # the navigation is just before
    first = seen["roles"][COMMITTEE]["benchmarks"][0]   # the list as the API gave it then
    assert k["first_link"] == first
    assert k["opened"].startswith(first) and k["focus_opened"] == "H1"
