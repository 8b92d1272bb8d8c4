"""devtools/partner_simulator (the package), run for real: a subprocess on a free loopback port, talked to over HTTP,
sending its webhooks to a small receiving server in this process that verifies every signature."""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from devtools.cluster import free_port
from tests.py.services import wait_for

REPO = Path(__file__).resolve().parents[2]


def _secret(seed: bytes) -> str:
    return "whsec_" + base64.b64encode(seed.ljust(32, b"-")).decode()


HSI_OLD, HSI_NEW, SHARED = _secret(b"hsi-old"), _secret(b"hsi-new"), _secret(b"shared")
JRI_API_KEY = "jri-test-api-key"
# what the app would accept: HSI signs with the last of its rotation pair, the others with the shared one
RECEIVER_SECRETS = {"hsi": HSI_NEW, "*": SHARED}


# --- the app's side: a webhook receiver --------------------------------------------------------


@dataclass
class Receiver:
    """Verifies each POST /api/webhooks/partners/<slug> like the app does and records it.
    `script` is a list of status codes to answer before verified requests get 200."""

    url: str = ""
    events: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.events.clear()
            self.rejected.clear()
            self.script.clear()

    def of_type(self, kind: str) -> list[dict]:
        with self.lock:
            return [e for e in self.events if e["body"]["type"] == kind]


def _receiver_handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            match = re.fullmatch(r"/api/webhooks/partners/([a-z]+)", self.path)
            slug = match.group(1) if match else None
            headers = {k.lower(): v for k, v in self.headers.items()}
            secret = RECEIVER_SECRETS.get(slug or "", RECEIVER_SECRETS["*"])
            try:
                body = Webhook(secret).verify(raw, headers)
            except WebhookVerificationError as exc:
                with receiver.lock:
                    receiver.rejected.append({"slug": slug, "headers": headers, "error": str(exc)})
                status, answer = 401, {"status": "invalid_signature"}
            else:
                record = {"slug": slug, "headers": headers, "raw": raw, "body": body}
                with receiver.lock:
                    status = receiver.script.pop(0) if receiver.script else 200
                    receiver.events.append({**record, "answered": status})
                answer = {"status": "processed" if status == 200 else "unavailable"}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[Receiver]:
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _receiver_handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.clear()
    return receiver_server


# --- the simulator as a subprocess -------------------------------------------------------------


@dataclass
class Simulator:
    url: str
    proc: subprocess.Popen
    log: Path

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return requests.post(self.url + path, json=body if body is not None else {}, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=30, **kwargs)

    def enroll(
        self, slug: str = "hsi", key: str | None = None, headers: dict[str, str] | None = None, **fields: Any
    ) -> requests.Response:
        """POST an enrollment; `fields` override the body's, and a field given as None is left out."""
        body = {
            "reference": str(uuid.uuid4()),
            "student": {"id": str(uuid.uuid4()), "email": "s@test.local", "name": "Sam Student"},
            "program": {"slug": "cna", "name": "CNA"},
            **fields,
        }
        body = {k: v for k, v in body.items() if v is not None}
        sent = {"Idempotency-Key": key or uuid.uuid4().hex, **(headers or {})}
        return requests.post(f"{self.url}/partners/{slug}/enrollments", json=body, headers=sent, timeout=30)

    def stats(self) -> dict:
        return self.get("/_stats").json()


