"""Chaos in the suite (issue 12): the real processes — PostgreSQL, gunicorn, the worker, the partner
simulator — while signed course.completed deliveries (20% duplicates, 10% held back behind later
ones, manual-partner completions before their link) arrive, PostgreSQL restarts in immediate mode
twice and gunicorn and the worker are kill -9'd twice each. Nothing acknowledged may be lost or
applied twice, every chain ends with one certificate, no job stays in flight beyond its window and
no delivery is left on a 5xx. devtools/chaos.py is the harness; `make chaos` runs a longer one."""

from __future__ import annotations

import io

from devtools.chaos import ChaosConfig, run

SMALL = ChaosConfig(enrollments=120, db_restarts=2, web_kills=2, worker_kills=2, drain_timeout=45, seed=12)


def test_webhooks_survive_database_restarts_and_killed_processes():
    log = io.StringIO()
    result = run(SMALL, out=log)
    report = result.format()
    print(f"\n{log.getvalue()}{report}")
    assert result.restarts == 2 and result.kills == 4, report
    assert result.distinct == result.steps and result.sends >= 280, report
    assert result.duplicates >= 0.1 * result.sends and result.held_back >= 0.03 * result.distinct, report
    assert result.lost == 0 and result.double_applied == 0 and result.extra_events == 0, report
    assert result.undelivered == 0 and 500 not in result.http_5xx, report
    assert result.chains_completed == result.enrollments == result.certificate_pdfs == result.certificates, report
    assert result.steps_not_completed == 0 and result.jobs_left == 0 and result.jobs_dead == 0, report
    assert result.max_in_flight_over_window <= 1.0, report
    assert result.web_tracebacks == 0, report
    assert result.unrecovered == 0, report
    assert result.ok(), report
