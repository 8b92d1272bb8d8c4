"""The simulator's state, HTTP-free: the partners, the fault settings, the enrollments it created
(kept in a JSON file with --state-file, so a restart forgets nothing) or found linked in our
database (devtools.partner_simulator.database), and the signed webhooks it sends to the app."""

from __future__ import annotations

import hmac
import json
import os
import random
import secrets
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

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

JSON = "application/json"


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
