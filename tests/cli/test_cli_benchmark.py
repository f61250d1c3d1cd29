"""test_cli_benchmark.py: `medperf benchmark` against a real server: submit
(with and without --skip-compatibility-tests, missing options), ls with each
filter, view in each format and to a file, update_associations_policy (modes,
allow-list files), approve/reject by an admin and by others, run. The
server's state is read back through the API after each command.
"""
import json

import pytest
import yaml

from factory import uniq
from clitools import failed, local_file, ok, write

BENCH_HEADER = ["UID", "Name", "Description", "Data Preparation Container", "State",
                "Approval Status", "Registered"]


# ---------------------------------------------------------------- helpers

def usage(r, *parts):
    """A usage error (2) that names the options concerned."""
    assert r.returncode == 2, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    for p in parts:
        assert p in r.stderr, f"{p!r} not in stderr:\n{r.stderr}"
    assert r.stdout == ""


def by_name(client, name):
    r = client.get("/benchmarks/", params={"name": name, "limit": 1000})
    assert r.status_code == 200, r.text
    return r.json()["results"]


def get_bench(client, bid):
    r = client.get(f"/benchmarks/{bid}/")
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def parts(srv, f):
    """The three parts of bo's benchmarks (operational, made through the API)."""
    bo = srv.user("bo")
    return {"prep": f.mlcube(bo)["id"], "ref": f.model(bo)["id"], "eval": f.mlcube(bo)["id"]}


def submit_args(name, parts, *extra):
    return ("benchmark", "submit", "-n", name, "-d", "a description", "-p", str(parts["prep"]),
            "-m", str(parts["ref"]), "-e", str(parts["eval"]), *extra)


def settle(admin_api, bid, status="APPROVED"):
    """A user may own one pending benchmark at a time: decide it."""
    r = admin_api.put(f"/benchmarks/{bid}/", {"approval_status": status})
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------- submit

def test_submit_skipping_compatibility_tests(cli, srv, parts, admin_api):
    c = cli("bo")
    name = uniq("bench")
    r = ok(c.run(*submit_args(name, parts, "--skip-compatibility-tests", "-y")))
    rows = by_name(srv.user("bo"), name)
    assert len(rows) == 1
    b = rows[0]
    assert r.stdout == f"Registered benchmark {b['id']} '{name}' (PENDING)\n"
    assert b["owner"] == c.user_id
    assert b["description"] == "a description" and b["docs_url"] == ""
    assert b["demo_dataset_tarball_url"] == "link"
    assert b["demo_dataset_tarball_hash"] == "hash"
    assert b["demo_dataset_generated_uid"] == "uid"
    assert b["metadata"] == {"demo_dataset_already_prepared": False,
                             "skip_compatibility_tests": True, "results": {}}
    assert (b["data_preparation_mlcube"], b["reference_model"], b["data_evaluator_mlcube"]) \
        == (parts["prep"], parts["ref"], parts["eval"])
    assert b["state"] == "DEVELOPMENT" and b["approval_status"] == "PENDING"
    assert b["is_active"] is True and b["is_valid"] is True
    assert b["dataset_auto_approval_mode"] == "NEVER" and b["model_auto_approval_mode"] == "NEVER"
    with open(local_file(c, "benchmarks", b["id"], "benchmark.yaml")) as fh:
        saved = yaml.safe_load(fh)
    assert saved["id"] == b["id"] and saved["name"] == name
    assert saved["metadata"] == b["metadata"]
    settle(admin_api, b["id"])


def test_submit_options(cli, srv, parts, admin_api):
    c = cli("bo")
    name = uniq("bench")
    r = ok(c.run(*submit_args(name, parts, "--skip-compatibility-tests",
                              "--skip-demo-data-preparation", "--operational",
                              "-u", "https://docs.example.org/b", "-y", "--json")))
    b = json.loads(r.stdout)
    assert b == get_bench(srv.user("bo"), b["id"])
    assert b["name"] == name
    assert b["state"] == "OPERATION"
    assert b["docs_url"] == "https://docs.example.org/b"
    assert b["metadata"] == {"demo_dataset_already_prepared": True,
                             "skip_compatibility_tests": True, "results": {}}
    settle(admin_api, b["id"])


