"""Partner adapters: how a student is enrolled at a partner, chosen by the provider's
configuration (`partner_lms_providers.adapter` / `adapter_config`).

- `rest`: the generic REST adapter. POST {base_url}{enroll_path} with the student and program,
  an `Idempotency-Key` (one per start of the step, so a retried call never enrolls twice) and the
  partner's API key; the answer's `external_enrollment_id` and `launch_url` are stored by SQL.
  base_url: `PARTNER_API_URL_<SLUG>`, else `adapter_config.base_url`, else `PARTNER_API_BASE_URL`
  with `{slug}` replaced (e.g. `http://127.0.0.1:8099/partners/{slug}` for the simulator).
  Key: `PARTNER_API_KEY_<SLUG>`, sent in `adapter_config.auth_header` (default `Authorization:
  Bearer <key>`).
  Safety: the base URL must be `https` (plain `http` only to a loopback host: the simulator, local
  development); redirects are never followed (a 30x is an error, so the key and the student's
  data go nowhere else); `PARTNER_API_CONNECT_TIMEOUT` (default 3 s) and `PARTNER_API_TIMEOUT`
  (read, default 15 s); a partner's error body is kept truncated to ERROR_BODY_CHARS in the
  step's error.
- `manual`: no API; nothing is called. The step waits for an admin to enroll the student and
  enter the partner's id (SQL raises the admin alert when the step starts).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import os
import threading
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3

ERROR_BODY_CHARS = 500
MAX_ANSWER_BYTES = 1024 * 1024  # an enrollment answer is a few hundred bytes
LOCAL_HOSTS = frozenset({"localhost"})


class PartnerError(Exception):
    """An enrollment call failed; `retryable` says whether trying again may help."""

    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Enrollment:
    external_enrollment_id: str
    launch_url: str | None


_local = threading.local()


def _pool(url: str) -> urllib3.PoolManager:
    """This thread's connection pool (keep-alive) for `url`, through the proxy the environment
    names for it (`https_proxy`, `no_proxy`, ...), if any. urllib3 directly, not requests: a
    requests call re-reads the environment (proxies, netrc) every time, about half of the
    worker's CPU per partner job in the bench (P5, py-spy)."""
    parts = urlsplit(url)
    proxy = _proxy_for(parts.scheme, parts.hostname or "")
    pools = _local.__dict__.setdefault("pools", {})
    if proxy not in pools:
        pools[proxy] = urllib3.ProxyManager(proxy, maxsize=4) if proxy else urllib3.PoolManager(maxsize=4)
    return pools[proxy]


@functools.lru_cache(maxsize=256)
def _proxy_for(scheme: str, host: str) -> str | None:
    proxies = urllib.request.getproxies()
    if not proxies.get(scheme) or urllib.request.proxy_bypass(host):
        return None
    return proxies[scheme]


def _reason(exc: BaseException) -> str:
    """A short name for a failed call: ConnectionError (refused, unknown host, cut), ConnectTimeout,
    ReadTimeout, else the exception's own name (DecodeError for a body that cannot be decoded)."""
    # first: urllib3's NewConnectionError (refused, unknown host) is a ConnectTimeoutError subclass
    if isinstance(exc, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ProtocolError, OSError)):
        return "ConnectionError"
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        return "ConnectTimeout"
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return "ReadTimeout"
    return type(exc).__name__


def rest_endpoint(slug: str, adapter_config: dict, environ=os.environ) -> str:
    """The enrollment URL of a partner, from the environment or its adapter configuration."""
    base = environ.get(f"PARTNER_API_URL_{slug.upper()}") or adapter_config.get("base_url")
    if not base and environ.get("PARTNER_API_BASE_URL"):
        base = environ["PARTNER_API_BASE_URL"].replace("{slug}", slug)
    if not base:
        raise PartnerError(
            f"no API address for partner {slug}: set PARTNER_API_URL_{slug.upper()} or adapter_config.base_url",
            retryable=True,
        )
    url = base.rstrip("/") + adapter_config.get("enroll_path", "/enrollments")
    check_url(slug, url)
    return url


