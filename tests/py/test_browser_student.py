"""The student progress page in a real browser (chromium via Playwright) against gunicorn:
what the demo students see, the Launch Training link opening the partner, no console errors,
and the layout at desktop and phone widths (screenshots in test-artifacts/screenshots/)."""

from __future__ import annotations

import re
import secrets

import pytest

from tests.py.browser import SCREENSHOTS, LiveApp, expect, low_contrast_text, overflowing_elements
from tests.py.live_server import gunicorn

BEN = "00000000-0000-4000-a000-000000000012"
DEV = "00000000-0000-4000-a000-000000000014"

NO_HORIZONTAL_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def live_app(db_url):
    """gunicorn on this test's database, the progress page polling every second (instead of 15)."""
    secret = secrets.token_urlsafe(48)
    env = {
        "DATABASE_URL": db_url,
        "SUPABASE_JWT_SECRET": secret,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "STUDENT_REFRESH_SECONDS": "1",
    }
    with gunicorn(env) as base:
        yield LiveApp(base, secret)


def ben_step(sql, order: int) -> str:
    return sql(
        "select s.id from public.enrollment_steps s join public.enrollments e on e.id = s.enrollment_id"
        " where e.user_id = %s and s.sequence_order = %s",
        BEN,
        order,
    )[0]["id"]


def test_ben_sees_his_own_steps_and_launches_his_training(sql, live_app, open_page, loopback_site):
    launch = loopback_site.url("/certiport/launch?student=ben&course=MA-2")
    sql("update public.enrollment_steps set launch_url = %s where id = %s", launch, ben_step(sql, 2))

    page = open_page(BEN)
    response = page.goto(live_app.url("/student/progress"))
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("My training progress")
    expect(page.get_by_role("heading", level=2)).to_have_text(["Medical Assistant"])
    expect(page.get_by_role("progressbar", name="1 / 3 partners complete")).to_have_attribute("aria-valuenow", "1")

    steps = page.locator("ol.steps > li")
    expect(steps).to_have_count(3)
    hsi, certiport, careersafe = steps.nth(0), steps.nth(1), steps.nth(2)
    expect(hsi.get_by_role("heading")).to_have_text("Step 1: HSI (Health & Safety Institute)")
    expect(hsi).to_have_class(re.compile(r"\bstep-completed\b"))
    expect(hsi.locator(".marker")).to_have_text("✓")
    expect(hsi.locator(".state")).to_have_text(re.compile(r"^Completed on \d{1,2} [A-Z][a-z]+ \d{4}$"))
    expect(certiport).to_have_attribute("aria-current", "step")
    expect(certiport.get_by_role("heading")).to_have_text("Step 2: Certiport")
    expect(certiport.locator(".state")).to_have_text("Current step")
    expect(careersafe).to_have_class(re.compile(r"\bstep-pending\b"))
    expect(careersafe.locator(".state")).to_have_text("Not started yet")
    expect(page.locator('[aria-current="step"]')).to_have_count(1)
    body = page.locator("main").inner_text()
    for other in ("HVAC", "Barber", "Certified Nursing Assistant", "CP-DEMO-BEN"):
        assert other not in body

    # the pending and completed steps look different from the current one (computed styles)
    current_bg = certiport.evaluate("e => getComputedStyle(e).backgroundColor")
    assert current_bg != careersafe.evaluate("e => getComputedStyle(e).backgroundColor")
    assert current_bg != hsi.evaluate("e => getComputedStyle(e).backgroundColor")

    link = certiport.get_by_role("link", name=re.compile(r"^Launch Training"))
    expect(link).to_have_attribute("href", launch)
    with page.context.expect_page() as opened:
        link.click()
    partner = opened.value
    partner.wait_for_load_state()
    expect(partner).to_have_url(launch)
    expect(partner.locator("#path")).to_have_text("/certiport/launch?student=ben&course=MA-2")
    assert partner.evaluate("window.opener === null"), "rel=noopener: the partner cannot reach back into our page"
    assert "/certiport/launch?student=ben&course=MA-2" in loopback_site.requests
    assert page.errors == []


def test_dev_sees_the_failure_explained_in_plain_words(live_app, open_page):
    page = open_page(DEV)
    page.goto(live_app.url("/student/progress"))
    failed = page.locator("li.step-failed")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text(
        "There was a problem enrolling you at CareerSafe. Our team has been alerted and will fix it"
        " — you don't need to do anything."
    )
    expect(page.get_by_role("heading", level=2)).to_have_text(["HVAC Technician"])
    main = page.locator("main").inner_text()
    assert "422" not in main and "already registered" not in main
    assert low_contrast_text(page) == []
    assert page.errors == []


def test_without_a_session_the_browser_gets_the_sign_in_page(live_app, open_page):
    page = open_page(None)
    response = page.goto(live_app.url("/student/progress"))
    assert response.status == 401
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("alert")).to_contain_text("Please sign in")


def test_console_errors_are_caught(live_app, open_page):
    """The error collection the other tests rely on does see errors."""
    page = open_page(BEN)
    page.goto(live_app.url("/student/progress"))
    with page.expect_console_message(lambda m: m.type == "error"):
        page.evaluate("console.error('boom')")
    with page.expect_event("pageerror"):
        page.evaluate("setTimeout(() => { throw new Error('uncaught') }, 0)")
    assert any("boom" in e for e in page.errors), page.errors
    assert any("uncaught" in e for e in page.errors), page.errors


