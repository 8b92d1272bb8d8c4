"""Our SQL files as the Supabase CLI runs them: it splits a file into statements and sends them
as one pgx batch over the extended protocol, outside BEGIN, preparing every statement of the
file before it executes the first (so a statement may not depend on an object an earlier one
creates, and `set local` warns). psycopg's pipeline mode and libpq's prepare do the same here."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
from psycopg import pq

REPO = Path(__file__).resolve().parents[2]
MIGRATION_FILES = sorted((REPO / "supabase" / "migrations").glob("*.sql"))
SEED_FILES = [REPO / "supabase" / "seed.sql", REPO / "supabase" / "demo.sql"]
DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")


def split_statements(text: str) -> list[str]:
    """Split SQL into statements at top-level semicolons, skipping comments, quoted strings,
    quoted identifiers and dollar-quoted bodies; statements made only of comments are dropped."""
    statements: list[str] = []
    start, i, n, code = 0, 0, len(text), False
    while i < n:
        if text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        c = text[i]
        if c == "'":
            j = i + 1
            while True:
                j = text.find("'", j)
                if j < 0 or not text.startswith("''", j):
                    break
                j += 2
            i, code = (n if j < 0 else j + 1), True
            continue
        if c == '"':
            end = text.find('"', i + 1)
            i, code = (n if end < 0 else end + 1), True
            continue
        if c == "$" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = DOLLAR_TAG.match(text, i)
            if m:
                end = text.find(m.group(0), m.end())
                i, code = (n if end < 0 else end + len(m.group(0))), True
                continue
        if c == ";":
            if code:
                statements.append(text[start:i].strip())
            start, code = i + 1, False
        elif not c.isspace():
            code = True
        i += 1
    if code:
        statements.append(text[start:].strip())
    return statements


def test_the_splitter_respects_quotes_comments_and_dollar_bodies():
    text = (
        "-- a comment; with a semicolon\n"
        "select 'a;b', \"c;d\" from t; /* e; */\n"
        "do $$ begin perform 1; end $$;\n"
        "create function f() returns int language sql as $body$ select 1; $body$;\n"
        "select 'it''s; fine'\n"
    )
    assert split_statements(text) == [
        "-- a comment; with a semicolon\nselect 'a;b', \"c;d\" from t",
        "/* e; */\ndo $$ begin perform 1; end $$",
        "create function f() returns int language sql as $body$ select 1; $body$",
        "select 'it''s; fine'",
    ]


def test_seed_and_demo_prepare_every_statement_before_running_any(fresh_db, migrated_template):
    """The CLI loads seed.sql (`supabase db reset`, `db push --include-seed`), and a local stack
    may load demo.sql after it: each file's statements are all prepared (parsed and analysed
    against the migrated schema) before the first runs."""
    url = fresh_db(migrated_template)
    with psycopg.connect(url, autocommit=True) as conn:
        for path in SEED_FILES:
            statements = split_statements(path.read_text())
            for n, statement in enumerate(statements, 1):
                result = conn.pgconn.prepare(f"{path.stem}_{n}".encode(), statement.encode())
                assert result.status == pq.ExecStatus.COMMAND_OK, (
                    f"{path.name}, statement {n}: {(result.error_message or b'').decode()}"
                )
            with conn.transaction():
                for statement in statements:
                    conn.execute(statement)
        counts = conn.execute(
            "select (select count(*) from public.programs), (select count(*) from public.program_partner_lms),"
            " (select count(*) from public.profiles), (select count(*) from public.enrollments)"
        ).fetchone()
    assert counts == (48, 77, 6, 5)


def test_migrations_run_quietly_and_keep_their_timeouts_as_a_cli_batch(fresh_db):
    """No `WARNING: SET LOCAL can only be used in transaction blocks`: each migration, sent as
    the CLI sends it, prints no warning, and its lock and statement timeouts hold in the batch."""
    url = fresh_db()
    warnings: list[tuple[str, str]] = []
    current = ""

    def on_notice(diag: psycopg.errors.Diagnostic) -> None:
        if diag.severity_nonlocalized == "WARNING":
            warnings.append((current, diag.message_primary or ""))

    timeouts = {}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.add_notice_handler(on_notice)
        for path in MIGRATION_FILES:
            current = path.name
            with conn.pipeline():
                statements = split_statements(path.read_text())
                for statement in statements[:2]:
                    conn.execute(statement)
                probe = conn.execute("select current_setting('lock_timeout'), current_setting('statement_timeout')")
                for statement in statements[2:]:
                    conn.execute(statement)
            timeouts[path.name] = probe.fetchone()
    assert warnings == []
    timeouts.pop("20261122000100_supabase_compat.sql")  # creates roles and auth only if absent: no timeouts
    assert timeouts == {name: ("10s", "2min") for name in timeouts}


def test_no_migration_or_template_uses_set_local():
    for path in [*MIGRATION_FILES, REPO / "scripts" / "new-migration"]:
        assert not re.search(r"^\s*(echo \")?set local\b", path.read_text(), re.I | re.M), path.name
