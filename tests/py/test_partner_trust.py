"""Partner trust (issue 12): each partner's webhooks verify with its own secret(s) only; the shared
`PARTNER_WEBHOOK_SECRET` is off unless PARTNER_WEBHOOK_SHARED_SECRET_ENABLED is set, and then
logged loudly; webhook secrets are validated at start-up; `make run` generates one per partner."""

from __future__ import annotations

import base64
import logging

import pytest
from dotenv import dotenv_values

from devtools import run
from glue import create_app
from glue.config import Config, ConfigError, TestConfig, check_webhook_secret, validate
from tests.py.conftest import PARTNERS, SECRETS, event, sign, webhook_secrets

URL = "/api/webhooks/partners/{}"
UNUSED_DB = "postgresql://127.0.0.1:1/unused"


def whsec(raw: bytes) -> str:
    return "whsec_" + base64.b64encode(raw).decode()


@pytest.fixture
def make_app(db_url):
    apps = []

    def make(**overrides):
        application = create_app(TestConfig(DATABASE_URL=db_url, **overrides))
        apps.append(application)
        return application

    yield make
    for application in apps:
        application.extensions["db"].close()


def post(application, slug, secret, body=None):
    body = body or event("custom.thing")
    return application.test_client().post(URL.format(slug), data=body, headers=sign(body, secret))


# --- per-partner trust ---------------------------------------------------------------------------


def test_a_partners_signature_is_accepted_only_at_its_own_endpoint(make_app):
    application = make_app(PARTNER_WEBHOOK_SECRETS=webhook_secrets())
    for signer in PARTNERS:
        for endpoint in PARTNERS:
            status = post(application, endpoint, SECRETS[signer]).status_code
            assert status == (200 if signer == endpoint else 401), (signer, endpoint, status)


def test_the_shared_secret_is_off_by_default(make_app, caplog):
    secrets = {"hsi": [SECRETS["hsi"]], "*": [SECRETS["shared"]]}
    with caplog.at_level(logging.WARNING):
        application = make_app(PARTNER_WEBHOOK_SECRETS=secrets)
    assert "PARTNER_WEBHOOK_SECRET is set but ignored" in caplog.text
    r = post(application, "jri", SECRETS["shared"])
    assert r.status_code == 503  # JRI has no secret of its own: nothing it sends can be trusted
    assert "no webhook secret is configured for this partner" in r.get_json()["message"]
    assert post(application, "hsi", SECRETS["hsi"]).status_code == 200


def test_the_shared_secret_read_from_the_environment_is_off_unless_enabled(monkeypatch):
    monkeypatch.setenv("PARTNER_WEBHOOK_SECRET", SECRETS["shared"])
    monkeypatch.delenv("PARTNER_WEBHOOK_SHARED_SECRET_ENABLED", raising=False)
    assert Config().PARTNER_WEBHOOK_SHARED_SECRET_ENABLED is False
    monkeypatch.setenv("PARTNER_WEBHOOK_SHARED_SECRET_ENABLED", "1")
    assert Config().PARTNER_WEBHOOK_SHARED_SECRET_ENABLED is True


def test_an_enabled_shared_secret_serves_partners_without_their_own_and_is_logged_loudly(make_app, caplog):
    secrets = {"hsi": [SECRETS["hsi"]], "*": [SECRETS["shared"]]}
    with caplog.at_level(logging.WARNING):
        application = make_app(PARTNER_WEBHOOK_SECRETS=secrets, PARTNER_WEBHOOK_SHARED_SECRET_ENABLED=True)
    assert "PARTNER_WEBHOOK_SHARED_SECRET_ENABLED is set" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert post(application, "jri", SECRETS["shared"]).status_code == 200
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "SHARED" in r.getMessage()]
    assert warnings and "PARTNER_WEBHOOK_SECRET_JRI" in warnings[0].getMessage()
    # a partner with its own secret never accepts the shared one
    assert post(application, "hsi", SECRETS["shared"]).status_code == 401


