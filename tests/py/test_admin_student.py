"""Issue 13, operator side: the per-student page (enrollments, steps with their audit timeline,
certificate, emails, jobs, events, admin actions) and its actions behind confirmation pages:
step overrides, cancel enrollment, revoke and reissue a certificate; and the jobs view."""

from __future__ import annotations

import re

from tests.py.conftest import event, new_student
from tests.py.test_admin_dashboard import ADA, ADMIN, admin, bearer  # noqa: F401 (fixture)

EVE = "00000000-0000-4000-a000-000000000015"  # demo: completed, with a certificate
DEV = "00000000-0000-4000-a000-000000000014"  # demo: a failed partner enrollment


def _get(client, url):
    return client.get(url, headers=bearer(ADMIN))


def test_the_student_page_shows_each_step_with_its_history(admin, sql, post):  # noqa: F811
    s = new_student(sql, "cna", email="timeline@test.local")
    sql("update public.enrollment_steps set external_enrollment_id = 'HSI-TL-1' where id = %s", s["steps"][0])
    done = post("hsi", event("course.completed", external_enrollment_id="HSI-TL-1")).get_json()["event_id"]
    admin.post_as_admin(f"/admin/steps/{s['steps'][1]}/fail", reason="partner says no account")
    page = _get(admin, f"/admin/students/{s['user_id']}").get_data(as_text=True)
    assert "Certified Nursing Assistant" in page and "timeline@test.local" in page
    step1 = re.search(rf'data-step="{s["steps"][0]}">(.*?)data-step="{s["steps"][1]}"', page, re.S).group(1)
    assert "pending → <strong>in progress</strong>" in step1
    assert f'partner event <a href="/admin/events/{done}">#{done}</a> <code>course.completed</code>' in step1
    step2 = re.search(rf'data-step="{s["steps"][1]}">(.*?)</ol>\s*</details>', page, re.S).group(1)
    assert "by Alex Admin, admin override <code>fail_step</code> — “partner says no account”" in step2
    # the overrides a failed step accepts, and no "retry" for the completed one
    assert f"/admin/steps/{s['steps'][1]}/retry" in step2 and f"/admin/steps/{s['steps'][0]}/retry" not in page
    assert 'id="events"' in page and f"#{done}" in page
    assert "fail_step" in re.search(r'id="actions-h">(.*?)</section>', page, re.S).group(1)


def test_the_student_page_lists_her_emails_and_jobs(admin, sql):  # noqa: F811
    s = new_student(sql, "administrative-assistant", email="mail@test.local")  # JRI manual: no job yet
    admin.post_as_admin(f"/admin/steps/{s['steps'][0]}/link", reason="enrolled by hand", external_enrollment_id="J-1")
    page = _get(admin, f"/admin/students/{s['user_id']}").get_data(as_text=True)
    jobs = re.search(r'id="jobs-h">(.*?)</section>', page, re.S).group(1)
    assert "email" in jobs and "queued" in jobs, "the step-started email job is listed"


def test_only_admins_see_a_student_page(client, sql):
    assert client.get(f"/admin/students/{EVE}", headers=bearer(ADA)).status_code == 403
    assert client.get(f"/admin/students/{EVE}").status_code == 401


def test_an_unknown_student_is_a_404(admin):  # noqa: F811
    r = _get(admin, "/admin/students/00000000-0000-0000-0000-00000000dead")
    assert r.status_code == 404 and "no student" in r.get_data(as_text=True)


def test_cancel_an_enrollment_after_confirming(admin, sql):  # noqa: F811
    s = new_student(sql, "cna")
    sql("update public.enrollment_steps set started_at = now() - interval '30 days' where id = %s", s["steps"][0])
    page = _get(admin, f"/admin/enrollments/{s['enrollment_id']}/cancel").get_data(as_text=True)
    assert "no further partner is started" in page and "HSI" in page
    r = admin.post(
        f"/admin/enrollments/{s['enrollment_id']}/cancel", data={"reason": "no token"}, headers=bearer(ADMIN)
    )
    assert r.status_code == 400
    r = admin.post_as_admin(f"/admin/enrollments/{s['enrollment_id']}/cancel", reason="x")
    assert r.status_code == 422 and "a reason is required" in r.get_data(as_text=True)
    r = admin.post_as_admin(f"/admin/enrollments/{s['enrollment_id']}/cancel", reason="student withdrew")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/admin/students/{s['user_id']}")
    assert sql("select status from public.enrollments where id = %s", s["enrollment_id"]) == [{"status": "cancelled"}]
    assert sql("select action, target from public.admin_actions") == [
        {"action": "cancel_enrollment", "target": str(s["enrollment_id"])}
    ]
    page = _get(admin, "/admin/dashboard").get_data(as_text=True)
    assert f'data-step="{s["steps"][0]}"' not in page, "a cancelled enrollment leaves the stuck list"
    r = admin.post_as_admin(f"/admin/enrollments/{s['enrollment_id']}/cancel", reason="again")
    assert r.status_code == 409 and "only an active enrollment can be cancelled" in r.get_data(as_text=True)


