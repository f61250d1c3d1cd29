"""test_models.py: /models/: the nested create of a model with its container
(type CONTAINER) or asset (type ASSET) in one transaction, the nested and
outer validation in the original's order, the list filter on type, the flat
PUT answer versus the nested GET, the copy of state/is_valid to the wrapped
object, the OPERATION rule, permissions, DELETE and /me/models/.

Sources: reference medperf.md 1.6-1.7 and Appendix A (model detail shape);
facts sheet 1.1 (nesting), 1.2, 1.3, 6.2, 10 and 12.
"""
import re

from factory import sha, uniq

MODEL_KEYS = ["id", "container", "asset", "name", "state", "is_valid", "metadata",
              "user_metadata", "type", "created_at", "modified_at", "owner"]
FLAT_KEYS = ["id", "name", "state", "is_valid", "metadata", "user_metadata", "type",
             "created_at", "modified_at", "owner", "container", "asset"]
MLCUBE_KEYS = ["id", "name", "container_config", "parameters_config", "image_hash",
               "additional_files_tarball_url", "additional_files_tarball_hash", "state",
               "is_valid", "metadata", "user_metadata", "created_at", "modified_at", "owner"]
ASSET_KEYS = ["id", "name", "asset_hash", "asset_url", "state", "is_valid", "metadata",
              "user_metadata", "created_at", "modified_at", "owner"]
DT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

FORBIDDEN = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "Not found."}
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}
OP_EDIT = {"non_field_errors": ["User cannot update non editable fields in Operation mode"]}
REQUIRED = ["This field is required."]
MISSING = 999999


def nfe(msg):
    return {"non_field_errors": [msg]}


def fresh(srv):
    return srv.user(uniq("modeluser"))


def page(results):
    return {"count": len(results), "next": None, "previous": None, "results": results}


def counts(client):
    """How many containers, assets and models the client owns."""
    out = []
    for kind in ("mlcubes", "assets", "models"):
        r = client.get(f"/me/{kind}/")
        assert r.status_code == 200, r.text
        out.append(r.json()["count"])
    return tuple(out)


# ---------------------------------------------------------------- create

def test_create_container_model(f, srv):
    u = fresh(srv)
    body = f.model_body(metadata={"m": 1}, user_metadata={"u": 2})
    body["container"]["metadata"] = {"cm": 3}
    r = u.post("/models/", body)
    assert r.status_code == 201, r.text
    m = r.json()
    assert list(m) == MODEL_KEYS
    assert m["type"] == "CONTAINER" and m["asset"] is None
    assert m["name"] == body["name"] and m["state"] == "OPERATION" and m["is_valid"] is True
    assert m["metadata"] == {"m": 1} and m["user_metadata"] == {"u": 2}
    assert m["owner"] == u.id
    assert DT.match(m["created_at"]) and DT.match(m["modified_at"])
    c = m["container"]
    assert list(c) == MLCUBE_KEYS
    for k in ("name", "container_config", "parameters_config", "image_hash",
              "additional_files_tarball_url", "additional_files_tarball_hash", "state"):
        assert c[k] == body["container"][k], k
    assert c["metadata"] == {"cm": 3} and c["user_metadata"] == {} and c["is_valid"] is True
    assert c["owner"] == u.id
    # GET answers the same nested form, and the container is a container of its own
    g = u.get(f"/models/{m['id']}/")
    assert g.status_code == 200
    assert g.text == r.text
    assert u.get(f"/mlcubes/{c['id']}/").json() == c
    assert counts(u) == (1, 0, 1)
    assert u.get("/me/mlcubes/").json()["results"] == [c]


def test_create_asset_model(f, srv):
    u = fresh(srv)
    body = f.model_body(type="ASSET", state="DEVELOPMENT")
    r = u.post("/models/", body)
    assert r.status_code == 201, r.text
    m = r.json()
    assert list(m) == MODEL_KEYS
    assert m["type"] == "ASSET" and m["container"] is None and m["state"] == "DEVELOPMENT"
    a = m["asset"]
    assert list(a) == ASSET_KEYS
    for k in ("name", "asset_hash", "asset_url", "state"):
        assert a[k] == body["asset"][k], k
    assert a["owner"] == u.id
    assert u.get(f"/models/{m['id']}/").text == r.text
    assert u.get(f"/assets/{a['id']}/").json() == a
    assert counts(u) == (0, 1, 1)


