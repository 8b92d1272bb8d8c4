"""`POST /api/webhooks/partners/<slug>`: partner events, signed per the Standard Webhooks spec.

The glue only verifies: the partner exists, the body's size, content type and encoding (UTF-8), and the
signature (with the `standardwebhooks` library, per-partner secrets, several at once during
rotation, a 5-minute timestamp window, constant-time comparison). The verified raw body then goes
to one SQL function, `receive_partner_event`, which stores it in the inbox and applies it in one
transaction; its answer is mapped to HTTP. The glue decides no transition.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from functools import lru_cache

from flask import Blueprint, current_app, jsonify, request
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import get_input_stream

from .config import SECRET_PREFIX, SHARED_SECRET_FLAG, secret_setting
from .db import DatabaseUnavailable
from .rpc import RpcError

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/api/webhooks")

# the check constraint on public.partner_lms_providers.slug, the same regular expression (a test compares
# them): a path that cannot be a partner's slug is a 404 without a database lookup, and is never echoed
SLUG = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
# the SQL function's answer → HTTP status
STATUS_CODES = {
    "processed": 200,
    "duplicate": 200,
    "ignored": 200,
    "unmatched": 202,
    "deferred": 202,
    "rejected": 400,
}


def _answer(code: int, status: str, message: str | None = None, **extra):
    body = {"status": status, **extra}
    if message:
        body["message"] = message
    headers = {"Retry-After": "30"} if code == 503 else {}
    return jsonify(body), code, headers


class KnownPartners:
    """Partner slugs, cached so an unknown partner is a 404 before anything else without a
    database round trip per request (refreshed every minute, or at once on an unknown slug
    when the cache is older than a few seconds). `on_change(slugs)` runs when the list changes
    (the first load included)."""

    def __init__(self, ttl: float = 60.0, miss_refresh: float = 5.0, on_change=None):
        self.ttl, self.miss_refresh = ttl, miss_refresh
        self.slugs: frozenset[str] = frozenset()
        self.loaded_at = float("-inf")
        self.lock = threading.Lock()
        self.on_change = on_change

    def __call__(self, rpc, slug: str) -> bool:
        age = time.monotonic() - self.loaded_at
        if age > self.ttl or (slug not in self.slugs and age > self.miss_refresh):
            with self.lock:
                slugs = frozenset(rpc.call("get_partner_slugs"))
                changed = slugs != self.slugs or self.loaded_at == float("-inf")
                self.slugs, self.loaded_at = slugs, time.monotonic()
            if changed and self.on_change:
                self.on_change(slugs)
        return slug in self.slugs


@lru_cache(maxsize=64)
def _webhook(secret: str) -> Webhook | None:
    try:
        return Webhook(secret)
    except Exception:  # noqa: BLE001 - a malformed configured secret: reported by the caller
        return None


def secrets_for(slug: str, config=None) -> tuple[list[str], bool]:
    """(secrets, shared): the partner's own secrets (`PARTNER_WEBHOOK_SECRET_<SLUG>`, several
    during a rotation), else — only when PARTNER_WEBHOOK_SHARED_SECRET_ENABLED is set — the
    shared `PARTNER_WEBHOOK_SECRET` (shared=True)."""
    config = current_app.config if config is None else config
    configured = config["PARTNER_WEBHOOK_SECRETS"]
    if configured.get(slug):
        return configured[slug], False
    if config.get(SHARED_SECRET_FLAG) and configured.get("*"):
        return configured["*"], True
    return [], False


@bp.record_once
def _report_webhook_secrets(state) -> None:
    """At start-up, the partners that have a webhook secret (no database call: start-up never
    waits for it); when the partner list is loaded (first webhook, then on change), those that
    have none, whose webhooks are refused (503)."""
    app = state.app
    own = sorted(slug for slug, values in app.config["PARTNER_WEBHOOK_SECRETS"].items() if slug != "*" and values)
    log.info("webhook secrets configured for partner(s): %s", ", ".join(own) or "none")

    def report(slugs) -> None:
        missing = [slug for slug in sorted(slugs) if not secrets_for(slug, app.config)[0]]
        if missing:
            log.warning(
                "no webhook secret for partner(s) %s: their webhooks are refused (503) until %s is set",
                ", ".join(missing),
                ", ".join(secret_setting(slug) for slug in missing),
            )

    app.extensions["partners"].on_change = report


def verify(secrets: list[str], body: bytes, headers) -> bool:
    """True when any of the secrets signed this body with these headers, in the time window.
    A malformed header is a failed verification, never an exception."""
    for secret in secrets:
        webhook = _webhook(secret)
        if webhook is None:
            continue
        try:
            webhook.verify(body, headers, json_parse=False)
            return True
        except (WebhookVerificationError, ValueError, TypeError, OverflowError):
            # binascii.Error and UnicodeDecodeError are ValueErrors: garbage headers or body
            continue
    return False


def read_body(limit: int) -> bytes:
    """The request body, whatever its framing: a Content-Length body or a chunked one (the server
    ends the stream, `wsgi.input_terminated`). RequestEntityTooLarge when it is over `limit` bytes:
    werkzeug's own stream stops silently at the limit for a chunked body, so this reads one byte
    more than the limit to tell "exactly the limit" from "over it"."""
    stream = get_input_stream(request.environ, max_content_length=limit + 1)
    try:
        body = stream.read()
    except RequestEntityTooLarge:
        raise
    except Exception as exc:  # noqa: BLE001 - the server's own errors for a body it cannot read
        # a malformed chunked body (bad size, extension or terminator) or one cut short: gunicorn
        # raises its parser's errors here, werkzeug ClientDisconnected; the client's fault, not ours
        raise MalformedBody(type(exc).__name__) from exc
    if len(body) > limit:
        raise RequestEntityTooLarge()
    return body


class MalformedBody(Exception):
    """The request body could not be read as framed (chunked encoding errors, a truncated body)."""


@bp.post("/partners/<slug>")
def receive(slug: str):
    """Receive one partner event. Status codes: 200 processed/duplicate/ignored, 202 stored but
    unmatched (or deferred), 400 malformed, 401 bad signature, 404 unknown partner, 413 too
    large, 415 not JSON, 503 database unavailable (retry later)."""
    rpc = current_app.extensions["rpc"]
    try:
        if not SLUG.match(slug) or not current_app.extensions["partners"](rpc, slug):
            return _answer(404, "unknown_partner", f"no partner is named {slug!r}" if SLUG.match(slug) else None)
    except (DatabaseUnavailable, RpcError):
        log.warning("webhook for %s: could not load the partner list; asked the partner to retry", slug)
        return _answer(503, "unavailable", "the database is unavailable; retry later")

    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        return _answer(413, "too_large", f"the body must be at most {limit} bytes")
    if request.mimetype != "application/json":
        return _answer(415, "unsupported_media_type", "send Content-Type: application/json")
    try:
        body = read_body(limit)
    except RequestEntityTooLarge:
        return _answer(413, "too_large", f"the body must be at most {limit} bytes")
    except MalformedBody as exc:
        log.warning("webhook for %s: unreadable body (%s)", slug, exc)
        return _answer(400, "malformed", "the body could not be read: malformed framing or cut short")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _answer(400, "malformed", "the body is not valid UTF-8")

    secrets, shared = secrets_for(slug)
    if not secrets:
        log.error("no webhook secret configured for partner %s (set %s)", slug, secret_setting(slug))
        return _answer(503, "unavailable", "no webhook secret is configured for this partner yet; retry later")
    if not verify(secrets, body, request.headers):
        log.warning(
            "rejected webhook for %s: bad or missing signature (webhook-id %r)",
            slug,
            request.headers.get("webhook-id", "")[:80],
        )
        return _answer(401, "invalid_signature", "missing or invalid webhook signature, or stale timestamp")

    if shared:
        log.warning(
            "webhook for %s accepted with the SHARED %s (%s is set): any partner that knows it could have sent "
            "it; set %s",
            slug,
            SECRET_PREFIX,
            SHARED_SECRET_FLAG,
            secret_setting(slug),
        )
    if "\x00" in text:
        return _answer(400, "rejected", "the body is not valid JSON")
    webhook_id = request.headers["webhook-id"]
    try:
        result = rpc.call("receive_partner_event", p_provider_slug=slug, p_webhook_id=webhook_id, p_body=text)
    except DatabaseUnavailable:
        log.warning("webhook %s for %s: database unavailable, asked the partner to retry", webhook_id, slug)
        return _answer(503, "unavailable", "the database is unavailable; retry later")
    except RpcError as exc:
        if exc.sqlstate == "PS011":
            return _answer(404, "unknown_partner", f"no partner is named {slug!r}")
        if exc.sqlstate == "PS010":
            return _answer(400, "rejected", exc.message)
        log.exception("webhook %s for %s failed", webhook_id, slug)
        return _answer(500, "error", "internal error; retry later")

    status = result["status"]
    log.info(
        "webhook %s for %s: %s (event %s)%s",
        webhook_id,
        slug,
        status,
        result.get("event_id"),
        f" - {result['error']}" if result.get("error") else "",
    )
    extra = {k: result[k] for k in ("event_id", "original_status") if k in result}
    return _answer(STATUS_CODES.get(status, 200), status, result.get("error"), **extra)
