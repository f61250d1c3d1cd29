"""test_benchmarks.py: the /benchmarks/ resource against a real server.

POST (key order, defaults, read-only and unknown keys, field and object
errors, auto-approval through the config), GET list (public serializer,
pagination, filters, ordering), GET detail (owner versus public views),
PUT (permissions, approval transitions, the OPERATION latch), DELETE (admin
only, cascades) and the four sub-lists with their permission matrix.
"""
import re
import uuid

import pytest

from factory import Factory, sha, uniq
from server import Server

FULL = ["id", "name", "description", "docs_url", "demo_dataset_tarball_url",
        "demo_dataset_tarball_hash", "demo_dataset_generated_uid", "metadata", "state", "is_valid",
        "is_active", "approval_status", "dataset_auto_approval_allow_list",
        "dataset_auto_approval_mode", "model_auto_approval_allow_list", "model_auto_approval_mode",
        "user_metadata", "approved_at", "created_at", "modified_at", "owner",
        "data_preparation_mlcube", "reference_model", "data_evaluator_mlcube"]
PUBLIC = [k for k in FULL if not k.endswith("_allow_list")]
RESULT_KEYS = ["id", "name", "results", "finalized", "metadata", "user_metadata",
               "approval_status", "is_valid", "model_report", "evaluation_report", "finalized_at",
               "approved_at", "created_at", "modified_at", "owner", "benchmark", "model", "dataset"]
USER_KEYS = ["id", "username", "email", "first_name", "last_name", "metadata"]

FORBIDDEN = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "Not found."}
UNAUTH = {"detail": "Authentication credentials were not provided."}
REQUIRED = ["This field is required."]
NULL = ["This field may not be null."]
NOT_OPERATIONAL = ("User cannot mark a benchmark as operational if its containers "
                   "are not operational")
OP_EDIT = {"non_field_errors": ["User cannot update non editable fields in Operation mode"]}
ONE_PENDING = {"non_field_errors": ["User can own at most one pending benchmark"]}
ONLY_APPROVE = {"approval_status": ["User can only approve or reject a benchmark"]}
ONLY_PENDING = {"approval_status": ["User can approve only a pending request"]}
CHOICE_FK = ["Select a valid choice. That choice is not one of the available choices."]
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
MISSING = 999999


def fresh(srv):
    """A new user: free to own one PENDING benchmark."""
    return srv.user(uniq("u"))


def components(f, client, state="OPERATION"):
    return (f.mlcube(client, state=state)["id"], f.model(client, state=state)["id"],
            f.mlcube(client, state=state)["id"])


def body_for(f, client, comp_state="OPERATION", **kw):
    """A benchmark body (state OPERATION unless kw says otherwise) with new components."""
    prep, ref, ev = components(f, client, comp_state)
    return f.benchmark_body(prep, ref, ev, **kw)


def listing(client, **params):
    params.setdefault("limit", 1000)
    return client.get("/benchmarks/", params=params)


def ids(r):
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()["results"]]


def page(rows):
    return {"count": len(rows), "next": None, "previous": None, "results": rows}


def put_ok(client, bid, body):
    r = client.put(f"/benchmarks/{bid}/", body)
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------------------
# POST
# ---------------------------------------------------------------------------

def test_post_returns_full_serializer_in_order(srv, f):
    u = fresh(srv)
    body = body_for(f, u, description="desc", docs_url="https://docs.example.org",
                    metadata={"results": {"x": 1}}, user_metadata={"k": [1, 2]},
                    dataset_auto_approval_allow_list=["a@example.org"],
                    dataset_auto_approval_mode="ALLOWLIST",
                    model_auto_approval_allow_list=["b@example.org", "c@example.org"],
                    model_auto_approval_mode="ALWAYS", is_valid=False, is_active=False)
    r = u.post("/benchmarks/", body)
    assert r.status_code == 201, r.text
    got = r.json()
    assert list(got) == FULL
    assert r.text.startswith('{"id":%d,"name":' % got["id"])
    assert TS.match(got["created_at"]) and TS.match(got["modified_at"])
    expected = dict(body)
    expected.update(id=got["id"], owner=u.id, approval_status="PENDING", approved_at=None,
                    created_at=got["created_at"], modified_at=got["modified_at"])
    assert got == expected
    # the same object is what the owner reads back
    r = u.get(f"/benchmarks/{got['id']}/")
    assert r.status_code == 200
    assert r.json() == got and list(r.json()) == FULL


def test_post_defaults(srv, f):
    u = fresh(srv)
    prep, ref, ev = components(f, u)
    body = {"name": uniq("bench"), "demo_dataset_tarball_url": "https://example.org/d.tgz",
            "demo_dataset_tarball_hash": sha(), "demo_dataset_generated_uid": sha(),
            "data_preparation_mlcube": prep, "reference_model": ref, "data_evaluator_mlcube": ev}
    r = u.post("/benchmarks/", body)
    assert r.status_code == 201, r.text
    got = r.json()
    assert list(got) == FULL
    assert got == {
        "id": got["id"], "name": body["name"], "description": "", "docs_url": "",
        "demo_dataset_tarball_url": body["demo_dataset_tarball_url"],
        "demo_dataset_tarball_hash": body["demo_dataset_tarball_hash"],
        "demo_dataset_generated_uid": body["demo_dataset_generated_uid"],
        "metadata": {}, "state": "DEVELOPMENT", "is_valid": True, "is_active": True,
        "approval_status": "PENDING", "dataset_auto_approval_allow_list": [],
        "dataset_auto_approval_mode": "NEVER", "model_auto_approval_allow_list": [],
        "model_auto_approval_mode": "NEVER", "user_metadata": {}, "approved_at": None,
        "created_at": got["created_at"], "modified_at": got["modified_at"], "owner": u.id,
        "data_preparation_mlcube": prep, "reference_model": ref, "data_evaluator_mlcube": ev}


def test_post_ignores_read_only_and_unknown_keys(srv, f, other):
    u = fresh(srv)
    body = body_for(f, u, state="DEVELOPMENT")
    body.update({"id": MISSING, "owner": other.id, "approval_status": "APPROVED",
                 "approved_at": "2020-01-01T00:00:00.000000Z",
                 "created_at": "2000-01-01T00:00:00.000000Z", "foo": 1, "for_test": False})
    r = u.post("/benchmarks/", body)
    assert r.status_code == 201, r.text
    got = r.json()
    assert list(got) == FULL
    assert got["id"] != MISSING
    assert got["owner"] == u.id
    assert got["approval_status"] == "PENDING" and got["approved_at"] is None
    assert not got["created_at"].startswith("2000-")
    assert "foo" not in got and "for_test" not in got
    assert u.get(f"/benchmarks/{MISSING}/").status_code == 404


