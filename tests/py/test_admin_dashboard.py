"""The admin dashboard through Flask: who may see it, CSRF, each action's effect and audit entry."""

from __future__ import annotations

import re
import time

import jwt
import pytest

from glue.config import TestConfig
from tests.py.conftest import event, new_student

JWT_SECRET = TestConfig().SUPABASE_JWT_SECRET
ADMIN = "00000000-0000-4000-a000-000000000001"
ADA = "00000000-0000-4000-a000-000000000011"


def bearer(user_id, secret=JWT_SECRET, ttl=3600):
    now = int(time.time())
    claims = {"sub": user_id, "role": "authenticated", "aud": "authenticated", "exp": now + ttl, "iat": now}
    token = jwt.encode(claims, secret, "HS256")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(client, sql):
    """A signed-in admin client (bearer header) with the session's CSRF token."""
    sql("select public.refresh_monitoring()")
    page = client.get("/admin/dashboard", headers=bearer(ADMIN))
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)

    def post(url, **form):
        return client.post(url, data={"csrf_token": csrf, **form}, headers=bearer(ADMIN))

    client.csrf, client.post_as_admin = csrf, post
    return client


def test_the_dashboard_shows_the_pipeline_numbers_sql_computes(admin, sql):
    page = admin.get("/admin/dashboard", headers=bearer(ADMIN)).get_data(as_text=True)
    for row in sql("select * from public.monitor_pipeline()"):
        cells = re.search(rf'data-provider="{row["provider_slug"]}">(.*?)</tr>', page, re.S).group(1)
        assert f'data-field="in_progress">{row["in_progress"]}<' in cells
        assert f'data-field="completed">{row["completed"]}<' in cells
    assert "Cara Nguyen" in page, "the stuck demo student is listed"
    assert "mailto:cara.stuck@example.org" in page
    assert "Dev Patel" in page and "student email already registered" in page
    assert "<svg" in page and "<desc" in page, "charts have text alternatives"


def test_the_live_json_matches_sql(admin, sql):
    data = admin.get("/admin/dashboard.json", headers=bearer(ADMIN)).get_json()
    hsi = sql("select * from public.monitor_pipeline() where provider_slug = 'hsi'")[0]
    assert data["pipeline"]["hsi"]["in_progress"] == hsi["in_progress"]
    assert data["summary"]["failed"] == 1 and data["summary"]["stuck"] == 1


def test_filters_narrow_the_lists(admin):
    page = admin.get("/admin/dashboard?provider=careersafe", headers=bearer(ADMIN)).get_data(as_text=True)
    assert "Dev Patel" in page and "Cara Nguyen" not in page
    page = admin.get("/admin/dashboard?program=cna", headers=bearer(ADMIN)).get_data(as_text=True)
    assert "Cara Nguyen" in page and "Dev Patel" not in page
    assert "Funnel: students reaching each step" in page


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        (bearer(ADMIN, secret="some-other-secret-that-is-long-enough!"), 401),
        (bearer(ADMIN, ttl=-120), 401),
        (bearer(ADA), 403),
    ],
    ids=["no token", "bad signature", "expired", "a student"],
)
def test_only_admins_get_in(client, headers, status):
    assert client.get("/admin/dashboard", headers=headers).status_code == status
    assert client.get("/admin/dashboard.json", headers=headers).status_code == status


def test_a_student_cannot_act_even_with_a_valid_csrf_token(admin, sql):
    failed = sql("select id from public.enrollment_steps where status = 'failed'")[0]["id"]
    r = admin.post(
        f"/admin/steps/{failed}/retry", data={"csrf_token": admin.csrf, "reason": "let me in"}, headers=bearer(ADA)
    )
    assert r.status_code == 403
    assert sql("select status from public.enrollment_steps where id = %s", failed) == [{"status": "failed"}]


def test_actions_need_the_csrf_token(admin, sql):
    failed = sql("select id from public.enrollment_steps where status = 'failed'")[0]["id"]
    r = admin.post(f"/admin/steps/{failed}/retry", data={"reason": "no token"}, headers=bearer(ADMIN))
    assert r.status_code == 400
    r = admin.post(
        f"/admin/steps/{failed}/retry", data={"reason": "bad token", "csrf_token": "x"}, headers=bearer(ADMIN)
    )
    assert r.status_code == 400
    assert sql("select status from public.enrollment_steps where id = %s", failed) == [{"status": "failed"}]


def _audit(sql):
    return sql("select actor_id::text, action, target, reason from public.admin_actions order by id")


def test_retry_moves_a_failed_enrollment_and_is_audited(admin, sql):
    failed = sql("select id from public.enrollment_steps where status = 'failed'")[0]["id"]
    r = admin.post_as_admin(f"/admin/steps/{failed}/retry", reason="CareerSafe fixed the account")
    assert r.status_code == 302
    assert sql("select status from public.enrollment_steps where id = %s", failed) == [{"status": "in_progress"}]
    assert _audit(sql) == [
        {"actor_id": ADMIN, "action": "retry_step", "target": str(failed), "reason": "CareerSafe fixed the account"}
    ]
    assert sql(
        "select actor_id::text, reason from public.step_transitions where step_id = %s order by id desc limit 1", failed
    ) == [{"actor_id": ADMIN, "reason": "CareerSafe fixed the account"}]
    follow = admin.get(r.headers["Location"], headers=bearer(ADMIN)).get_data(as_text=True)
    assert "Retried" in follow
    assert f'data-step="{failed}"' not in follow, "the step left the failed list"


