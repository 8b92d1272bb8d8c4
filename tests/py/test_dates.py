"""One date format on every page, in the organisation's zone (glue/pages/dates.py)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from glue import create_app
from glue.config import ConfigError, TestConfig, validate
from glue.pages import dates


@pytest.fixture()
def paris_app():
    app = create_app(TestConfig(DATABASE_URL="postgresql://unused", ORG_TIMEZONE="Europe/Paris"))
    with app.app_context():
        yield app


def test_formats_in_the_organisation_zone(paris_app):
    winter = "2026-03-12T13:05:00+00:00"
    assert dates.when(winter) == "12 Mar 2026, 14:05 CET"
    assert dates.day(winter) == "12 March 2026"
    assert dates.iso(winter) == "2026-03-12T14:05:00+01:00"
    assert dates.when(datetime(2026, 7, 1, 22, 30, tzinfo=UTC)) == "2 Jul 2026, 00:30 CEST"
    assert dates.when(None) == dates.day("") == dates.ago(None) == ""


def test_day_crosses_midnight_in_the_zone(paris_app):
    assert dates.day("2026-12-31T23:30:00+00:00") == "1 January 2027"


def test_a_plain_date_is_a_calendar_day_in_any_zone():
    app = create_app(TestConfig(DATABASE_URL="postgresql://unused", ORG_TIMEZONE="America/Los_Angeles"))
    with app.app_context():
        assert dates.day("2026-03-12") == "12 March 2026"
        assert dates.day(date(2026, 3, 12)) == "12 March 2026"
        assert dates.iso("2026-03-12") == "2026-03-12T00:00:00-07:00"
        assert dates.day("2026-03-12T03:00:00+00:00") == "11 March 2026"  # an instant does move


def test_relative_times(paris_app):
    now = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
    assert dates.ago(now - timedelta(seconds=20), now=now) == "just now"
    assert dates.ago(now - timedelta(minutes=1), now=now) == "1 minute ago"
    assert dates.ago(now - timedelta(hours=5), now=now) == "5 hours ago"
    assert dates.ago(now - timedelta(days=3, hours=2), now=now) == "3 days ago"
    assert dates.ago(now + timedelta(days=2, minutes=5), now=now) == "in 2 days"


def test_filters_are_registered(paris_app):
    rendered = paris_app.jinja_env.from_string("{{ t | when }} / {{ t | ago }}").render(t="2020-01-01T00:00:00Z")
    assert rendered.startswith("1 Jan 2020, 01:00 CET / ") and rendered.endswith("ago")


def test_unknown_zone_stops_start_up():
    with pytest.raises(ConfigError, match="ORG_TIMEZONE='Mars/Olympus'"):
        validate({"ORG_TIMEZONE": "Mars/Olympus", "PARTNER_WEBHOOK_SECRETS": {}})
