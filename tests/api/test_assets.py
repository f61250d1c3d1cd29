"""test_assets.py: /assets/ (file artifacts that a model of type ASSET wraps):
create with the wire key order and defaults, field errors, lists with filters
and ordering, detail, PUT with the OPERATION rule (editable: is_valid,
user_metadata, asset_url), DELETE (admin only, refused while a model wraps the
asset) and /assets/{id}/model/.

Sources: reference medperf.md 1.6-1.7; facts sheet 1.2, 1.3, 6.1 and 10.
"""
import re

from factory import sha, uniq

ASSET_KEYS = ["id", "name", "asset_hash", "asset_url", "state", "is_valid", "metadata",
              "user_metadata", "created_at", "modified_at", "owner"]
DT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

FORBIDDEN = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "Not found."}
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}
OP_EDIT = {"non_field_errors": ["User cannot update non editable fields in Operation mode"]}
REQUIRED = ["This field is required."]
MISSING = 999999


def fresh(srv):
    return srv.user(uniq("assetuser"))


def page(results):
    return {"count": len(results), "next": None, "previous": None, "results": results}


def asset(f, client, **kw):
    r = client.post("/assets/", f.asset_body(**kw))
    assert r.status_code == 201, r.text
    return r.json()


def names(r):
    assert r.status_code == 200, r.text
    return [a["name"] for a in r.json()["results"]]


# ---------------------------------------------------------------- create

def test_create_answers_201_in_wire_order(f, mo):
    body = f.asset_body(asset_url="https://example.org/weights.tar.gz",
                        metadata={"m": 1}, user_metadata={"u": [1]}, is_valid=True)
    r = mo.post("/assets/", body)
    assert r.status_code == 201, r.text
    a = r.json()
    assert list(a) == ASSET_KEYS
    for k in ("name", "asset_hash", "asset_url", "state", "metadata", "user_metadata"):
        assert a[k] == body[k], k
    assert a["is_valid"] is True and a["owner"] == mo.id
    assert DT.match(a["created_at"]) and DT.match(a["modified_at"])
    assert r.headers["Content-Type"] == "application/json"
    g = mo.get(f"/assets/{a['id']}/")
    assert g.status_code == 200
    assert g.text == r.text


def test_create_defaults_and_ignored_keys(mo, other):
    r = mo.post("/assets/", {"name": uniq("asset"), "asset_hash": sha(), "asset_url": "local",
                             "id": MISSING, "owner": other.id, "foo": True,
                             "created_at": "2001-01-01T00:00:00Z"})
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["id"] != MISSING and a["owner"] == mo.id
    assert a["state"] == "DEVELOPMENT" and a["is_valid"] is True
    assert a["metadata"] == {} and a["user_metadata"] == {}
    assert a["asset_url"] == "local"
    assert not a["created_at"].startswith("2001")


def test_create_required_fields(mo):
    r = mo.post("/assets/", {})
    assert r.status_code == 400
    assert r.json() == {"name": REQUIRED, "asset_hash": REQUIRED, "asset_url": REQUIRED}
    assert list(r.json()) == ["name", "asset_hash", "asset_url"]


def test_create_field_errors(f, mo):
    r = mo.post("/assets/", f.asset_body(asset_url="", asset_hash=""))
    assert r.status_code == 400
    assert r.json() == {"asset_hash": ["This field may not be blank."],
                        "asset_url": ["This field may not be blank."]}
    r = mo.post("/assets/", f.asset_body(asset_hash="h" * 101, asset_url="u" * 257))
    assert r.status_code == 400
    assert r.json() == {"asset_hash": ["Ensure this field has no more than 100 characters."],
                        "asset_url": ["Ensure this field has no more than 256 characters."]}
    r = mo.post("/assets/", f.asset_body(name=None, state="FOO", is_valid="maybe"))
    assert r.status_code == 400
    assert r.json() == {"name": ["This field may not be null."],
                        "state": ["\"FOO\" is not a valid choice."],
                        "is_valid": ["Must be a valid boolean."]}
    r = mo.post("/assets/", "text")
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}


def test_create_requires_authentication(f, anon):
    r = anon.post("/assets/", f.asset_body())
    assert r.status_code == 401
    assert r.json() == NO_CREDENTIALS


def test_duplicate_name(f, mo, other):
    a = asset(f, mo)
    r = other.post("/assets/", f.asset_body(name=a["name"]))
    assert r.status_code == 400
    assert r.json() == {"name": ["asset with this name already exists."]}


def test_same_hash_and_url_under_another_name(f, mo):
    a = asset(f, mo)
    b = asset(f, mo, asset_hash=a["asset_hash"], asset_url=a["asset_url"])
    assert b["id"] != a["id"]


# ---------------------------------------------------------------- lists

