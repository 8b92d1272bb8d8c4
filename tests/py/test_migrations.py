"""The migration runner (order, tracking table, idempotence, locking, failure, rollback) and
the declared schema (sql/) staying in step with the migrations (no drift)."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import psycopg
import pytest

from glue import migrate
from tests.py.catalog import declared_files, load_declared, snapshot

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


def _differences(a: dict[str, list[tuple]], b: dict[str, list[tuple]]) -> dict[str, tuple[list, list]]:
    """Per kind of object, the rows only in a and the rows only in b (repr'd, for a readable failure)."""
    out = {}
    for kind in a:
        if a[kind] != b[kind]:
            ra, rb = [repr(r) for r in a[kind]], [repr(r) for r in b[kind]]
            out[kind] = ([r for r in ra if r not in rb], [r for r in rb if r not in ra])
    return out


def test_the_declared_schema_is_what_the_migrations_build(fresh_db, migrated_template):
    """One database from the migrations, one from the declared schema (sql/schemas, functions,
    tables, policies: tests/py/catalog.py's load_declared): the whole catalog must agree (tables,
    columns, constraints, indexes, triggers, grants with column grants, policies, functions with
    their bodies and settings, default privileges, comments). A sql/ file edited without a
    migration, or a migration without its sql/ file, fails here."""
    from_migrations = fresh_db(migrated_template)
    declared = fresh_db()
    loaded = load_declared(declared)
    assert sorted(loaded) == sorted(declared_files())
    diff = _differences(snapshot(from_migrations), snapshot(declared))
    assert diff == {}, "sql/ (declared) and supabase/migrations disagree: (only migrations, only sql/) per kind"


def test_the_comparison_notices_a_table_or_a_function_that_differs(fresh_db):
    """The drift test has teeth: a column default changed in a table file, or a function body
    changed in its source, shows up in the comparison."""
    table = REPO / "sql" / "tables" / "public" / "enrollment_steps.sql"
    function = REPO / "sql" / "functions" / "private" / "is_timestamp.sql"
    as_is, edited = fresh_db(), fresh_db()
    load_declared(as_is)
    table_text = table.read_text()
    function_text = function.read_text()
    assert table_text.count("smallint not null default 0 ") == 1  # progress_percent
    assert "$$;" in function_text
    load_declared(
        edited,
        replace={
            table: table_text.replace("smallint not null default 0 ", "smallint not null default 1 "),
            function: function_text.replace("$$;", "-- edited\n$$;", 1),
        },
    )
    diff = _differences(snapshot(as_is), snapshot(edited))
    assert set(diff) == {"columns", "functions"}
    assert any("progress_percent" in row for row in diff["columns"][0])
    assert any("private.is_timestamp" in row for row in diff["functions"][1])


def test_functions_and_policies_can_be_shipped_again_as_they_are(fresh_db, migrated_template):
    """scripts/new-migration ships function and policy files as they are: applied again on a
    migrated database (create or replace, drop policy if exists), they change nothing."""
    url = fresh_db(migrated_template)
    before = snapshot(url)
    with psycopg.connect(url, autocommit=True) as conn:
        for path in sorted((REPO / "sql" / "functions").glob("*/*.sql")) + sorted(
            (REPO / "sql" / "policies").glob("*/*.sql")
        ):
            conn.execute(path.read_text())
    assert _differences(before, snapshot(url)) == {}


DECLARES = {
    "functions": re.compile(r"^create (?:or replace )?function (\w+)\.(\w+)\(", re.M),
    "tables": re.compile(r"^create table (\w+)\.(\w+) \(", re.M),
    "policies": re.compile(r"^create policy .+? on (\w+)\.(\w+)$", re.M),
}


@pytest.mark.parametrize("kind", list(DECLARES))
def test_each_file_declares_the_object_it_is_named_after(kind):
    """sql/functions/<schema>/<name>.sql holds the function <schema>.<name> alone (no overloads),
    sql/tables/<schema>/<table>.sql creates that table alone, sql/policies/<schema>/<table>.sql
    holds the policies of that table only."""
    for path in sorted((REPO / "sql" / kind).glob("**/*.sql")):
        named = {(path.parent.name, path.stem)}
        found = DECLARES[kind].findall(path.read_text())
        assert found, f"{path.relative_to(REPO)} declares no {kind[:-1]}"
        assert set(found) == named, f"{path.relative_to(REPO)} declares {sorted(set(found))}"
        if kind != "policies":
            assert len(found) == 1, f"{path.relative_to(REPO)} declares {len(found)} {kind}: one per file"
    assert not list((REPO / "sql" / kind).glob("*.sql")), f"sql/{kind}/ holds files outside a schema folder"


def test_every_function_table_and_policy_has_its_file(migrated_template, pg_cluster):
    url = pg_cluster.url(migrated_template)
    with psycopg.connect(pg_cluster.url()) as conn:  # template databases refuse connections
        conn.autocommit = True
        conn.execute(f'alter database "{migrated_template}" allow_connections true')
    try:
        with psycopg.connect(url) as conn:
            functions = set(
                conn.execute(
                    "select n.nspname, p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
                    " where n.nspname in ('public', 'private', 'queue')"
                ).fetchall()
            )
            tables = set(
                conn.execute(
                    "select schemaname, tablename from pg_tables where schemaname in ('public', 'private', 'queue')"
                ).fetchall()
            )
            policy_tables = set(
                conn.execute(
                    "select distinct schemaname, tablename from pg_policies"
                    " where schemaname in ('public', 'private', 'queue')"
                ).fetchall()
            )
    finally:
        with psycopg.connect(pg_cluster.url()) as conn:
            conn.autocommit = True
            conn.execute(f'alter database "{migrated_template}" allow_connections false')

    def files(kind: str) -> set[tuple[str, str]]:
        return {(p.parent.name, p.stem) for p in (REPO / "sql" / kind).glob("*/*.sql")}

    assert functions == files("functions")
    assert tables == files("tables")
    assert policy_tables == files("policies")


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
