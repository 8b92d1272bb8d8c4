"""Screenshots of every page (tests/py/screenshot_pages.py) at phone and desktop widths, with
the check that each fits: no horizontal scroll and no element past the right edge, no console
errors. `make test-browser` runs this with the other browser tests; the PNGs land in
test-artifacts/screenshots/<name>-<width>.png."""

from __future__ import annotations

import subprocess
import sys

import pytest

from devtools.cluster import free_port
from tests.py.browser import SCREENSHOTS
from tests.py.screenshot_pages import PAGES, SIMULATOR_PAGES, WIDTHS
from tests.py.services import REPO

SCROLL_WIDTH = "document.documentElement.scrollWidth"
# elements whose right edge is past the screen, unless a box of their own scrolls or clips them
# sideways (a wide table in an `overflow-x: auto` wrapper is a phone's usual way to show it)
PAST_THE_EDGE = """
() => [...document.querySelectorAll("body *")]
  .filter((e) => !e.closest(".visually-hidden, .sr-only"))
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .filter((e) => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(a).overflowX)) return false;
    }
    return true;
  })
  .map((e) => `${e.tagName}.${e.className}`)
"""


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_and_is_photographed(sql, live_app, open_page, width):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for spec in PAGES:
        path = spec.path(sql) if callable(spec.path) else spec.path
        page = open_page(spec.user, width=width, height=800)
        response = page.goto(live_app.url(path))
        assert response.status == spec.status, f"{spec.name}: {path} answered {response.status}"
        page.wait_for_load_state("load")
        scroll = page.evaluate(SCROLL_WIDTH)
        print(f"{spec.name:32} {width:5} px wide screen: page {scroll} px wide")  # shown with -s
        if scroll > width:
            problems.append(f"{spec.name} at {width}px: the page is {scroll}px wide")
        wide = page.evaluate(PAST_THE_EDGE)
        if wide:
            problems.append(f"{spec.name} at {width}px: elements past the edge: {wide[:5]}")
        errors = [e for e in page.errors if not (spec.status >= 400 and f"status of {spec.status}" in e)]
        if errors:
            problems.append(f"{spec.name}: console errors {errors}")
        shot = SCREENSHOTS / f"{spec.name}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 2_000, shot
        page.context.close()
    assert problems == [], "\n".join(problems)


def test_the_partner_simulators_page_fits_and_is_photographed(db_url, browser):
    """The simulator's own page (it had no viewport tag), listing the demo database's steps."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "devtools.partner_simulator", "--port", str(port), "--database-url", db_url, "--quiet"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert "listening" in proc.stdout.readline()
        problems = []
        for width in WIDTHS:
            for spec in SIMULATOR_PAGES:
                context = browser.new_context(viewport={"width": width, "height": 800})
                page = context.new_page()
                assert page.goto(f"http://127.0.0.1:{port}{spec.path}").status == spec.status
                if page.evaluate(SCROLL_WIDTH) > width or page.evaluate(PAST_THE_EDGE):
                    problems.append(f"{spec.name} at {width}px: {page.evaluate(PAST_THE_EDGE)[:5]}")
                page.screenshot(path=str(SCREENSHOTS / f"{spec.name}-{width}.png"), full_page=True)
                context.close()
        assert problems == [], "\n".join(problems)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