def test_submit_runs_the_compatibility_test_first(cli, srv, parts):
    """Without --skip-compatibility-tests the parts run on the demo data before anything
    is sent (tests/flows runs real ones): these parts' configurations cannot run."""
    c = cli("bo")
    name = uniq("bench")
    r = c.run(*submit_args(name, parts, "--demo-url", "https://example.org/demo.tar.gz", "-y"))
    failed(r, 1, "container_type")
    r = c.run(*submit_args(name, parts, "-y"))
    failed(r, 2, "--demo-url")
    assert by_name(srv.user("bo"), name) == []


@pytest.mark.parametrize("drop", ["-n", "-d", "-p", "-m", "-e"])
def test_submit_required_options(cli, srv, parts, drop):
    c = cli("bo")
    name = uniq("bench")
    args = list(submit_args(name, parts, "--skip-compatibility-tests", "-y"))
    i = args.index(drop)
    del args[i:i + 2]
    long = {"-n": "--name", "-d": "--description", "-p": "--data-preparation-container",
            "-m": "--reference-model", "-e": "--evaluator-container"}[drop]
    usage(c.run(*args), long)
    assert by_name(srv.user("bo"), name) == []


def test_submit_bad_values(cli, srv, parts):
    c = cli("bo")
    name = uniq("bench")
    args = list(submit_args(name, parts, "--skip-compatibility-tests", "-y"))
    args[args.index("-p") + 1] = "prep"
    usage(c.run(*args), "prep")
    usage(c.run(*submit_args(name, parts, "--skip-compatibility-tests", "--bogus", "-y")),
          "--bogus")
    assert by_name(srv.user("bo"), name) == []


def test_submit_refused_by_server(cli, srv, parts):
    c = cli("bo3")
    name = uniq("bench")
    bad = dict(parts, prep=987654)
    r = c.run(*submit_args(name, bad, "--skip-compatibility-tests", "-y"))
    failed(r, 3, "987654")
    assert by_name(srv.user("bo"), name) == []


def test_submit_one_pending_benchmark_per_user(cli, srv, parts, admin_api):
    c = cli("bo4")
    first, second = uniq("bench"), uniq("bench")
    ok(c.run(*submit_args(first, parts, "--skip-compatibility-tests", "-y")))
    r = c.run(*submit_args(second, parts, "--skip-compatibility-tests", "-y"))
    failed(r, 3, "User can own at most one pending benchmark")
    assert by_name(srv.user("bo"), second) == []
    settle(admin_api, by_name(srv.user("bo"), first)[0]["id"], "REJECTED")


def test_submit_without_yes_sends_nothing(cli, srv, parts):
    c = cli("bo")
    name = uniq("bench")
    r = c.run(*submit_args(name, parts, "--skip-compatibility-tests"))
    assert r.returncode == 7 and r.stdout == "", r.stderr
    assert name in r.stderr and "[y/N]" in r.stderr
    assert by_name(srv.user("bo"), name) == []


# ---------------------------------------------------------------- ls

@pytest.fixture(scope="module")
def world(srv, f, admin_api):
    """Benchmarks with distinct attributes, of two owners (lsa, lsb)."""
    a, b = srv.user("lsa"), srv.user("lsb")
    p1, p2 = f.mlcube(a)["id"], f.mlcube(a)["id"]
    ref, ev = f.model(a)["id"], f.mlcube(a)["id"]
    made = {}
    made["dev"] = f.benchmark(a, prep=p1, ref=ref, evaluator=ev, state="DEVELOPMENT")
    made["op_inactive"] = f.benchmark(a, prep=p2, ref=ref, evaluator=ev, state="OPERATION")
    r = a.put(f"/benchmarks/{made['op_inactive']['id']}/", {"is_active": False})
    assert r.status_code == 200, r.text
    made["op_inactive"] = r.json()
    made["invalid"] = f.benchmark(a, prep=p2, ref=ref, evaluator=ev)
    r = a.put(f"/benchmarks/{made['invalid']['id']}/", {"is_valid": False})
    assert r.status_code == 200, r.text
    made["invalid"] = r.json()
    made["rejected"] = f.benchmark(a, prep=p1, ref=ref, evaluator=ev, approve=False,
                                   state="DEVELOPMENT")
    settle(admin_api, made["rejected"]["id"], "REJECTED")
    made["rejected"] = get_bench(a, made["rejected"]["id"])
    made["other"] = f.benchmark(b, prep=p1, ref=ref, evaluator=ev, state="OPERATION")
    return {"a": a, "b": b, "p1": p1, "p2": p2, "made": made,
            "ids": {k: v["id"] for k, v in made.items()}}


