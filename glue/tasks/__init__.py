"""The worker's tasks: one module per queue, each registering its handler here.

    @task("certificate")
    def certificate(ctx: TaskContext, msg_id: int, message: dict) -> str: ...

A handler gets the job's `msg_id` and `message` (the JSON the SQL queued) and returns a one-line
outcome for the log. It finishes the job itself, through the SQL function that records its
result (`record_partner_enrollment`, `store_certificate_pdf`, `complete_email`: each archives the
job in the same transaction), or, when it is marked `@acked_by_worker`, leaves that to the worker,
which archives the jobs of a batch that succeeded in one statement with its next read (such a
handler must be harmless to run twice: a worker that dies between a job's success and that
acknowledgement lets the job run again after its visibility timeout). It raises
`TaskError(reason, retryable)` for a failure it understands; any other exception is a bug in that
job, retried. The worker (glue/worker.py) knows no task by name: it drains the queues
`queue.list_queues()` lists, each with its `registry()` entry.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("glue.tasks")

# every task module, imported (and so registered) by registry()
MODULES = ("partner_enrollment", "certificate", "email", "credential")

Handler = Callable[["TaskContext", int, dict], str]
_REGISTRY: dict[str, Handler] = {}


class TaskError(Exception):
    """A job failed for a reason the task understands; `retryable` says whether trying again may help."""

    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def task(queue: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of `queue`'s jobs."""

    def register(handler: Handler) -> Handler:
        if queue in _REGISTRY and _REGISTRY[queue] is not handler:
            raise ValueError(f"two handlers for the {queue} queue")
        _REGISTRY[queue] = handler
        return handler

    return register


def acked_by_worker(handler: Handler) -> Handler:
    """Mark a handler whose jobs the worker acknowledges (archives) after it returns, in batches
    (`queue.archive_batch`), instead of the handler finishing its job in its own transaction. For
    handlers that are harmless to run twice (idempotent, or keyed like a partner call): a crash
    between success and the batch's acknowledgement runs the job again."""
    handler.acked_by_worker = True  # type: ignore[attr-defined]
    return handler


def is_acked_by_worker(handler: Handler) -> bool:
    return bool(getattr(handler, "acked_by_worker", False))


def registry() -> dict[str, Handler]:
    """{queue name: handler} of every task module."""
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
    return dict(_REGISTRY)


class TaskContext:
    """What a handler may use: the app's config, its SQL functions (`call`), links to the site's
    pages (`url`, built from the app's routes under SITE_URL) and the mailer (built on first use,
    None without SMTP_URL)."""

    def __init__(self, app):
        self.app = app
        self.rpc = app.extensions["rpc"]
        site = urlsplit(app.config["SITE_URL"])
        # the routes, bound once to SITE_URL: no request context needed, nothing written twice
        self._urls = app.url_map.bind(site.netloc, script_name=site.path or "/", url_scheme=site.scheme or "https")
        self._mailer = None
        self._mailer_loaded = False

    def call(self, function: str, **params: Any) -> Any:
        """One SQL function in public, as service_role, in one round trip (glue.rpc)."""
        return self.rpc.call(function, **params)

    def url(self, endpoint: str, **values: Any) -> str:
        """The absolute URL of a page, from its route: `url("pages.verify_certificate", code=...)`."""
        return self._urls.build(endpoint, values, force_external=True)

    def mailer(self):
        if not self._mailer_loaded:
            from ..mailer import Mailer

            self._mailer = Mailer.from_config(self.app.config)
            self._mailer_loaded = True
            if self._mailer is None:
                log.warning("SMTP_URL is not set: emails are recorded as skipped, not sent")
        return self._mailer


__all__ = ["Handler", "TaskContext", "TaskError", "acked_by_worker", "is_acked_by_worker", "registry", "task"]
