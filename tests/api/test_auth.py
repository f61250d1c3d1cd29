"""test_auth.py: bearer-token authentication (facts §2, reference §1.3,
Appendix A §4.5), trusted issuers from config.json, and the operator
commands `medperf-server user` and `token`.

Custom tokens are built here: RS256 signatures over base64url(header) "."
base64url(payload) with python3-cryptography when importable, otherwise with
`openssl dgst -sha256 -sign KEY`.
"""
import base64
import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
import time
import uuid

import pytest

from factory import uniq
from server import Client, Server, run_cli

EMAIL_CLAIM = "https://medperf.org/email"
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}
BAD_HEADER = {"detail": "Authorization header must contain two space-delimited values",
              "code": "bad_authorization_header"}
INVALID = {"detail": "Given token not valid for any token type", "code": "token_not_valid",
           "messages": [{"token_class": "AccessToken", "token_type": "access",
                         "message": "Token is invalid or expired"}]}
NO_EMAIL = {"detail": "Token must contain the user email address", "code": "token_not_valid"}
NO_SUB = {"detail": "Token contained no recognizable user identification",
          "code": "token_not_valid"}
INACTIVE = {"detail": "User is inactive", "code": "user_inactive"}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
CHALLENGE = 'Bearer realm="api"'

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    HAVE_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - Debian without python3-cryptography
    HAVE_CRYPTOGRAPHY = False


# ---------------------------------------------------------------- token helpers


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_json(obj):
    return b64u(json.dumps(obj, separators=(",", ":")))


def rs256_sign(key_path, message):
    if HAVE_CRYPTOGRAPHY:
        with open(key_path, "rb") as fh:
            key = serialization.load_pem_private_key(fh.read(), password=None)
        return key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    r = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_path], input=message,
                       capture_output=True, check=True, timeout=30)
    return r.stdout


def make_token(key_path, claims, header=None):
    header = header if header is not None else {"alg": "RS256", "typ": "JWT"}
    signing_input = b64u_json(header) + "." + b64u_json(claims)
    return signing_input + "." + b64u(rs256_sign(key_path, signing_input.encode()))


def gen_rsa_key(path):
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:2048", "-out", path], check=True, capture_output=True,
                   timeout=60)
    pub = path.replace(".pem", ".pub.pem")
    subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-out", pub], check=True,
                   capture_output=True, timeout=30)
    return path, pub


