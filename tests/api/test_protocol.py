"""test_protocol.py: the wire conventions every endpoint shares (reference
§1.4, §2.8 and Appendix A §4.1 / §4.5): compact JSON and its headers,
datetimes, trailing slashes, routing errors, methods, media types and body
limits, ignored keys, validation shapes, LimitOffset pagination links,
dictionary fields that never read null, and the OpenAPI document covering
every route of routes.c."""
import json
import os
import re

import pytest
import requests

from factory import Factory, uniq
from server import ROOT, Server

DT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
NOT_FOUND = {"detail": "Not found."}
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}
MIB = 1 << 20


def compact(obj):
    """DRF's rendering: compact separators, UTF-8 kept, U+2028/9 escaped."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def raw(client, method, path, data, content_type="application/json", **kw):
    """A request with a raw body and an explicit Content-Type."""
    headers = {"Content-Type": content_type} if content_type else {}
    return client.request(method, path, data=data, headers=headers, **kw)


@pytest.fixture(scope="module")
def world(f, bo, mo, do):
    """A benchmark world with a finalized result."""
    w = f.world(bo, mo, do)
    b, m, d = w["benchmark"], w["model"], w["dataset"]
    r = do.post("/results/", {"benchmark": b["id"], "model": m["id"], "dataset": d["id"],
                              "name": "run", "results": {}, "metadata": {}})
    assert r.status_code == 201, r.text
    res = r.json()
    r = do.put(f"/results/{res['id']}/", {"results": {"AUC": 0.73}})
    assert r.status_code == 200, r.text
    w["result"] = r.json()
    return w


# ---------------------------------------------------------------------
# JSON rendering and common headers
# ---------------------------------------------------------------------

SECURITY_HEADERS = {
    "Content-Type": "application/json",
    "Vary": "Accept, Origin",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def assert_common_headers(r, allow=None):
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, (name, r.headers)
    if allow is not None:
        assert r.headers.get("Allow") == allow, r.headers


def test_json_is_compact_utf8(f, mo):
    # non-ASCII text stays raw UTF-8; U+2028 is escaped as DRF does; floats as Python repr
    name = uniq("caf\u00e9-\u00fc")
    c = f.mlcube(mo, name=name, state="DEVELOPMENT",
                 parameters_config={"x": 0.73, "y": 1e-07, "z": 1.0, "s": "a\u2028b\"/"})
    r = mo.get(f"/mlcubes/{c['id']}/")
    assert r.status_code == 200
    assert r.text == compact(r.json())
    assert ": " not in r.text and ", " not in r.text
    assert name.encode() in r.content
    assert b'"parameters_config":{"x":0.73,"y":1e-07,"z":1.0,"s":"a\\u2028b\\"/"}' in r.content
    r = mo.get("/mlcubes/?limit=3")
    assert r.status_code == 200 and r.text == compact(r.json())
    r = mo.post("/mlcubes/", {})
    assert r.status_code == 400 and r.text == compact(r.json())
    assert r.text.startswith('{"name":["This field is required."],')


@pytest.mark.parametrize("path, allow", [
    ("/benchmarks/{b}/", "GET, PUT, DELETE, HEAD, OPTIONS"),
    ("/benchmarks/", "GET, POST, HEAD, OPTIONS"),
    ("/benchmarks/{b}/results/", "GET, HEAD, OPTIONS"),
    ("/me/", "GET, HEAD, OPTIONS"),
    ("/models/{m}/benchmarks/{b}/", "GET, PUT, DELETE, HEAD, OPTIONS"),
    ("/datasets/{d}/", "GET, PUT, DELETE, HEAD, OPTIONS"),
    ("/results/{r}/", "GET, PUT, DELETE, HEAD, OPTIONS"),
])
def test_common_headers_and_allow(world, bo, path, allow):
    path = path.format(b=world["benchmark"]["id"], m=world["model"]["id"],
                       d=world["dataset"]["id"], r=world["result"]["id"])
    r = bo.get(path)
    assert r.status_code == 200, r.text
    assert_common_headers(r, allow)


def test_allow_on_post_only_route(admin):
    # /datasets/benchmarks/ has only POST: an admin's GET is a 405 naming it
    r = admin.get("/datasets/benchmarks/")
    assert r.status_code == 405
    assert r.json() == {"detail": "Method \"GET\" not allowed."}
    assert_common_headers(r, "POST, OPTIONS")


def test_headers_on_errors(bo, anon):
    r = bo.get("/benchmarks/999999/")
    assert r.status_code == 404 and r.json() == NOT_FOUND
    assert_common_headers(r, "GET, PUT, DELETE, HEAD, OPTIONS")
    r = anon.get("/benchmarks/")
    assert r.status_code == 401 and r.json() == NO_CREDENTIALS
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert_common_headers(r, "GET, POST, HEAD, OPTIONS")
    r = bo.post("/mlcubes/", {"name": ""})
    assert r.status_code == 400
    assert_common_headers(r, "GET, POST, HEAD, OPTIONS")


# ---------------------------------------------------------------------
# Datetimes
# ---------------------------------------------------------------------

def test_datetimes_format(world, bo, do):
    b = bo.get(f"/benchmarks/{world['benchmark']['id']}/").json()
    assert b["approved_at"] is not None  # approved by the admin through PUT
    for key in ("created_at", "modified_at", "approved_at"):
        assert DT.match(b[key]), (key, b[key])
    res = do.get(f"/results/{world['result']['id']}/").json()
    for key in ("created_at", "modified_at", "finalized_at"):
        assert DT.match(res[key]), (key, res[key])
    assert res["approved_at"] is None
    d = do.get(f"/datasets/{world['dataset']['id']}/").json()
    for key in ("created_at", "modified_at"):
        assert DT.match(d[key]), (key, d[key])
    rows = do.get(f"/datasets/{world['dataset']['id']}/benchmarks/{world['benchmark']['id']}/")
    assert rows.status_code == 200, rows.text
    row = rows.json()[-1]
    assert row["approval_status"] == "APPROVED"
    for key in ("created_at", "modified_at", "approved_at"):
        assert DT.match(row[key]), (key, row[key])
    m = bo.get(f"/models/{world['model']['id']}/").json()
    for obj in (m, m["container"]):
        for key in ("created_at", "modified_at"):
            assert DT.match(obj[key]), (key, obj[key])


# ---------------------------------------------------------------------
# Trailing slash, routing errors, methods
# ---------------------------------------------------------------------

def test_trailing_slash_detail(world, bo, mo, do):
    cases = [
        (bo, f"/benchmarks/{world['benchmark']['id']}"),
        (mo, f"/mlcubes/{world['model']['container']['id']}"),
        (mo, f"/models/{world['model']['id']}"),
        (do, f"/datasets/{world['dataset']['id']}"),
        (do, f"/results/{world['result']['id']}"),
        (do, f"/users/{do.id}"),
        (bo, f"/benchmarks/{world['benchmark']['id']}/results"),
        (bo, "/me"),
    ]
    for client, path in cases:
        with_slash = client.get(path + "/")
        without = client.get(path)
        assert with_slash.status_code == 200, (path, with_slash.text)
        assert without.status_code == 200, (path, without.status_code, without.text)
        assert without.text == with_slash.text, path
        assert without.headers["Content-Type"] == "application/json"


def test_trailing_slash_list(srv, world, bo):
    # served as the slashed URL (the original redirects there), so the links are too
    for path in ("/benchmarks", "/mlcubes", "/models", "/datasets", "/me/mlcubes",
                 f"/benchmarks/{world['benchmark']['id']}/datasets"):
        a, b = bo.get(path + "?limit=1&offset=1"), bo.get(path + "/?limit=1&offset=1")
        assert a.status_code == 200 and b.status_code == 200, path
        assert a.text == b.text, path
        assert list(a.json()) == ["count", "next", "previous", "results"]
        assert a.json()["previous"] == f"https://127.0.0.1:{srv.port}/api/v0{path}/?limit=1"


def test_version_without_and_with_slash(anon):
    for path in ("/version", "/version/"):
        r = anon.get(path)
        assert r.status_code == 200 and r.text == '{"version":"v0"}', path


@pytest.mark.parametrize("path", [
    "/api/v0/nothing/", "/api/v0/benchmarks/1/nothing/", "/api/v1/benchmarks/", "/",
    "/api/v0/", "/api/v0/benchmarks/abc/", "/api/v0/benchmarks/0/", "/api/v0/benchmarks/-1/",
    "/api/v0/benchmarks/1.0/", "/api/v0/benchmarks//", "/api/v0/benchmarks/1x/",
    "/version%00x/", "/api/v0/me/%00/", "/api/v0/benchmarks/%001/",  # %00 never ends a path
])
def test_unknown_route_is_json_404(bo, anon, path):
    # the original answers these with Django's HTML 404; this server answers JSON
    for client in (bo, anon):
        r = client.get(client.server.url + path)
        assert r.status_code == 404, (path, r.status_code, r.text)
        assert r.json() == NOT_FOUND
        assert r.headers["Content-Type"] == "application/json"


def test_unknown_route_other_methods(bo):
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        r = bo.request(method, "/nothing/")
        assert r.status_code == 404 and r.json() == NOT_FOUND, method


def test_patch_not_allowed(world, bo, admin):
    path = f"/benchmarks/{world['benchmark']['id']}/"
    for client in (bo, admin):
        r = client.request("PATCH", path, {"name": "x"})
        assert r.status_code == 405
        assert r.text == '{"detail":"Method \\"PATCH\\" not allowed."}'
        assert_common_headers(r, "GET, PUT, DELETE, HEAD, OPTIONS")
    r = bo.request("PATCH", "/benchmarks/")
    assert r.status_code == 405 and r.json() == {"detail": "Method \"PATCH\" not allowed."}
    assert r.headers["Allow"] == "GET, POST, HEAD, OPTIONS"
    r = bo.request("POST", path, {})
    assert r.status_code == 405 and r.json() == {"detail": "Method \"POST\" not allowed."}
    r = bo.request("PUT", "/benchmarks/", {})
    assert r.status_code == 405 and r.json() == {"detail": "Method \"PUT\" not allowed."}
    r = bo.request("DELETE", "/me/")
    assert r.status_code == 405 and r.json() == {"detail": "Method \"DELETE\" not allowed."}
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_undefined_method_needs_authentication_first(world, anon, srv):
    # DRF authenticates and checks permissions before looking the method up (facts §1.1)
    path = f"/benchmarks/{world['benchmark']['id']}/"
    r = anon.request("PATCH", path)
    assert r.status_code == 401 and r.json() == NO_CREDENTIALS
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    bad = requests.Session()
    r = bad.request("PATCH", srv.url + "/api/v0" + path, verify=srv.cert, timeout=30,
                    headers={"Authorization": "Bearer abc.def.ghi"})
    assert r.status_code == 401
    assert r.json()["code"] == "token_not_valid"
    # a public route has no permission to fail: 405
    r = anon.request("PATCH", "/version")
    assert r.status_code == 405 and r.json() == {"detail": "Method \"PATCH\" not allowed."}


def test_options(world, bo, anon):
    path = f"/benchmarks/{world['benchmark']['id']}/"
    r = bo.request("OPTIONS", path)
    assert r.status_code == 200
    assert_common_headers(r, "GET, PUT, DELETE, HEAD, OPTIONS")
    body = r.json()
    assert isinstance(body, dict)
    assert body["renders"] == ["application/json"] and body["parses"] == ["application/json"]
    assert isinstance(body["name"], str) and body["description"] == ""
    r = bo.request("OPTIONS", "/benchmarks/")
    assert r.status_code == 200 and r.json()["parses"] == ["application/json"]
    assert r.headers["Allow"] == "GET, POST, HEAD, OPTIONS"
    # the permission check comes first, as for every method
    r = anon.request("OPTIONS", path)
    assert r.status_code == 401 and r.json() == NO_CREDENTIALS


def test_head(world, bo):
    path = f"/benchmarks/{world['benchmark']['id']}/"
    g = bo.get(path)
    r = bo.request("HEAD", path)
    assert r.status_code == 200
    assert r.content == b""
    assert_common_headers(r, "GET, PUT, DELETE, HEAD, OPTIONS")
    assert r.headers["Content-Length"] == str(len(g.content))
    r = bo.request("HEAD", "/benchmarks/999999/")
    assert r.status_code == 404 and r.content == b""
    r = bo.request("HEAD", "/benchmarks/")
    assert r.status_code == 200 and r.content == b""


# ---------------------------------------------------------------------
# Request bodies: media types, parse errors, limits
# ---------------------------------------------------------------------

def test_form_body_is_415(f, bo):
    r = raw(bo, "POST", "/mlcubes/", "name=x&image_hash=y",
            "application/x-www-form-urlencoded")
    assert r.status_code == 415
    assert r.text == ('{"detail":"Unsupported media type '
                      '\\"application/x-www-form-urlencoded\\" in request."}')
    r = raw(bo, "POST", "/mlcubes/", json.dumps(f.mlcube_body()), "text/plain")
    assert r.status_code == 415
    assert r.json() == {"detail": "Unsupported media type \"text/plain\" in request."}
    r = raw(bo, "PUT", f"/users/{bo.id}/", '{"metadata":{}}', "multipart/form-data; boundary=x")
    assert r.status_code == 415
    assert r.json() == {"detail": "Unsupported media type "
                                  "\"multipart/form-data; boundary=x\" in request."}


def test_json_with_charset_accepted(f, bo):
    body = f.mlcube_body()
    r = raw(bo, "POST", "/mlcubes/", json.dumps(body).encode(), "application/json; charset=utf-8")
    assert r.status_code == 201, r.text
    assert r.json()["name"] == body["name"]
    r = raw(bo, "POST", "/mlcubes/", json.dumps(f.mlcube_body()).encode(), "Application/JSON")
    assert r.status_code == 201, r.text


# (body, Python's json / codecs message) as DRF reports them: "JSON parse error - " + str(exc)
PARSE_ERRORS = [
    (b"{not json", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    (b"{", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    (b'{"name": "x",}',
     "Expecting property name enclosed in double quotes: line 1 column 14 (char 13)"),
    (b"[1, 2", "Expecting ',' delimiter: line 1 column 6 (char 5)"),
    (b'"unterminated', "Unterminated string starting at: line 1 column 1 (char 0)"),
    (b'{"a":\n  x}', "Expecting value: line 2 column 3 (char 8)"),
    (b"[1,]", "Expecting value: line 1 column 4 (char 3)"),
    (b'{"a":1}}', "Extra data: line 1 column 8 (char 7)"),
    (b'"a\\qb"', "Invalid \\escape: line 1 column 3 (char 2)"),
    (b'"\\u12"', "Invalid \\uXXXX escape: line 1 column 3 (char 2)"),
    # positions count characters, not bytes
    (b'{"caf\xc3\xa9": x}', "Expecting value: line 1 column 10 (char 9)"),
    (b"   ", "Expecting value: line 1 column 4 (char 3)"),
    (b"\xef\xbb\xbf{}", "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"),
    (b"[NaN]", "Out of range float values are not JSON compliant: 'NaN'"),
]


@pytest.mark.parametrize("body, message", PARSE_ERRORS)
def test_malformed_json(bo, body, message):
    # Appendix A §4.5 gives the first one verbatim
    r = raw(bo, "POST", "/mlcubes/", body)
    assert r.status_code == 400
    assert r.json() == {"detail": "JSON parse error - " + message}
    r = raw(bo, "PUT", f"/users/{bo.id}/", body)
    assert r.status_code == 400
    assert r.json() == {"detail": "JSON parse error - " + message}


def test_array_body(bo):
    r = bo.post("/benchmarks/", [1, 2])
    assert r.status_code == 400
    assert r.text == '{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}'
    r = raw(bo, "POST", "/mlcubes/", "42")
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]}
    r = raw(bo, "POST", "/datasets/", '"text"')
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}


UTF8_ERRORS = [
    (b'{"name":"\xff\xfe"}', "byte 0xff in position 9: invalid start byte"),
    (b'{"name":"ab\xc3"}', "byte 0xc3 in position 11: invalid continuation byte"),
    (b'"\xe4\xb8x"', "bytes in position 1-2: invalid continuation byte"),
    (b'{"name":"\xc0\x80"}', "byte 0xc0 in position 9: invalid start byte"),
    (b'{"name":"\xed\xa0\x80"}', "byte 0xed in position 9: invalid continuation byte"),
]


@pytest.mark.parametrize("body, message", UTF8_ERRORS)
def test_invalid_utf8(bo, body, message):
    # DRF decodes with a UTF-8 StreamReader: str(UnicodeDecodeError)
    r = raw(bo, "POST", "/mlcubes/", body)
    assert r.status_code == 400
    assert r.json() == {"detail": "JSON parse error - 'utf-8' codec can't decode " + message}


def test_incomplete_utf8_tail_is_dropped(f, bo):
    # the StreamReader is not final: an incomplete sequence at the very end is left
    # undecoded, so the JSON before it is what gets parsed
    body = json.dumps(f.mlcube_body()).encode()
    r = raw(bo, "POST", "/mlcubes/", body + b"\xe4\xb8")
    assert r.status_code == 201, r.text


def assert_413(r):
    assert r.status_code == 413, (r.status_code, r.text[:200])
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert list(body) == ["detail"] and isinstance(body["detail"], str) and body["detail"]


def test_body_over_default_limit(f, bo, anon):
    for size in (MIB + 1, 2 * MIB, 5 * MIB):
        r = raw(bo, "POST", "/mlcubes/", b" " * size)
        assert_413(r)
        # the server keeps serving, on the same session too
        assert anon.get("/version").status_code == 200
        assert bo.get("/me/").status_code == 200
    # a body of exactly the limit is read (here: padded valid JSON)
    text = json.dumps(f.mlcube_body()).encode()
    r = raw(bo, "POST", "/mlcubes/", text + b" " * (MIB - len(text)))
    assert r.status_code == 201, r.text


def test_chunked_body_over_limit(f, bo, anon):
    def chunks(total, piece=64 * 1024):
        sent = 0
        while sent < total:
            n = min(piece, total - sent)
            sent += n
            yield b" " * n

    r = raw(bo, "POST", "/mlcubes/", chunks(MIB + 64 * 1024))
    assert_413(r)
    assert anon.get("/version").status_code == 200

    def valid():
        yield json.dumps(f.mlcube_body()).encode()
        yield b" " * 1000

    r = raw(bo, "POST", "/mlcubes/", valid())
    assert r.status_code == 201, r.text


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A second server with a 2 KiB body limit that trusts X-Forwarded-*."""
    s = Server.start(tmp_path_factory.mktemp("small"),
                     config={"max_body_bytes": 2048, "trust_forwarded_headers": True})
    yield s
    s.stop()


