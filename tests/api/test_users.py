"""test_users.py: /users/ and /me/ (facts §9, reference §1.7).

/users/ is the admin's; a user's own record is visible to the user, the
admin and the owner of a preparation container one of the user's datasets
uses; only metadata is writable. /me/ and its lists show only the caller's
own entities, with no filters.
"""
from factory import uniq

USER_KEYS = ["id", "username", "email", "first_name", "last_name", "metadata"]
BENCH_FULL_KEYS = [
    "id", "name", "description", "docs_url", "demo_dataset_tarball_url",
    "demo_dataset_tarball_hash", "demo_dataset_generated_uid", "metadata", "state", "is_valid",
    "is_active", "approval_status", "dataset_auto_approval_allow_list",
    "dataset_auto_approval_mode", "model_auto_approval_allow_list", "model_auto_approval_mode",
    "user_metadata", "approved_at", "created_at", "modified_at", "owner",
    "data_preparation_mlcube", "reference_model", "data_evaluator_mlcube"]
MLCUBE_KEYS = ["id", "name", "container_config", "parameters_config", "image_hash",
               "additional_files_tarball_url", "additional_files_tarball_hash", "state",
               "is_valid", "metadata", "user_metadata", "created_at", "modified_at", "owner"]
ASSET_KEYS = ["id", "name", "asset_hash", "asset_url", "state", "is_valid", "metadata",
              "user_metadata", "created_at", "modified_at", "owner"]
MODEL_KEYS = ["id", "container", "asset", "name", "state", "is_valid", "metadata",
              "user_metadata", "type", "created_at", "modified_at", "owner"]
DATASET_FULL_KEYS = ["id", "name", "description", "location", "input_data_hash",
                     "generated_uid", "split_seed", "is_valid", "submitted_as_prepared", "state",
                     "generated_metadata", "user_metadata", "report", "created_at",
                     "modified_at", "owner", "data_preparation_mlcube"]
RESULT_KEYS = ["id", "name", "results", "finalized", "metadata", "user_metadata",
               "approval_status", "is_valid", "model_report", "evaluation_report",
               "finalized_at", "approved_at", "created_at", "modified_at", "owner",
               "benchmark", "model", "dataset"]
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "Not found."}
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}
MISSING = 999999


def fresh(srv, prefix):
    """A client of a brand-new user, created on the server (GET /me/)."""
    c = srv.user(uniq(prefix))
    assert c.id > 0
    return c


def user_body(c, metadata=None):
    return {"id": c.id, "username": c.email, "email": c.email, "first_name": "",
            "last_name": "", "metadata": {} if metadata is None else metadata}


# ---------------------------------------------------------------- /me/


def test_me_exact_shape(srv):
    c = srv.user(uniq("me-shape"))
    r = c.get("/me/")
    assert r.status_code == 200
    uid = r.json()["id"]
    # token create's default sub is the email, so the username is the email
    assert r.text == ('{"id":%d,"username":"%s","email":"%s","first_name":"","last_name":"",'
                      '"metadata":{}}' % (uid, c.email, c.email))
    assert r.headers["Content-Type"] == "application/json"
    # the same user on the next call
    assert c.get("/me/").json()["id"] == uid


def test_me_anonymous(anon):
    r = anon.get("/me/")
    assert r.status_code == 401 and r.json() == NO_CREDENTIALS
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    for path in ("/me/benchmarks/", "/me/mlcubes/", "/me/assets/", "/me/models/",
                 "/me/datasets/", "/me/results/"):
        r = anon.get(path)
        assert r.status_code == 401, path


def make_entities(f, c):
    """Entities of c: a benchmark (prep, reference model, evaluator), an asset
    model, a dataset and a result of the reference model on it."""
    b = f.benchmark(c)
    am = f.model(c, type="ASSET")
    d = f.dataset(c, b["data_preparation_mlcube"])
    r = c.post("/results/", {"benchmark": b["id"], "model": b["reference_model"],
                             "dataset": d["id"], "name": uniq("run"), "results": {},
                             "metadata": {}})
    assert r.status_code == 201, r.text
    return {"benchmark": b, "asset_model": am, "dataset": d, "result": r.json()}


def page_of(c, path):
    r = c.get(path)
    assert r.status_code == 200, (path, r.text)
    page = r.json()
    assert list(page) == ["count", "next", "previous", "results"]
    assert page["count"] == len(page["results"]) and page["next"] is None
    assert page["previous"] is None
    return page["results"]


