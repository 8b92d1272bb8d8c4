"""The security advisor on a database shaped like a Supabase project's: the API roles hold
Supabase's default privileges in `public` (every new table, function and sequence of the migrating
role granted to anon, authenticated and service_role) and `supabase_admin` exists. The migrations
must still leave no sequence, function or error column open to the API roles, the catalog checks
(tests/sql/030-catalog.sql) and the boundary checks (035) must pass there, and `make rollback` must
give the platform its default privileges back exactly.

Runs on its own cluster: `supabase_admin` is a cluster-wide role and would change how the shared
cluster's rollback behaves."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest

from devtools.cluster import TemporaryCluster
from glue import migrate

SQL_TESTS = Path(__file__).resolve().parents[1] / "sql"

# What Supabase's init scripts give the project's `postgres` role (which runs the migrations).
SUPABASE_PLATFORM = """
do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_admin') then
    create role supabase_admin nologin superuser;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end
$$;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
"""

DEFAULT_ACL = """
select defaclrole::regrole::text, defaclnamespace::regnamespace::text, defaclobjtype::text,
       (select array_agg(a::text order by a::text) from unnest(defaclacl) a)
from pg_catalog.pg_default_acl order by 1, 2, 3"""


@pytest.fixture(scope="module")
def supabase_cluster():
    with TemporaryCluster() as cluster:
        yield cluster


@pytest.fixture
def supabase_db(supabase_cluster, request):
    name = "supa_" + request.node.name.lower()[:40]
    with psycopg.connect(supabase_cluster.url(), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}"')
        conn.execute(f'create database "{name}"')
    url = supabase_cluster.url(name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SUPABASE_PLATFORM)
    return url


def _default_acl(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(DEFAULT_ACL).fetchall()


def _prove(url: str, path: Path) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        for helper in sorted((SQL_TESTS / "helpers").glob("*.sql")):
            conn.execute(helper.read_text())
    info = psycopg.conninfo.conninfo_to_dict(url)
    result = subprocess.run(
        ["pg_prove", "--host", info["host"], "--port", str(info["port"]), "--username", info["user"],
         "--dbname", info["dbname"], "--verbose", "--failures", str(path)],
        capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "PGPASSWORD": info.get("password", "")},
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "All tests successful" in output, output
    return output


def test_supabase_default_privileges_do_not_reach_our_sequences_or_new_functions(supabase_db):
    migrate.migrate(supabase_db)
    with psycopg.connect(supabase_db) as conn:
        open_sequences = conn.execute(
            "select c.oid::regclass::text, r from pg_catalog.pg_class c"
            " join pg_catalog.pg_namespace n on n.oid = c.relnamespace,"
            " unnest(array['anon', 'authenticated']) r"
            " where c.relkind = 'S' and n.nspname in ('public', 'queue')"
            " and (has_sequence_privilege(r, c.oid, 'usage') or has_sequence_privilege(r, c.oid, 'select')"
            "      or has_sequence_privilege(r, c.oid, 'update'))"
        ).fetchall()
        conn.execute("create function public.tomorrows_function() returns int language sql as 'select 1'")
        executable = conn.execute(
            "select has_function_privilege('anon', 'public.tomorrows_function()', 'execute'),"
            " has_function_privilege('authenticated', 'public.tomorrows_function()', 'execute')"
        ).fetchone()
        conn.rollback()
    assert open_sequences == []
    assert executable == (False, False)


@pytest.mark.parametrize("pgtap_file", ["030-catalog.sql", "035-definer-boundaries.sql"])
def test_the_advisor_checks_pass_on_a_supabase_shaped_database(supabase_db, pgtap_file):
    migrate.migrate(supabase_db)
    migrate.seed(supabase_db)
    _prove(supabase_db, SQL_TESTS / pgtap_file)


def test_rollback_gives_the_platform_its_default_privileges_back(supabase_db):
    before = _default_acl(supabase_db)
    migrate.migrate(supabase_db)
    assert _default_acl(supabase_db) != before
    migrate.rollback(supabase_db)
    assert _default_acl(supabase_db) == before


def test_rollback_leaves_no_default_privileges_on_plain_postgresql(fresh_db):
    url = fresh_db()
    before = _default_acl(url)
    migrate.migrate(url)
    migrate.rollback(url)
    assert _default_acl(url) == before == []