def test_configured_body_limit(small):
    admin = small.user("admin", admin=True)
    f = Factory(small, admin)
    u = small.user("smalluser")
    text = json.dumps(f.mlcube_body()).encode()
    assert len(text) < 2048
    r = raw(u, "POST", "/mlcubes/", text + b" " * (2048 - len(text)))
    assert r.status_code == 201, r.text
    r = raw(u, "POST", "/mlcubes/", json.dumps(f.mlcube_body()).encode() + b" " * 2048)
    assert_413(r)

    def chunks():
        yield json.dumps(f.mlcube_body()).encode()
        yield b" " * 2048

    r = raw(u, "POST", "/mlcubes/", chunks())
    assert_413(r)
    assert u.get("/me/mlcubes/").json()["count"] == 1


# ---------------------------------------------------------------------
# Ignored keys
# ---------------------------------------------------------------------

def test_unknown_and_readonly_keys_ignored(f, srv, other):
    u = srv.user(uniq("ign"))
    prep, ev = f.mlcube(u)["id"], f.mlcube(u)["id"]
    ref = f.model(u)["id"]
    body = f.benchmark_body(prep, ref, ev, id=99999, owner=other.id,
                            created_at="2000-01-01T00:00:00.000000Z",
                            modified_at="2000-01-01T00:00:00.000000Z",
                            approved_at="2000-01-01T00:00:00.000000Z",
                            approval_status="APPROVED", foo=1, bar={"x": [1]})
    r = u.post("/benchmarks/", body)
    assert r.status_code == 201, r.text
    b = r.json()
    assert b["id"] != 99999 and b["owner"] == u.id
    assert b["approval_status"] == "PENDING" and b["approved_at"] is None
    assert not b["created_at"].startswith("2000") and not b["modified_at"].startswith("2000")
    assert "foo" not in b and "bar" not in b
    # a dataset's state is read-only on POST
    r = u.post("/datasets/", f.dataset_body(prep, state="OPERATION", owner=other.id, id=7,
                                             report={"progress": 1}, foo=[1]))
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["state"] == "DEVELOPMENT" and d["owner"] == u.id and "foo" not in d