def test_post_cli_style_null_read_only_keys(srv, f):
    # the CLI posts whole pydantic dumps with id/owner/created_at null
    u = fresh(srv)
    body = body_for(f, u, state="DEVELOPMENT", id=None, owner=None, created_at=None,
                    approved_at=None, modified_at=None, approval_status=None)
    r = u.post("/benchmarks/", body)
    assert r.status_code == 201, r.text
    assert r.json()["owner"] == u.id and r.json()["approval_status"] == "PENDING"


def test_post_missing_required_fields(srv):
    u = fresh(srv)
    r = u.post("/benchmarks/", {})
    assert r.status_code == 400
    order = ["name", "demo_dataset_tarball_url", "demo_dataset_tarball_hash",
             "demo_dataset_generated_uid", "data_preparation_mlcube", "reference_model",
             "data_evaluator_mlcube"]
    assert list(r.json()) == order
    assert r.json() == {k: REQUIRED for k in order}


def test_post_duplicate_name_with_missing_fields(srv, f, bo):
    # Appendix A: the unique error and the required errors together, in field order
    b = f.benchmark(bo)
    u = fresh(srv)
    r = u.post("/benchmarks/", {"name": b["name"]})
    assert r.status_code == 400
    order = ["name", "demo_dataset_tarball_url", "demo_dataset_tarball_hash",
             "demo_dataset_generated_uid", "data_preparation_mlcube", "reference_model",
             "data_evaluator_mlcube"]
    assert list(r.json()) == order
    assert r.json()["name"] == ["benchmark with this name already exists."]
    assert all(r.json()[k] == REQUIRED for k in order[1:])


def test_post_duplicate_name(srv, f, bo):
    b = f.benchmark(bo)
    u = fresh(srv)
    r = u.post("/benchmarks/", body_for(f, u, name=b["name"]))
    assert r.status_code == 400
    assert r.json() == {"name": ["benchmark with this name already exists."]}


def test_post_null_for_non_nullable(srv, f):
    u = fresh(srv)
    body = body_for(f, u, name=None)
    r = u.post("/benchmarks/", body)
    assert r.status_code == 400
    assert r.json() == {"name": NULL}
    body = body_for(f, u, description=None, is_valid=None, state=None,
                    dataset_auto_approval_allow_list=None, data_evaluator_mlcube=None)
    r = u.post("/benchmarks/", body)
    assert r.status_code == 400
    assert list(r.json()) == ["description", "state", "is_valid",
                              "dataset_auto_approval_allow_list", "data_evaluator_mlcube"]
    assert r.json() == {k: NULL for k in r.json()}


def test_post_null_with_missing(srv):
    # Appendix A: {"name":null,"demo_dataset_tarball_url":"u"}
    u = fresh(srv)
    r = u.post("/benchmarks/", {"name": None, "demo_dataset_tarball_url": "u"})
    assert r.status_code == 400
    assert r.json() == {"name": NULL, "demo_dataset_tarball_hash": REQUIRED,
                        "demo_dataset_generated_uid": REQUIRED,
                        "data_preparation_mlcube": REQUIRED, "reference_model": REQUIRED,
                        "data_evaluator_mlcube": REQUIRED}
    assert list(r.json())[0] == "name"


def test_post_nullable_json_fields(srv, f):
    # metadata and user_metadata are JSONField(null=True) on Benchmark (facts 4.1): null is
    # accepted. The original echoes null; this server renders a stored-null dictionary field
    # as {} on purpose (serialize.c: clients reject null), so {} is what we expect here.
    u = fresh(srv)
    r = u.post("/benchmarks/", body_for(f, u, metadata=None))
    assert r.status_code == 201, r.text
    assert r.json()["metadata"] == {}
    b = r.json()
    r = u.put(f"/benchmarks/{b['id']}/", {"user_metadata": None})
    assert r.status_code == 200, r.text
    assert r.json()["user_metadata"] == {}
    u = fresh(srv)
    r = u.post("/benchmarks/", body_for(f, u, user_metadata=None))
    assert r.status_code == 201, r.text
    assert r.json()["user_metadata"] == {}


def test_post_free_json_fields(srv, f):
    # JSON fields take any JSON value, with no shape check
    u = fresh(srv)
    r = u.post("/benchmarks/", body_for(f, u, metadata=[1, "two"], user_metadata="text",
                                        model_auto_approval_allow_list="a@example.org"))
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["metadata"] == [1, "two"] and got["user_metadata"] == "text"
    assert got["model_auto_approval_allow_list"] == "a@example.org"


def test_post_wrong_fk_types(srv, f):
    u = fresh(srv)
    r = u.post("/benchmarks/", body_for(f, u, data_preparation_mlcube="abc",
                                        reference_model=None))
    assert r.status_code == 400
    assert r.text == ('{"data_preparation_mlcube":["Incorrect type. Expected pk value, '
                      'received str."],"reference_model":["This field may not be null."]}')
    r = u.post("/benchmarks/", body_for(f, u, data_evaluator_mlcube=MISSING))
    assert r.status_code == 400
    assert r.json() == {"data_evaluator_mlcube": [f'Invalid pk "{MISSING}" - object does not exist.']}
    r = u.post("/benchmarks/", body_for(f, u, reference_model=MISSING))
    assert r.status_code == 400
    assert r.json() == {"reference_model": [f'Invalid pk "{MISSING}" - object does not exist.']}


def test_post_too_long_and_bad_choices(srv, f):
    u = fresh(srv)
    r = u.post("/benchmarks/", body_for(f, u, name="n" * 129))
    assert r.status_code == 400
    assert r.json() == {"name": ["Ensure this field has no more than 128 characters."]}
    r = u.post("/benchmarks/", body_for(f, u, state="X"))
    assert r.status_code == 400
    assert r.json() == {"state": ['"X" is not a valid choice.']}
    r = u.post("/benchmarks/", body_for(f, u, dataset_auto_approval_mode="X",
                                        model_auto_approval_mode="SOMETIMES"))
    assert r.status_code == 400
    assert list(r.json()) == ["dataset_auto_approval_mode", "model_auto_approval_mode"]
    assert r.json() == {"dataset_auto_approval_mode": ['"X" is not a valid choice.'],
                        "model_auto_approval_mode": ['"SOMETIMES" is not a valid choice.']}
    # 128 characters exactly is fine
    name = uuid.uuid4().hex + "n" * 96
    assert len(name) == 128
    r = u.post("/benchmarks/", body_for(f, u, name=name))
    assert r.status_code == 201, r.text
    assert r.json()["name"] == name