def ls_ids(c, *args):
    return [x["id"] for x in c.json("benchmark", "ls", *args)]


def test_ls_all_valid(cli, world):
    c = cli("lsa")
    ids = ls_ids(c)
    w = world["ids"]
    for k in ("dev", "op_inactive", "rejected", "other"):
        assert w[k] in ids
    assert w["invalid"] not in ids
    # every valid one, in the server's order
    api = world["a"].get("/benchmarks/", params={"is_valid": "True", "limit": 1000}).json()
    assert api["next"] is None
    assert ids == [x["id"] for x in api["results"]]


def test_ls_name(cli, world):
    c = cli("lsa")
    name = world["made"]["dev"]["name"]
    assert ls_ids(c, "--name", name) == [world["ids"]["dev"]]
    assert ls_ids(c, "--name", "no such benchmark") == []


def test_ls_owner(cli, world):
    c = cli("lsa")
    w = world["ids"]
    a_rows = ls_ids(c, "--owner", str(world["a"].id))
    assert sorted(a_rows) == sorted([w["dev"], w["op_inactive"], w["rejected"]])
    assert ls_ids(c, "--owner", str(world["b"].id)) == [w["other"]]


def test_ls_state(cli, world):
    c = cli("lsa")
    w = world["ids"]
    rows = c.json("benchmark", "ls", "--state", "OPERATION")
    assert rows and all(x["state"] == "OPERATION" for x in rows)
    ids = [x["id"] for x in rows]
    assert w["op_inactive"] in ids and w["other"] in ids and w["dev"] not in ids
    ids = ls_ids(c, "--state", "DEVELOPMENT")
    assert w["dev"] in ids and w["rejected"] in ids
    assert w["other"] not in ids and w["op_inactive"] not in ids


def test_ls_active_inactive(cli, world):
    c = cli("lsa")
    w = world["ids"]
    active = c.json("benchmark", "ls", "--active")
    assert all(x["is_active"] for x in active)
    assert w["op_inactive"] not in [x["id"] for x in active]
    assert w["dev"] in [x["id"] for x in active]
    assert ls_ids(c, "--inactive") == [w["op_inactive"]]
    usage(c.run("benchmark", "ls", "--active", "--inactive"), "--active", "--inactive")


def test_ls_data_preparation_container(cli, world):
    c = cli("lsa")
    w = world["ids"]
    assert sorted(ls_ids(c, "-d", str(world["p1"]))) == sorted([w["dev"], w["rejected"],
                                                                 w["other"]])
    assert ls_ids(c, "--data-preparation-container", str(world["p2"])) == [w["op_inactive"]]


def test_ls_mine_and_invalid(cli, world):
    w = world["ids"]
    assert sorted(ls_ids(cli("lsa"), "--mine")) == sorted([w["dev"], w["op_inactive"],
                                                           w["rejected"]])
    assert ls_ids(cli("lsb"), "--mine") == [w["other"]]
    assert ls_ids(cli("lsa"), "--invalid") == [w["invalid"]]
    assert ls_ids(cli("lsa"), "--mine", "--invalid") == [w["invalid"]]
    usage(cli("lsa").run("benchmark", "ls", "--valid", "--invalid"), "--valid", "--invalid")