def test_cli_pydantic_dumps_accepted(f, srv):
    # what the CLI POSTs: its whole pydantic models, nulls for server-side fields
    u = srv.user(uniq("cli"))
    common = {"id": None, "owner": None, "created_at": None, "modified_at": None,
              "for_test": False, "is_valid": True, "user_metadata": {}}
    r = u.post("/mlcubes/", {**f.mlcube_body(state="DEVELOPMENT"), **common, "metadata": {}})
    assert r.status_code == 201, r.text
    cube = r.json()
    assert cube["owner"] == u.id and isinstance(cube["id"], int)
    r = u.post("/datasets/", {**f.dataset_body(cube["id"]), **common,
                              "state": "DEVELOPMENT", "generated_metadata": {}})
    assert r.status_code == 201, r.text
    assert r.json()["owner"] == u.id
    prep = f.mlcube(u)["id"]
    ref, ev = f.model(u)["id"], f.mlcube(u)["id"]
    body = {**f.benchmark_body(prep, ref, ev), **common, "approval_status": None,
            "approved_at": None, "metadata": {}, "dataset_auto_approval_allow_list": [],
            "model_auto_approval_allow_list": [], "dataset_auto_approval_mode": "NEVER",
            "model_auto_approval_mode": "NEVER", "is_active": True}
    r = u.post("/benchmarks/", body)
    assert r.status_code == 201, r.text
    assert r.json()["owner"] == u.id and r.json()["approval_status"] == "PENDING"


