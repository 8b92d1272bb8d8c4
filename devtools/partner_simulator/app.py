"""The simulator over HTTP: the partners' enrollment API, the launch and certificate pages, the
control endpoints and the HTML page listing every enrollment (devtools.partner_simulator.state
holds the state; this module only translates HTTP)."""

from __future__ import annotations

import html
import json
import re
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from .state import JSON, MAX_BODY, PARTNERS, RequestError, Simulator

ENROLL_PATH = re.compile(r"^/partners/([^/]+)/enrollments/?$")
LAUNCH_PATH = re.compile(r"^/partners/([^/]+)/launch/([^/]+)$")
CERTIFICATE_PATH = re.compile(r"^/partners/([^/]+)/certificates/([^/]+)$")
HTML = "text/html; charset=utf-8"

# --- HTML ---------------------------------------------------------------------------------------

PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1rem;color:#222}p{overflow-wrap:anywhere}"
    "table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}"
    ".msg{background:#eef;padding:.5rem}.warn{background:#fdf3e7;padding:.5rem}"
    "code{background:#f4f4f4;padding:0 .2rem}"
    # a phone: each enrollment a card of labelled lines
    "@media (max-width:700px){table,tbody,tr,td{display:block}tr.head{display:none}"
    "tr{border:1px solid #ccc;border-radius:6px;margin:0 0 .6rem;padding:.3rem .5rem}"
    "td{border:0;padding:.1rem 0;overflow-wrap:anywhere}"
    "td[data-label]::before{content:attr(data-label) ': ';font-weight:600}}"
)


def page(title: str, body: str) -> bytes:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{PAGE_STYLE}</style></head><body>{body}</body></html>"
    ).encode()


def dashboard(sim: Simulator, message: str | None) -> bytes:
    """Every enrollment at the partners: our database's linked steps (--database-url) and this
    simulator's own (kept across restarts with --state-file), each completable until completed."""
    rows, problem = sim.listing()
    settings = sim.get_settings()
    e = html.escape
    cells = []
    for row in rows:
        if row["can_complete"]:
            action = (
                "<form method='post' action='/_complete_form'>"
                f"<input type='hidden' name='partner' value='{e(row['partner'])}'>"
                f"<input type='hidden' name='external_enrollment_id' value='{e(row['external_enrollment_id'])}'>"
                "<button type='submit'>Complete course</button></form>"
            )
        else:
            action = ""
        ext = e(row["external_enrollment_id"])
        link = f"<a href='{e(row['launch_url'])}'>{ext}</a>" if row.get("launch_url") else ext
        cells.append(
            f"<tr><td data-label='Partner'>{e(PARTNERS.get(row['partner'], row['partner']))}</td>"
            f"<td data-label='Enrollment id'>{link}</td>"
            f"<td data-label='Student'>{e(row['student_email'])}</td>"
            f"<td data-label='Program'>{e(row['program_name'])}</td><td data-label='Status'>{e(row['status'])}</td>"
            f"<td>{action}</td><td data-label='Last webhook'>{e(row['last_result'])}</td></tr>"
        )
    table = (
        "<table><tr class='head'><th>Partner</th><th>Enrollment id</th><th>Student</th><th>Program</th>"
        "<th>Status</th><th>Action</th><th>Last webhook</th></tr>" + "".join(cells) + "</table>"
        if cells
        else "<p>No enrollments yet.</p>"
    )
    source = (
        "from our database and from this simulator"
        if sim.database is not None
        else "created by this simulator (start it with --database-url to list the database's too)"
    )
    faults = ", ".join(f"{e(k)} = <code>{e(json.dumps(v))}</code>" for k, v in settings.items())
    notice = f"<p class='msg' role='status'>{e(message)}</p>" if message else ""
    warning = f"<p class='warn' role='alert'>The database could not be read: {e(problem)}</p>" if problem else ""
    return page(
        "Partner simulator",
        f"<h1>Partner simulator</h1>{notice}{warning}"
        f"<p>Webhooks go to <code>{e(sim.app_url)}</code>. Fault settings: {faults} "
        "(change them with <code>POST /_control</code>).</p>"
        f"<h2>Enrollments ({len(rows)})</h2><p>Enrollments at the partners, {source}.</p>{table}",
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
