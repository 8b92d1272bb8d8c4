"""Thin Flask glue around the PostgreSQL state machine: webhooks in, pages out."""

from __future__ import annotations

import logging

from dotenv import load_dotenv
from flask import Flask, jsonify

from .config import Config
from .db import Database


def create_app(config: Config | None = None) -> Flask:
    """Build the application. `config` defaults to `Config()` read from the environment
    (`.env` included); tests pass a `TestConfig(...)`."""
    load_dotenv(override=False)
    if config is None:
        config = Config()
    app = Flask(__name__, template_folder="pages/templates")
    app.config.from_object(config)
    if not app.config.get("DATABASE_URL"):
        raise RuntimeError("DATABASE_URL is not set (see .env.example)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    app.extensions["db"] = Database(
        app.config["DATABASE_URL"], max_size=app.config["DB_POOL_MAX"], timeout=app.config["DB_TIMEOUT"]
    )

    @app.get("/healthz")
    def healthz():
        """200 when the database answers, 503 when it does not."""
        if app.extensions["db"].ping():
            return jsonify(status="ok", database="up")
        return jsonify(status="unavailable", database="down"), 503, {"Retry-After": "5"}

    return app
