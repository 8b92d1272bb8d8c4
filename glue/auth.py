"""Authentication for the pages: a Supabase-style JWT (HS256 with SUPABASE_JWT_SECRET, `sub` =
the user id) from an `Authorization: Bearer` header or the `sb-access-token` cookie. Queries
then run as `authenticated` with those claims (Database.as_user), so RLS decides what is seen.

Also a minimal CSRF guard for the pages' forms (a token in the signed session, echoed by a
hidden field), and minting tokens for the development sign-in page.
"""

from __future__ import annotations

import functools
import secrets
import time
import uuid

import jwt
from flask import abort, current_app, g, render_template, request, session

COOKIE = "sb-access-token"


class AuthError(Exception):
    """Why a request is not authenticated (shown on the sign-in page)."""


def token_from_request() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(COOKIE) or None


def decode(token: str) -> dict:
    """Verify and decode an access token; AuthError when it is not acceptable."""
    secret = current_app.config.get("SUPABASE_JWT_SECRET")
    if not secret:
        raise AuthError("sign-in is not configured (SUPABASE_JWT_SECRET is not set)")
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["sub", "exp"], "verify_aud": False}, leeway=30
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthError("your session has expired; please sign in again") from exc
    except jwt.InvalidTokenError as exc:
        raise AuthError("your sign-in could not be verified; please sign in again") from exc
    try:
        uuid.UUID(str(claims["sub"]))
    except ValueError as exc:
        raise AuthError("your sign-in could not be verified; please sign in again") from exc
    if claims.get("role", "authenticated") != "authenticated":
        raise AuthError("this token is not a signed-in user's")
    return claims


def mint(user_id: str, email: str | None = None, ttl: int = 8 * 3600) -> str:
    """A token like Supabase Auth issues (development sign-in and tests)."""
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "role": "authenticated",
        "aud": "authenticated",
        "email": email,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, current_app.config["SUPABASE_JWT_SECRET"], algorithm="HS256")


def login_required(view):
    """The view needs a signed-in user: g.claims and g.user_id are set; otherwise 401 with the
    sign-in page."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        token = token_from_request()
        if not token:
            return render_template("login.html", reason="Please sign in to continue.", **_login_context()), 401
        try:
            g.claims = decode(token)
        except AuthError as exc:
            return render_template("login.html", reason=str(exc), **_login_context()), 401
        g.user_id = g.claims["sub"]
        return view(*args, **kwargs)

    return wrapper


def _login_context() -> dict:
    from .pages import demo_users

    return {"demo_users": demo_users(), "next": request.full_path.rstrip("?")}


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
