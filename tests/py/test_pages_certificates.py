"""Certificates on the web: public verification by code, the student's RLS-protected download,
and the authentication in front of it (no token, bad signature, expired, another student)."""

from __future__ import annotations

import time

import jwt
import pytest

from glue import create_app
from glue.config import TestConfig
from tests.py.conftest import new_student

JWT_SECRET = TestConfig().SUPABASE_JWT_SECRET


def token(user_id, secret=JWT_SECRET, ttl=3600, **extra):
    now = int(time.time())
    return jwt.encode(
        {"sub": str(user_id), "role": "authenticated", "aud": "authenticated", "iat": now, "exp": now + ttl, **extra},
        secret,
        algorithm="HS256",
    )


@pytest.fixture
def completed(sql):
    """A student who finished CPR & First Aid, with the certificate's PDF stored."""
    s = new_student(sql, "cpr-first-aid", email="cert.owner@test.local")
    sql("select public.mark_step_complete(%s, 'HSI-CERT-1')", s["steps"][0])
    cert = sql("select id, verification_code from public.certificates where enrollment_id = %s", s["enrollment_id"])[0]
    sql("update public.certificates set pdf = %s where id = %s", b"%PDF-1.7 test certificate", cert["id"])
    return {**s, "certificate_id": cert["id"], "code": cert["verification_code"]}


def test_a_valid_certificate_verifies_publicly(client, completed):
    r = client.get(f"/certificates/{completed['code']}")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "This certificate is valid" in page
    assert "CPR &amp; First Aid" in page
    assert "Test Student" in page


def test_a_revoked_certificate_says_so(client, completed, sql):
    sql(
        "update public.certificates set revoked_at = now(), revoked_reason = 'issued in error' where id = %s",
        completed["certificate_id"],
    )
    page = client.get(f"/certificates/{completed['code']}").get_data(as_text=True)
    assert "revoked" in page and "issued in error" in page
    assert "This certificate is valid" not in page


@pytest.mark.parametrize("code", ["0" * 32, "not-a-code", "A" * 32, "'; drop table certificates; --"])
def test_unknown_or_malformed_codes_are_404(client, completed, code):
    r = client.get(f"/certificates/{code}")
    assert r.status_code == 404
    assert "No certificate has the code" in r.get_data(as_text=True)


def test_the_owner_downloads_the_pdf(client, completed):
    r = client.get(
        f"/student/certificates/{completed['certificate_id']}.pdf",
        headers={"Authorization": f"Bearer {token(completed['user_id'])}"},
    )
    assert r.status_code == 200
    assert r.mimetype == "application/pdf"
    assert r.data.startswith(b"%PDF")


def test_the_cookie_works_like_the_header(client, completed):
    client.set_cookie("sb-access-token", token(completed["user_id"]))
    assert client.get(f"/student/certificates/{completed['certificate_id']}.pdf").status_code == 200


def test_another_student_cannot_download_it(client, completed, sql):
    other = new_student(sql, "cna")
    r = client.get(
        f"/student/certificates/{completed['certificate_id']}.pdf",
        headers={"Authorization": f"Bearer {token(other['user_id'])}"},
    )
    assert r.status_code == 404
    assert not r.data.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (lambda uid: None, "Please sign in"),
        (lambda uid: token(uid, secret="another-secret-of-at-least-32-bytes!!"), "could not be verified"),
        (lambda uid: token(uid, ttl=-3600), "expired"),
        (lambda uid: "not.a.jwt", "could not be verified"),
        (lambda uid: token("not-a-uuid"), "could not be verified"),
        (lambda uid: token(uid, role="service_role"), "not a signed-in user"),
        (
            lambda uid: jwt.encode({"sub": str(uid), "exp": int(time.time()) + 60}, "x" * 64, algorithm="HS384"),
            "could not be verified",
        ),
    ],
)
def test_without_a_valid_token_it_is_401_with_the_sign_in_page(client, completed, make_token, reason):
    t = make_token(completed["user_id"])
    headers = {"Authorization": f"Bearer {t}"} if t else {}
    r = client.get(f"/student/certificates/{completed['certificate_id']}.pdf", headers=headers)
    assert r.status_code == 401
    page = r.get_data(as_text=True)
    assert "Sign in" in page and reason in page
    assert not r.data.startswith(b"%PDF")


def test_a_certificate_still_being_rendered_is_503_with_retry_after(client, completed, sql):
    sql("update public.certificates set pdf = null where id = %s", completed["certificate_id"])
    r = client.get(
        f"/student/certificates/{completed['certificate_id']}.pdf",
        headers={"Authorization": f"Bearer {token(completed['user_id'])}"},
    )
    assert r.status_code == 503
    assert r.headers["Retry-After"]


def test_development_sign_in_is_off_unless_enabled(client, db_url):
    assert client.post("/login/dev", data={"user_id": "00000000-0000-4000-a000-000000000011"}).status_code == 404
    assert "Development sign-in" not in client.get("/login").get_data(as_text=True)


def test_development_sign_in_needs_csrf_and_sets_the_cookie(db_url):
    app = create_app(TestConfig(DATABASE_URL=db_url, DEV_LOGIN=True))
    c = app.test_client()
    page = c.get("/login").get_data(as_text=True)
    assert "Ada Okafor" in page and "Alex Admin" in page
    assert c.post("/login/dev", data={"user_id": "00000000-0000-4000-a000-000000000011"}).status_code == 400
    with c.session_transaction() as s:
        csrf = s["csrf"]
    r = c.post("/login/dev", data={"user_id": "00000000-0000-4000-a000-000000000011", "csrf_token": csrf})
    assert r.status_code == 302 and r.headers["Location"] == "/student/progress"
    cookie = c.get_cookie("sb-access-token")
    assert jwt.decode(cookie.value, JWT_SECRET, algorithms=["HS256"], audience="authenticated")["sub"] == (
        "00000000-0000-4000-a000-000000000011"
    )
    r = c.post(
        "/login/dev",
        data={"user_id": "00000000-0000-4000-a000-000000000011", "csrf_token": csrf, "next": "//evil.example/"},
    )
    assert r.headers["Location"] == "/", "an open redirect is refused"
    app.extensions["db"].close()


def test_the_verify_page_dates_are_in_the_one_format_and_zone(db_url, completed, sql):
    """Issue 13: the page showed `2026-03-11` (UTC, cut from ISO text); now `12 March 2026` in
    ORG_TIMEZONE, with the exact instant in <time datetime>."""
    sql(
        "update public.certificates set issued_at = '2026-03-11 23:30+00', revoked_at = '2026-03-20 23:30+00',"
        " revoked_reason = 'issued in error' where id = %s",
        completed["certificate_id"],
    )
    app = create_app(TestConfig(DATABASE_URL=db_url, ORG_TIMEZONE="Pacific/Auckland"))
    try:
        page = app.test_client().get(f"/certificates/{completed['code']}").get_data(as_text=True)
    finally:
        app.extensions["db"].close()
    assert '<time datetime="2026-03-12T12:30:00+13:00">12 March 2026</time>' in page
    assert 'revoked on <time datetime="2026-03-21T12:30:00+13:00">21 March 2026</time>' in page
    assert "2026-03-11" not in page