# ---------------------------------------------------------------------
# Validation shapes
# ---------------------------------------------------------------------

MLCUBE_NULLS = {"name": None, "container_config": None, "parameters_config": None,
                "image_hash": None, "additional_files_tarball_url": None,
                "additional_files_tarball_hash": None, "state": None, "is_valid": None,
                "metadata": None, "user_metadata": None}
MAY_NOT_BE_NULL = ["This field may not be null."]
REQUIRED = ["This field is required."]


def test_mlcube_missing_fields(bo):
    # The original also requires parameters_config and additional_files_tarball_hash
    # (unique_together); Appendix A.6 allows accepting them omitted, as this server does.
    r = bo.post("/mlcubes/", {})
    assert r.status_code == 400
    assert r.text == ('{"name":["This field is required."],'
                      '"container_config":["This field is required."],'
                      '"image_hash":["This field is required."]}')


def test_mlcube_nulls(bo):
    r = bo.post("/mlcubes/", MLCUBE_NULLS)
    assert r.status_code == 400
    body = r.json()
    assert list(body) == ["name", "container_config", "image_hash",
                          "additional_files_tarball_url", "additional_files_tarball_hash",
                          "state", "is_valid"]
    assert all(v == MAY_NOT_BE_NULL for v in body.values())


def test_mlcube_wrong_types_long_blank_choice(f, bo):
    r = bo.post("/mlcubes/", f.mlcube_body(name="x" * 129, image_hash="",
                                           additional_files_tarball_url=[1],
                                           additional_files_tarball_hash={"a": 1},
                                           state="FOO", is_valid="maybe"))
    assert r.status_code == 400
    assert r.text == ('{"name":["Ensure this field has no more than 128 characters."],'
                      '"image_hash":["This field may not be blank."],'
                      '"additional_files_tarball_url":["Not a valid string."],'
                      '"additional_files_tarball_hash":["Not a valid string."],'
                      '"state":["\\"FOO\\" is not a valid choice."],'
                      '"is_valid":["Must be a valid boolean."]}')
    r = bo.post("/mlcubes/", f.mlcube_body(name="   ", image_hash="h" * 101, state="operation",
                                           is_valid=2))
    assert r.status_code == 400
    assert r.json() == {"name": ["This field may not be blank."],
                        "image_hash": ["Ensure this field has no more than 100 characters."],
                        "state": ["\"operation\" is not a valid choice."],
                        "is_valid": ["Must be a valid boolean."]}
    r = bo.post("/mlcubes/", f.mlcube_body(additional_files_tarball_url="u" * 257, state=""))
    assert r.status_code == 400
    assert r.json() == {
        "additional_files_tarball_url": ["Ensure this field has no more than 256 characters."],
        "state": ["\"\" is not a valid choice."]}
    # the longest accepted values pass
    r = bo.post("/mlcubes/", f.mlcube_body(name=uniq("n").ljust(128, "n"), image_hash="h" * 100))
    assert r.status_code == 201, r.text


