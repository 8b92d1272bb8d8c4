"""The pages: the start page, errors, certificate verification and download. Sign-in and
sign-out (glue.pages.auth), the student's progress (glue.pages.student) and the admin dashboard
(glue.pages.admin) are blueprints of their own in this package."""

from __future__ import annotations

import base64
import logging

from flask import Blueprint, Response, current_app, g, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from ..db import DatabaseUnavailable
from .auth import login_required

log = logging.getLogger(__name__)
bp = Blueprint("pages", __name__)


def user_rpc():
    """The SQL functions as the signed-in user (after login_required): the pages' one way to the
    database. Over the direct pool: `authenticated` + g.claims; over Supabase's HTTP API it would
    send the user's access token (g.access_token) as the bearer."""
    return current_app.extensions["rpc"].as_user(g.claims, token=g.get("access_token"))


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


@bp.get("/student/certificates/<uuid:certificate_id>.pdf")
@login_required
def download_certificate(certificate_id):
    """The signed-in student's certificate PDF. Read as that user: RLS returns nothing for
    someone else's certificate, which is then a 404 like an unknown one."""
    row = user_rpc().call("certificate_pdf", p_certificate_id=str(certificate_id))
    if row is None:
        return render_template(
            "error.html",
            title="Certificate not found",
            message="There is no certificate at this address for your account.",
        ), 404
    if row["pdf"] is None:
        response = make_response(
            render_template(
                "error.html",
                title="Certificate being prepared",
                message="Your certificate is being prepared. Please try again in a minute.",
            ),
            503,
        )
        response.headers["Retry-After"] = "30"
        return response
    return Response(
        base64.b64decode(row["pdf"]),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="certificate-{certificate_id}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )
