"""Runs every pgTAP file under tests/sql/ with pg_prove against a migrated, seeded database
that also holds the test helpers (tests/sql/helpers/). Each file rolls back its own changes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import psycopg
import pytest

SQL_TESTS = Path(__file__).resolve().parents[1] / "sql"
FILES = sorted(SQL_TESTS.glob("*.sql"))


@pytest.fixture(scope="module")
def tap_db(pg_cluster, seeded_template):
    from tests.py.conftest import FreshDatabase

    factory = FreshDatabase(pg_cluster)
    url = factory(seeded_template)
    with psycopg.connect(url, autocommit=True) as conn:
        for helper in sorted((SQL_TESTS / "helpers").glob("*.sql")):
            conn.execute(helper.read_text())
    yield url
    factory.drop_all()


def test_there_are_pgtap_files():
    assert len(FILES) >= 5, FILES


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_pgtap_file(tap_db, path):
    u = urlparse(tap_db)
    result = subprocess.run(
        [
            "pg_prove",
            "--host",
            u.hostname,
            "--port",
            str(u.port),
            "--username",
            u.username,
            "--dbname",
            u.path.lstrip("/"),
            "--verbose",
            "--failures",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "PGPASSWORD": unquote(u.password or "")},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "All tests successful" in output, output
