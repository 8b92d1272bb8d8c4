"""A real browser signed in the way Supabase's web helpers leave it: the session in
`sb-<ref>-auth-token.0`, `.1`, ... (`@supabase/ssr`: `base64-` + base64url JSON, readable by
scripts), against gunicorn on a real database. Sign-out here expires those cookies."""

from __future__ import annotations

import base64
import json
import time

from playwright.sync_api import expect

BEN = "00000000-0000-4000-a000-000000000012"
COOKIE = "sb-abcdefghijklmnopqrst-auth-token"  # no SUPABASE_URL on the live app: any project ref is read


def ssr_cookies(access_token: str, base: str) -> list[dict]:
    session = {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": 3600,
        "expires_at": int(time.time()) + 3600,
        "refresh_token": "refresh",
        "user": {"id": BEN, "aud": "authenticated", "user_metadata": {"notes": "x" * 5000}},
    }
    value = "base64-" + base64.urlsafe_b64encode(json.dumps(session).encode()).rstrip(b"=").decode()
    parts = [value[i : i + 3180] for i in range(0, len(value), 3180)]
    assert len(parts) == 3
    return [{"name": f"{COOKIE}.{i}", "value": part, "url": base, "sameSite": "Lax"} for i, part in enumerate(parts)]


def test_a_chunked_supabase_session_cookie_signs_in_and_sign_out_expires_it(browser, live_app):
    context = browser.new_context()
    try:
        context.add_cookies(ssr_cookies(live_app.token(BEN, email="ben.midway@example.org"), live_app.base))
        page = context.new_page()
        response = page.goto(live_app.url("/student/progress"))
        assert response.status == 200
        expect(page.get_by_role("heading", level=2)).to_have_text(["Medical Assistant"])
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url("**/login?signed_out=1")
        assert [c["name"] for c in context.cookies() if c["name"].startswith(COOKIE)] == []
        assert page.goto(live_app.url("/student/progress")).status == 401
    finally:
        context.close()
