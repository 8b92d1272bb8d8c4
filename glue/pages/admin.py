"""The admin dashboard: the training pipeline, stuck students, bottlenecks, failed partner
enrollments and webhook events needing attention, with the overrides (retry, skip, fail,
complete by hand, enter a partner's id, replay an event) and analytics charts.

Every number comes from the monitor_* SQL functions and every action is one call of an admin_*
SQL function, run as the signed-in user (`authenticated` + JWT claims): SQL decides who is an
admin (42501 otherwise → 403) and records the action in the audit trail.
"""

from __future__ import annotations

import logging
from datetime import datetime

import psycopg
from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for

from ..auth import check_csrf
from ..db import DatabaseUnavailable
from .auth import login_required

log = logging.getLogger(__name__)
bp = Blueprint("admin", __name__, url_prefix="/admin")

# one round trip: every panel of the dashboard as one JSON document
DASHBOARD_SQL = """
select jsonb_build_object(
  'pipeline', (select coalesce(jsonb_agg(p), '[]') from public.monitor_pipeline() p),
  'programs', (select coalesce(jsonb_agg(p), '[]') from public.monitor_program_completion() p),
  'stuck', (select coalesce(jsonb_agg(p), '[]') from public.monitor_stuck_students(%(days)s, %(rows)s) p),
  'bottlenecks', (select coalesce(jsonb_agg(p), '[]') from public.monitor_bottlenecks() p),
  'funnel', (select coalesce(jsonb_agg(p), '[]') from public.monitor_funnel(%(program)s) p),
  'weekly', (select coalesce(jsonb_agg(p), '[]') from public.monitor_weekly_completions(12) p),
  'failed', (select coalesce(jsonb_agg(p), '[]') from public.monitor_failed_enrollments(%(rows)s) p),
  'awaiting', (select coalesce(jsonb_agg(p), '[]') from public.monitor_awaiting_enrollment(%(rows)s) p),
  'partner_events', (select coalesce(jsonb_agg(p), '[]') from public.monitor_partner_events() p),
  'waiting_events', (select coalesce(jsonb_agg(p), '[]') from public.monitor_waiting_events(%(rows)s) p),
  'queues', (select coalesce(jsonb_agg(p), '[]') from public.monitor_queues() p)
) as data
"""

LIST_ROWS = 50  # rows shown per list (stuck, failed, awaiting, events); counts come from SQL

STEP_ACTIONS = {
    # action: (SQL, success message)
    "retry": (
        "select public.admin_retry_step(%(step)s, %(reason)s)",
        "Retried: the partner enrollment is queued again.",
    ),
    "skip": ("select public.admin_skip_step(%(step)s, %(reason)s)", "Skipped; the next partner has started."),
    "fail": ("select public.admin_fail_step(%(step)s, %(reason)s)", "Marked as failed."),
    "complete": (
        "select public.admin_complete_step(%(step)s, %(reason)s, %(external_id)s)",
        "Completed by hand; the next partner has started.",
    ),
    "link": (
        "select public.admin_link_step(%(step)s, %(external_id)s, %(reason)s, %(launch_url)s)",
        "Partner enrollment id saved; waiting webhook events were applied.",
    ),
}


def _load(program: str | None) -> dict | None:
    """The dashboard's data as the signed-in user; None when SQL says they are not an admin."""
    try:
        with current_app.extensions["db"].as_user(g.claims) as conn:
            return conn.execute(DASHBOARD_SQL, {"days": 7, "program": program, "rows": LIST_ROWS}).fetchone()["data"]
    except psycopg.errors.InsufficientPrivilege:
        return None


def _filtered(data: dict, program: str | None, provider: str | None) -> dict:
    """Apply the page's filters to the lists (display only; the numbers come from SQL)."""
    names = {p["program_slug"]: p["program_name"] for p in data["programs"]}

    def keep(row: dict) -> bool:
        if provider and "provider_slug" in row and row["provider_slug"] != provider:
            return False
        if program and "program_slug" in row:
            return row["program_slug"] == program
        if program and "program_name" in row:
            return row["program_name"] == names.get(program)
        return True

    for key in (
        "pipeline",
        "stuck",
        "bottlenecks",
        "failed",
        "awaiting",
        "partner_events",
        "waiting_events",
        "programs",
    ):
        data[key] = [row for row in data[key] if keep(row)]
    return data


