"""test_cli_auth.py: `medperf auth` (login with a token from --token,
--token-file or standard input; logout; status), how and where the token is
stored (mode 0600 under .tokens/<standard base64 of the email>/, never
printed), and `medperf profile` (create, activate, ls, view, set, delete,
--profile, MEDPERF_CONFIG_STORAGE, first run, a corrupted config.yaml).

Every command here goes through run(), which fails the test when any token
minted in this module shows up on stdout or stderr.
"""
import base64
import json
import os
import shutil
import stat
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
import yaml

TOKENS = set()  # every token this module made: none may ever be printed

MEDPERF_PROFILE_KEYS = {
    "loglevel", "prepare_timeout", "sanity_check_timeout", "statistics_timeout",
    "infer_timeout", "evaluate_timeout", "platform", "gpus", "cleanup", "container_loglevel",
    "server", "certificate", "auth_class", "auth_domain", "auth_jwks_url",
    "auth_idtoken_issuer", "auth_client_id", "auth_audience", "certificate_authority_id",
    "certificate_authority_fingerprint",
}
MEDPERF_STORAGE_KEYS = [
    "decrypted_files_folder", "images_folder", "hashed_files_folder", "trash_folder",
    "tmp_folder", "demo_datasets_folder", "benchmarks_folder", "cubes_folder",
    "datasets_folder", "experiments_logs_folder", "executions_folder", "predictions_folder",
    "script_result_folder", "tests_folder", "training_folder", "aggregators_folder",
    "cas_folder", "training_events_folder", "certificates_folder", "dashboards_folder",
    "assets_folder", "models_folder",
]


# ---------------------------------------------------------------- helpers

def _secret_parts(tok):
    parts = [tok]
    if tok.count(".") == 2:
        parts.append(tok.split(".")[2])  # the signature alone is secret enough
    return parts


def run(c, *args, input=None, env=None, **kw):
    """c.run, checking that no token of this module is printed."""
    r = c.run(*args, input=input, env=env, **kw)
    for tok in TOKENS:
        for part in _secret_parts(tok):
            assert part not in r.stdout, f"token printed on stdout by medperf {args}"
            assert part not in r.stderr, f"token printed on stderr by medperf {args}"
    return r


def token(srv, email, **kw):
    t = srv.token(email, **kw)
    TOKENS.add(t)
    return t


def token_file(c, email=None):
    email = email or c.email
    return os.path.join(c.config, ".tokens", base64.b64encode(email.encode()).decode(),
                        "medperf_access_token")


def config(c):
    with open(os.path.join(c.config, "config.yaml")) as f:
        return yaml.safe_load(f)


def write_config(c, cfg):
    with open(os.path.join(c.config, "config.yaml"), "w") as f:
        yaml.safe_dump(cfg, f)


def write_token_file(tmp_path, tok, name="tok"):
    path = os.path.join(str(tmp_path), name)
    with open(path, "w") as f:
        f.write(tok + "\n")
    return path


def login(c, tok, tmp_path, *extra):
    r = run(c, "auth", "login", "--token-file", write_token_file(tmp_path, tok), *extra)
    assert r.returncode == 0, r.stderr
    return r


def claims_of(tok):
    p = tok.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(key_pem, data, tmp_path):
    """RS256 signature of data with the RSA key in key_pem (a path)."""
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
    except ImportError:
        msg = os.path.join(str(tmp_path), "signing-input")
        with open(msg, "wb") as f:
            f.write(data)
        return subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_pem, msg],
                              check=True, capture_output=True, timeout=60).stdout
    with open(key_pem, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def mint(template, claims, key_pem, tmp_path):
    """A token with template's header and the given claims, signed by key_pem."""
    head = template.split(".")[0]
    body = b64u(json.dumps(claims).encode())
    sig = _sign(key_pem, f"{head}.{body}".encode(), tmp_path)
    tok = f"{head}.{body}.{b64u(sig)}"
    TOKENS.add(tok)
    return tok


def other_key(tmp_path):
    path = os.path.join(str(tmp_path), "other-key.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:2048", "-out", path], check=True, capture_output=True,
                   timeout=120)
    return path


def api_me(srv, tok):
    return requests.get(srv.url + "/api/v0/me/", headers={"Authorization": f"Bearer {tok}"},
                        verify=srv.cert, timeout=30)


def assert_logged_out(c):
    r = run(c, "auth", "status")
    assert r.returncode == 0 and r.stdout.strip() == "You are not logged in"
    assert "credentials" not in config(c)["profiles"][config(c)["active_profile_name"]]


_seq = iter(range(1, 10 ** 6))


def fresh(cli, prefix):
    """A not-logged-in user with a name of its own (for parametrized tests)."""
    return cli.fresh(f"{prefix}{next(_seq)}")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# ---------------------------------------------------------------- login

