"""Real-browser test support: Debian's chromium driven by Playwright against the app served by
gunicorn (the production server) on a fresh seeded database.

Import the fixtures by name into a test module (pytest finds fixtures in the module's namespace):

    browser      one chromium per test session (fails, never skips, when chromium is missing)
    live_app     LiveApp: gunicorn on this test's database; `.url(path)`, `.token(user_id)`
    open_page    open_page(user_id, width, height) -> a Page signed in as that user, its console
                 and page errors collected in `page.errors` (assert it is empty)
    loopback_site  a tiny web site on 127.0.0.1 standing in for a partner's LMS
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest

from tests.py.live_server import gunicorn

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError as exc:  # a clear failure, never a skip
    raise ImportError(
        "Browser tests need the Python package `playwright` and Debian's chromium: run `scripts/bootstrap --browser`"
    ) from exc

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
MISSING = "Browser tests need Debian's chromium at {path} and the playwright package: run `scripts/bootstrap --browser`"

__all__ = [
    "browser",
    "expect",
    "live_app",
    "loopback_site",
    "open_page",
    "LiveApp",
    "LoopbackSite",
    "SCREENSHOTS",
    "low_contrast_text",
    "overflowing_elements",
]


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the session. Missing chromium or playwright is a failure with the
    fix in the message, never a skip."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and not shutil.which(CHROMIUM):
        pytest.fail(MISSING.format(path=CHROMIUM) + " (chromium not found).", pytrace=False)
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as exc:
        playwright.stop()
        pytest.fail(f"chromium at {CHROMIUM} did not start: {exc}", pytrace=False)
    yield chromium
    chromium.close()
    playwright.stop()


# --- the app, served for real ----------------------------------------------------------------


@dataclass
class LiveApp:
    """The app under gunicorn: where it is and how to sign in to it."""

    base: str
    jwt_secret: str

    def url(self, path: str) -> str:
        return self.base + path

    def token(self, user_id: str, email: str | None = None, ttl: int = 3600) -> str:
        """An access token as Supabase Auth would issue it, signed with the server's secret."""
        now = int(time.time())
        claims = {"sub": str(user_id), "role": "authenticated", "aud": "authenticated", "iat": now, "exp": now + ttl}
        if email:
            claims["email"] = email
        return jwt.encode(claims, self.jwt_secret, algorithm="HS256")


@pytest.fixture
def live_app(db_url) -> Iterator[LiveApp]:
    """gunicorn serving `glue:create_app()` on this test's fresh seeded database."""
    secret = secrets.token_urlsafe(48)
    env = {"DATABASE_URL": db_url, "SUPABASE_JWT_SECRET": secret, "SECRET_KEY": secrets.token_urlsafe(32)}
    with gunicorn(env) as base:
        yield LiveApp(base, secret)


# --- pages -----------------------------------------------------------------------------------


@pytest.fixture
def open_page(browser, live_app) -> Iterator[Callable]:
    """`open_page(user_id, width=1280, height=800, email=None)`: a new browser context signed in as
    that user (the sb-access-token cookie) and a page in it. `page.errors` collects console errors
    and uncaught page errors of that page and of any page it opens."""
    contexts = []

    def watch(page, errors: list[str]) -> None:
        def on_console(msg) -> None:
            if msg.type == "error":
                errors.append(f"console.error: {msg.text} ({msg.location.get('url')})")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))

    def make(user_id: str | None, width: int = 1280, height: int = 800, email: str | None = None):
        context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
        contexts.append(context)
        if user_id is not None:
            context.add_cookies(
                [
                    {
                        "name": "sb-access-token",
                        "value": live_app.token(user_id, email=email),
                        "url": live_app.base,
                        "httpOnly": True,
                        "sameSite": "Lax",
                    }
                ]
            )
        errors: list[str] = []
        context.on("page", lambda p: watch(p, errors))
        page = context.new_page()
        page.errors = errors
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()


# --- layout and accessibility checks ---------------------------------------------------------

_LOW_CONTRAST_JS = """
(minimum) => {
  const rgba = (c) => {
    const p = c.match(/[\\d.]+/g).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c.a > 0) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const low = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(".visually-hidden")) continue;
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    const [hi, lo] = [luminance(rgba(style.color)), luminance(background(el))].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const text = el.textContent.trim().slice(0, 40);
    if (ratio < minimum) low.push(`${el.tagName}.${el.className} "${text}": ${ratio.toFixed(2)}`);
  }
  return low;
}
"""

_OVERFLOWING_JS = """
() => [...document.querySelectorAll("body *")]
  .filter((e) => !e.closest(".visually-hidden"))
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map((e) => `${e.tagName}.${e.className}`)
"""


def low_contrast_text(page, minimum: float = 4.5) -> list[str]:
    """Visible text whose colour against its nearest opaque background is below `minimum`:1 (WCAG
    AA for normal text); an empty list when all is readable."""
    return page.evaluate(_LOW_CONTRAST_JS, minimum)


def overflowing_elements(page) -> list[str]:
    """Elements whose right edge is past the viewport (overflow that `overflow: hidden` would hide
    from the scroll width check)."""
    return page.evaluate(_OVERFLOWING_JS)


# --- a partner's LMS on loopback -------------------------------------------------------------


@dataclass
class LoopbackSite:
    """A web site on 127.0.0.1 answering every GET with a small page titled after the path;
    `requests` lists the paths asked for."""

    base: str
    requests: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def loopback_site() -> Iterator[LoopbackSite]:
    site = LoopbackSite("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the stdlib's name)
            site.requests.append(self.path)
            if self.path == "/favicon.ico":
                self.send_response(204)
                self.end_headers()
                return
            body = (
                b"<!doctype html><html lang=en><head><meta charset=utf-8><title>Partner training</title>"
                b"<link rel=icon href='data:,'></head>"
                b"<body><h1>Partner training</h1><p id=path></p>"
                b"<script>document.getElementById('path').textContent = location.pathname + location.search"
                b"</script></body></html>"
            )
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()
