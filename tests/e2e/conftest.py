"""Fixtures of the end-to-end tests: the walk of scripts/demo (a real server,
seven people with their own `medperf`, the example benchmarks packaged from
examples/) and a recording proxy that sees every request the clients send.

  demo        the scripts/demo module (walk, setup, package, report, ...)
  build_dir   the build under test (MEDPERF_BUILD, set by tests/run)
  Recorder    a TLS proxy on 127.0.0.1 in front of the server, with the
              server's own certificate and key (so the clients' pinning holds),
              that forwards every request and keeps (method, path, body)
"""
import http.client
import http.server
import importlib.machinery
import importlib.util
import os
import ssl
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.abspath(os.environ.get("MEDPERF_BUILD", os.path.join(ROOT, "build")))
SANITIZED = os.environ.get("MEDPERF_SANITIZED") == "1"


def load_demo():
    loader = importlib.machinery.SourceFileLoader("medperf_demo",
                                                  os.path.join(ROOT, "scripts", "demo"))
    spec = importlib.util.spec_from_loader("medperf_demo", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def demo():
    return load_demo()


@pytest.fixture(scope="session")
def build_dir():
    return os.path.relpath(BUILD, ROOT)


HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-connection"}


class Recorder:
    """Forwards HTTPS requests to the server at `upstream` (host, port) and
    records each one: (method, path, body bytes)."""

    def __init__(self, cert, key, upstream):
        self.requests = []
        self.lock = threading.Lock()
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def forward(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with rec.lock:
                    rec.requests.append((self.command, self.path, body))
                ctx = ssl.create_default_context(cafile=cert)
                conn = http.client.HTTPSConnection(upstream[0], upstream[1], context=ctx,
                                                   timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                r = conn.getresponse()
                data = r.read()
                self.send_response(r.status, r.reason)
                for k, v in r.getheaders():
                    if k.lower() not in HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = forward

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(cert, key)
        self.httpd.socket = sctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