def test_login_with_token_file(cli, srv, tmp_path):
    c = cli.fresh("lf")
    tok = token(srv, c.email)
    r = login(c, tok, tmp_path)
    uid = srv.user("lf").id
    assert f"Logged in as {c.email} (user {uid})" in r.stdout
    st = c.json("auth", "status")
    assert st["logged_in"] is True and st["email"] == c.email
    assert st["user"]["id"] == uid and st["user"]["email"] == c.email
    assert st["token_expires_at"] == claims_of(tok)["exp"]
    assert st["expired"] is False and st["profile"] == "test" and st["server"] == srv.url
    with open(token_file(c)) as f:
        assert f.read().strip() == tok
    cred = config(c)["profiles"]["test"]["credentials"]
    assert cred["email"] == c.email and cred["medperf_user"]["id"] == uid
    assert cred["token_issued_at"] + cred["token_expires_in"] == claims_of(tok)["exp"]
    # the login is usable
    assert run(c, "container", "ls", "--json").returncode == 0


def test_login_with_token_option(cli, srv):
    c = cli.fresh("lo")
    tok = token(srv, c.email)
    r = run(c, "auth", "login", "--token", tok)
    assert r.returncode == 0, r.stderr
    assert c.json("auth", "status")["email"] == c.email
    with open(token_file(c)) as f:
        assert f.read() == tok


@pytest.mark.parametrize("suffix", ["\n", "\r\n", "", "  \n\n"])
def test_login_from_standard_input(cli, srv, suffix):
    c = fresh(cli, "stdin")
    tok = token(srv, c.email)
    r = run(c, "auth", "login", input=tok + suffix)
    assert r.returncode == 0, r.stderr
    assert c.json("auth", "status")["email"] == c.email
    with open(token_file(c)) as f:
        assert f.read() == tok  # trimmed


def test_login_no_token_on_standard_input(cli):
    c = cli.fresh("lnone")
    r = run(c, "auth", "login", input="")
    assert r.returncode == 2
    assert "no token given" in r.stderr
    assert_logged_out(c)


def test_login_token_and_token_file_together(cli, srv, tmp_path):
    c = cli.fresh("lboth")
    tok = token(srv, c.email)
    r = run(c, "auth", "login", "--token", tok, "--token-file", write_token_file(tmp_path, tok))
    assert r.returncode == 2 and "--token" in r.stderr
    assert_logged_out(c)


def test_login_token_file_missing(cli, tmp_path):
    c = cli.fresh("lmiss")
    missing = os.path.join(str(tmp_path), "no-such-token")
    r = run(c, "auth", "login", "--token-file", missing)
    assert r.returncode == 1
    assert missing in r.stderr
    assert_logged_out(c)


def test_login_email_matches(cli, srv, tmp_path):
    c = cli.fresh("em")
    login(c, token(srv, c.email), tmp_path, "-e", c.email)
    assert c.json("auth", "status")["email"] == c.email


def test_login_email_matches_whatever_the_case(cli, srv, tmp_path):
    # MedPerf lower-cases the typed email before comparing it
    c = cli.fresh("emcase")
    login(c, token(srv, c.email), tmp_path, "--email", c.email.upper())
    assert c.json("auth", "status")["email"] == c.email


def test_login_email_does_not_match(cli, srv, tmp_path):
    c = cli.fresh("emx")
    tok = token(srv, c.email)
    r = run(c, "auth", "login", "--token-file", write_token_file(tmp_path, tok),
            "-e", "someone.else@example.org")
    assert r.returncode == 4
    assert c.email in r.stderr and "someone.else@example.org" in r.stderr
    assert r.stdout == ""
    assert_logged_out(c)
    assert not os.path.exists(token_file(c))


@pytest.mark.parametrize("garbage", ["abc", "a.b", "not-base64!.x.y", "e30.bm90IGpzb24.c2ln"])
def test_login_garbage_token(cli, garbage):
    c = fresh(cli, "garbage")
    r = run(c, "auth", "login", "--token", garbage)
    assert r.returncode == 2
    assert "not a JSON Web Token" in r.stderr
    assert_logged_out(c)
    assert not os.path.exists(os.path.join(c.config, ".tokens")) or \
        not any(files for _, _, files in os.walk(os.path.join(c.config, ".tokens")))


def test_login_token_with_blanks(cli, srv):
    c = cli.fresh("blanks")
    tok = token(srv, c.email)
    r = run(c, "auth", "login", input=tok + " " + tok)
    assert r.returncode == 2 and "blanks" in r.stderr
    assert_logged_out(c)


def test_login_token_signed_by_another_key(cli, srv, tmp_path):
    c = cli.fresh("forged")
    good = token(srv, c.email)
    forged = mint(good, claims_of(good), other_key(tmp_path), tmp_path)
    ans = api_me(srv, forged)
    assert ans.status_code == 401
    r = run(c, "auth", "login", "--token", forged)
    assert r.returncode == 4, r.stderr
    assert ans.json()["detail"] in r.stderr  # the server's message
    assert r.stdout == ""
    assert_logged_out(c)
    assert not os.path.exists(token_file(c))