def test_enabling_the_shared_secret_without_one_stops_start_up():
    with pytest.raises(ConfigError, match="PARTNER_WEBHOOK_SHARED_SECRET_ENABLED is set but PARTNER_WEBHOOK_SECRET"):
        validate({"PARTNER_WEBHOOK_SECRETS": {"hsi": [SECRETS["hsi"]]}, "PARTNER_WEBHOOK_SHARED_SECRET_ENABLED": True})


def test_the_partners_without_a_secret_are_logged_when_the_partner_list_loads(make_app, caplog):
    with caplog.at_level(logging.INFO):
        application = make_app(PARTNER_WEBHOOK_SECRETS={"hsi": [SECRETS["hsi"]]})
        assert "webhook secrets configured for partner(s): hsi" in caplog.text
        assert post(application, "hsi", SECRETS["hsi"]).status_code == 200  # the first webhook loads the list
    line = next(r.getMessage() for r in caplog.records if "no webhook secret for partner" in r.getMessage())
    for slug in ("certiport", "careersafe", "jri", "milady"):
        assert slug in line and f"PARTNER_WEBHOOK_SECRET_{slug.upper()}" in line
    assert "PARTNER_WEBHOOK_SECRET_HSI" not in line


# --- validation at start-up ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret, reason",
    [
        (whsec(b"x"), "too weak"),
        (whsec(b"x" * 23), "too weak"),
        ("whsec_not-base64!", "malformed"),
        ("whsec_@@@@", "malformed"),
        ("whsec_" + "A" * 43, "malformed"),
        ("hunter2", "malformed"),
    ],
)
def test_a_weak_or_malformed_webhook_secret_stops_start_up_naming_the_setting(monkeypatch, secret, reason):
    monkeypatch.setenv("PARTNER_WEBHOOK_SECRET_CERTIPORT", f"{SECRETS['certiport']} {secret}")
    with pytest.raises(ConfigError, match=f"PARTNER_WEBHOOK_SECRET_CERTIPORT is {reason}") as caught:
        create_app(Config(DATABASE_URL=UNUSED_DB, SUPABASE_JWT_SECRET=None))
    assert secret not in str(caught.value)


def test_a_weak_shared_secret_stops_start_up_too():
    with pytest.raises(ConfigError, match="PARTNER_WEBHOOK_SECRET is too weak"):
        validate({"PARTNER_WEBHOOK_SECRETS": {"*": [whsec(b"short")]}})


def test_a_24_byte_secret_is_enough():
    check_webhook_secret("PARTNER_WEBHOOK_SECRET_HSI", whsec(b"x" * 24))


def test_two_partners_with_the_same_secret_stop_start_up():
    with pytest.raises(ConfigError, match="PARTNER_WEBHOOK_SECRET_JRI and PARTNER_WEBHOOK_SECRET_MILADY"):
        validate({"PARTNER_WEBHOOK_SECRETS": {"jri": [SECRETS["jri"]], "milady": [SECRETS["jri"]]}})


# --- make run ------------------------------------------------------------------------------------------


def test_make_run_generates_a_strong_secret_per_partner_and_no_shared_one(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "RUN_DIR", tmp_path)
    names = [f"PARTNER_WEBHOOK_SECRET_{slug.upper()}" for slug in PARTNERS]
    for name in ("SUPABASE_JWT_SECRET", "SECRET_KEY", "PARTNER_WEBHOOK_SECRET", *names):
        monkeypatch.setenv(name, "")  # unset, and restored after the test
    run._dev_secrets()
    run._dev_secrets(PARTNERS)
    saved = dotenv_values(tmp_path / "dev.env")
    assert not saved.get("PARTNER_WEBHOOK_SECRET")
    values = [saved[name] for name in names]
    assert len(set(values)) == len(values)
    for name, value in zip(names, values, strict=True):
        check_webhook_secret(name, value)
        assert len(base64.b64decode(value.removeprefix("whsec_"))) >= 32
    run._dev_secrets(PARTNERS)  # reused, not regenerated
    assert dotenv_values(tmp_path / "dev.env") == saved
    config = Config(DATABASE_URL=UNUSED_DB)
    assert config.PARTNER_WEBHOOK_SECRETS == {slug: [saved[name]] for slug, name in zip(PARTNERS, names, strict=True)}
    validate(vars(config))