def test_post_one_pending_benchmark_per_owner(srv, f):
    u = fresh(srv)
    first = f.benchmark(u, approve=False)
    assert first["approval_status"] == "PENDING"
    r = u.post("/benchmarks/", body_for(f, u))
    assert r.status_code == 400
    assert r.json() == ONE_PENDING
    # the pending rule comes before the operational-components rule
    r = u.post("/benchmarks/", f.benchmark_body(*components(f, u, "DEVELOPMENT"),
                                                state="OPERATION"))
    assert r.status_code == 400
    assert r.json() == ONE_PENDING
    # field errors come before it
    r = u.post("/benchmarks/", {"name": uniq("bench")})
    assert r.status_code == 400
    assert r.json() == {k: REQUIRED for k in (
        "demo_dataset_tarball_url", "demo_dataset_tarball_hash", "demo_dataset_generated_uid",
        "data_preparation_mlcube", "reference_model", "data_evaluator_mlcube")}
    # once the pending one is rejected, the owner may submit again
    put_ok(f.admin, first["id"], {"approval_status": "REJECTED"})
    b2 = f.benchmark(u, approve=False)
    assert b2["approval_status"] == "PENDING"
    # an approved benchmark does not count either
    put_ok(f.admin, b2["id"], {"approval_status": "APPROVED"})
    assert f.benchmark(u, approve=False)["approval_status"] == "PENDING"


@pytest.mark.parametrize("slot", [0, 1, 2])
def test_post_operation_needs_operational_components(srv, f, slot):
    u = fresh(srv)
    comps = list(components(f, u))
    comps[slot] = (f.mlcube(u, state="DEVELOPMENT")["id"] if slot != 1
                   else f.model(u, state="DEVELOPMENT")["id"])
    r = u.post("/benchmarks/", f.benchmark_body(*comps, state="OPERATION"))
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": [NOT_OPERATIONAL]}
    # the same components are fine for a DEVELOPMENT benchmark
    r = u.post("/benchmarks/", f.benchmark_body(*comps, state="DEVELOPMENT"))
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "DEVELOPMENT"


def test_post_auto_approval_from_config(tmp_path):
    s2 = Server.start(tmp_path, config={"auto_approve_benchmarks_from": ["boss@example.org"]})
    try:
        admin2 = s2.user("admin", admin=True)
        f2 = Factory(s2, admin2)
        boss = s2.user("boss")
        r = boss.post("/benchmarks/", body_for(f2, boss))
        assert r.status_code == 201, r.text
        b = r.json()
        assert list(b) == FULL
        assert b["approval_status"] == "APPROVED"
        assert b["approved_at"] is None
        # nothing pending, so the same owner may submit again, approved again
        r = boss.post("/benchmarks/", body_for(f2, boss, state="DEVELOPMENT"))
        assert r.status_code == 201, r.text
        assert r.json()["approval_status"] == "APPROVED" and r.json()["approved_at"] is None
        # a user not on the list stays PENDING
        peon = s2.user("peon")
        r = peon.post("/benchmarks/", body_for(f2, peon))
        assert r.status_code == 201, r.text
        assert r.json()["approval_status"] == "PENDING"
    finally:
        s2.stop()


def test_post_no_auto_approval_by_default(srv, f):
    u = fresh(srv)
    r = u.post("/benchmarks/", body_for(f, u))
    assert r.status_code == 201
    assert r.json()["approval_status"] == "PENDING"


def test_post_anonymous(anon, f, bo):
    r = anon.post("/benchmarks/", f.benchmark_body(1, 1, 1))
    assert r.status_code == 401
    assert r.json() == UNAUTH


# ---------------------------------------------------------------------------
# GET list
# ---------------------------------------------------------------------------

def test_list_public_serializer_for_everyone(srv, f, admin, other, bo):
    b = f.benchmark(bo)
    for client in (bo, admin, other):
        r = listing(client, name=b["name"])
        assert r.status_code == 200, r.text
        assert list(r.json()) == ["count", "next", "previous", "results"]
        assert r.json()["count"] == 1
        row = r.json()["results"][0]
        assert list(row) == PUBLIC
        expected = {k: v for k, v in b.items() if k in PUBLIC}
        # modified_at may not move on a read
        assert row == expected


def test_list_anonymous(anon):
    r = anon.get("/benchmarks/")
    assert r.status_code == 401
    assert r.json() == UNAUTH


def test_list_pagination_envelope(srv, f):
    u = fresh(srv)
    bs = [f.benchmark(u) for _ in range(3)]
    base = srv.url + "/api/v0/benchmarks/"
    r = u.get("/benchmarks/", params={"owner": u.id, "limit": 1})
    assert r.status_code == 200
    assert r.json() == {"count": 3, "next": f"{base}?limit=1&offset=1&owner={u.id}",
                        "previous": None, "results": [r.json()["results"][0]]}
    assert r.json()["results"][0]["id"] == bs[0]["id"]
    r = u.get("/benchmarks/", params={"owner": u.id, "limit": 1, "offset": 2})
    assert r.json()["next"] is None
    assert r.json()["previous"] == f"{base}?limit=1&offset=1&owner={u.id}"
    assert [x["id"] for x in r.json()["results"]] == [bs[2]["id"]]
    r = u.get("/benchmarks/", params={"owner": u.id})
    assert r.json()["count"] == 3 and r.json()["next"] is None and r.json()["previous"] is None
    assert [x["id"] for x in r.json()["results"]] == [b["id"] for b in bs]


def test_list_filter_name(srv, f, bo, other):
    b1, b2 = f.benchmark(bo), f.benchmark(bo)
    assert ids(listing(other, name=b1["name"])) == [b1["id"]]
    assert ids(listing(other, name=b2["name"])) == [b2["id"]]
    assert ids(listing(other, name=uniq("nothing"))) == []
    # exact match, not a prefix
    assert ids(listing(other, name=b1["name"][:-1])) == []


def test_list_filter_owner(srv, f, other):
    u1, u2 = fresh(srv), fresh(srv)
    a = [f.benchmark(u1), f.benchmark(u1)]
    b = [f.benchmark(u2)]
    assert ids(listing(other, owner=u1.id)) == [x["id"] for x in a]
    assert ids(listing(other, owner=u2.id)) == [x["id"] for x in b]
    assert ids(listing(other, owner=other.id)) == []


def test_list_filter_owner_unknown(srv, other):
    for value in (str(MISSING), "abc"):
        r = other.get("/benchmarks/", params={"owner": value})
        assert r.status_code == 400
        assert r.json() == {"owner": CHOICE_FK}


def test_list_filter_state(srv, f, other):
    u = fresh(srv)
    op = f.benchmark(u)
    dev = f.benchmark(u, state="DEVELOPMENT")
    assert ids(listing(other, owner=u.id, state="OPERATION")) == [op["id"]]
    assert ids(listing(other, owner=u.id, state="DEVELOPMENT")) == [dev["id"]]
    # across all owners, every row has the asked state
    r = listing(other, state="DEVELOPMENT")
    assert dev["id"] in ids(r) and op["id"] not in ids(r)
    assert {x["state"] for x in r.json()["results"]} == {"DEVELOPMENT"}
    r = other.get("/benchmarks/", params={"state": "FOO"})
    assert r.status_code == 400
    assert r.json() == {"state": ["Select a valid choice. FOO is not one of the available choices."]}