def test_login_token_with_corrupted_signature(cli, srv, tmp_path):
    c = cli.fresh("corrupt")
    good = token(srv, c.email)
    head, body, sig = good.split(".")
    bad = f"{head}.{body}.{'B' if sig[0] == 'A' else 'A'}{sig[1:]}"
    TOKENS.add(bad)
    ans = api_me(srv, bad)
    assert ans.status_code == 401
    r = run(c, "auth", "login", "--token-file", write_token_file(tmp_path, bad))
    assert r.returncode == 4, r.stderr
    assert ans.json()["detail"] in r.stderr
    assert_logged_out(c)


def test_login_expired_token(cli, srv, tmp_path):
    c = cli.fresh("expiredlogin")
    good = token(srv, c.email)
    now = int(time.time())
    claims = dict(claims_of(good), iat=now - 10 * 86400, exp=now - 86400)
    expired = mint(good, claims, os.path.join(srv.data, "token-key.pem"), tmp_path)
    assert api_me(srv, expired).status_code == 401
    r = run(c, "auth", "login", "--token", expired)
    assert r.returncode == 4, r.stderr
    assert "expired" in r.stderr
    assert_logged_out(c)


def test_login_server_unreachable(cli, srv):
    c = cli.fresh("lunreach")
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    assert run(c, "profile", "set", "--server", f"https://127.0.0.1:{port}").returncode == 0
    r = run(c, "auth", "login", "--token", token(srv, c.email))
    assert r.returncode == 5
    assert "cannot connect" in r.stderr and f"127.0.0.1:{port}" in r.stderr
    assert_logged_out(c)


def test_already_logged_in(cli, srv, tmp_path):
    c = cli.fresh("already")
    tok = token(srv, c.email)
    login(c, tok, tmp_path)
    other = token(srv, "intruder@example.org")
    for args in (("--token", other), ("--token", tok)):
        r = run(c, "auth", "login", *args)
        assert r.returncode == 1
        assert f"You are already logged in as {c.email}" in r.stderr
    with open(token_file(c)) as f:
        assert f.read() == tok
    assert not os.path.exists(token_file(c, "intruder@example.org"))
    assert c.json("auth", "status")["email"] == c.email


# ---------------------------------------------------------------- storage of the token

def test_token_file_layout_and_modes(cli, srv, tmp_path):
    # standard base64 with '+' and '=' padding: not the URL-safe alphabet, not stripped
    c = cli.fresh("aa~a")
    assert c.email == "aa~a@example.org"
    folder = base64.b64encode(c.email.encode()).decode()
    assert folder == "YWF+YUBleGFtcGxlLm9yZw=="
    login(c, token(srv, c.email), tmp_path)
    tokens = os.path.join(c.config, ".tokens")
    assert os.listdir(tokens) == [folder]
    assert os.listdir(os.path.join(tokens, folder)) == ["medperf_access_token"]
    assert mode(tokens) == 0o700
    assert mode(os.path.join(tokens, folder)) == 0o700
    assert mode(token_file(c)) == 0o600
    assert stat.S_ISREG(os.lstat(token_file(c)).st_mode)


def test_token_never_printed_nor_in_config(cli, srv, tmp_path):
    c = cli.fresh("secret")
    tok = token(srv, c.email)
    login(c, tok, tmp_path)
    for args in (("auth", "status"), ("auth", "status", "--json"), ("profile", "ls"),
                 ("profile", "ls", "--json"), ("profile", "view"), ("profile", "view", "--json"),
                 ("profile", "view", "test"), ("container", "ls"), ("benchmark", "ls", "--json"),
                 ("storage", "ls")):
        r = run(c, *args)  # run() checks stdout and stderr
        assert r.returncode == 0, (args, r.stderr)
    with open(os.path.join(c.config, "config.yaml")) as f:
        text = f.read()
    for part in _secret_parts(tok):
        assert part not in text
    # the token is in exactly one file under the configuration and the home folders
    holders = []
    for top in (c.config, c.home):
        for dirpath, _, files in os.walk(top):
            for name in files:
                path = os.path.join(dirpath, name)
                with open(path, "rb") as f:
                    if tok.split(".")[2].encode() in f.read():
                        holders.append(path)
    assert holders == [token_file(c)]
    assert mode(os.path.join(c.config, "config.yaml")) & 0o077 == 0
    # and a failing login does not print the token either
    r = run(c, "auth", "login", "--token", tok)
    assert r.returncode == 1


# ---------------------------------------------------------------- status

def test_status_not_logged_in(cli):
    c = cli.fresh("nostatus")
    r = run(c, "auth", "status")
    assert r.returncode == 0
    assert r.stdout == "You are not logged in\n"
    st = c.json("auth", "status")
    assert st["logged_in"] is False
    assert "email" not in st and "user" not in st
    assert st["profile"] == "test" and st["server"] == c.srv.url


