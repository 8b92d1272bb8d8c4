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
    # an id that does not exist is a failure (exit 1), after the others were replayed
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"error PS012": 1, "unmatched": 1}
    assert "event 999999" in result.output
    assert "1 event(s) could not be replayed" in result.output
    assert sql("select attempts from public.partner_events where id = %s", still_waiting) == [{"attempts": 2}]


def test_replay_without_arguments_is_a_usage_error(app):
    result = app.test_cli_runner().invoke(args=["replay-events"])
    assert result.exit_code == 2
    assert "--unmatched" in result.output


def test_replay_with_nothing_waiting_says_so(app):
    result = app.test_cli_runner().invoke(args=["replay-events", "--unmatched", "--partner", "jri"])
    assert result.exit_code == 0
    assert "nothing to replay" in result.output


def test_replay_unmatched_runs_over_the_supabase_http_transport():
    """Without DATABASE_URL the command runs through Supabase's HTTP API: the events to replay come
    from one rpc (partner_events_to_replay), each replay is one rpc; no SQL is built in Python."""
    from glue import create_app
    from glue.config import TestConfig
    from tests.py.conftest import webhook_secrets
    from tests.py.test_supabase_transport import SECRET_KEY, FakePostgrest

    postgrest = FakePostgrest()
    try:
        postgrest.responses["partner_events_to_replay"] = (200, [5, 6])
        postgrest.responses["replay_partner_event"] = (200, {"status": "processed", "event_id": 5})
        app = create_app(
            TestConfig(
                DATABASE_URL=None,
                SUPABASE_URL=postgrest.url,
                SUPABASE_SERVICE_ROLE_KEY=SECRET_KEY,
                PARTNER_WEBHOOK_SECRETS=webhook_secrets(),
                WEBHOOKS_ONLY=True,
            )
        )
        result = app.test_cli_runner().invoke(args=["replay-events", "--unmatched", "--partner", "hsi"])
    finally:
        postgrest.close()

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"processed": 2}
    assert [(r["path"], r["json"]) for r in postgrest.requests] == [
        (
            "/rest/v1/rpc/partner_events_to_replay",
            {"p_waiting": True, "p_rejected": False, "p_partner_slug": "hsi"},
        ),
        ("/rest/v1/rpc/replay_partner_event", {"p_event_id": 5}),
        ("/rest/v1/rpc/replay_partner_event", {"p_event_id": 6}),
    ]


def test_the_events_to_replay_come_from_one_sql_definition_of_waiting(sql, post):
    """partner_events_to_replay: waiting = unmatched or deferred (private.waiting_event_statuses),
    rejected only when asked, one partner when asked, in id order."""
    waiting = _waiting_event(post, sql, "HSI-WAITS-1")
    sql("update public.partner_events set status = 'rejected' where id = %s", _waiting_event(post, sql, "HSI-REJ-1"))
    rejected = sql("select max(id) as id from public.partner_events where status = 'rejected'")[0]["id"]

    def to_replay(waiting=True, rejected=False, partner=None):
        return sql("select public.partner_events_to_replay(%s, %s, %s) as ids", waiting, rejected, partner)[0]["ids"]

    assert waiting in to_replay() and rejected not in to_replay()
    assert rejected in to_replay(False, True) and waiting not in to_replay(False, True)
    both = to_replay(True, True)
    assert {waiting, rejected} <= set(both) and both == sorted(both)
    assert waiting not in to_replay(partner="jri") and waiting in to_replay(partner="hsi")
    assert sql("select private.waiting_event_statuses() as s")[0]["s"] == ["unmatched", "deferred", "rejected"]
