"""test_datasets.py: /datasets/ and /datasets/{id}/.

Spec: reference 1.6 (Dataset), 1.7 (Datasets table), Appendix A 4.3/4.4;
facts 6.3 (serializers, PUT validate() order, views), 1.2 (DRF messages),
10 (missing objects), 12.3/12.6 (public serializer, admin view).
"""
import re

import pytest

from factory import sha, uniq

FULL_KEYS = ["id", "name", "description", "location", "input_data_hash", "generated_uid",
             "split_seed", "is_valid", "submitted_as_prepared", "state", "generated_metadata",
             "user_metadata", "report", "created_at", "modified_at", "owner",
             "data_preparation_mlcube"]
PUBLIC_KEYS = [k for k in FULL_KEYS if k != "report"]
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
OP_MSG = {"non_field_errors": ["User cannot update non editable fields in Operation mode"]}
UID_MSG = {"non_field_errors": ["An Operational dataset with the same generated UID already exists"]}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
UNAUTH = {"detail": "Authentication credentials were not provided."}
NOT_FOUND = {"detail": "Not found."}


@pytest.fixture(scope="module")
def prep(f, bo):
    """A preparation container owned by bo (not by the data owners)."""
    return f.mlcube(bo)["id"]


# ---------------------------------------------------------------- POST

def test_post_returns_full_serializer_in_order(f, do, prep):
    body = f.dataset_body(prep, name="ds-full", description="desc", location="loc",
                          split_seed=7, generated_metadata={"n": 3, "x": [1, 2]},
                          report={"progress": 1})
    r = do.post("/datasets/", body)
    assert r.status_code == 201, r.text
    d = r.json()
    assert list(d) == FULL_KEYS
    assert d == {
        "id": d["id"], "name": "ds-full", "description": "desc", "location": "loc",
        "input_data_hash": body["input_data_hash"], "generated_uid": body["generated_uid"],
        "split_seed": 7, "is_valid": True, "submitted_as_prepared": False,
        "state": "DEVELOPMENT", "generated_metadata": {"n": 3, "x": [1, 2]},
        "user_metadata": {}, "report": {"progress": 1},
        "created_at": d["created_at"], "modified_at": d["modified_at"],
        "owner": do.id, "data_preparation_mlcube": prep,
    }
    assert isinstance(d["id"], int)
    assert TS.match(d["created_at"]) and TS.match(d["modified_at"])
    # the stored object reads back the same for the owner
    g = do.get(f"/datasets/{d['id']}/")
    assert g.status_code == 200
    assert g.json() == d


def test_post_defaults_for_optional_fields(do, prep):
    body = {"name": uniq("min"), "input_data_hash": sha(), "generated_uid": sha(),
            "split_seed": 0, "data_preparation_mlcube": prep, "submitted_as_prepared": True}
    r = do.post("/datasets/", body)
    assert r.status_code == 201, r.text
    d = r.json()
    assert (d["description"], d["location"], d["generated_metadata"], d["user_metadata"],
            d["report"], d["is_valid"], d["submitted_as_prepared"], d["state"]) == \
        ("", "", {}, {}, {}, True, True, "DEVELOPMENT")


def test_post_state_is_read_only(f, do, prep):
    r = do.post("/datasets/", f.dataset_body(prep, state="OPERATION"))
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "DEVELOPMENT"


def test_post_ignores_read_only_and_unknown_keys(f, do, prep):
    r = do.post("/datasets/", f.dataset_body(prep, id=None, owner=1, created_at=None, foo=1))
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["owner"] == do.id and isinstance(d["id"], int)
    assert "foo" not in d


def test_post_required_fields_in_serializer_order(do):
    r = do.post("/datasets/", {})
    assert r.status_code == 400
    req = ["This field is required."]
    assert r.json() == {"name": req, "input_data_hash": req, "generated_uid": req,
                        "split_seed": req, "submitted_as_prepared": req,
                        "data_preparation_mlcube": req}
    assert list(r.json()) == ["name", "input_data_hash", "generated_uid", "split_seed",
                              "submitted_as_prepared", "data_preparation_mlcube"]