def test_list_filter_is_valid(srv, f, other):
    u = fresh(srv)
    good = f.benchmark(u)
    bad = f.benchmark(u)
    put_ok(u, bad["id"], {"is_valid": False})
    for true in ("True", "true", "1"):
        assert ids(listing(other, owner=u.id, is_valid=true)) == [good["id"]]
    for false in ("False", "false", "0"):
        assert ids(listing(other, owner=u.id, is_valid=false)) == [bad["id"]]
    # an invalid boolean is ignored: no filtering, no error
    assert ids(listing(other, owner=u.id, is_valid="maybe")) == [good["id"], bad["id"]]


def test_list_filter_is_active(srv, f, other):
    u = fresh(srv)
    on = f.benchmark(u)
    off = f.benchmark(u)
    put_ok(u, off["id"], {"is_active": False})
    assert ids(listing(other, owner=u.id, is_active="True")) == [on["id"]]
    assert ids(listing(other, owner=u.id, is_active="False")) == [off["id"]]
    assert ids(listing(other, owner=u.id, is_active="perhaps")) == [on["id"], off["id"]]


def test_list_filter_approval_status(srv, f, admin, other):
    u = fresh(srv)
    approved = f.benchmark(u)
    rejected = f.benchmark(u, approve=False)
    put_ok(admin, rejected["id"], {"approval_status": "REJECTED"})
    pending = f.benchmark(u, approve=False)
    assert ids(listing(other, owner=u.id, approval_status="APPROVED")) == [approved["id"]]
    assert ids(listing(other, owner=u.id, approval_status="REJECTED")) == [rejected["id"]]
    assert ids(listing(other, owner=u.id, approval_status="PENDING")) == [pending["id"]]
    r = other.get("/benchmarks/", params={"approval_status": "MAYBE"})
    assert r.status_code == 400
    assert r.json() == {"approval_status":
                        ["Select a valid choice. MAYBE is not one of the available choices."]}


def test_list_filter_data_preparation_mlcube(srv, f, other):
    u = fresh(srv)
    prep = f.mlcube(u)["id"]
    b1 = f.benchmark(u, prep=prep)
    b2 = f.benchmark(u, prep=prep)
    f.benchmark(u)
    assert ids(listing(other, data_preparation_mlcube=prep)) == [b1["id"], b2["id"]]
    unused = f.mlcube(u)["id"]
    assert ids(listing(other, data_preparation_mlcube=unused)) == []
    r = other.get("/benchmarks/", params={"data_preparation_mlcube": MISSING})
    assert r.status_code == 400
    assert r.json() == {"data_preparation_mlcube": CHOICE_FK}


def test_list_filters_combine(srv, f, other):
    u = fresh(srv)
    prep = f.mlcube(u)["id"]
    b1 = f.benchmark(u, prep=prep)
    b2 = f.benchmark(u, prep=prep, state="DEVELOPMENT")
    assert ids(listing(other, data_preparation_mlcube=prep, state="DEVELOPMENT")) == [b2["id"]]
    assert ids(listing(other, data_preparation_mlcube=prep, state="OPERATION",
                       owner=u.id, is_valid="True", is_active="True",
                       approval_status="APPROVED", name=b1["name"])) == [b1["id"]]
    # an unknown query parameter is ignored
    assert ids(listing(other, owner=u.id, colour="blue")) == [b1["id"], b2["id"]]


def test_list_ordering(srv, f, other):
    u = fresh(srv)
    tag = uuid.uuid4().hex[:10]
    b = f.benchmark(u, name=f"ord-{tag}-b")
    c = f.benchmark(u, name=f"ord-{tag}-c")
    a = f.benchmark(u, name=f"ord-{tag}-a")
    # touch b so that modified_at order differs from created_at order
    put_ok(u, b["id"], {"user_metadata": {"touched": True}})
    assert ids(listing(other, owner=u.id)) == [c["id"], a["id"], b["id"]]  # modified_at
    assert ids(listing(other, owner=u.id, ordering="name")) == [a["id"], b["id"], c["id"]]
    assert ids(listing(other, owner=u.id, ordering="-name")) == [c["id"], b["id"], a["id"]]
    assert ids(listing(other, owner=u.id, ordering="-created_at")) == [a["id"], c["id"], b["id"]]
    assert ids(listing(other, owner=u.id, ordering="created_at")) == [b["id"], c["id"], a["id"]]
    # an unknown field is dropped: the default order applies
    assert ids(listing(other, owner=u.id, ordering="colour")) == [c["id"], a["id"], b["id"]]
    assert ids(listing(other, owner=u.id, ordering="-colour")) == [c["id"], a["id"], b["id"]]
    # unknown terms are dropped, known ones kept
    assert ids(listing(other, owner=u.id, ordering="colour,-name")) == [c["id"], b["id"], a["id"]]


# ---------------------------------------------------------------------------
# GET detail
# ---------------------------------------------------------------------------

def test_detail_views(srv, f, bo, admin, other, anon):
    b = f.benchmark(bo, dataset_auto_approval_allow_list=["x@example.org"])
    r = bo.get(f"/benchmarks/{b['id']}/")
    assert r.status_code == 200
    assert list(r.json()) == FULL
    assert r.json() == b
    assert r.json()["dataset_auto_approval_allow_list"] == ["x@example.org"]
    public = {k: v for k, v in b.items() if k in PUBLIC}
    for client in (other, admin):
        r = client.get(f"/benchmarks/{b['id']}/")
        assert r.status_code == 200
        assert list(r.json()) == PUBLIC
        assert r.json() == public
    r = anon.get(f"/benchmarks/{b['id']}/")
    assert r.status_code == 401
    assert r.json() == UNAUTH


def test_detail_missing(bo, admin):
    for client in (bo, admin):
        r = client.get(f"/benchmarks/{MISSING}/")
        assert r.status_code == 404
        assert r.json() == NOT_FOUND


def test_detail_without_trailing_slash(f, bo, other):
    b = f.benchmark(bo)
    r = bo.get(f"/benchmarks/{b['id']}")
    assert r.status_code == 200
    assert r.json() == b and list(r.json()) == FULL
    r = other.get(f"/benchmarks/{b['id']}")
    assert r.status_code == 200
    assert list(r.json()) == PUBLIC


def test_detail_patch_not_allowed(f, bo, admin):
    b = f.benchmark(bo)
    r = admin.request("PATCH", f"/benchmarks/{b['id']}/", {"is_valid": False})
    assert r.status_code == 405
    assert r.json() == {"detail": 'Method "PATCH" not allowed.'}


# ---------------------------------------------------------------------------
# PUT
# ---------------------------------------------------------------------------

def test_put_by_owner_and_admin(srv, f, admin):
    u = fresh(srv)
    b = f.benchmark(u, state="DEVELOPMENT")
    got = put_ok(u, b["id"], {"description": "new", "user_metadata": {"a": 1}})
    assert list(got) == FULL
    assert got["description"] == "new" and got["user_metadata"] == {"a": 1}
    assert got["modified_at"] > b["modified_at"]
    unchanged = {k: v for k, v in b.items() if k not in ("description", "user_metadata",
                                                           "modified_at")}
    assert {k: got[k] for k in unchanged} == unchanged
    # the admin PUT answers the full serializer too (allow lists included)
    got = put_ok(admin, b["id"], {"docs_url": "https://d.example.org"})
    assert list(got) == FULL
    assert got["docs_url"] == "https://d.example.org" and got["description"] == "new"


