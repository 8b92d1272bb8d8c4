"""Configuration from the environment (and `.env`, read by python-dotenv in create_app)."""

from __future__ import annotations

import os

SECRET_PREFIX = "PARTNER_WEBHOOK_SECRET"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def webhook_secrets_from_env(environ=os.environ) -> dict[str, list[str]]:
    """`PARTNER_WEBHOOK_SECRET_<SLUG>` → {slug: [secrets]}; the shared `PARTNER_WEBHOOK_SECRET`
    is under the key "*". Several secrets separated by spaces are accepted (rotation)."""
    secrets: dict[str, list[str]] = {}
    for key, value in environ.items():
        if not value or not value.strip():
            continue
        if key == SECRET_PREFIX:
            secrets["*"] = value.split()
        elif key.startswith(SECRET_PREFIX + "_"):
            secrets[key[len(SECRET_PREFIX) + 1 :].lower()] = value.split()
    return secrets


class Config:
    """Production settings, read from the environment when instantiated; nothing insecure by
    default. Keyword arguments override (tests, `make run`)."""

    TESTING = False
    DEV_LOGIN = False  # the development sign-in page (lists demo users): local runs only
    MAX_CONTENT_LENGTH = 256 * 1024  # webhook bodies over 256 KiB are refused (413)

    def __init__(self, **overrides):
        self.DATABASE_URL = _env("DATABASE_URL")
        self.SITE_URL = _env("SITE_URL", "http://127.0.0.1:5000")
        self.SUPABASE_URL = _env("SUPABASE_URL")
        self.SUPABASE_SERVICE_ROLE_KEY = _env("SUPABASE_SERVICE_ROLE_KEY")
        self.SUPABASE_JWT_SECRET = _env("SUPABASE_JWT_SECRET")
        self.SMTP_URL = _env("SMTP_URL")
        self.MAIL_FROM = _env("MAIL_FROM", "Training Team <no-reply@example.org>")
        self.SECRET_KEY = _env("SECRET_KEY") or _env("SUPABASE_JWT_SECRET")
        self.DB_POOL_MAX = int(_env("DB_POOL_MAX", "10"))
        self.DB_TIMEOUT = float(_env("DB_TIMEOUT", "5"))
        self.PARTNER_WEBHOOK_SECRETS = webhook_secrets_from_env()
        for key, value in overrides.items():
            setattr(self, key, value)


class DevelopmentConfig(Config):
    """`make run`: local cluster, development sign-in page enabled."""

    DEV_LOGIN = True


class TestConfig(Config):
    """Tests: explicit database URL and secrets are passed in by the fixtures."""

    __test__ = False  # not a pytest test class
    TESTING = True

    def __init__(self, **overrides):
        defaults = {
            "DB_TIMEOUT": 2.0,
            "PARTNER_WEBHOOK_SECRETS": {},
            "SUPABASE_JWT_SECRET": "test-jwt-secret-with-at-least-32-bytes!",
            "SECRET_KEY": "test-session-secret",
            "SITE_URL": "http://testserver",
        }
        super().__init__(**{**defaults, **overrides})
