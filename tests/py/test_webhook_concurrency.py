"""Duplicate and concurrent deliveries, sent for real in parallel to a running gunicorn server."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.py.conftest import SECRETS, event, new_student, sign
from tests.py.live_server import gunicorn

N = 50
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(db_url):
    with gunicorn({"DATABASE_URL": db_url, "PARTNER_WEBHOOK_SECRET_HSI": SECRETS["hsi"], "DB_POOL_MAX": "10"}) as base:
        yield base


def _fire(base: str, requests_to_send: list[tuple[bytes, dict]]) -> list[requests.Response]:
    barrier = threading.Barrier(len(requests_to_send))

    def send(item):
        body, headers = item
        with requests.Session() as session:
            barrier.wait()
            return session.post(f"{base}/api/webhooks/partners/hsi", data=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=len(requests_to_send)) as pool:
        return list(pool.map(send, requests_to_send))


def _completions(sql, step_id) -> int:
    return sql(
        "select count(*) as n from public.step_transitions where step_id = %s and to_status = 'completed'", step_id
    )[0]["n"]


def test_fifty_simultaneous_deliveries_of_one_webhook_id_make_one_transition(server, sql):
    s = new_student(sql, "medical-assistant")
    sql("update public.enrollment_steps set external_enrollment_id = 'HSI-C1' where id = %s", s["steps"][0])
    body = event("course.completed", external_enrollment_id="HSI-C1")
    headers = sign(body, SECRETS["hsi"], msg_id="msg_concurrent_1")

    responses = _fire(server, [(body, headers)] * N)

    assert [r.status_code for r in responses] == [200] * N
    statuses = sorted(r.json()["status"] for r in responses)
    assert statuses == ["duplicate"] * (N - 1) + ["processed"]
    assert _completions(sql, s["steps"][0]) == 1
    assert sql("select count(*) as n from public.partner_events")[0]["n"] == 1
    assert [
        r["status"]
        for r in sql(
            "select status from public.enrollment_steps where enrollment_id = %s order by sequence_order",
            s["enrollment_id"],
        )
    ] == ["completed", "in_progress", "pending"]


def test_fifty_different_webhook_ids_carrying_one_completion_make_one_transition(server, sql):
    s = new_student(sql, "medical-assistant")
    sql("update public.enrollment_steps set external_enrollment_id = 'HSI-C2' where id = %s", s["steps"][0])
    body = event("course.completed", external_enrollment_id="HSI-C2")
    deliveries = [(body, sign(body, SECRETS["hsi"], msg_id=f"msg_concurrent_2_{i}")) for i in range(N)]

    responses = _fire(server, deliveries)

    assert [r.status_code for r in responses] == [200] * N
    assert {r.json()["status"] for r in responses} == {"processed"}
    assert _completions(sql, s["steps"][0]) == 1
    assert (
        sql(
            "select count(*) as n from public.step_transitions where step_id = %s and to_status = 'in_progress'",
            s["steps"][1],
        )[0]["n"]
        == 1
    )
    assert sql("select count(*) as n from public.partner_events")[0]["n"] == N


def test_a_completion_racing_its_own_link_is_never_lost(server, sql):
    """The completion and the enrollment.created that links it arrive at the same instant, many
    times over: each time the step ends completed exactly once."""
    pairs = []
    students = [new_student(sql, "cna") for _ in range(25)]
    for i, s in enumerate(students):
        completion = event("course.completed", external_enrollment_id=f"HSI-RACE-{i}")
        created = event("enrollment.created", reference=str(s["steps"][0]), external_enrollment_id=f"HSI-RACE-{i}")
        pairs += [(completion, sign(completion, SECRETS["hsi"])), (created, sign(created, SECRETS["hsi"]))]

    responses = _fire(server, pairs)

    assert all(r.status_code in (200, 202) for r in responses)
    for s in students:
        assert _completions(sql, s["steps"][0]) == 1
    assert sql("select count(*) as n from public.partner_events where status <> 'processed'")[0]["n"] == 0


def test_the_documented_example_script_integrates_against_the_real_server(server, sql):
    """docs/partners.md's runnable example, run as a partner would: it must keep working."""
    s = new_student(sql, "cna")
    sql("update public.enrollment_steps set external_enrollment_id = 'HSI-DOC' where id = %s", s["steps"][0])
    script = [
        sys.executable,
        str(REPO / "docs" / "examples" / "send_event.py"),
        "--url",
        server,
        "--partner",
        "hsi",
        "--secret",
        SECRETS["hsi"],
    ]
    ok = subprocess.run([*script, "--external-enrollment-id", "HSI-DOC"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "processed" in ok.stdout
    assert sql("select status from public.enrollment_steps where id = %s", s["steps"][0]) == [{"status": "completed"}]
    bad = subprocess.run(
        [*script[:-1], SECRETS["certiport"], "--external-enrollment-id", "HSI-DOC"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1
    assert "401" in bad.stdout