def test_wrapped_object_belongs_to_the_requester(f, srv, other):
    u = fresh(srv)
    body = f.model_body(owner=other.id, id=MISSING)
    body["container"].update(owner=other.id, id=MISSING)
    r = u.post("/models/", body)
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["owner"] == u.id and m["container"]["owner"] == u.id
    assert MISSING not in (m["id"], m["container"]["id"])
    body = f.model_body(type="ASSET")
    body["asset"]["owner"] = other.id
    r = u.post("/models/", body)
    assert r.status_code == 201, r.text
    assert r.json()["asset"]["owner"] == u.id


def test_model_may_share_its_containers_name(f, mo):
    name = uniq("same")
    body = f.model_body(name=name)
    body["container"]["name"] = name
    r = mo.post("/models/", body)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == name and r.json()["container"]["name"] == name


def test_create_requires_authentication(f, anon):
    r = anon.post("/models/", f.model_body())
    assert r.status_code == 401
    assert r.json() == NO_CREDENTIALS


# ---------------------------------------------------------------- create: outer validate()

def test_container_data_required(f, mo):
    body = f.model_body()
    del body["container"]
    r = mo.post("/models/", body)
    assert r.status_code == 400
    assert r.json() == nfe("Container data required.")
    body["container"] = None
    r = mo.post("/models/", body)
    assert r.status_code == 400
    assert r.json() == nfe("Container data required.")


def test_asset_must_not_be_provided(f, mo):
    body = f.model_body(asset=f.asset_body())
    r = mo.post("/models/", body)
    assert r.status_code == 400
    assert r.json() == nfe("Asset must not be provided.")


def test_asset_data_required(f, mo):
    body = f.model_body(type="ASSET")
    del body["asset"]
    r = mo.post("/models/", body)
    assert r.status_code == 400
    assert r.json() == nfe("Asset data required.")
    body["asset"] = None
    body["container"] = None
    r = mo.post("/models/", body)
    assert r.status_code == 400
    assert r.json() == nfe("Asset data required.")


def test_container_must_not_be_provided(f, mo):
    body = f.model_body(type="ASSET", container=f.mlcube_body())
    r = mo.post("/models/", body)
    assert r.status_code == 400
    assert r.json() == nfe("Container must not be provided.")


def test_state_must_match(f, mo):
    body = f.model_body(state="OPERATION")
    body["container"]["state"] = "DEVELOPMENT"
    r = mo.post("/models/", body)
    assert r.status_code == 400
    assert r.json() == nfe("Model state must match the state of its container or asset.")
    # an absent state counts as DEVELOPMENT on either side
    body = f.model_body(type="ASSET")
    del body["state"]
    r = mo.post("/models/", body)
    assert r.status_code == 400
    assert r.json() == nfe("Model state must match the state of its container or asset.")
    del body["asset"]["state"]
    r = mo.post("/models/", body)
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "DEVELOPMENT" and r.json()["asset"]["state"] == "DEVELOPMENT"


def test_validity_must_match(f, mo):
    body = f.model_body(is_valid=False)
    r = mo.post("/models/", body)
    assert r.status_code == 400
    assert r.json() == nfe("Model validity must match the validity of its container or asset.")
    body = f.model_body()
    body["container"]["is_valid"] = False
    r = mo.post("/models/", body)
    assert r.status_code == 400
    assert r.json() == nfe("Model validity must match the validity of its container or asset.")
    body["is_valid"] = False
    r = mo.post("/models/", body)
    assert r.status_code == 201, r.text
    assert r.json()["is_valid"] is False and r.json()["container"]["is_valid"] is False


