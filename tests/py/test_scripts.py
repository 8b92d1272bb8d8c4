"""Every command in scripts/ (issue 13): `--help` answers without a database (no DATABASE_URL, a
working directory without .env), exits 0 and prints a usage — never a traceback; a wrong argument
exits non-zero with a message, never starting anything. The helper modules they run (bench.py,
generate_data.py) are reached through their commands."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from devtools.cluster import free_port

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(p for p in (REPO / "scripts").iterdir() if p.suffix == "" and os.access(p, os.X_OK))


def run(script: Path, *args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SUPABASE_URL", "SUPABASE_SECRET_KEY")}
    return subprocess.run(
        [str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**clean, **(env or {})},
        cwd="/",
    )


def test_the_list_of_commands():
    assert [p.name for p in SCRIPTS] == [
        "bench",
        "bootstrap",
        "chaos",
        "generate-data",
        "new-migration",
        "partner-simulator",
        "replay-events",
        "serve",
        "verify-credential",
    ]


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_needs_no_database_and_exits_0(script, flag):
    result = run(script, flag)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    out = result.stdout
    assert len(out.strip().splitlines()) >= 3, out
    assert "usage" in out.lower() or f"scripts/{script.name}" in out, out
    assert "set -euo" not in out and "#!/" not in out, "the help is the comment, not the script's code"


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_a_wrong_argument_fails_with_a_message(script):
    result = run(script, "--no-such-option")
    assert result.returncode != 0, result.stdout + result.stderr
    assert result.stderr.strip(), "says why"
    assert "Traceback" not in result.stdout + result.stderr


def test_replay_events_without_configuration_is_a_clear_error():
    result = run(REPO / "scripts" / "replay-events", "--unmatched")
    assert result.returncode == 1
    assert "set DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


def test_replay_events_with_the_database_down_fails():
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    result = run(REPO / "scripts" / "replay-events", "--unmatched", env={"DATABASE_URL": dead, "DB_TIMEOUT": "0.5"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "database unavailable" in result.stderr and "Traceback" not in result.stderr


def test_generate_data_without_a_database_fails():
    result = run(REPO / "scripts" / "generate-data", "--enrollments", "10")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr


def test_new_migration_without_a_name_prints_the_usage_and_fails():
    result = run(REPO / "scripts" / "new-migration")
    assert result.returncode == 1
    assert "scripts/new-migration <name>" in result.stdout
