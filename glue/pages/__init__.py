"""The pages: the start page, errors, public certificate verification. Sign-in and sign-out
(glue.pages.auth), the student's pages (glue.pages.student: progress, certificate download) and
the admin dashboard (glue.pages.admin) are blueprints of their own in this package."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, render_template, request
from werkzeug.exceptions import HTTPException

from ..db import DatabaseUnavailable

log = logging.getLogger(__name__)
bp = Blueprint("pages", __name__)


def user_rpc():
    """The SQL functions as the signed-in user (after login_required): the pages' one way to the
    database. Over the direct pool: `authenticated` + g.claims; over Supabase's HTTP API it would
    send the user's access token (g.access_token) as the bearer. The first use in a request asks
    public.session_is_active(): a signed-out session's token reaches nothing (AuthError → 401,
    server-side sign-out, glue.pages.auth)."""
    from .auth import SIGNED_OUT, AuthError

    rpc = current_app.extensions["rpc"].as_user(g.claims, token=g.get("access_token"))
    if not g.get("session_checked"):
        if not rpc.call("session_is_active"):
            raise AuthError(SIGNED_OUT)
        g.session_checked = True
    return rpc


@bp.app_errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    """Errors as a page (JSON under /api/), never with internals."""
    if request.path.startswith("/api/"):
        return {"status": "error", "message": exc.description}, exc.code
    return render_template("error.html", title=exc.name, message=exc.description), exc.code


@bp.get("/")
def index():
    """Home: where to go."""
    return render_template("index.html")


@bp.get("/certificates/<code>")
def verify_certificate(code: str):
    """Public verification of a certificate by the code printed on it: valid or revoked; an
    unknown code is a 404."""
    try:
        result = current_app.extensions["rpc"].call("verify_certificate", p_code=code.lower()[:64])
    except DatabaseUnavailable:
        return render_template(
            "error.html",
            title="Temporarily unavailable",
            message="Certificates cannot be checked right now. Please try again shortly.",
        ), 503
    if result is None:
        return render_template("certificate.html", certificate=None, code=code), 404
    return render_template("certificate.html", certificate=result, code=code)


# the Open Badges credential routes and template globals (on this blueprint and the student one)
from . import credentials as _credentials  # noqa: E402,F401
