"""Configuration from the environment (and `.env`, read by python-dotenv in create_app)."""

from __future__ import annotations

import os


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class Config:
    """Production settings: everything comes from the environment; nothing insecure by default."""

    TESTING = False
    DATABASE_URL = _env("DATABASE_URL")
    SITE_URL = _env("SITE_URL", "http://127.0.0.1:5000")
    SUPABASE_URL = _env("SUPABASE_URL")
    SUPABASE_SERVICE_ROLE_KEY = _env("SUPABASE_SERVICE_ROLE_KEY")
    SUPABASE_JWT_SECRET = _env("SUPABASE_JWT_SECRET")
    SMTP_URL = _env("SMTP_URL")
    MAIL_FROM = _env("MAIL_FROM", "Training Team <no-reply@example.org>")
    SECRET_KEY = _env("SECRET_KEY") or _env("SUPABASE_JWT_SECRET")
    DB_POOL_MAX = int(_env("DB_POOL_MAX", "10"))
    DB_TIMEOUT = float(_env("DB_TIMEOUT", "5"))
    # The development sign-in page (lists demo users, mints tokens): only for local runs.
    DEV_LOGIN = False
    MAX_CONTENT_LENGTH = 256 * 1024  # webhook bodies over 256 KiB are refused (413)

    def __init__(self, **overrides):
        for key, value in overrides.items():
            setattr(self, key, value)


class DevelopmentConfig(Config):
    """`make run`: local cluster, development sign-in page enabled."""

    DEV_LOGIN = True


class TestConfig(Config):
    """Tests: explicit database URL and secrets are passed in by the fixtures."""

    __test__ = False  # not a pytest test class
    TESTING = True
    DB_TIMEOUT = 2.0
