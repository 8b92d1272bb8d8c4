"""The migration runner (order, tracking table, idempotence, locking, failure, rollback) and
the sql/ sources staying in step with the migrations (no drift)."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import psycopg
import pytest

from glue import migrate
from tests.py.catalog import snapshot

REPO = Path(__file__).resolve().parents[2]
MIGRATION_FILES = sorted((REPO / "supabase" / "migrations").glob("*.sql"))


def _tracked(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select version, name, array_length(statements, 1) from "
            "supabase_migrations.schema_migrations order by version"
        ).fetchall()


def test_migrations_apply_in_order_and_are_tracked_like_the_supabase_cli(fresh_db):
    url = fresh_db()
    applied = migrate.migrate(url)
    assert [m.path for m in applied] == MIGRATION_FILES
    expected = [(f.name[:14], f.name[15:-4], 1) for f in MIGRATION_FILES]
    assert _tracked(url) == expected


def test_migrating_again_changes_nothing(fresh_db):
    url = fresh_db()
    migrate.migrate(url)
    before = snapshot(url)
    assert migrate.migrate(url) == []
    assert snapshot(url) == before
    assert len(_tracked(url)) == len(MIGRATION_FILES)


def test_two_migrators_at_once_apply_each_migration_once(fresh_db):
    url = fresh_db()
    results, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        try:
            results.append(migrate.migrate(url))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # each file applied by exactly one of them (through a transaction pooler they may take turns:
    # the lock is per migration's transaction, and the one that waited skips what the other did)
    assert sorted(m.path.name for r in results for m in r) == [p.name for p in MIGRATION_FILES]
    assert len(_tracked(url)) == len(MIGRATION_FILES)


def test_a_failing_migration_rolls_back_alone_and_stops_the_run(fresh_db, tmp_path):
    (tmp_path / "20990101000001_good.sql").write_text("create table public.good (id int);")
    (tmp_path / "20990101000002_bad.sql").write_text("create table public.half_done (id int);\nselect 1/0;")
    (tmp_path / "20990101000003_after.sql").write_text("create table public.after (id int);")
    url = fresh_db()
    with pytest.raises(psycopg.errors.DivisionByZero):
        migrate.migrate(url, tmp_path)
    with psycopg.connect(url) as conn:
        tables = {r[0] for r in conn.execute("select tablename from pg_tables where schemaname = 'public'").fetchall()}
    assert tables == {"good"}
    assert [r[0] for r in _tracked(url)] == ["20990101000001"]


def test_a_badly_named_migration_file_is_an_error(tmp_path):
    (tmp_path / "2099_oops.sql").write_text("select 1;")
    with pytest.raises(ValueError, match="14-digit"):
        migrate.discover(tmp_path)


def test_rollback_removes_the_feature_set_and_migrating_again_restores_it(fresh_db):
    url = fresh_db()
    migrate.migrate(url)
    migrate.seed(url)
    first = snapshot(url)
    migrate.rollback(url)
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from pg_tables where schemaname = 'public'").fetchone()[0] == 0
        assert (
            conn.execute(
                "select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
                " where n.nspname = 'public'"
            ).fetchone()[0]
            == 0
        )
        assert conn.execute("select to_regnamespace('private')").fetchone()[0] is None
    assert _tracked(url) == []
    assert len(migrate.migrate(url)) == len(MIGRATION_FILES)
    assert snapshot(url) == first


def test_rollback_script_unrecords_every_migration():
    text = (REPO / "supabase" / "rollback.sql").read_text()
    listed = set(re.findall(r"'(\d{14})'", text))
    assert listed == {f.name[:14] for f in MIGRATION_FILES}


def _sources() -> list[Path]:
    return sorted((REPO / "sql" / "functions").glob("*.sql")) + sorted((REPO / "sql" / "policies").glob("*.sql"))


def test_sql_sources_and_migrations_define_the_same_catalog(fresh_db, migrated_template):
    """Apply the migrations to one database and, on another, the migrations followed by every
    sql/ source: if a source was edited without shipping it in a migration, they differ."""
    from_migrations = fresh_db(migrated_template)
    with_sources = fresh_db(migrated_template)
    with psycopg.connect(with_sources, autocommit=True) as conn:
        for path in _sources():
            conn.execute(path.read_text())
    a, b = snapshot(from_migrations), snapshot(with_sources)
    for kind in a:
        assert a[kind] == b[kind], f"sql/ sources and migrations disagree on {kind}"


def test_every_function_and_policy_has_its_source_file(migrated_template, pg_cluster):
    url = pg_cluster.url(migrated_template)
    with psycopg.connect(pg_cluster.url()) as conn:  # template databases refuse connections
        conn.autocommit = True
        conn.execute(f'alter database "{migrated_template}" allow_connections true')
    try:
        with psycopg.connect(url) as conn:
            functions = {
                r[0]
                for r in conn.execute(
                    "select case n.nspname when 'queue' then 'queue.' else '' end || p.proname"
                    " from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
                    " where n.nspname in ('public', 'private', 'queue')"
                ).fetchall()
            }
            policy_tables = {
                r[0]
                for r in conn.execute(
                    "select distinct case schemaname when 'queue' then 'queue.' else '' end || tablename"
                    " from pg_policies where schemaname in ('public', 'private', 'queue')"
                ).fetchall()
            }
    finally:
        with psycopg.connect(pg_cluster.url()) as conn:
            conn.autocommit = True
            conn.execute(f'alter database "{migrated_template}" allow_connections false')
    assert functions == {p.stem for p in (REPO / "sql" / "functions").glob("*.sql")}
    assert policy_tables == {p.stem for p in (REPO / "sql" / "policies").glob("*.sql")}


def test_compat_migration_leaves_an_existing_supabase_auth_schema_alone(fresh_db):
    """On a real Supabase project `auth` exists with Supabase's own functions: the compatibility
    migration must not replace them."""
    url = fresh_db()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "create schema auth;"
            " create table auth.users (id uuid primary key, email text, instance_id uuid, raw_user_meta_data jsonb);"
            " create function auth.uid() returns uuid language sql stable as"
            " $$ select '11111111-1111-1111-1111-111111111111'::uuid $$;"
            " create function auth.role() returns text language sql stable as $$ select 'supabase'::text $$;"
            " create function auth.jwt() returns jsonb language sql stable as $$ select '{}'::jsonb $$;"
        )
    migrate.migrate(url)
    with psycopg.connect(url) as conn:
        assert conn.execute("select auth.uid()::text, auth.role()").fetchone() == (
            "11111111-1111-1111-1111-111111111111",
            "supabase",
        )
        columns = [
            r[0]
            for r in conn.execute(
                "select column_name from information_schema.columns where table_schema = 'auth'"
                " and table_name = 'users' order by ordinal_position"
            ).fetchall()
        ]
    assert columns == ["id", "email", "instance_id", "raw_user_meta_data"]


def test_auth_functions_read_the_request_jwt_claims(fresh_db, migrated_template):
    url = fresh_db(migrated_template)
    with psycopg.connect(url) as conn:
        conn.execute(
            "select set_config('request.jwt.claims', %s, true)",
            ('{"sub": "22222222-2222-2222-2222-222222222222", "role": "authenticated"}',),
        )
        assert conn.execute("select auth.uid()::text, auth.role(), auth.jwt() ->> 'role'").fetchone() == (
            "22222222-2222-2222-2222-222222222222",
            "authenticated",
            "authenticated",
        )
