"""`flask --app glue replay-events`: re-applies stored events through the same SQL function."""

from __future__ import annotations

import json

from tests.py.conftest import event, new_student


def _waiting_event(post, sql, ext):
    r = post("hsi", event("course.completed", external_enrollment_id=ext))
    assert r.status_code == 202
    return r.get_json()["event_id"]


def _link_without_triggers(sql, step_id, ext):
    """A DBA fixing data by hand with triggers off: the waiting event is not applied by itself."""
    sql("set session_replication_role = replica")
    sql("update public.enrollment_steps set external_enrollment_id = %s where id = %s", ext, step_id)
    sql("reset session_replication_role")


def test_replay_unmatched_applies_waiting_events(app, post, sql):
    s = new_student(sql, "cna")
    event_id = _waiting_event(post, sql, "HSI-REPLAY")
    _link_without_triggers(sql, s["steps"][0], "HSI-REPLAY")
    assert sql("select status from public.enrollment_steps where id = %s", s["steps"][0]) == [{"status": "in_progress"}]

    result = app.test_cli_runner().invoke(args=["replay-events", "--unmatched"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"processed": 1}
    assert sql("select status from public.partner_events where id = %s", event_id) == [{"status": "processed"}]
    assert sql("select status from public.enrollment_steps where id = %s", s["steps"][0]) == [{"status": "completed"}]


def test_replay_by_id_and_an_unknown_id(app, post, sql):
    still_waiting = _waiting_event(post, sql, "HSI-NOBODY")
    result = app.test_cli_runner().invoke(args=["replay-events", str(still_waiting), "999999"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"error PS012": 1, "unmatched": 1}
    assert "event 999999" in result.output
    assert sql("select attempts from public.partner_events where id = %s", still_waiting) == [{"attempts": 2}]


def test_replay_without_arguments_is_a_usage_error(app):
    result = app.test_cli_runner().invoke(args=["replay-events"])
    assert result.exit_code == 2
    assert "--unmatched" in result.output


def test_replay_with_nothing_waiting_says_so(app):
    result = app.test_cli_runner().invoke(args=["replay-events", "--unmatched", "--partner", "jri"])
    assert result.exit_code == 0
    assert "nothing to replay" in result.output
