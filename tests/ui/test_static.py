"""test_static.py: the web UI as medperf-server serves it under /ui/ (issue 7):
every file of ui/ embedded and served byte for byte with its content type,
the security headers (a strict Content-Security-Policy, nosniff) on every
/ui/ answer, 404 for unknown paths and for every traversal attempt, 405 for
other methods, and the API answering exactly as before.

Browser tests (Playwright driving Chromium) are pending: see docs/ui.md.
"""
import os
import re

import pytest

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8"}
BUILD_FILES = {"embed.py", "meson.build"}


def ui_files(ui_dir):
    """Every file of ui/ that the UI is made of (paths relative to ui/)."""
    out = []
    for base, _, names in os.walk(ui_dir):
        for n in names:
            rel = os.path.relpath(os.path.join(base, n), ui_dir).replace(os.sep, "/")
            if rel not in BUILD_FILES and "__pycache__" not in rel:
                out.append(rel)
    return sorted(out)


def assert_secure(headers):
    assert headers["content-security-policy"] == CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in headers


def test_every_file_is_listed_for_embedding(ui_dir):
    with open(os.path.join(ui_dir, "meson.build")) as f:
        listed = set(re.findall(r"'([^']+\.(?:html|css|js))'", f.read()))
    assert listed == set(ui_files(ui_dir))


def test_every_file_served_byte_for_byte(raw, ui_dir):
    files = ui_files(ui_dir)
    assert "index.html" in files and "js/app.js" in files
    for rel in files:
        status, headers, body = raw("GET", "/ui/" + rel)
        assert status == 200, rel
        with open(os.path.join(ui_dir, rel), "rb") as f:
            assert body == f.read(), rel
        assert headers["content-type"] == TYPES[os.path.splitext(rel)[1]], rel
        assert_secure(headers)


def test_index_at_the_folder_and_redirect(raw, ui_dir):
    status, headers, body = raw("GET", "/ui/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    with open(os.path.join(ui_dir, "index.html"), "rb") as f:
        assert body == f.read()
    assert_secure(headers)
    status, headers, _ = raw("GET", "/ui")
    assert status == 301 and headers["location"] == "/ui/"
    assert_secure(headers)
    status, headers, body = raw("HEAD", "/ui/")
    assert status == 200 and body == b""
    status, _, body = raw("GET", "/ui/?x=1")          # a query string changes nothing
    assert status == 200 and b"js/app.js" in body


@pytest.mark.parametrize("path", [
    "/ui/nope.html", "/ui/js/", "/ui/js", "/ui/js/nope.js", "/ui/index.htm",
    "/ui/embed.py", "/ui/meson.build", "/ui/.hidden", "/ui/js/.app.js",
    "/ui/../version", "/ui/js/../index.html", "/ui/./index.html", "/ui//index.html",
    "/ui/%2e%2e/version", "/ui/js%2f..%2findex.html", "/ui/..%2fsrc%2fserver%2fui.c",
    "/ui/index.html/", "/ui/\\index.html", "/ui/js/app.js.map",
    "/ui/index.html%00.js", "/ui/js/app.js%00", "/ui/%00index.html",
])
def test_unknown_and_traversal_paths_are_404(raw, path):
    status, headers, body = raw("GET", path)
    assert status == 404, (path, body)
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert body == b"Not found.\n"
    assert_secure(headers)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_405(raw, method):
    status, headers, _ = raw(method, "/ui/index.html")
    assert status == 405
    assert headers["allow"] == "GET, HEAD"
    assert_secure(headers)


def test_no_inline_script_or_style_in_html(ui_dir):
    for rel in ui_files(ui_dir):
        if not rel.endswith(".html"):
            continue
        with open(os.path.join(ui_dir, rel)) as f:
            html = f.read()
        assert "<style" not in html.lower(), rel
        assert not re.search(r"\sstyle\s*=", html, re.I), rel
        assert not re.search(r"\son[a-z]+\s*=", html, re.I), rel
        for tag in re.findall(r"<script\b[^>]*>", html, re.I):
            assert re.search(r'\bsrc="[^"]+"', tag), tag
        assert "http://" not in html and "https://" not in html, rel   # no CDN


def test_scripts_keep_the_token_in_the_tab_only(ui_dir):
    """No cookies, no localStorage, no eval or HTML injection, no third-party origin."""
    for rel in ui_files(ui_dir):
        if not rel.endswith(".js"):
            continue
        with open(os.path.join(ui_dir, rel)) as f:
            js = f.read()
        for bad in ("localStorage", "document.cookie", "eval(", "new Function", "innerHTML",
                    "outerHTML", "insertAdjacentHTML", "document.write", ".style."):
            assert bad not in js, (rel, bad)
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", js), rel
        assert re.match(r"// [a-z-]+\.js: ", js), f"{rel} should say its job on line 1"
    with open(os.path.join(ui_dir, "js", "api.js")) as f:
        api = f.read()
    assert "sessionStorage" in api and 'credentials: "omit"' in api


def test_api_unchanged(srv, raw):
    status, headers, body = raw("GET", "/version")
    assert status == 200 and headers["content-type"] == "application/json"
    assert "content-security-policy" not in headers
    status, headers, body = raw("GET", "/api/v0/me/")
    assert status == 401 and body.startswith(b'{"detail":')
    user = srv.user("someone")
    r = user.get("/me/")
    assert r.status_code == 200 and r.json()["email"] == "someone@example.org"
    assert "Content-Security-Policy" not in r.headers
    for path in ("/uix", "/u", "/", "/api/v0/ui/"):
        status, headers, body = raw("GET", path)
        assert status == 404 and headers["content-type"] == "application/json", path


def test_access_log_has_ui_requests_without_query(srv, raw):
    raw("GET", "/ui/js/app.js?token=secret")
    with open(os.path.join(srv.base, "access.log")) as f:
        log = f.read()
    assert "GET /ui/js/app.js 200" in log
    assert "secret" not in log
