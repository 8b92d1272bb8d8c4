"""Authentication for the pages: a Supabase Auth access token (`sub` = the user id), verified
here; queries then run as `authenticated` with its claims (Database.as_user), so RLS decides
what is seen.

Where the token comes from, in this order (the first that verifies wins):
1. an `Authorization: Bearer <jwt>` header (when present, nothing else is looked at);
2. the `sb-access-token` cookie (this app's development sign-in);
3. the session cookie of Supabase's web helpers (`@supabase/ssr`): `sb-<project-ref>-auth-token`,
   valued `base64-` + base64url(JSON session with `access_token`) — or, when long, split across
   `sb-<ref>-auth-token.0`, `.1`, ... concatenated in order. Older unprefixed JSON values (a
   session object, or the auth-helpers' `[access_token, refresh_token, ...]` array) are read too.
   The name is SUPABASE_AUTH_COOKIE if set, else derived from SUPABASE_URL exactly as supabase-js
   derives its storage key (`sb-` + the first label of the URL's host + `-auth-token`); without
   either, any `sb-*-auth-token` cookie is tried.

How it is verified: the algorithm named in the token's header picks the key, by family, and only
these three are known — HS256 with SUPABASE_JWT_SECRET (the legacy shared secret), ES256 and
RS256 with the project's public key whose `kid` the header names (JWKS from SUPABASE_JWKS_FILE or
SUPABASE_JWKS_URL, cached, see KeySet). A public key is never used as an HMAC secret and `none`
is never accepted. Claims: `exp`, `sub` (a UUID) and `aud = authenticated` are required, `iss`
must equal SUPABASE_JWT_ISSUER when that is known, and `role`, when present, is `authenticated`.

Also a minimal CSRF guard for the pages' forms (a token in the signed session, echoed by a
hidden field), and minting tokens for the development sign-in page. No views here: the sign-in
pages and `login_required` are the auth blueprint's (glue.pages.auth), which imports this module;
this module imports nothing of the pages.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import secrets
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jwt
import requests
from flask import abort, current_app, g, request, session

log = logging.getLogger(__name__)

COOKIE = "sb-access-token"
AUDIENCE = "authenticated"
ASYMMETRIC = ("ES256", "RS256")  # Supabase's JWT signing keys: ECC P-256 or RSA
BASE64_PREFIX = "base64-"  # @supabase/ssr's cookie encoding (cookieEncoding: "base64url")
MAX_CHUNKS = 32  # a session cookie is split into ~3 KB chunks; far fewer than this
_SSR_COOKIE = re.compile(r"^(sb-[A-Za-z0-9_-]+-auth-token)(?:\.(?:0|[1-9][0-9]*))?$")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
UNVERIFIED = "your sign-in could not be verified; please sign in again"


class AuthError(Exception):
    """Why a request is not authenticated (shown on the sign-in page)."""


# --- where the token comes from ----------------------------------------------------------------


def session_cookie_name(config) -> str | None:
    """The @supabase/ssr cookie to read: SUPABASE_AUTH_COOKIE, else `sb-<ref>-auth-token` with
    `<ref>` the first label of SUPABASE_URL's host (what supabase-js uses); None when unknown."""
    if config.get("SUPABASE_AUTH_COOKIE"):
        return config["SUPABASE_AUTH_COOKIE"]
    host = urlsplit(config.get("SUPABASE_URL") or "").hostname
    return f"sb-{host.split('.')[0]}-auth-token" if host else None


def combine_chunks(cookies, name: str) -> str | None:
    """The cookie `name`, or its chunks `name.0`, `name.1`, ... joined in order (@supabase/ssr's
    combineChunks: the unchunked cookie wins; chunks stop at the first missing index)."""
    value = cookies.get(name)
    if value:
        return value
    parts = []
    for i in range(MAX_CHUNKS):
        chunk = cookies.get(f"{name}.{i}")
        if not chunk:
            break
        parts.append(chunk)
    return "".join(parts) or None


def access_token_from_session(value: str) -> str | None:
    """The `access_token` in an @supabase/ssr session cookie value; None when it holds none."""
    try:
        if value.startswith(BASE64_PREFIX):
            payload = re.sub(r"[\s=]", "", value[len(BASE64_PREFIX) :])
            if not _BASE64URL.fullmatch(payload):
                return None
            text = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8")
        else:
            text = unquote(value) if value.startswith("%") else value
        session_data = json.loads(text)
    except (ValueError, UnicodeDecodeError, binascii.Error, RecursionError):  # RecursionError: [[[[...
        return None
    if isinstance(session_data, dict):
        token = session_data.get("access_token")
    elif isinstance(session_data, list) and session_data:
        token = session_data[0]  # the older auth-helpers' [access_token, refresh_token, ...]
    else:
        return None
    return token if isinstance(token, str) and token else None


