"""The state machine under real parallel load: 50 connections at once against PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

N = 50


def _service_conn(url: str) -> psycopg.Connection:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("set role service_role")
    return conn


def _in_parallel(url: str, sql: str, params: tuple) -> list:
    """Open N service-role connections, release them together on a barrier, run `sql` once on
    each; returns each call's first column or the exception it raised."""
    conns = [_service_conn(url) for _ in range(N)]
    barrier = threading.Barrier(N)

    def call(conn):
        barrier.wait()
        try:
            return conn.execute(sql, params).fetchone()[0]
        except psycopg.Error as exc:
            return exc

    try:
        with ThreadPoolExecutor(max_workers=N) as pool:
            return list(pool.map(call, conns))
    finally:
        for conn in conns:
            conn.close()


def _enroll(url: str, email: str, program: str, *, with_trigger: bool = True) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        uid = conn.execute(
            "with u as (insert into auth.users (email) values (%s) returning id)"
            " insert into public.profiles (id, email) select id, %s from u returning id",
            (email, email),
        ).fetchone()[0]
        if not with_trigger:
            conn.execute("set session_replication_role = replica")  # skip the insert trigger
        return conn.execute(
            "insert into public.enrollments (user_id, program_id)"
            " select %s, id from public.programs where slug = %s returning id",
            (uid, program),
        ).fetchone()[0]


def test_fifty_concurrent_completions_of_one_step_make_one_transition(db_url):
    enrollment = _enroll(db_url, "race1@test.local", "medical-assistant")
    with psycopg.connect(db_url) as conn:
        steps = [
            r[0]
            for r in conn.execute(
                "select id from public.enrollment_steps where enrollment_id = %s order by sequence_order", (enrollment,)
            ).fetchall()
        ]

    results = _in_parallel(db_url, "select public.mark_step_complete(%s, 'HSI-RACE-1')", (steps[0],))

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert set(results) == {steps[1]}, "every caller should get the same answer: step 2"
    with psycopg.connect(db_url) as conn:
        completions = conn.execute(
            "select count(*) from public.step_transitions where step_id = %s and to_status = 'completed'", (steps[0],)
        ).fetchone()[0]
        starts = conn.execute(
            "select count(*) from public.step_transitions where step_id = %s and to_status = 'in_progress'", (steps[1],)
        ).fetchone()[0]
        statuses = [
            r[0]
            for r in conn.execute(
                "select status from public.enrollment_steps where enrollment_id = %s order by sequence_order",
                (enrollment,),
            ).fetchall()
        ]
    assert completions == 1
    assert starts == 1
    assert statuses == ["completed", "in_progress", "pending"]


def test_fifty_concurrent_step_generations_make_one_set_of_steps(db_url):
    enrollment = _enroll(db_url, "race2@test.local", "medical-assistant", with_trigger=False)
    with psycopg.connect(db_url) as conn:
        assert (
            conn.execute(
                "select count(*) from public.enrollment_steps where enrollment_id = %s", (enrollment,)
            ).fetchone()[0]
            == 0
        )

    results = _in_parallel(db_url, "select public.generate_enrollment_steps(%s)", (enrollment,))

    assert results == [3] * N
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "select sequence_order, status from public.enrollment_steps where enrollment_id = %s"
            " order by sequence_order",
            (enrollment,),
        ).fetchall()
        inserts = conn.execute(
            "select count(*) from public.step_transitions where enrollment_id = %s and from_status is null",
            (enrollment,),
        ).fetchone()[0]
    assert rows == [(1, "in_progress"), (2, "pending"), (3, "pending")]
    assert inserts == 3


def test_fifty_concurrent_enrollments_of_one_student_in_one_program_make_one(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        uid = conn.execute(
            "with u as (insert into auth.users (email) values ('race3@test.local') returning id)"
            " insert into public.profiles (id) select id from u returning id"
        ).fetchone()[0]

    results = _in_parallel(
        db_url,
        "insert into public.enrollments (user_id, program_id)"
        " select %s, id from public.programs where slug = 'cna' returning id",
        (uid,),
    )

    created = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(created) == 1
    assert all(isinstance(e, psycopg.errors.UniqueViolation) for e in refused)
    with psycopg.connect(db_url) as conn:
        assert (
            conn.execute(
                "select count(*) from public.enrollment_steps s join public.enrollments e"
                " on e.id = s.enrollment_id where e.user_id = %s and s.status = 'in_progress'",
                (uid,),
            ).fetchone()[0]
            == 1
        )


@pytest.mark.parametrize("actions", [("complete", "fail"), ("complete", "skip")])
def test_racing_completion_and_admin_override_leave_one_consistent_outcome(db_url, actions):
    """A partner completion and an admin override hit the same step at once: exactly one of
    them wins, the other gets a clean PS003, and the enrollment still has one step running."""
    enrollment = _enroll(db_url, f"race-{actions[1]}@test.local", "medical-assistant")
    with psycopg.connect(db_url) as conn:
        step = conn.execute("select id from public.get_current_step(%s)", (enrollment,)).fetchone()[0]
    sql = {
        "complete": ("select public.mark_step_complete(%s)", (step,)),
        "fail": ("select public.admin_fail_step(%s, 'race test')", (step,)),
        "skip": ("select public.admin_skip_step(%s, 'race test')", (step,)),
    }
    conns = [_service_conn(db_url) for _ in range(20)]
    barrier = threading.Barrier(len(conns))

    def call(i):
        barrier.wait()
        query, params = sql[actions[i % 2]]
        try:
            conns[i].execute(query, params)
            return "ok"
        except psycopg.Error as exc:
            return exc.sqlstate

    with ThreadPoolExecutor(max_workers=len(conns)) as pool:
        outcomes = list(pool.map(call, range(len(conns))))
    for conn in conns:
        conn.close()
    assert set(outcomes) <= {"ok", "PS003"}
    with psycopg.connect(db_url) as conn:
        final = conn.execute("select status from public.enrollment_steps where id = %s", (step,)).fetchone()[0]
        changes = conn.execute(
            "select count(*) from public.step_transitions where step_id = %s and from_status = 'in_progress'", (step,)
        ).fetchone()[0]
        running = conn.execute(
            "select count(*) from public.enrollment_steps where enrollment_id = %s and status = 'in_progress'",
            (enrollment,),
        ).fetchone()[0]
    assert changes == 1, "exactly one action should have moved the step out of in_progress"
    assert final in {"completed", "failed", "skipped"}
    assert running == (0 if final == "failed" else 1)