def _summary(data: dict) -> dict:
    """The headline numbers: totals from SQL (not the length of the shown, capped lists)."""
    pipeline = data["pipeline"]
    return {
        "in_progress": sum(p["in_progress"] for p in pipeline),
        "completed_steps": sum(p["completed"] for p in pipeline),
        "stuck": sum(b["stuck"] for b in data["bottlenecks"]),
        "failed": sum(p["failed"] for p in pipeline),
        "awaiting": f"{LIST_ROWS}+" if len(data["awaiting"]) >= LIST_ROWS else len(data["awaiting"]),
        "waiting_events": sum(e["unmatched"] + e["deferred"] + e["rejected"] for e in data["partner_events"]),
        "refreshed_at": pipeline[0]["refreshed_at"] if pipeline else None,
    }


@bp.get("/dashboard")
@login_required
def dashboard():
    """The admin dashboard (admins only; 403 for others)."""
    program = request.args.get("program") or None
    provider = request.args.get("provider") or None
    try:
        data = _load(program)
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
    all_programs = [(p["program_slug"], p["program_name"]) for p in data["programs"]]
    all_providers = [(p["provider_slug"], p["provider_name"]) for p in data["pipeline"]]
    data = _filtered(data, program, provider)
    return render_template(
        "admin_dashboard.html",
        data=data,
        summary=_summary(data),
        program=program,
        provider=provider,
        all_programs=all_programs,
        all_providers=all_providers,
        now=datetime.now().astimezone(),
    )


@bp.get("/dashboard.json")
@login_required
def dashboard_json():
    """The dashboard's live numbers (polled by the page every 15 s)."""
    program = request.args.get("program") or None
    provider = request.args.get("provider") or None
    try:
        data = _load(program)
    except DatabaseUnavailable:
        return jsonify(error="database unavailable"), 503
    if data is None:
        return jsonify(error="admins only"), 403
    data = _filtered(data, program, provider)
    pipeline = {
        p["provider_slug"]: {
            k: p[k] for k in ("pending", "in_progress", "completed", "failed", "skipped", "total", "completion_rate")
        }
        for p in data["pipeline"]
    }
    return jsonify(summary=_summary(data), pipeline=pipeline)


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
    sql, done = STEP_ACTIONS[action]
    params = {
        "step": step_id,
        "reason": request.form.get("reason", ""),
        "external_id": request.form.get("external_enrollment_id") or None,
        "launch_url": request.form.get("launch_url") or None,
    }
    return _act(sql, params, done, f"{action} step {step_id}")


@bp.post("/events/<int:event_id>/replay")
@login_required
def replay_event(event_id: int):
    """Re-apply a stored partner webhook event."""
    check_csrf()
    return _act(
        "select public.admin_replay_event(%(event)s, %(reason)s) ->> 'status'",
        {"event": event_id, "reason": request.form.get("reason", "")},
        "Event replayed: {}.",
        f"replay event {event_id}",
    )


def _act(sql: str, params: dict, done: str, what: str):
    try:
        with current_app.extensions["db"].as_user(g.claims) as conn:
            result = conn.execute(sql, params).fetchone()
    except psycopg.errors.InsufficientPrivilege:
        return render_template("error.html", title="Admins only", message="This action is for training staff."), 403
    except DatabaseUnavailable:
        flash("The database is unavailable; nothing was changed. Please try again.", "error")
        return _back()
    except psycopg.Error as exc:
        # our own SQL errors (PS002 unknown step, PS003 wrong state, PS005, PS007 no reason) say
        # what is wrong in plain words; anything else is logged and reported without internals
        if exc.sqlstate and exc.sqlstate.startswith("PS"):
            flash(f"Not done: {exc.diag.message_primary}.", "error")
        else:
            log.exception("admin action %s failed", what)
            flash("Not done: an unexpected error occurred.", "error")
        return _back()
    value = next(iter(result.values())) if result else None
    flash(done.format(value) if "{}" in done else done, "ok")
    log.info("admin %s: %s", g.user_id, what)
    return _back()