def test_put_forbidden_for_others(srv, f, other, do, anon):
    u = fresh(srv)
    b = f.benchmark(u)
    for client in (other, do):
        r = client.put(f"/benchmarks/{b['id']}/", {"user_metadata": {"x": 1}})
        assert r.status_code == 403
        assert r.json() == FORBIDDEN
    r = anon.put(f"/benchmarks/{b['id']}/", {"user_metadata": {"x": 1}})
    assert r.status_code == 401
    assert u.get(f"/benchmarks/{b['id']}/").json()["user_metadata"] == {}


def test_put_missing_object(bo, admin):
    r = bo.put(f"/benchmarks/{MISSING}/", {"is_valid": False})
    assert r.status_code == 403
    assert r.json() == FORBIDDEN
    r = admin.put(f"/benchmarks/{MISSING}/", {"is_valid": False})
    assert r.status_code == 404
    assert r.json() == NOT_FOUND
    r = bo.put(f"/benchmarks/{MISSING}/", {"approval_status": "APPROVED"})
    assert r.status_code == 403
    r = admin.put(f"/benchmarks/{MISSING}/", {"approval_status": "APPROVED"})
    assert r.status_code == 404


def test_put_approval_status_admin_only(srv, f):
    u = fresh(srv)
    b = f.benchmark(u, approve=False)
    for value in ("APPROVED", "PENDING", "REJECTED"):
        r = u.put(f"/benchmarks/{b['id']}/", {"approval_status": value})
        assert r.status_code == 403
        assert r.json() == FORBIDDEN
    # even together with fields the owner may edit
    r = u.put(f"/benchmarks/{b['id']}/", {"approval_status": "APPROVED", "is_valid": False})
    assert r.status_code == 403
    got = u.get(f"/benchmarks/{b['id']}/").json()
    assert got["approval_status"] == "PENDING" and got["is_valid"] is True


def test_put_approve_sets_approved_at(srv, f, admin):
    u = fresh(srv)
    b = f.benchmark(u, approve=False)
    assert b["approved_at"] is None
    got = put_ok(admin, b["id"], {"approval_status": "APPROVED"})
    assert got["approval_status"] == "APPROVED"
    assert got["approved_at"] is not None and TS.match(got["approved_at"])
    assert got["approved_at"] >= got["created_at"]
    first = got["approved_at"]
    # same value: a no-op that keeps approved_at
    got = put_ok(admin, b["id"], {"approval_status": "APPROVED"})
    assert got["approval_status"] == "APPROVED" and got["approved_at"] == first
    # APPROVED -> REJECTED is allowed and moves approved_at
    got = put_ok(admin, b["id"], {"approval_status": "REJECTED"})
    assert got["approval_status"] == "REJECTED"
    assert got["approved_at"] is not None and got["approved_at"] > first
    second = got["approved_at"]
    got = put_ok(admin, b["id"], {"approval_status": "REJECTED"})
    assert got["approved_at"] == second
    # REJECTED -> APPROVED is refused
    r = admin.put(f"/benchmarks/{b['id']}/", {"approval_status": "APPROVED"})
    assert r.status_code == 400
    assert r.json() == ONLY_PENDING
    # nothing goes back to PENDING
    r = admin.put(f"/benchmarks/{b['id']}/", {"approval_status": "PENDING"})
    assert r.status_code == 400
    assert r.json() == ONLY_APPROVE
    got = admin.get(f"/benchmarks/{b['id']}/").json()
    assert got["approval_status"] == "REJECTED" and got["approved_at"] == second


def test_put_pending_to_rejected(srv, f, admin):
    u = fresh(srv)
    b = f.benchmark(u, approve=False)
    got = put_ok(admin, b["id"], {"approval_status": "REJECTED"})
    assert got["approval_status"] == "REJECTED"
    assert got["approved_at"] is not None and TS.match(got["approved_at"])


def test_put_to_pending_refused_from_every_status(srv, f, admin):
    u = fresh(srv)
    pending = f.benchmark(u, approve=False)
    r = admin.put(f"/benchmarks/{pending['id']}/", {"approval_status": "PENDING"})
    assert r.status_code == 400
    assert r.json() == ONLY_APPROVE
    approved = f.benchmark(fresh(srv))
    r = admin.put(f"/benchmarks/{approved['id']}/", {"approval_status": "PENDING"})
    assert r.status_code == 400
    assert r.json() == ONLY_APPROVE
    assert admin.get(f"/benchmarks/{approved['id']}/").json()["approval_status"] == "APPROVED"


def test_put_approval_status_bad_choice(srv, f, admin):
    b = f.benchmark(fresh(srv), approve=False)
    r = admin.put(f"/benchmarks/{b['id']}/", {"approval_status": "MAYBE"})
    assert r.status_code == 400
    assert r.json() == {"approval_status": ['"MAYBE" is not a valid choice.']}


def test_put_field_errors_are_collected_in_order(srv, f, admin):
    # validate_approval_status is a field-level check: its error sits among the
    # other field errors, in serializer field order
    b = f.benchmark(fresh(srv), approve=False)
    r = admin.put(f"/benchmarks/{b['id']}/", {"approval_status": "PENDING", "name": "n" * 129})
    assert r.status_code == 400
    assert r.text == ('{"name":["Ensure this field has no more than 128 characters."],'
                      '"approval_status":["User can only approve or reject a benchmark"]}')


def test_put_state_and_approval_errors_in_field_order(srv, f, admin):
    # both field-level checks fail: state comes before approval_status
    u = fresh(srv)
    b = f.benchmark(u, prep=f.mlcube(u, state="DEVELOPMENT")["id"], state="DEVELOPMENT",
                    approve=False)
    r = admin.put(f"/benchmarks/{b['id']}/", {"approval_status": "PENDING", "state": "OPERATION"})
    assert r.status_code == 400
    assert r.text == ('{"state":["%s"],"approval_status":["User can only approve or reject '
                      'a benchmark"]}' % NOT_OPERATIONAL)
    # a generic error on one key and a field-level one on another are reported together
    r = admin.put(f"/benchmarks/{b['id']}/", {"is_valid": "maybe", "state": "OPERATION"})
    assert r.status_code == 400
    assert r.text == '{"state":["%s"],"is_valid":["Must be a valid boolean."]}' % NOT_OPERATIONAL
    # an invalid value gets only its generic error
    r = admin.put(f"/benchmarks/{b['id']}/", {"state": "X", "approval_status": "APPROVED"})
    assert r.status_code == 400
    assert r.json() == {"state": ['"X" is not a valid choice.']}
    got = admin.get(f"/benchmarks/{b['id']}/").json()
    assert got["state"] == "DEVELOPMENT" and got["approval_status"] == "PENDING"


