"""Dates on every page, in one format and in the organisation's time zone (ORG_TIMEZONE, an IANA
name such as `Europe/Paris`; UTC by default).

Jinja filters, registered by the app factory:
- `{{ ts | day }}`  → `12 March 2026`
- `{{ ts | when }}` → `12 Mar 2026, 14:05 CET`
- `{{ ts | ago }}`  → `3 days ago` / `in 2 hours` / `just now`
- `{{ ts | iso }}`  → `2026-03-12T14:05:00+01:00` (for `<time datetime=...>`)

Each accepts a datetime or the ISO text that JSON from SQL carries; None renders as ''."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app


def organisation_zone(name: str | None = None) -> ZoneInfo:
    """The configured zone; an unknown name is a start-up error (glue.config.validate)."""
    name = name or (current_app.config.get("ORG_TIMEZONE") if current_app else None) or "UTC"
    return ZoneInfo(name)


def check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"ORG_TIMEZONE={name!r} is not an IANA time zone name (e.g. Europe/Paris, UTC)") from exc


def _moment(value: str | date | datetime | None) -> datetime | None:
    """An instant in the organisation's zone. A plain date (`2026-03-12`, a `date`) is a calendar
    day, not an instant: it is that day's midnight in the organisation's zone (never shifted)."""
    if value is None or value == "":
        return None
    zone = organisation_zone()
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=zone)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone)


def day(value: str | datetime | None) -> str:
    moment = _moment(value)
    return "" if moment is None else f"{moment.day} {moment:%B %Y}"


def when(value: str | datetime | None) -> str:
    moment = _moment(value)
    return "" if moment is None else f"{moment.day} {moment:%b %Y, %H:%M} {moment.tzname()}"


def iso(value: str | datetime | None) -> str:
    moment = _moment(value)
    return "" if moment is None else moment.isoformat(timespec="seconds")


def ago(value: str | datetime | None, now: datetime | None = None) -> str:
    moment = _moment(value)
    if moment is None:
        return ""
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            text = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {text}" if future else f"{text} ago"
    return "just now"  # unreachable: seconds >= 60 matches "minute"


FILTERS = {"day": day, "when": when, "iso": iso, "ago": ago}