def test_dataset_missing_fields(bo):
    r = bo.post("/datasets/", {})
    assert r.status_code == 400
    assert r.text == ('{"name":["This field is required."],'
                      '"input_data_hash":["This field is required."],'
                      '"generated_uid":["This field is required."],'
                      '"split_seed":["This field is required."],'
                      '"submitted_as_prepared":["This field is required."],'
                      '"data_preparation_mlcube":["This field is required."]}')


def test_dataset_nulls(f, bo):
    keys = ["name", "description", "location", "input_data_hash", "generated_uid", "split_seed",
            "is_valid", "submitted_as_prepared", "data_preparation_mlcube"]
    r = bo.post("/datasets/", {k: None for k in keys})
    assert r.status_code == 400
    assert r.json() == {k: MAY_NOT_BE_NULL for k in keys}
    assert list(r.json()) == keys
    # user_metadata and report are nullable: accepted, and read back as {}
    r = bo.post("/datasets/", f.dataset_body(1, user_metadata=None, report=None))
    assert r.status_code == 201, r.text
    assert r.json()["user_metadata"] == {} and r.json()["report"] == {}


def test_dataset_generated_metadata_not_nullable(f, bo):
    # Dataset.generated_metadata is JSONField(default=dict, blank=True), NOT null
    # (facts §6.3, migration 0005): null is a field error
    r = bo.post("/datasets/", f.dataset_body(1, generated_metadata=None))
    assert r.status_code == 400, r.text
    assert r.json() == {"generated_metadata": MAY_NOT_BE_NULL}