def test_put_development_benchmark_is_freely_editable(srv, f):
    u = fresh(srv)
    b = f.benchmark(u, state="DEVELOPMENT")
    new_prep = f.mlcube(u)["id"]
    body = {"name": uniq("renamed"), "description": "d2", "demo_dataset_tarball_hash": sha(),
            "data_preparation_mlcube": new_prep, "metadata": {"m": 2}}
    got = put_ok(u, b["id"], body)
    for k, v in body.items():
        assert got[k] == v


def test_put_operation_latch(srv, f, admin):
    u = fresh(srv)
    b = f.benchmark(u)
    assert b["state"] == "OPERATION"
    path = f"/benchmarks/{b['id']}/"
    changes = [{"name": uniq("renamed")}, {"description": "other"}, {"docs_url": "x"},
               {"demo_dataset_tarball_hash": sha()}, {"demo_dataset_generated_uid": sha()},
               {"metadata": {"changed": 1}}, {"state": "DEVELOPMENT"},
               {"data_preparation_mlcube": f.mlcube(u)["id"]},
               {"reference_model": f.model(u)["id"]},
               {"data_evaluator_mlcube": f.mlcube(u)["id"]},
               {"is_valid": False, "description": "sneaky"}]
    for body in changes:
        for client in (u, admin):
            r = client.put(path, body)
            assert r.status_code == 400, (body, r.text)
            assert r.json() == OP_EDIT
    stored = u.get(path).json()
    assert {k: stored[k] for k in FULL if k != "modified_at"} == \
        {k: b[k] for k in FULL if k != "modified_at"}
    # the same values are accepted
    same = {k: b[k] for k in ("name", "description", "docs_url", "demo_dataset_tarball_hash",
                              "demo_dataset_generated_uid", "metadata", "state",
                              "data_preparation_mlcube", "reference_model",
                              "data_evaluator_mlcube")}
    got = put_ok(u, b["id"], same)
    assert {k: got[k] for k in same} == same
    # editable fields are accepted with new values
    editable = {"is_valid": False, "is_active": False, "user_metadata": {"note": "x"},
                "demo_dataset_tarball_url": "https://example.org/new.tgz",
                "dataset_auto_approval_allow_list": ["d@example.org"],
                "dataset_auto_approval_mode": "ALLOWLIST",
                "model_auto_approval_allow_list": ["m@example.org"],
                "model_auto_approval_mode": "ALWAYS"}
    for k, v in editable.items():
        got = put_ok(u, b["id"], {k: v})
        assert got[k] == v, k
    got = u.get(path).json()
    assert {k: got[k] for k in editable} == editable
    assert got["state"] == "OPERATION"
    # the admin may reject an operational benchmark
    got = put_ok(admin, b["id"], {"approval_status": "REJECTED"})
    assert got["approval_status"] == "REJECTED"


def test_put_state_operation_needs_stored_operational_components(srv, f):
    u = fresh(srv)
    prep_dev = f.mlcube(u, state="DEVELOPMENT")["id"]
    b = f.benchmark(u, prep=prep_dev, state="DEVELOPMENT")
    path = f"/benchmarks/{b['id']}/"
    r = u.put(path, {"state": "OPERATION"})
    assert r.status_code == 400
    assert r.json() == {"state": [NOT_OPERATIONAL]}
    # checked against the stored components, not those sent in the same PUT
    r = u.put(path, {"state": "OPERATION", "data_preparation_mlcube": f.mlcube(u)["id"]})
    assert r.status_code == 400
    assert r.json() == {"state": [NOT_OPERATIONAL]}
    assert u.get(path).json()["data_preparation_mlcube"] == prep_dev
    # swap the component first, then the state change goes through
    put_ok(u, b["id"], {"data_preparation_mlcube": f.mlcube(u)["id"]})
    got = put_ok(u, b["id"], {"state": "OPERATION"})
    assert got["state"] == "OPERATION"


def test_put_state_operation_with_dev_model_or_evaluator(srv, f):
    u = fresh(srv)
    b = f.benchmark(u, ref=f.model(u, state="DEVELOPMENT")["id"], state="DEVELOPMENT")
    r = u.put(f"/benchmarks/{b['id']}/", {"state": "OPERATION"})
    assert r.status_code == 400
    assert r.json() == {"state": [NOT_OPERATIONAL]}
    b = f.benchmark(u, evaluator=f.mlcube(u, state="DEVELOPMENT")["id"], state="DEVELOPMENT")
    r = u.put(f"/benchmarks/{b['id']}/", {"state": "OPERATION"})
    assert r.status_code == 400
    assert r.json() == {"state": [NOT_OPERATIONAL]}
    # DEVELOPMENT -> DEVELOPMENT is no state change and passes
    got = put_ok(u, b["id"], {"state": "DEVELOPMENT"})
    assert got["state"] == "DEVELOPMENT"


def test_put_validation_errors(srv, f):
    u = fresh(srv)
    b = f.benchmark(u, state="DEVELOPMENT")
    path = f"/benchmarks/{b['id']}/"
    r = u.put(path, {"name": None})
    assert r.status_code == 400 and r.json() == {"name": NULL}
    r = u.put(path, {"state": "X"})
    assert r.status_code == 400 and r.json() == {"state": ['"X" is not a valid choice.']}
    r = u.put(path, {"reference_model": MISSING})
    assert r.status_code == 400
    assert r.json() == {"reference_model": [f'Invalid pk "{MISSING}" - object does not exist.']}
    other_b = f.benchmark(fresh(srv))
    r = u.put(path, {"name": other_b["name"]})
    assert r.status_code == 400
    assert r.json() == {"name": ["benchmark with this name already exists."]}
    # its own name is no clash; read-only and unknown keys are ignored
    got = put_ok(u, b["id"], {"name": b["name"], "owner": 1, "id": MISSING, "foo": 1,
                              "approved_at": "2020-01-01T00:00:00.000000Z"})
    assert got["owner"] == u.id and got["id"] == b["id"]
    assert got["approved_at"] == b["approved_at"]


# ---------------------------------------------------------------------------
# DELETE
# ---------------------------------------------------------------------------

def test_delete_admin_only(srv, f, admin, other):
    u = fresh(srv)
    b = f.benchmark(u)
    path = f"/benchmarks/{b['id']}/"
    for client in (u, other):
        r = client.delete(path)
        assert r.status_code == 403
        assert r.json() == FORBIDDEN
    assert u.get(path).status_code == 200
    r = admin.delete(path)
    assert r.status_code == 204
    assert r.content == b""
    r = u.get(path)
    assert r.status_code == 404 and r.json() == NOT_FOUND
    assert b["id"] not in ids(listing(other, owner=u.id))
    # the components survive
    assert u.get(f"/mlcubes/{b['data_preparation_mlcube']}/").status_code == 200
    assert u.get(f"/models/{b['reference_model']}/").status_code == 200