def test_revoke_and_reissue_a_certificate(admin, sql, client):  # noqa: F811
    cert = sql(
        "select c.id, c.enrollment_id, c.verification_code from public.certificates c"
        " join public.enrollments e on e.id = c.enrollment_id where e.user_id = %s",
        EVE,
    )[0]
    page = _get(admin, f"/admin/enrollments/{cert['enrollment_id']}/revoke").get_data(as_text=True)
    assert "verification page says" in page
    r = admin.post_as_admin(f"/admin/enrollments/{cert['enrollment_id']}/revoke", reason="issued in error")
    assert r.status_code == 302
    assert sql("select revoked_reason from public.certificates where id = %s", cert["id"]) == [
        {"revoked_reason": "issued in error"}
    ]
    assert "revoked" in client.get(f"/certificates/{cert['verification_code']}").get_data(as_text=True).lower()
    r = admin.post_as_admin(f"/admin/enrollments/{cert['enrollment_id']}/revoke", reason="twice")
    assert r.status_code == 409
    r = admin.post_as_admin(f"/admin/enrollments/{cert['enrollment_id']}/reissue", reason="revoked by mistake")
    assert r.status_code == 302
    assert sql("select revoked_at, pdf from public.certificates where id = %s", cert["id"]) == [
        {"revoked_at": None, "pdf": None}
    ]
    assert sql(
        "select count(*) as n from queue.jobs where queue_name = 'certificate' and dedupe_key like %s",
        f"certificate:{cert['id']}:reissue:%",
    ) == [{"n": 1}]
    jobs = re.search(r'id="jobs-h">(.*?)</section>', _get(admin, f"/admin/students/{EVE}").get_data(as_text=True), re.S)
    assert "certificate" in jobs.group(1), "the certificate job is listed on her page"
    assert [a["action"] for a in sql("select action from public.admin_actions order by id")] == [
        "revoke_certificate",
        "reissue_certificate",
    ]


def test_an_enrollment_without_certificate_cannot_be_revoked(admin, sql):  # noqa: F811
    s = new_student(sql, "cna")
    page = _get(admin, f"/admin/enrollments/{s['enrollment_id']}/revoke").get_data(as_text=True)
    assert "This cannot be done: the enrollment has no certificate" in page
    r = admin.post_as_admin(f"/admin/enrollments/{s['enrollment_id']}/revoke", reason="no certificate")
    assert r.status_code == 404
    assert _get(admin, f"/admin/enrollments/{s['enrollment_id']}/explode").status_code == 404


def test_the_jobs_view_lists_dead_letters_and_failures(admin, sql):  # noqa: F811
    msg = sql("select queue.send('email', '{\"template\": \"step_started\"}'::jsonb) as id")[0]["id"]
    sql("update queue.jobs set read_ct = 1 where msg_id = %s", msg)
    sql("select queue.fail('email', %s, 'SMTP said no')", msg)
    page = _get(admin, "/admin/jobs?status=failed").get_data(as_text=True)
    assert f'<span class="break">{msg}</span>' in page and "SMTP said no" in page
    sql("select queue.fail('email', %s, 'SMTP said no again', false)", msg)
    page = _get(admin, "/admin/jobs?status=dead").get_data(as_text=True)
    assert "SMTP said no again" in page and "dead" in page
    assert _get(admin, "/admin/jobs?status=lost").status_code == 400


def _dead_email_job(sql, error="SMTP said no"):
    msg = sql("select queue.send('email', '{\"template\": \"step_started\"}'::jsonb) as id")[0]["id"]
    sql("update queue.jobs set read_ct = 1 where msg_id = %s", msg)
    sql("select queue.fail('email', %s, %s, false)", msg, error)
    return msg


def test_retry_a_dead_letter_after_confirming(admin, sql):  # noqa: F811
    msg = _dead_email_job(sql)
    page = _get(admin, "/admin/jobs?status=dead").get_data(as_text=True)
    assert f"/admin/jobs/{msg}/retry" in page and f"/admin/jobs/{msg}/discard" in page
    page = _get(admin, f"/admin/jobs/{msg}/retry").get_data(as_text=True)
    assert "sent again as a new job" in page and "SMTP said no" in page
    assert admin.post(f"/admin/jobs/{msg}/retry", data={"reason": "no token"}, headers=bearer(ADMIN)).status_code == 400
    r = admin.post_as_admin(f"/admin/jobs/{msg}/retry", reason="SMTP fixed")
    assert r.status_code == 302
    assert "sent again as job #" in _get(admin, r.headers["Location"]).get_data(as_text=True)
    assert sql("select count(*) as n from queue.jobs_archive where msg_id = %s", msg) == [{"n": 0}]
    assert sql("select count(*) as n from queue.jobs where message ->> 'template' = 'step_started'") == [{"n": 1}]
    assert sql("select action, target from public.admin_actions") == [{"action": "retry_dead_job", "target": str(msg)}]
    assert admin.post_as_admin(f"/admin/jobs/{msg}/retry", reason="twice").status_code == 404


def test_discard_a_dead_letter_and_refuse_partner_enrollments(admin, sql):  # noqa: F811
    msg = _dead_email_job(sql)
    r = admin.post_as_admin(f"/admin/jobs/{msg}/discard", reason="obsolete")
    assert r.status_code == 302
    assert sql("select count(*) as n from queue.jobs_archive where msg_id = %s", msg) == [{"n": 0}]
    dead = sql(
        "insert into queue.jobs_archive (msg_id, queue_name, message, enqueued_at, read_ct, last_error, outcome)"
        " values (99999, 'partner_enrollment', '{}', now(), 8, 'partner down', 'dead') returning msg_id"
    )[0]["msg_id"]
    page = _get(admin, f"/admin/jobs/{dead}/retry").get_data(as_text=True)
    assert "This cannot be done" in page and "retried from its step" in page
    r = admin.post_as_admin(f"/admin/jobs/{dead}/retry", reason="try anyway")
    assert r.status_code == 409
    assert _get(admin, f"/admin/jobs/{dead}/explode").status_code == 404
