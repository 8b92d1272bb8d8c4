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
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from standardwebhooks.webhooks import Webhook

from .database import Database, DatabaseError

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
    source: str = "simulator"  # or "database": a step linked in our database, adopted to complete it

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
            "source": self.source,
        }

    # the state file: everything but the monotonic clock
    KEPT = (
        "partner",
        "external_enrollment_id",
        "reference",
        "idempotency_key",
        "student",
        "program",
        "launch_url",
        "created_at",
        "completed",
        "percent",
        "certificate_id",
        "last_result",
        "source",
    )

    def to_state(self) -> dict[str, Any]:
        return {**{k: getattr(self, k) for k in self.KEPT}, "response": self.response.decode()}

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Enrollment:
        return cls(**{k: data[k] for k in cls.KEPT if k in data}, response=data.get("response", "").encode())


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
        state_file: Path | None = None,
        database: Database | None = None,
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
        self.state_file = state_file
        self.database = database
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._reset_locked()
        self._load()
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

    def _register_locked(self, enrollment: Enrollment) -> None:
        self.enrollments.append(enrollment)
        if enrollment.idempotency_key:
            self.by_key[(enrollment.partner, enrollment.idempotency_key)] = enrollment
        self.by_external_id[(enrollment.partner, enrollment.external_enrollment_id)] = enrollment

    def _load(self) -> None:
        """The enrollments of earlier runs (--state-file); unfinished ones are auto-completed again."""
        if self.state_file is None or not self.state_file.exists():
            return
        try:
            saved = json.loads(self.state_file.read_text())
            loaded = [Enrollment.from_state(item) for item in saved.get("enrollments", [])]
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise SystemExit(f"partner simulator: {self.state_file} is not a state file it wrote ({exc})") from None
        with self.lock:
            for enrollment in loaded:
                if enrollment.partner in PARTNERS:
                    self._register_locked(enrollment)
                    if self.auto_complete_seconds and not enrollment.completed:
                        self.auto_queue.append(enrollment)
        self.log(f"{len(loaded)} enrollment(s) from {self.state_file}")

    def _save_locked(self) -> None:
        """Write the enrollments to the state file (atomically: a crash leaves the old one)."""
        if self.state_file is None:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_file.with_name(self.state_file.name + ".tmp")
        temporary.write_text(json.dumps({"enrollments": [e.to_state() for e in self.enrollments]}, indent=1))
        os.replace(temporary, self.state_file)

    def reset(self) -> None:
        with self.lock:
            self._reset_locked()
            self._save_locked()

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
            self._register_locked(enrollment)
            self._save_locked()
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
            found = self.find(partner, str(external_id)) or self.adopt(partner, str(external_id), None)
            if found is None:
                raise RequestError(404, f"no enrollment {external_id!r} at {partner}")
            return found
        if reference is None:
            raise RequestError(422, "give partner and external_enrollment_id, or reference")
        with self.lock:
            matches = [e for e in self.enrollments if e.reference == str(reference) and partner in (None, e.partner)]
        if not matches:
            adopted = self.adopt(partner, None, str(reference))
            if adopted is not None:
                return adopted
            raise RequestError(404, f"no enrollment with reference {reference!r}")
        if len({e.partner for e in matches}) > 1:
            raise RequestError(409, "several partners have this reference; give partner as well")
        return matches[-1]

    def adopt(self, partner: str | None, external_id: str | None, reference: str | None) -> Enrollment | None:
        """A step our database has linked at a partner, that this simulator did not create (demo
        data, linked by hand, an earlier run without a state file): taken into the state so it can
        be completed like the others. None without --database-url or when the database has none."""
        if self.database is None:
            return None
        try:
            row = self.database.find(partner, external_id, reference)
        except DatabaseError as exc:
            raise RequestError(503, f"the database could not be read: {exc}") from None
        if row is None or row["partner"] not in PARTNERS:
            return None
        with self.lock:
            known = self.by_external_id.get((row["partner"], row["external_enrollment_id"]))
            if known is not None:
                return known
            enrollment = Enrollment(
                partner=row["partner"],
                external_enrollment_id=row["external_enrollment_id"],
                reference=row["reference"],
                idempotency_key="",
                student={"email": row["student_email"], "name": row["student_name"]},
                program={"name": row["program_name"]},
                launch_url=row["launch_url"] or "",
                response=b"",
                completed=row["status"] == "completed",
                source="database",
            )
            self._register_locked(enrollment)
            self._save_locked()
            return enrollment

    def listing(self) -> tuple[list[dict[str, Any]], str | None]:
        """Every enrollment to show: the database's partner steps (with --database-url), each with
        what this simulator knows of it, then the simulator's own enrollments the database does
        not have. The second value says why the database could not be read, if it could not."""
        rows: list[dict[str, Any]] = []
        problem = None
        seen: set[tuple[str, str]] = set()
        if self.database is not None:
            try:
                steps = self.database.steps()
            except DatabaseError as exc:
                steps, problem = [], str(exc)
            with self.lock:
                for step in steps:
                    key = (step["partner"], step["external_enrollment_id"])
                    seen.add(key)
                    mine = self.by_external_id.get(key)
                    rows.append(
                        {
                            **step,
                            "status": step["status"].replace("_", " "),
                            "can_complete": step["status"] != "completed" and step["partner"] in PARTNERS,
                            "last_result": mine.last_result if mine else "",
                        }
                    )
        with self.lock:
            for e in reversed(self.enrollments):
                if (e.partner, e.external_enrollment_id) in seen:
                    continue
                status = "completed" if e.completed else "enrolled"
                if self.database is not None and problem is None:
                    status += " (not in the database)"
                rows.append(
                    {
                        "partner": e.partner,
                        "external_enrollment_id": e.external_enrollment_id,
                        "reference": e.reference,
                        "status": status,
                        "launch_url": e.launch_url,
                        "student_email": e.student_email,
                        "program_name": str(e.program.get("name") or e.program.get("slug") or ""),
                        "can_complete": not e.completed,
                        "last_result": e.last_result,
                    }
                )
        return rows, problem

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
            self._save_locked()
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
            self._save_locked()
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