def test_delete_missing(bo, admin, anon):
    r = bo.delete(f"/benchmarks/{MISSING}/")
    assert r.status_code == 403 and r.json() == FORBIDDEN
    r = admin.delete(f"/benchmarks/{MISSING}/")
    assert r.status_code == 404 and r.json() == NOT_FOUND
    r = anon.delete(f"/benchmarks/{MISSING}/")
    assert r.status_code == 401


def test_delete_cascades(f, admin, bo, mo, do):
    w = f.world(bo, mo, do)
    b, m, d = w["benchmark"], w["model"], w["dataset"]
    r = do.post("/results/", {"benchmark": b["id"], "model": m["id"], "dataset": d["id"],
                              "name": "run", "results": {}, "metadata": {}})
    assert r.status_code == 201, r.text
    res = r.json()

    def assoc_rows(client, path):
        r = client.get(path, params={"limit": 100000})
        assert r.status_code == 200
        return [x for x in r.json()["results"] if x["benchmark"] == b["id"]]

    assert len(assoc_rows(do, "/me/datasets/associations/")) == 1
    assert len(assoc_rows(mo, "/me/models/associations/")) == 1
    assert admin.get(f"/results/{res['id']}/").status_code == 200

    r = admin.delete(f"/benchmarks/{b['id']}/")
    assert r.status_code == 204 and r.content == b""
    assert assoc_rows(do, "/me/datasets/associations/") == []
    assert assoc_rows(mo, "/me/models/associations/") == []
    assert assoc_rows(bo, "/me/datasets/associations/") == []
    r = admin.get(f"/results/{res['id']}/")
    assert r.status_code == 404 and r.json() == NOT_FOUND
    assert res["id"] not in [x["id"] for x in
                             do.get("/me/results/", params={"limit": 100000}).json()["results"]]
    # the dataset and the model themselves remain
    assert do.get(f"/datasets/{d['id']}/").status_code == 200
    assert mo.get(f"/models/{m['id']}/").status_code == 200
    r = admin.get(f"/benchmarks/{b['id']}/models/")
    assert r.status_code == 404


# ---------------------------------------------------------------------------
# Sub-lists
# ---------------------------------------------------------------------------

SUBLISTS = ("models", "datasets", "results", "participants_info")


def test_sublists_permission_matrix(f, admin, bo, mo, do, other, anon):
    w = f.world(bo, mo, do)
    bid = w["benchmark"]["id"]
    # who may read what (200) and who may not (403)
    allowed = {
        "models": {"bo", "admin", "do"},
        "datasets": {"bo", "admin", "mo"},
        "results": {"bo", "admin"},
        "participants_info": {"bo", "admin"},
    }
    clients = {"bo": bo, "admin": admin, "do": do, "mo": mo, "other": other}
    for sub in SUBLISTS:
        r = anon.get(f"/benchmarks/{bid}/{sub}/")
        assert r.status_code == 401, sub
        assert r.json() == UNAUTH
        for name, client in clients.items():
            r = client.get(f"/benchmarks/{bid}/{sub}/")
            if name in allowed[sub]:
                assert r.status_code == 200, (sub, name, r.text)
                assert list(r.json()) == ["count", "next", "previous", "results"]
            else:
                assert r.status_code == 403, (sub, name, r.text)
                assert r.json() == FORBIDDEN


def test_sublists_missing_benchmark(admin, bo, do, other, anon):
    for sub in SUBLISTS:
        r = admin.get(f"/benchmarks/{MISSING}/{sub}/")
        assert r.status_code == 404, sub
        assert r.json() == NOT_FOUND
        for client in (bo, do, other):
            r = client.get(f"/benchmarks/{MISSING}/{sub}/")
            assert r.status_code == 403, sub
            assert r.json() == FORBIDDEN
        assert anon.get(f"/benchmarks/{MISSING}/{sub}/").status_code == 401


def test_sublists_need_latest_association_approved(srv, f, bo, admin):
    b = f.benchmark(bo)
    dataowner, modelowner = fresh(srv), fresh(srv)
    d = f.dataset(dataowner, b["data_preparation_mlcube"])
    f.dataset_assoc(dataowner, d["id"], b["id"])
    m = f.model(modelowner)
    f.model_assoc(modelowner, m["id"], b["id"])
    # PENDING associations give no access
    assert dataowner.get(f"/benchmarks/{b['id']}/models/").status_code == 403
    assert modelowner.get(f"/benchmarks/{b['id']}/datasets/").status_code == 403
    put_ok_assoc(bo, f"/datasets/{d['id']}/benchmarks/{b['id']}/", "APPROVED")
    put_ok_assoc(bo, f"/models/{m['id']}/benchmarks/{b['id']}/", "APPROVED")
    assert dataowner.get(f"/benchmarks/{b['id']}/models/").status_code == 200
    assert modelowner.get(f"/benchmarks/{b['id']}/datasets/").status_code == 200
    # owning an approved model does not open models/, and vice versa
    assert modelowner.get(f"/benchmarks/{b['id']}/models/").status_code == 403
    assert dataowner.get(f"/benchmarks/{b['id']}/datasets/").status_code == 403
    # a revocation (a new REJECTED row) closes the door again
    revoke(bo, "datasets", "dataset", d["id"], b["id"])
    revoke(bo, "models", "model", m["id"], b["id"])
    assert dataowner.get(f"/benchmarks/{b['id']}/models/").status_code == 403
    assert modelowner.get(f"/benchmarks/{b['id']}/datasets/").status_code == 403
    # an approval in another benchmark opens nothing here
    b2 = f.benchmark(bo)
    assert dataowner.get(f"/benchmarks/{b2['id']}/models/").status_code == 403


