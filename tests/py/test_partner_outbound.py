"""Outbound partner calls (issue 12), against real HTTP servers on loopback: a redirect is an
error and is never followed (the API key and the student's data stay put), `https` is required
outside loopback, connect/read timeouts are settings, and an error body is kept truncated."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from glue import partners
from glue.partners import ERROR_BODY_CHARS, PartnerError, enroll_rest, rest_endpoint, timeouts

API_KEY = "partner-api-key-do-not-leak"


class Server:
    """A partner API on 127.0.0.1: the path says how it behaves."""

    def __init__(self):
        self.requests: list[tuple[str, dict]] = []
        self.redirect_to = ""
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                outer.requests.append((self.path, dict(self.headers)))
                kind = self.path.strip("/").split("/")[0]
                if kind == "redirect":
                    self.send_response(307)
                    self.send_header("Location", outer.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif kind == "hang":
                    time.sleep(3)
                    self._send(201, b'{"external_enrollment_id": "late"}')
                elif kind in ("huge", "bad"):
                    body = ("x" * 1000 + "\n") * (5000 if kind == "huge" else 2)
                    self._send(500 if kind == "huge" else 400, body.encode())
                else:
                    self._send(201, b'{"external_enrollment_id": "EXT-1", "launch_url": "https://lms.example/1"}')

            def _send(self, code: int, body: bytes):
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[tuple[Server, Server]]:
    partner, elsewhere = Server(), Server()
    yield partner, elsewhere
    partner.close()
    elsewhere.close()


def message(**extra) -> dict:
    return {
        "partner_slug": "hsi",
        "adapter_config": {"enroll_path": "/enrollments", "auth_header": "X-Api-Key"},
        "idempotency_key": "idem-1",
        "step_id": "step-1",
        "user_id": "user-1",
        "student_email": "student@example.org",
        "student_name": "Test Student",
        "program_slug": "cna",
        "program_name": "CNA",
        **extra,
    }


def env(base: str, **extra) -> dict:
    return {"PARTNER_API_URL_HSI": base, "PARTNER_API_KEY_HSI": API_KEY, **extra}


@pytest.fixture(autouse=True)
def fresh_session():
    partners._local.__dict__.clear()  # no pooled connection from another test
    partners._proxy_for.cache_clear()
    yield
    partners._proxy_for.cache_clear()  # no proxy decided under another test's environment


def test_a_normal_answer_is_an_enrollment(servers):
    partner, _ = servers
    result = enroll_rest(message(), env(partner.url + "/ok"))
    assert (result.external_enrollment_id, result.launch_url) == ("EXT-1", "https://lms.example/1")
    assert partner.requests[0][1]["X-Api-Key"] == API_KEY


def test_a_redirect_is_an_error_and_is_not_followed(servers):
    partner, elsewhere = servers
    partner.redirect_to = elsewhere.url + "/stolen"
    with pytest.raises(PartnerError, match="307") as caught:
        enroll_rest(message(), env(partner.url + "/redirect"))
    assert caught.value.retryable is False
    assert "redirect" in str(caught.value)
    assert len(partner.requests) == 1
    assert elsewhere.requests == []  # neither the key nor the student went there


def test_a_hanging_partner_times_out_after_the_read_timeout(servers):
    partner, _ = servers
    started = time.monotonic()
    with pytest.raises(PartnerError, match="unreachable: ReadTimeout") as caught:
        enroll_rest(message(), env(partner.url + "/hang", PARTNER_API_TIMEOUT="0.3"))
    assert time.monotonic() - started < 2
    assert caught.value.retryable is True


def test_a_huge_error_body_is_kept_truncated(servers):
    partner, _ = servers
    with pytest.raises(PartnerError) as caught:
        enroll_rest(message(), env(partner.url + "/huge"))
    text = str(caught.value)
    assert caught.value.retryable is True
    assert text.startswith("hsi API answered 500: xxx") and text.endswith("(truncated)")
    assert len(text) < ERROR_BODY_CHARS + 100


def test_a_client_error_body_is_kept_truncated_and_final(servers):
    partner, _ = servers
    with pytest.raises(PartnerError) as caught:
        enroll_rest(message(), env(partner.url + "/bad"))
    assert caught.value.retryable is False
    assert "hsi API answered 400: " + "x" * ERROR_BODY_CHARS in str(caught.value)
    assert len(str(caught.value)) < ERROR_BODY_CHARS + 100


@pytest.mark.parametrize(
    "base",
    ["http://partner.example.com/api", "http://10.0.0.5:8080", "ftp://127.0.0.1/x", "https:///nohost", "//x.org"],
)
def test_a_partner_address_must_be_https_outside_loopback(base):
    with pytest.raises(PartnerError, match="must be https") as caught:
        rest_endpoint("hsi", {}, {"PARTNER_API_URL_HSI": base})
    assert caught.value.retryable is False
    assert "PARTNER_API_URL_HSI" in str(caught.value)


@pytest.mark.parametrize(
    "base",
    [
        "https://partner.example.com/api",
        "http://127.0.0.1:8099/partners/hsi",
        "http://localhost:8099",
        "http://[::1]:80",
    ],
)
def test_https_and_loopback_addresses_are_accepted(base):
    assert rest_endpoint("hsi", {}, {"PARTNER_API_URL_HSI": base}).endswith("/enrollments")


def test_a_plain_http_address_is_refused_before_any_call(servers):
    with pytest.raises(PartnerError, match="must be https"):
        enroll_rest(message(adapter_config={"base_url": "http://partner.example.com"}), {})


def test_timeouts_are_settings_with_defaults():
    assert timeouts({}) == (3.0, 15.0)
    assert timeouts({"PARTNER_API_CONNECT_TIMEOUT": "1.5", "PARTNER_API_TIMEOUT": "30"}) == (1.5, 30.0)
    for name in ("PARTNER_API_CONNECT_TIMEOUT", "PARTNER_API_TIMEOUT"):
        for value in ("soon", "0", "-1", "nan", "inf"):
            with pytest.raises(PartnerError, match=name):
                timeouts({name: value})


def test_the_steps_error_keeps_the_partners_error_body_truncated(servers, app, sql, monkeypatch):
    """Through the worker: a partner answering 400 with a long body fails the step at once, and the
    step's error_message holds the body cut to ERROR_BODY_CHARS."""
    from glue.worker import Worker

    from .conftest import new_student

    partner, _ = servers
    monkeypatch.setenv("PARTNER_API_URL_HSI", partner.url + "/bad")
    sql("delete from queue.jobs")
    student = new_student(sql, "cna")
    step = sql(
        "select v.slug from public.enrollment_steps s join public.partner_lms_providers v on v.id = s.provider_id"
        " where s.id = %s",
        student["steps"][0],
    )
    assert step == [{"slug": "hsi"}]
    Worker(app, concurrency=1, scan_interval=0, monitoring_interval=0).run(once=True)
    [row] = sql("select status, error_message from public.enrollment_steps where id = %s", student["steps"][0])
    assert row["status"] == "failed"
    assert "hsi API answered 400: " + "x" * ERROR_BODY_CHARS in row["error_message"]
    assert len(row["error_message"]) < ERROR_BODY_CHARS + 100
    assert len(partner.requests) == 1