def test_list_filters(f, srv, other):
    u = fresh(srv)
    a = asset(f, u)
    b = asset(f, u, state="DEVELOPMENT")
    c = asset(f, u, is_valid=False)
    r = u.get(f"/assets/?owner={u.id}")
    assert r.status_code == 200
    assert r.json() == page([a, b, c])
    assert names(u.get(f"/assets/?owner={u.id}&state=DEVELOPMENT")) == [b["name"]]
    assert names(u.get(f"/assets/?owner={u.id}&state=OPERATION")) == [a["name"], c["name"]]
    assert names(u.get(f"/assets/?owner={u.id}&is_valid=False")) == [c["name"]]
    assert names(u.get(f"/assets/?owner={u.id}&is_valid=1")) == [a["name"], b["name"]]
    assert names(u.get(f"/assets/?owner={u.id}&is_valid=maybe")) == [a["name"], b["name"],
                                                                      c["name"]]
    assert other.get(f"/assets/?name={b['name']}").json() == page([b])
    assert names(u.get(f"/assets/?owner={u.id}&asset_url=nope")) == [a["name"], b["name"],
                                                                      c["name"]]


def test_list_filter_errors(mo):
    r = mo.get("/assets/?state=BAD")
    assert r.status_code == 400
    assert r.json() == {"state": ["Select a valid choice. BAD is not one of the available choices."]}
    r = mo.get(f"/assets/?owner={MISSING}")
    assert r.status_code == 400
    assert r.json() == {"owner": ["Select a valid choice. That choice is not one of the "
                                  "available choices."]}


def test_list_ordering(f, srv):
    u = fresh(srv)
    b = asset(f, u, name=uniq("bb"))
    a = asset(f, u, name=uniq("aa"))
    c = asset(f, u, name=uniq("cc"))
    q = f"/assets/?owner={u.id}"
    assert names(u.get(q)) == [b["name"], a["name"], c["name"]]
    assert names(u.get(q + "&ordering=name")) == [a["name"], b["name"], c["name"]]
    assert names(u.get(q + "&ordering=-name")) == [c["name"], b["name"], a["name"]]
    assert names(u.get(q + "&ordering=-created_at")) == [c["name"], a["name"], b["name"]]
    assert names(u.get(q + "&ordering=nope")) == [b["name"], a["name"], c["name"]]
    r = u.put(f"/assets/{b['id']}/", {"is_valid": False})
    assert r.status_code == 200, r.text
    assert names(u.get(q)) == [a["name"], c["name"], b["name"]]
    r = u.get(q + "&limit=1&offset=1")
    assert r.json()["count"] == 3 and [x["name"] for x in r.json()["results"]] == [c["name"]]
    assert r.json()["previous"] == f"{srv.url}/api/v0/assets/?limit=1&owner={u.id}"
    assert r.json()["next"] == f"{srv.url}/api/v0/assets/?limit=1&offset=2&owner={u.id}"


def test_list_requires_authentication(anon):
    assert anon.get("/assets/").status_code == 401


# ---------------------------------------------------------------- detail

def test_detail(f, mo, other):
    a = asset(f, mo)
    r = other.get(f"/assets/{a['id']}/")
    assert r.status_code == 200
    assert r.json() == a


def test_detail_missing(mo, admin):
    for client in (mo, admin):
        r = client.get(f"/assets/{MISSING}/")
        assert r.status_code == 404
        assert r.json() == NOT_FOUND


# ---------------------------------------------------------------- PUT

def test_put_permissions(f, mo, other, admin, anon):
    a = asset(f, mo, state="DEVELOPMENT")
    r = other.put(f"/assets/{a['id']}/", {"user_metadata": {"by": "other"}})
    assert r.status_code == 403
    assert r.json() == FORBIDDEN
    assert anon.put(f"/assets/{a['id']}/", {"is_valid": False}).status_code == 401
    r = mo.put(f"/assets/{a['id']}/", {"user_metadata": {"by": "owner"}})
    assert r.status_code == 200, r.text
    assert list(r.json()) == ASSET_KEYS
    assert r.json()["user_metadata"] == {"by": "owner"}
    r = admin.put(f"/assets/{a['id']}/", {"user_metadata": {"by": "admin"}})
    assert r.status_code == 200, r.text
    assert r.json()["owner"] == mo.id
    assert mo.get(f"/assets/{a['id']}/").json()["user_metadata"] == {"by": "admin"}


def test_put_missing(mo, admin):
    r = mo.put(f"/assets/{MISSING}/", {"is_valid": False})
    assert r.status_code == 403
    assert r.json() == FORBIDDEN
    r = admin.put(f"/assets/{MISSING}/", {"is_valid": False})
    assert r.status_code == 404
    assert r.json() == NOT_FOUND


