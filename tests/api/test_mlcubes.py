"""test_mlcubes.py: /mlcubes/ (containers): create with the wire key order and
defaults, the unique name and the unique set (image_hash, tarball hash,
container_config, parameters_config), the additional-files URL/hash pairing,
lists with filters and ordering, detail, PUT with the OPERATION rule and the
re-checked pairing, DELETE (admin only, refused while in use), the seeded
container 1, and the datasets prepared with / the model wrapping a container.

Sources: reference medperf.md 1.4-1.7 and Appendix A; facts sheet 1.2, 1.3,
3, 5, 10 and 12.
"""
import re

from factory import sha, uniq

MLCUBE_KEYS = ["id", "name", "container_config", "parameters_config", "image_hash",
               "additional_files_tarball_url", "additional_files_tarball_hash", "state",
               "is_valid", "metadata", "user_metadata", "created_at", "modified_at", "owner"]
DATASET_FULL_KEYS = ["id", "name", "description", "location", "input_data_hash", "generated_uid",
                     "split_seed", "is_valid", "submitted_as_prepared", "state",
                     "generated_metadata", "user_metadata", "report", "created_at",
                     "modified_at", "owner", "data_preparation_mlcube"]
DT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

FORBIDDEN = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "Not found."}
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}
OP_EDIT = {"non_field_errors": ["User cannot update non editable fields in Operation mode"]}
UNIQUE_SET = {"non_field_errors": ["The fields image_hash, additional_files_tarball_hash, "
                                   "container_config, parameters_config must make a unique set."]}
NEED_HASH = {"non_field_errors": ["Additional files require file hash"]}
NEED_URL = {"non_field_errors": ["Additional files hash was provided without URL"]}
REQUIRED = ["This field is required."]
MISSING = 999999


def fresh(srv):
    """A user of its own, so owner filters see only what a test made."""
    return srv.user(uniq("cubeuser"))


def page(results):
    return {"count": len(results), "next": None, "previous": None, "results": results}


def names(r):
    assert r.status_code == 200, r.text
    return [c["name"] for c in r.json()["results"]]


# ---------------------------------------------------------------- create

def test_create_answers_201_in_wire_order(f, mo):
    body = f.mlcube_body(additional_files_tarball_url="https://example.org/extra.tar.gz",
                         additional_files_tarball_hash=sha(),
                         metadata={"digest": "abc"}, user_metadata={"note": 1},
                         is_valid=True)
    r = mo.post("/mlcubes/", body)
    assert r.status_code == 201, r.text
    c = r.json()
    assert list(c) == MLCUBE_KEYS
    assert isinstance(c["id"], int) and c["id"] > 1
    for k in ("name", "container_config", "parameters_config", "image_hash",
              "additional_files_tarball_url", "additional_files_tarball_hash", "state",
              "metadata", "user_metadata"):
        assert c[k] == body[k], k
    assert c["is_valid"] is True
    assert c["owner"] == mo.id
    assert DT.match(c["created_at"]) and DT.match(c["modified_at"]), r.text
    assert r.headers["Content-Type"] == "application/json"
    # compact JSON, dictionaries as sent
    assert ('"container_config":{"image":"%s","tasks":{"infer":{}}},"parameters_config":{"batch":1},'
            % body["container_config"]["image"]) in r.text
    g = mo.get(f"/mlcubes/{c['id']}/")
    assert g.status_code == 200
    assert g.text == r.text


def test_create_defaults(mo):
    body = {"name": uniq("cube"), "container_config": {"image": uniq("img")},
            "parameters_config": None, "image_hash": "sha256:" + sha(),
            "additional_files_tarball_hash": ""}
    r = mo.post("/mlcubes/", body)
    assert r.status_code == 201, r.text
    c = r.json()
    assert {k: c[k] for k in MLCUBE_KEYS[2:11]} == {
        "container_config": body["container_config"], "parameters_config": None,
        "image_hash": body["image_hash"], "additional_files_tarball_url": "",
        "additional_files_tarball_hash": "", "state": "DEVELOPMENT", "is_valid": True,
        "metadata": {}, "user_metadata": {}}


