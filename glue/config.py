"""Configuration from the environment (and `.env`, read by python-dotenv in create_app)."""

from __future__ import annotations

import base64
import binascii
import logging
import os

log = logging.getLogger(__name__)

SECRET_PREFIX = "PARTNER_WEBHOOK_SECRET"
# the shared `PARTNER_WEBHOOK_SECRET` is a development convenience: ignored unless this is set
SHARED_SECRET_FLAG = "PARTNER_WEBHOOK_SHARED_SECRET_ENABLED"
MIN_WEBHOOK_SECRET_BYTES = 24


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


def secret_setting(slug: str) -> str:
    """The environment variable that holds this partner's webhook secrets ("*": the shared one)."""
    return SECRET_PREFIX if slug == "*" else f"{SECRET_PREFIX}_{slug.upper()}"


def check_webhook_secret(name: str, secret: str) -> None:
    """A Standard Webhooks secret (`whsec_` + base64) decoding to at least 24 bytes, else a
    ConfigError naming the setting (never echoing the value)."""
    encoded = secret[len("whsec_") :] if secret.startswith("whsec_") else secret
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(
            f"{name} is malformed: a webhook secret is whsec_ followed by base64 (several are separated by spaces)"
        ) from None
    if len(key) < MIN_WEBHOOK_SECRET_BYTES:
        raise ConfigError(
            f"{name} is too weak ({len(key)} bytes): a webhook secret must decode to at least "
            f"{MIN_WEBHOOK_SECRET_BYTES} bytes (e.g. whsec_ + base64 of 32 random bytes)"
        )


def _flag(name: str) -> bool:
    return (_env(name) or "").strip().lower() in ("1", "true", "yes", "on")


class ConfigError(RuntimeError):
    """A setting is missing, weak or malformed: start-up stops with a message naming it."""