def test_post_split_seed_and_submitted_as_prepared_required(f, do, prep):
    body = f.dataset_body(prep)
    del body["split_seed"]
    del body["submitted_as_prepared"]
    r = do.post("/datasets/", body)
    assert r.status_code == 400
    assert r.text == ('{"split_seed":["This field is required."],'
                      '"submitted_as_prepared":["This field is required."]}')


def test_post_nulls_rejected(f, do, prep):
    r = do.post("/datasets/", f.dataset_body(prep, split_seed=None, submitted_as_prepared=None))
    assert r.status_code == 400
    assert r.json() == {"split_seed": ["This field may not be null."],
                        "submitted_as_prepared": ["This field may not be null."]}


def test_name_is_not_unique(f, do, do2, prep):
    name = uniq("same")
    r1 = do.post("/datasets/", f.dataset_body(prep, name=name))
    r2 = do2.post("/datasets/", f.dataset_body(prep, name=name))
    r3 = do.post("/datasets/", f.dataset_body(prep, name=name))
    assert (r1.status_code, r2.status_code, r3.status_code) == (201, 201, 201), r3.text
    assert r1.json()["name"] == r2.json()["name"] == r3.json()["name"] == name
    assert len({r1.json()["id"], r2.json()["id"], r3.json()["id"]}) == 3


def test_split_seed_string_integer_is_coerced(f, do, prep):
    r = do.post("/datasets/", f.dataset_body(prep, split_seed="3"))
    assert r.status_code == 201, r.text
    assert r.json()["split_seed"] == 3
    assert '"split_seed":3,' in r.text


@pytest.mark.parametrize("bad", ["x", "1.5", ""])
def test_split_seed_not_an_integer(f, do, prep, bad):
    r = do.post("/datasets/", f.dataset_body(prep, split_seed=bad))
    assert r.status_code == 400
    assert r.json() == {"split_seed": ["A valid integer is required."]}


@pytest.mark.parametrize("text,value", [("true", True), ("True", True), ("1", True),
                                        ("false", False), ("False", False), ("0", False)])
def test_boolean_strings_accepted(f, do, prep, text, value):
    r = do.post("/datasets/", f.dataset_body(prep, submitted_as_prepared=text, is_valid=text))
    assert r.status_code == 201, r.text
    assert r.json()["submitted_as_prepared"] is value
    assert r.json()["is_valid"] is value


def test_boolean_invalid(f, do, prep):
    r = do.post("/datasets/", f.dataset_body(prep, submitted_as_prepared="maybe", is_valid="maybe"))
    assert r.status_code == 400
    assert r.json() == {"is_valid": ["Must be a valid boolean."],
                        "submitted_as_prepared": ["Must be a valid boolean."]}
    assert list(r.json()) == ["is_valid", "submitted_as_prepared"]


def test_post_missing_prep_container(f, do):
    r = do.post("/datasets/", f.dataset_body(999999))
    assert r.status_code == 400
    assert r.json() == {"data_preparation_mlcube": ['Invalid pk "999999" - object does not exist.']}


def test_post_too_long_name(f, do, prep):
    r = do.post("/datasets/", f.dataset_body(prep, name="n" * 129))
    assert r.status_code == 400
    assert r.json() == {"name": ["Ensure this field has no more than 128 characters."]}


def test_post_anonymous_is_401(f, anon, prep):
    r = anon.post("/datasets/", f.dataset_body(prep))
    assert r.status_code == 401
    assert r.json() == UNAUTH


# ---------------------------------------------------------------- list