def test_dataset_wrong_types_long_blank(f, bo):
    r = bo.post("/datasets/", f.dataset_body(1, name="", description="d" * 257,
                                             location="l" * 129, split_seed="abc",
                                             is_valid="nah", submitted_as_prepared=[],
                                             data_preparation_mlcube="x"))
    assert r.status_code == 400
    assert r.text == ('{"name":["This field may not be blank."],'
                      '"description":["Ensure this field has no more than 256 characters."],'
                      '"location":["Ensure this field has no more than 128 characters."],'
                      '"split_seed":["A valid integer is required."],'
                      '"is_valid":["Must be a valid boolean."],'
                      '"submitted_as_prepared":["Must be a valid boolean."],'
                      '"data_preparation_mlcube":'
                      '["Incorrect type. Expected pk value, received str."]}')
    r = bo.post("/datasets/", f.dataset_body(999999, split_seed=1.5, input_data_hash=" ",
                                             generated_uid="g" * 129))
    assert r.status_code == 400
    assert r.json() == {
        "input_data_hash": ["This field may not be blank."],
        "generated_uid": ["Ensure this field has no more than 128 characters."],
        "split_seed": ["A valid integer is required."],
        "data_preparation_mlcube": ["Invalid pk \"999999\" - object does not exist."]}
    r = bo.post("/datasets/", f.dataset_body(True, split_seed=True))
    assert r.status_code == 400
    assert r.json() == {
        "split_seed": ["A valid integer is required."],
        "data_preparation_mlcube": ["Incorrect type. Expected pk value, received bool."]}


# ---------------------------------------------------------------------
# Pagination
# ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def five(srv, f):
    """A new user owning exactly 5 containers."""
    u = srv.user(uniq("five"))
    for _ in range(5):
        f.mlcube(u)
    return u


