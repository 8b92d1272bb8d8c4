"""A fake of every training partner at once (hsi, certiport, careersafe, jri, milady), over real HTTP.

It answers the generic REST enrollment API that our worker calls, and it plays the partner's side of
the webhook contract (docs/partners.md): on request it sends correctly signed `course.completed`,
`certificate.issued` and `progress.updated` events to the app. Used by `make run` and by tests.

Usage:
  scripts/partner-simulator --port 8099 --app-url http://127.0.0.1:5000
  scripts/partner-simulator --fail-rate 0.2 --latency-ms 150      # a flaky, slow partner
  scripts/partner-simulator --auto-complete-seconds 30            # completes every course after 30 s

Environment (read once at start, the same variables as the app):
  PARTNER_WEBHOOK_SECRET_<SLUG>   whsec_... secret(s) used to sign that partner's webhooks; with several
                                  space-separated secrets (a rotation) the LAST one signs
  PARTNER_WEBHOOK_SECRET          the shared fallback for partners without their own variable
  PARTNER_API_KEY_<SLUG>          when set, enrollment calls to that partner need `Authorization: Bearer <key>`

HTTP API (JSON unless noted):
  POST /partners/<slug>/enrollments       enroll; needs `Idempotency-Key`; body {"reference", "student", "program"}
                                          201 {"external_enrollment_id", "launch_url", "reference"}; a repeat
                                          with the same key at the same partner: 200 and the identical body.
                                          400 no key or bad JSON, 401 bad API key, 404 unknown partner,
                                          422 no reference, 503 injected failure or partner down.
  GET  /partners/<slug>/launch/<id>       HTML "Training at <Partner>" (the launch link)
  GET  /partners/<slug>/certificates/<id> HTML certificate page (certificate_url points here)
  GET|POST /_control                      fault settings {"fail_rate": 0..1, "latency_ms": int, "down": bool}
  GET  /_stats                            counters and every enrollment
  POST /_reset                            forget every enrollment and counter; settings back to the CLI values
  POST /_complete                         {"partner", "external_enrollment_id"} or {"reference"}, optional
                                          "certificate" (default true) and "score": sends course.completed (and
                                          certificate.issued) to the app. 200 {"deliveries": [...]}, 404 unknown
                                          enrollment, 502 the app could not be reached or kept answering 5xx.
  POST /_progress                         {"partner", "external_enrollment_id", "percent"}: sends progress.updated
  GET  /                                  HTML dashboard: enrollments with a "Complete course" button
  GET  /healthz                           {"status": "ok"}

Fault injection applies to the enrollment endpoint only. It sleeps `latency_ms` first, then answers 503
{"error": "simulated failure"} with probability `fail_rate`, or 503 {"error": "partner is down"} while `down`
is true (the connection stays open: a clean 503 is easier to assert on than a reset). Either way nothing is
created, so a retry with the same Idempotency-Key creates the enrollment exactly once.
"""

from __future__ import annotations

import argparse
import hmac
import html
import json
import os
import random
import re
import secrets
import signal
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests
from standardwebhooks.webhooks import Webhook

PARTNERS: dict[str, str] = {
    "hsi": "HSI",
    "certiport": "Certiport",
    "careersafe": "CareerSafe",
    "jri": "JRI",
    "milady": "Milady",
}
SECRET_PREFIX = "PARTNER_WEBHOOK_SECRET"
API_KEY_PREFIX = "PARTNER_API_KEY_"
MAX_BODY = 1024 * 1024
MAX_LATENCY_MS = 600_000
WEBHOOK_TIMEOUT = 10.0

ENROLL_PATH = re.compile(r"^/partners/([^/]+)/enrollments/?$")
LAUNCH_PATH = re.compile(r"^/partners/([^/]+)/launch/([^/]+)$")
CERTIFICATE_PATH = re.compile(r"^/partners/([^/]+)/certificates/([^/]+)$")