def test_validate_reports_only_the_first_failure(f, mo):
    body = f.model_body(asset=f.asset_body(), is_valid=False)
    body["container"]["state"] = "DEVELOPMENT"
    r = mo.post("/models/", body)
    assert r.status_code == 400
    assert r.json() == nfe("Asset must not be provided.")
    body = f.model_body(is_valid=False)
    body["container"]["state"] = "DEVELOPMENT"
    r = mo.post("/models/", body)
    assert r.status_code == 400
    assert r.json() == nfe("Model state must match the state of its container or asset.")


# ---------------------------------------------------------------- create: field errors

def test_type_errors(f, mo):
    body = f.model_body()
    del body["type"]
    r = mo.post("/models/", body)
    assert r.status_code == 400
    assert r.json() == {"type": REQUIRED}
    r = mo.post("/models/", dict(f.model_body(), type="FOO"))
    assert r.status_code == 400
    assert r.json() == {"type": ["\"FOO\" is not a valid choice."]}
    r = mo.post("/models/", dict(f.model_body(), type=None))
    assert r.status_code == 400
    assert r.json() == {"type": ["This field may not be null."]}
    # field errors stop before validate(): no "Container data required." here
    r = mo.post("/models/", {"name": uniq("model"), "state": "OPERATION"})
    assert r.status_code == 400
    assert r.json() == {"type": REQUIRED}


def test_body_must_be_an_object(mo):
    r = mo.post("/models/", [{"type": "CONTAINER"}])
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


def test_duplicate_model_name(f, mo, other):
    m = f.model(mo)
    r = other.post("/models/", f.model_body(name=m["name"]))
    assert r.status_code == 400
    assert r.json() == {"name": ["model with this name already exists."]}


def test_outer_field_errors(f, mo):
    body = f.model_body()
    body.update(name="", state="NOPE", is_valid="x", metadata=None)
    r = mo.post("/models/", body)
    assert r.status_code == 400
    # metadata is nullable: only the others fail
    assert r.json() == {"name": ["This field may not be blank."],
                        "state": ["\"NOPE\" is not a valid choice."],
                        "is_valid": ["Must be a valid boolean."]}


def test_nested_field_errors_nest(f, mo):
    body = f.model_body(container={"parameters_config": None,
                                   "additional_files_tarball_hash": "", "state": "OPERATION"})
    r = mo.post("/models/", body)
    assert r.status_code == 400
    assert r.json() == {"container": {"name": REQUIRED, "container_config": REQUIRED,
                                      "image_hash": REQUIRED}}
    # nested and outer field errors together, in serializer field order
    del body["name"]
    body["type"] = "BAD"
    r = mo.post("/models/", body)
    assert r.status_code == 400
    assert r.json() == {"container": {"name": REQUIRED, "container_config": REQUIRED,
                                      "image_hash": REQUIRED},
                        "name": REQUIRED, "type": ["\"BAD\" is not a valid choice."]}
    assert list(r.json()) == ["container", "name", "type"]


def test_nested_asset_field_errors(f, mo):
    r = mo.post("/models/", f.model_body(type="ASSET", asset={"state": "OPERATION",
                                                              "asset_url": ""}))
    assert r.status_code == 400
    assert r.json() == {"asset": {"name": REQUIRED, "asset_hash": REQUIRED,
                                  "asset_url": ["This field may not be blank."]}}


def test_both_nested_objects_are_validated(f, mo):
    body = f.model_body(asset={"asset_url": "x"})
    body["container"]["image_hash"] = ""
    r = mo.post("/models/", body)
    assert r.status_code == 400
    assert r.json() == {"container": {"image_hash": ["This field may not be blank."]},
                        "asset": {"name": REQUIRED, "asset_hash": REQUIRED}}


def test_nested_non_object(f, mo):
    r = mo.post("/models/", f.model_body(container=5))
    assert r.status_code == 400
    assert r.json() == {"container": {"non_field_errors": [
        "Invalid data. Expected a dictionary, but got int."]}}
    r = mo.post("/models/", f.model_body(type="ASSET", asset=["a"]))
    assert r.status_code == 400
    assert r.json() == {"asset": {"non_field_errors": [
        "Invalid data. Expected a dictionary, but got list."]}}
    r = mo.post("/models/", f.model_body(container="cube"))
    assert r.status_code == 400
    assert r.json() == {"container": {"non_field_errors": [
        "Invalid data. Expected a dictionary, but got str."]}}


