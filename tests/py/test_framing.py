"""The webhook body's size and encoding are checked before the signature, whatever the framing:
Content-Length or `Transfer-Encoding: chunked`, through the Flask test client and for real over
a socket to gunicorn (the production server)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import time
import uuid
from urllib.parse import urlsplit

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from tests.py.conftest import SECRETS, event, sign
from tests.py.live_server import gunicorn

URL = "/api/webhooks/partners/hsi"
LIMIT = 256 * 1024


def sign_bytes(body: bytes, secret: str = SECRETS["hsi"]) -> dict:
    """Standard Webhooks headers over raw bytes (the reference library signs text only, so a body
    that is not UTF-8 is signed here by hand, exactly as the spec says)."""
    msg_id, timestamp = f"msg_{uuid.uuid4().hex}", str(int(time.time()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
        "content-type": "application/json",
    }


def padded(size: int) -> bytes:
    prefix, suffix = b'{"type": "x.padding", "data": {"pad": "', b'"}}'
    return prefix + b"a" * (size - len(prefix) - len(suffix)) + suffix


def chunks(body: bytes, size: int = 16 * 1024):
    for i in range(0, len(body), size):
        yield body[i : i + size]


OVER = padded(LIMIT + 1)
UNDER = padded(LIMIT)
NOT_UTF8 = b'{"type": "x.thing", "data": {"name": "caf\xe9"}}'
NOT_JSON = b"{not json"


# --- the Flask test client ---------------------------------------------------------------------


def _client_post(client, body: bytes, headers: dict, chunked: bool):
    if not chunked:
        return client.post(URL, data=body, headers=headers)
    # a chunked body as a WSGI server hands it over (gunicorn, werkzeug's server): no CONTENT_LENGTH,
    # and `wsgi.input_terminated` (the server ends the stream at the last chunk)
    environ = EnvironBuilder(URL, method="POST", data=body, headers=headers).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input_terminated"] = True
    return client.open(Request(environ))


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_client_over_the_limit_is_413_even_when_signed(client, sql, chunked):
    r = _client_post(client, OVER, sign(OVER, SECRETS["hsi"]), chunked)
    assert r.status_code == 413
    assert r.get_json()["status"] == "too_large"
    assert sql("select count(*) as n from public.partner_events")[0]["n"] == 0


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_client_at_the_limit_is_accepted(client, chunked):
    r = _client_post(client, UNDER, sign(UNDER, SECRETS["hsi"]), chunked)
    assert r.status_code == 200, r.get_data()
    assert r.get_json()["status"] == "ignored"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_client_invalid_utf8_is_400_before_the_signature(client, sql, chunked, signed):
    headers = sign_bytes(NOT_UTF8) if signed else {"content-type": "application/json"}
    r = _client_post(client, NOT_UTF8, headers, chunked)
    assert r.status_code == 400
    assert r.get_json()["status"] == "malformed"
    assert "UTF-8" in r.get_json()["message"]
    assert sql("select count(*) as n from public.partner_events")[0]["n"] == 0


def test_client_valid_utf8_that_is_not_json_stays_400_rejected_and_kept(client, sql):
    r = _client_post(client, NOT_JSON, sign(NOT_JSON, SECRETS["hsi"]), chunked=True)
    assert r.status_code == 400
    assert r.get_json()["status"] == "rejected"
    assert [row["status"] for row in sql("select status from public.partner_events")] == ["rejected"]


# --- gunicorn, over a socket -------------------------------------------------------------------


@pytest.fixture
def server(db_url):
    with gunicorn({"DATABASE_URL": db_url, "PARTNER_WEBHOOK_SECRET_HSI": SECRETS["hsi"]}, workers=1, threads=4) as base:
        yield urlsplit(base)


def _send(server, body: bytes, headers: dict, chunked: bool) -> tuple[int, dict]:
    conn = http.client.HTTPConnection(server.hostname, server.port, timeout=30)
    try:
        if chunked:
            conn.request("POST", URL, body=chunks(body), headers=headers, encode_chunked=True)
        else:
            conn.request("POST", URL, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_gunicorn_framing(server, sql, chunked):
    status, body = _send(server, OVER, sign(OVER, SECRETS["hsi"]), chunked)
    assert (status, body["status"]) == (413, "too_large")

    status, body = _send(server, NOT_UTF8, sign_bytes(NOT_UTF8), chunked)
    assert (status, body["status"]) == (400, "malformed")

    status, body = _send(server, NOT_JSON, sign(NOT_JSON, SECRETS["hsi"]), chunked)
    assert (status, body["status"]) == (400, "rejected")

    status, body = _send(server, UNDER, sign(UNDER, SECRETS["hsi"]), chunked)
    assert (status, body["status"]) == (200, "ignored")

    ok = event("custom.thing")
    status, body = _send(server, ok, sign(ok, SECRETS["hsi"]), chunked)
    assert (status, body["status"]) == (200, "ignored")
    assert [row["status"] for row in sql("select status from public.partner_events order by id")] == [
        "rejected",
        "ignored",
        "ignored",
    ]
