"""The student's pages (under /student): the progress page — each enrollment with its partner
sequence, what is happening at the current partner in plain words, the Launch Training link, and
the certificate at the end — and the certificate's PDF download.

The data is one call of public.student_progress() as the signed-in user (`rpc.as_user`), so row
level security decides which enrollments, steps and certificates are visible; the function also
filters on the user's own id (an admin sees their own enrollments rather than everybody's) and
decides each step's state and the progress counts. Python only formats dates.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, g, make_response, render_template

from ..db import DatabaseUnavailable
from . import user_rpc
from .auth import login_required

bp = Blueprint("student", __name__, url_prefix="/student")


def _date(value: str | datetime | None) -> dict[str, str] | None:
    """A timestamp (ISO text from JSON, or a datetime) as {'iso': '2026-03-12', 'text': '12 March 2026'}
    in UTC; None stays None."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return {"iso": moment.date().isoformat(), "text": f"{moment.day} {moment:%B %Y}"}


def enrollment_view(enrollment: dict[str, Any]) -> dict[str, Any]:
    """One enrollment from public.student_progress() shaped for the template: the dates as
    display text (the states, counts and links come from SQL as they are)."""
    certificate = enrollment["certificate"]
    return {
        **enrollment,
        "id": str(enrollment["id"]),
        "enrolled": _date(enrollment["enrolled_at"]),
        "completed": _date(enrollment["completed_at"]),
        "steps": [
            {**step, "completed": _date(step.get("completed_at")), "started": _date(step.get("started_at"))}
            for step in enrollment["steps"]
        ],
        "certificate": None
        if certificate is None
        else {
            "id": str(certificate["id"]),
            "code": certificate["verification_code"],
            "ready": bool(certificate["ready"]),
            "issued": _date(certificate["issued_at"]),
            "revoked": _date(certificate["revoked_at"]),
        },
    }


@bp.get("/progress")
@login_required
def progress():
    """The signed-in student's enrollments and where they are in each partner sequence."""
    try:
        enrollments = user_rpc().call("student_progress")
    except DatabaseUnavailable:
        return (
            render_template(
                "error.html",
                title="Temporarily unavailable",
                message="Your progress cannot be shown right now. Please try again in a minute.",
            ),
            503,
            {"Retry-After": "5"},
        )
    return render_template(
        "student_progress.html",
        enrollments=[enrollment_view(e) for e in enrollments],
        email=g.claims.get("email"),
    )


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
