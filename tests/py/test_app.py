"""The web app's health check against a real database, and without one."""

from __future__ import annotations

from devtools.cluster import free_port
from glue import create_app
from glue.config import TestConfig


def test_healthz_answers_200_when_the_database_answers(db_url):
    app = create_app(TestConfig(DATABASE_URL=db_url))
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "up"}


def test_healthz_answers_503_when_the_database_is_down():
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    app = create_app(TestConfig(DATABASE_URL=dead, DB_TIMEOUT=0.5))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["database"] == "down"
    assert "127.0.0.1" not in response.get_data(as_text=True), "no internals in the answer"