def test_ls_mine_combined_with_filters(cli, world):
    """/me/benchmarks/ takes no filters on the server: the client applies them."""
    c = cli("lsa")
    w = world["ids"]
    assert ls_ids(c, "--mine", "--state", "OPERATION") == [w["op_inactive"]]
    assert ls_ids(c, "--mine", "--state", "DEVELOPMENT") == [w["dev"], w["rejected"]]
    assert ls_ids(c, "--mine", "--inactive") == [w["op_inactive"]]
    assert ls_ids(c, "--mine", "--name", world["made"]["dev"]["name"]) == [w["dev"]]
    assert sorted(ls_ids(c, "--mine", "-d", str(world["p1"]))) == sorted([w["dev"],
                                                                          w["rejected"]])
    assert ls_ids(c, "--mine", "--owner", str(world["b"].id)) == []


def test_ls_table(cli, world):
    c = cli("lsb")
    out = ok(c.run("benchmark", "ls", "--mine")).stdout.splitlines()
    assert out[0].split("  ")[0].strip() == "UID"
    assert [h.strip() for h in out[0].split("  ") if h.strip()] == BENCH_HEADER
    assert len(out) == 2
    b = world["made"]["other"]
    cells = [x.strip() for x in out[1].split("  ") if x.strip()]
    assert cells == [str(b["id"]), b["name"], b["description"], str(world["p1"]), "OPERATION",
                     "APPROVED", "True"]
    r = ok(cli("fresh-ls").run("benchmark", "ls", "--mine"))
    assert [h.strip() for h in r.stdout.splitlines()[0].split("  ") if h.strip()] == BENCH_HEADER
    assert len(r.stdout.splitlines()) == 1


# ---------------------------------------------------------------- view

def test_view_one(cli, world, tmp_path):
    c = cli("lsb")
    b = world["made"]["other"]
    bid = str(b["id"])
    r = ok(c.run("benchmark", "view", bid))
    assert yaml.safe_load(r.stdout) == b
    assert json.loads(ok(c.run("benchmark", "view", bid, "-f", "json")).stdout) == b
    assert json.loads(ok(c.run("benchmark", "view", bid, "--json")).stdout) == b
    # -o FILE: the file, and nothing on stdout
    out = tmp_path / "b.yaml"
    r = ok(c.run("benchmark", "view", bid, "-o", str(out)))
    assert r.stdout == ""
    assert yaml.safe_load(out.read_text()) == b
    out = tmp_path / "b.json"
    r = ok(c.run("benchmark", "view", bid, "-f", "json", "-o", str(out)))
    assert r.stdout == ""
    assert json.loads(out.read_text()) == b


def test_view_all_and_mine(cli, world):
    c = cli("lsa")
    w = world["ids"]
    everything = yaml.safe_load(ok(c.run("benchmark", "view")).stdout)
    assert isinstance(everything, list)
    ids = [x["id"] for x in everything]
    assert w["other"] in ids and w["dev"] in ids
    assert everything == c.json("benchmark", "view")
    mine = c.json("benchmark", "view", "--mine")
    # all of mine, as /me/benchmarks/ gives them (the invalidated one too)
    assert sorted(x["id"] for x in mine) == sorted([w["dev"], w["op_inactive"], w["rejected"],
                                                    w["invalid"]])
    assert all(x["owner"] == world["a"].id for x in mine)


def test_view_errors(cli, world, tmp_path):
    c = cli("lsa")
    failed(c.run("benchmark", "view", "-f", "xml"), 2, "xml")
    failed(c.run("benchmark", "view", str(world["ids"]["dev"]), "-f", "xml"), 2, "xml")
    failed(c.run("benchmark", "view", "424242"), 3, "424242")
    usage(c.run("benchmark", "view", "abc"), "abc")
    target = tmp_path / "no-such-dir" / "b.yaml"
    failed(c.run("benchmark", "view", str(world["ids"]["dev"]), "-o", str(target)), 1,
           str(target))


# ---------------------------------------------------------------- update_associations_policy

@pytest.fixture
def pbench(srv, f):
    """A fresh approved benchmark of `pol`."""
    return f.benchmark(srv.user("pol"))


