"""The zero-touch loop end to end, with real parts on loopback: PostgreSQL, the web app under
gunicorn, workers, the partner simulator and an SMTP server. Then its faults: a flaky partner, a
partner that is down, a worker killed mid-job, two workers on one queue."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from tests.py.conftest import new_student, webhook_secret_env
from tests.py.live_server import gunicorn
from tests.py.services import Simulator, SmtpSink, simulator, wait_for, workers


@dataclass
class Loop:
    app: str
    sim: Simulator
    smtp: SmtpSink
    env: dict[str, str]


@pytest.fixture
def loop(db_url, sql):
    secrets = webhook_secret_env()
    sql("update queue.queues set backoff_base_seconds = 0.05, backoff_cap_seconds = 0.5")
    sql("delete from queue.jobs")  # the demo seed's own pending work is not part of these tests
    with SmtpSink() as smtp, gunicorn({"DATABASE_URL": db_url, **secrets}, workers=1, threads=8) as app:
        with simulator(app, secrets) as sim:
            env = {
                "DATABASE_URL": db_url,
                "PARTNER_API_BASE_URL": sim.partner_api,
                "SMTP_URL": smtp.url,
                "MAIL_FROM": "Training Team <training@example.org>",
                "SITE_URL": "https://training.example.org",
                **secrets,
            }
            yield Loop(app, sim, smtp, env)


def _steps(sql, enrollment_id):
    return sql(
        "select s.id, s.status, s.external_enrollment_id, s.partner_certificate, v.slug from public.enrollment_steps s"
        " join public.partner_lms_providers v on v.id = s.provider_id where s.enrollment_id = %s"
        " order by s.sequence_order",
        enrollment_id,
    )


def _drive_to_completion(loop: Loop, sql, student: dict, timeout: float = 60) -> None:
    """Play the student: whenever the current step is enrolled at its partner, finish the course
    there (the simulator sends the signed webhooks). No other manual step."""
    for step_id in student["steps"]:
        wait_for(
            lambda sid=step_id: sql(
                "select 1 from public.enrollment_steps where id = %s and status = 'in_progress'"
                " and external_enrollment_id is not null",
                sid,
            ),
            timeout,
            f"step {step_id} enrolled at its partner",
        )
        loop.sim.complete(str(step_id))
    wait_for(
        lambda: sql(
            "select 1 from public.enrollments where id = %s and status = 'completed'", student["enrollment_id"]
        ),
        timeout,
        "enrollment completed",
    )


def test_medical_assistant_end_to_end_with_zero_manual_steps(loop, sql):
    started = time.monotonic()
    student = new_student(sql, "medical-assistant", email="maria@students.example.org")
    with workers(loop.env, 1, "--concurrency", "4"):
        _drive_to_completion(loop, sql, student)
        certificate = wait_for(
            lambda: sql(
                "select id, verification_code, pdf is not null as has_pdf from public.certificates"
                " where enrollment_id = %s and pdf is not null",
                student["enrollment_id"],
            ),
            60,
            "certificate PDF",
        )[0]
        wait_for(
            lambda: any("completed" in m["Subject"].lower() for m in loop.smtp.to("maria@students.example.org")),
            60,
            "completion email",
        )
    elapsed = time.monotonic() - started

    steps = _steps(sql, student["enrollment_id"])
    assert [s["slug"] for s in steps] == ["hsi", "certiport", "careersafe"]
    assert [s["status"] for s in steps] == ["completed"] * 3
    enrolled = {e["reference"]: e for e in loop.sim.stats()["enrollments"]}
    for s in steps:  # the partner's own id, stored at each partner
        assert s["external_enrollment_id"] == enrolled[str(s["id"])]["external_enrollment_id"]
        assert s["partner_certificate"].get("certificate_id"), "certificate.issued kept on the step"
    assert loop.sim.stats()["created"] == 3
    assert (
        sql("select count(*) as n from public.certificates where enrollment_id = %s", student["enrollment_id"])[0]["n"]
        == 1
    )

    mails = loop.smtp.to("maria@students.example.org")
    subjects = sorted(m["Subject"] for m in mails)
    assert len(mails) == 4, subjects  # 3 × next step started + program completed
    started_mails = [m for m in mails if m not in [x for x in mails if "completed" in x["Subject"].lower()]]
    assert len(started_mails) == 3
    bodies = " ".join(m.get_body(("plain",)).get_content() for m in mails)
    for s in steps:
        assert enrolled[str(s["id"])]["launch_url"] in bodies, "each step's email carries its launch link"
    assert f"https://training.example.org/certificates/{certificate['verification_code']}" in bodies
    assert len({m["Message-ID"] for m in mails}) == 4
    print(f"\nend to end, 3 partners: {elapsed:.1f} s")


def test_a_flaky_partner_still_gets_everyone_through_without_double_enrollment(loop, sql):
    loop.sim.control(fail_rate=0.5)
    sql("update queue.queues set max_attempts = 40 where queue_name = 'partner_enrollment'")
    students = [new_student(sql, "cna") for _ in range(8)]
    with workers(loop.env, 1, "--concurrency", "8"):
        for s in students:
            _drive_to_completion(loop, sql, s, timeout=120)
    stats = loop.sim.stats()
    assert stats["failed"] > 0, "the fault injection must have fired"
    references = [e["reference"] for e in stats["enrollments"]]
    assert len(references) == len(set(references)) == 16, "one enrollment per step at the partner, never two"
    retried = sql(
        "select count(*) as n from queue.jobs_archive where queue_name = 'partner_enrollment' and read_ct > 1"
    )
    assert retried[0]["n"] > 0


def test_a_lost_answer_is_retried_with_the_same_key_and_never_enrolls_twice(loop, sql):
    """The partner enrolls the student but its answer arrives after our timeout: the retry carries
    the same Idempotency-Key, so the partner replays its answer instead of enrolling again."""
    loop.sim.control(latency_ms=1500)
    student = new_student(sql, "cpr-first-aid")
    env = {**loop.env, "PARTNER_API_TIMEOUT": "0.5"}
    with workers(env, 1):
        wait_for(lambda: loop.sim.stats()["created"] >= 1, 30, "the partner created the enrollment")
        loop.sim.control(latency_ms=0)
        wait_for(
            lambda: sql(
                "select 1 from public.enrollment_steps where id = %s and external_enrollment_id is not null",
                student["steps"][0],
            ),
            30,
            "the step linked",
        )
    stats = loop.sim.stats()
    assert stats["created"] == 1
    assert stats["replays"] >= 1
    assert (
        _steps(sql, student["enrollment_id"])[0]["external_enrollment_id"]
        == stats["enrollments"][0]["external_enrollment_id"]
    )


def test_partner_down_dead_letters_then_an_admin_retry_succeeds_once_it_is_back(loop, sql):
    port = loop.sim.port
    loop.sim.stop()
    sql("update queue.queues set max_attempts = 3 where queue_name = 'partner_enrollment'")
    student = new_student(sql, "cpr-first-aid", email="down@students.example.org")
    with workers(loop.env, 1):
        failed = wait_for(
            lambda: sql(
                "select status, error_message from public.enrollment_steps where id = %s and status = 'failed'",
                student["steps"][0],
            ),
            30,
            "the step failed",
        )[0]
        assert "unreachable" in failed["error_message"]
        dead = sql(
            "select read_ct, last_error from queue.jobs_archive where queue_name = 'partner_enrollment'"
            " and outcome = 'dead' and (message ->> 'step_id')::uuid = %s",
            student["steps"][0],
        )
        assert [d["read_ct"] for d in dead] == [3]
        assert sql("select kind from public.admin_alerts where step_id = %s", student["steps"][0]) == [
            {"kind": "partner_enrollment_failed"}
        ]
        wait_for(
            lambda: any(
                "failed" in m["Subject"].lower() or "alert" in m["Subject"].lower()
                for m in loop.smtp.to("admin@example.org")
            ),
            30,
            "the admin alert email",
        )

        with simulator(loop.app, webhook_secret_env(), port=port) as back:
            sql("select public.admin_retry_step(%s, 'HSI is back up')", student["steps"][0])
            wait_for(
                lambda: sql(
                    "select 1 from public.enrollment_steps where id = %s and status = 'in_progress'"
                    " and external_enrollment_id is not null",
                    student["steps"][0],
                ),
                30,
                "re-enrolled",
            )
            assert back.stats()["created"] == 1
            assert sql(
                "select resolved_at is not null as resolved from public.admin_alerts where step_id = %s",
                student["steps"][0],
            ) == [{"resolved": False}]
            back.complete(str(student["steps"][0]))
            wait_for(
                lambda: sql(
                    "select 1 from public.enrollments where id = %s and status = 'completed'", student["enrollment_id"]
                ),
                30,
                "completed",
            )


def test_a_worker_killed_mid_job_leaves_the_job_to_another_with_the_same_outcome(loop, sql):
    sql("update queue.queues set visibility_timeout_seconds = 2 where queue_name = 'partner_enrollment'")
    loop.sim.control(latency_ms=1000)
    student = new_student(sql, "cpr-first-aid")
    with workers(loop.env, 1) as (first,):
        wait_for(lambda: loop.sim.stats()["calls"] >= 1, 30, "the first worker calling the partner")
        first.kill()
    assert sql("select external_enrollment_id from public.enrollment_steps where id = %s", student["steps"][0]) == [
        {"external_enrollment_id": None}
    ]
    loop.sim.control(latency_ms=0)
    with workers(loop.env, 1):
        wait_for(
            lambda: sql(
                "select 1 from public.enrollment_steps where id = %s and external_enrollment_id is not null",
                student["steps"][0],
            ),
            30,
            "the job redelivered and done",
        )
    stats = loop.sim.stats()
    assert stats["calls"] >= 2, "the job was delivered again after the kill"
    assert stats["created"] == 1, "and enrolled the student once"
    job = sql(
        "select read_ct, outcome from queue.jobs_archive where queue_name = 'partner_enrollment'"
        " and (message ->> 'step_id')::uuid = %s",
        student["steps"][0],
    )
    assert job == [{"read_ct": 2, "outcome": "done"}]


def test_two_workers_draining_one_queue_never_do_a_job_twice(loop, sql):
    students = [new_student(sql, "it-support") for _ in range(60)]
    with workers(loop.env, 2, "--concurrency", "4", "--batch", "5"):
        wait_for(
            lambda: (
                sql(
                    "select count(*) as n from public.enrollment_steps s join public.enrollments e"
                    " on e.id = s.enrollment_id where s.external_enrollment_id is not null"
                    " and e.id = any(%s)",
                    [s["enrollment_id"] for s in students],
                )[0]["n"]
                == 60
            ),
            60,
            "all 60 enrolled",
        )
    stats = loop.sim.stats()
    assert stats["calls"] == 60 and stats["created"] == 60 and stats["replays"] == 0
    jobs = sql(
        "select read_ct from queue.jobs_archive where queue_name = 'partner_enrollment'"
        " and (message ->> 'enrollment_id')::uuid = any(%s)",
        [s["enrollment_id"] for s in students],
    )
    assert len(jobs) == 60 and {j["read_ct"] for j in jobs} == {1}


def test_sigterm_finishes_the_running_job_and_gives_back_the_others(loop, sql):
    loop.sim.control(latency_ms=1500)
    students = [new_student(sql, "cpr-first-aid") for _ in range(3)]
    with workers(loop.env, 1, "--concurrency", "1", "--batch", "5") as (worker,):
        wait_for(lambda: loop.sim.stats()["calls"] >= 1, 30, "the first partner call")
        started = time.monotonic()
        assert worker.terminate() == 0
        assert time.monotonic() - started < 10
    linked = sql(
        "select count(*) as n from public.enrollment_steps where id = any(%s) and external_enrollment_id is not null",
        [s["steps"][0] for s in students],
    )[0]["n"]
    assert linked == 1, "the job in hand was finished"
    waiting = sql("select read_ct, vt <= now() as visible from queue.jobs where queue_name = 'partner_enrollment'")
    assert waiting == [{"read_ct": 1, "visible": True}] * 2, "the others were released, visible at once"
    assert loop.sim.stats()["calls"] == 1