def test_skip_and_complete_by_hand(admin, sql):
    s = new_student(sql, "cna")
    r = admin.post_as_admin(
        f"/admin/steps/{s['steps'][0]}/complete", reason="confirmed by phone", external_enrollment_id="HSI-PHONE-1"
    )
    assert r.status_code == 302
    assert sql("select status, external_enrollment_id from public.enrollment_steps where id = %s", s["steps"][0]) == [
        {"status": "completed", "external_enrollment_id": "HSI-PHONE-1"}
    ]
    admin.post_as_admin(f"/admin/steps/{s['steps'][1]}/skip", reason="already certified")
    assert sql("select status from public.enrollments where id = %s", s["enrollment_id"]) == [{"status": "completed"}]
    assert [a["action"] for a in _audit(sql)] == ["complete_step", "skip_step"]


def test_fail_and_link_a_manual_enrollment(admin, sql):
    s = new_student(sql, "administrative-assistant")  # starts at JRI: no API, awaiting an admin
    page = admin.get("/admin/dashboard", headers=bearer(ADMIN)).get_data(as_text=True)
    assert f"/admin/steps/{s['steps'][0]}/link" in page
    r = admin.post_as_admin(
        f"/admin/steps/{s['steps'][0]}/link",
        reason="enrolled by hand",
        external_enrollment_id="JRI-1234",
        launch_url="https://jri.example/l/1234",
    )
    assert r.status_code == 302
    assert sql(
        "select external_enrollment_id, launch_url from public.enrollment_steps where id = %s", s["steps"][0]
    ) == [{"external_enrollment_id": "JRI-1234", "launch_url": "https://jri.example/l/1234"}]
    admin.post_as_admin(f"/admin/steps/{s['steps'][0]}/fail", reason="student withdrew")
    assert sql("select status from public.enrollment_steps where id = %s", s["steps"][0]) == [{"status": "failed"}]
    assert [a["action"] for a in _audit(sql)] == ["link_step", "fail_step"]


def test_replay_an_event_from_the_dashboard(admin, post, sql):
    s = new_student(sql, "cna")
    event_id = post("hsi", event("course.completed", external_enrollment_id="HSI-LATE")).get_json()["event_id"]
    sql("set session_replication_role = replica")
    sql("update public.enrollment_steps set external_enrollment_id = 'HSI-LATE' where id = %s", s["steps"][0])
    sql("reset session_replication_role")
    r = admin.post_as_admin(f"/admin/events/{event_id}/replay", reason="linked by the DBA")
    assert r.status_code == 302
    page = admin.get(r.headers["Location"], headers=bearer(ADMIN)).get_data(as_text=True)
    assert f"Event #{event_id} replayed: processed" in page
    assert sql("select status from public.enrollment_steps where id = %s", s["steps"][0]) == [{"status": "completed"}]
    assert _audit(sql)[-1]["action"] == "replay_event"


@pytest.mark.parametrize(
    ("action", "form", "message", "status"),
    [
        ("retry", {"reason": "not failed"}, "only a failed step can be retried", 409),
        ("retry", {"reason": " "}, "a reason is required", 422),
        ("link", {"reason": "taken id", "external_enrollment_id": "CP-DEMO-BEN"}, "already", 422),
        ("explode", {"reason": "nope"}, None, 404),
    ],
)
def test_refused_actions_say_why_and_change_nothing(admin, sql, action, form, message, status):
    s = new_student(sql, "medical-assistant")
    step = s["steps"][1] if action == "link" else s["steps"][0]
    if action == "link":
        sql("select public.mark_step_complete(%s)", s["steps"][0])
    before = sql("select status, external_enrollment_id from public.enrollment_steps where id = %s", step)
    r = admin.post_as_admin(f"/admin/steps/{step}/{action}", **form)
    if message is None:
        assert r.status_code == 404
    else:
        # refused by SQL: a 4xx page (the confirmation form again) that says why, no redirect
        assert r.status_code == status
        page = r.get_data(as_text=True)
        assert "Not done" in page and message in page
        assert "Traceback" not in page and "psycopg" not in page
    assert sql("select status, external_enrollment_id from public.enrollment_steps where id = %s", step) == before
    assert _audit(sql) == []


def test_an_open_redirect_through_back_is_refused(admin, sql):
    failed = sql("select id from public.enrollment_steps where status = 'failed'")[0]["id"]
    r = admin.post_as_admin(f"/admin/steps/{failed}/retry", reason="go elsewhere", back="https://evil.example/")
    assert r.headers["Location"].endswith("/admin/dashboard")


def test_the_dashboard_shows_the_settings_and_follows_them(admin, sql):
    """The thresholds live in one SQL table (private.settings): shown on the page, and the live
    stuck list follows a changed stuck line."""

    def stuck_section(page):
        return re.search(r'id="stuck-h">(.*?)</section>', page, re.S).group(1)

    page = admin.get("/admin/dashboard", headers=bearer(ADMIN)).get_data(as_text=True)
    assert "Stuck &gt; 7 days" in page
    assert 'data-setting="stuck_after_days">7<' in page and 'data-setting="dashboard_list_rows">50<' in page
    assert "Cara Nguyen" in stuck_section(page)

    sql("update private.settings set stuck_after_days = 365, dashboard_list_rows = 20")
    page = admin.get("/admin/dashboard", headers=bearer(ADMIN)).get_data(as_text=True)
    assert "Stuck &gt; 365 days" in page
    assert 'data-setting="stuck_after_days">365<' in page and 'data-setting="dashboard_list_rows">20<' in page
    assert "Cara Nguyen" not in stuck_section(page)
