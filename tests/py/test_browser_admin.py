"""The admin dashboard in a real browser (chromium via Playwright) against gunicorn: the pipeline
numbers match SQL, retrying a failed enrollment moves it, the numbers update without a reload, no
console errors, and screenshots at desktop and phone widths (test-artifacts/screenshots/)."""

from __future__ import annotations

import re

from tests.py.browser import SCREENSHOTS, expect, low_contrast_text

ADMIN = "00000000-0000-4000-a000-000000000001"
NO_HORIZONTAL_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
FITS_360 = "document.scrollingElement.scrollWidth <= 360"


def test_the_pipeline_in_the_browser_matches_sql(sql, live_app, open_page):
    sql("select public.refresh_monitoring()")
    page = open_page(ADMIN)
    page.goto(live_app.url("/admin/dashboard"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Training pipeline")
    for row in sql("select * from public.monitor_pipeline()"):
        tr = page.locator(f'tr[data-provider="{row["provider_slug"]}"]')
        for field in ("pending", "in_progress", "completed", "failed"):
            expect(tr.locator(f'[data-field="{field}"]')).to_have_text(str(row[field]))
    expect(page.get_by_role("link", name="Email Cara Nguyen")).to_have_attribute(
        "href", "mailto:cara.stuck@example.org?subject=Your%20HSI%20%28Health%20%26%20Safety%20Institute%29%20training"
    )
    assert low_contrast_text(page) == []
    assert page.errors == []


def test_an_admin_retries_a_failed_enrollment_and_sees_it_move(sql, live_app, open_page):
    step = sql("select id from public.enrollment_steps where status = 'failed'")[0]["id"]
    page = open_page(ADMIN)
    page.goto(live_app.url("/admin/dashboard"))
    row = page.locator(f'tr[data-step="{step}"]')
    expect(row).to_contain_text("Dev Patel")
    row.get_by_role("link", name="Retry…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retry the partner enrollment")
    expect(page.locator("#effects")).to_contain_text("queued again")
    page.get_by_label("Reason").fill("CareerSafe fixed the account")
    page.get_by_role("button", name="Retry the partner enrollment").click()
    expect(page.get_by_role("status")).to_contain_text("Retried")
    expect(page.get_by_role("heading", level=1)).to_have_text("Training pipeline")
    expect(page.locator(f'tr[data-step="{step}"]')).to_have_count(0)
    assert sql("select status from public.enrollment_steps where id = %s", step) == [{"status": "in_progress"}]
    assert sql("select action, reason from public.admin_actions") == [
        {"action": "retry_step", "reason": "CareerSafe fixed the account"}
    ]
    assert page.errors == []


def test_a_cancelled_confirmation_changes_nothing(sql, live_app, open_page):
    step = sql("select id from public.enrollment_steps where status = 'failed'")[0]["id"]
    page = open_page(ADMIN)
    page.goto(live_app.url("/admin/dashboard"))
    page.locator(f'tr[data-step="{step}"]').get_by_role("link", name="Skip…").click()
    expect(page.locator("#effects")).to_contain_text("skipped (waived)")
    page.get_by_label("Reason").fill("changed my mind")
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator(f'tr[data-step="{step}"]')).to_have_count(1)
    assert sql("select status from public.enrollment_steps where id = %s", step) == [{"status": "failed"}]


def test_lists_update_live_without_a_reload(sql, live_app, open_page):
    from tests.py.conftest import new_student

    page = open_page(ADMIN)
    page.goto(live_app.url("/admin/dashboard"))
    page.evaluate("window.__same_document = true")
    s = new_student(sql, "cna")
    sql("update public.enrollment_steps set started_at = now() - interval '40 days' where id = %s", s["steps"][0])
    expect(page.locator(f'#stuck tr[data-step="{s["steps"][0]}"]')).to_have_count(1, timeout=25_000)
    expect(page.locator('[data-live="stuck"]')).to_have_text("2")
    assert page.evaluate("window.__same_document") is True, "updated in place, not by reloading"
    assert page.errors == []


def test_numbers_update_live_without_a_reload(sql, live_app, open_page):
    sql("select public.refresh_monitoring()")
    page = open_page(ADMIN)
    page.goto(live_app.url("/admin/dashboard"))
    page.evaluate("window.__same_document = true")
    before = int(page.locator('tr[data-provider="hsi"] [data-field="completed"]').inner_text())
    ada_hsi = sql(
        "select s.id from public.enrollment_steps s join public.enrollments e on e.id = s.enrollment_id"
        " where e.user_id = '00000000-0000-4000-a000-000000000011' and s.sequence_order = 1"
    )[0]["id"]
    sql("select public.mark_step_complete(%s, 'HSI-ADA-1')", ada_hsi)
    sql("select public.refresh_monitoring()")
    expect(page.locator('tr[data-provider="hsi"] [data-field="completed"]')).to_have_text(
        str(before + 1), timeout=25_000
    )
    assert page.evaluate("window.__same_document") is True, "updated in place, not by reloading"
    assert page.errors == []


def test_dashboard_screenshots_at_desktop_and_phone_width(sql, live_app, open_page):
    sql("select public.refresh_monitoring()")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, width, height in (("desktop", 1280, 900), ("phone", 375, 740), ("360", 360, 740)):
        page = open_page(ADMIN, width=width, height=height)
        page.goto(live_app.url("/admin/dashboard?program=medical-assistant"))
        expect(page.get_by_role("img", name="Funnel: students reaching each step")).to_be_visible()
        assert page.evaluate(NO_HORIZONTAL_SCROLL), f"the page scrolls sideways at {width}px"
        page.screenshot(path=str(SCREENSHOTS / f"admin-dashboard-{name}.png"), full_page=True)
        assert page.errors == []
    assert (SCREENSHOTS / "admin-dashboard-phone.png").stat().st_size > 10_000


def test_every_admin_page_fits_a_360_px_screen(sql, live_app, open_page):
    """No sideways panning at 360 px on any admin page (document.scrollingElement.scrollWidth)."""
    from tests.py.conftest import new_student

    sql("select public.refresh_monitoring()")
    s = new_student(sql, "medical-assistant", email="a.very.long.address.for.width.tests@example-training-partner.org")
    event_id = sql(
        "insert into public.partner_events"
        " (provider_id, webhook_id, event_type, payload, external_enrollment_id, status)"
        " select id, 'msg_' || repeat('w', 60), 'course.completed', jsonb_build_object('type', 'course.completed',"
        " 'data', jsonb_build_object('external_enrollment_id', repeat('X', 120))), repeat('X', 120), 'unmatched'"
        " from public.partner_lms_providers where slug = 'hsi' returning id"
    )[0]["id"]
    failed = sql("select id from public.enrollment_steps where status = 'failed'")[0]["id"]
    dead = sql("select queue.send('email', '{\"template\": \"step_started\"}'::jsonb) as id")[0]["id"]
    sql("select queue.fail('email', %s, %s, false)", dead, "SMTP said no: " + "x" * 150)
    paths = [
        "/admin/dashboard",
        "/admin/dashboard?provider=careersafe",
        "/admin/lists/stuck",
        "/admin/lists/steps",
        "/admin/lists/students",
        "/admin/lists/failed",
        "/admin/events",
        f"/admin/events/{event_id}",
        f"/admin/events/replay?ids={event_id}",
        "/admin/jobs",
        f"/admin/steps/{failed}/retry",
        f"/admin/steps/{s['steps'][0]}/link",
        f"/admin/students/{s['user_id']}",
        "/admin/students/00000000-0000-4000-a000-000000000015",
        f"/admin/enrollments/{s['enrollment_id']}/cancel",
        f"/admin/jobs/{dead}/retry",
    ]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = open_page(ADMIN, width=360, height=740)
    for path in paths:
        response = page.goto(live_app.url(path))
        assert response.status == 200, path
        assert page.evaluate(FITS_360), f"{path} scrolls sideways at 360 px"
        name = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+", "id", path).strip("/").replace("/", "-").replace("?", "-")
        page.screenshot(path=str(SCREENSHOTS / f"{name}-360.png"), full_page=True)
    assert page.errors == []


def test_a_student_gets_403_on_the_dashboard(live_app, open_page):
    page = open_page("00000000-0000-4000-a000-000000000012")
    response = page.goto(live_app.url("/admin/dashboard"))
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Admins only")