def page(client, query):
    r = client.get("/me/mlcubes/" + query)
    assert r.status_code == 200, r.text
    return r.json()


def test_pagination_links(srv, five):
    base = f"https://127.0.0.1:{srv.port}/api/v0/me/mlcubes/"
    p = page(five, "?limit=2")
    assert list(p) == ["count", "next", "previous", "results"]
    assert p["count"] == 5 and len(p["results"]) == 2
    assert p["next"] == base + "?limit=2&offset=2" and p["previous"] is None
    p = page(five, "?limit=2&offset=2")
    assert p["next"] == base + "?limit=2&offset=4"
    assert p["previous"] == base + "?limit=2"
    p = page(five, "?limit=2&offset=1")
    assert p["next"] == base + "?limit=2&offset=3" and p["previous"] == base + "?limit=2"
    p = page(five, "?limit=2&offset=3")
    assert p["next"] is None  # 3 + 2 >= 5
    assert p["previous"] == base + "?limit=2&offset=1"
    p = page(five, "?offset=4&limit=2")
    assert p["next"] is None and len(p["results"]) == 1
    assert p["previous"] == base + "?limit=2&offset=2"
    p = page(five, "?limit=2&offset=10")
    assert p["results"] == [] and p["next"] is None
    assert p["previous"] == base + "?limit=2&offset=8"
    # pages partition the list in order
    ids = [c["id"] for q in ("?limit=2", "?limit=2&offset=2", "?limit=2&offset=4")
           for c in page(five, q)["results"]]
    assert ids == [c["id"] for c in page(five, "")["results"]] and len(set(ids)) == 5


def test_pagination_keeps_and_sorts_params(srv, five):
    base = f"https://127.0.0.1:{srv.port}/api/v0/mlcubes/"
    r = five.get("/mlcubes/?ordering=-name&limit=1")
    assert r.status_code == 200
    assert r.json()["next"] == base + "?limit=1&offset=1&ordering=-name"
    assert r.json()["previous"] is None
    r = five.get("/mlcubes/?ordering=-name&limit=1&offset=2&is_valid=True")
    assert r.json()["next"] == base + "?is_valid=True&limit=1&offset=3&ordering=-name"
    assert r.json()["previous"] == base + "?is_valid=True&limit=1&offset=1&ordering=-name"
    # unknown params are kept too, values quoted as Python's urlencode does
    r = five.get("/me/mlcubes/", params={"zeta": "a b/c", "limit": "2"})
    me = f"https://127.0.0.1:{srv.port}/api/v0/me/mlcubes/"
    assert r.json()["next"] == me + "?limit=2&offset=2&zeta=a+b%2Fc"


def test_pagination_host_header(srv, five):
    r = five.get("/me/mlcubes/?limit=2&offset=2", headers={"Host": "medperf.example:8443"})
    assert r.status_code == 200
    assert r.json()["next"] == "https://medperf.example:8443/api/v0/me/mlcubes/?limit=2&offset=4"
    assert r.json()["previous"] == "https://medperf.example:8443/api/v0/me/mlcubes/?limit=2"
    # forwarded headers are not trusted by default (trust_forwarded_headers false)
    r = five.get("/me/mlcubes/?limit=2", headers={"X-Forwarded-Host": "evil.example",
                                                 "X-Forwarded-Proto": "http"})
    assert r.json()["next"] == f"https://127.0.0.1:{srv.port}/api/v0/me/mlcubes/?limit=2&offset=2"


def test_pagination_forwarded_headers_when_trusted(small):
    # Appendix A §4.1: Host medperf.example:8443 with X-Forwarded-Proto https
    f = Factory(small, small.user("admin", admin=True))
    u = small.user(uniq("fwd"))
    for _ in range(3):
        f.mlcube(u)
    r = u.get("/me/mlcubes/?limit=2", headers={"X-Forwarded-Host": "medperf.example:8443",
                                              "X-Forwarded-Proto": "https"})
    assert r.status_code == 200
    assert r.json()["next"] == "https://medperf.example:8443/api/v0/me/mlcubes/?limit=2&offset=2"


def test_pagination_bad_values_fall_back(srv, five):
    base = f"https://127.0.0.1:{srv.port}/api/v0/me/mlcubes/"
    full = page(five, "")
    assert full["count"] == 5 and len(full["results"]) == 5
    for q in ("?limit=abc", "?limit=0", "?limit=-3", "?offset=-5", "?offset=abc",
              "?limit=&offset=", "?limit=2.5"):
        p = page(five, q)
        assert p == full, q
    p = page(five, "?limit=5000&offset=1")
    assert len(p["results"]) == 4
    assert p["previous"] == base + "?limit=1000"  # the clamped limit
    p = page(five, "?limit=abc&offset=1")
    assert p["previous"] == base + "?limit=32"