def jwk_of(pub_path, kid):
    """The JWK (n, e) of an RSA public key PEM."""
    r = subprocess.run(["openssl", "rsa", "-pubin", "-in", pub_path, "-noout", "-modulus"],
                       check=True, capture_output=True, text=True, timeout=30)
    n = int(r.stdout.strip().split("=", 1)[1], 16)
    e = 65537
    if HAVE_CRYPTOGRAPHY:
        with open(pub_path, "rb") as fh:
            nums = serialization.load_pem_public_key(fh.read()).public_numbers()
        assert nums.n == n
        e = nums.e

    def to_b64(x):
        return b64u(x.to_bytes((x.bit_length() + 7) // 8, "big"))

    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": to_b64(n),
            "e": to_b64(e)}


def server_claims(srv, sub=None, email="", **kw):
    with open(os.path.join(srv.data, "config.json")) as fh:
        cfg = json.load(fh)
    now = int(time.time())
    claims = {"iss": cfg.get("token_issuer", "medperf-server"),
              "aud": cfg.get("token_audience", "medperf-api"),
              "sub": sub or f"sub-{uuid.uuid4().hex}", "iat": now, "exp": now + 3600}
    if email is not None:
        claims[EMAIL_CLAIM] = email or f"{uuid.uuid4().hex[:10]}@example.org"
    claims.update(kw)
    return claims


def server_key(srv):
    return os.path.join(srv.data, "token-key.pem")


def server_token(srv, **kw):
    return make_token(server_key(srv), server_claims(srv, **kw))


def with_header(anon, value, path="/me/"):
    return anon.get(path, headers={"Authorization": value})


def assert_401(r, body):
    assert r.status_code == 401, (r.status_code, r.text)
    assert r.json() == body
    assert r.headers.get("WWW-Authenticate") == CHALLENGE


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    out = {}
    for name in ("unknown", "idp", "jwks"):
        out[name], out[name + "_pub"] = gen_rsa_key(str(d / f"{name}.pem"))
    out["jwks_file"] = str(d / "jwks.json")
    with open(out["jwks_file"], "w") as fh:
        json.dump({"keys": [jwk_of(out["jwks_pub"], "k1")]}, fh)
    return out


# ---------------------------------------------------------------- header parsing


def test_no_header(anon):
    assert_401(anon.get("/me/"), NO_CREDENTIALS)
    assert_401(anon.get("/benchmarks/"), NO_CREDENTIALS)


def test_other_schemes_are_no_credentials(srv, anon):
    tok = srv.token("scheme@example.org")
    for value in (f"Token {tok}", f"bearer {tok}", f"JWT {tok}", f"Basic {tok}",
                  f"BearerX {tok}"):
        assert_401(with_header(anon, value), NO_CREDENTIALS)
    # the same token with the right scheme works
    assert with_header(anon, f"Bearer {tok}").status_code == 200


def test_bearer_needs_exactly_two_values(srv, anon):
    tok = srv.token("twovalues@example.org")
    for value in ("Bearer", "Bearer a b", f"Bearer {tok} extra", "Bearer a b c"):
        assert_401(with_header(anon, value), BAD_HEADER)


# ---------------------------------------------------------------- invalid tokens


def invalid_token(case, srv, keys):
    now = int(time.time())
    if case == "garbage":
        return "abc.def.ghi"
    if case == "corrupted-signature":
        tok = srv.token("corrupt@example.org")
        head, payload, sig = tok.split(".")
        i = len(sig) // 2
        sig = sig[:i] + ("A" if sig[i] != "A" else "B") + sig[i + 1:]
        return f"{head}.{payload}.{sig}"
    if case == "corrupted-payload":
        head, payload, sig = server_token(srv).split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["sub"] = "someone-else"
        return f"{head}.{b64u_json(claims)}.{sig}"
    if case == "expired":
        return server_token(srv, iat=now - 7200, exp=now - 3600)
    if case == "wrong-audience":
        return server_token(srv, aud="https://other-api.example/")
    if case == "wrong-issuer":
        return server_token(srv, iss="https://other-issuer.example/")
    if case == "alg-none":
        return b64u_json({"alg": "none", "typ": "JWT"}) + "." + \
            b64u_json(server_claims(srv)) + "."
    if case == "alg-none-signed":
        claims = server_claims(srv)
        return make_token(server_key(srv), claims, header={"alg": "none", "typ": "JWT"})
    if case == "hs256-public-key":
        with open(os.path.join(srv.data, "token-key.pub.pem"), "rb") as fh:
            secret = fh.read()
        signing_input = b64u_json({"alg": "HS256", "typ": "JWT"}) + "." + \
            b64u_json(server_claims(srv))
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + b64u(mac)
    if case == "unknown-key":
        return make_token(keys["unknown"], server_claims(srv))
    if case == "two-parts":
        return ".".join(server_token(srv).split(".")[:2])
    raise AssertionError(case)


INVALID_CASES = ["garbage", "corrupted-signature", "corrupted-payload", "expired",
                 "wrong-audience", "wrong-issuer", "alg-none", "alg-none-signed",
                 "hs256-public-key", "unknown-key", "two-parts"]


@pytest.mark.parametrize("case", INVALID_CASES)
def test_invalid_token(case, srv, keys, anon, admin):
    tok = invalid_token(case, srv, keys)
    assert_401(with_header(anon, f"Bearer {tok}"), INVALID)
    # twice: a refused token is not cached as good
    assert_401(with_header(anon, f"Bearer {tok}", "/benchmarks/"), INVALID)


def test_valid_custom_token_accepted(srv, anon):
    # the helpers themselves: a well-formed token of the server's key works, also
    # with "aud" given as a list that contains the audience
    email = f"{uuid.uuid4().hex[:10]}@example.org"
    r = with_header(anon, "Bearer " + server_token(srv, email=email))
    assert r.status_code == 200, r.text
    assert r.json()["email"] == email
    claims = server_claims(srv)
    claims["aud"] = ["https://elsewhere.example/", claims["aud"]]
    r = with_header(anon, "Bearer " + make_token(server_key(srv), claims))
    assert r.status_code == 200, r.text


def test_token_without_exp_refused(srv, anon):
    claims = server_claims(srv)
    del claims["exp"]
    r = with_header(anon, "Bearer " + make_token(server_key(srv), claims))
    assert r.status_code == 401
    assert r.json()["detail"] == "Given token not valid for any token type"
    assert r.json()["code"] == "token_not_valid"
    assert r.headers.get("WWW-Authenticate") == CHALLENGE


def test_token_without_sub(srv, anon):
    claims = server_claims(srv)
    del claims["sub"]
    r = with_header(anon, "Bearer " + make_token(server_key(srv), claims))
    assert_401(r, NO_SUB)


# ---------------------------------------------------------------- users on first sight


def usernames(admin):
    r = admin.get("/users/?limit=1000")
    assert r.status_code == 200
    return {u["username"]: u for u in r.json()["results"]}


def test_no_email_for_unknown_sub(srv, anon, admin):
    sub = f"auth0|{uuid.uuid4().hex}"
    r = with_header(anon, "Bearer " + server_token(srv, sub=sub, email=None))
    assert_401(r, NO_EMAIL)
    assert sub not in usernames(admin)
    # once the user exists (a token with the claim), the claim is no longer needed
    email = f"{uuid.uuid4().hex[:10]}@example.org"
    r = with_header(anon, "Bearer " + server_token(srv, sub=sub, email=email))
    assert r.status_code == 200, r.text
    r = with_header(anon, "Bearer " + server_token(srv, sub=sub, email=None))
    assert r.status_code == 200, r.text
    assert r.json()["username"] == sub and r.json()["email"] == email


def test_first_sight_creates_user(srv, anon, admin):
    sub = f"auth0|{uuid.uuid4().hex}"
    email = f"first-{uuid.uuid4().hex[:8]}@example.org"
    assert sub not in usernames(admin)
    r = with_header(anon, "Bearer " + server_token(srv, sub=sub, email=email))
    assert r.status_code == 200, r.text
    me = r.json()
    assert me == {"id": me["id"], "username": sub, "email": email, "first_name": "",
                  "last_name": "", "metadata": {}}
    assert usernames(admin)[sub] == me
    # the same sub is the same user
    r = with_header(anon, "Bearer " + server_token(srv, sub=sub, email=email))
    assert r.json()["id"] == me["id"]


def test_email_never_updated(srv, anon, admin):
    sub = f"auth0|{uuid.uuid4().hex}"
    email = f"kept-{uuid.uuid4().hex[:8]}@example.org"
    r = with_header(anon, "Bearer " + server_token(srv, sub=sub, email=email))
    assert r.status_code == 200
    uid = r.json()["id"]
    r = with_header(anon, "Bearer " + server_token(srv, sub=sub, email="changed@example.org"))
    assert r.status_code == 200
    assert r.json()["id"] == uid and r.json()["email"] == email
    assert admin.get(f"/users/{uid}/").json()["email"] == email


def set_active(srv, uid, active):
    con = sqlite3.connect(os.path.join(srv.data, "medperf.db"), timeout=10)
    try:
        con.execute("UPDATE users SET is_active = ? WHERE id = ?", (1 if active else 0, uid))
        con.commit()
    finally:
        con.close()


def test_inactive_user(srv):
    c = srv.user(uniq("inactive"))
    uid = c.id  # created; its token is now also in the server's cache
    set_active(srv, uid, False)
    try:
        for path in ("/me/", "/benchmarks/", f"/users/{uid}/metadata/"):
            assert_401(c.get(path), INACTIVE)
    finally:
        set_active(srv, uid, True)
    assert c.get("/me/").status_code == 200


# ---------------------------------------------------------------- clock skew


@pytest.mark.parametrize("delta", [{"exp": -30}, {"iat": 30}, {"nbf": 30},
                                   {"iat": -3600, "nbf": -3600}])
def test_clock_skew_tolerated(delta, srv, anon):
    now = int(time.time())
    kw = {k: now + v for k, v in delta.items()}
    if "exp" in kw:
        kw["iat"] = now - 600
    r = with_header(anon, "Bearer " + server_token(srv, **kw))
    assert r.status_code == 200, (delta, r.text)


@pytest.mark.parametrize("delta", [{"exp": -120}, {"iat": 120}, {"nbf": 120},
                                   {"exp": -86400}])
def test_clock_skew_exceeded(delta, srv, anon):
    now = int(time.time())
    kw = {k: now + v for k, v in delta.items()}
    if "exp" in kw:
        kw["iat"] = now - 100000
    assert_401(with_header(anon, "Bearer " + server_token(srv, **kw)), INVALID)


# ---------------------------------------------------------------- trusted issuers


IDP = {"name": "idp", "issuer": "https://idp.example/", "audience": "https://api.example/"}
JWKS = {"name": "jwks", "issuer": "https://jwks.example/", "audience": "aud2"}


def idp_claims(issuer, audience, sub=None, email=None):
    now = int(time.time())
    return {"iss": issuer, "aud": audience, "sub": sub or f"idp|{uuid.uuid4().hex}",
            EMAIL_CLAIM: email or f"{uuid.uuid4().hex[:10]}@example.org",
            "iat": now, "exp": now + 3600}


def test_trusted_issuers(tmp_path, keys):
    config = {"trusted_issuers": [
        dict(IDP, public_key_file=keys["idp_pub"]),
        dict(JWKS, jwks_file=keys["jwks_file"])]}
    s = Server.start(tmp_path, config=config)
    try:
        anon = s.anon()
        # the public-key issuer
        c = idp_claims(IDP["issuer"], IDP["audience"], sub="idp|alice",
                       email="alice@idp.example")
        r = with_header(anon, "Bearer " + make_token(keys["idp"], c))
        assert r.status_code == 200, r.text
        assert r.json()["username"] == "idp|alice" and r.json()["email"] == "alice@idp.example"
        # the JWKS issuer, with the key's kid
        c = idp_claims(JWKS["issuer"], JWKS["audience"], sub="jwks|bob",
                       email="bob@jwks.example")
        tok = make_token(keys["jwks"], c, header={"alg": "RS256", "typ": "JWT", "kid": "k1"})
        r = with_header(anon, "Bearer " + tok)
        assert r.status_code == 200, r.text
        assert r.json()["username"] == "jwks|bob" and r.json()["email"] == "bob@jwks.example"
        # the server's own tokens still work
        own = Client(s, s.token("own@example.org"))
        assert own.get("/me/").status_code == 200
        # the right key and issuer with the other issuer's audience
        bad = [make_token(keys["idp"], idp_claims(IDP["issuer"], JWKS["audience"])),
               make_token(keys["jwks"], idp_claims(JWKS["issuer"], IDP["audience"]),
                          header={"alg": "RS256", "typ": "JWT", "kid": "k1"}),
               # one issuer's key for the other issuer's claims
               make_token(keys["idp"], idp_claims(JWKS["issuer"], JWKS["audience"])),
               make_token(keys["jwks"], idp_claims(IDP["issuer"], IDP["audience"])),
               make_token(keys["idp"], idp_claims(JWKS["issuer"], JWKS["audience"]),
                          header={"alg": "RS256", "typ": "JWT", "kid": "k1"}),
               # a kid the JWKS does not hold
               make_token(keys["jwks"], idp_claims(JWKS["issuer"], JWKS["audience"]),
                          header={"alg": "RS256", "typ": "JWT", "kid": "k2"}),
               # the server's own issuer signed by a trusted issuer's key
               make_token(keys["idp"], dict(idp_claims("medperf-server", "medperf-api"))),
               # an unknown key for a trusted issuer
               make_token(keys["unknown"], idp_claims(IDP["issuer"], IDP["audience"]))]
        for tok in bad:
            assert_401(with_header(anon, "Bearer " + tok), INVALID)
        # the first server does not trust these issuers
    finally:
        s.stop()


def test_trusted_issuer_not_trusted_elsewhere(srv, keys, anon):
    tok = make_token(keys["idp"], idp_claims(IDP["issuer"], IDP["audience"]))
    assert_401(with_header(anon, "Bearer " + tok), INVALID)


def serve_with(tmp_path, issuers):
    data = str(tmp_path / f"data-{uuid.uuid4().hex[:6]}")
    run_cli("init", "--data-dir", data)
    path = os.path.join(data, "config.json")
    with open(path) as fh:
        cfg = json.load(fh)
    cfg["trusted_issuers"] = issuers
    with open(path, "w") as fh:
        json.dump(cfg, fh)
    return run_cli("serve", "--data-dir", data, "--listen", "127.0.0.1:0",
                   "--access-log", "none", check=False)


def test_malformed_trusted_issuers_refused(tmp_path, keys):
    pem = keys["idp_pub"]
    cases = [
        ([dict(IDP, public_key_file=pem, bogus_key=1)], ["bogus_key"]),
        ([{"name": "x", "issuer": "https://x.example/", "public_key_file": pem}],
         ["audience"]),
        ([{"name": "x", "audience": "a", "public_key_file": pem}], ["issuer"]),
        ([dict(IDP, public_key_file="/nonexistent/idp.pem")], ["/nonexistent/idp.pem"]),
        ([dict(JWKS, jwks_file="/nonexistent/jwks.json")], ["/nonexistent/jwks.json"]),
        ([dict(IDP)], ["public_key_file", "jwks_file"]),
        ([dict(IDP, public_key_file=pem, jwks_file=keys["jwks_file"])],
         ["public_key_file", "jwks_file"]),
        ([dict(IDP, public_key_file=keys["jwks_file"])], [keys["jwks_file"]]),
        ([dict(JWKS, jwks_file=pem)], [pem]),
        ([dict(IDP, audience="")], ["audience"]),
        ("not-a-list", ["trusted_issuers"]),
        (["not-an-object"], ["trusted_issuers[0]"]),
    ]
    for issuers, words in cases:
        r = serve_with(tmp_path, issuers)
        assert r.returncode != 0, (issuers, r.stderr)
        for w in words:
            assert w in r.stderr, (issuers, w, r.stderr)


# ---------------------------------------------------------------- operator commands


def test_set_and_unset_admin_take_effect_at_once(srv):
    c = srv.user(uniq("promoted"))
    r = c.get("/users/")
    assert r.status_code == 403 and r.json() == FORBIDDEN
    out = run_cli("user", "set-admin", c.email, "--data-dir", srv.data)
    assert c.email.split("@")[0] in out.stdout or str(c.id) in out.stdout
    r = c.get("/users/")
    assert r.status_code == 200 and "count" in r.json()
    # an admin-only write works too
    assert c.delete("/results/999999/").status_code == 404
    run_cli("user", "unset-admin", c.email, "--data-dir", srv.data)
    r = c.get("/users/")
    assert r.status_code == 403 and r.json() == FORBIDDEN
    assert c.delete("/results/999999/").status_code == 403


def test_user_ls_shows_admin_flag(srv):
    c = srv.user(uniq("listed-admin"), admin=True)
    assert c.get("/users/").status_code == 200
    r = run_cli("user", "ls", "--data-dir", srv.data)
    line = [ln for ln in r.stdout.splitlines() if c.email in ln]
    assert len(line) == 1 and " yes " in line[0]


def test_set_admin_unknown_email(srv):
    email = f"nobody-{uuid.uuid4().hex[:8]}@example.org"
    r = run_cli("user", "set-admin", email, "--data-dir", srv.data, check=False)
    assert r.returncode == 1, r.stderr
    assert email in r.stderr
    r = run_cli("user", "unset-admin", email, "--data-dir", srv.data, check=False)
    assert r.returncode == 1 and email in r.stderr


def test_token_create_requires_email(srv):
    r = run_cli("token", "create", "--data-dir", srv.data, check=False)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "--email" in r.stderr
    assert r.stdout == ""


def test_token_create_sub_and_claims(srv, anon):
    sub = f"auth0|{uuid.uuid4().hex}"
    email = f"cli-{uuid.uuid4().hex[:8]}@example.org"
    tok = run_cli("token", "create", "--data-dir", srv.data, "--email", email, "--sub", sub,
                  "--days", "2").stdout.strip()
    head, payload, _ = tok.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    assert header["alg"] == "RS256"
    assert claims["sub"] == sub and claims[EMAIL_CLAIM] == email
    assert claims["iss"] == "medperf-server" and claims["aud"] == "medperf-api"
    assert claims["exp"] - claims["iat"] == 2 * 86400
    r = with_header(anon, "Bearer " + tok)
    assert r.status_code == 200
    assert r.json()["username"] == sub and r.json()["email"] == email


HELP_CASES = [
    (["init"], ["--data-dir", "--force", "--listen", "--san", "--cert-days"]),
    (["serve"], ["--data-dir", "--listen", "--threads", "--insecure-http", "--port-file",
                 "--access-log"]),
    (["token"], ["create", "--data-dir", "--email", "--sub", "--admin", "--days"]),
    (["token", "create"], ["--data-dir", "--email", "--sub", "--admin", "--days"]),
    (["user"], ["ls", "set-admin", "unset-admin", "--data-dir"]),
    (["user", "ls"], ["--data-dir"]),
    (["user", "set-admin"], ["set-admin", "--data-dir"]),
    (["user", "unset-admin"], ["unset-admin", "--data-dir"]),
    ([], ["init", "serve", "token", "user"]),
]


@pytest.mark.parametrize("args,words", HELP_CASES,
                         ids=[" ".join(a) or "top" for a, _ in HELP_CASES])
def test_help(args, words):
    for flag in ("--help", "-h"):
        r = run_cli(*args, flag, check=False)
        assert r.returncode == 0, (args, flag, r.stderr)
        for w in words:
            assert w in r.stdout, (args, flag, w, r.stdout)
