"""Thin Flask glue around the PostgreSQL state machine: webhooks in, pages out."""

from __future__ import annotations

import logging
import os

from dotenv import load_dotenv
from flask import Flask, jsonify

from .config import Config
from .db import Database, DatabaseUnavailable
from .rpc import RpcError, make_rpc


def create_app(config: Config | None = None) -> Flask:
    """Build the application. `config` defaults to `Config()` read from the environment
    (`.env` included); tests pass a `TestConfig(...)`."""
    load_dotenv(override=False)
    if config is None:
        config = Config()
    app = Flask(__name__, template_folder="pages/templates")
    app.config.from_object(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.urandom(32)  # sessions (CSRF) then last as long as the process
    supabase_http = bool(app.config.get("SUPABASE_URL") and app.config.get("SUPABASE_SERVICE_ROLE_KEY"))
    if not app.config.get("DATABASE_URL") and not supabase_http:
        raise RuntimeError("set DATABASE_URL, or SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (see .env.example)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    app.extensions["db"] = (
        Database(app.config["DATABASE_URL"], max_size=app.config["DB_POOL_MAX"], timeout=app.config["DB_TIMEOUT"])
        if app.config.get("DATABASE_URL")
        else None
    )

    app.extensions["rpc"] = make_rpc(app.config, app.extensions["db"])

    from . import pages, webhooks
    from .cli import register_commands

    app.extensions["partners"] = webhooks.KnownPartners()
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(pages.bp)
    from .pages import admin

    app.register_blueprint(admin.bp)
    from .pages import student

    app.register_blueprint(student.bp)
    register_commands(app)

    @app.get("/healthz")
    def healthz():
        """200 when the database answers, 503 when it does not."""
        try:
            app.extensions["rpc"].call("get_partner_slugs")
            return jsonify(status="ok", database="up")
        except (DatabaseUnavailable, RpcError):
            return jsonify(status="unavailable", database="down"), 503, {"Retry-After": "5"}

    return app
