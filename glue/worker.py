"""The automation worker: drains the outbox queues (schema `queue`) that the state machine fills.

    flask --app glue worker [--concurrency 8] [--batch 20] [--scan-interval 300] [--once]

- `partner_enrollment`: enroll the student at the partner (glue.partners), then one SQL call,
  `record_partner_enrollment`, stores the partner's ids and finishes the job.
- `certificate`: render the PDF (glue.certificate_pdf), `store_certificate_pdf` keeps it and
  queues the completion email.
- `email`: `claim_email` records the send (once per event), render (glue.mailer), send by SMTP,
  `complete_email`.

A failed attempt calls `queue.fail`, which retries with jittered exponential backoff or, after
the queue's max attempts, dead-letters the job (for a partner enrollment: step failed + admin
alert). Several workers can run at once: `queue.read` hands each job to one reader
(`for update skip locked`). An idle worker polls every 250 ms (not LISTEN/NOTIFY: a notifying
transaction serializes every commit in the cluster, which would cap the webhook rate),
finishes its jobs on SIGTERM and gives back the ones it has not started; a job whose worker was
killed becomes visible again after its visibility timeout. It also runs
`run_periodic_checks()` (stuck nudges, SLA alerts) every `--scan-interval` seconds and
`refresh_monitoring()` (the dashboard's snapshot) every `--monitoring-interval` seconds.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import psycopg

from . import partners
from .db import Database, DatabaseUnavailable

log = logging.getLogger("glue.worker")
QUEUES = ("partner_enrollment", "certificate", "email")


class Worker:
    """One worker process: a reader loop feeding a thread pool."""

    def __init__(
        self,
        app,
        concurrency: int = 8,
        batch: int = 20,
        scan_interval: float = 300.0,
        poll_interval: float = 0.25,
        stuck_days: int = 7,
        monitoring_interval: float = 30.0,
    ):
        self.app = app
        self.monitoring_interval = monitoring_interval
        self.db: Database = app.extensions["db"]
        self.concurrency = concurrency
        self.batch = batch
        self.scan_interval = scan_interval
        self.poll_interval = poll_interval
        self.stuck_days = stuck_days
        self.site_url = app.config["SITE_URL"].rstrip("/")
        self.stop = threading.Event()
        self.processed = 0
        self._mailer = None
        self._mailer_loaded = False
        self._vt = {}

    # --- the loop -------------------------------------------------------------------------

    def run(self, once: bool = False) -> int:
        """Work until stopped (or, with once=True, until every queue is empty). Returns the
        number of jobs handled."""
        next_scan = time.monotonic() if self.scan_interval > 0 else float("inf")
        next_refresh = time.monotonic() if self.monitoring_interval > 0 else float("inf")
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="job") as pool:
            while not self.stop.is_set():
                try:
                    if time.monotonic() >= next_refresh:
                        self._refresh_monitoring()
                        next_refresh = time.monotonic() + self.monitoring_interval
                    if time.monotonic() >= next_scan:
                        self._periodic()
                        next_scan = time.monotonic() + self.scan_interval
                    handled = sum(self._drain_once(pool, queue) for queue in QUEUES)
                except (DatabaseUnavailable, psycopg.OperationalError) as exc:
                    log.warning("database unavailable (%s); retrying in 2 s", exc)
                    self.stop.wait(2)
                    continue
                if handled:
                    continue
                if once:
                    break
                self.stop.wait(self.poll_interval)
        return self.processed

    def _drain_once(self, pool: ThreadPoolExecutor, queue: str) -> int:
        vt = self._visibility_timeout(queue)
        jobs = self.db.query("select * from queue.read(%s, %s, %s)", (queue, vt, self.batch))
        if not jobs:
            return 0
        futures = {pool.submit(self._handle, queue, job): job for job in jobs}
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=0.2)
            if pending and self.stop.is_set():
                # shutting down: give back the jobs not started, let the running ones finish
                for future in list(pending):
                    if future.cancel():
                        self._release(queue, futures[future]["msg_id"])
                        pending.discard(future)
                wait(pending)
                break
        return len(jobs)

    def _visibility_timeout(self, queue: str) -> int:
        if queue not in self._vt:
            rows = self.db.query("select visibility_timeout_seconds from queue.queues where queue_name = %s", (queue,))
            self._vt[queue] = rows[0]["visibility_timeout_seconds"] if rows else 60
        return self._vt[queue]

    def _release(self, queue: str, msg_id: int) -> None:
        self.db.query("select queue.set_vt(%s, %s, 0)", (queue, msg_id))
        log.info("%s job %s released (shutting down)", queue, msg_id)

    def _refresh_monitoring(self) -> None:
        took = self.db.query("select public.refresh_monitoring() as took")[0]["took"]
        log.debug("monitoring snapshot refreshed in %s", took)

    def _periodic(self) -> None:
        result = self.db.query("select public.run_periodic_checks(%s) as r", (self.stuck_days,))[0]["r"]
        if result["stuck_nudges"] or result["sla_breaches"]:
            log.info(
                "periodic checks: %s stuck nudge(s), %s SLA alert(s)", result["stuck_nudges"], result["sla_breaches"]
            )

    # --- one job ------------------------------------------------------------------------

    def _handle(self, queue: str, job: dict[str, Any]) -> None:
        started = time.monotonic()
        msg_id = job["msg_id"]
        try:
            outcome = getattr(self, f"_do_{queue}")(msg_id, job["message"])
        except partners.PartnerError as exc:
            outcome = self._fail(queue, msg_id, str(exc), exc.retryable)
        except _Retryable as exc:
            outcome = self._fail(queue, msg_id, str(exc), exc.retryable)
        except Exception as exc:  # noqa: BLE001 - any bug in one job must not kill the worker
            log.exception("%s job %s crashed", queue, msg_id)
            outcome = self._fail(queue, msg_id, f"{type(exc).__name__}: {exc}", True)
        self.processed += 1
        log.info(
            "%s job %s (attempt %s): %s (%.0f ms)",
            queue,
            msg_id,
            job["read_ct"],
            outcome,
            (time.monotonic() - started) * 1000,
        )

    def _fail(self, queue: str, msg_id: int, error: str, retryable: bool) -> str:
        result = self.db.query("select queue.fail(%s, %s, %s, %s) as r", (queue, msg_id, error, retryable))[0]
        return f"{result['r']}: {error}"

    def _do_partner_enrollment(self, msg_id: int, message: dict) -> str:
        enrollment = partners.enroll_rest(message)
        result = self.db.query(
            "select public.record_partner_enrollment(%s, %s, %s) as r",
            (msg_id, enrollment.external_enrollment_id, enrollment.launch_url),
        )[0]["r"]
        return f"{result} {message['partner_slug']} {enrollment.external_enrollment_id}"

    def _do_certificate(self, msg_id: int, message: dict) -> str:
        from .certificate_pdf import render_certificate_pdf

        data = self.db.query("select public.get_certificate_data(%s) as d", (message["certificate_id"],))[0]["d"]
        if data is None:
            raise _Retryable(f"certificate {message['certificate_id']} no longer exists", retryable=False)
        data["verification_url"] = f"{self.site_url}/certificates/{data['verification_code']}"
        pdf = render_certificate_pdf(data)
        self.db.query("select public.store_certificate_pdf(%s, %s, %s)", (msg_id, message["certificate_id"], pdf))
        return f"certificate {data['verification_code'][:8]}… stored ({len(pdf)} bytes)"

    def _do_email(self, msg_id: int, message: dict) -> str:
        from .mailer import MailError, render_email

        claim = self.db.query("select public.claim_email(%s) as c", (msg_id,))[0]["c"]
        if claim is None:
            return "already sent"
        context = self._email_context(claim)
        subject, text, html = render_email(claim["template"], context)
        mailer = self._get_mailer()
        status = "skipped"
        if mailer is not None:
            try:
                mailer.send(claim["to"], subject, text, html, message_id=claim["message_id"])
            except MailError as exc:
                raise _Retryable(f"SMTP: {exc}", retryable=not exc.permanent) from exc
            status = "sent"
        self.db.query("select public.complete_email(%s, %s, %s, %s)", (msg_id, claim["send_id"], subject, status))
        return f"{claim['template']} to {claim['to']} {status}"

    def _email_context(self, claim: dict) -> dict:
        """The template's context: what SQL queued, plus links on this site."""
        context = dict(claim["context"] or {})
        context.setdefault("student_name", claim.get("to_name"))
        context.setdefault("admin_name", claim.get("to_name"))
        context.setdefault("launch_url", None)
        context["progress_url"] = f"{self.site_url}/student/progress"
        context["dashboard_url"] = f"{self.site_url}/admin/dashboard"
        if context.get("certificate_id"):
            context["certificate_url"] = f"{self.site_url}/student/certificates/{context['certificate_id']}.pdf"
        if context.get("verification_code"):
            context["verification_url"] = f"{self.site_url}/certificates/{context['verification_code']}"
        return context

    def _get_mailer(self):
        if not self._mailer_loaded:
            from .mailer import Mailer

            self._mailer = Mailer.from_config(self.app.config)
            self._mailer_loaded = True
            if self._mailer is None:
                log.warning("SMTP_URL is not set: emails are recorded as skipped, not sent")
        return self._mailer


class _Retryable(Exception):
    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def run_worker(app, once: bool = False, **options) -> int:
    """Run a worker until SIGTERM/SIGINT (or, with once, until the queues are empty)."""
    worker = Worker(app, **options)

    def stop(signum, _frame):
        log.info("signal %s: finishing current jobs, then stopping", signum)
        worker.stop.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        log.info("worker started (concurrency %s, batch %s)", worker.concurrency, worker.batch)
        handled = worker.run(once=once)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    log.info("worker stopped after %s job(s)", handled)
    return handled


__all__ = ["Worker", "run_worker"]