def test_nested_container_rules(f, mo):
    existing = f.mlcube(mo)
    r = mo.post("/models/", f.model_body(container=f.mlcube_body(name=existing["name"])))
    assert r.status_code == 400
    assert r.json() == {"container": {"name": ["ml cube with this name already exists."]}}
    same = {k: existing[k] for k in ("image_hash", "additional_files_tarball_hash",
                                     "container_config", "parameters_config")}
    r = mo.post("/models/", f.model_body(container=f.mlcube_body(**same)))
    assert r.status_code == 400
    assert r.json() == {"container": nfe("The fields image_hash, additional_files_tarball_hash, "
                                         "container_config, parameters_config must make a "
                                         "unique set.")}
    r = mo.post("/models/", f.model_body(container=f.mlcube_body(
        additional_files_tarball_url="https://e.org/w.tar.gz")))
    assert r.status_code == 400
    assert r.json() == {"container": nfe("Additional files require file hash")}
    r = mo.post("/models/", f.model_body(container=f.mlcube_body(
        additional_files_tarball_hash=sha())))
    assert r.status_code == 400
    assert r.json() == {"container": nfe("Additional files hash was provided without URL")}


def test_nested_asset_name_clash(f, mo):
    m = f.model(mo, type="ASSET")
    r = mo.post("/models/", f.model_body(type="ASSET",
                                         asset=f.asset_body(name=m["asset"]["name"])))
    assert r.status_code == 400
    assert r.json() == {"asset": {"name": ["asset with this name already exists."]}}


def test_failing_create_leaves_nothing_behind(f, srv):
    u = fresh(srv)
    taken = f.model(srv.user("mo"))["name"]
    bad = []
    b = f.model_body()
    b["container"]["state"] = "DEVELOPMENT"
    bad.append(b)                                           # outer validate(): state
    bad.append(f.model_body(is_valid=False))                # outer validate(): validity
    bad.append(f.model_body(name=taken))                    # outer field: duplicate name
    bad.append(f.model_body(type="FOO"))                    # outer field: bad type
    bad.append(f.model_body(asset=f.asset_body()))          # container and asset
    bad.append(f.model_body(type="ASSET", container=f.mlcube_body()))
    b = f.model_body(type="ASSET")
    b["asset"]["state"] = "DEVELOPMENT"
    bad.append(b)
    b = f.model_body()
    b["container"]["additional_files_tarball_url"] = "https://e.org/x"
    bad.append(b)                                           # nested validate()
    for body in bad:
        r = u.post("/models/", body)
        assert r.status_code == 400, (body, r.text)
    assert counts(u) == (0, 0, 0)
    for body in bad:
        for key, kind in (("container", "mlcubes"), ("asset", "assets")):
            if body.get(key):
                r = u.get(f"/{kind}/?name={body[key]['name']}")
                assert r.json()["count"] == 0, body[key]["name"]
    # and the names are free: the same bodies, fixed, succeed
    body = bad[0]
    body["container"]["state"] = "OPERATION"
    r = u.post("/models/", body)
    assert r.status_code == 201, r.text
    assert counts(u) == (1, 0, 1)


# ---------------------------------------------------------------- lists

def test_list_filter_type(f, srv):
    u = fresh(srv)
    mc = f.model(u)
    ma = f.model(u, type="ASSET")
    r = u.get("/models/?type=ASSET&limit=1000")
    assert r.status_code == 200
    res = r.json()["results"]
    assert {m["type"] for m in res} == {"ASSET"}
    assert ma in res and all(m["id"] != mc["id"] for m in res)
    r = u.get("/models/?type=CONTAINER&limit=1000")
    res = r.json()["results"]
    assert {m["type"] for m in res} == {"CONTAINER"}
    assert mc in res and all(m["id"] != ma["id"] for m in res)
    total = u.get("/models/?limit=1").json()["count"]
    assert r.json()["count"] + u.get("/models/?type=ASSET&limit=1").json()["count"] == total


