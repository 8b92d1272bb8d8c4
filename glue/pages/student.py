"""The student's pages (under /student): the progress page — each enrollment with its partner
sequence, what is happening at each partner in plain words and who acts next, the expected time
and due dates, what the partner sent (score, certificate), each step's history, the Launch
Training link, and the certificate at the end — its JSON twin that the page polls to update
itself, and the certificate's PDF download.

The data is one call of public.student_progress() as the signed-in user (`rpc.as_user`), so row
level security decides which enrollments, steps and certificates are visible; the function also
filters on the user's own id (an admin sees their own enrollments rather than everybody's) and
decides each step's state, who acts, the dates and the progress counts. Python renders (dates
through the `day`/`when`/`ago`/`iso` filters of glue.pages.dates).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, g, jsonify, make_response, render_template

from ..db import DatabaseUnavailable
from . import dates, user_rpc
from .auth import login_required

bp = Blueprint("student", __name__, url_prefix="/student")

UNAVAILABLE = "Your progress cannot be shown right now. Please try again in a minute."


def version(enrollments: list[dict]) -> str:
    """What the live refresh compares: the enrollments' versions (computed in SQL) in page order."""
    return ".".join(str(e["version"]) for e in enrollments)


@bp.get("/progress")
@login_required
def progress():
    """The signed-in student's enrollments and where they are in each partner sequence. The page
    polls /student/progress.json and redraws its enrollments when their version changes."""
    try:
        enrollments = user_rpc().call("student_progress")
    except DatabaseUnavailable:
        return (
            render_template("error.html", title="Temporarily unavailable", message=UNAVAILABLE),
            503,
            {"Retry-After": "5"},
        )
    response = make_response(
        render_template(
            "student_progress.html",
            enrollments=enrollments,
            version=version(enrollments),
            checked_at=datetime.now(UTC),
            refresh_seconds=current_app.config.get("STUDENT_REFRESH_SECONDS", 15),
            email=g.claims.get("email"),
        )
    )
    # her data: never kept by the browser or a proxy (Back after signing out asks the server again)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/progress.json")
@login_required
def progress_json():
    """The same data as JSON (public.student_progress() as the user), with its version and when it
    was read: what the progress page polls. 503 JSON when the database is unavailable."""
    try:
        enrollments = user_rpc().call("student_progress")
    except DatabaseUnavailable:
        return jsonify(status="error", message=UNAVAILABLE), 503, {"Retry-After": "5"}
    now = datetime.now(UTC)
    response = jsonify(
        version=version(enrollments),
        checked_at=dates.iso(now),
        checked_at_text=dates.when(now),
        enrollments=enrollments,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/progress/enrollments")
@login_required
def progress_enrollments():
    """The page's main part alone (student_progress.html with fragment=True: no head, styles or
    scripts): the live refresh takes its enrollments when the version changes; the version is also
    in the X-Progress-Version header."""
    try:
        enrollments = user_rpc().call("student_progress")
    except DatabaseUnavailable:
        return UNAVAILABLE, 503, {"Retry-After": "5", "Content-Type": "text/plain; charset=utf-8"}
    response = make_response(
        render_template(
            "student_progress.html",
            fragment=True,
            enrollments=enrollments,
            version=version(enrollments),
            checked_at=datetime.now(UTC),
            refresh_seconds=current_app.config.get("STUDENT_REFRESH_SECONDS", 15),
        )
    )
    response.headers["X-Progress-Version"] = version(enrollments)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/certificates/<uuid:certificate_id>.pdf")
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