def put_ok_assoc(client, path, status, **extra):
    r = client.put(path, {"approval_status": status, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def revoke(client, kind, key, cid, bid):
    r = client.post(f"/{kind}/benchmarks/", {key: cid, "benchmark": bid,
                                            "approval_status": "REJECTED", "metadata": {}})
    assert r.status_code == 201, r.text
    assert r.json()["approval_status"] == "REJECTED"
    return r.json()


def test_sublist_models_rows_and_history(srv, f, bo, mo, admin):
    b = f.benchmark(bo)
    m = f.model(mo)
    path = f"/models/{m['id']}/benchmarks/{b['id']}/"
    row1 = f.model_assoc(mo, m["id"], b["id"])
    put_ok_assoc(bo, path, "REJECTED")
    row2 = f.model_assoc(mo, m["id"], b["id"])
    put_ok_assoc(bo, path, "APPROVED")
    r = bo.get(f"/benchmarks/{b['id']}/models/")
    assert r.status_code == 200
    rows = r.json()["results"]
    assert r.json()["count"] == 2 and r.json()["next"] is None and r.json()["previous"] is None
    for row in rows:
        assert list(row) == ["model", "approval_status", "created_at"]
    assert sorted(rows, key=lambda x: x["created_at"]) == [
        {"model": m["id"], "approval_status": "REJECTED", "created_at": row1["created_at"]},
        {"model": m["id"], "approval_status": "APPROVED", "created_at": row2["created_at"]}]
    assert admin.get(f"/benchmarks/{b['id']}/models/").json() == r.json()


def test_sublist_models_ordered_by_priority(srv, f, bo, mo, admin):
    b = f.benchmark(bo)
    ms = []
    for _ in range(3):
        m = f.model(mo)
        f.model_assoc(mo, m["id"], b["id"])
        put_ok_assoc(bo, f"/models/{m['id']}/benchmarks/{b['id']}/", "APPROVED")
        ms.append(m["id"])
    for mid, prio in zip(ms, (1, 5, 3)):
        r = bo.put(f"/models/{mid}/benchmarks/{b['id']}/", {"priority": prio})
        assert r.status_code == 200, r.text
        assert r.json()["priority"] == prio
    r = bo.get(f"/benchmarks/{b['id']}/models/")
    assert r.status_code == 200
    assert [x["model"] for x in r.json()["results"]] == [ms[1], ms[2], ms[0]]
    assert {x["approval_status"] for x in r.json()["results"]} == {"APPROVED"}
    # re-prioritise: the order follows
    r = bo.put(f"/models/{ms[0]}/benchmarks/{b['id']}/", {"priority": 10})
    assert r.status_code == 200
    r = admin.get(f"/benchmarks/{b['id']}/models/")
    assert [x["model"] for x in r.json()["results"]] == [ms[0], ms[1], ms[2]]
    # paginated
    r = bo.get(f"/benchmarks/{b['id']}/models/", params={"limit": 1, "offset": 1})
    assert r.json()["count"] == 3
    assert [x["model"] for x in r.json()["results"]] == [ms[1]]
    assert r.json()["next"] is not None and r.json()["previous"] is not None


def test_sublist_datasets_rows_and_history(srv, f, bo, do, do2, admin):
    b = f.benchmark(bo)
    d1 = f.dataset(do, b["data_preparation_mlcube"])
    d2 = f.dataset(do2, b["data_preparation_mlcube"])
    a1 = f.dataset_assoc(do, d1["id"], b["id"])
    put_ok_assoc(bo, f"/datasets/{d1['id']}/benchmarks/{b['id']}/", "APPROVED")
    a2 = f.dataset_assoc(do2, d2["id"], b["id"])
    a3 = revoke(bo, "datasets", "dataset", d1["id"], b["id"])
    r = bo.get(f"/benchmarks/{b['id']}/datasets/")
    assert r.status_code == 200
    for row in r.json()["results"]:
        assert list(row) == ["dataset", "approval_status", "created_at"]
    # ordered by modified_at: a1 was approved before a2 was created, so a1, a2, a3
    assert r.json() == page([
        {"dataset": d1["id"], "approval_status": "APPROVED", "created_at": a1["created_at"]},
        {"dataset": d2["id"], "approval_status": "PENDING", "created_at": a2["created_at"]},
        {"dataset": d1["id"], "approval_status": "REJECTED", "created_at": a3["created_at"]}])
    assert admin.get(f"/benchmarks/{b['id']}/datasets/").json() == r.json()


def test_sublist_results(srv, f, bo, mo, do, do2, admin):
    w = f.world(bo, mo, do)
    b, m, d = w["benchmark"], w["model"], w["dataset"]
    r = do.post("/results/", {"benchmark": b["id"], "model": m["id"], "dataset": d["id"],
                              "name": "r1", "results": {}, "metadata": {}})
    assert r.status_code == 201, r.text
    r1 = r.json()
    # the reference model needs no association: any dataset may run it
    d2 = f.dataset(do2, b["data_preparation_mlcube"])
    r = do2.post("/results/", {"benchmark": b["id"], "model": b["reference_model"],
                               "dataset": d2["id"], "name": "r2", "results": {},
                               "metadata": {}})
    assert r.status_code == 201, r.text
    r2 = r.json()
    r = do.put(f"/results/{r1['id']}/", {"results": {"AUC": 0.5}})
    assert r.status_code == 200
    r1 = r.json()
    # a result of another benchmark does not show up
    other_w = f.world(bo, mo, do)
    r = do.post("/results/", {"benchmark": other_w["benchmark"]["id"],
                              "model": other_w["model"]["id"],
                              "dataset": other_w["dataset"]["id"], "name": "x",
                              "results": {}, "metadata": {}})
    assert r.status_code == 201
    for client in (bo, admin):
        r = client.get(f"/benchmarks/{b['id']}/results/")
        assert r.status_code == 200
        # ordered by modified_at: r2, then r1 (finalized after r2 was created)
        assert r.json() == page([r2, r1])
        for row in r.json()["results"]:
            assert list(row) == RESULT_KEYS
    assert r.json()["results"][1]["finalized"] is True


def test_sublist_participants_info(srv, f, bo, do, do2, admin):
    b = f.benchmark(bo)
    prep = b["data_preparation_mlcube"]
    d1 = f.dataset(do, prep)
    d2 = f.dataset(do2, prep)
    d3 = f.dataset(do2, prep)
    for client, d in ((do, d1), (do2, d2), (do2, d3)):
        f.dataset_assoc(client, d["id"], b["id"])
    put_ok_assoc(bo, f"/datasets/{d1['id']}/benchmarks/{b['id']}/", "APPROVED")
    put_ok_assoc(bo, f"/datasets/{d2['id']}/benchmarks/{b['id']}/", "APPROVED")
    # d3 stays PENDING
    me1, me2 = do.get("/me/").json(), do2.get("/me/").json()
    r = bo.get(f"/benchmarks/{b['id']}/participants_info/")
    assert r.status_code == 200
    assert r.json() == page([{"id": d1["id"], "owner": me1}, {"id": d2["id"], "owner": me2}])
    for row in r.json()["results"]:
        assert list(row) == ["id", "owner"]
        assert list(row["owner"]) == USER_KEYS
    assert me1["email"] == "do@example.org"
    # revoking d1 (a new REJECTED row) removes it
    revoke(bo, "datasets", "dataset", d1["id"], b["id"])
    r = admin.get(f"/benchmarks/{b['id']}/participants_info/")
    assert r.status_code == 200
    assert r.json() == page([{"id": d2["id"], "owner": me2}])
    # a re-request (PENDING) does not bring it back; its approval does
    f.dataset_assoc(do, d1["id"], b["id"])
    assert [x["id"] for x in bo.get(f"/benchmarks/{b['id']}/participants_info/")
            .json()["results"]] == [d2["id"]]
    put_ok_assoc(bo, f"/datasets/{d1['id']}/benchmarks/{b['id']}/", "APPROVED")
    assert sorted(x["id"] for x in bo.get(f"/benchmarks/{b['id']}/participants_info/")
                  .json()["results"]) == sorted([d1["id"], d2["id"]])


def test_sublists_empty(srv, f):
    u = fresh(srv)
    b = f.benchmark(u)
    for sub in SUBLISTS:
        r = u.get(f"/benchmarks/{b['id']}/{sub}/")
        assert r.status_code == 200, sub
        assert r.json() == page([])