def test_list_has_only_the_type_filter(f, srv):
    u = fresh(srv)
    m = f.model(u)
    total = u.get("/models/?limit=1").json()["count"]
    assert total >= 1
    for q in (f"name={m['name']}", f"owner={u.id}", f"owner={MISSING}", "state=BAD",
              "is_valid=False"):
        r = u.get(f"/models/?limit=1&{q}")
        assert r.status_code == 200, q
        assert r.json()["count"] == total, q


def test_list_filter_errors(mo):
    r = mo.get("/models/?type=FOO")
    assert r.status_code == 400
    assert r.json() == {"type": ["Select a valid choice. FOO is not one of the available choices."]}


def test_list_ordering(f, srv):
    u = fresh(srv)
    made = [f.model(u), f.model(u, type="ASSET"), f.model(u)]
    r = u.get("/models/?limit=1000")
    assert r.status_code == 200
    ids = [m["id"] for m in r.json()["results"]]
    assert ids[-3:] == [m["id"] for m in made], "modified_at ascending"
    res = u.get("/models/?limit=1000&ordering=-name").json()["results"]
    assert [m["name"] for m in res] == sorted((m["name"] for m in res), reverse=True)
    res = u.get("/models/?limit=1000&ordering=-id").json()["results"]
    assert [m["id"] for m in res] == sorted(ids, reverse=True)
    # a PUT moves a model to the end of the default order
    r = u.put(f"/models/{made[0]['id']}/", {"user_metadata": {"t": 1}})
    assert r.status_code == 200, r.text
    res = u.get("/models/?limit=1000").json()["results"]
    assert [m["id"] for m in res][-3:] == [made[1]["id"], made[2]["id"], made[0]["id"]]


def test_list_is_nested(f, mo):
    m = f.model(mo)
    r = mo.get(f"/models/?limit=1000&type=CONTAINER")
    got = [x for x in r.json()["results"] if x["id"] == m["id"]]
    assert got == [m]
    assert list(got[0]) == MODEL_KEYS and list(got[0]["container"]) == MLCUBE_KEYS


def test_me_models_lists_only_mine(f, srv, other):
    u = fresh(srv)
    assert u.get("/me/models/").json() == page([])
    m1 = f.model(u)
    m2 = f.model(u, type="ASSET")
    f.model(other)
    r = u.get("/me/models/")
    assert r.status_code == 200
    assert r.json() == page([m1, m2])
    # no filters on /me/ lists
    assert u.get("/me/models/?type=ASSET").json() == page([m1, m2])
    mine = [m["id"] for m in other.get("/me/models/?limit=1000").json()["results"]]
    assert m1["id"] not in mine and m2["id"] not in mine


# ---------------------------------------------------------------- detail

def test_detail(f, mo, other):
    m = f.model(mo)
    r = other.get(f"/models/{m['id']}/")
    assert r.status_code == 200
    assert r.json() == m


def test_detail_missing(mo, admin, anon):
    for client in (mo, admin):
        r = client.get(f"/models/{MISSING}/")
        assert r.status_code == 404
        assert r.json() == NOT_FOUND
    assert anon.get(f"/models/{MISSING}/").status_code == 401


# ---------------------------------------------------------------- PUT

def test_put_answers_flat_and_get_stays_nested(f, mo):
    m = f.model(mo, state="DEVELOPMENT")
    r = mo.put(f"/models/{m['id']}/", {"user_metadata": {"note": "x"}})
    assert r.status_code == 200, r.text
    flat = r.json()
    assert list(flat) == FLAT_KEYS
    assert flat["container"] == m["container"]["id"] and flat["asset"] is None
    assert flat["user_metadata"] == {"note": "x"} and flat["owner"] == mo.id
    assert r.text.endswith(',"owner":%d,"container":%d,"asset":null}'
                           % (mo.id, m["container"]["id"]))
    g = mo.get(f"/models/{m['id']}/").json()
    assert list(g) == MODEL_KEYS
    assert g["container"]["id"] == m["container"]["id"]
    assert g["user_metadata"] == {"note": "x"}
    assert g["modified_at"] == flat["modified_at"]