def test_create_ignores_read_only_and_unknown_keys(f, mo, other):
    body = f.mlcube_body(id=MISSING, owner=other.id, created_at="2001-01-01T00:00:00Z",
                         modified_at=None, for_test=False, foo=1)
    r = mo.post("/mlcubes/", body)
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["id"] != MISSING and c["owner"] == mo.id
    assert not c["created_at"].startswith("2001")
    assert list(c) == MLCUBE_KEYS


def test_create_with_omitted_tarball_keys_is_accepted(mo):
    # The original makes all four unique-set fields required on POST; the
    # reference (A.6) calls accepting an omitted key harmless, and this server
    # does: the omitted hash reads "" and the omitted parameters_config null.
    r = mo.post("/mlcubes/", {"name": uniq("cube"), "container_config": {"image": uniq("i")},
                              "image_hash": "sha256:" + sha()})
    assert r.status_code == 201, r.text
    assert r.json()["additional_files_tarball_hash"] == ""
    assert r.json()["parameters_config"] is None


def test_create_required_fields(mo):
    r = mo.post("/mlcubes/", {"parameters_config": None, "additional_files_tarball_hash": ""})
    assert r.status_code == 400
    assert r.json() == {"name": REQUIRED, "container_config": REQUIRED, "image_hash": REQUIRED}
    assert list(r.json()) == ["name", "container_config", "image_hash"]


def test_create_field_errors(f, mo):
    r = mo.post("/mlcubes/", f.mlcube_body(image_hash=""))
    assert r.status_code == 400
    assert r.json() == {"image_hash": ["This field may not be blank."]}

    r = mo.post("/mlcubes/", f.mlcube_body(image_hash="x" * 101))
    assert r.status_code == 400
    assert r.json() == {"image_hash": ["Ensure this field has no more than 100 characters."]}

    r = mo.post("/mlcubes/", f.mlcube_body(name="n" * 129))
    assert r.status_code == 400
    assert r.json() == {"name": ["Ensure this field has no more than 128 characters."]}

    r = mo.post("/mlcubes/", f.mlcube_body(container_config=None, state="FOO", is_valid="maybe"))
    assert r.status_code == 400
    assert r.json() == {"container_config": ["This field may not be null."],
                        "state": ["\"FOO\" is not a valid choice."],
                        "is_valid": ["Must be a valid boolean."]}


def test_create_body_must_be_an_object(mo):
    r = mo.post("/mlcubes/", [1, 2])
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


def test_create_requires_authentication(f, anon):
    r = anon.post("/mlcubes/", f.mlcube_body())
    assert r.status_code == 401
    assert r.json() == NO_CREDENTIALS


def test_duplicate_name(f, mo, other):
    c = f.mlcube(mo)
    r = other.post("/mlcubes/", f.mlcube_body(name=c["name"]))
    assert r.status_code == 400
    assert r.json() == {"name": ["ml cube with this name already exists."]}


# ---------------------------------------------------------------- unique set

def test_unique_set(f, mo, other):
    c = f.mlcube(mo)
    same = {k: c[k] for k in ("image_hash", "additional_files_tarball_url",
                              "additional_files_tarball_hash", "container_config",
                              "parameters_config")}
    r = other.post("/mlcubes/", f.mlcube_body(**same))
    assert r.status_code == 400
    assert r.json() == UNIQUE_SET
    # a different state or owner does not make the set different
    r = mo.post("/mlcubes/", f.mlcube_body(state="DEVELOPMENT", **same))
    assert r.status_code == 400
    assert r.json() == UNIQUE_SET


def test_unique_set_with_tarball(f, mo):
    url, h = "https://example.org/a.tar.gz", sha()
    c = f.mlcube(mo, additional_files_tarball_url=url, additional_files_tarball_hash=h)
    keep = {k: c[k] for k in ("image_hash", "container_config", "parameters_config")}
    r = mo.post("/mlcubes/", f.mlcube_body(additional_files_tarball_url="https://other/b",
                                           additional_files_tarball_hash=h, **keep))
    assert r.status_code == 400, "the URL is not part of the set"
    assert r.json() == UNIQUE_SET
    r = mo.post("/mlcubes/", f.mlcube_body(additional_files_tarball_url=url,
                                           additional_files_tarball_hash=sha(), **keep))
    assert r.status_code == 201, r.text