def policy(c, bench, *args):
    return c.run("benchmark", "update_associations_policy", "-y", "-b", str(bench["id"]), *args)


@pytest.mark.parametrize("given,stored", [("always", "ALWAYS"), ("AllowList", "ALLOWLIST"),
                                          ("NEVER", "NEVER"), ("nEvEr", "NEVER")])
def test_policy_modes_case_insensitive(cli, srv, pbench, given, stored):
    c = cli("pol")
    ok(policy(c, pbench, "--dataset_auto_approve_mode", given))
    b = get_bench(srv.user("pol"), pbench["id"])
    assert b["dataset_auto_approval_mode"] == stored
    assert b["model_auto_approval_mode"] == "NEVER"
    ok(policy(c, pbench, "--model_auto_approve_mode", given))
    b = get_bench(srv.user("pol"), pbench["id"])
    assert b["model_auto_approval_mode"] == stored
    assert b["dataset_auto_approval_mode"] == stored


def test_policy_allow_list_files(cli, srv, pbench, tmp_path):
    c = cli("pol")
    dfile = write(tmp_path / "data-owners.txt",
                  "Alice@Example.ORG\n\n   bob@hospital.example.org   \n\n\nCAROL@x.io\n")
    mfile = write(tmp_path / "model-owners.txt", "\nlab@research.example.org\r\n")
    ok(policy(c, pbench, "--dataset_auto_approve_mode", "allowlist",
              "--dataset_auto_approve_file", dfile, "--model_auto_approve_file", mfile))
    b = get_bench(srv.user("pol"), pbench["id"])
    assert b["dataset_auto_approval_mode"] == "ALLOWLIST"
    assert b["dataset_auto_approval_allow_list"] == ["alice@example.org",
                                                     "bob@hospital.example.org", "carol@x.io"]
    assert b["model_auto_approval_allow_list"] == ["lab@research.example.org"]
    assert b["model_auto_approval_mode"] == "NEVER"
    # an empty file empties the list
    empty = write(tmp_path / "empty.txt", "\n\n")
    ok(policy(c, pbench, "--dataset_auto_approve_file", empty))
    b = get_bench(srv.user("pol"), pbench["id"])
    assert b["dataset_auto_approval_allow_list"] == []
    assert b["dataset_auto_approval_mode"] == "ALLOWLIST"
    assert b["model_auto_approval_allow_list"] == ["lab@research.example.org"]


@pytest.mark.parametrize("text,line,bad", [
    ("a@example.org\nnot-an-email\n", 2, "not-an-email"),
    ("a@example.org\n\n\n@example.org\n", 4, "@example.org"),
    ("two words@example.org\n", 1, "two words@example.org"),
    ("a@example.org\nb@nodot\n", 2, "b@nodot"),
])
def test_policy_invalid_email_names_file_and_line(cli, srv, pbench, tmp_path, text, line, bad):
    c = cli("pol")
    before = get_bench(srv.user("pol"), pbench["id"])
    emails = write(tmp_path / "emails.txt", text)
    r = policy(c, pbench, "--dataset_auto_approve_mode", "ALLOWLIST",
               "--dataset_auto_approve_file", emails)
    failed(r, 2, f"{emails}:{line}:", bad)
    assert get_bench(srv.user("pol"), pbench["id"]) == before
    r = policy(c, pbench, "--model_auto_approve_file", emails)
    failed(r, 2, f"{emails}:{line}:")
    assert get_bench(srv.user("pol"), pbench["id"]) == before