@contextmanager
def run_simulator(tmp_path: Path, app_url: str, *args: str, env: dict[str, str] | None = None) -> Iterator[Simulator]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PARTNER_WEBHOOK_SECRET", "PARTNER_API_KEY"))}
    port = free_port()
    log = tmp_path / f"simulator-{port}.log"
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devtools.partner_simulator",
                "--port",
                str(port),
                "--app-url",
                app_url,
                "--webhook-backoff-ms",
                "10",
                *args,
            ],
            cwd=REPO,
            env={**clean, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    try:
        try:
            first = lines.get(timeout=15)
        except queue.Empty:
            raise AssertionError(f"the simulator did not start:\n{log.read_text()}") from None
        assert first.strip() == f"partner simulator listening on http://127.0.0.1:{port}"
        yield Simulator(f"http://127.0.0.1:{port}", proc, log)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


SHARED_ENV = {
    "PARTNER_WEBHOOK_SECRET_HSI": f"{HSI_OLD} {HSI_NEW}",
    "PARTNER_WEBHOOK_SECRET": SHARED,
    "PARTNER_API_KEY_JRI": JRI_API_KEY,
}


@pytest.fixture(scope="module")
def shared_sim(tmp_path_factory: pytest.TempPathFactory, receiver_server: Receiver) -> Iterator[Simulator]:
    with run_simulator(tmp_path_factory.mktemp("sim"), receiver_server.url, env=SHARED_ENV) as sim:
        yield sim


@pytest.fixture
def sim(shared_sim: Simulator, receiver: Receiver) -> Simulator:
    """The module's simulator, reset to a clean state (and a clean receiver)."""
    assert shared_sim.proc.poll() is None, shared_sim.log.read_text()
    shared_sim.post("/_reset").raise_for_status()
    return shared_sim


# --- the enrollment API ------------------------------------------------------------------------


def test_enrollment_is_idempotent_by_key(sim: Simulator) -> None:
    reference = str(uuid.uuid4())
    first = sim.enroll("hsi", key="key-1", reference=reference)
    again = sim.enroll("hsi", key="key-1", reference=reference)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.content == first.content
    body = first.json()
    assert re.fullmatch(r"HSI-[0-9A-F]{8}", body["external_enrollment_id"])
    assert body["reference"] == reference
    assert body["launch_url"] == f"{sim.url}/partners/hsi/launch/{body['external_enrollment_id']}"

    other = sim.enroll("hsi", key="key-2")
    same_key_other_partner = sim.enroll("certiport", key="key-1")
    assert other.status_code == 201 and other.json()["external_enrollment_id"] != body["external_enrollment_id"]
    assert same_key_other_partner.status_code == 201
    assert same_key_other_partner.json()["external_enrollment_id"].startswith("CERTIPORT-")

    stats = sim.stats()
    assert (stats["calls"], stats["created"], stats["replays"], stats["failed"]) == (4, 3, 1, 0)
    listed = stats["enrollments"][0]
    assert listed["partner"] == "hsi" and listed["reference"] == reference
    assert listed["external_enrollment_id"] == body["external_enrollment_id"]
    assert listed["idempotency_key"] == "key-1" and listed["student_email"] == "s@test.local"
    assert listed["completed"] is False
    datetime.fromisoformat(listed["created_at"])


def test_concurrent_calls_with_one_key_create_one_enrollment(sim: Simulator) -> None:
    reference = str(uuid.uuid4())
    results: list[requests.Response] = []
    threads = [
        threading.Thread(target=lambda: results.append(sim.enroll("milady", key="same", reference=reference)))
        for _ in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [200] * 19 + [201]
    assert len({r.content for r in results}) == 1
    stats = sim.stats()
    assert (stats["created"], stats["replays"]) == (1, 19)


def test_launch_page(sim: Simulator) -> None:
    launch_url = sim.enroll("careersafe").json()["launch_url"]
    page = requests.get(launch_url, timeout=30)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Training at CareerSafe" in page.text
    assert "Sam Student" in page.text


def test_missing_key_missing_reference_and_unknown_partner(sim: Simulator) -> None:
    no_key = requests.post(f"{sim.url}/partners/hsi/enrollments", json={"reference": "r"}, timeout=30)
    assert no_key.status_code == 400
    assert "Idempotency-Key" in no_key.json()["error"]

    no_reference = sim.enroll("hsi", reference=None)
    assert no_reference.status_code == 422
    assert "reference" in no_reference.json()["error"]

    not_json = requests.post(
        f"{sim.url}/partners/hsi/enrollments", data=b"{nope", headers={"Idempotency-Key": "k"}, timeout=30
    )
    assert not_json.status_code == 400

    unknown = sim.enroll("acme")
    assert unknown.status_code == 404
    assert "error" in unknown.json()

    assert sim.stats()["created"] == 0


def test_api_key_required_when_configured(sim: Simulator) -> None:
    # PARTNER_API_KEY_JRI is set for this simulator; the other partners have none
    assert sim.enroll("jri").status_code == 401
    assert sim.enroll("jri", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert sim.enroll("jri", headers={"Authorization": JRI_API_KEY}).status_code == 401
    ok = sim.enroll("jri", headers={"Authorization": f"Bearer {JRI_API_KEY}"})
    assert ok.status_code == 201
    assert ok.json()["external_enrollment_id"].startswith("JRI-")
    assert sim.enroll("hsi", headers={"Authorization": "Bearer anything"}).status_code == 201
    assert sim.enroll("hsi").status_code == 201
    assert sim.stats()["created"] == 3


def test_injected_failures_create_nothing_and_a_retry_with_the_same_key_creates_once(sim: Simulator) -> None:
    assert sim.post("/_control", {"fail_rate": 1}).json() == {"fail_rate": 1.0, "latency_ms": 0, "down": False}
    reference = str(uuid.uuid4())
    for _ in range(3):
        failed = sim.enroll("hsi", key="retry-me", reference=reference)
        assert failed.status_code == 503
        assert failed.json() == {"error": "simulated failure"}
    stats = sim.stats()
    assert (stats["calls"], stats["created"], stats["failed"], stats["enrollments"]) == (3, 0, 3, [])

    sim.post("/_control", {"fail_rate": 0}).raise_for_status()
    created = sim.enroll("hsi", key="retry-me", reference=reference)
    replayed = sim.enroll("hsi", key="retry-me", reference=reference)
    assert (created.status_code, replayed.status_code) == (201, 200)
    assert replayed.content == created.content
    stats = sim.stats()
    assert (stats["calls"], stats["created"], stats["replays"], stats["failed"]) == (5, 1, 1, 3)


def test_down_and_latency(sim: Simulator) -> None:
    sim.post("/_control", {"down": True}).raise_for_status()
    assert sim.get("/_control").json()["down"] is True
    down = sim.enroll("certiport")
    assert down.status_code == 503 and down.json() == {"error": "partner is down"}

    assert sim.post("/_control", {"down": False, "latency_ms": 300}).json()["latency_ms"] == 300
    started = time.monotonic()
    slow = sim.enroll("certiport")
    assert slow.status_code == 201
    assert time.monotonic() - started >= 0.3
    assert sim.stats()["created"] == 1

    sim.post("/_reset").raise_for_status()
    assert sim.get("/_control").json() == {"fail_rate": 0.0, "latency_ms": 0, "down": False}
    assert sim.stats()["enrollments"] == []


def test_control_rejects_bad_settings(sim: Simulator) -> None:
    for bad in ({"fail_rate": 1.5}, {"fail_rate": "0.5"}, {"latency_ms": -1}, {"down": "yes"}, {"nope": 1}):
        answer = sim.post("/_control", bad)
        assert answer.status_code == 422, bad
    assert sim.get("/_control").json() == {"fail_rate": 0.0, "latency_ms": 0, "down": False}


# --- webhooks to the app -----------------------------------------------------------------------


def test_complete_sends_signed_course_completed_and_certificate_issued(sim: Simulator, receiver: Receiver) -> None:
    enrolled = sim.enroll("hsi").json()
    ext = enrolled["external_enrollment_id"]

    answer = sim.post("/_complete", {"partner": "hsi", "external_enrollment_id": ext, "score": 92.5})

    assert answer.status_code == 200, answer.text
    deliveries = answer.json()["deliveries"]
    assert [(d["type"], d["status_code"]) for d in deliveries] == [
        ("course.completed", 200),
        ("certificate.issued", 200),
    ]
    assert deliveries[0]["body"] == {"status": "processed"}
    # every event passed verification with the LAST of HSI's two secrets, and none was rejected
    assert receiver.rejected == []
    assert [e["body"]["type"] for e in receiver.events] == ["course.completed", "certificate.issued"]
    completed, certificate = receiver.events
    assert completed["slug"] == certificate["slug"] == "hsi"
    assert completed["body"]["data"]["external_enrollment_id"] == ext
    assert completed["body"]["data"]["score"] == 92.5
    datetime.fromisoformat(completed["body"]["data"]["completed_at"])
    datetime.fromisoformat(completed["body"]["timestamp"])
    cert = certificate["body"]["data"]
    assert cert["external_enrollment_id"] == ext and cert["certificate_id"]
    assert cert["certificate_url"].startswith(f"{sim.url}/partners/hsi/certificates/")
    assert requests.get(cert["certificate_url"], timeout=30).status_code == 200
    datetime.fromisoformat(cert["issued_at"])
    assert completed["headers"]["webhook-id"] != certificate["headers"]["webhook-id"]
    assert completed["headers"]["content-type"].startswith("application/json")
    assert abs(int(completed["headers"]["webhook-timestamp"]) - time.time()) < 60
    with pytest.raises(WebhookVerificationError):  # not signed with the old secret of the rotation
        Webhook(HSI_OLD).verify(completed["raw"], completed["headers"])

    assert sim.stats()["enrollments"][0]["completed"] is True


def test_complete_by_reference_without_certificate_uses_the_shared_secret(sim: Simulator, receiver: Receiver) -> None:
    reference = str(uuid.uuid4())
    ext = sim.enroll("certiport", reference=reference).json()["external_enrollment_id"]

    answer = sim.post("/_complete", {"reference": reference, "certificate": False})

    assert answer.status_code == 200, answer.text
    assert [d["type"] for d in answer.json()["deliveries"]] == ["course.completed"]
    assert receiver.rejected == []
    assert [(e["slug"], e["body"]["type"]) for e in receiver.events] == [("certiport", "course.completed")]
    assert receiver.events[0]["body"]["data"]["external_enrollment_id"] == ext
    Webhook(SHARED).verify(receiver.events[0]["raw"], receiver.events[0]["headers"])


def test_a_5xx_is_retried_with_the_same_webhook_id_and_a_fresh_signature(sim: Simulator, receiver: Receiver) -> None:
    ext = sim.enroll("milady").json()["external_enrollment_id"]
    receiver.script.extend([503, 500])

    answer = sim.post("/_complete", {"partner": "milady", "external_enrollment_id": ext, "certificate": False})

    assert answer.status_code == 200, answer.text
    delivery = answer.json()["deliveries"][0]
    assert (delivery["status_code"], delivery["attempts"]) == (200, 3)
    assert [e["answered"] for e in receiver.events] == [503, 500, 200]
    assert len({e["headers"]["webhook-id"] for e in receiver.events}) == 1
    assert len({e["raw"] for e in receiver.events}) == 1


def test_progress_sends_signed_progress_updated(sim: Simulator, receiver: Receiver) -> None:
    ext = sim.enroll("hsi").json()["external_enrollment_id"]
    answer = sim.post("/_progress", {"partner": "hsi", "external_enrollment_id": ext, "percent": 40})
    assert answer.status_code == 200, answer.text
    assert receiver.rejected == []
    assert [e["body"] for e in receiver.events][0]["type"] == "progress.updated"
    assert receiver.events[0]["body"]["data"] == {"external_enrollment_id": ext, "percent": 40}
    assert sim.post("/_progress", {"partner": "hsi", "external_enrollment_id": ext, "percent": 140}).status_code == 422
    assert sim.stats()["enrollments"][0]["completed"] is False


def test_unknown_enrollment_is_404(sim: Simulator, receiver: Receiver) -> None:
    assert sim.post("/_complete", {"partner": "hsi", "external_enrollment_id": "HSI-NOPE"}).status_code == 404
    assert sim.post("/_complete", {"reference": str(uuid.uuid4())}).status_code == 404
    assert sim.post("/_progress", {"partner": "jri", "external_enrollment_id": "X", "percent": 1}).status_code == 404
    assert receiver.events == []


def test_complete_when_the_app_is_unreachable_is_502(tmp_path: Path) -> None:
    with run_simulator(tmp_path, f"http://127.0.0.1:{free_port()}", "--webhook-retries", "2", env=SHARED_ENV) as sim:
        ext = sim.enroll("hsi").json()["external_enrollment_id"]
        answer = sim.post("/_complete", {"partner": "hsi", "external_enrollment_id": ext})
        assert answer.status_code == 502
        deliveries = answer.json()["deliveries"]
        assert len(deliveries) == 1  # the certificate is not attempted after the completion failed
        assert deliveries[0]["status_code"] is None and deliveries[0]["attempts"] == 3
        assert sim.stats()["enrollments"][0]["completed"] is False


def test_auto_complete(tmp_path: Path, receiver: Receiver) -> None:
    with run_simulator(tmp_path, receiver.url, "--auto-complete-seconds", "0.2", env=SHARED_ENV) as sim:
        ext = sim.enroll("jri", headers={"Authorization": f"Bearer {JRI_API_KEY}"}).json()["external_enrollment_id"]
        wait_for(lambda: receiver.of_type("certificate.issued"), what="the automatic completion")
        assert [e["body"]["data"]["external_enrollment_id"] for e in receiver.of_type("course.completed")] == [ext]
        assert receiver.rejected == []
        wait_for(lambda: sim.stats()["enrollments"][0]["completed"], what="the enrollment marked completed")


# --- the dashboard -----------------------------------------------------------------------------


def test_dashboard_lists_and_escapes_and_its_button_completes(sim: Simulator, receiver: Receiver) -> None:
    ext = sim.enroll("hsi", student={"email": "<b>x@y</b>", "name": "X"}).json()["external_enrollment_id"]
    page = sim.get("/")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "&lt;b&gt;x@y&lt;/b&gt;" in page.text
    assert "<b>x@y</b>" not in page.text
    assert ext in page.text and "Complete course" in page.text and "fail_rate" in page.text

    button = requests.post(
        f"{sim.url}/_complete_form",
        data={"partner": "hsi", "external_enrollment_id": ext},
        allow_redirects=False,
        timeout=30,
    )
    assert button.status_code == 303
    assert button.headers["Location"].startswith("/")
    assert [e["body"]["type"] for e in receiver.events] == ["course.completed", "certificate.issued"]
    after = sim.get(button.headers["Location"])
    assert "Complete course" not in after.text
    assert "course.completed → 200" in after.text


def test_sigterm_stops_it_cleanly(tmp_path: Path) -> None:
    with run_simulator(tmp_path, "http://127.0.0.1:9") as sim:
        assert sim.get("/healthz").json() == {"status": "ok"}
        sim.proc.send_signal(signal.SIGTERM)
        assert sim.proc.wait(timeout=10) == 0
        assert "stopped" in sim.log.read_text()


# --- issue 13: what the database says, and a memory across restarts ---------------------------


def test_enrollments_survive_a_restart_with_a_state_file(tmp_path: Path, receiver_server: Receiver, receiver: Receiver):
    state = tmp_path / "state" / "simulator.json"
    with run_simulator(tmp_path, receiver_server.url, "--state-file", str(state), env=SHARED_ENV) as sim:
        first = sim.enroll("hsi", key="kept-key")
        assert first.status_code == 201
        ext = first.json()["external_enrollment_id"]
    assert json.loads(state.read_text())["enrollments"][0]["external_enrollment_id"] == ext

    with run_simulator(tmp_path, receiver_server.url, "--state-file", str(state), env=SHARED_ENV) as sim:
        assert [e["external_enrollment_id"] for e in sim.stats()["enrollments"]] == [ext]
        again = sim.enroll("hsi", key="kept-key")
        assert again.status_code == 200 and again.content == first.content, "the same key still gives the same answer"
        assert ext in sim.get("/").text
        done = sim.post("/_complete", {"partner": "hsi", "external_enrollment_id": ext})
        assert done.status_code == 200, done.text
    with run_simulator(tmp_path, receiver_server.url, "--state-file", str(state), env=SHARED_ENV) as sim:
        assert sim.stats()["enrollments"][0]["completed"] is True


def test_the_page_lists_what_the_database_says_and_completes_it(
    tmp_path: Path, receiver_server: Receiver, receiver: Receiver, db_url: str
):
    """The demo's steps were linked without the simulator (CP-DEMO-BEN, HSI-DEMO-CARA, ...): its page
    listed none of them and could not complete them."""
    with run_simulator(tmp_path, receiver_server.url, "--database-url", db_url, env=SHARED_ENV) as sim:
        page = sim.get("/")
        assert page.status_code == 200
        html = page.text
        assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in html
        assert "from our database and from this simulator" in html
        for ext, email in (("CP-DEMO-BEN", "ben.midway@example.org"), ("HSI-DEMO-CARA", "cara.stuck@example.org")):
            row = re.search(rf"<tr><td[^>]*>[^<]*</td><td[^>]*>{ext}</td>.*?</tr>", html)
            assert row, ext
            assert email in row.group(0) and "in progress" in row.group(0) and "Complete course" in row.group(0)
        eve = re.search(r"<tr><td[^>]*>[^<]*</td><td[^>]*>MIL-DEMO-EVE</td>.*?</tr>", html).group(0)
        assert "completed" in eve and "Complete course" not in eve

        done = sim.post("/_complete", {"partner": "certiport", "external_enrollment_id": "CP-DEMO-BEN", "score": 91})
        assert done.status_code == 200, done.text
        completed = receiver.of_type("course.completed")
        assert [e["body"]["data"]["external_enrollment_id"] for e in completed] == ["CP-DEMO-BEN"]
        assert completed[0]["body"]["data"]["score"] == 91
        row = re.search(r"<tr><td[^>]*>[^<]*</td><td[^>]*>CP-DEMO-BEN</td>.*?</tr>", sim.get("/").text).group(0)
        assert "course.completed → 200" in row

        assert (
            sim.post("/_complete", {"partner": "certiport", "external_enrollment_id": "CP-NOWHERE"}).status_code == 404
        )


def test_an_unreachable_database_is_said_on_the_page(tmp_path: Path, receiver_server: Receiver):
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    with run_simulator(tmp_path, receiver_server.url, "--database-url", dead, env=SHARED_ENV) as sim:
        assert sim.enroll("hsi").status_code == 201
        page = sim.get("/")
        assert page.status_code == 200
        assert "The database could not be read" in page.text and "HSI-" in page.text
        missing = sim.post("/_complete", {"partner": "hsi", "external_enrollment_id": "HSI-NOWHERE"})
        assert missing.status_code == 503 and "database could not be read" in missing.json()["error"]