def test_list_is_public_and_paginated(f, do, other, prep):
    mine = f.dataset(do, prep, report={"secret": 1})
    r = other.get("/datasets/?limit=1000")
    assert r.status_code == 200
    page = r.json()
    assert list(page) == ["count", "next", "previous", "results"]
    assert page["next"] is None and page["previous"] is None
    assert page["count"] == len(page["results"])
    found = [d for d in page["results"] if d["id"] == mine["id"]]
    assert len(found) == 1
    assert list(found[0]) == PUBLIC_KEYS
    assert all("report" not in d for d in page["results"])
    # even the owner gets the public serializer in the list
    r = do.get("/datasets/?limit=1000")
    assert r.status_code == 200
    assert all(list(d) == PUBLIC_KEYS for d in r.json()["results"])


def test_list_ignores_filters(f, do, do2, prep):
    f.dataset(do, prep)
    f.dataset(do2, prep, operational=False)
    base = do.get("/datasets/?limit=1000").json()
    assert base["count"] >= 2
    for q in (f"owner={do2.id}", "state=OPERATION", "name=nothing-has-this-name",
              "is_valid=False", "owner=999999", "state=FOO", "ordering=-id"):
        r = do.get(f"/datasets/?limit=1000&{q}")
        assert r.status_code == 200, (q, r.text)
        assert r.json()["count"] == base["count"], q
        assert [d["id"] for d in r.json()["results"]] == [d["id"] for d in base["results"]], q


def test_list_pagination_links(f, do, prep):
    f.dataset(do, prep)
    f.dataset(do, prep)
    total = do.get("/datasets/?limit=1").json()["count"]
    assert total >= 2
    r = do.get("/datasets/?limit=1&offset=1")
    assert r.status_code == 200
    page = r.json()
    assert page["count"] == total and len(page["results"]) == 1
    assert page["previous"] is not None and page["previous"].endswith("/api/v0/datasets/?limit=1")
    if total > 2:
        assert page["next"].endswith("/api/v0/datasets/?limit=1&offset=2")


def test_list_anonymous_is_401(anon):
    r = anon.get("/datasets/")
    assert r.status_code == 401
    assert r.json() == UNAUTH


# ---------------------------------------------------------------- GET detail

def test_detail_full_for_owner_and_prep_owner_public_for_others(f, do, bo, mo, admin, prep):
    d = f.dataset(do, prep, report={"progress": 42})
    full = do.get(f"/datasets/{d['id']}/")
    assert full.status_code == 200
    assert list(full.json()) == FULL_KEYS
    assert full.json()["report"] == {"progress": 42}
    assert '"user_metadata":{},"report":{"progress":42},"created_at":' in full.text
    # bo owns the preparation container: full view too
    r = bo.get(f"/datasets/{d['id']}/")
    assert r.status_code == 200
    assert r.json() == full.json()
    # an unrelated user and the admin get the public view (no report)
    expected = {k: v for k, v in full.json().items() if k != "report"}
    for c in (mo, admin):
        r = c.get(f"/datasets/{d['id']}/")
        assert r.status_code == 200
        assert list(r.json()) == PUBLIC_KEYS
        assert r.json() == expected
        assert '"user_metadata":{},"created_at":' in r.text


def test_detail_missing_is_404(do, admin, anon):
    for c in (do, admin):
        r = c.get("/datasets/999999/")
        assert r.status_code == 404
        assert r.json() == NOT_FOUND
    assert anon.get("/datasets/999999/").status_code == 401


def test_detail_anonymous_is_401(f, do, anon, prep):
    d = f.dataset(do, prep)
    r = anon.get(f"/datasets/{d['id']}/")
    assert r.status_code == 401
    assert r.json() == UNAUTH


# ---------------------------------------------------------------- PUT

