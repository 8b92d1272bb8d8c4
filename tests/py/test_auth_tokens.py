"""Access tokens on the pages, as Supabase Auth issues them today.

- Asymmetric JWT signing keys (ES256 / RS256 with a `kid`), verified against the project's JWKS
  served by a real HTTP server on loopback (fetches counted: cached, TTL, refreshed on an unknown
  kid but rate-limited, rotation) or read from a local file; HS256 with the legacy secret.
- Claims: `aud = authenticated`, `exp` required, `iss` = `<SUPABASE_URL>/auth/v1`.
- Attacks: `alg: none`, HS256 "signed" with the public key (algorithm confusion), a kid naming
  a key of another family, made-up kids: each is a 401 with the sign-in page, never a 500.
- The session cookie of `@supabase/ssr` (`sb-<ref>-auth-token`, `base64-` + base64url JSON,
  chunked `.0`, `.1`, ...), next to the Bearer header and `sb-access-token`.

Pages are reached through a test-only view wrapped in `login_required` (no database needed),
and once end to end on /student/progress with a real database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import g

from glue import create_app
from glue.auth import KeySet, access_token_from_session, combine_chunks
from glue.config import TestConfig
from glue.pages.auth import login_required

BEN = "00000000-0000-4000-a000-000000000012"
HS_SECRET = TestConfig().SUPABASE_JWT_SECRET
UNUSED_DB = "postgresql://nobody@127.0.0.1:9/unused"  # the pool opens lazily: never contacted here

EC_KEY = ec.generate_private_key(ec.SECP256R1())
EC_KEY_2 = ec.generate_private_key(ec.SECP256R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(private_key, kid: str, alg: str) -> dict:
    return {**_jwk(private_key.public_key(), alg), "kid": kid, "alg": alg, "use": "sig"}


def _jwk(public_key, alg: str) -> dict:
    algorithm = jwt.algorithms.ECAlgorithm if alg == "ES256" else jwt.algorithms.RSAAlgorithm
    return json.loads(algorithm.to_jwk(public_key))


def pem(private_key) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class JwksServer:
    """A real HTTP server playing `<SUPABASE_URL>/auth/v1/.well-known/jwks.json`; counts fetches."""

    PATH = "/auth/v1/.well-known/jwks.json"

    def __init__(self):
        self.keys: list[dict] = []
        self.fetches = 0
        self.status = 200
        self.delay = 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server API
                if self.path != outer.PATH:
                    self.send_error(404)
                    return
                outer.fetches += 1
                time.sleep(outer.delay)
                body = json.dumps({"keys": outer.keys}).encode()
                self.send_response(outer.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def jwks():
    server = JwksServer()
    server.keys = [public_jwk(EC_KEY, "ec-1", "ES256"), public_jwk(RSA_KEY, "rsa-1", "RS256")]
    yield server
    server.close()


def make_app(**settings):
    app = create_app(TestConfig(DATABASE_URL=UNUSED_DB, **settings))

    @app.get("/_whoami")
    @login_required
    def whoami():
        return {"sub": g.user_id, "email": g.claims.get("email")}

    return app


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(jwks, clock):
    """SUPABASE_URL points at the JWKS server: issuer and JWKS URL derive from it."""
    application = make_app(SUPABASE_URL=jwks.url)
    keyset = application.extensions["jwks"]
    keyset.clock = clock  # TTL and rate limit on a clock the test moves
    assert (keyset.ttl, keyset.min_refresh) == (600, 30)
    return application


@pytest.fixture
def client(app):
    return app.test_client()


def claims(jwks_url: str, **extra) -> dict:
    now = int(time.time())
    base = {
        "sub": BEN,
        "aud": "authenticated",
        "role": "authenticated",
        "iss": f"{jwks_url}/auth/v1",
        "iat": now,
        "exp": now + 3600,
        "email": "ben@example.org",
        "session_id": str(uuid.uuid4()),
    }
    return {k: v for k, v in {**base, **extra}.items() if v is not None}


def es256(payload: dict, kid: str = "ec-1", key=EC_KEY) -> str:
    return jwt.encode(payload, pem(key), algorithm="ES256", headers={"kid": kid})


def rs256(payload: dict, kid: str = "rsa-1") -> str:
    return jwt.encode(payload, pem(RSA_KEY), algorithm="RS256", headers={"kid": kid})


def hand_signed_hs256(payload: dict, secret: bytes, kid: str | None = None) -> str:
    """HS256 computed by hand (PyJWT itself refuses a PEM public key as an HMAC secret)."""
    header = {"alg": "HS256", "typ": "JWT", **({"kid": kid} if kid else {})}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def get(client, token: str | None = None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/_whoami", headers=headers, **kwargs)


def assert_signed_out(response, reason: str = "could not be verified"):
    assert response.status_code == 401, response.get_data(as_text=True)[:300]
    html = response.get_data(as_text=True)
    assert "<h1>Sign in</h1>" in html
    assert reason in html


# --- asymmetric keys from the project's JWKS ----------------------------------------------------


def test_an_es256_token_signs_in_and_the_jwks_is_fetched_once(client, jwks):
    for _ in range(5):
        r = get(client, es256(claims(jwks.url)))
        assert (r.status_code, r.get_json()["sub"]) == (200, BEN)
    assert jwks.fetches == 1, "the key set is cached"


def test_an_rs256_token_signs_in(client, jwks):
    r = get(client, rs256(claims(jwks.url)))
    assert (r.status_code, r.get_json()["sub"]) == (200, BEN)


def test_the_key_set_is_read_again_after_its_ttl(client, jwks, clock):
    assert get(client, es256(claims(jwks.url))).status_code == 200
    clock.now += 599
    assert get(client, es256(claims(jwks.url))).status_code == 200
    assert jwks.fetches == 1
    clock.now += 2
    assert get(client, es256(claims(jwks.url))).status_code == 200
    assert jwks.fetches == 2


def test_a_rotated_in_key_is_found_by_one_refresh_and_a_removed_key_stops_working_after_the_ttl(client, jwks, clock):
    assert get(client, es256(claims(jwks.url))).status_code == 200
    jwks.keys.append(public_jwk(EC_KEY_2, "ec-2", "ES256"))  # the project rotates to a new key
    clock.now += 31
    r = get(client, es256(claims(jwks.url), kid="ec-2", key=EC_KEY_2))
    assert r.status_code == 200
    assert jwks.fetches == 2, "the unknown kid read the key set once more"
    jwks.keys = [k for k in jwks.keys if k["kid"] != "ec-1"]  # the old key is revoked
    assert get(client, es256(claims(jwks.url))).status_code == 200, "still cached"
    clock.now += 601
    assert_signed_out(get(client, es256(claims(jwks.url))))
    assert get(client, es256(claims(jwks.url), kid="ec-2", key=EC_KEY_2)).status_code == 200


def test_made_up_kids_cause_at_most_one_refresh_per_interval_and_a_401(client, jwks, clock):
    assert get(client, es256(claims(jwks.url))).status_code == 200
    for i in range(50):
        assert_signed_out(get(client, es256(claims(jwks.url), kid=f"garbage-{i}")))
    assert jwks.fetches == 1, "within 30 s of the last read, unknown kids do not refetch"
    clock.now += 30
    for i in range(50):
        assert_signed_out(get(client, es256(claims(jwks.url), kid=f"more-garbage-{i}")))
    assert jwks.fetches == 2, "one refresh for the whole burst"


def test_concurrent_first_requests_share_one_fetch(app, jwks):
    """16 requests at once on a cold cache, half with made-up kids, while the endpoint is slow:
    one read of the key set serves them all."""
    jwks.delay = 0.3
    results: list[int] = []

    def hit(i: int) -> None:
        kid = "ec-1" if i % 2 else f"made-up-{i}"
        results.append(get(app.test_client(), es256(claims(jwks.url), kid=kid)).status_code)

    threads = [threading.Thread(target=hit, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] * 8 + [401] * 8
    assert jwks.fetches == 1


def test_an_unreachable_jwks_keeps_the_known_keys_and_never_answers_500(client, jwks, clock):
    assert get(client, es256(claims(jwks.url))).status_code == 200
    jwks.status = 500
    clock.now += 601
    assert get(client, es256(claims(jwks.url))).status_code == 200, "stale keys still verify"
    assert_signed_out(get(client, es256(claims(jwks.url), kid="unknown")))
    assert jwks.fetches == 2


def test_no_jwks_at_all_is_a_401_not_a_500(jwks):
    jwks.status = 503
    client = make_app(SUPABASE_URL=jwks.url).test_client()
    assert_signed_out(get(client, es256(claims(jwks.url))))


def test_a_jwks_file_works_offline(tmp_path):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [public_jwk(EC_KEY, "ec-1", "ES256"), {"kty": "oct", "kid": "x", "k": "AA"}]}))
    app = make_app(SUPABASE_JWKS_FILE=str(path), SUPABASE_JWT_ISSUER="https://abcd.supabase.co/auth/v1")
    client = app.test_client()
    token = es256(claims("https://abcd.supabase.co"))
    assert get(client, token).status_code == 200
    assert_signed_out(get(client, es256(claims("https://other.supabase.co"))))  # wrong iss
    assert app.extensions["jwks"].fetches == 1


def test_the_legacy_hs256_secret_still_signs_in(client, jwks):
    token = jwt.encode(claims(jwks.url), HS_SECRET, algorithm="HS256")
    assert get(client, token).status_code == 200


# --- claims --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"exp": None}, "could not be verified"),
        ({"aud": "anon"}, "not a signed-in user"),
        ({"aud": "service_role"}, "not a signed-in user"),
        ({"aud": None}, "could not be verified"),
        ({"iss": "https://evil.example/auth/v1"}, "could not be verified"),
        ({"iss": None}, "could not be verified"),
        ({"sub": None}, "could not be verified"),
        ({"sub": "not-a-uuid"}, "could not be verified"),
        ({"role": "service_role"}, "not a signed-in user"),
    ],
    ids=[
        "expired",
        "no-exp",
        "aud-anon",
        "aud-service_role",
        "no-aud",
        "wrong-iss",
        "no-iss",
        "no-sub",
        "sub-not-uuid",
        "role-service",
    ],
)
@pytest.mark.parametrize("sign", [es256, rs256, lambda c: jwt.encode(c, HS_SECRET, "HS256")], ids=["ES", "RS", "HS"])
def test_unacceptable_claims_are_a_401(client, jwks, changes, reason, sign):
    assert_signed_out(get(client, sign(claims(jwks.url, **changes))), reason)


def test_without_supabase_url_iss_is_not_required_but_aud_is():
    client = make_app().test_client()
    token = jwt.encode(claims("x", iss=None), HS_SECRET, "HS256")
    assert get(client, token).status_code == 200
    assert_signed_out(get(client, jwt.encode(claims("x", iss=None, aud=None), HS_SECRET, "HS256")))


# --- attacks ---------------------------------------------------------------------------------------


def test_alg_none_is_refused(client, jwks):
    header = b64url(json.dumps({"alg": "none", "typ": "JWT", "kid": "ec-1"}).encode())
    payload = b64url(json.dumps(claims(jwks.url)).encode())
    for token in (f"{header}.{payload}.", f"{header}.{payload}.c2ln"):
        assert_signed_out(get(client, token))
    for alg in ("None", "NONE", "nOnE"):
        header = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
        assert_signed_out(get(client, f"{header}.{payload}."))


@pytest.mark.parametrize("with_hs_secret", [True, False], ids=["hs-secret-set", "no-hs-secret"])
def test_hs256_signed_with_the_public_key_is_refused(jwks, with_hs_secret):
    """Algorithm confusion: the attacker knows the public key (it is published) and uses it as
    an HMAC secret, naming its kid; the HS256 path only ever uses SUPABASE_JWT_SECRET."""
    settings = {"SUPABASE_URL": jwks.url} | ({} if with_hs_secret else {"SUPABASE_JWT_SECRET": None})
    client = make_app(**settings).test_client()
    assert get(client, es256(claims(jwks.url))).status_code == 200, "the key set works"
    public_pem = EC_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    rsa_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk_text = json.dumps(public_jwk(EC_KEY, "ec-1", "ES256")).encode()
    for secret in (public_pem, rsa_pem, jwk_text):
        for kid in ("ec-1", "rsa-1", None):
            assert_signed_out(get(client, hand_signed_hs256(claims(jwks.url), secret, kid)))


def test_a_kid_of_another_key_family_is_refused(client, jwks):
    # an ES256 token naming the RSA key's kid, and the reverse
    assert_signed_out(get(client, es256(claims(jwks.url), kid="rsa-1")))
    assert_signed_out(get(client, rs256(claims(jwks.url), kid="ec-1")))


def test_garbage_is_a_401_never_a_500(client, jwks):
    payload = b64url(json.dumps(claims(jwks.url)).encode())
    headers = [
        {"alg": "ES256"},  # no kid
        {"alg": "ES256", "kid": {"a": 1}},
        {"alg": "ES256", "kid": ["ec-1"]},
        {"alg": ["ES256"]},
        {"alg": "HS384"},
        {"alg": "PS256", "kid": "rsa-1"},
        {"alg": "EdDSA", "kid": "ec-1"},
    ]
    tokens = [f"{b64url(json.dumps(h).encode())}.{payload}.c2ln" for h in headers]
    tokens += ["x", "a.b.c", "....", "eyJ.eyJ.eyJ", "Bearer", "é.é.é", f"{b64url(b'[1]')}.{payload}.x"]
    for token in tokens:
        r = get(client, token)
        assert r.status_code == 401, (token, r.status_code)


# --- where the token comes from -----------------------------------------------------------------


def session_value(access_token: str, pad_user: int = 0) -> str:
    """What @supabase/ssr stores: `base64-` + base64url (no padding) of the JSON session."""
    session = {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": 3600,
        "expires_at": int(time.time()) + 3600,
        "refresh_token": "v1-refresh",
        "user": {"id": BEN, "aud": "authenticated", "user_metadata": {"bio": "é" * pad_user}},
    }
    return "base64-" + b64url(json.dumps(session).encode())


def chunks(value: str, size: int = 3180) -> list[str]:
    return [value[i : i + size] for i in range(0, len(value), size)]


def test_the_ssr_session_cookie_signs_in(client, jwks):
    # SUPABASE_URL is http://127.0.0.1:<port>: supabase-js names the cookie after "127"
    client.set_cookie("sb-127-auth-token", session_value(es256(claims(jwks.url))))
    r = get(client)
    assert (r.status_code, r.get_json()["sub"]) == (200, BEN)


def test_a_chunked_ssr_session_cookie_signs_in(client, jwks):
    value = session_value(rs256(claims(jwks.url)), pad_user=4000)
    parts = chunks(value)
    assert len(parts) >= 3
    for i in reversed(range(len(parts))):  # order of arrival does not matter, the index does
        client.set_cookie(f"sb-127-auth-token.{i}", parts[i])
    assert get(client).status_code == 200


def test_a_chunked_cookie_with_a_missing_chunk_is_not_a_session(client, jwks):
    parts = chunks(session_value(es256(claims(jwks.url)), pad_user=4000))
    for i, part in enumerate(parts):
        if i != 1:
            client.set_cookie(f"sb-127-auth-token.{i}", part)
    assert_signed_out(get(client), "Please sign in")


def test_older_unprefixed_json_cookies_sign_in(client, jwks):
    token = es256(claims(jwks.url))
    client.set_cookie("sb-127-auth-token", json.dumps({"access_token": token, "refresh_token": "r"}))
    assert get(client).status_code == 200
    client.set_cookie("sb-127-auth-token", json.dumps([token, "refresh", None, None, None]))  # auth-helpers
    assert get(client).status_code == 200


def test_another_projects_cookie_is_not_read(client, jwks):
    client.set_cookie("sb-otherproject-auth-token", session_value(es256(claims(jwks.url))))
    assert_signed_out(get(client), "Please sign in")


def test_the_cookie_name_can_be_set(jwks):
    client = make_app(SUPABASE_URL=jwks.url, SUPABASE_AUTH_COOKIE="my-session").test_client()
    client.set_cookie("my-session", session_value(es256(claims(jwks.url))))
    assert get(client).status_code == 200


def test_without_supabase_url_any_ssr_cookie_is_read():
    client = make_app().test_client()
    token = jwt.encode(claims("x", iss=None), HS_SECRET, "HS256")
    client.set_cookie("sb-abcdefghijklmnop-auth-token.0", session_value(token)[:50])
    client.set_cookie("sb-abcdefghijklmnop-auth-token.1", session_value(token)[50:])
    assert get(client).status_code == 200


def test_bearer_and_sb_access_token_still_work_and_a_stale_cookie_does_not_shadow_a_valid_one(client, jwks):
    good = es256(claims(jwks.url))
    assert get(client, good).status_code == 200
    client.set_cookie("sb-access-token", good)
    assert get(client).status_code == 200
    expired = es256(claims(jwks.url, exp=int(time.time()) - 3600))
    client.set_cookie("sb-access-token", expired)
    assert_signed_out(get(client), "expired")
    client.set_cookie("sb-127-auth-token", session_value(good))
    assert get(client).status_code == 200, "the Supabase session verifies although our own cookie expired"


def test_a_bearer_header_is_not_mixed_with_cookies(client, jwks):
    client.set_cookie("sb-127-auth-token", session_value(es256(claims(jwks.url))))
    assert_signed_out(get(client, "not.a.jwt"))


def test_cookie_decoding_follows_supabase_ssr():
    token = "a.b.c"
    assert access_token_from_session(session_value(token)) == token
    assert access_token_from_session(session_value(token) + "==") == token  # padding is ignored
    assert access_token_from_session("%7B%22access_token%22%3A%22a.b.c%22%7D") == token  # URL-encoded JSON
    assert access_token_from_session("base64-!!!") is None
    assert access_token_from_session("base64-" + b64url(b"not json")) is None
    assert access_token_from_session("base64-" + b64url(b'{"user": {}}')) is None
    assert access_token_from_session("{}") is None
    cookies = {"k": "whole", "k.0": "a", "k.1": "b"}
    assert combine_chunks(cookies, "k") == "whole", "the unchunked cookie wins"
    assert combine_chunks({"k.0": "a", "k.1": "b", "k.3": "d"}, "k") == "ab", "chunks stop at the first gap"
    assert combine_chunks({}, "k") is None


# --- the key set on its own ------------------------------------------------------------------------


def test_keyset_skips_unusable_keys(jwks):
    jwks.keys = [
        {"kty": "oct", "kid": "sym", "k": "c2VjcmV0"},  # symmetric keys never come from a JWKS
        {**public_jwk(EC_KEY, "enc", "ES256"), "use": "enc"},
        {"kty": "EC", "kid": "broken", "crv": "P-256", "x": "AA", "y": "AA"},
        public_jwk(EC_KEY, "no-kid", "ES256") | {"kid": None},
        public_jwk(EC_KEY, "ok", "ES256"),
    ]
    keys = KeySet(url=jwks.url + JwksServer.PATH)
    assert keys.get("ok") is not None
    assert [keys.get(k) for k in ("sym", "enc", "broken")] == [None, None, None]
    assert keys.fetches == 1


# --- end to end on the student page ------------------------------------------------------------------


def test_the_student_page_through_a_chunked_ssr_cookie_with_an_es256_token(db_url, jwks):
    app = create_app(TestConfig(DATABASE_URL=db_url, SUPABASE_URL=jwks.url))
    try:
        client = app.test_client()
        for i, part in enumerate(chunks(session_value(es256(claims(jwks.url)), pad_user=4000))):
            client.set_cookie(f"sb-127-auth-token.{i}", part)
        r = client.get("/student/progress")
        assert r.status_code == 200
        assert "Medical Assistant" in r.get_data(as_text=True)
        client.delete_cookie("sb-127-auth-token.0")
        assert client.get("/student/progress").status_code == 401
    finally:
        app.extensions["db"].close()


def test_signing_out_expires_the_supabase_session_cookies_too(client, jwks):
    parts = chunks(session_value(es256(claims(jwks.url)), pad_user=4000))
    for i, part in enumerate(parts):
        client.set_cookie(f"sb-127-auth-token.{i}", part)
    client.set_cookie("sb-access-token", es256(claims(jwks.url)))
    client.set_cookie("sb-127-auth-token-code-verifier", "pkce")  # not a session cookie: left alone
    assert get(client).status_code == 200
    with client.session_transaction() as session:
        session["csrf"] = "csrf-token-for-the-test"
    r = client.post("/logout", data={"csrf_token": "csrf-token-for-the-test"})
    assert r.status_code == 302
    expired = {c.split("=", 1)[0] for c in r.headers.getlist("Set-Cookie") if "Max-Age=0" in c}
    assert expired == {"sb-access-token"} | {f"sb-127-auth-token.{i}" for i in range(len(parts))}
    assert_signed_out(get(client), "Please sign in")
    assert client.get_cookie("sb-127-auth-token-code-verifier") is not None


def test_deeply_nested_json_in_a_token_or_a_cookie_is_a_401_not_a_500(client, jwks):
    nested = b"[" * 50_000
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    tokens = [f"{b64url(nested)}.{b64url(b'{}')}.x", f"{header}.{b64url(nested)}.x"]
    token = hand_signed_hs256({}, HS_SECRET.encode())
    tokens.append(token.split(".")[0] + "." + b64url(nested) + "." + token.split(".")[2])
    for token in tokens:
        assert get(client, token).status_code == 401
    client.set_cookie("sb-127-auth-token", "base64-" + b64url(b"[" * 2_000))  # a cookie holds ~4 KB
    assert_signed_out(get(client), "Please sign in")
    client.set_cookie("sb-127-auth-token", "[" * 3_000)
    assert_signed_out(get(client), "Please sign in")
    client.delete_cookie("sb-127-auth-token")
    for i in range(10):
        client.set_cookie(f"sb-127-auth-token.{i}", "[" * 3_000)
    assert_signed_out(get(client), "Please sign in")


def test_the_token_that_verified_is_kept_for_calls_as_the_user(jwks):
    """A stale cookie first, a valid Bearer-less session cookie second: g.access_token is the one
    that verified (the HTTP transport sends it as the user's bearer), not the first one offered."""
    app = make_app(SUPABASE_URL=jwks.url)

    @app.get("/_token")
    @login_required
    def token():
        return {"token": g.access_token}

    good = es256(claims(jwks.url))
    stale = es256(claims(jwks.url, exp=int(time.time()) - 3600))
    client = app.test_client()
    client.set_cookie("sb-access-token", stale)
    client.set_cookie("sb-127-auth-token", session_value(good))
    r = client.get("/_token")
    assert (r.status_code, r.get_json()) == (200, {"token": good})
