"""Security headers on every response (a Content-Security-Policy with a per-response nonce for the
pages' own <style> and <script>, nothing inline otherwise, no framing), and the session cookie's
flags: HttpOnly, SameSite=Lax, Secure when the site is served over https."""

from __future__ import annotations

import re
import uuid

import pytest

from glue import create_app
from glue.config import TestConfig
from tests.py.conftest import event, sign, webhook_secrets
from tests.py.test_student_progress import ADMIN, BEN, token

PAGES = [
    ("/", None),
    ("/login", None),
    ("/student/progress", None),  # 401: the sign-in page
    ("/student/progress", BEN),
    ("/admin/dashboard", ADMIN),
    ("/certificates/NOPE-NOPE", None),
    ("/no-such-page", None),
]


def csp_of(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


def assert_common_headers(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    csp = csp_of(response)
    assert csp["default-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["form-action"] == "'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    return csp


@pytest.mark.parametrize(("path", "user"), PAGES)
def test_every_page_has_the_headers_and_only_nonced_style_and_script(client, path, user):
    headers = {"Authorization": f"Bearer {token(user)}"} if user else {}
    r = client.get(path, headers=headers)
    assert r.status_code in (200, 401, 404), r.status_code
    csp = assert_common_headers(r)
    nonce = re.fullmatch(r"'nonce-([A-Za-z0-9_-]{22,})'", csp["script-src"]).group(1)
    assert csp["style-src"] == f"'nonce-{nonce}'"
    assert csp["connect-src"] == "'self'"
    html = r.get_data(as_text=True)
    # every <style> and <script> carries this response's nonce; no inline style attributes or handlers
    for tag in re.findall(r"<(?:style|script)\b[^>]*>", html):
        assert f'nonce="{nonce}"' in tag, tag
    assert not re.search(r"\sstyle\s*=", html), "an inline style attribute (blocked by the CSP)"
    assert not re.search(r"\son[a-z]+\s*=", html), "an inline event handler (blocked by the CSP)"


def test_the_nonce_changes_with_every_response(client):
    first, second = (csp_of(client.get("/login"))["script-src"] for _ in range(2))
    assert first != second


def test_json_pdf_and_webhook_answers_have_the_headers_too(client):
    assert_common_headers(client.get("/healthz"))
    assert_common_headers(client.get("/admin/dashboard.json", headers={"Authorization": f"Bearer {token(ADMIN)}"}))
    body = event("custom.thing")
    assert_common_headers(client.post("/api/webhooks/partners/hsi", data=body, headers=sign(body, "whsec_bad")))
    assert_common_headers(client.post("/api/webhooks/partners/acme", data=b"{}"))


def _session_cookie(app, client) -> str:
    r = client.get("/student/progress", headers={"Authorization": f"Bearer {token(BEN)}"})
    assert r.status_code == 200
    cookies = [c for c in r.headers.getlist("Set-Cookie") if c.startswith(app.config["SESSION_COOKIE_NAME"] + "=")]
    assert cookies, r.headers.getlist("Set-Cookie")  # the sign-out form's CSRF token lives in the session
    return cookies[0]


def test_the_session_cookie_is_httponly_and_samesite_lax_and_not_secure_over_local_http(app, client):
    cookie = _session_cookie(app, client)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_over_https_the_session_cookie_is_secure(db_url):
    app = create_app(
        TestConfig(DATABASE_URL=db_url, PARTNER_WEBHOOK_SECRETS=webhook_secrets(), SITE_URL="https://training.example")
    )
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
        client = app.test_client()
        cookie = _session_cookie(app, client)
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        app.extensions["db"].close()


def test_an_explicit_setting_wins_over_the_site_url(db_url):
    app = create_app(TestConfig(DATABASE_URL=db_url, SESSION_COOKIE_SECURE=True))
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
    finally:
        app.extensions["db"].close()


# --- server-side sign-out ----------------------------------------------------------------------


def _sign_out(client, access_token: str):
    """Sign in with this token (cookie), read the sign-out form's CSRF token, sign out."""
    client.set_cookie("sb-access-token", access_token)
    page = client.get("/student/progress")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    r = client.post("/logout", data={"csrf_token": csrf})
    assert r.status_code == 302


def test_a_signed_out_token_cannot_be_used_again(app, client, sql):
    old = token(BEN)
    _sign_out(client, old)
    # replayed, as the cookie or as a bearer, from another client: 401 with the sign-in page
    replay = app.test_client()
    replay.set_cookie("sb-access-token", old)
    r = replay.get("/student/progress")
    assert r.status_code == 401
    assert "signed out" in r.get_data(as_text=True)
    assert app.test_client().get("/student/progress", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert app.test_client().get("/admin/dashboard.json", headers={"Authorization": f"Bearer {old}"}).status_code in (
        401,
        403,
    )
    rows = sql("select user_id::text, expires_at is not null as expires from private.signed_out_sessions")
    assert rows == [{"user_id": BEN, "expires": True}]


def test_signing_out_ends_that_session_only(app, client):
    # Supabase Auth's tokens name their session: signing out of one leaves the user's others alone
    mine, other = token(BEN, session_id=str(uuid.uuid4())), token(BEN, session_id=str(uuid.uuid4()))
    _sign_out(client, mine)
    assert app.test_client().get("/student/progress", headers={"Authorization": f"Bearer {mine}"}).status_code == 401
    assert app.test_client().get("/student/progress", headers={"Authorization": f"Bearer {other}"}).status_code == 200
    # signing in again gives a new session, which works
    fresh = token(BEN, session_id=str(uuid.uuid4()))
    assert app.test_client().get("/student/progress", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_an_admin_signed_out_token_cannot_reach_the_dashboard(app, client):
    old = token(ADMIN, session_id=str(uuid.uuid4()))
    _sign_out(client, old)
    for path in ("/admin/dashboard", "/admin/dashboard.json"):
        assert app.test_client().get(path, headers={"Authorization": f"Bearer {old}"}).status_code == 401, path