def test_put_to_operation(f, do, prep):
    d = f.dataset(do, prep, operational=False, report={"progress": 1})
    new_uid = sha()
    r = do.put(f"/datasets/{d['id']}/", {"state": "OPERATION", "generated_uid": new_uid,
                                         "generated_metadata": {"stats": 1},
                                         "input_data_hash": "abc"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == FULL_KEYS
    assert body["state"] == "OPERATION"
    assert body["generated_uid"] == new_uid
    assert body["generated_metadata"] == {"stats": 1}
    assert body["input_data_hash"] == "abc"
    assert body["report"] == {"progress": 1}
    assert body["created_at"] == d["created_at"]
    assert body["modified_at"] >= d["modified_at"]
    assert do.get(f"/datasets/{d['id']}/").json() == body


def test_put_development_everything_editable(f, do, prep):
    d = f.dataset(do, prep, operational=False)
    other_prep = f.mlcube(do)["id"]
    r = do.put(f"/datasets/{d['id']}/", {"name": "renamed", "description": "d2", "location": "l2",
                                         "split_seed": 5, "submitted_as_prepared": True,
                                         "report": {"progress": 50}, "is_valid": False,
                                         "data_preparation_mlcube": other_prep,
                                         "owner": 1, "id": 12345})
    assert r.status_code == 200, r.text
    b = r.json()
    assert (b["id"], b["name"], b["description"], b["location"], b["split_seed"],
            b["submitted_as_prepared"], b["report"], b["is_valid"],
            b["data_preparation_mlcube"], b["owner"], b["state"]) == \
        (d["id"], "renamed", "d2", "l2", 5, True, {"progress": 50}, False, other_prep, do.id,
         "DEVELOPMENT")


def test_put_validation_errors(f, do, prep):
    d = f.dataset(do, prep, operational=False)
    r = do.put(f"/datasets/{d['id']}/", {"split_seed": "x", "state": "FOO", "name": None})
    assert r.status_code == 400
    assert r.json() == {"name": ["This field may not be null."],
                        "split_seed": ["A valid integer is required."],
                        "state": ['"FOO" is not a valid choice.']}


def test_two_development_datasets_may_share_uid(f, do, do2, prep):
    uid = sha()
    a = f.dataset(do, prep, operational=False, generated_uid=uid)
    b = f.dataset(do2, prep, operational=False, generated_uid=uid)
    assert a["generated_uid"] == b["generated_uid"] == uid
    # a PUT that keeps the DEVELOPMENT state does not check the uid
    r = do2.put(f"/datasets/{b['id']}/", {"generated_uid": uid, "name": "still-dev"})
    assert r.status_code == 200, r.text


def test_generated_uid_unique_among_operational(f, do, do2, prep):
    uid = sha()
    a = f.dataset(do, prep, operational=False, generated_uid=uid)
    b = f.dataset(do2, prep, operational=False, generated_uid=uid)
    r = do.put(f"/datasets/{a['id']}/", {"state": "OPERATION"})
    assert r.status_code == 200, r.text
    r = do2.put(f"/datasets/{b['id']}/", {"state": "OPERATION"})
    assert r.status_code == 400
    assert r.json() == UID_MSG
    assert do2.get(f"/datasets/{b['id']}/").json()["state"] == "DEVELOPMENT"
    # a different uid in the same body makes the move legal
    r = do2.put(f"/datasets/{b['id']}/", {"state": "OPERATION", "generated_uid": sha()})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "OPERATION"


def test_generated_uid_check_uses_the_body_value(f, do, do2, prep):
    op = f.dataset(do, prep)  # OPERATION, with its own uid
    c = f.dataset(do2, prep, operational=False)
    r = do2.put(f"/datasets/{c['id']}/", {"state": "OPERATION",
                                          "generated_uid": op["generated_uid"]})
    assert r.status_code == 400
    assert r.json() == UID_MSG
    after = do2.get(f"/datasets/{c['id']}/").json()
    assert after["state"] == "DEVELOPMENT" and after["generated_uid"] == c["generated_uid"]


def test_operation_only_is_valid_and_user_metadata_change(f, do, prep):
    d = f.dataset(do, prep, report={"progress": 100})
    url = f"/datasets/{d['id']}/"
    r = do.put(url, {"is_valid": False, "user_metadata": {"note": "x"}})
    assert r.status_code == 200, r.text
    assert r.json()["is_valid"] is False and r.json()["user_metadata"] == {"note": "x"}
    for change in ({"name": "new-name"}, {"report": {"progress": 1}}, {"state": "DEVELOPMENT"},
                   {"generated_uid": sha()}, {"split_seed": 99}, {"description": "new"},
                   {"generated_metadata": {"other": 1}}, {"submitted_as_prepared": True},
                   {"user_metadata": {"ok": 1}, "location": "elsewhere"}):
        r = do.put(url, change)
        assert r.status_code == 400, change
        assert r.json() == OP_MSG, change
    after = do.get(url).json()
    assert after["report"] == {"progress": 100}
    assert after["name"] == d["name"] and after["user_metadata"] == {"note": "x"}
    # non-editable keys with unchanged values are accepted
    r = do.put(url, {"name": d["name"], "report": {"progress": 100}, "state": "OPERATION",
                     "user_metadata": {"note": "y"}})
    assert r.status_code == 200, r.text
    assert r.json()["user_metadata"] == {"note": "y"}


def test_operation_to_operation_does_not_recheck_uid(f, do, prep):
    d = f.dataset(do, prep)
    r = do.put(f"/datasets/{d['id']}/", {"state": "OPERATION", "is_valid": True})
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------- permissions

def test_put_permissions(f, do, do2, bo, admin, anon, prep):
    d = f.dataset(do, prep, operational=False)
    url = f"/datasets/{d['id']}/"
    assert do.put(url, {"description": "by owner"}).status_code == 200
    r = admin.put(url, {"description": "by admin"})
    assert r.status_code == 200, r.text
    assert r.json()["description"] == "by admin"
    assert r.json()["owner"] == do.id
    # bo owns the preparation container but not the dataset
    for c in (do2, bo):
        r = c.put(url, {"description": "no"})
        assert r.status_code == 403
        assert r.json() == FORBIDDEN
    r = anon.put(url, {"description": "no"})
    assert r.status_code == 401
    assert r.json() == UNAUTH
    assert do.get(url).json()["description"] == "by admin"


def test_put_missing(do, admin):
    r = do.put("/datasets/999999/", {"name": "x"})
    assert r.status_code == 403
    assert r.json() == FORBIDDEN
    r = admin.put("/datasets/999999/", {"name": "x"})
    assert r.status_code == 404
    assert r.json() == NOT_FOUND


def test_delete_permissions(f, do, bo, admin, anon, prep):
    d = f.dataset(do, prep)
    url = f"/datasets/{d['id']}/"
    for c in (do, bo):
        r = c.delete(url)
        assert r.status_code == 403
        assert r.json() == FORBIDDEN
    r = anon.delete(url)
    assert r.status_code == 401
    r = admin.delete(url)
    assert r.status_code == 204
    assert r.content == b""
    assert do.get(url).status_code == 404
    ids = [x["id"] for x in do.get("/me/datasets/?limit=1000").json()["results"]]
    assert d["id"] not in ids


def test_delete_missing(do, admin):
    r = do.delete("/datasets/999999/")
    assert r.status_code == 403
    assert r.json() == FORBIDDEN
    r = admin.delete("/datasets/999999/")
    assert r.status_code == 404
    assert r.json() == NOT_FOUND


def test_delete_with_associations_is_refused(f, bo, do, admin):
    b = f.benchmark(bo)
    d = f.dataset(do, b["data_preparation_mlcube"])
    f.dataset_assoc(do, d["id"], b["id"])
    # the original answers 500 (ProtectedError); our server answers a clean 409
    r = admin.delete(f"/datasets/{d['id']}/")
    assert r.status_code == 409
    assert "detail" in r.json()
    g = do.get(f"/datasets/{d['id']}/")
    assert g.status_code == 200
    assert g.json()["id"] == d["id"]
    assert len(admin.get(f"/datasets/{d['id']}/benchmarks/{b['id']}/").json()) == 1


def test_undefined_method(f, do, admin, prep):
    d = f.dataset(do, prep)
    r = admin.request("PATCH", f"/datasets/{d['id']}/", {"name": "x"})
    assert r.status_code == 405
    assert r.json() == {"detail": 'Method "PATCH" not allowed.'}
