"""The admin dashboard: the training pipeline, stuck students, bottlenecks, failed partner
enrollments and webhook events needing attention, with the overrides (retry, skip, fail,
complete by hand, enter a partner's id, replay an event) and analytics charts.

Every panel, filter and number comes from one call of public.admin_dashboard (the monitor_*
SQL functions) and every action is one call of an admin_* SQL function, both through the rpc
transport as the signed-in user (`authenticated` + JWT claims): SQL decides who is an admin
(42501 otherwise → 403) and records the action in the audit trail.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for

from ..auth import check_csrf
from ..db import DatabaseUnavailable
from ..rpc import RpcError
from . import user_rpc
from .auth import login_required

log = logging.getLogger(__name__)
bp = Blueprint("admin", __name__, url_prefix="/admin")

STEP_ACTIONS = {
    # action: (SQL function, its parameters from the form, success message)
    "retry": ("admin_retry_step", ("p_reason",), "Retried: the partner enrollment is queued again."),
    "skip": ("admin_skip_step", ("p_reason",), "Skipped; the next partner has started."),
    "fail": ("admin_fail_step", ("p_reason",), "Marked as failed."),
    "complete": (
        "admin_complete_step",
        ("p_reason", "p_external_enrollment_id"),
        "Completed by hand; the next partner has started.",
    ),
    "link": (
        "admin_link_step",
        ("p_external_enrollment_id", "p_reason", "p_launch_url"),
        "Partner enrollment id saved; waiting webhook events were applied.",
    ),
}


def _load(program: str | None, provider: str | None) -> dict | None:
    """The dashboard's data as the signed-in user, filtered and summed up by SQL
    (public.admin_dashboard); None when SQL says they are not an admin."""
    try:
        return user_rpc().call("admin_dashboard", p_program=program, p_partner=provider)
    except RpcError as exc:
        if exc.sqlstate == "42501":
            return None
        raise


@bp.get("/dashboard")
@login_required
def dashboard():
    """The admin dashboard (admins only; 403 for others)."""
    program = request.args.get("program") or None
    provider = request.args.get("provider") or None
    try:
        data = _load(program, provider)
    except DatabaseUnavailable:
        return render_template(
            "error.html",
            title="Temporarily unavailable",
            message="The database is unavailable. Please try again shortly.",
        ), 503
    if data is None:
        return render_template(
            "error.html", title="Admins only", message="This page is for training staff. Your account is not an admin."
        ), 403
    return render_template(
        "admin_dashboard.html",
        data=data,
        summary=data["summary"],
        program=program,
        provider=provider,
        all_programs=[tuple(p) for p in data["all_programs"]],
        all_providers=[tuple(p) for p in data["all_providers"]],
        now=datetime.now().astimezone(),
    )


@bp.get("/dashboard.json")
@login_required
def dashboard_json():
    """The dashboard's live numbers (polled by the page every 15 s)."""
    program = request.args.get("program") or None
    provider = request.args.get("provider") or None
    try:
        data = _load(program, provider)
    except DatabaseUnavailable:
        return jsonify(error="database unavailable"), 503
    if data is None:
        return jsonify(error="admins only"), 403
    pipeline = {
        p["provider_slug"]: {
            k: p[k] for k in ("pending", "in_progress", "completed", "failed", "skipped", "total", "completion_rate")
        }
        for p in data["pipeline"]
    }
    return jsonify(summary=data["summary"], pipeline=pipeline)


def _back():
    target = request.form.get("back") or url_for("admin.dashboard")
    return redirect(
        target if target.startswith("/admin/") and not target.startswith("//") else url_for("admin.dashboard")
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
    return _act(function, {"p_step_id": str(step_id), **{k: form[k] for k in names}}, done, f"{action} step {step_id}")


@bp.post("/events/<int:event_id>/replay")
@login_required
def replay_event(event_id: int):
    """Re-apply a stored partner webhook event."""
    check_csrf()
    return _act(
        "admin_replay_event",
        {"p_event_id": event_id, "p_reason": request.form.get("reason", "")},
        "Event replayed: {}.",
        f"replay event {event_id}",
        status=True,
    )


def _act(function: str, params: dict, done: str, what: str, status: bool = False):
    """One admin_* SQL function as the signed-in user, then back to the page with a message."""
    try:
        result = user_rpc().call(function, **params)
    except DatabaseUnavailable:
        flash("The database is unavailable; nothing was changed. Please try again.", "error")
        return _back()
    except RpcError as exc:
        if exc.sqlstate == "42501":
            return render_template("error.html", title="Admins only", message="This action is for training staff."), 403
        # our own SQL errors (PS002 unknown step, PS003 wrong state, PS005, PS007 no reason) say
        # what is wrong in plain words; anything else is logged and reported without internals
        if exc.sqlstate and exc.sqlstate.startswith("PS"):
            flash(f"Not done: {exc.message}.", "error")
        else:
            log.exception("admin action %s failed", what)
            flash("Not done: an unexpected error occurred.", "error")
        return _back()
    value = result["status"] if status and result else result
    flash(done.format(value) if "{}" in done else done, "ok")
    log.info("admin %s: %s", g.user_id, what)
    return _back()