def test_put_operation_editable_fields(f, mo):
    a = asset(f, mo)
    r = mo.put(f"/assets/{a['id']}/", {"is_valid": False, "user_metadata": {"k": 1},
                                       "asset_url": "https://example.org/moved.tar.gz"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["is_valid"] is False and got["user_metadata"] == {"k": 1}
    assert got["asset_url"] == "https://example.org/moved.tar.gz"
    for k in ("id", "name", "asset_hash", "state", "metadata", "created_at", "owner"):
        assert got[k] == a[k], k
    assert mo.get(f"/assets/{a['id']}/").json() == got


def test_put_operation_same_values_accepted(f, mo):
    a = asset(f, mo)
    r = mo.put(f"/assets/{a['id']}/", {k: a[k] for k in ("name", "asset_hash", "state",
                                                         "metadata")})
    assert r.status_code == 200, r.text
    r = mo.put(f"/assets/{a['id']}/", {"owner": MISSING, "foo": 1})
    assert r.status_code == 200, r.text
    assert r.json()["owner"] == mo.id


def test_put_operation_non_editable_fields(f, mo, admin):
    a = asset(f, mo)
    for change in ({"name": uniq("renamed")}, {"asset_hash": sha()},
                   {"state": "DEVELOPMENT"}, {"metadata": {"m": 2}},
                   {"asset_url": "https://x", "asset_hash": sha()}):
        for client in (mo, admin):
            r = client.put(f"/assets/{a['id']}/", change)
            assert r.status_code == 400, (change, r.text)
            assert r.json() == OP_EDIT
    assert mo.get(f"/assets/{a['id']}/").json() == a


def test_put_development_edits_everything(f, mo):
    a = asset(f, mo, state="DEVELOPMENT")
    change = {"name": uniq("renamed"), "asset_hash": sha(), "asset_url": "https://e.org/a",
              "is_valid": False, "metadata": {"m": 1}, "user_metadata": {"u": 1}}
    r = mo.put(f"/assets/{a['id']}/", change)
    assert r.status_code == 200, r.text
    assert list(r.json()) == ASSET_KEYS
    for k, v in change.items():
        assert r.json()[k] == v, k
    r = mo.put(f"/assets/{a['id']}/", {"state": "OPERATION"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "OPERATION"
    r = mo.put(f"/assets/{a['id']}/", {"state": "DEVELOPMENT"})
    assert r.status_code == 400
    assert r.json() == OP_EDIT


def test_put_field_errors(f, mo):
    a = asset(f, mo, state="DEVELOPMENT")
    b = asset(f, mo)
    r = mo.put(f"/assets/{a['id']}/", {"name": b["name"]})
    assert r.status_code == 400
    assert r.json() == {"name": ["asset with this name already exists."]}
    r = mo.put(f"/assets/{a['id']}/", {"asset_url": "", "is_valid": "maybe"})
    assert r.status_code == 400
    assert r.json() == {"asset_url": ["This field may not be blank."],
                        "is_valid": ["Must be a valid boolean."]}
    assert mo.get(f"/assets/{a['id']}/").json() == a


# ---------------------------------------------------------------- DELETE

def test_delete_is_admin_only(f, mo, other, admin):
    a = asset(f, mo)
    for client in (mo, other):
        r = client.delete(f"/assets/{a['id']}/")
        assert r.status_code == 403
        assert r.json() == FORBIDDEN
    r = admin.delete(f"/assets/{a['id']}/")
    assert r.status_code == 204
    assert r.content == b""
    assert mo.get(f"/assets/{a['id']}/").status_code == 404


def test_delete_missing(mo, admin):
    r = admin.delete(f"/assets/{MISSING}/")
    assert r.status_code == 404
    assert r.json() == NOT_FOUND
    r = mo.delete(f"/assets/{MISSING}/")
    assert r.status_code == 403
    assert r.json() == FORBIDDEN


def test_delete_asset_wrapped_by_a_model(f, mo, admin):
    m = f.model(mo, type="ASSET")
    aid = m["asset"]["id"]
    # The original raises ProtectedError (HTTP 500); this server answers 409
    # and keeps the row.
    r = admin.delete(f"/assets/{aid}/")
    assert r.status_code == 409, r.text
    assert r.json() == {"detail": "Cannot delete: other objects still refer to this one."}
    assert admin.get(f"/assets/{aid}/").json() == m["asset"]


# ---------------------------------------------------------------- /assets/{id}/model/

def test_model_of_an_asset(f, mo, other):
    m = f.model(mo, type="ASSET")
    r = other.get(f"/assets/{m['asset']['id']}/model/")
    assert r.status_code == 200, r.text
    assert r.json() == m
    assert r.text == mo.get(f"/models/{m['id']}/").text


def test_model_of_an_asset_none_or_missing(f, mo):
    a = asset(f, mo)
    for path in (f"/assets/{a['id']}/model/", f"/assets/{MISSING}/model/"):
        r = mo.get(path)
        assert r.status_code == 404, path
        assert r.json() == NOT_FOUND


def test_model_of_an_asset_is_gone_after_the_model_is_deleted(f, mo, admin):
    m = f.model(mo, type="ASSET")
    assert admin.delete(f"/models/{m['id']}/").status_code == 204
    r = mo.get(f"/assets/{m['asset']['id']}/model/")
    assert r.status_code == 404
    assert mo.get(f"/assets/{m['asset']['id']}/").json() == m["asset"]
    r = admin.delete(f"/assets/{m['asset']['id']}/")
    assert r.status_code == 204