def tokens_from_request() -> list[str]:
    """Candidate access tokens of this request, in the order they are tried."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        return [token] if token else []
    found = []
    if request.cookies.get(COOKIE):
        found.append(request.cookies[COOKIE])
    name = session_cookie_name(current_app.config)
    if name:
        names = [name]
    else:
        names = sorted({m.group(1) for m in map(_SSR_COOKIE.match, request.cookies.keys()) if m})
    for base in names:
        value = combine_chunks(request.cookies, base)
        token = access_token_from_session(value) if value else None
        if token:
            found.append(token)
    return found


def token_from_request() -> str | None:
    """The first candidate access token of this request (see tokens_from_request)."""
    tokens = tokens_from_request()
    return tokens[0] if tokens else None


def clear_session_cookies(response) -> None:
    """Sign out here: expire `sb-access-token` and every @supabase/ssr session cookie (and chunk)
    this request carried. (A cookie set for a parent domain by another site can only be cleared
    there.)"""
    response.delete_cookie(COOKIE)
    name = session_cookie_name(current_app.config)
    for cookie in request.cookies.keys():
        match = _SSR_COOKIE.match(cookie)
        if match and (name is None or match.group(1) == name):
            response.delete_cookie(cookie)


# --- the project's public keys -----------------------------------------------------------------


class KeySet:
    """The project's public JWT signing keys (a JWKS), from a URL or a local file, cached.

    Read again when older than `ttl` seconds; a `kid` not in the set reads it again at once, but
    never more than once per `min_refresh` seconds (failed reads count too), so tokens with made-up
    kids cannot make us hammer the endpoint. When a read fails the keys already known are kept.
    Only asymmetric keys (ES256, RS256) with a `kid` are kept; `fetches` counts reads."""

    def __init__(
        self,
        url: str | None = None,
        path: str | None = None,
        ttl: float = 600,
        min_refresh: float = 30,
        timeout: float = 5,
        clock=time.monotonic,
    ):
        if not url and not path:
            raise ValueError("KeySet needs a url or a path")
        self.url, self.path, self.ttl, self.min_refresh, self.timeout = url, path, ttl, min_refresh, timeout
        self.clock = clock
        self.fetches = 0
        self._keys: dict[str, jwt.PyJWK] = {}
        self._loaded_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config) -> KeySet | None:
        """SUPABASE_JWKS_FILE (offline) wins over SUPABASE_JWKS_URL; None when neither is set."""
        if not config.get("SUPABASE_JWKS_FILE") and not config.get("SUPABASE_JWKS_URL"):
            return None
        return cls(
            url=config.get("SUPABASE_JWKS_URL"),
            path=config.get("SUPABASE_JWKS_FILE"),
            ttl=float(config.get("SUPABASE_JWKS_CACHE_TTL", 600)),
            min_refresh=float(config.get("SUPABASE_JWKS_MIN_REFRESH", 30)),
        )

    @property
    def source(self) -> str:
        return self.path or self.url or ""

    def get(self, kid: str) -> jwt.PyJWK | None:
        """The key with this `kid`, or None (after at most one rate-limited re-read)."""
        with self._lock:
            now = self.clock()
            stale = self._loaded_at is None or now - self._loaded_at >= self.ttl
            if stale and self._may_read(now):
                self._read(now)
            key = self._keys.get(kid)
            if key is None and self._may_read(now):
                self._read(now)
                key = self._keys.get(kid)
            return key

    def _may_read(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self.min_refresh

    def _read(self, now: float) -> None:
        self._attempted_at = now
        self.fetches += 1
        try:
            if self.path:
                document = json.loads(Path(self.path).read_text())
            else:
                response = requests.get(self.url, timeout=self.timeout, headers={"Accept": "application/json"})
                response.raise_for_status()
                document = response.json()
            keys = self._parse(document)
        except (OSError, ValueError, requests.RequestException) as exc:
            log.warning("could not read the JWKS from %s: %s (kept %d known keys)", self.source, exc, len(self._keys))
            return
        self._keys = keys
        self._loaded_at = now

    @staticmethod
    def _parse(document) -> dict[str, jwt.PyJWK]:
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError('not a JWKS (no "keys" list)')
        keys = {}
        for data in document["keys"]:
            if not isinstance(data, dict) or not isinstance(data.get("kid"), str):
                continue
            if data.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK(data)
            except (jwt.PyJWTError, ValueError, TypeError, KeyError):
                continue  # unsupported or malformed: skipped, the others still count
            if key.algorithm_name in ASYMMETRIC:
                keys[data["kid"]] = key
        return keys


# --- verification ------------------------------------------------------------------------------


def _verification_key(token: str):
    """(key, algorithm) for this token, chosen by the algorithm family its header names."""
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError) as exc:
        raise AuthError(UNVERIFIED) from exc
    alg = header.get("alg")
    config = current_app.config
    keyset: KeySet | None = current_app.extensions.get("jwks")
    if not config.get("SUPABASE_JWT_SECRET") and keyset is None:
        raise AuthError("sign-in is not configured (set SUPABASE_JWT_SECRET or SUPABASE_URL)")
    if alg == "HS256":
        if not config.get("SUPABASE_JWT_SECRET"):
            raise AuthError(UNVERIFIED)
        return config["SUPABASE_JWT_SECRET"], alg  # only ever the shared secret, never a public key
    if alg in ASYMMETRIC:
        kid = header.get("kid")
        if keyset is None or not isinstance(kid, str):
            raise AuthError(UNVERIFIED)
        key = keyset.get(kid)
        if key is None or key.algorithm_name != alg:  # an RSA key never checks an ES256 token
            raise AuthError(UNVERIFIED)
        return key.key, alg
    raise AuthError(UNVERIFIED)  # none, HS384, PS256, ...: not what Supabase Auth issues


def decode(token: str) -> dict:
    """Verify and decode an access token; AuthError when it is not acceptable."""
    key, alg = _verification_key(token)
    issuer = current_app.config.get("SUPABASE_JWT_ISSUER")
    required = ["sub", "exp", "aud"] + (["iss"] if issuer else [])
    try:
        claims = jwt.decode(
            token, key, algorithms=[alg], audience=AUDIENCE, issuer=issuer, options={"require": required}, leeway=30
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthError("your session has expired; please sign in again") from exc
    except jwt.InvalidAudienceError as exc:
        raise AuthError("this token is not a signed-in user's") from exc
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError) as exc:
        raise AuthError(UNVERIFIED) from exc
    try:
        uuid.UUID(str(claims["sub"]))
    except ValueError as exc:
        raise AuthError(UNVERIFIED) from exc
    if claims.get("role", AUDIENCE) != AUDIENCE:
        raise AuthError("this token is not a signed-in user's")
    return claims


def authenticate() -> dict:
    """The claims of the first of this request's tokens that verifies (that token is kept in
    g.access_token: the HTTP transport sends it as the user's bearer); AuthError (the first
    token's reason) when none does."""
    tokens = tokens_from_request()
    if not tokens:
        raise AuthError("Please sign in to continue.")
    first: AuthError | None = None
    for token in tokens:
        try:
            claims = decode(token)
            g.access_token = token
            return claims
        except AuthError as exc:
            first = first or exc
    raise first


def mint(user_id: str, email: str | None = None, ttl: int = 8 * 3600) -> str:
    """A token like Supabase Auth issues (development sign-in and tests): HS256 with
    SUPABASE_JWT_SECRET, `iss` when one is configured."""
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "role": AUDIENCE,
        "aud": AUDIENCE,
        "email": email,
        "iat": now,
        "exp": now + ttl,
    }
    if current_app.config.get("SUPABASE_JWT_ISSUER"):
        claims["iss"] = current_app.config["SUPABASE_JWT_ISSUER"]
    return jwt.encode(claims, current_app.config["SUPABASE_JWT_SECRET"], algorithm="HS256")


# --- CSRF ------------------------------------------------------------------------------------


def csrf_token() -> str:
    """The session's CSRF token (created on first use); put it in every form."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Abort 400 unless the form (or X-CSRF-Token header) echoes the session's token."""
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    expected = session.get("csrf")
    if not sent or not expected or not secrets.compare_digest(sent, expected):
        abort(400, description="The form expired or did not come from this site. Reload the page and try again.")
