"""The sign-in blueprint (flaskr's `auth` blueprint): the sign-in page, the development sign-in,
sign-out, and `login_required` for the views that need a signed-in user. Verifying the token,
reading the cookies and the CSRF check are glue.auth's (no views there)."""

from __future__ import annotations

import functools
import logging

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from ..auth import COOKIE, AuthError, authenticate, check_csrf, clear_session_cookies, csrf_token, mint
from ..db import DatabaseUnavailable

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)
SIGNED_OUT = "you signed out of this session; please sign in again"


@bp.app_errorhandler(AuthError)
def signed_out(exc: AuthError):
    """401 with the sign-in page: no valid token, or (raised by glue.pages.user_rpc) a token whose
    session was signed out (server-side sign-out)."""
    next_url = request.full_path.rstrip("?")
    return render_template("login.html", reason=str(exc), demo_users=demo_users(), next=next_url), 401


@bp.app_context_processor
def _globals():
    return {"csrf_token": csrf_token, "dev_login": current_app.config.get("DEV_LOGIN", False)}


def demo_users() -> list[dict]:
    """Users offered by the development sign-in page (only when DEV_LOGIN is on)."""
    if not current_app.config.get("DEV_LOGIN"):
        return []
    try:
        return current_app.extensions["rpc"].call("demo_users")
    except DatabaseUnavailable:
        return []


def login_required(view):
    """The view needs a signed-in user: g.claims and g.user_id are set; otherwise 401 with the
    sign-in page. Whether the session was signed out is asked by the first call to the database
    as the user (glue.pages.user_rpc); an AuthError raised there is the same 401 (below)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            g.claims = authenticate()
        except AuthError as exc:
            return signed_out(exc)
        g.user_id = g.claims["sub"]
        return view(*args, **kwargs)

    return wrapper


@bp.get("/login")
def login():
    """The sign-in page. Locally (DEV_LOGIN) it lists the demo users; in production users sign in
    through the organisation's Supabase Auth, whose session cookie (or sb-access-token) is read."""
    return render_template(
        "login.html",
        reason=None,
        signed_out=request.args.get("signed_out") == "1",
        demo_users=demo_users(),
        next=request.args.get("next", ""),
    )


@bp.post("/login/dev")
def dev_login():
    """Development only: sign in as a demo user (mints a token like Supabase Auth would)."""
    if not current_app.config.get("DEV_LOGIN"):
        abort(404)
    check_csrf()
    users = {str(u["id"]): u for u in demo_users()}
    user = users.get(request.form.get("user_id", ""))
    if user is None:
        abort(400, description="Unknown demo user.")
    target = request.form.get("next") or url_for("admin.dashboard" if user["role"] == "admin" else "student.progress")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = redirect(target)
    response.set_cookie(
        COOKIE,
        mint(str(user["id"]), user["email"]),
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        max_age=8 * 3600,
    )
    return response


@bp.post("/logout")
def logout():
    """Sign out: the session is recorded as signed out in SQL (public.sign_out, as the user), so
    its token is refused from now on even if it was copied; then the cookies are forgotten."""
    check_csrf()
    try:
        claims = authenticate()
        current_app.extensions["rpc"].as_user(claims, token=g.get("access_token")).call("sign_out")
    except AuthError:
        pass  # no valid token: nothing to sign out server-side
    except DatabaseUnavailable:
        log.warning("sign-out could not be recorded: the database is unavailable")
    response = redirect(url_for("auth.login", signed_out=1))
    clear_session_cookies(response)  # ours and Supabase's session cookies
    return response