def test_the_environments_proxy_is_used_and_no_proxy_bypasses_it(servers, monkeypatch):
    """As requests did before the worker called urllib3 itself: `http_proxy`/`https_proxy` carry
    the call (an absolute-form request to the proxy), `no_proxy` names hosts reached directly."""
    partner, proxy = servers
    monkeypatch.setenv("http_proxy", proxy.url)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert enroll_rest(message(), env(partner.url + "/ok")).external_enrollment_id == "EXT-1"
    assert partner.requests == [] and proxy.requests[0][0] == partner.url + "/ok/enrollments"
    assert proxy.requests[0][1]["X-Api-Key"] == API_KEY

    monkeypatch.setenv("no_proxy", "127.0.0.1")
    partners._proxy_for.cache_clear()
    assert enroll_rest(message(), env(partner.url + "/ok")).external_enrollment_id == "EXT-1"
    assert [path for path, _ in partner.requests] == ["/ok/enrollments"] and len(proxy.requests) == 1


def test_a_refused_connection_is_named_so_and_retried():
    """Nothing listens on the port: "unreachable: ConnectionError", retryable (urllib3 files a
    refused connection under its connect-timeout class; the message must not say timeout)."""
    from devtools.cluster import free_port

    with pytest.raises(PartnerError, match="unreachable: ConnectionError") as caught:
        enroll_rest(message(), env(f"http://127.0.0.1:{free_port()}"))
    assert caught.value.retryable is True
