"""The worker's task registry: the loop knows no job by name. It drains the queues `queue.queues`
lists, each with the handler registered for it (glue/tasks/<queue>.py); a queue without one is
logged and its jobs are left alone, not failed."""

from __future__ import annotations

import json
import logging

from glue import tasks
from glue.worker import Worker


def _worker(app, **handlers) -> Worker:
    return Worker(app, concurrency=2, scan_interval=0, monitoring_interval=0, handlers=handlers or None)


def test_each_queue_of_the_database_has_its_task_module():
    registry = tasks.registry()
    assert set(registry) == {"partner_enrollment", "certificate", "email", "credential"}
    for queue, handler in registry.items():
        assert handler.__module__ == f"glue.tasks.{queue}"


def test_a_queue_added_in_the_database_is_drained_by_the_handler_registered_for_it(app, sql):
    sql("insert into queue.queues (queue_name) values ('greeting')")
    (job,) = sql("select queue.send('greeting', %s::jsonb) as msg_id", json.dumps({"hello": "world"}))
    seen = []

    def greeting(ctx, msg_id, message):
        seen.append((msg_id, message))
        return "greeted"

    worker = _worker(app, greeting=greeting)
    assert worker.run(once=True) == 1
    assert seen == [(job["msg_id"], {"hello": "world"})]
    assert worker.queues == {"greeting": 60}  # only the queues it has a task for


def test_a_queue_without_a_registered_task_is_logged_and_its_jobs_left_alone(app, sql, caplog):
    sql("insert into queue.queues (queue_name) values ('mystery')")
    sql("select queue.send('mystery', '{}'::jsonb)")
    with caplog.at_level(logging.WARNING, logger="glue.worker"):
        _worker(app).run(once=True)  # drains the other queues (the seed's emails), not this one
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [
        "queue 'mystery' has no registered task (glue/tasks/mystery.py): its jobs are left for a worker that has one"
    ]
    (job,) = sql("select read_ct from queue.jobs where queue_name = 'mystery'")
    assert job["read_ct"] == 0  # never read, never failed


def test_a_task_error_fails_the_job_with_its_reason_and_retryability(app, sql):
    sql("insert into queue.queues (queue_name, max_attempts) values ('fragile', 3)")
    sql("select queue.send('fragile', '{}'::jsonb)")

    def fragile(ctx, msg_id, message):
        raise tasks.TaskError("the partner said no", retryable=False)

    _worker(app, fragile=fragile).run(once=True)
    (archived,) = sql("select last_error from queue.jobs_archive where queue_name = 'fragile'")
    assert archived["last_error"] == "the partner said no"  # not retryable: dead-lettered at once


def test_the_links_in_emails_and_certificates_come_from_the_routes_under_site_url():
    from glue import create_app
    from glue.config import TestConfig
    from glue.tasks.email import email_context

    app = create_app(
        TestConfig(DATABASE_URL="postgresql://nobody@127.0.0.1:9/unused", SITE_URL="https://t.example/app/")
    )
    ctx = tasks.TaskContext(app)
    certificate_id = "5b3f1a52-8f1e-4a39-9d59-6a3c2b0f1e77"
    context = email_context(
        ctx, {"context": {"certificate_id": certificate_id, "verification_code": "ab" * 16}, "to_name": "Ada"}
    )
    assert context["progress_url"] == "https://t.example/app/student/progress"
    assert context["dashboard_url"] == "https://t.example/app/admin/dashboard"
    assert context["certificate_url"] == f"https://t.example/app/student/certificates/{certificate_id}.pdf"
    assert context["verification_url"] == f"https://t.example/app/certificates/{'ab' * 16}"