def test_screenshots_and_no_horizontal_scroll_on_a_phone(sql, live_app, open_page, loopback_site):
    """Ben with every kind of content: a completed step, the current one with a launch link and
    progress, a pending one, and a second, completed enrollment with its certificate ready."""
    step = ben_step(sql, 2)
    sql(
        "update public.enrollment_steps set launch_url = %s, progress_percent = 40 where id = %s",
        loopback_site.url("/certiport/launch?student=ben"),
        step,
    )
    cpr = sql(
        "insert into public.enrollments (user_id, program_id, enrolled_at)"
        " select %s, id, now() - interval '60 days' from public.programs where slug = 'cpr-first-aid' returning id",
        BEN,
    )[0]["id"]
    first = sql("select id from public.enrollment_steps where enrollment_id = %s", cpr)[0]["id"]
    sql("select public.mark_step_complete(%s, 'HSI-BEN-CPR')", first)
    sql("update public.certificates set pdf = %s where enrollment_id = %s", b"%PDF-1.7 x", cpr)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    for name, width, height in (("desktop", 1280, 800), ("phone", 375, 740), (None, 360, 740)):
        page = open_page(BEN, width=width, height=height)
        page.goto(live_app.url("/student/progress"))
        expect(page.get_by_role("heading", level=2)).to_have_text(["Medical Assistant", "CPR & First Aid"])
        expect(page.get_by_role("link", name=re.compile(r"^Download certificate"))).to_be_visible()
        expect(page.get_by_role("link", name=re.compile(r"^Launch Training"))).to_be_visible()
        assert page.evaluate(NO_HORIZONTAL_SCROLL), f"horizontal scroll at {width}px"
        # nothing sticks out of the viewport either (an overflow hidden by the body would not scroll)
        assert overflowing_elements(page) == [], f"elements wider than {width}px"
        assert low_contrast_text(page) == []
        if name:
            page.screenshot(path=str(SCREENSHOTS / f"student-progress-{name}.png"), full_page=True)
        assert page.errors == []
    assert (SCREENSHOTS / "student-progress-desktop.png").stat().st_size > 10_000
    assert (SCREENSHOTS / "student-progress-phone.png").stat().st_size > 10_000


def test_the_page_updates_by_itself_when_a_step_completes(sql, live_app, open_page):
    """Issue 13: Certiport completes while Ben's page is open; the page shows it without a reload
    (a marker set on the window survives) and says when it last checked."""
    page = open_page(BEN)
    page.goto(live_app.url("/student/progress"))
    steps = page.locator("ol.steps > li")
    expect(steps.nth(1)).to_have_attribute("data-state", "linked")
    expect(page.locator("#last-updated")).to_contain_text("Last updated")
    page.wait_for_timeout(2_500)  # a few checks with nothing new: nothing announced
    expect(page.get_by_role("status")).to_have_text("")
    page.evaluate("window.__still_the_same_page = true")
    first_check = page.locator("#last-updated time").get_attribute("datetime")

    sql("select public.mark_step_complete(%s, 'CP-DEMO-BEN')", ben_step(sql, 2))

    expect(steps.nth(1)).to_have_class(re.compile(r"\bstep-completed\b"), timeout=8_000)
    expect(steps.nth(2)).to_have_attribute("aria-current", "step")
    expect(page.get_by_role("progressbar", name="2 / 3 partners complete")).to_have_attribute("aria-valuenow", "2")
    expect(page.locator("#last-updated")).to_contain_text("your progress changed")
    # screen readers hear the change, not every check
    expect(page.get_by_role("status")).to_have_text("Your progress changed.")
    assert page.locator("#last-updated time").get_attribute("datetime") != first_check
    assert page.evaluate("window.__still_the_same_page === true"), "the page was reloaded"
    assert page.errors == []


def test_a_signed_out_session_is_told_on_the_open_page(sql, live_app, open_page):
    """The page polls as the user: once her session is signed out, it says so with a sign-in link."""
    page = open_page(BEN)
    page.goto(live_app.url("/student/progress"))
    page.context.clear_cookies()
    expect(page.locator("#last-updated")).to_contain_text("You were signed out", timeout=8_000)
    expect(page.locator("#last-updated").get_by_role("link", name="Sign in again")).to_have_attribute(
        "href", "/login?next=/student/progress"
    )
    assert page.errors == [] or all("401" in e for e in page.errors), page.errors


def test_sign_out_really_signs_out(live_app, open_page):
    """Sign out from the progress page: the sign-in page says so, Back does not show the progress
    page again (not kept by the browser), and the old session's token reaches nothing."""
    page = open_page(BEN)
    page.goto(live_app.url("/student/progress"))
    expect(page.get_by_role("heading", level=2)).to_have_text(["Medical Assistant"])
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "sb-access-token")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login\?signed_out=1$"))
    expect(page.get_by_role("status")).to_have_text("You signed out. Sign in again to see your progress.")
    assert not [c for c in page.context.cookies() if c["name"] == "sb-access-token"]

    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert "Medical Assistant" not in page.locator("main").inner_text()

    # the token, copied before signing out, is refused by the server (server-side sign-out)
    page.context.add_cookies([{"name": "sb-access-token", "value": token, "url": live_app.base}])
    response = page.goto(live_app.url("/student/progress"))
    assert response.status == 401
    expect(page.get_by_role("alert")).to_contain_text("you signed out of this session")
    # chromium logs each 401 page load (Back, then the copied token) as a console error: only those
    assert [e for e in page.errors if "status of 401" not in e] == []


def test_public_pages_offer_a_sign_in_link(live_app, open_page):
    page = open_page(None)
    for path in ("/", "/certificates/" + "0" * 32):
        page.goto(live_app.url(path))
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")).to_have_attribute(
            "href", "/login"
        )
    for path in ("/login", "/student/progress"):  # the sign-in page itself (also as the 401 answer)
        page.goto(live_app.url(path))
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")).to_have_count(0)