def test_me_lists_only_own(srv, f):
    u = fresh(srv, "me-lists-u")
    v = fresh(srv, "me-lists-v")
    mine = make_entities(f, u)
    make_entities(f, v)
    b = mine["benchmark"]
    ref = u.get(f"/models/{b['reference_model']}/").json()

    got = page_of(u, "/me/benchmarks/")
    assert [x["id"] for x in got] == [b["id"]]
    # the full serializer, with the allow lists, as the owner's detail view
    assert list(got[0]) == BENCH_FULL_KEYS
    assert got[0] == u.get(f"/benchmarks/{b['id']}/").json()
    assert got[0]["approval_status"] == "APPROVED"

    got = page_of(u, "/me/mlcubes/")
    assert sorted(x["id"] for x in got) == sorted(
        [b["data_preparation_mlcube"], ref["container"]["id"], b["data_evaluator_mlcube"]])
    assert all(list(x) == MLCUBE_KEYS and x["owner"] == u.id for x in got)

    got = page_of(u, "/me/assets/")
    assert [x["id"] for x in got] == [mine["asset_model"]["asset"]["id"]]
    assert list(got[0]) == ASSET_KEYS and got[0] == mine["asset_model"]["asset"]

    got = page_of(u, "/me/models/")
    assert sorted(x["id"] for x in got) == sorted([ref["id"], mine["asset_model"]["id"]])
    assert all(list(x) == MODEL_KEYS for x in got)
    by_id = {x["id"]: x for x in got}
    assert by_id[ref["id"]] == ref
    assert list(by_id[ref["id"]]["container"]) == MLCUBE_KEYS
    assert by_id[mine["asset_model"]["id"]] == mine["asset_model"]

    got = page_of(u, "/me/datasets/")
    assert [x["id"] for x in got] == [mine["dataset"]["id"]]
    assert list(got[0]) == DATASET_FULL_KEYS
    assert got[0]["report"] == {"progress": 100}
    assert got[0] == mine["dataset"]

    got = page_of(u, "/me/results/")
    assert got == [mine["result"]]
    assert list(got[0]) == RESULT_KEYS


def test_me_lists_ignore_filters(srv, f):
    u = fresh(srv, "me-filter-u")
    v = fresh(srv, "me-filter-v")
    mine = make_entities(f, u)
    make_entities(f, v)
    first = f.mlcube(u, state="DEVELOPMENT")
    vcube = f.mlcube(v)
    b = mine["benchmark"]
    for path in ("/me/benchmarks/", "/me/mlcubes/", "/me/assets/", "/me/models/",
                 "/me/datasets/", "/me/results/"):
        plain = page_of(u, path)
        for query in (f"owner={v.id}", f"name={first['name']}", f"name={vcube['name']}",
                      "state=DEVELOPMENT", "state=FOO", "is_valid=False", f"owner={MISSING}",
                      "type=ASSET", f"benchmark={b['id']}", "ordering=-created_at",
                      "ordering=-name"):
            assert page_of(u, f"{path}?{query}") == plain, (path, query)
    # the mlcube list holds the DEVELOPMENT one and the OPERATION ones alike
    assert first["id"] in [x["id"] for x in page_of(u, "/me/mlcubes/?state=OPERATION")]


def test_me_lists_paginate(srv, f):
    u = fresh(srv, "me-page")
    cubes = [f.mlcube(u)["id"] for _ in range(3)]
    r = u.get("/me/mlcubes/?limit=2")
    assert r.status_code == 200
    page = r.json()
    assert page["count"] == 3 and len(page["results"]) == 2
    assert page["next"].endswith("/api/v0/me/mlcubes/?limit=2&offset=2")
    assert page["previous"] is None
    r = u.get("/me/mlcubes/?limit=2&offset=2")
    page2 = r.json()
    assert len(page2["results"]) == 1 and page2["next"] is None
    assert page2["previous"].endswith("/api/v0/me/mlcubes/?limit=2")
    # default order: modified_at ascending, i.e. creation order here
    assert [x["id"] for x in page["results"] + page2["results"]] == cubes


def test_me_empty_lists(srv):
    u = fresh(srv, "me-empty")
    for path in ("/me/benchmarks/", "/me/mlcubes/", "/me/assets/", "/me/models/",
                 "/me/datasets/", "/me/results/"):
        r = u.get(path)
        assert r.status_code == 200
        assert r.json() == {"count": 0, "next": None, "previous": None, "results": []}