def test_status_human_shows_email_user_and_local_expiry(cli, srv, tmp_path):
    c = cli.fresh("hstatus")
    tok = token(srv, c.email)
    login(c, tok, tmp_path)
    exp = claims_of(tok)["exp"]
    uid = srv.user("hstatus").id
    # a zone without daylight saving, given in POSIX form (no tz database needed)
    for tz, offset in (("UTC0", timedelta(0)), ("XYZ-5:30", timedelta(hours=5, minutes=30))):
        r = run(c, "auth", "status", env={"TZ": tz})
        assert r.returncode == 0
        lines = r.stdout.splitlines()
        assert lines[0] == f"Logged in user email address: {c.email}"
        assert f"user id {uid}" in r.stdout and srv.url in r.stdout
        when = datetime.fromtimestamp(exp, timezone(offset)).strftime("%Y-%m-%d %H:%M:%S")
        assert f"The token expires at {when}." in r.stdout


# ---------------------------------------------------------------- logout

def test_logout_removes_token_and_credentials(cli, srv, tmp_path):
    c = cli.fresh("logout")
    tok = token(srv, c.email)
    login(c, tok, tmp_path)
    assert os.path.exists(token_file(c))
    r = run(c, "auth", "logout")
    assert r.returncode == 0, r.stderr
    assert c.email in r.stdout
    assert not os.path.exists(token_file(c))
    assert_logged_out(c)
    r = run(c, "container", "ls")
    assert r.returncode == 4 and "not logged in" in r.stderr
    # logging out again: not logged in
    r = run(c, "auth", "logout")
    assert r.returncode == 4
    assert "You are not logged in" in r.stderr
    # the token itself still works (a logout is local), and logging in again works
    assert api_me(srv, tok).status_code == 200
    login(c, tok, tmp_path)
    assert c.json("auth", "status")["logged_in"] is True


def test_logout_when_never_logged_in(cli):
    c = cli.fresh("neverin")
    r = run(c, "auth", "logout")
    assert r.returncode == 4
    assert "You are not logged in" in r.stderr
    assert r.stdout == ""


def test_status_when_token_file_removed(cli, srv, tmp_path):
    c = cli.fresh("tokgone")
    login(c, token(srv, c.email), tmp_path)
    os.unlink(token_file(c))
    assert run(c, "auth", "status").stdout == "You are not logged in\n"
    r = run(c, "benchmark", "ls")
    assert r.returncode == 4 and "not logged in" in r.stderr


def test_logout_of_one_profile_keeps_the_other(cli, srv, tmp_path):
    c = cli.fresh("twoprof")
    tok = token(srv, c.email)
    login(c, tok, tmp_path)
    assert run(c, "profile", "create", "-n", "second").returncode == 0
    # the copy is not logged in
    st = json.loads(run(c, "--profile", "second", "auth", "status", "--json").stdout)
    assert st["logged_in"] is False
    assert run(c, "--profile", "second", "auth", "login", "--token", tok).returncode == 0
    assert run(c, "--profile", "second", "auth", "logout").returncode == 0
    # the first profile is still logged in and its token still on disk
    assert c.json("auth", "status")["email"] == c.email
    assert os.path.exists(token_file(c))
    r = run(c, "container", "ls", "--json")
    assert r.returncode == 0, r.stderr
    st = json.loads(run(c, "--profile", "second", "auth", "status", "--json").stdout)
    assert st["logged_in"] is False
    # the other way round: logging out of the active one keeps the second's login
    assert run(c, "--profile", "second", "auth", "login", "--token", tok).returncode == 0
    assert run(c, "auth", "logout").returncode == 0
    assert os.path.exists(token_file(c))
    r = run(c, "--profile", "second", "container", "ls", "--json")
    assert r.returncode == 0, r.stderr
    # the last logout removes the token
    assert run(c, "--profile", "second", "auth", "logout").returncode == 0
    assert not os.path.exists(token_file(c))


def test_same_user_on_another_server_does_not_break_first_login(cli, srv, tmp_path_factory,
                                                                 tmp_path):
    """The stored token is per email: logging in as the same user on a second
    server must not replace the token the first profile uses."""
    from server import Server
    c = cli.fresh("twoservers")
    tok = token(srv, c.email)
    login(c, tok, tmp_path)
    s2 = Server.start(tmp_path_factory.mktemp("srv2"))
    try:
        tok2 = token(s2, c.email)
        assert run(c, "profile", "create", "-n", "other", "--server", s2.url,
                   "--certificate", s2.cert).returncode == 0
        r = run(c, "--profile", "other", "auth", "login", "--token", tok2)
        assert r.returncode == 1
        assert "test" in r.stderr and "log out" in r.stderr
        with open(token_file(c)) as f:
            assert f.read() == tok
        assert run(c, "container", "ls", "--json").returncode == 0
        # once the first profile logged out, the second may log in
        assert run(c, "auth", "logout").returncode == 0
        assert run(c, "--profile", "other", "auth", "login", "--token", tok2).returncode == 0
        assert run(c, "--profile", "other", "container", "ls", "--json").returncode == 0
    finally:
        s2.stop()