def test_unique_set_differs_in_any_member(f, mo):
    c = f.mlcube(mo)
    base = {k: c[k] for k in ("image_hash", "container_config", "parameters_config")}
    for change in ({"image_hash": "sha256:" + sha()},
                   {"container_config": {"image": "other:1"}},
                   {"parameters_config": {"batch": 2}},
                   {"parameters_config": [1]}):
        body = f.mlcube_body(**dict(base, **change))
        r = mo.post("/mlcubes/", body)
        assert r.status_code == 201, (change, r.text)


def test_unique_set_skipped_when_parameters_config_is_null(f, mo, other):
    body = f.mlcube_body(parameters_config=None)
    a = mo.post("/mlcubes/", body)
    assert a.status_code == 201, a.text
    body["name"] = uniq("cube")
    b = other.post("/mlcubes/", body)
    assert b.status_code == 201, b.text
    assert b.json()["parameters_config"] is None
    assert a.json()["id"] != b.json()["id"]


def test_unique_set_compares_parsed_json(f, mo):
    c = f.mlcube(mo, container_config={"image": uniq("img"), "tasks": {"infer": {"a": [1, 2]}}},
                 parameters_config={"x": 1, "y": "z"})
    # the same values written with other spacing: still the same set
    raw = ('{"name": "%s", "image_hash": "%s", "additional_files_tarball_url": "",'
           ' "additional_files_tarball_hash": "", "container_config": {"image" : "%s",'
           '  "tasks" : {"infer":{ "a" : [ 1 , 2 ] }}}, "parameters_config": {"x": 1, "y": "z"}}'
           % (uniq("cube"), c["image_hash"], c["container_config"]["image"]))
    r = mo.post("/mlcubes/", data=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json() == UNIQUE_SET


def test_unique_set_key_order_matters_as_on_sqlite(f, mo):
    # The original stores JSONField values as json.dumps text on SQLite and its
    # exact lookup (UniqueTogetherValidator and the unique index) compares that
    # text, so the same dictionary with its keys in another order is a
    # different set there: it is accepted. This server stores compact JSON
    # keeping key order and compares the text the same way.
    c = f.mlcube(mo, container_config={"image": uniq("img"), "tasks": {"infer": {}}},
                 parameters_config={"x": 1, "y": 2})
    swapped = {"tasks": {"infer": {}}, "image": c["container_config"]["image"]}
    r = mo.post("/mlcubes/", f.mlcube_body(image_hash=c["image_hash"],
                                           container_config=swapped,
                                           parameters_config={"x": 1, "y": 2}))
    assert r.status_code == 201, r.text
    assert list(r.json()["container_config"]) == ["tasks", "image"]
    r = mo.post("/mlcubes/", f.mlcube_body(image_hash=c["image_hash"],
                                           container_config=c["container_config"],
                                           parameters_config={"y": 2, "x": 1}))
    assert r.status_code == 201, r.text
    assert r.text.find('"parameters_config":{"y":2,"x":1}') > 0


def test_field_errors_come_before_the_unique_set(f, mo):
    c = f.mlcube(mo)
    body = {k: c[k] for k in ("name", "image_hash", "additional_files_tarball_url",
                              "additional_files_tarball_hash", "container_config",
                              "parameters_config")}
    r = mo.post("/mlcubes/", body)
    assert r.status_code == 400
    assert r.json() == {"name": ["ml cube with this name already exists."]}


def test_unique_set_comes_before_the_pairing_check(f, mo):
    c = f.mlcube(mo)
    body = f.mlcube_body(image_hash=c["image_hash"], container_config=c["container_config"],
                         parameters_config=c["parameters_config"],
                         additional_files_tarball_url="https://example.org/x.tar.gz")
    r = mo.post("/mlcubes/", body)
    assert r.status_code == 400
    assert r.json() == UNIQUE_SET


# ---------------------------------------------------------------- URL/hash pairing

def test_url_without_hash(f, mo):
    r = mo.post("/mlcubes/", f.mlcube_body(additional_files_tarball_url="https://e.org/x",
                                           additional_files_tarball_hash=""))
    assert r.status_code == 400
    assert r.json() == NEED_HASH


def test_hash_without_url(f, mo):
    r = mo.post("/mlcubes/", f.mlcube_body(additional_files_tarball_url="",
                                           additional_files_tarball_hash=sha()))
    assert r.status_code == 400
    assert r.json() == NEED_URL


def test_url_with_hash(f, mo):
    r = mo.post("/mlcubes/", f.mlcube_body(additional_files_tarball_url="https://e.org/x",
                                           additional_files_tarball_hash=sha()))
    assert r.status_code == 201, r.text


# ---------------------------------------------------------------- lists

def test_list_filters(f, srv):
    u = fresh(srv)
    a = f.mlcube(u)
    b = f.mlcube(u, state="DEVELOPMENT")
    c = f.mlcube(u, is_valid=False)
    r = u.get(f"/mlcubes/?owner={u.id}")
    assert r.status_code == 200
    assert r.json() == page([a, b, c])
    assert names(u.get(f"/mlcubes/?owner={u.id}&state=DEVELOPMENT")) == [b["name"]]
    assert names(u.get(f"/mlcubes/?owner={u.id}&state=OPERATION")) == [a["name"], c["name"]]
    assert names(u.get(f"/mlcubes/?owner={u.id}&is_valid=False")) == [c["name"]]
    assert names(u.get(f"/mlcubes/?owner={u.id}&is_valid=true")) == [a["name"], b["name"]]
    # an invalid boolean is ignored
    assert names(u.get(f"/mlcubes/?owner={u.id}&is_valid=maybe")) == [a["name"], b["name"],
                                                                       c["name"]]
    # name is exact, and anyone may list anyone's containers
    r = srv.user("other").get(f"/mlcubes/?name={b['name']}")
    assert r.json() == page([b])
    assert u.get(f"/mlcubes/?name={b['name'][:-1]}").json()["count"] == 0
    # unknown parameters are ignored
    assert names(u.get(f"/mlcubes/?owner={u.id}&image_hash=x&foo=1")) == [a["name"], b["name"],
                                                                          c["name"]]


def test_list_filter_errors(mo):
    r = mo.get("/mlcubes/?state=FOO")
    assert r.status_code == 400
    assert r.json() == {"state": ["Select a valid choice. FOO is not one of the available choices."]}
    r = mo.get(f"/mlcubes/?owner={MISSING}")
    assert r.status_code == 400
    assert r.json() == {"owner": ["Select a valid choice. That choice is not one of the "
                                  "available choices."]}
    r = mo.get("/mlcubes/?owner=abc")
    assert r.status_code == 400
    assert r.json() == {"owner": ["Select a valid choice. That choice is not one of the "
                                  "available choices."]}


def test_list_pagination(f, srv):
    u = fresh(srv)
    made = [f.mlcube(u) for _ in range(3)]
    r = u.get(f"/mlcubes/?owner={u.id}&limit=2")
    body = r.json()
    assert body["count"] == 3
    assert body["results"] == made[:2]
    assert body["previous"] is None
    assert body["next"] == f"{srv.url}/api/v0/mlcubes/?limit=2&offset=2&owner={u.id}"
    r = u.get(f"/mlcubes/?owner={u.id}&limit=2&offset=2")
    assert r.json()["results"] == made[2:]
    assert r.json()["next"] is None


def test_list_ordering(f, srv):
    u = fresh(srv)
    b = f.mlcube(u, name=uniq("bb"))
    a = f.mlcube(u, name=uniq("aa"))
    c = f.mlcube(u, name=uniq("cc"))
    q = f"/mlcubes/?owner={u.id}"
    # default: modified_at ascending
    assert names(u.get(q)) == [b["name"], a["name"], c["name"]]
    assert names(u.get(q + "&ordering=name")) == [a["name"], b["name"], c["name"]]
    assert names(u.get(q + "&ordering=-name")) == [c["name"], b["name"], a["name"]]
    assert names(u.get(q + "&ordering=-created_at")) == [c["name"], a["name"], b["name"]]
    assert names(u.get(q + "&ordering=-id")) == [c["name"], a["name"], b["name"]]
    # unknown terms are dropped; with none left the default order applies
    assert names(u.get(q + "&ordering=bogus")) == [b["name"], a["name"], c["name"]]
    assert names(u.get(q + "&ordering=bogus,-name")) == [c["name"], b["name"], a["name"]]
    # a PUT moves a container to the end of the default order
    r = u.put(f"/mlcubes/{b['id']}/", {"user_metadata": {"touched": True}})
    assert r.status_code == 200, r.text
    assert names(u.get(q)) == [a["name"], c["name"], b["name"]]


def test_list_requires_authentication(anon):
    r = anon.get("/mlcubes/")
    assert r.status_code == 401
    assert r.json() == NO_CREDENTIALS


# ---------------------------------------------------------------- detail

def test_detail(f, mo, other):
    c = f.mlcube(mo)
    r = other.get(f"/mlcubes/{c['id']}/")
    assert r.status_code == 200
    assert r.json() == c
    assert list(r.json()) == MLCUBE_KEYS


def test_detail_missing(mo, admin):
    for client in (mo, admin):
        r = client.get(f"/mlcubes/{MISSING}/")
        assert r.status_code == 404
        assert r.json() == NOT_FOUND


def test_seeded_ca_container(mo):
    r = mo.get("/mlcubes/1/")
    assert r.status_code == 200
    c = r.json()
    assert list(c) == MLCUBE_KEYS
    assert c["id"] == 1 and c["name"] == "MedPerf CA"
    assert c["state"] == "OPERATION" and c["is_valid"] is True
    assert c["owner"] == 1
    assert c["parameters_config"] is None
    assert c["additional_files_tarball_url"] == "" and c["additional_files_tarball_hash"] == ""
    assert c["metadata"] == {} and c["user_metadata"] == {}
    assert c["container_config"]["image"] == "mlcommons/medperf-test-ca:0.0.2"
    assert sorted(c["container_config"]["tasks"]) == ["get_client_cert", "get_server_cert",
                                                      "trust", "verify_cert"]
    assert c["image_hash"] != ""
    r = mo.get("/mlcubes/?name=MedPerf%20CA")
    assert r.json()["count"] == 1 and r.json()["results"][0] == c
    # user 1 owns it: nobody else may edit it
    r = mo.put("/mlcubes/1/", {"user_metadata": {"x": 1}})
    assert r.status_code == 403
    assert r.json() == FORBIDDEN


# ---------------------------------------------------------------- PUT

def test_put_permissions(f, mo, other, admin, anon):
    c = f.mlcube(mo, state="DEVELOPMENT")
    r = other.put(f"/mlcubes/{c['id']}/", {"user_metadata": {"by": "other"}})
    assert r.status_code == 403
    assert r.json() == FORBIDDEN
    r = anon.put(f"/mlcubes/{c['id']}/", {"user_metadata": {"by": "anon"}})
    assert r.status_code == 401
    r = mo.put(f"/mlcubes/{c['id']}/", {"user_metadata": {"by": "owner"}})
    assert r.status_code == 200, r.text
    assert list(r.json()) == MLCUBE_KEYS
    assert r.json()["user_metadata"] == {"by": "owner"}
    r = admin.put(f"/mlcubes/{c['id']}/", {"user_metadata": {"by": "admin"}})
    assert r.status_code == 200, r.text
    assert r.json()["owner"] == mo.id, "an admin edit keeps the owner"
    assert mo.get(f"/mlcubes/{c['id']}/").json()["user_metadata"] == {"by": "admin"}


def test_put_missing(mo, admin):
    r = mo.put(f"/mlcubes/{MISSING}/", {"is_valid": False})
    assert r.status_code == 403
    assert r.json() == FORBIDDEN
    r = admin.put(f"/mlcubes/{MISSING}/", {"is_valid": False})
    assert r.status_code == 404
    assert r.json() == NOT_FOUND


def test_put_operation_editable_fields(f, mo):
    c = f.mlcube(mo, additional_files_tarball_url="https://e.org/1",
                 additional_files_tarball_hash=sha())
    r = mo.put(f"/mlcubes/{c['id']}/", {"is_valid": False, "user_metadata": {"k": [1]},
                                        "additional_files_tarball_url": "https://e.org/2"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["is_valid"] is False and got["user_metadata"] == {"k": [1]}
    assert got["additional_files_tarball_url"] == "https://e.org/2"
    assert {k: got[k] for k in MLCUBE_KEYS if k not in (
        "is_valid", "user_metadata", "additional_files_tarball_url", "modified_at")} == \
        {k: c[k] for k in MLCUBE_KEYS if k not in (
            "is_valid", "user_metadata", "additional_files_tarball_url", "modified_at")}
    assert mo.get(f"/mlcubes/{c['id']}/").json() == got


def test_put_operation_same_values_accepted(f, mo):
    c = f.mlcube(mo)
    same = {k: c[k] for k in ("name", "container_config", "parameters_config", "image_hash",
                              "additional_files_tarball_hash", "state", "metadata")}
    r = mo.put(f"/mlcubes/{c['id']}/", same)
    assert r.status_code == 200, r.text
    # read-only and unknown keys are dropped, not compared
    r = mo.put(f"/mlcubes/{c['id']}/", {"owner": MISSING, "id": 5, "created_at": None,
                                        "foo": "bar"})
    assert r.status_code == 200, r.text
    assert r.json()["owner"] == mo.id and r.json()["id"] == c["id"]


def test_put_operation_non_editable_fields(f, mo, admin):
    c = f.mlcube(mo, additional_files_tarball_url="https://e.org/1",
                 additional_files_tarball_hash=sha())
    for change in ({"name": uniq("renamed")},
                   {"container_config": {"image": "changed"}},
                   {"parameters_config": {"batch": 9}},
                   {"parameters_config": None},
                   {"image_hash": "sha256:" + sha()},
                   {"additional_files_tarball_hash": sha()},
                   {"state": "DEVELOPMENT"},
                   {"metadata": {"m": 1}},
                   {"is_valid": False, "name": uniq("also")}):
        for client in (mo, admin):
            r = client.put(f"/mlcubes/{c['id']}/", change)
            assert r.status_code == 400, (change, r.text)
            assert r.json() == OP_EDIT, change
    assert mo.get(f"/mlcubes/{c['id']}/").json() == c


def test_put_operation_rule_comes_before_pairing(f, mo):
    c = f.mlcube(mo)  # no URL, no hash
    r = mo.put(f"/mlcubes/{c['id']}/", {"additional_files_tarball_hash": sha()})
    assert r.status_code == 400
    assert r.json() == OP_EDIT


def test_put_pairing_uses_merged_values(f, mo):
    h = sha()
    c = f.mlcube(mo, additional_files_tarball_url="https://e.org/1",
                 additional_files_tarball_hash=h)
    r = mo.put(f"/mlcubes/{c['id']}/", {"additional_files_tarball_url": ""})
    assert r.status_code == 400
    assert r.json() == NEED_URL
    assert mo.get(f"/mlcubes/{c['id']}/").json()["additional_files_tarball_url"] == \
        "https://e.org/1"

    d = f.mlcube(mo, state="DEVELOPMENT")
    r = mo.put(f"/mlcubes/{d['id']}/", {"additional_files_tarball_url": "https://e.org/u"})
    assert r.status_code == 400
    assert r.json() == NEED_HASH
    r = mo.put(f"/mlcubes/{d['id']}/", {"additional_files_tarball_hash": sha()})
    assert r.status_code == 400
    assert r.json() == NEED_URL
    r = mo.put(f"/mlcubes/{d['id']}/", {"additional_files_tarball_url": "https://e.org/u",
                                        "additional_files_tarball_hash": h})
    assert r.status_code == 200, r.text
    # then either alone may change, the other is taken from the row
    r = mo.put(f"/mlcubes/{d['id']}/", {"additional_files_tarball_hash": sha()})
    assert r.status_code == 200, r.text
    r = mo.put(f"/mlcubes/{d['id']}/", {"additional_files_tarball_hash": ""})
    assert r.status_code == 400
    assert r.json() == NEED_HASH
    r = mo.put(f"/mlcubes/{d['id']}/", {"additional_files_tarball_url": "",
                                        "additional_files_tarball_hash": ""})
    assert r.status_code == 200, r.text


def test_put_development_edits_everything(f, mo):
    c = f.mlcube(mo, state="DEVELOPMENT")
    change = {"name": uniq("renamed"), "container_config": {"image": uniq("new")},
              "parameters_config": [1, 2], "image_hash": "sha256:" + sha(),
              "additional_files_tarball_url": "https://e.org/t",
              "additional_files_tarball_hash": sha(), "is_valid": False,
              "metadata": {"m": 1}, "user_metadata": {"u": 2}}
    r = mo.put(f"/mlcubes/{c['id']}/", change)
    assert r.status_code == 200, r.text
    got = r.json()
    assert list(got) == MLCUBE_KEYS
    for k, v in change.items():
        assert got[k] == v, k
    assert got["state"] == "DEVELOPMENT" and got["created_at"] == c["created_at"]
    r = mo.put(f"/mlcubes/{c['id']}/", {"state": "OPERATION"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "OPERATION"
    # OPERATION is a latch: state is no longer editable
    r = mo.put(f"/mlcubes/{c['id']}/", {"state": "DEVELOPMENT"})
    assert r.status_code == 400
    assert r.json() == OP_EDIT


def test_put_field_errors(f, mo):
    c = f.mlcube(mo, state="DEVELOPMENT")
    other = f.mlcube(mo)
    r = mo.put(f"/mlcubes/{c['id']}/", {"name": other["name"]})
    assert r.status_code == 400
    assert r.json() == {"name": ["ml cube with this name already exists."]}
    r = mo.put(f"/mlcubes/{c['id']}/", {"name": c["name"]})
    assert r.status_code == 200, "its own name is no clash"
    c = r.json()
    r = mo.put(f"/mlcubes/{c['id']}/", {"image_hash": "", "state": "BAD"})
    assert r.status_code == 400
    assert r.json() == {"image_hash": ["This field may not be blank."],
                        "state": ["\"BAD\" is not a valid choice."]}
    r = mo.put(f"/mlcubes/{c['id']}/", {"container_config": None})
    assert r.status_code == 400
    assert r.json() == {"container_config": ["This field may not be null."]}
    assert mo.get(f"/mlcubes/{c['id']}/").json() == c


def test_put_unique_set(f, mo):
    a = f.mlcube(mo)
    b = f.mlcube(mo, state="DEVELOPMENT", container_config=a["container_config"],
                 parameters_config=a["parameters_config"])
    r = mo.put(f"/mlcubes/{b['id']}/", {"image_hash": a["image_hash"]})
    assert r.status_code == 400
    assert r.json() == UNIQUE_SET


def test_put_unique_set_comes_before_the_operation_rule(f, mo):
    # class validators (UniqueTogetherValidator) run before validate(), where
    # the OPERATION rule lives
    a = f.mlcube(mo)
    b = f.mlcube(mo, container_config=a["container_config"],
                 parameters_config=a["parameters_config"])
    r = mo.put(f"/mlcubes/{b['id']}/", {"image_hash": a["image_hash"]})
    assert r.status_code == 400
    assert r.json() == UNIQUE_SET
    r = mo.put(f"/mlcubes/{b['id']}/", {"image_hash": "sha256:" + sha()})
    assert r.status_code == 400
    assert r.json() == OP_EDIT


def test_put_operation_same_dictionary_in_another_key_order(f, mo):
    # the rule compares with Python ==, for which key order does not matter;
    # the value sent is then stored as sent
    c = f.mlcube(mo, container_config={"image": uniq("img"), "tasks": {"infer": {}}})
    reordered = {"tasks": {"infer": {}}, "image": c["container_config"]["image"]}
    r = mo.put(f"/mlcubes/{c['id']}/", {"container_config": reordered})
    assert r.status_code == 200, r.text
    assert list(r.json()["container_config"]) == ["tasks", "image"]


def test_put_operation_same_number_written_as_float(f, mo):
    # Python: {"batch": 1} == {"batch": 1.0}, so the original accepts this
    c = f.mlcube(mo, parameters_config={"batch": 1, "lr": 0.5})
    r = mo.put(f"/mlcubes/{c['id']}/", {"parameters_config": {"batch": 1.0, "lr": 0.5}})
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------- DELETE

def test_delete_is_admin_only(f, mo, other, admin):
    c = f.mlcube(mo)
    for client in (mo, other):
        r = client.delete(f"/mlcubes/{c['id']}/")
        assert r.status_code == 403
        assert r.json() == FORBIDDEN
    r = admin.delete(f"/mlcubes/{c['id']}/")
    assert r.status_code == 204
    assert r.content == b""
    r = mo.get(f"/mlcubes/{c['id']}/")
    assert r.status_code == 404
    assert mo.get(f"/mlcubes/?name={c['name']}").json()["count"] == 0


def test_delete_missing(mo, admin):
    r = admin.delete(f"/mlcubes/{MISSING}/")
    assert r.status_code == 404
    assert r.json() == NOT_FOUND
    r = mo.delete(f"/mlcubes/{MISSING}/")
    assert r.status_code == 403
    assert r.json() == FORBIDDEN


def _delete_refused(admin, cube_id):
    # The original raises ProtectedError here (HTTP 500); this server answers
    # 409 and keeps the row.
    r = admin.delete(f"/mlcubes/{cube_id}/")
    assert r.status_code == 409, r.text
    assert r.json() == {"detail": "Cannot delete: other objects still refer to this one."}
    assert admin.get(f"/mlcubes/{cube_id}/").status_code == 200


def test_delete_container_used_by_a_benchmark(f, bo, admin):
    b = f.benchmark(bo)
    _delete_refused(admin, b["data_preparation_mlcube"])
    _delete_refused(admin, b["data_evaluator_mlcube"])


def test_delete_container_used_by_a_dataset(f, mo, do, admin):
    c = f.mlcube(mo)
    f.dataset(do, c["id"], operational=False)
    _delete_refused(admin, c["id"])


def test_delete_container_wrapped_by_a_model(f, mo, admin):
    m = f.model(mo)
    _delete_refused(admin, m["container"]["id"])


# ---------------------------------------------------------------- /mlcubes/{id}/datasets/

def test_datasets_of_a_container(f, srv, do, do2, other, admin):
    owner = fresh(srv)
    c = f.mlcube(owner)
    unrelated = f.mlcube(owner)
    d1 = f.dataset(do, c["id"], report={"progress": 40})
    d2 = f.dataset(do2, c["id"], operational=False)
    f.dataset(do, unrelated["id"])
    for client in (owner, admin):
        r = client.get(f"/mlcubes/{c['id']}/datasets/")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["count"] == 2 and body["next"] is None and body["previous"] is None
        assert [list(d) for d in body["results"]] == [DATASET_FULL_KEYS] * 2
        got = {d["id"]: d for d in body["results"]}
        assert got[d1["id"]]["report"] == {"progress": 40}
        assert got[d1["id"]]["owner"] == do.id and got[d2["id"]]["owner"] == do2.id
        assert got[d2["id"]]["state"] == "DEVELOPMENT"
        assert [d["id"] for d in body["results"]] == [d1["id"], d2["id"]]
    # the full record equals what the dataset owner sees
    assert owner.get(f"/mlcubes/{c['id']}/datasets/").json()["results"][0] == \
        do.get(f"/datasets/{d1['id']}/").json()
    r = owner.get(f"/mlcubes/{c['id']}/datasets/?limit=1")
    assert r.json()["count"] == 2 and len(r.json()["results"]) == 1
    assert r.json()["next"] is not None
    # no filters on this list
    r = owner.get(f"/mlcubes/{c['id']}/datasets/?name={d1['name']}&owner={do2.id}")
    assert r.json()["count"] == 2


def test_datasets_of_a_container_permissions(f, srv, do, other, admin):
    owner = fresh(srv)
    c = f.mlcube(owner)
    f.dataset(do, c["id"])
    for client in (do, other):  # the dataset owner is not the container owner
        r = client.get(f"/mlcubes/{c['id']}/datasets/")
        assert r.status_code == 403
        assert r.json() == FORBIDDEN
    r = owner.get(f"/mlcubes/{MISSING}/datasets/")
    assert r.status_code == 403
    assert r.json() == FORBIDDEN
    r = admin.get(f"/mlcubes/{MISSING}/datasets/")
    assert r.status_code == 200
    assert r.json() == page([])
    e = f.mlcube(owner)
    r = owner.get(f"/mlcubes/{e['id']}/datasets/")
    assert r.status_code == 200 and r.json() == page([])


# ---------------------------------------------------------------- /mlcubes/{id}/model/

def test_model_of_a_container(f, mo, other):
    m = f.model(mo)
    cid = m["container"]["id"]
    r = other.get(f"/mlcubes/{cid}/model/")
    assert r.status_code == 200, r.text
    assert r.json() == m
    assert r.text == mo.get(f"/models/{m['id']}/").text


def test_model_of_a_container_none_or_missing(f, mo):
    c = f.mlcube(mo)
    for path in (f"/mlcubes/{c['id']}/model/", f"/mlcubes/{MISSING}/model/", "/mlcubes/1/model/"):
        r = mo.get(path)
        assert r.status_code == 404, path
        assert r.json() == NOT_FOUND
