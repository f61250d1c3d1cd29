"""Fixtures for the API tests: one real server per test module.

  srv        the Server (server.py) of this module
  admin      platform admin client
  bo, mo, do, do2, other   benchmark owner, model owner, two data owners, an
                           unrelated user (clients of distinct users)
  anon       a client without credentials
  f          Factory (factory.py) bound to this server: builds entities
"""
import pytest

from factory import Factory
from server import Server


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server.start(tmp_path_factory.mktemp("srv"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def admin(srv):
    return srv.user("admin", admin=True)


@pytest.fixture(scope="module")
def bo(srv):
    return srv.user("bo")


@pytest.fixture(scope="module")
def mo(srv):
    return srv.user("mo")


@pytest.fixture(scope="module")
def do(srv):
    return srv.user("do")


@pytest.fixture(scope="module")
def do2(srv):
    return srv.user("do2")


@pytest.fixture(scope="module")
def other(srv):
    return srv.user("other")


@pytest.fixture(scope="module")
def anon(srv):
    return srv.anon()


@pytest.fixture(scope="module")
def f(srv, admin):
    return Factory(srv, admin)