def test_expired_credentials(cli, srv, tmp_path):
    c = cli.fresh("expired")
    login(c, token(srv, c.email), tmp_path)
    cfg = config(c)
    now = int(time.time())
    cfg["profiles"]["test"]["credentials"]["token_issued_at"] = now - 40 * 86400
    cfg["profiles"]["test"]["credentials"]["token_expires_in"] = 30 * 86400
    write_config(c, cfg)  # as PyYAML writes it: the client reads it back
    for args in (("benchmark", "ls"), ("container", "ls", "--json"), ("dataset", "view", "1"),
                 ("result", "ls"), ("association", "ls", "-b", "-d")):
        r = run(c, *args)
        assert r.returncode == 4, (args, r.stderr)
        assert "expired" in r.stderr
        assert r.stdout == ""
    st = c.json("auth", "status")
    assert st["logged_in"] is True and st["expired"] is True
    assert st["token_expires_at"] == now - 10 * 86400
    r = run(c, "auth", "status")
    assert r.returncode == 0 and "EXPIRED" in r.stdout
    # an expired login can still be logged out of
    assert run(c, "auth", "logout").returncode == 0
    assert not os.path.exists(token_file(c))
    assert_logged_out(c)


# ---------------------------------------------------------------- profiles

def test_first_run_creates_medperf_profiles(cli, tmp_path):
    c = cli.fresh("firstrun")
    home = os.path.join(str(tmp_path), "home")
    cfgdir = os.path.join(str(tmp_path), "elsewhere", "cfg")
    os.makedirs(home)
    env = {"HOME": home, "MEDPERF_CONFIG_STORAGE": cfgdir}
    r = run(c, "profile", "ls", env=env)
    assert r.returncode == 0, r.stderr
    path = os.path.join(cfgdir, "config.yaml")
    assert os.path.isfile(path)
    assert not os.path.exists(os.path.join(home, ".medperf_config"))
    with open(path) as f:
        cfg = yaml.safe_load(f)
    assert cfg["active_profile_name"] == "default"
    assert set(cfg["profiles"]) == {"default", "local", "testauth"}
    for name, p in cfg["profiles"].items():
        assert set(p) == MEDPERF_PROFILE_KEYS, name
        assert p["loglevel"] == "debug" and p["platform"] == "native" and p["cleanup"] is True
        for k in ("prepare_timeout", "sanity_check_timeout", "statistics_timeout",
                  "infer_timeout", "evaluate_timeout", "gpus", "container_loglevel"):
            assert p[k] is None, (name, k)
        assert p["certificate_authority_id"] == 1
    d, lo, ta = cfg["profiles"]["default"], cfg["profiles"]["local"], cfg["profiles"]["testauth"]
    assert d["server"] == "https://api.medperf.org" and d["certificate"] is None
    assert d["auth_class"] == "Auth0" and d["auth_domain"] == "auth.medperf.org"
    assert d["auth_jwks_url"] == "https://auth.medperf.org/.well-known/jwks.json"
    assert d["auth_idtoken_issuer"] == "https://auth.medperf.org/"
    assert d["auth_client_id"] == "vFtfndViDFd0BeMdMKBgsKA9aV9BDtrY"
    assert d["auth_audience"] == "https://api.medperf.org/"
    assert d["certificate_authority_fingerprint"] == \
        "2134ad46f56c61c4342eed48067c6a57bd59125bce033ca09389654b9f4446c1"
    assert lo["server"] == "https://localhost:8000" and lo["auth_class"] == "Local"
    for k in ("auth_domain", "auth_jwks_url", "auth_idtoken_issuer", "auth_client_id",
              "auth_audience"):
        assert lo[k] == "N/A"
    assert lo["certificate_authority_fingerprint"] == "fingerprint"
    assert ta["server"] == "https://localhost:8000" and ta["auth_class"] == "Auth0"
    assert ta["auth_domain"] == "dev-5xl8y6uuc2hig2ly.us.auth0.com"
    assert ta["auth_jwks_url"] == \
        "https://dev-5xl8y6uuc2hig2ly.us.auth0.com/.well-known/jwks.json"
    assert ta["auth_idtoken_issuer"] == "https://dev-5xl8y6uuc2hig2ly.us.auth0.com/"
    assert ta["auth_client_id"] == "PSe6pJzYJ9ZmLuLPagHEDh6W44fv9nat"
    assert ta["auth_audience"] == "https://localhost-dev/"
    assert ta["certificate_authority_fingerprint"] == "fingerprint"
    assert list(cfg["storage"]) == MEDPERF_STORAGE_KEYS
    assert set(cfg["storage"].values()) == {os.path.join(home, ".medperf")}
    # profile ls: the three, default marked active
    rows = json.loads(run(c, "profile", "ls", "--json", env=env).stdout)
    assert sorted(p["name"] for p in rows) == ["default", "local", "testauth"]
    assert [p["name"] for p in rows if p["active"]] == ["default"]
    marked = [line for line in r.stdout.splitlines() if line.startswith("*")]
    assert len(marked) == 1 and marked[0].split()[1] == "default"
    # a second run reads it back unchanged
    with open(path) as f:
        before = f.read()
    assert run(c, "profile", "view", "--json", env=env).returncode == 0
    with open(path) as f:
        assert f.read() == before