def test_put_asset_model_answers_flat(f, mo):
    m = f.model(mo, type="ASSET")
    r = mo.put(f"/models/{m['id']}/", {"is_valid": True})
    assert r.status_code == 200, r.text
    assert list(r.json()) == FLAT_KEYS
    assert r.json()["container"] is None and r.json()["asset"] == m["asset"]["id"]


def test_put_copies_state_and_validity_to_the_container(f, mo):
    m = f.model(mo, state="DEVELOPMENT")
    cid = m["container"]["id"]
    r = mo.put(f"/models/{m['id']}/", {"state": "OPERATION"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "OPERATION"
    c = mo.get(f"/mlcubes/{cid}/").json()
    assert c["state"] == "OPERATION" and c["is_valid"] is True
    r = mo.put(f"/models/{m['id']}/", {"is_valid": False})
    assert r.status_code == 200, r.text
    c = mo.get(f"/mlcubes/{cid}/").json()
    assert c["state"] == "OPERATION" and c["is_valid"] is False
    g = mo.get(f"/models/{m['id']}/").json()
    assert g["container"] == c and g["is_valid"] is False


def test_put_copies_state_and_validity_to_the_asset(f, mo):
    m = f.model(mo, type="ASSET", state="DEVELOPMENT")
    aid = m["asset"]["id"]
    r = mo.put(f"/models/{m['id']}/", {"state": "OPERATION", "is_valid": False})
    assert r.status_code == 200, r.text
    a = mo.get(f"/assets/{aid}/").json()
    assert a["state"] == "OPERATION" and a["is_valid"] is False


def test_put_copy_bypasses_the_containers_own_rules(f, mo):
    # the container went OPERATION on its own; the DEVELOPMENT model may still
    # set it back (the original sets and saves the container unconditionally)
    m = f.model(mo, state="DEVELOPMENT")
    cid = m["container"]["id"]
    r = mo.put(f"/mlcubes/{cid}/", {"state": "OPERATION"})
    assert r.status_code == 200, r.text
    r = mo.put(f"/models/{m['id']}/", {"state": "DEVELOPMENT"})
    assert r.status_code == 200, r.text
    assert mo.get(f"/mlcubes/{cid}/").json()["state"] == "DEVELOPMENT"


def test_put_saves_the_wrapped_object(f, mo):
    # the original saves the container on every model PUT, so its
    # modified_at moves even when neither state nor is_valid was sent
    m = f.model(mo)
    before = mo.get(f"/mlcubes/{m['container']['id']}/").json()
    r = mo.put(f"/models/{m['id']}/", {"user_metadata": {"k": 1}})
    assert r.status_code == 200, r.text
    after = mo.get(f"/mlcubes/{m['container']['id']}/").json()
    assert after["modified_at"] > before["modified_at"]
    assert {k: v for k, v in after.items() if k != "modified_at"} == \
        {k: v for k, v in before.items() if k != "modified_at"}


def test_put_operation_rule(f, mo, admin):
    m = f.model(mo)
    for change in ({"name": uniq("renamed")}, {"metadata": {"m": 1}},
                   {"state": "DEVELOPMENT"}, {"type": "ASSET"},
                   {"is_valid": False, "name": uniq("x")}):
        for client in (mo, admin):
            r = client.put(f"/models/{m['id']}/", change)
            assert r.status_code == 400, (change, r.text)
            assert r.json() == OP_EDIT
    assert mo.get(f"/models/{m['id']}/").json() == m
    # unchanged values and the editable fields pass
    r = mo.put(f"/models/{m['id']}/", {"name": m["name"], "state": "OPERATION",
                                       "type": "CONTAINER", "metadata": m["metadata"],
                                       "is_valid": False, "user_metadata": {"e": 1}})
    assert r.status_code == 200, r.text
    assert r.json()["is_valid"] is False and r.json()["user_metadata"] == {"e": 1}
    assert mo.get(f"/mlcubes/{m['container']['id']}/").json()["is_valid"] is False


def test_put_development_edits(f, mo):
    m = f.model(mo, state="DEVELOPMENT")
    new = uniq("renamed")
    r = mo.put(f"/models/{m['id']}/", {"name": new, "metadata": {"m": 2}, "owner": MISSING,
                                       "foo": 1})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == new and r.json()["metadata"] == {"m": 2}
    assert r.json()["owner"] == mo.id
    # the container keeps its own name
    assert mo.get(f"/mlcubes/{m['container']['id']}/").json()["name"] == m["container"]["name"]


def test_put_field_errors(f, mo):
    m = f.model(mo, state="DEVELOPMENT")
    n = f.model(mo)
    r = mo.put(f"/models/{m['id']}/", {"name": n["name"]})
    assert r.status_code == 400
    assert r.json() == {"name": ["model with this name already exists."]}
    r = mo.put(f"/models/{m['id']}/", {"state": "X", "is_valid": "maybe"})
    assert r.status_code == 400
    assert r.json() == {"state": ["\"X\" is not a valid choice."],
                        "is_valid": ["Must be a valid boolean."]}
    r = mo.put(f"/models/{m['id']}/", {"name": m["name"]})
    assert r.status_code == 200, "its own name is no clash"
    assert mo.get(f"/mlcubes/{m['container']['id']}/").json()["state"] == "DEVELOPMENT"


def test_put_permissions(f, mo, other, admin, anon):
    m = f.model(mo, state="DEVELOPMENT")
    r = other.put(f"/models/{m['id']}/", {"user_metadata": {"by": "other"}})
    assert r.status_code == 403
    assert r.json() == FORBIDDEN
    assert anon.put(f"/models/{m['id']}/", {"is_valid": True}).status_code == 401
    r = admin.put(f"/models/{m['id']}/", {"user_metadata": {"by": "admin"}})
    assert r.status_code == 200, r.text
    assert r.json()["owner"] == mo.id
    r = mo.put(f"/models/{m['id']}/", {"user_metadata": {"by": "owner"}})
    assert r.status_code == 200, r.text
    r = mo.put(f"/models/{MISSING}/", {"is_valid": True})
    assert r.status_code == 403
    assert r.json() == FORBIDDEN
    r = admin.put(f"/models/{MISSING}/", {"is_valid": True})
    assert r.status_code == 404
    assert r.json() == NOT_FOUND


# ---------------------------------------------------------------- DELETE

def test_delete(f, mo, other, admin):
    m = f.model(mo)
    for client in (mo, other):
        r = client.delete(f"/models/{m['id']}/")
        assert r.status_code == 403
        assert r.json() == FORBIDDEN
    r = admin.delete(f"/models/{m['id']}/")
    assert r.status_code == 204
    assert r.content == b""
    assert mo.get(f"/models/{m['id']}/").status_code == 404
    # the container stays, unwrapped
    cid = m["container"]["id"]
    assert mo.get(f"/mlcubes/{cid}/").json() == m["container"]
    assert mo.get(f"/mlcubes/{cid}/model/").status_code == 404


def test_delete_missing(mo, admin):
    r = admin.delete(f"/models/{MISSING}/")
    assert r.status_code == 404
    assert r.json() == NOT_FOUND
    r = mo.delete(f"/models/{MISSING}/")
    assert r.status_code == 403
    assert r.json() == FORBIDDEN


def test_delete_model_in_use(f, bo, mo, admin):
    b = f.benchmark(bo)
    m = f.model(mo)
    f.model_assoc(mo, m["id"], b["id"])
    # The original raises ProtectedError (HTTP 500); this server answers 409
    # and keeps the row.
    for mid in (b["reference_model"], m["id"]):
        r = admin.delete(f"/models/{mid}/")
        assert r.status_code == 409, r.text
        assert r.json() == {"detail": "Cannot delete: other objects still refer to this one."}
        assert admin.get(f"/models/{mid}/").status_code == 200
