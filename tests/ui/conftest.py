"""Fixtures of the web UI's tests: a real medperf-server (tests/api/server.py)
serving the embedded UI under /ui/, and raw HTTPS requests (http.client sends
a path exactly as written, where requests would normalise dot segments).

  srv     the Server of this module
  raw     raw(method, path) -> (status, headers dict with lower-case names, body bytes)
  ui_dir  the ui/ folder of the source tree
"""
import http.client
import os
import ssl
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))

from server import ROOT, Server  # noqa: E402


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server.start(tmp_path_factory.mktemp("srv"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def raw(srv):
    ctx = ssl.create_default_context(cafile=srv.cert)

    def request(method, path, headers=None):
        conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=ctx, timeout=30)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in (headers or {}).items():
                conn.putheader(k, v)
            conn.endheaders()
            r = conn.getresponse()
            body = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, body
        finally:
            conn.close()
    return request


@pytest.fixture(scope="session")
def ui_dir():
    return os.path.join(ROOT, "ui")
