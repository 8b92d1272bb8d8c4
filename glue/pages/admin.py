"""The admin pages: the dashboard (training pipeline, stuck/late students, failed partner
enrollments, manual enrollments, webhook events needing attention, analytics), every list on
its own page with filters, sorting, pagination and CSV export, and the step overrides (retry,
skip, fail, complete by hand, enter a partner's id, replay an event) behind a confirmation page
that says what will happen next.

Every panel, list, filter and number comes from SQL functions (public.admin_dashboard,
public.admin_overview, public.admin_list, public.admin_step_preview) and every action is one call
of an admin_* SQL function, all through the rpc transport as the signed-in user (`authenticated` +
JWT claims): SQL decides who is an admin (42501 otherwise → 403), validates the input (stable
SQLSTATEs → 4xx with SQL's message) and records the action in the audit trail.
"""

from __future__ import annotations

import csv
import io
import logging
import re

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from ..auth import check_csrf
from ..db import DatabaseUnavailable
from ..rpc import RpcError
from . import user_rpc
from .auth import login_required

log = logging.getLogger(__name__)
bp = Blueprint("admin", __name__, url_prefix="/admin")

# action: (SQL function, its parameters from the form, what it does, in the past tense)
STEP_ACTIONS = {
    "retry": ("admin_retry_step", ("p_reason",), "Retried"),
    "skip": ("admin_skip_step", ("p_reason",), "Skipped"),
    "fail": ("admin_fail_step", ("p_reason",), "Marked as failed"),
    "complete": ("admin_complete_step", ("p_reason", "p_external_enrollment_id"), "Completed by hand"),
    "link": (
        "admin_link_step",
        ("p_external_enrollment_id", "p_reason", "p_launch_url"),
        "Partner enrollment id saved",
    ),
}
ACTION_LABELS = {
    "retry": "Retry the partner enrollment",
    "skip": "Skip (waive) this step",
    "fail": "Mark this step as failed",
    "complete": "Complete this step by hand",
    "link": "Enter the partner's enrollment id",
}
# the lists with a page of their own (public.admin_list's lists); events and jobs have their own URLs
LISTS = {
    "stuck": "Stuck students",
    "late": "Late students",
    "failed": "Failed partner enrollments",
    "awaiting": "Awaiting manual enrollment",
    "steps": "All steps",
    "students": "Students",
    "events": "Partner events",
    "jobs": "Jobs",
}
# SQLSTATE of our own errors → HTTP status of the page that shows SQL's message
STATUS_OF = {
    "PS001": 404,
    "PS002": 404,
    "PS012": 404,
    "PS003": 409,
    "PS005": 422,
    "PS007": 422,
    "PS080": 400,
    "PS081": 404,
    "PS083": 404,
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Refused(Exception):
    """SQL refused the request with one of our SQLSTATEs: shown to the admin as a 4xx."""

    def __init__(self, sqlstate: str, message: str):
        super().__init__(message)
        self.status = STATUS_OF.get(sqlstate, 409)
        self.message = message


def _call(function: str, **params):
    """One SQL function as the signed-in user. 42501 → 403 page; our PS* codes → Refused."""
    try:
        return user_rpc().call(function, **params)
    except RpcError as exc:
        if exc.sqlstate == "42501":
            abort(403, description="This page is for training staff. Your account is not an admin.")
        if exc.sqlstate and exc.sqlstate.startswith("PS"):
            raise Refused(exc.sqlstate, exc.message) from exc
        raise


@bp.errorhandler(DatabaseUnavailable)
def _unavailable(_exc):
    if request.path.endswith(".json"):
        return jsonify(error="database unavailable"), 503
    return render_template(
        "error.html", title="Temporarily unavailable", message="The database is unavailable. Please try again shortly."
    ), 503


@bp.errorhandler(Refused)
def _refused(exc: Refused):
    if request.path.endswith(".json"):
        return jsonify(error=exc.message), exc.status
    return render_template("admin_error.html", title="Not done", message=exc.message, back=_back_target()), exc.status


@bp.errorhandler(403)
def _forbidden(exc):
    if request.path.endswith(".json"):
        return jsonify(error="admins only"), 403
    return render_template("error.html", title="Admins only", message=exc.description), 403


def _filters() -> dict:
    """The list filters of the query string, as SQL's parameters (SQL validates them: PS080)."""
    args = request.args
    page = args.get("page", "1")
    return {
        "p_program": args.get("program") or None,
        "p_partner": args.get("provider") or args.get("partner") or None,
        "p_status": args.get("status") or None,
        "p_q": args.get("q") or None,
        "p_sort": args.get("sort") or None,
        "p_page": int(page) if page.isdigit() and len(page) <= 7 else 0,  # 0: SQL answers PS080
    }


@bp.get("")
@bp.get("/")
@login_required
def index():
    """/admin is the dashboard."""
    return redirect(url_for("admin.dashboard"))


@bp.get("/dashboard")
@login_required
def dashboard():
    """The admin dashboard (admins only; 403 for others)."""
    f = _filters()
    # the snapshot panels (its own capped lists are not shown: one row each is enough)
    data = _call("admin_dashboard", p_program=f["p_program"], p_partner=f["p_partner"], p_rows=1)
    live = _call("admin_overview", p_program=f["p_program"], p_partner=f["p_partner"])
    names = {slug: name for slug, name in data["all_providers"]}
    return render_template(
        "admin_dashboard.html",
        data=data,
        live=live,
        summary=live["summary"],
        snapshot_at=data["summary"]["refreshed_at"],
        program=f["p_program"],
        provider=f["p_partner"],
        program_name=dict(tuple(p) for p in data["all_programs"]).get(f["p_program"]),
        provider_name=names.get(f["p_partner"]),
        provider_names=names,
        all_programs=[tuple(p) for p in data["all_programs"]],
        all_providers=[tuple(p) for p in data["all_providers"]],
    )


@bp.get("/dashboard/live")
@login_required
def dashboard_live():
    """The dashboard's live part alone (numbers and lists), which the page swaps in every 15 s."""
    f = _filters()
    live = _call("admin_overview", p_program=f["p_program"], p_partner=f["p_partner"])
    return render_template(
        "_admin_live.html", live=live, summary=live["summary"], program=f["p_program"], provider=f["p_partner"]
    )


@bp.get("/dashboard.json")
@login_required
def dashboard_json():
    """The dashboard's live numbers (polled by the page every 15 s): the live lists' totals and
    the per-partner snapshot."""
    f = _filters()
    data = _call("admin_dashboard", p_program=f["p_program"], p_partner=f["p_partner"], p_rows=1)
    live = _call("admin_overview", p_program=f["p_program"], p_partner=f["p_partner"])
    pipeline = {
        p["provider_slug"]: {
            k: p[k] for k in ("pending", "in_progress", "completed", "failed", "skipped", "total", "completion_rate")
        }
        for p in data["pipeline"]
    }
    return jsonify(summary=live["summary"], snapshot_at=data["summary"]["refreshed_at"], pipeline=pipeline)


def _rows_csv(name: str, columns: list[str], rows: list[dict]) -> Response:
    """The rows as CSV (text/csv, a safe file name); a cell that a spreadsheet would run as a
    formula (= + - @ tab CR first) is prefixed with ' (OWASP CSV injection)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            text = "" if value is None else str(value)
            cells.append("'" + text if text.startswith(FORMULA_START) else text)
        writer.writerow(cells)
    filename = re.sub(r"[^a-z0-9_-]", "", name.lower()) or "list"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"', "Cache-Control": "no-store"},
    )


def _list_response(kind: str, template: str = "admin_list.html"):
    f = _filters()
    if request.args.get("format") == "csv":
        rows, page, columns = [], 1, []
        while True:  # every page, each one call of the same SQL function
            part = _call("admin_list", p_list=kind, **{**f, "p_page": page}, p_page_size=1000)
            columns, rows = part["columns"], rows + part["rows"]
            if page >= part["pages"]:
                break
            page += 1
        return _rows_csv(f"{kind}-list", columns, rows)
    result = _call("admin_list", p_list=kind, **f)
    choices = _call("admin_dashboard", p_program=None, p_partner=None, p_rows=1)
    return render_template(
        template,
        kind=kind,
        title=LISTS[kind],
        result=result,
        filters=f,
        all_programs=[tuple(p) for p in choices["all_programs"]],
        all_providers=[tuple(p) for p in choices["all_providers"]],
    )


@bp.get("/lists/<kind>")
@login_required
def list_page(kind: str):
    """Any admin list on its own page: filters, sort, pagination, `?format=csv`."""
    if kind not in LISTS or kind in ("events", "jobs"):
        abort(404)
    return _list_response(kind)


@bp.get("/events")
@login_required
def events():
    """Every partner event (Svix/Stripe-like log): outcome, search, filters, pagination, replay."""
    return _list_response("events", "admin_events.html")


@bp.get("/jobs")
@login_required
def jobs():
    """The queues' jobs: queued, in flight, failed (next retry), dead letters, done."""
    return _list_response("jobs")


def _back_target() -> str:
    target = request.values.get("back") or url_for("admin.dashboard")
    ok = target.startswith("/admin") and not target.startswith("//") and "\\" not in target
    return target if ok else url_for("admin.dashboard")


def _back():
    return redirect(_back_target())


@bp.get("/steps/<uuid:step_id>/<action>")
@login_required
def confirm_step_action(step_id, action: str):
    """The confirmation page of a step override: who, which step, and what happens next."""
    if action not in STEP_ACTIONS:
        abort(404)
    preview = _call("admin_step_preview", p_step_id=str(step_id), p_action=action)
    return render_template(
        "admin_confirm.html", preview=preview, action=action, label=ACTION_LABELS[action], back=_back_target()
    )


@bp.post("/steps/<uuid:step_id>/<action>")
@login_required
def step_action(step_id, action: str):
    """Retry, skip, fail, complete by hand, or enter the partner's id for a step."""
    check_csrf()
    if action not in STEP_ACTIONS:
        abort(404)
    function, names, done = STEP_ACTIONS[action]
    form = {
        "p_reason": request.form.get("reason", ""),
        "p_external_enrollment_id": request.form.get("external_enrollment_id") or None,
        "p_launch_url": request.form.get("launch_url") or None,
    }
    try:
        _call(function, p_step_id=str(step_id), **{k: form[k] for k in names})
    except Refused as exc:
        # back to the confirmation page, with SQL's reason and what was typed
        preview = _call("admin_step_preview", p_step_id=str(step_id), p_action=action)
        return render_template(
            "admin_confirm.html",
            preview=preview,
            action=action,
            label=ACTION_LABELS[action],
            back=_back_target(),
            error=exc.message,
            form=request.form,
        ), exc.status
    after = _call("admin_step_preview", p_step_id=str(step_id))
    flash(_outcome(action, done, after), "ok")
    log.info("admin %s: %s step %s", g.user_id, action, step_id)
    return _back()


def _outcome(action: str, done: str, after: dict) -> str:
    """What really happened, from SQL's answer after the override (admin_step_preview)."""
    step, current = after["step"], after["current"]
    status = step["status"].replace("_", " ")
    text = f"{done}: step {step['sequence_order']} ({step['provider_name']}) of {step['student_name']} is now {status}."
    if current and current["step_id"] != step["step_id"]:
        text += f" Now in progress: step {current['sequence_order']} ({current['provider_name']})."
    elif action in ("skip", "complete") and step["enrollment_status"] == "completed":
        text += " That was the last step: the program is completed and the certificate issued."
    elif action in ("skip", "complete") and not current:
        text += f" No next step started (the enrollment is {step['enrollment_status']})."
    elif action == "retry":
        text += f" The enrollment at {step['provider_name']} is queued again."
    return text


@bp.route("/jobs/<int:msg_id>/<action>", methods=["GET", "POST"])
@login_required
def dead_job(msg_id: int, action: str):
    """Retry or discard a dead letter: a confirmation page (GET), then the override (POST)."""
    if action not in ("retry", "discard"):
        abort(404)
    label = {"retry": "Retry the dead job", "discard": "Discard the dead job"}[action]
    back = _back_target() if request.values.get("back") else url_for("admin.jobs", status="dead")
    preview = _call("admin_dead_job", p_msg_id=msg_id, p_action=action, p_reason=None)
    if request.method == "GET":
        return render_template("admin_confirm_job.html", preview=preview, action=action, label=label, back=back)
    check_csrf()
    try:
        result = _call("admin_dead_job", p_msg_id=msg_id, p_action=action, p_reason=request.form.get("reason", ""))
    except Refused as exc:
        return render_template(
            "admin_confirm_job.html",
            preview=preview,
            action=action,
            label=label,
            back=back,
            error=exc.message,
            form=request.form,
        ), exc.status
    if action == "retry":
        flash(f"Job #{msg_id} sent again as job #{result['new_msg_id']}.", "ok")
    else:
        flash(f"Dead job #{msg_id} discarded.", "ok")
    log.info("admin %s: %s dead job %s", g.user_id, action, msg_id)
    return redirect(back)


@bp.get("/students/<uuid:user_id>")
@login_required
def student(user_id):
    """One student: enrollments, steps with their history timeline, certificate, emails, jobs,
    events and admin actions, with the overrides each step accepts."""
    return render_template("admin_student.html", s=_call("admin_student", p_user_id=str(user_id)))


# enrollment-level overrides: action -> (SQL function, its target, button label, message)
ENROLLMENT_ACTIONS = {
    "cancel": ("admin_cancel_enrollment", "p_enrollment_id", "Cancel this enrollment", "Enrollment cancelled."),
    "revoke": (
        "admin_revoke_certificate",
        "p_certificate_id",
        "Revoke the certificate",
        "Certificate revoked: its verification page now says revoked.",
    ),
    "reissue": (
        "admin_reissue_certificate",
        "p_certificate_id",
        "Reissue the certificate",
        "Certificate reissued: it verifies as valid and a fresh PDF is being generated.",
    ),
}


@bp.route("/enrollments/<uuid:enrollment_id>/<action>", methods=["GET", "POST"])
@login_required
def enrollment_action(enrollment_id, action: str):
    """Cancel an enrollment, revoke or reissue its certificate: a confirmation page (GET) that
    says what happens, then the override (POST)."""
    if action not in ENROLLMENT_ACTIONS:
        abort(404)
    function, target, label, done = ENROLLMENT_ACTIONS[action]
    preview = _call("admin_enrollment_preview", p_enrollment_id=str(enrollment_id), p_action=action)
    back = _back_target() if request.values.get("back") else f"/admin/students/{preview['enrollment']['user_id']}"
    if request.method == "GET":
        return render_template("admin_confirm_enrollment.html", preview=preview, action=action, label=label, back=back)
    check_csrf()
    ids = {
        "p_enrollment_id": str(enrollment_id),
        "p_certificate_id": (preview["certificate"] or {}).get("certificate_id"),
    }
    try:  # no certificate: SQL refuses the null id (PS081), as for any unknown one
        _call(function, **{target: ids[target]}, p_reason=request.form.get("reason", ""))
    except Refused as exc:
        return render_template(
            "admin_confirm_enrollment.html",
            preview=preview,
            action=action,
            label=label,
            back=back,
            error=exc.message,
            form=request.form,
        ), exc.status
    flash(done, "ok")
    log.info("admin %s: %s enrollment %s", g.user_id, action, enrollment_id)
    return redirect(back)


@bp.get("/events/<int:event_id>")
@login_required
def event(event_id: int):
    """One partner event: outcome, student, payload (escaped by the template), replays."""
    return render_template("admin_event.html", e=_call("admin_event", p_event_id=event_id))


def _event_ids() -> list[int]:
    ids = request.values.getlist("ids")
    if not ids or len(ids) > 100 or not all(i.isdigit() and len(i) <= 18 for i in ids):
        raise Refused("PS080", "choose 1 to 100 events to replay")
    return sorted({int(i) for i in ids})


@bp.get("/events/replay")
@login_required
def confirm_replay():
    """The confirmation page of a replay: the chosen events, what replaying does, a reason."""
    events = [_call("admin_event", p_event_id=i) for i in _event_ids()]
    return render_template("admin_replay.html", events=events, back=_back_target())


@bp.post("/events/replay")
@login_required
def replay_events():
    """Replay the chosen events (one SQL call, each replay audited)."""
    check_csrf()
    ids = _event_ids()
    try:
        result = _call("admin_replay_events", p_event_ids=ids, p_reason=request.form.get("reason", ""))
    except Refused as exc:
        events = [_call("admin_event", p_event_id=i) for i in ids]
        return render_template(
            "admin_replay.html",
            events=events,
            back=_back_target(),
            error=exc.message,
            reason=request.form.get("reason"),
        ), exc.status
    flash("Replayed: " + ", ".join(f"#{r['event_id']} {r['status']}" for r in result) + ".", "ok")
    log.info("admin %s: replay events %s", g.user_id, ids)
    return _back()


@bp.post("/events/<int:event_id>/replay")
@login_required
def replay_event(event_id: int):
    """Re-apply a stored partner webhook event."""
    check_csrf()
    result = _call("admin_replay_event", p_event_id=event_id, p_reason=request.form.get("reason", ""))
    flash(f"Event #{event_id} replayed: {result['status'] if result else 'nothing to do'}.", "ok")
    log.info("admin %s: replay event %s", g.user_id, event_id)
    return _back()