# ---------------------------------------------------------------- GET /users/


def test_users_list_admin_only(srv, admin, other, bo, anon):
    for c in (other, bo):
        r = c.get("/users/")
        assert r.status_code == 403 and r.json() == FORBIDDEN
    r = anon.get("/users/")
    assert r.status_code == 401 and r.json() == NO_CREDENTIALS
    u = fresh(srv, "listed")
    r = admin.get("/users/?limit=1000")
    assert r.status_code == 200
    page = r.json()
    assert list(page) == ["count", "next", "previous", "results"]
    users = page["results"]
    assert page["count"] == len(users)
    ids = [x["id"] for x in users]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(list(x) == USER_KEYS for x in users)
    # the seeded superuser is user 1, email ""
    assert users[0] == {"id": 1, "username": "admin", "email": "", "first_name": "",
                        "last_name": "", "metadata": {}}
    assert user_body(u) in users
    # default page size 32 and LimitOffset pagination
    r = admin.get("/users/?limit=2&offset=1")
    page = r.json()
    assert [x["id"] for x in page["results"]] == ids[1:3]
    assert page["previous"].endswith("/api/v0/users/?limit=2")
    assert page["next"].endswith("/api/v0/users/?limit=2&offset=3") or len(ids) <= 3


# ---------------------------------------------------------------- GET /users/{id}/


def test_user_detail_self_and_admin(srv, admin):
    u = fresh(srv, "detail")
    for c in (u, admin):
        r = c.get(f"/users/{u.id}/")
        assert r.status_code == 200
        assert r.json() == user_body(u)
        assert list(r.json()) == USER_KEYS


def test_user_detail_others_forbidden(srv, other, bo, anon):
    u = fresh(srv, "private")
    for c in (other, bo):
        r = c.get(f"/users/{u.id}/")
        assert r.status_code == 403 and r.json() == FORBIDDEN
    r = anon.get(f"/users/{u.id}/")
    assert r.status_code == 401 and r.json() == NO_CREDENTIALS


def test_user_detail_prep_container_owner(srv, f):
    prep_owner = fresh(srv, "prep-owner")
    data_owner = fresh(srv, "data-owner")
    stranger = fresh(srv, "prep-stranger")
    cube = f.mlcube(prep_owner)
    f.mlcube(stranger)
    # no dataset of data_owner uses the container yet
    assert prep_owner.get(f"/users/{data_owner.id}/").status_code == 403
    # a DEVELOPMENT dataset prepared with prep_owner's container is enough
    f.dataset(data_owner, cube["id"], operational=False)
    r = prep_owner.get(f"/users/{data_owner.id}/")
    assert r.status_code == 200
    assert r.json() == user_body(data_owner)
    # not the other way round, and not for owners of other containers
    r = data_owner.get(f"/users/{prep_owner.id}/")
    assert r.status_code == 403 and r.json() == FORBIDDEN
    assert stranger.get(f"/users/{data_owner.id}/").status_code == 403
    # reading is not writing
    r = prep_owner.put(f"/users/{data_owner.id}/", {"metadata": {"x": 1}})
    assert r.status_code == 403 and r.json() == FORBIDDEN
    assert data_owner.get("/me/").json()["metadata"] == {}


def test_user_missing(admin, other):
    for method in ("get", "put", "delete"):
        r = getattr(other, method)(f"/users/{MISSING}/")
        assert r.status_code == 403, method
        assert r.json() == FORBIDDEN
        r = getattr(admin, method)(f"/users/{MISSING}/")
        assert r.status_code == 404, method
        assert r.json() == NOT_FOUND


# ---------------------------------------------------------------- PUT /users/{id}/


def test_user_put_only_metadata(srv, admin):
    u = fresh(srv, "put-self")
    r = u.put(f"/users/{u.id}/", {"metadata": {"k": 1, "nested": {"a": [1, 2]}},
                                  "username": "hacker", "email": "hacker@example.org",
                                  "first_name": "F", "last_name": "L", "id": MISSING,
                                  "is_superuser": True})
    assert r.status_code == 200, r.text
    want = user_body(u, {"k": 1, "nested": {"a": [1, 2]}})
    assert r.json() == want and list(r.json()) == USER_KEYS
    assert u.get("/me/").json() == want
    assert admin.get(f"/users/{u.id}/").json() == want
    # the body's is_superuser did nothing
    assert u.get("/users/").status_code == 403