def _seconds(name: str, default: float) -> float:
    value = _env(name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise ConfigError(f"{name} must be a number of seconds >= 0 (got {value!r})")
    return seconds


MIN_JWT_SECRET_BYTES = 32


class Config:
    """Production settings, read from the environment when instantiated; nothing insecure by
    default. Keyword arguments override (tests, `make run`).

    Sign-in (pages): access tokens are verified with SUPABASE_JWT_SECRET (HS256, the legacy
    shared secret) and/or the project's public keys (ES256/RS256, from SUPABASE_JWKS_FILE, else
    SUPABASE_JWKS_URL, which defaults to `<SUPABASE_URL>/auth/v1/.well-known/jwks.json`).
    `iss` must be SUPABASE_JWT_ISSUER (default `<SUPABASE_URL>/auth/v1`) when that is known."""

    TESTING = False
    DEV_LOGIN = False  # the development sign-in page (lists demo users): local runs only
    MAX_CONTENT_LENGTH = 256 * 1024  # webhook bodies over 256 KiB are refused (413)
    # the session cookie: HttpOnly, SameSite=Lax, and Secure when SITE_URL is https (None: decided
    # from SITE_URL at start-up, glue.cookie_defaults; True/False here or as an override wins)
    SESSION_COOKIE_SECURE: bool | None = None

    def __init__(self, **overrides):
        self.DATABASE_URL = _env("DATABASE_URL")
        self.SITE_URL = _env("SITE_URL", "http://127.0.0.1:5000")
        self.SUPABASE_URL = _env("SUPABASE_URL")
        # the HTTP transport's key: a secret API key (sb_secret_...) or the legacy service_role JWT
        self.SUPABASE_SERVICE_ROLE_KEY = _env("SUPABASE_SERVICE_ROLE_KEY") or _env("SUPABASE_SECRET_KEY")
        self.SUPABASE_JWT_SECRET = _env("SUPABASE_JWT_SECRET")
        self.SUPABASE_JWT_ISSUER = _env("SUPABASE_JWT_ISSUER")  # default: <SUPABASE_URL>/auth/v1
        self.SUPABASE_JWKS_URL = _env("SUPABASE_JWKS_URL")  # default: <SUPABASE_URL>/auth/v1/.well-known/jwks.json
        self.SUPABASE_JWKS_FILE = _env("SUPABASE_JWKS_FILE")  # offline: a JWKS JSON file (wins over the URL)
        # the JWKS is refetched when older than the TTL; an unknown `kid` refetches it at most once
        # per MIN_REFRESH seconds (garbage kids cannot make us hammer the endpoint)
        self.SUPABASE_JWKS_CACHE_TTL = _seconds("SUPABASE_JWKS_CACHE_TTL", 600)
        self.SUPABASE_JWKS_MIN_REFRESH = _seconds("SUPABASE_JWKS_MIN_REFRESH", 30)
        self.SUPABASE_AUTH_COOKIE = _env("SUPABASE_AUTH_COOKIE")  # default: sb-<project-ref>-auth-token
        self.WEBHOOKS_ONLY = _flag("WEBHOOKS_ONLY")
        self.SMTP_URL = _env("SMTP_URL")
        self.MAIL_FROM = _env("MAIL_FROM", "Training Team <no-reply@example.org>")
        self.SECRET_KEY = _env("SECRET_KEY")
        self.ORG_TIMEZONE = _env("ORG_TIMEZONE", "UTC")  # dates on the pages (IANA name)
        # the student progress page polls for changes every N seconds (min 1)
        self.STUDENT_REFRESH_SECONDS = max(1.0, _seconds("STUDENT_REFRESH_SECONDS", 15))
        self.DB_POOL_MAX = int(_env("DB_POOL_MAX", "10"))
        self.DB_TIMEOUT = float(_env("DB_TIMEOUT", "5"))
        # PostgreSQL limits per transaction (web app; the worker allows WORKER_STATEMENT_TIMEOUT)
        self.DB_STATEMENT_TIMEOUT = _env("DB_STATEMENT_TIMEOUT", "5s")
        self.DB_LOCK_TIMEOUT = _env("DB_LOCK_TIMEOUT", "2s")
        self.DB_IDLE_IN_TRANSACTION_TIMEOUT = _env("DB_IDLE_IN_TRANSACTION_TIMEOUT", "10s")
        self.WORKER_STATEMENT_TIMEOUT = _env("WORKER_STATEMENT_TIMEOUT", "2min")
        self.PARTNER_WEBHOOK_SECRETS = webhook_secrets_from_env()
        self.PARTNER_WEBHOOK_SHARED_SECRET_ENABLED = _flag(SHARED_SECRET_FLAG)
        # Open Badges credentials (glue.credentials, docs/credentials.md): the issuer's Ed25519 key
        # (PEM or JWK, or a file holding it; unset: no credentials are issued), retired public keys
        # still published (a JWKS file), the issuer's id (default <SITE_URL>/issuer) and name
        self.CREDENTIAL_SIGNING_KEY = _env("CREDENTIAL_SIGNING_KEY")
        self.CREDENTIAL_SIGNING_KEY_FILE = _env("CREDENTIAL_SIGNING_KEY_FILE")
        self.CREDENTIAL_RETIRED_KEYS_FILE = _env("CREDENTIAL_RETIRED_KEYS_FILE")
        self.CREDENTIAL_ISSUER_ID = _env("CREDENTIAL_ISSUER_ID")
        self.CREDENTIAL_ISSUER_NAME = _env("CREDENTIAL_ISSUER_NAME")
        for key, value in overrides.items():
            setattr(self, key, value)


def supabase_defaults(config) -> None:
    """Fill the settings derived from SUPABASE_URL (issuer, JWKS URL) in a Flask config."""
    url = (config.get("SUPABASE_URL") or "").rstrip("/")
    if url:
        config.setdefault("SUPABASE_JWT_ISSUER", None)
        config.setdefault("SUPABASE_JWKS_URL", None)
        config["SUPABASE_JWT_ISSUER"] = config["SUPABASE_JWT_ISSUER"] or f"{url}/auth/v1"
        config["SUPABASE_JWKS_URL"] = config["SUPABASE_JWKS_URL"] or f"{url}/auth/v1/.well-known/jwks.json"


def validate(config) -> None:
    """Stop start-up on a weak or malformed setting, naming it (ConfigError)."""
    secret = config.get("SUPABASE_JWT_SECRET")
    if secret and len(secret.encode()) < MIN_JWT_SECRET_BYTES:
        raise ConfigError(
            f"SUPABASE_JWT_SECRET is too short ({len(secret.encode())} bytes): it must be at least "
            f"{MIN_JWT_SECRET_BYTES} bytes (Supabase: Settings -> API -> JWT Secret)"
        )
    validate_webhook_secrets(config)
    from .pages.dates import check_zone

    try:
        check_zone(config.get("ORG_TIMEZONE") or "UTC")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    from .credentials import CredentialError, issuer_from_config

    try:
        issuer_from_config(config)  # the credential signing key and issuer settings
    except CredentialError as exc:
        raise ConfigError(str(exc)) from None


def validate_webhook_secrets(config) -> None:
    """Every partner webhook secret well formed and strong, no secret held by two settings (a
    partner could then sign events for the other), and the shared one used only when enabled,
    loudly."""
    configured = config.get("PARTNER_WEBHOOK_SECRETS") or {}
    holder: dict[str, str] = {}
    for slug, values in configured.items():
        name = secret_setting(slug)
        for value in values:
            check_webhook_secret(name, value)
            if holder.setdefault(value, name) != name:
                raise ConfigError(
                    f"{holder[value]} and {name} hold the same secret: each partner needs its own, or one "
                    "partner could sign events for the other"
                )
    if config.get(SHARED_SECRET_FLAG):
        if "*" not in configured:
            raise ConfigError(f"{SHARED_SECRET_FLAG} is set but {SECRET_PREFIX} is empty")
        log.warning(
            "%s is set: partners without their own %s_<SLUG> accept events signed with the shared %s, so any "
            "partner that knows it can sign events for them. A development convenience: never in production",
            SHARED_SECRET_FLAG,
            SECRET_PREFIX,
            SECRET_PREFIX,
        )
    elif "*" in configured:
        log.warning(
            "%s is set but ignored (%s is not set): each partner's webhooks need its own %s_<SLUG>",
            SECRET_PREFIX,
            SHARED_SECRET_FLAG,
            SECRET_PREFIX,
        )


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