@pytest.fixture(scope="module")
def many(srv, f):
    """A new user owning 1001 containers."""
    u = srv.user(uniq("many"))
    for _ in range(1001):
        f.mlcube(u)
    return u


def test_default_page_size_is_32(srv, many):
    base = f"https://127.0.0.1:{srv.port}/api/v0/me/mlcubes/"
    p = page(many, "")
    assert p["count"] == 1001 and len(p["results"]) == 32
    assert p["next"] == base + "?limit=32&offset=32" and p["previous"] is None
    p = page(many, "?limit=abc")
    assert len(p["results"]) == 32 and p["next"] == base + "?limit=32&offset=32"
    p = page(many, "?offset=-5&limit=0")
    assert len(p["results"]) == 32 and p["next"] == base + "?limit=32&offset=32"
    p = page(many, "?offset=32")
    assert len(p["results"]) == 32
    assert p["next"] == base + "?limit=32&offset=64" and p["previous"] == base + "?limit=32"


def test_limit_clamped_to_max(srv, many):
    base = f"https://127.0.0.1:{srv.port}/api/v0/me/mlcubes/"
    p = page(many, "?limit=5000")
    assert p["count"] == 1001 and len(p["results"]) == 1000
    assert p["next"] == base + "?limit=1000&offset=1000"
    p = page(many, "?limit=1000&offset=1000")
    assert len(p["results"]) == 1 and p["next"] is None
    assert p["previous"] == base + "?limit=1000"
    p = page(many, "?limit=999")
    assert len(p["results"]) == 999 and p["next"] == base + "?limit=999&offset=999"


# ---------------------------------------------------------------------
# Dictionary fields never null
# ---------------------------------------------------------------------

def test_null_metadata_reads_as_empty_dict(f, bo):
    c = f.mlcube(bo, state="DEVELOPMENT", metadata={"a": 1}, user_metadata={"b": 2})
    r = bo.put(f"/mlcubes/{c['id']}/", {"metadata": None, "user_metadata": None,
                                        "parameters_config": None})
    assert r.status_code == 200, r.text
    assert r.json()["metadata"] == {} and r.json()["user_metadata"] == {}
    r = bo.get(f"/mlcubes/{c['id']}/")
    assert '"metadata":{}' in r.text and '"user_metadata":{}' in r.text
    assert r.json()["parameters_config"] is None  # not a dictionary field: stays null
    r = bo.get("/me/mlcubes/?limit=1000")
    mine = [x for x in r.json()["results"] if x["id"] == c["id"]]
    assert mine and mine[0]["metadata"] == {} and mine[0]["user_metadata"] == {}


def test_user_metadata_null_unchanged(srv):
    u = srv.user(uniq("meta"))
    r = u.put(f"/users/{u.id}/", {"metadata": {"k": "v"}})
    assert r.status_code == 200 and r.json()["metadata"] == {"k": "v"}
    r = u.put(f"/users/{u.id}/", {"metadata": None})
    assert r.status_code == 200 and r.json()["metadata"] == {"k": "v"}


# ---------------------------------------------------------------------
# OpenAPI
# ---------------------------------------------------------------------

ROUTE_LINE = re.compile(r'\{\s*"(GET|POST|PUT|DELETE)"\s*,\s*(V\s*)?"(/[^"]*)"')


def routes_c():
    with open(os.path.join(ROOT, "src", "server", "routes.c")) as fh:
        text = fh.read()
    out = []
    for m in ROUTE_LINE.finditer(text):
        method, v, pattern = m.group(1), m.group(2), m.group(3)
        path = ("/api/v0" if v else "") + pattern
        first = path.find("{id}")
        if first >= 0:
            second = path.find("{id}", first + 4)
            if second >= 0:
                path = path[:second] + "{bid}" + path[second + 4:]
        out.append((method, path))
    return out


def test_schema_is_public_openapi(anon):
    r = anon.get("/schema/")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    doc = r.json()
    assert doc["openapi"] == "3.0.3"
    assert isinstance(doc["info"]["title"], str) and doc["info"]["version"] == "v0"
    assert r.text == compact(doc)


def test_schema_lists_every_route(anon):
    doc = anon.get("/schema/").json()
    routes = routes_c()
    assert len(routes) >= 60, f"routes.c parse found only {len(routes)} routes"
    assert ("GET", "/version") in routes
    assert ("GET", "/api/v0/models/{id}/benchmarks/{bid}/") in routes
    missing = [(m, p) for m, p in routes
               if p not in doc["paths"] or m.lower() not in doc["paths"][p]]
    assert missing == []
    # and nothing more than the table
    documented = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    assert documented == set(routes)
    for p, item in doc["paths"].items():
        for m, op in item.items():
            names = [x["name"] for x in op.get("parameters", []) if x["in"] == "path"]
            assert names == re.findall(r"\{(\w+)\}", p), (m, p)
            assert op["responses"], (m, p)
