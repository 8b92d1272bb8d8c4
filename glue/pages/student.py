"""The student's own progress page: each enrollment with its partner sequence, what is happening
at the current partner in plain words, the Launch Training link, and the certificate at the end.

Everything is read as the signed-in user (Database.as_user), so row level security decides which
enrollments, steps and certificates are visible; the query also filters on the user's own id so
an admin opening this page sees their own enrollments rather than everybody's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, g, render_template

from ..db import DatabaseUnavailable
from .auth import login_required

bp = Blueprint("student", __name__, url_prefix="/student")

# One statement: the user's enrollments, each with its program, its certificate (whether the PDF
# is ready, never the bytes) and its steps as a JSON array in sequence order. Only the partner
# columns granted to `authenticated` are referenced (adapter_config is not readable), and the
# step's error_message is not selected at all: students never see raw partner errors.
PROGRESS_SQL = """
select e.id,
       e.status,
       e.enrolled_at,
       e.completed_at,
       p.name as program_name,
       c.id as certificate_id,
       c.verification_code,
       c.issued_at as certificate_issued_at,
       c.revoked_at as certificate_revoked_at,
       (c.pdf is not null) as certificate_ready,
       coalesce(
         (select jsonb_agg(
                   jsonb_build_object(
                     'id', s.id,
                     'sequence_order', s.sequence_order,
                     'status', s.status,
                     'is_required', s.is_required,
                     'started_at', s.started_at,
                     'completed_at', s.completed_at,
                     'linked', s.external_enrollment_id is not null,
                     'launch_url', s.launch_url,
                     'progress_percent', s.progress_percent,
                     'provider_name', pr.provider_name,
                     'provider_slug', pr.slug,
                     'adapter', pr.adapter
                   ) order by s.sequence_order)
            from public.enrollment_steps s
            join public.partner_lms_providers pr on pr.id = s.provider_id
           where s.enrollment_id = e.id),
         '[]'::jsonb) as steps
  from public.enrollments e
  join public.programs p on p.id = e.program_id
  left join public.certificates c on c.enrollment_id = e.id
 where e.user_id = %(user_id)s
 order by case e.status when 'active' then 0 when 'completed' then 1 else 2 end, e.enrolled_at desc
"""

DONE = ("completed", "skipped")


def _date(value: str | datetime | None) -> dict[str, str] | None:
    """A timestamp (ISO text from JSON, or a datetime) as {'iso': '2026-03-12', 'text': '12 March 2026'}
    in UTC; None stays None."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return {"iso": moment.date().isoformat(), "text": f"{moment.day} {moment:%B %Y}"}


def _safe_url(url: str | None) -> str | None:
    """Only http(s) URLs become links (the column is constrained too; this keeps `javascript:` out
    even if that constraint were ever relaxed)."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


def step_state(step: dict[str, Any]) -> str:
    """What the student should be told about a step, as one word the template switches on:
    completed, skipped, failed, pending, or for the step in progress: launch (the training can be
    started), manual (our team enrolls the student by hand), setup (the partner account is being
    created through its API) or linked (enrolled by hand, no launch link: instructions by email)."""
    status = step["status"]
    if status != "in_progress":
        return status
    if _safe_url(step.get("launch_url")):
        return "launch"
    if step["adapter"] == "manual":
        return "linked" if step["linked"] else "manual"
    return "setup"


def enrollment_view(row: dict[str, Any]) -> dict[str, Any]:
    """One enrollment row from PROGRESS_SQL shaped for the template: counts for the progress bar,
    each step's state and dates, the certificate's links."""
    steps = []
    for raw in row["steps"]:
        steps.append(
            {
                **raw,
                "state": step_state(raw),
                "launch_url": _safe_url(raw.get("launch_url")),
                "completed": _date(raw.get("completed_at")),
                "started": _date(raw.get("started_at")),
            }
        )
    total = len(steps)
    done = sum(1 for s in steps if s["status"] in DONE)
    certificate = None
    if row["certificate_id"] is not None:
        certificate = {
            "id": str(row["certificate_id"]),
            "code": row["verification_code"],
            "ready": bool(row["certificate_ready"]),
            "issued": _date(row["certificate_issued_at"]),
            "revoked": _date(row["certificate_revoked_at"]),
        }
    return {
        "id": str(row["id"]),
        "status": row["status"],
        "program_name": row["program_name"],
        "enrolled": _date(row["enrolled_at"]),
        "completed": _date(row["completed_at"]),
        "steps": steps,
        "total": total,
        "done": done,
        "percent": round(100 * done / total) if total else 0,
        "certificate": certificate,
    }


@bp.get("/progress")
@login_required
def progress():
    """The signed-in student's enrollments and where they are in each partner sequence."""
    try:
        with current_app.extensions["db"].as_user(g.claims) as conn:
            rows = conn.execute(PROGRESS_SQL, {"user_id": g.user_id}).fetchall()
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
        enrollments=[enrollment_view(row) for row in rows],
        email=g.claims.get("email"),
    )