def _loopback(host: str) -> bool:
    if host.lower() in LOCAL_HOSTS or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(slug: str, url: str) -> None:
    """`https`, or `http` to a loopback host (local development); else a PartnerError naming the
    setting (not retryable: the configuration must change)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _loopback(parts.hostname):
        return
    raise PartnerError(
        f"the API address of partner {slug} must be https (plain http only to 127.0.0.1 or localhost): "
        f"fix PARTNER_API_URL_{slug.upper()}, adapter_config.base_url or PARTNER_API_BASE_URL (got {url[:200]!r})",
        retryable=False,
    )


def _timeout(environ, name: str, default: float) -> float:
    value = environ.get(name) or ""
    try:
        seconds = float(value) if value.strip() else default
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise PartnerError(f"{name} must be a number of seconds > 0 (got {value[:40]!r})", retryable=False)
    return seconds


def timeouts(environ=os.environ) -> tuple[float, float]:
    """(connect, read) seconds for partner calls."""
    return _timeout(environ, "PARTNER_API_CONNECT_TIMEOUT", 3.0), _timeout(environ, "PARTNER_API_TIMEOUT", 15.0)


def _read(response: urllib3.BaseHTTPResponse, limit: int) -> bytes:
    """At most `limit` bytes of a streamed answer (a huge body is never read whole)."""
    return response.read(limit, decode_content=True) or b""


def _error_body(response: urllib3.BaseHTTPResponse) -> str:
    text = _read(response, ERROR_BODY_CHARS * 4 + 1).decode("utf-8", errors="replace").strip()
    return text if len(text) <= ERROR_BODY_CHARS else text[:ERROR_BODY_CHARS] + "… (truncated)"


def enroll_rest(message: dict, environ=os.environ) -> Enrollment:
    """Enroll the student of a partner_enrollment job through the partner's REST API (timeouts:
    `PARTNER_API_CONNECT_TIMEOUT`, default 3 s, and `PARTNER_API_TIMEOUT` to read, default 15 s)."""
    timeout = timeouts(environ)
    slug = message["partner_slug"]
    config = message.get("adapter_config") or {}
    url = rest_endpoint(slug, config, environ)
    headers = {"Idempotency-Key": message["idempotency_key"], "Accept": "application/json"}
    key = environ.get(f"PARTNER_API_KEY_{slug.upper()}")
    if key:
        header = config.get("auth_header", "Authorization")
        headers[header] = f"Bearer {key}" if header.lower() == "authorization" else key
    body = {
        "reference": message["step_id"],
        "student": {"id": message["user_id"], "email": message["student_email"], "name": message["student_name"]},
        "program": {"slug": message["program_slug"], "name": message["program_name"]},
    }
    headers["Content-Type"] = "application/json"
    try:
        response = _pool(url).request(
            "POST",
            url,
            body=json.dumps(body).encode(),
            headers=headers,
            timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
            redirect=False,
            retries=False,
            preload_content=False,
        )
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise PartnerError(f"{slug} API unreachable: {_reason(exc)}", retryable=True) from exc
    try:
        return _answer(slug, response)
    except (urllib3.exceptions.HTTPError, OSError) as exc:  # unreadable body
        raise PartnerError(f"{slug} API answer unreadable: {_reason(exc)}", retryable=True) from exc
    finally:
        if response.length_remaining != 0:  # a body not read to its end: drop the connection
            response.close()
        response.release_conn()


def _answer(slug: str, response: urllib3.BaseHTTPResponse) -> Enrollment:
    status = response.status
    if 300 <= status < 400:
        # never followed: the API key and the student's data would go wherever it points
        raise PartnerError(
            f"{slug} API answered {status} (a redirect, not followed): fix its API address",
            retryable=False,
        )
    if status >= 500 or status in (408, 429):
        raise PartnerError(f"{slug} API answered {status}: {_error_body(response)}", retryable=True)
    if status >= 400:
        raise PartnerError(f"{slug} API answered {status}: {_error_body(response)}", retryable=False)
    content = _read(response, MAX_ANSWER_BYTES + 1)
    if len(content) > MAX_ANSWER_BYTES:
        raise PartnerError(f"{slug} API answered {status} with over {MAX_ANSWER_BYTES} bytes", False)
    try:
        answer = json.loads(content)
        external_id = answer["external_enrollment_id"]
        if not isinstance(external_id, str) or not external_id:
            raise ValueError("external_enrollment_id")
        launch = answer.get("launch_url")
        return Enrollment(external_id, launch if isinstance(launch, str) else None)
    except (ValueError, KeyError, TypeError) as exc:
        raise PartnerError(f"{slug} API answered {status} without an enrollment id", False) from exc