def test_config_folder_defaults_to_home(cli, tmp_path):
    c = cli.fresh("homecfg")
    home = os.path.join(str(tmp_path), "home")
    os.makedirs(home)
    r = run(c, "profile", "ls", env={"HOME": home, "MEDPERF_CONFIG_STORAGE": ""})
    assert r.returncode == 0, r.stderr
    assert os.path.isfile(os.path.join(home, ".medperf_config", "config.yaml"))


def test_config_storage_relocates_everything(cli, srv, tmp_path):
    c = cli.fresh("reloc")
    tok = token(srv, c.email)
    cfgdir = os.path.join(str(tmp_path), "moved")
    env = {"MEDPERF_CONFIG_STORAGE": cfgdir}
    assert run(c, "profile", "create", "-n", "t2", "--server", srv.url, "--certificate",
               srv.cert, env=env).returncode == 0
    assert run(c, "profile", "activate", "t2", env=env).returncode == 0
    assert run(c, "auth", "login", "--token", tok, env=env).returncode == 0
    folder = base64.b64encode(c.email.encode()).decode()
    assert os.path.isfile(os.path.join(cfgdir, ".tokens", folder, "medperf_access_token"))
    with open(os.path.join(cfgdir, "config.yaml")) as f:
        moved = yaml.safe_load(f)
    assert moved["active_profile_name"] == "t2"
    assert moved["profiles"]["t2"]["credentials"]["email"] == c.email
    # the usual folder saw none of it
    assert "t2" not in config(c)["profiles"]
    assert not os.path.exists(token_file(c))
    assert run(c, "auth", "status").stdout == "You are not logged in\n"


def test_profile_create_copies_settings_not_login(cli, srv, tmp_path):
    c = cli.fresh("pcreate")
    login(c, token(srv, c.email), tmp_path)
    assert run(c, "profile", "set", "--prepare_timeout", "77", "--no-cleanup").returncode == 0
    r = run(c, "profile", "create", "-n", "copy")
    assert r.returncode == 0, r.stderr
    cfg = config(c)
    assert cfg["active_profile_name"] == "test"  # create does not activate
    src = dict(cfg["profiles"]["test"])
    src.pop("credentials")
    assert cfg["profiles"]["copy"] == src
    assert cfg["profiles"]["copy"]["prepare_timeout"] == 77
    assert cfg["profiles"]["copy"]["cleanup"] is False
    st = json.loads(run(c, "--profile", "copy", "auth", "status", "--json").stdout)
    assert st["logged_in"] is False and st["profile"] == "copy"
    # with settings given: those change, the rest is copied
    r = run(c, "profile", "create", "-n", "copy2", "--server", "https://example.org:8443",
            "--gpus", "all")
    assert r.returncode == 0, r.stderr
    p = config(c)["profiles"]["copy2"]
    assert p["server"] == "https://example.org:8443" and p["gpus"] == "all"
    assert p["prepare_timeout"] == 77 and "credentials" not in p
    # existing name, missing name
    r = run(c, "profile", "create", "-n", "copy")
    assert r.returncode == 2 and "copy" in r.stderr and "exists" in r.stderr
    r = run(c, "profile", "create")
    assert r.returncode == 2 and "--name" in r.stderr
    # a bad setting creates nothing
    r = run(c, "profile", "create", "-n", "copy3", "--server", "nope")
    assert r.returncode == 2
    assert "copy3" not in config(c)["profiles"]


def test_profile_activate_and_ls(cli, srv, tmp_path):
    c = cli.fresh("pact")
    login(c, token(srv, c.email), tmp_path)
    assert run(c, "profile", "create", "-n", "zeta").returncode == 0
    r = run(c, "profile", "activate", "zeta")
    assert r.returncode == 0, r.stderr
    assert config(c)["active_profile_name"] == "zeta"
    rows = c.json("profile", "ls")
    assert [p["name"] for p in rows if p["active"]] == ["zeta"]
    byname = {p["name"]: p for p in rows}
    assert set(byname) == {"default", "local", "testauth", "test", "zeta"}
    assert byname["test"]["email"] == c.email and byname["zeta"]["email"] == ""
    assert byname["test"]["server"] == srv.url and byname["default"]["server"] == \
        "https://api.medperf.org"
    r = run(c, "profile", "ls")
    assert r.returncode == 0
    marked = [line for line in r.stdout.splitlines() if line.lstrip().startswith("*")]
    assert len(marked) == 1 and marked[0].split()[1] == "zeta"
    for name in ("default", "local", "testauth", "test"):
        assert any(line.split()[:1] == [name] for line in r.stdout.splitlines()), name
    # the active profile decides what runs: zeta is not logged in
    assert run(c, "auth", "status").stdout == "You are not logged in\n"
    assert run(c, "profile", "activate", "test").returncode == 0
    assert c.json("auth", "status")["email"] == c.email
    # unknown profile
    r = run(c, "profile", "activate", "nope")
    assert r.returncode == 2 and "The provided profile does not exist" in r.stderr
    assert config(c)["active_profile_name"] == "test"
    r = run(c, "profile", "activate")
    assert r.returncode == 2 and "NAME" in r.stderr


