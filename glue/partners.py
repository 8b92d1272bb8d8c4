"""Partner adapters: how a student is enrolled at a partner, chosen by the provider's
configuration (`partner_lms_providers.adapter` / `adapter_config`).

- `rest`: the generic REST adapter. POST {base_url}{enroll_path} with the student and program,
  an `Idempotency-Key` (one per start of the step, so a retried call never enrolls twice) and the
  partner's API key; the answer's `external_enrollment_id` and `launch_url` are stored by SQL.
  base_url: `PARTNER_API_URL_<SLUG>`, else `adapter_config.base_url`, else `PARTNER_API_BASE_URL`
  with `{slug}` replaced (e.g. `http://127.0.0.1:8099/partners/{slug}` for the simulator).
  Key: `PARTNER_API_KEY_<SLUG>`, sent in `adapter_config.auth_header` (default `Authorization:
  Bearer <key>`).
- `manual`: no API; nothing is called. The step waits for an admin to enroll the student and
  enter the partner's id (SQL raises the admin alert when the step starts).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import requests


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


def _session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


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
    return base.rstrip("/") + adapter_config.get("enroll_path", "/enrollments")


def enroll_rest(message: dict, environ=os.environ) -> Enrollment:
    """Enroll the student of a partner_enrollment job through the partner's REST API
    (timeout: `PARTNER_API_TIMEOUT` seconds to read the answer, default 15)."""
    timeout = (3.0, float(environ.get("PARTNER_API_TIMEOUT", "15")))
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
    try:
        response = _session().post(url, json=body, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise PartnerError(f"{slug} API unreachable: {type(exc).__name__}", retryable=True) from exc
    if response.status_code >= 500 or response.status_code in (408, 429):
        raise PartnerError(f"{slug} API answered {response.status_code}", retryable=True)
    if response.status_code >= 400:
        raise PartnerError(f"{slug} API answered {response.status_code}: {response.text[:300]}", retryable=False)
    try:
        answer = response.json()
        external_id = answer["external_enrollment_id"]
        if not isinstance(external_id, str) or not external_id:
            raise ValueError("external_enrollment_id")
        launch = answer.get("launch_url")
        return Enrollment(external_id, launch if isinstance(launch, str) else None)
    except (ValueError, KeyError, TypeError) as exc:
        raise PartnerError(f"{slug} API answered {response.status_code} without an enrollment id", False) from exc