def test_policy_errors(cli, srv, pbench, tmp_path):
    c = cli("pol")
    before = get_bench(srv.user("pol"), pbench["id"])
    failed(policy(c, pbench), 2, "nothing to change")
    failed(policy(c, pbench, "--dataset_auto_approve_mode", "sometimes"), 2, "never")
    failed(policy(c, pbench, "--model_auto_approve_mode", "sometimes"), 2,
           "--model_auto_approve_mode")
    missing = str(tmp_path / "missing.txt")
    failed(policy(c, pbench, "--model_auto_approve_file", missing), 1, missing)
    usage(c.run("benchmark", "update_associations_policy", "-y", "--dataset_auto_approve_mode",
                "ALWAYS"), "--benchmark")
    # someone else's benchmark: the server refuses (403: 4)
    failed(policy(cli("intruder"), pbench, "--dataset_auto_approve_mode", "ALWAYS"), 4)
    # a missing benchmark: the server does not tell non-owners what exists (403: 4)
    failed(c.run("benchmark", "update_associations_policy", "-y", "-b", "565656",
                 "--dataset_auto_approve_mode", "ALWAYS"), 4)
    assert get_bench(srv.user("pol"), pbench["id"]) == before


# ---------------------------------------------------------------- approve / reject / run

def test_admin_approves_and_rejects(cli, srv, f):
    admin = cli("admin", admin=True)
    b1 = f.benchmark(srv.user("appr1"), approve=False)
    b2 = f.benchmark(srv.user("appr2"), approve=False)
    assert b1["approval_status"] == "PENDING"
    r = ok(admin.run("benchmark", "approve", "-y", "-b", str(b1["id"])))
    assert "APPROVED" in r.stdout
    got = get_bench(srv.user("appr1"), b1["id"])
    assert got["approval_status"] == "APPROVED" and got["approved_at"] is not None
    ok(admin.run("benchmark", "reject", "-y", "-b", str(b2["id"])))
    assert get_bench(srv.user("appr2"), b2["id"])["approval_status"] == "REJECTED"
    # a decided benchmark cannot be decided again: the server says why
    failed(admin.run("benchmark", "approve", "-y", "-b", str(b2["id"])), 3, "pending")
    assert get_bench(srv.user("appr2"), b2["id"])["approval_status"] == "REJECTED"
    failed(admin.run("benchmark", "approve", "-y", "-b", "777777"), 3)


def test_decisions_and_policy_ask_first(cli, srv, f):
    """Without -y and without a terminal to ask on, nothing is sent (exit 7)."""
    admin = cli("admin", admin=True)
    b = f.benchmark(srv.user("ask1"), approve=False)
    for cmd in ("approve", "reject"):
        r = failed(admin.run("benchmark", cmd, "-b", str(b["id"]), input=""), 7,
                   "nothing was sent")
        assert "approval_status: " in r.stderr and "use -y" in r.stderr
    assert get_bench(srv.user("ask1"), b["id"])["approval_status"] == "PENDING"
    r = failed(cli("ask1").run("benchmark", "update_associations_policy", "-b", str(b["id"]),
                               "--dataset_auto_approve_mode", "always", input=""), 7)
    assert "dataset_auto_approval_mode: ALWAYS" in r.stderr
    assert get_bench(srv.user("ask1"), b["id"])["dataset_auto_approval_mode"] == "NEVER"


@pytest.mark.parametrize("who", ["owner", "stranger"])
def test_non_admin_cannot_approve_or_reject(cli, srv, f, who):
    b = f.benchmark(srv.user(f"na-{who}"), approve=False)
    c = cli(f"na-{who}" if who == "owner" else "stranger")
    failed(c.run("benchmark", "approve", "-y", "-b", str(b["id"])), 4, "admin")
    failed(c.run("benchmark", "reject", "-y", "-b", str(b["id"])), 4, "admin")
    got = get_bench(srv.user(f"na-{who}"), b["id"])
    assert got["approval_status"] == "PENDING" and got["approved_at"] is None


def test_run_checks_its_arguments(cli):
    """benchmark run itself is tested in tests/flows."""
    c = cli("bo")
    failed(c.run("benchmark", "run", "-b", "999999", "-d", "1"), 3, "no benchmark 999999")
    r = c.run("benchmark", "run")
    assert r.returncode == 2 and "missing option --benchmark" in r.stderr


def test_not_logged_in(cli, parts):
    c = cli.fresh("anonymous")
    failed(c.run("benchmark", "ls"), 4)
    failed(c.run("benchmark", "view", "1"), 4)
    failed(c.run(*submit_args(uniq("b"), parts, "--skip-compatibility-tests", "-y")), 4)
