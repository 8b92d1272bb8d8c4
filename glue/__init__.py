"""Thin Flask glue around the PostgreSQL state machine: webhooks in, pages out."""

from __future__ import annotations

import logging
import os
import secrets
from urllib.parse import urlsplit

from dotenv import load_dotenv
from flask import Flask, abort, g, jsonify, request

from .config import Config, ConfigError, supabase_defaults, validate
from .db import Database, DatabaseUnavailable
from .rpc import RpcError, make_rpc

# every response: no sniffing, no framing, referrers only to ourselves, and a Content-Security-Policy
# that allows nothing but this origin's forms and fetches and the pages' own <style> and <script>
# elements, which carry a per-response nonce (no inline style attributes or event handlers anywhere)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
CSP = (
    "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def csp_nonce() -> str:
    """This response's CSP nonce (templates: `<script nonce="{{ csp_nonce() }}">`)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def cookie_defaults(config) -> None:
    """The session cookie is HttpOnly and SameSite=Lax, and Secure when SITE_URL is https (local
    development runs over http://127.0.0.1); SESSION_COOKIE_SECURE set explicitly wins."""
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if config.get("SESSION_COOKIE_SECURE") is None:
        config["SESSION_COOKIE_SECURE"] = urlsplit(config.get("SITE_URL") or "").scheme == "https"


def create_app(config: Config | None = None) -> Flask:
    """Build the application. `config` defaults to `Config()` read from the environment
    (`.env` included); tests pass a `TestConfig(...)`. A missing, weak or malformed setting
    stops here with a ConfigError naming it."""
    load_dotenv(override=False)
    if config is None:
        config = Config()
    app = Flask(__name__, template_folder="pages/templates")
    app.config.from_object(config)
    session_key_missing = not app.config.get("SECRET_KEY")  # its own setting: never the JWT secret
    if session_key_missing:
        app.config["SECRET_KEY"] = os.urandom(32)  # sessions (CSRF) then last as long as the process
    supabase_defaults(app.config)
    cookie_defaults(app.config)
    validate(app.config)
    supabase_http = bool(app.config.get("SUPABASE_URL") and app.config.get("SUPABASE_SERVICE_ROLE_KEY"))
    if not app.config.get("DATABASE_URL") and not supabase_http:
        raise ConfigError("set DATABASE_URL, or SUPABASE_URL and SUPABASE_SECRET_KEY (see .env.example)")
    if not app.config.get("DATABASE_URL") and not app.config.get("WEBHOOKS_ONLY"):
        raise ConfigError(
            "the pages (/student/progress, /admin/dashboard) read the database as the signed-in user and need "
            "DATABASE_URL (on Supabase: the pooler connection string); set it, or set WEBHOOKS_ONLY=1 to serve "
            "only the partner webhooks over SUPABASE_URL"
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if session_key_missing and not app.config.get("WEBHOOKS_ONLY"):
        logging.getLogger(__name__).warning(
            "SECRET_KEY is not set: a random one is used, so forms fail across processes and restarts; set it"
        )

    app.extensions["db"] = (
        Database(
            app.config["DATABASE_URL"],
            max_size=app.config["DB_POOL_MAX"],
            timeout=app.config["DB_TIMEOUT"],
            statement_timeout=app.config["DB_STATEMENT_TIMEOUT"],
            lock_timeout=app.config["DB_LOCK_TIMEOUT"],
            idle_in_transaction_timeout=app.config["DB_IDLE_IN_TRANSACTION_TIMEOUT"],
        )
        if app.config.get("DATABASE_URL")
        else None
    )

    app.extensions["rpc"] = make_rpc(app.config, app.extensions["db"])

    from . import auth

    app.extensions["jwks"] = auth.KeySet.from_config(app.config)  # asymmetric JWT signing keys, if any

    if app.config.get("WEBHOOKS_ONLY"):

        @app.before_request
        def _webhooks_only():
            if not (request.path.startswith("/api/webhooks/") or request.path == "/healthz"):
                abort(404, description="This deployment serves the partner webhooks only (WEBHOOKS_ONLY is set).")

    from . import pages, webhooks
    from .cli import register_commands
    from .pages import admin, student
    from .pages import auth as sign_in

    app.extensions["partners"] = webhooks.KnownPartners()
    app.register_blueprint(webhooks.bp)  # /api/webhooks/partners/<slug>
    app.register_blueprint(pages.bp)  # /, /certificates/<code>
    app.register_blueprint(sign_in.bp)  # /login, /login/dev, /logout
    app.register_blueprint(student.bp)  # /student/progress, /student/certificates/<id>.pdf
    app.register_blueprint(admin.bp)  # /admin/dashboard, /admin/dashboard.json, /admin/steps/..., /admin/events/...
    register_commands(app)

    app.jinja_env.globals["csp_nonce"] = csp_nonce
    from .pages import dates

    app.jinja_env.filters.update(dates.FILTERS)  # day, when, iso, ago: one date format, ORG_TIMEZONE

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
        return response

    from .wsgi_input import GuardedInput

    app.wsgi_app = GuardedInput(app.wsgi_app)  # an unreadable body (bad chunked framing) is a 400, not a 500

    @app.get("/healthz")
    def healthz():
        """200 when the database answers, 503 when it does not."""
        try:
            app.extensions["rpc"].call("get_partner_slugs")
            return jsonify(status="ok", database="up")
        except (DatabaseUnavailable, RpcError):
            return jsonify(status="unavailable", database="down"), 503, {"Retry-After": "5"}

    return app