JSON = "application/json"
HTML = "text/html; charset=utf-8"


def now_iso() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def signing_secrets_from_env(environ: Any = os.environ) -> dict[str, str]:
    """{slug: the secret that signs its webhooks}: `PARTNER_WEBHOOK_SECRET_<SLUG>`, else the shared
    `PARTNER_WEBHOOK_SECRET`; of several space-separated secrets (a rotation), the last one."""
    shared = (environ.get(SECRET_PREFIX) or "").split()
    chosen: dict[str, str] = {}
    for slug in PARTNERS:
        own = (environ.get(f"{SECRET_PREFIX}_{slug.upper()}") or "").split()
        if own or shared:
            chosen[slug] = (own or shared)[-1]
    return chosen


def api_keys_from_env(environ: Any = os.environ) -> dict[str, str]:
    """{slug: API key} for the partners whose `PARTNER_API_KEY_<SLUG>` is set and not blank."""
    keys = {slug: (environ.get(API_KEY_PREFIX + slug.upper()) or "").strip() for slug in PARTNERS}
    return {slug: key for slug, key in keys.items() if key}


class RequestError(Exception):
    """An answer other than success: an HTTP status and a message for {"error": ...}."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Settings:
    fail_rate: float = 0.0
    latency_ms: int = 0
    down: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"fail_rate": self.fail_rate, "latency_ms": self.latency_ms, "down": self.down}


@dataclass
class Enrollment:
    partner: str
    external_enrollment_id: str
    reference: str
    idempotency_key: str
    student: dict[str, Any]
    program: dict[str, Any]
    launch_url: str
    response: bytes  # the exact 201 body, replayed for a repeated Idempotency-Key
    created_at: str = field(default_factory=now_iso)
    created_monotonic: float = field(default_factory=time.monotonic)
    completed: bool = False
    percent: float | None = None
    certificate_id: str | None = None
    last_result: str = ""

    @property
    def student_email(self) -> str:
        email = self.student.get("email")
        return email if isinstance(email, str) else ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "external_enrollment_id": self.external_enrollment_id,
            "reference": self.reference,
            "idempotency_key": self.idempotency_key,
            "student_email": self.student_email,
            "completed": self.completed,
            "created_at": self.created_at,
            "launch_url": self.launch_url,
        }


class Simulator:
    """All state, behind one lock. HTTP-free, so the handler stays a thin translation layer."""

    def __init__(
        self,
        *,
        app_url: str,
        base_url: str,
        signing_secrets: dict[str, str],
        api_keys: dict[str, str],
        settings: Settings,
        webhook_retries: int = 5,
        webhook_backoff: float = 0.2,
        auto_complete_seconds: float | None = None,
        log: Any = None,
    ) -> None:
        self.app_url = app_url.rstrip("/")
        self.base_url = base_url.rstrip("/")
        self.signers = {slug: Webhook(secret) for slug, secret in signing_secrets.items()}
        self.api_keys = api_keys
        self.initial_settings = Settings(**settings.as_dict())
        self.webhook_retries = webhook_retries
        self.webhook_backoff = webhook_backoff
        self.auto_complete_seconds = auto_complete_seconds
        self.log = log or (lambda message: None)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._reset_locked()
        self._auto_thread: threading.Thread | None = None
        if auto_complete_seconds:
            self._auto_thread = threading.Thread(target=self._auto_complete_loop, name="auto-complete", daemon=True)
            self._auto_thread.start()

    # --- state --------------------------------------------------------------------------------

    def _reset_locked(self) -> None:
        self.settings = Settings(**self.initial_settings.as_dict())
        self.calls = self.created = self.replays = self.failed = 0
        self.enrollments: list[Enrollment] = []
        self.by_key: dict[tuple[str, str], Enrollment] = {}
        self.by_external_id: dict[tuple[str, str], Enrollment] = {}
        self.auto_queue: list[Enrollment] = []  # creation order = due order (the delay is constant)

    def reset(self) -> None:
        with self.lock:
            self._reset_locked()

    def stop(self) -> None:
        self.stopping.set()
        if self._auto_thread:
            self._auto_thread.join(timeout=5)

    def get_settings(self) -> dict[str, Any]:
        with self.lock:
            return self.settings.as_dict()

    def update_settings(self, changes: Any) -> dict[str, Any]:
        if not isinstance(changes, dict):
            raise RequestError(400, "the body must be a JSON object")
        unknown = sorted(set(changes) - {"fail_rate", "latency_ms", "down"})
        if unknown:
            raise RequestError(422, f"unknown settings: {', '.join(unknown)}")
        if "fail_rate" in changes and not (is_number(changes["fail_rate"]) and 0 <= changes["fail_rate"] <= 1):
            raise RequestError(422, "fail_rate must be a number from 0 to 1")
        latency = changes.get("latency_ms", 0)
        if not (isinstance(latency, int) and not isinstance(latency, bool) and 0 <= latency <= MAX_LATENCY_MS):
            raise RequestError(422, f"latency_ms must be an integer from 0 to {MAX_LATENCY_MS}")
        if "down" in changes and not isinstance(changes["down"], bool):
            raise RequestError(422, "down must be true or false")
        with self.lock:
            if "fail_rate" in changes:
                self.settings.fail_rate = float(changes["fail_rate"])
            if "latency_ms" in changes:
                self.settings.latency_ms = latency
            if "down" in changes:
                self.settings.down = changes["down"]
            return self.settings.as_dict()

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "calls": self.calls,
                "created": self.created,
                "replays": self.replays,
                "failed": self.failed,
                "enrollments": [e.as_dict() for e in self.enrollments],
                "settings": self.settings.as_dict(),
            }

    def snapshot(self) -> tuple[list[Enrollment], dict[str, Any]]:
        with self.lock:
            return list(self.enrollments), self.settings.as_dict()

    def find(self, partner: str, external_enrollment_id: str) -> Enrollment | None:
        with self.lock:
            return self.by_external_id.get((partner, external_enrollment_id))

    # --- the enrollment API -------------------------------------------------------------------

    def begin_call(self) -> tuple[float, str | None]:
        """Counts an enrollment call and decides its injected fault: (latency in s, failure message)."""
        with self.lock:
            self.calls += 1
            s = self.settings
            failure = None
            if s.down:
                failure = "partner is down"
            elif s.fail_rate and random.random() < s.fail_rate:
                failure = "simulated failure"
            if failure:
                self.failed += 1
            return s.latency_ms / 1000, failure

    def check_auth(self, slug: str, authorization: str | None) -> None:
        expected = self.api_keys.get(slug)
        if expected is None:
            return
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
            raise RequestError(401, "missing or invalid API key (Authorization: Bearer <key>)")

    def enroll(self, slug: str, key: str, payload: Any) -> tuple[int, bytes]:
        if not isinstance(payload, dict):
            raise RequestError(400, "the body must be a JSON object")
        reference = payload.get("reference")
        if not isinstance(reference, str) or not reference.strip():
            raise RequestError(422, "reference is required (our step id)")
        student = payload.get("student") if isinstance(payload.get("student"), dict) else {}
        program = payload.get("program") if isinstance(payload.get("program"), dict) else {}
        with self.lock:
            prior = self.by_key.get((slug, key))
            if prior is not None:
                self.replays += 1
                return 200, prior.response
            while True:
                external_id = f"{slug.upper()}-{secrets.token_hex(4).upper()}"
                if (slug, external_id) not in self.by_external_id:
                    break
            launch_url = f"{self.base_url}/partners/{slug}/launch/{external_id}"
            body = {"external_enrollment_id": external_id, "launch_url": launch_url, "reference": reference}
            enrollment = Enrollment(
                partner=slug,
                external_enrollment_id=external_id,
                reference=reference,
                idempotency_key=key,
                student=student,
                program=program,
                launch_url=launch_url,
                response=json.dumps(body).encode(),
            )
            self.enrollments.append(enrollment)
            self.by_key[(slug, key)] = enrollment
            self.by_external_id[(slug, external_id)] = enrollment
            self.created += 1
            if self.auto_complete_seconds:
                self.auto_queue.append(enrollment)
            return 201, enrollment.response

    # --- webhooks to the app ------------------------------------------------------------------

    def locate(self, request: Any) -> Enrollment:
        """The enrollment named by {"partner", "external_enrollment_id"} or by {"reference"[, "partner"]}."""
        if not isinstance(request, dict):
            raise RequestError(400, "the body must be a JSON object")
        partner, external_id, reference = (request.get(k) for k in ("partner", "external_enrollment_id", "reference"))
        if partner is not None and partner not in PARTNERS:
            raise RequestError(404, f"unknown partner {partner!r}")
        if external_id is not None:
            if partner is None:
                raise RequestError(422, "partner is required with external_enrollment_id")
            found = self.find(partner, str(external_id))
            if found is None:
                raise RequestError(404, f"no enrollment {external_id!r} at {partner}")
            return found
        if reference is None:
            raise RequestError(422, "give partner and external_enrollment_id, or reference")
        with self.lock:
            matches = [e for e in self.enrollments if e.reference == str(reference) and partner in (None, e.partner)]
        if not matches:
            raise RequestError(404, f"no enrollment with reference {reference!r}")
        if len({e.partner for e in matches}) > 1:
            raise RequestError(409, "several partners have this reference; give partner as well")
        return matches[-1]

    def deliver(self, slug: str, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        """POST one signed event to the app. Retries connection errors and 5xx with the same
        webhook-id and body, re-signed with a fresh timestamp each time (docs/partners.md)."""
        signer = self.signers.get(slug)
        if signer is None:
            raise RequestError(
                500, f"no webhook secret for {slug}: set {SECRET_PREFIX}_{slug.upper()} or {SECRET_PREFIX}"
            )
        body = json.dumps({"type": kind, "timestamp": now_iso(), "data": data})
        msg_id = f"msg_{uuid.uuid4().hex}"
        url = f"{self.app_url}/api/webhooks/partners/{slug}"
        delay = self.webhook_backoff
        attempt = 0
        while True:
            attempt += 1
            signed_at = datetime.now(tz=UTC)
            headers = {
                "content-type": JSON,
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(signed_at.timestamp())),
                "webhook-signature": signer.sign(msg_id, signed_at, body),
            }
            result: dict[str, Any] = {"type": kind, "webhook_id": msg_id, "attempts": attempt}
            retry_after = 0.0
            try:
                response = requests.post(url, data=body.encode(), headers=headers, timeout=WEBHOOK_TIMEOUT)
            except requests.RequestException as exc:
                result.update(status_code=None, body=None, error=f"{type(exc).__name__}: {exc}")
            else:
                try:
                    answer: Any = response.json()
                except ValueError:
                    answer = response.text[:2000]
                result.update(status_code=response.status_code, body=answer)
                if response.status_code < 500:
                    return result
                header = response.headers.get("Retry-After", "")
                retry_after = min(float(header), 5.0) if header.isdigit() else 0.0
            if attempt > self.webhook_retries or self.stopping.is_set():
                self.log(f"{kind} for {data.get('external_enrollment_id')} not delivered after {attempt} attempts")
                return result
            time.sleep(max(delay, retry_after))
            delay *= 2

    @staticmethod
    def _failed(delivery: dict[str, Any]) -> bool:
        return delivery["status_code"] is None or delivery["status_code"] >= 500

    def complete(self, enrollment: Enrollment, certificate: bool = True, score: Any = None) -> tuple[int, dict]:
        """Send course.completed (and certificate.issued). 200, or 502 when the app could not be
        reached or kept answering 5xx; later events are not attempted after such a failure."""
        if score is not None and not is_number(score):
            raise RequestError(422, "score must be a number")
        if not isinstance(certificate, bool):
            raise RequestError(422, "certificate must be true or false")
        slug, ext = enrollment.partner, enrollment.external_enrollment_id
        now = now_iso()
        events: list[tuple[str, dict[str, Any]]] = [
            ("course.completed", {"external_enrollment_id": ext, "completed_at": now, "score": score})
        ]
        if certificate:
            cert_id = enrollment.certificate_id or f"{slug.upper()}-CERT-{secrets.token_hex(4).upper()}"
            events.append(
                (
                    "certificate.issued",
                    {
                        "external_enrollment_id": ext,
                        "certificate_id": cert_id,
                        "certificate_url": f"{self.base_url}/partners/{slug}/certificates/{quote(cert_id)}",
                        "issued_at": now,
                    },
                )
            )
        deliveries = []
        for kind, data in events:
            delivery = self.deliver(slug, kind, data)
            deliveries.append(delivery)
            ok = delivery["status_code"] is not None and 200 <= delivery["status_code"] < 300
            with self.lock:
                if ok and kind == "course.completed":
                    enrollment.completed = True
                if ok and kind == "certificate.issued":
                    enrollment.certificate_id = data["certificate_id"]
            if self._failed(delivery):
                break
        status = 502 if any(self._failed(d) for d in deliveries) else 200
        summary = "; ".join(f"{d['type']} → {d['status_code'] or 'unreachable'}" for d in deliveries)
        with self.lock:
            enrollment.last_result = summary
        self.log(f"complete {slug} {ext}: {summary}")
        return status, {"deliveries": deliveries}

    def progress(self, enrollment: Enrollment, percent: Any) -> tuple[int, dict]:
        if not is_number(percent) or not 0 <= percent <= 100:
            raise RequestError(422, "percent must be a number from 0 to 100")
        data = {"external_enrollment_id": enrollment.external_enrollment_id, "percent": percent}
        delivery = self.deliver(enrollment.partner, "progress.updated", data)
        with self.lock:
            if delivery["status_code"] is not None and 200 <= delivery["status_code"] < 300:
                enrollment.percent = percent
            enrollment.last_result = f"progress.updated → {delivery['status_code'] or 'unreachable'}"
        return (502 if self._failed(delivery) else 200), {"deliveries": [delivery]}

    def _auto_complete_loop(self) -> None:
        assert self.auto_complete_seconds is not None
        while not self.stopping.wait(0.05):
            due: list[Enrollment] = []
            with self.lock:
                cutoff = time.monotonic() - self.auto_complete_seconds
                while self.auto_queue and self.auto_queue[0].created_monotonic <= cutoff:
                    due.append(self.auto_queue.pop(0))
            for enrollment in due:
                if enrollment.completed or self.stopping.is_set():
                    continue
                try:
                    self.complete(enrollment)
                except RequestError as exc:
                    self.log(f"auto-complete {enrollment.external_enrollment_id}: {exc.message}")
                except Exception:  # never let the demo thread die
                    self.log(f"auto-complete {enrollment.external_enrollment_id} failed:\n{traceback.format_exc()}")


# --- HTML ---------------------------------------------------------------------------------------

PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}.msg{background:#eef;padding:.5rem}"
    "code{background:#f4f4f4;padding:0 .2rem}"
)


def page(title: str, body: str) -> bytes:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{PAGE_STYLE}</style></head><body>{body}</body></html>"
    ).encode()


def dashboard(sim: Simulator, message: str | None) -> bytes:
    enrollments, settings = sim.snapshot()
    e = html.escape
    rows = []
    for item in reversed(enrollments):
        if item.completed:
            action = "completed"
        else:
            action = (
                "<form method='post' action='/_complete_form'>"
                f"<input type='hidden' name='partner' value='{e(item.partner)}'>"
                f"<input type='hidden' name='external_enrollment_id' value='{e(item.external_enrollment_id)}'>"
                "<button type='submit'>Complete course</button></form>"
            )
        rows.append(
            f"<tr><td>{e(PARTNERS[item.partner])}</td>"
            f"<td><a href='{e(item.launch_url)}'>{e(item.external_enrollment_id)}</a></td>"
            f"<td>{e(item.student_email)}</td><td>{e(item.reference)}</td><td>{e(item.created_at)}</td>"
            f"<td>{action}</td><td>{e(item.last_result)}</td></tr>"
        )
    table = (
        "<table><tr><th>Partner</th><th>External id</th><th>Student</th><th>Reference</th><th>Created</th>"
        "<th>Status</th><th>Last webhook</th></tr>" + "".join(rows) + "</table>"
        if rows
        else "<p>No enrollments yet.</p>"
    )
    faults = ", ".join(f"{e(k)} = <code>{e(json.dumps(v))}</code>" for k, v in settings.items())
    notice = f"<p class='msg'>{e(message)}</p>" if message else ""
    return page(
        "Partner simulator",
        f"<h1>Partner simulator</h1>{notice}"
        f"<p>Webhooks go to <code>{e(sim.app_url)}</code>. Fault settings: {faults} "
        "(change them with <code>POST /_control</code>).</p>"
        f"<h2>Enrollments ({len(enrollments)})</h2>{table}",
    )


# --- HTTP ---------------------------------------------------------------------------------------


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # bursts of concurrent clients must not overflow the listen backlog

    def __init__(self, address: tuple[str, int], sim: Simulator | None, quiet: bool = False) -> None:
        super().__init__(address, Handler)
        self.sim: Simulator = sim  # type: ignore[assignment]  # set right after binding when None
        self.quiet = quiet


class Handler(BaseHTTPRequestHandler):
    server: SimulatorServer
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    server_version = "PartnerSimulator/1.0"
    wbufsize = 64 * 1024  # headers and body leave in one write (flushed after each request)
    disable_nagle_algorithm = True

    # --- plumbing ---

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if not self.server.quiet:
            sys.stderr.write(f"[partner-sim] {self.command} {self.path} {code}\n")

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            sys.stderr.write(f"[partner-sim] {format % args}\n")

    def send_body(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
        self.send_body(status, json.dumps(value).encode(), JSON, headers)

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            raise RequestError(411, "send a Content-Length (chunked bodies are not supported)")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise RequestError(400, "invalid Content-Length") from None
        if length < 0 or length > MAX_BODY:
            self.close_connection = True  # the body stays unread, so this connection cannot be reused
            raise RequestError(413, f"the body must be at most {MAX_BODY} bytes")
        return self.rfile.read(length) if length else b""

    @staticmethod
    def parse_json(raw: bytes) -> Any:
        try:
            return json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise RequestError(400, "the body is not valid JSON") from None

    def dispatch(self, routes: Any) -> None:
        try:
            routes()
        except RequestError as exc:
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
            self.send_json(exc.status, {"error": exc.message}, headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            sys.stderr.write(f"[partner-sim] internal error on {self.command} {self.path}\n{traceback.format_exc()}")
            self.close_connection = True
            self.send_json(500, {"error": "internal error in the partner simulator"})

    def do_GET(self) -> None:
        self.dispatch(self.route_get)

    def do_HEAD(self) -> None:
        self.dispatch(self.route_get)

    def do_POST(self) -> None:
        self.dispatch(self.route_post)

    # --- routes ---

    def route_get(self) -> None:
        url = urlsplit(self.path)
        path, sim = url.path, self.server.sim
        if path == "/":
            message = parse_qs(url.query).get("msg", [None])[0]
            self.send_body(200, dashboard(sim, message), HTML)
        elif path == "/healthz":
            self.send_json(200, {"status": "ok"})
        elif path == "/_control":
            self.send_json(200, sim.get_settings())
        elif path == "/_stats":
            self.send_json(200, sim.stats())
        elif match := LAUNCH_PATH.match(path):
            self.launch_page(match.group(1), match.group(2))
        elif match := CERTIFICATE_PATH.match(path):
            self.certificate_page(match.group(1), match.group(2))
        elif path in {"/_reset", "/_complete", "/_progress", "/_complete_form"} or ENROLL_PATH.match(path):
            self.send_json(405, {"error": "use POST"}, {"Allow": "POST"})
        else:
            self.send_json(404, {"error": f"no route for GET {path}"})

    def route_post(self) -> None:
        raw = self.read_body()  # always read it, so a keep-alive connection stays in sync
        path, sim = urlsplit(self.path).path, self.server.sim
        if match := ENROLL_PATH.match(path):
            self.enroll(match.group(1), raw)
        elif path == "/_control":
            self.send_json(200, sim.update_settings(self.parse_json(raw)))
        elif path == "/_reset":
            sim.reset()
            self.send_json(200, sim.stats())
        elif path == "/_complete":
            request = self.parse_json(raw)
            enrollment = sim.locate(request)
            status, answer = sim.complete(enrollment, request.get("certificate", True), request.get("score"))
            self.send_json(status, answer)
        elif path == "/_progress":
            request = self.parse_json(raw)
            enrollment = sim.locate(request)
            status, answer = sim.progress(enrollment, request.get("percent"))
            self.send_json(status, answer)
        elif path == "/_complete_form":
            self.complete_form(raw)
        elif path == "/" or path == "/_stats" or LAUNCH_PATH.match(path) or CERTIFICATE_PATH.match(path):
            self.send_json(405, {"error": "use GET"}, {"Allow": "GET"})
        else:
            self.send_json(404, {"error": f"no route for POST {path}"})

    def enroll(self, slug: str, raw: bytes) -> None:
        sim = self.server.sim
        if slug not in PARTNERS:
            raise RequestError(404, f"unknown partner {slug!r}; known: {', '.join(PARTNERS)}")
        latency, failure = sim.begin_call()
        if latency:
            time.sleep(latency)
        if failure:
            raise RequestError(503, failure)
        sim.check_auth(slug, self.headers.get("Authorization"))
        key = (self.headers.get("Idempotency-Key") or "").strip()
        if not key:
            raise RequestError(400, "the Idempotency-Key header is required")
        if len(key) > 255:
            raise RequestError(400, "the Idempotency-Key header is longer than 255 characters")
        status, body = sim.enroll(slug, key, self.parse_json(raw))
        self.send_body(status, body, JSON)

    def complete_form(self, raw: bytes) -> None:
        """The dashboard's button: complete, then 303 back to / with a one-line result."""
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        sim = self.server.sim
        try:
            enrollment = sim.locate({k: form.get(k) for k in ("partner", "external_enrollment_id")})
            status, answer = sim.complete(enrollment)
            outcome = "; ".join(f"{d['type']} → {d['status_code'] or 'app unreachable'}" for d in answer["deliveries"])
            message = f"{enrollment.external_enrollment_id}: {outcome}"
        except RequestError as exc:
            message = f"error: {exc.message}"
        self.send_body(303, b"", "text/plain", {"Location": "/?" + urlencode({"msg": message})})

    def launch_page(self, slug: str, external_id: str) -> None:
        if slug not in PARTNERS:
            self.send_body(404, page("Unknown partner", "<h1>Unknown partner</h1>"), HTML)
            return
        name, e = PARTNERS[slug], html.escape
        enrollment = self.server.sim.find(slug, external_id)
        who = ""
        if enrollment is not None:
            student = enrollment.student.get("name") or enrollment.student_email
            course = enrollment.program.get("name") or enrollment.program.get("slug") or ""
            who = f"<p>Welcome, {e(str(student))}.</p><p>Course: {e(str(course))}</p>"
        body = f"<h1>Training at {e(name)}</h1>{who}<p>Enrollment <code>{e(external_id)}</code></p>"
        self.send_body(200, page(f"Training at {name}", body), HTML)

    def certificate_page(self, slug: str, certificate_id: str) -> None:
        if slug not in PARTNERS:
            self.send_body(404, page("Unknown partner", "<h1>Unknown partner</h1>"), HTML)
            return
        name, e = PARTNERS[slug], html.escape
        body = (
            f"<h1>Certificate of completion</h1><p>Issued by {e(name)}</p>"
            f"<p>Certificate <code>{e(certificate_id)}</code></p>"
        )
        self.send_body(200, page(f"{name} certificate", body), HTML)


