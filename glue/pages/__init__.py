"""The pages: sign-in (development), certificate verification and download; the student's
progress and the admin dashboard are in their own modules of this package."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, g, make_response, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from ..auth import COOKIE, check_csrf, clear_session_cookies, csrf_token, login_required, mint
from ..db import DatabaseUnavailable

log = logging.getLogger(__name__)
bp = Blueprint("pages", __name__)


@bp.app_context_processor
def _globals():
    return {"csrf_token": csrf_token, "dev_login": current_app.config.get("DEV_LOGIN", False)}


def demo_users() -> list[dict]:
    """Users offered by the development sign-in page (only when DEV_LOGIN is on)."""
    if not current_app.config.get("DEV_LOGIN"):
        return []
    try:
        with current_app.extensions["db"].service() as conn:
            return conn.execute(
                "select id, email, full_name, role from public.profiles where email like '%%@example.org'"
                " order by role, email"
            ).fetchall()
    except DatabaseUnavailable:
        return []


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


@bp.get("/login")
def login():
    """The sign-in page. Locally (DEV_LOGIN) it lists the demo users; in production users sign in
    through the organisation's Supabase Auth, whose session cookie (or sb-access-token) is read."""
    return render_template("login.html", reason=None, demo_users=demo_users(), next=request.args.get("next", ""))


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
    target = request.form.get("next") or ("/admin/dashboard" if user["role"] == "admin" else "/student/progress")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = redirect(target)
    response.set_cookie(COOKIE, mint(str(user["id"]), user["email"]), httponly=True, samesite="Lax", max_age=8 * 3600)
    return response


@bp.post("/logout")
def logout():
    """Forget the session cookie."""
    check_csrf()
    response = redirect(url_for("pages.login"))
    clear_session_cookies(response)  # ours and Supabase's session cookies
    return response


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
    with current_app.extensions["db"].as_user(g.claims) as conn:
        row = conn.execute("select pdf from public.certificates where id = %s", (certificate_id,)).fetchone()
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
        bytes(row["pdf"]),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="certificate-{certificate_id}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )
