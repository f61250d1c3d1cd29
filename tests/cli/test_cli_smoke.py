"""test_cli_smoke.py: the client starts, logs in over TLS with a pinned
certificate, and lists what the server has."""


def test_version(cli, srv):
    c = cli.fresh("v")
    r = c.run("--version", check=True)
    assert r.stdout.startswith("MedPerf version ")


def test_login_and_list(cli):
    c = cli("smoke")
    st = c.json("auth", "status")
    assert st["logged_in"] is True and st["email"] == "smoke@example.org"
    items = c.json("container", "ls")
    assert any(i["name"] == "MedPerf CA" for i in items)