def test_user_put_keeps_metadata_when_absent_or_null(srv):
    u = fresh(srv, "put-keep")
    assert u.put(f"/users/{u.id}/", {"metadata": {"v": 1}}).status_code == 200
    for body in ({}, {"metadata": None}, {"username": "x"}):
        r = u.put(f"/users/{u.id}/", body)
        assert r.status_code == 200, (body, r.text)
        assert r.json() == user_body(u, {"v": 1})
    # an empty object replaces it
    r = u.put(f"/users/{u.id}/", {"metadata": {}})
    assert r.status_code == 200 and r.json()["metadata"] == {}


def test_user_put_metadata_any_json(srv):
    # the metadata is a JSONField with no shape check: a list is stored and the
    # user serializer returns it as stored
    u = fresh(srv, "put-list")
    r = u.put(f"/users/{u.id}/", {"metadata": [1, "two", {"three": 3}]})
    assert r.status_code == 200, r.text
    assert r.json()["metadata"] == [1, "two", {"three": 3}]
    assert u.get("/me/").json()["metadata"] == [1, "two", {"three": 3}]


def test_user_metadata_endpoint_any_json(srv, other):
    u = fresh(srv, "meta-list")
    r = u.put(f"/users/{u.id}/", {"metadata": ["a", 2]})
    assert r.status_code == 200, r.text
    r = other.get(f"/users/{u.id}/metadata/")
    assert r.status_code == 200 and r.text == '{"metadata":["a",2]}'
    r = u.put(f"/users/{u.id}/", {"metadata": "text"})
    assert r.status_code == 200, r.text
    assert other.get(f"/users/{u.id}/metadata/").json() == {"metadata": "text"}


def test_user_put_array_body(srv):
    u = fresh(srv, "put-array")
    r = u.put(f"/users/{u.id}/", [{"metadata": {}}])
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


def test_user_put_permissions(srv, admin, other, anon):
    u = fresh(srv, "put-perm")
    r = other.put(f"/users/{u.id}/", {"metadata": {"by": "other"}})
    assert r.status_code == 403 and r.json() == FORBIDDEN
    r = anon.put(f"/users/{u.id}/", {"metadata": {"by": "anon"}})
    assert r.status_code == 401
    assert u.get("/me/").json()["metadata"] == {}
    r = admin.put(f"/users/{u.id}/", {"metadata": {"by": "admin"}, "email": "x@y.z"})
    assert r.status_code == 200
    assert r.json() == user_body(u, {"by": "admin"})


# ---------------------------------------------------------------- metadata


def test_user_metadata_endpoint(srv, other, admin, anon):
    u = fresh(srv, "meta")
    r = other.get(f"/users/{u.id}/metadata/")
    assert r.status_code == 200
    assert r.text == '{"metadata":{}}'
    assert u.put(f"/users/{u.id}/", {"metadata": {"org": "x", "n": 2}}).status_code == 200
    for c in (other, admin, u):
        r = c.get(f"/users/{u.id}/metadata/")
        assert r.status_code == 200
        assert r.json() == {"metadata": {"org": "x", "n": 2}}
    # missing: 404 for anyone (an open endpoint)
    for c in (other, admin):
        r = c.get(f"/users/{MISSING}/metadata/")
        assert r.status_code == 404 and r.json() == NOT_FOUND
    r = anon.get(f"/users/{u.id}/metadata/")
    assert r.status_code == 401 and r.json() == NO_CREDENTIALS


# ---------------------------------------------------------------- DELETE


def test_user_delete(srv, f, admin, other, anon):
    u = fresh(srv, "del-empty")
    owner = fresh(srv, "del-owner")
    f.mlcube(owner)
    # not the user themself, not others
    for c in (u, other):
        r = c.delete(f"/users/{u.id}/")
        assert r.status_code == 403 and r.json() == FORBIDDEN
    assert anon.delete(f"/users/{u.id}/").status_code == 401
    # a user who owns something cannot be deleted (the original: 500 ProtectedError;
    # our server answers 409)
    r = admin.delete(f"/users/{owner.id}/")
    assert r.status_code == 409, r.text
    assert admin.get(f"/users/{owner.id}/").status_code == 200
    # a user who owns nothing is deleted
    r = admin.delete(f"/users/{u.id}/")
    assert r.status_code == 204
    assert r.content == b""
    r = admin.get(f"/users/{u.id}/")
    assert r.status_code == 404 and r.json() == NOT_FOUND
    r = other.get(f"/users/{u.id}/metadata/")
    assert r.status_code == 404
