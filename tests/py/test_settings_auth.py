"""Start-up settings for sign-in and sessions: a weak SUPABASE_JWT_SECRET stops start-up naming
it; SECRET_KEY is its own setting (never the JWT secret); the issuer and JWKS URL derive from
SUPABASE_URL unless set; `make run` generates what it needs."""

from __future__ import annotations

import pytest
from dotenv import dotenv_values

from devtools import run
from glue import create_app
from glue.config import Config, ConfigError, TestConfig

UNUSED_DB = "postgresql://nobody@127.0.0.1:9/unused"


def test_a_jwt_secret_shorter_than_32_bytes_stops_start_up_naming_it():
    with pytest.raises(ConfigError, match="SUPABASE_JWT_SECRET .*at least 32 bytes"):
        create_app(TestConfig(DATABASE_URL=UNUSED_DB, SUPABASE_JWT_SECRET="x" * 31))
    create_app(TestConfig(DATABASE_URL=UNUSED_DB, SUPABASE_JWT_SECRET="x" * 32))
    create_app(TestConfig(DATABASE_URL=UNUSED_DB, SUPABASE_JWT_SECRET="é" * 16))  # bytes, not characters
    create_app(TestConfig(DATABASE_URL=UNUSED_DB, SUPABASE_JWT_SECRET=None))  # unset: asymmetric keys only


def test_secret_key_does_not_fall_back_to_the_jwt_secret(monkeypatch):
    jwt_secret = "j" * 40
    monkeypatch.setenv("SUPABASE_JWT_SECRET", jwt_secret)
    monkeypatch.setenv("DATABASE_URL", UNUSED_DB)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = Config()
    assert config.SECRET_KEY is None
    app = create_app(config)
    assert app.config["SECRET_KEY"] not in (None, "", jwt_secret, jwt_secret.encode())
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    assert create_app(Config()).config["SECRET_KEY"] == "s" * 40


def test_issuer_and_jwks_url_derive_from_supabase_url_unless_set():
    app = create_app(TestConfig(DATABASE_URL=UNUSED_DB, SUPABASE_URL="https://abcdefgh.supabase.co/"))
    assert app.config["SUPABASE_JWT_ISSUER"] == "https://abcdefgh.supabase.co/auth/v1"
    assert app.config["SUPABASE_JWKS_URL"] == "https://abcdefgh.supabase.co/auth/v1/.well-known/jwks.json"
    assert app.extensions["jwks"].url == app.config["SUPABASE_JWKS_URL"]
    assert app.extensions["jwks"].fetches == 0, "read on the first asymmetric token, not at start-up"
    app = create_app(
        TestConfig(
            DATABASE_URL=UNUSED_DB,
            SUPABASE_URL="https://abcdefgh.supabase.co",
            SUPABASE_JWT_ISSUER="https://auth.example.org/auth/v1",
            SUPABASE_JWKS_URL="https://auth.example.org/auth/v1/.well-known/jwks.json",
        )
    )
    assert app.config["SUPABASE_JWT_ISSUER"] == "https://auth.example.org/auth/v1"
    assert app.extensions["jwks"].url == "https://auth.example.org/auth/v1/.well-known/jwks.json"
    app = create_app(TestConfig(DATABASE_URL=UNUSED_DB))
    assert app.config["SUPABASE_JWT_ISSUER"] is None and app.extensions["jwks"] is None


@pytest.mark.parametrize("name", ["SUPABASE_JWKS_CACHE_TTL", "SUPABASE_JWKS_MIN_REFRESH"])
@pytest.mark.parametrize("value", ["ten", "-1", "nan"])
def test_malformed_jwks_timings_stop_start_up_naming_them(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        Config()


def test_make_run_generates_a_session_key_and_a_strong_jwt_secret(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "RUN_DIR", tmp_path)
    for name in ("SUPABASE_JWT_SECRET", "SECRET_KEY", "PARTNER_WEBHOOK_SECRET"):
        monkeypatch.setenv(name, "")  # unset, and restored after the test
    run._dev_secrets()
    saved = dotenv_values(tmp_path / "dev.env")
    assert len(saved["SUPABASE_JWT_SECRET"].encode()) >= 32
    assert saved["SECRET_KEY"] and saved["SECRET_KEY"] != saved["SUPABASE_JWT_SECRET"]
    config = Config(DATABASE_URL=UNUSED_DB)
    assert (config.SECRET_KEY, config.SUPABASE_JWT_SECRET) == (saved["SECRET_KEY"], saved["SUPABASE_JWT_SECRET"])
    create_app(config)  # passes start-up validation