# --- command line -------------------------------------------------------------------------------


def fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be from 0 to 1")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="partner-simulator", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--port",
        type=non_negative_int,
        default=8099,
        help="port to listen on, 0 for any free one (default: %(default)s)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument(
        "--app-url",
        default="http://127.0.0.1:5000",
        help="our app's base URL, where webhooks go (default: %(default)s)",
    )
    parser.add_argument("--public-url", help="base URL for launch and certificate links (default: http://HOST:PORT)")
    parser.add_argument(
        "--fail-rate",
        type=fraction,
        default=0.0,
        help="probability (0..1) that an enrollment call answers 503 (default: 0)",
    )
    parser.add_argument(
        "--latency-ms", type=non_negative_int, default=0, help="delay before every enrollment answer (default: 0)"
    )
    parser.add_argument(
        "--auto-complete-seconds",
        type=positive_float,
        metavar="N",
        help="complete each new enrollment (course.completed + certificate.issued) N seconds after its creation "
        "(default: off)",
    )
    parser.add_argument(
        "--webhook-retries",
        type=non_negative_int,
        default=5,
        help="retries per webhook on connection errors or 5xx (default: %(default)s)",
    )
    parser.add_argument(
        "--webhook-backoff-ms",
        type=non_negative_int,
        default=200,
        help="first retry delay, doubled each time (default: %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each request to stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signing = signing_secrets_from_env()
    for slug, secret in signing.items():
        try:
            Webhook(secret)
        except Exception as exc:
            print(
                f"partner simulator: the webhook secret for {slug} is not a valid whsec_ secret ({exc})",
                file=sys.stderr,
            )
            return 2
    try:
        server = SimulatorServer((args.host, args.port), None, quiet=args.quiet)
    except OSError as exc:
        print(f"partner simulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    port = server.server_address[1]
    link_host = "127.0.0.1" if args.host in ("", "0.0.0.0") else args.host
    server.sim = Simulator(
        app_url=args.app_url,
        base_url=args.public_url or f"http://{link_host}:{port}",
        signing_secrets=signing,
        api_keys=api_keys_from_env(),
        settings=Settings(fail_rate=args.fail_rate, latency_ms=args.latency_ms),
        webhook_retries=args.webhook_retries,
        webhook_backoff=args.webhook_backoff_ms / 1000,
        auto_complete_seconds=args.auto_complete_seconds,
        log=lambda message: sys.stderr.write(f"[partner-sim] {message}\n"),
    )
    missing = [slug for slug in PARTNERS if slug not in signing]
    if missing:
        sys.stderr.write(
            f"[partner-sim] no webhook secret for {', '.join(missing)}: /_complete and /_progress will answer 500 "
            f"for them (set {SECRET_PREFIX} or {SECRET_PREFIX}_<SLUG>)\n"
        )

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="serve", daemon=True)
    serving.start()
    print(f"partner simulator listening on http://{args.host}:{port}", flush=True)
    stop.wait()
    server.shutdown()
    server.server_close()
    server.sim.stop()
    sys.stderr.write("[partner-sim] stopped\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