def test_profile_view(cli, srv, tmp_path):
    c = cli.fresh("pview")
    login(c, token(srv, c.email), tmp_path)
    r = run(c, "profile", "view")
    assert r.returncode == 0
    first, rest = r.stdout.split("\n", 1)
    assert first.startswith("Profile 'test'")
    shown = yaml.safe_load(rest)
    stored = dict(config(c)["profiles"]["test"])
    assert "credentials" in stored
    stored.pop("credentials")
    assert shown == stored
    assert "credentials" not in rest and "token_issued_at" not in rest
    assert c.json("profile", "view") == stored
    # another profile by name
    assert c.json("profile", "view", "default")["server"] == "https://api.medperf.org"
    r = run(c, "profile", "view", "local")
    assert r.stdout.startswith("Profile 'local'")
    assert yaml.safe_load(r.stdout.split("\n", 1)[1])["auth_class"] == "Local"
    r = run(c, "profile", "view", "nope")
    assert r.returncode == 2 and "The provided profile does not exist" in r.stderr


def test_profile_set(cli, srv, tmp_path):
    c = cli.fresh("pset")

    def prof():
        return config(c)["profiles"]["test"]

    # --server must be a URL
    for bad in ("localhost:8000", "api.medperf.org", "ftp://x"):
        r = run(c, "profile", "set", "--server", bad)
        assert r.returncode == 2, bad
        assert "--server" in r.stderr and bad in r.stderr
    assert prof()["server"] == srv.url
    # --certificate: readable, stored absolute
    r = run(c, "profile", "set", "--certificate", os.path.join(str(tmp_path), "none.pem"))
    assert r.returncode == 2 and "none.pem" in r.stderr
    assert prof()["certificate"] == srv.cert
    shutil.copy(srv.cert, os.path.join(c.home, "rel-cert.pem"))
    r = run(c, "profile", "set", "--certificate", "rel-cert.pem")  # cwd is the home
    assert r.returncode == 0, r.stderr
    assert prof()["certificate"] == os.path.realpath(os.path.join(c.home, "rel-cert.pem"))
    assert os.path.isabs(prof()["certificate"])
    # integer options
    for opt in ("prepare_timeout", "sanity_check_timeout", "statistics_timeout",
                "infer_timeout", "evaluate_timeout", "certificate_authority_id"):
        for bad in ("abc", "1.5", "", "12x"):
            r = run(c, "profile", "set", f"--{opt}", bad)
            assert r.returncode == 2, (opt, bad)
            assert f"--{opt}" in r.stderr
        r = run(c, "profile", "set", f"--{opt}", "42")
        assert r.returncode == 0, r.stderr
        assert prof()[opt] == 42
    # text options
    r = run(c, "profile", "set", "--platform", "singularity", "--gpus", "device=0,1",
            "--loglevel", "info", "--container-loglevel", "warning", "--auth_class", "Auth0")
    assert r.returncode == 0, r.stderr
    p = prof()
    assert (p["platform"], p["gpus"], p["loglevel"], p["container_loglevel"]) == \
        ("singularity", "device=0,1", "info", "warning")
    # --cleanup / --no-cleanup
    assert run(c, "profile", "set", "--no-cleanup").returncode == 0
    assert prof()["cleanup"] is False
    assert run(c, "profile", "set", "--cleanup").returncode == 0
    assert prof()["cleanup"] is True
    r = run(c, "profile", "set", "--cleanup", "--no-cleanup")
    assert r.returncode == 2
    assert prof()["cleanup"] is True
    # unknown options (--shm-size is not a profile key in MedPerf either), nothing to set
    for bad in ("--bogus", "--shm-size", "--profile"):
        r = run(c, "profile", "set", bad, "1")
        assert r.returncode == 2 and f"unknown option '{bad}'" in r.stderr, bad
    r = run(c, "profile", "set")
    assert r.returncode == 2
    # the rest of the profile is untouched by all this
    p = prof()
    assert p["server"] == srv.url and p["auth_domain"] == "auth.medperf.org"


def test_profile_set_certificate_must_be_a_file(cli, tmp_path):
    c = cli.fresh("pcertdir")
    before = config(c)["profiles"]["test"]["certificate"]
    r = run(c, "profile", "set", "--certificate", str(tmp_path))
    assert r.returncode == 2, "a folder was accepted as the certificate"
    assert str(tmp_path) in r.stderr
    assert config(c)["profiles"]["test"]["certificate"] == before


def test_profile_set_empty_certificate_means_system_store(cli):
    c = cli.fresh("pcertnone")
    assert run(c, "profile", "set", "--certificate", "").returncode == 0
    assert config(c)["profiles"]["test"]["certificate"] is None


