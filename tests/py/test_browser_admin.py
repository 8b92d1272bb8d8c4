"""The admin dashboard in a real browser (chromium via Playwright) against gunicorn: the pipeline
numbers match SQL, retrying a failed enrollment moves it, the numbers update without a reload, no
console errors, and screenshots at desktop and phone widths (test-artifacts/screenshots/)."""

from __future__ import annotations

from tests.py.browser import SCREENSHOTS, expect, low_contrast_text

ADMIN = "00000000-0000-4000-a000-000000000001"
NO_HORIZONTAL_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


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
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    retry = row.locator(f'form[action="/admin/steps/{step}/retry"]')
    retry.get_by_placeholder("Reason").fill("CareerSafe fixed the account")
    retry.get_by_role("button", name="Retry").click()
    expect(page.get_by_role("status")).to_contain_text("Retried")
    expect(page.locator(f'tr[data-step="{step}"]')).to_have_count(0)
    assert dialogs == ["Retry this step for Dev Patel?"]
    assert sql("select status from public.enrollment_steps where id = %s", step) == [{"status": "in_progress"}]
    assert sql("select action, reason from public.admin_actions") == [
        {"action": "retry_step", "reason": "CareerSafe fixed the account"}
    ]
    assert page.errors == []


def test_a_cancelled_confirmation_changes_nothing(sql, live_app, open_page):
    step = sql("select id from public.enrollment_steps where status = 'failed'")[0]["id"]
    page = open_page(ADMIN)
    page.goto(live_app.url("/admin/dashboard"))
    page.on("dialog", lambda dialog: dialog.dismiss())
    skip = page.locator(f'form[action="/admin/steps/{step}/skip"]')
    skip.get_by_placeholder("Reason").fill("changed my mind")
    skip.get_by_role("button", name="Skip").click()
    expect(page.locator(f'tr[data-step="{step}"]')).to_have_count(1)
    assert sql("select status from public.enrollment_steps where id = %s", step) == [{"status": "failed"}]


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
    for name, width, height in (("desktop", 1280, 900), ("phone", 375, 740)):
        page = open_page(ADMIN, width=width, height=height)
        page.goto(live_app.url("/admin/dashboard?program=medical-assistant"))
        expect(page.get_by_role("img", name="Funnel: students reaching each step")).to_be_visible()
        assert page.evaluate(NO_HORIZONTAL_SCROLL), f"the page scrolls sideways at {width}px"
        page.screenshot(path=str(SCREENSHOTS / f"admin-dashboard-{name}.png"), full_page=True)
        assert page.errors == []
    assert (SCREENSHOTS / "admin-dashboard-phone.png").stat().st_size > 10_000


def test_a_student_gets_403_on_the_dashboard(live_app, open_page):
    page = open_page("00000000-0000-4000-a000-000000000012")
    response = page.goto(live_app.url("/admin/dashboard"))
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Admins only")