def test_profile_set_server_drops_the_login(cli, srv, tmp_path):
    c = cli.fresh("psetsrv")
    login(c, token(srv, c.email), tmp_path)
    # a failing set changes nothing, login included
    r = run(c, "profile", "set", "--server", "https://example.org", "--certificate",
            os.path.join(str(tmp_path), "missing.pem"))
    assert r.returncode == 2
    assert c.json("auth", "status")["logged_in"] is True
    assert os.path.exists(token_file(c))
    # the same server again: still logged in
    assert run(c, "profile", "set", "--server", srv.url).returncode == 0
    assert c.json("auth", "status")["logged_in"] is True
    # another server: the login and the stored token are gone
    assert run(c, "profile", "set", "--server", "https://example.org").returncode == 0
    assert_logged_out(c)
    assert not os.path.exists(token_file(c))


def test_profile_delete(cli, srv, tmp_path):
    c = cli.fresh("pdel")
    for name in ("default", "local", "testauth"):
        r = run(c, "profile", "delete", name)
        assert r.returncode == 2, name
        assert "Cannot delete reserved profiles" in r.stderr
        assert name in config(c)["profiles"]
    r = run(c, "profile", "delete", "test")
    assert r.returncode == 2 and "Cannot delete a currently activated profile" in r.stderr
    assert "test" in config(c)["profiles"]
    r = run(c, "profile", "delete", "nope")
    assert r.returncode == 2 and "The provided profile does not exist" in r.stderr
    assert run(c, "profile", "create", "-n", "gone").returncode == 0
    r = run(c, "profile", "delete", "gone")
    assert r.returncode == 0, r.stderr
    assert "gone" not in config(c)["profiles"]
    assert "gone" not in [p["name"] for p in c.json("profile", "ls")]
    # deleting a logged-in (inactive) profile removes its stored token
    assert run(c, "profile", "create", "-n", "inprof").returncode == 0
    assert run(c, "--profile", "inprof", "auth", "login", "--token",
               token(srv, c.email)).returncode == 0
    assert os.path.exists(token_file(c))
    assert run(c, "profile", "delete", "inprof").returncode == 0
    assert not os.path.exists(token_file(c))


def test_global_profile_option(cli, srv, tmp_path):
    c = cli.fresh("pglobal")
    login(c, token(srv, c.email), tmp_path)
    assert run(c, "profile", "create", "-n", "alt", "--server", "https://example.org").returncode == 0
    st = json.loads(run(c, "--profile", "alt", "auth", "status", "--json").stdout)
    assert st["profile"] == "alt" and st["server"] == "https://example.org"
    assert st["logged_in"] is False
    st = json.loads(run(c, "--profile=alt", "auth", "status", "--json").stdout)
    assert st["profile"] == "alt"
    # --profile does not change the active profile
    assert config(c)["active_profile_name"] == "test"
    assert c.json("auth", "status")["profile"] == "test"
    # a setting through --profile goes to that profile
    assert run(c, "--profile", "alt", "profile", "set", "--gpus", "1").returncode == 0
    assert config(c)["profiles"]["alt"]["gpus"] == "1"
    assert config(c)["profiles"]["test"]["gpus"] is None
    r = run(c, "--profile", "nope", "auth", "status")
    assert r.returncode == 2 and "nope" in r.stderr
    r = run(c, "--profile")
    assert r.returncode == 2 and "--profile" in r.stderr and "needs a value" in r.stderr


# ---------------------------------------------------------------- a corrupted config.yaml

def _pyyaml_error_line(text):
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as e:
        return e.problem_mark.line + 1
    raise AssertionError("the YAML is valid")


@pytest.mark.parametrize("bad", [
    "active_profile_name: test\nprofiles:\n  test:\n    server: https://x\n     bad: 1\n",
    "active_profile_name: test\nprofiles:\n  test: {server: [unclosed\nstorage: {}\n",
    "active_profile_name: test\nprofiles:\n  test:\n    server: \"open\n",
])
def test_corrupted_config(cli, srv, bad):
    c = fresh(cli, "corruptcfg")
    path = os.path.join(c.config, "config.yaml")
    with open(path, "w") as f:
        f.write(bad)
    line = _pyyaml_error_line(bad)
    for args in (("profile", "ls"), ("auth", "status"), ("profile", "set", "--loglevel", "info"),
                 ("profile", "create", "-n", "x"), ("auth", "login", "--token",
                                                    token(srv, c.email)),
                 ("auth", "logout"), ("benchmark", "ls")):
        r = run(c, *args)
        assert r.returncode == 1, (args, r.returncode, r.stderr)
        assert path in r.stderr, r.stderr
        assert f"config.yaml:{line}:" in r.stderr, (line, r.stderr)
        assert r.stdout == ""
        with open(path) as f:
            assert f.read() == bad, f"config.yaml was rewritten by {args}"
    assert not os.path.exists(token_file(c))


def test_config_without_profiles(cli):
    c = cli.fresh("noprofiles")
    path = os.path.join(c.config, "config.yaml")
    for text in ("", "just a string\n", "active_profile_name: x\n", "- 1\n- 2\n"):
        with open(path, "w") as f:
            f.write(text)
        r = run(c, "profile", "ls")
        assert r.returncode == 1, text
        assert path in r.stderr
        with open(path) as f:
            assert f.read() == text
