"""`make rollback` (supabase/rollback.sql) restores the catalog exactly: after migrate, seed, demo
and rollback, a database's catalog equals what it was before the first migration, with only
Supabase's own surface (the compatibility migration's roles and auth schema, and the CLI's
supabase_migrations tracking table) in place, as on a Supabase project."""

from __future__ import annotations

from pathlib import Path

import psycopg

from glue import migrate

REPO = Path(__file__).resolve().parents[2]
COMPAT = REPO / "supabase" / "migrations" / "20261122000100_supabase_compat.sql"
OURS = """n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'supabase_migrations')
          and n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast_temp%'"""

CATALOG = {
    "default_acls": """
        select d.defaclrole::regrole::text, coalesce(n.nspname, '-'), d.defaclobjtype,
               (select array_agg(a::text order by a::text) from unnest(d.defaclacl) a)
        from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace order by 1, 2, 3""",
    "schemas": f"""
        select n.nspname, n.nspowner::regrole::text,
               (select array_agg(a::text order by a::text) from unnest(n.nspacl) a)
        from pg_namespace n where {OURS} order by 1""",
    "relations": f"""
        select n.nspname, c.relname, c.relkind, c.relowner::regrole::text, c.relrowsecurity, c.relforcerowsecurity,
               (select array_agg(a::text order by a::text) from unnest(c.relacl) a), obj_description(c.oid, 'pg_class')
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where {OURS} order by 1, 2""",
    "columns": f"""
        select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), (select array_agg(x::text order by x::text) from unnest(a.attacl) x)
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where {OURS} and a.attnum > 0 and not a.attisdropped order by 1, 2, 3""",
    "constraints": f"""
        select n.nspname, c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        from pg_constraint c join pg_namespace n on n.oid = c.connamespace where {OURS} order by 1, 2, 3""",
    "functions": f"""
        select p.oid::regprocedure::text, pg_get_functiondef(p.oid), p.proowner::regrole::text,
               (select array_agg(a::text order by a::text) from unnest(p.proacl) a)
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace where {OURS} order by 1""",
    "triggers": """
        select t.tgrelid::regclass::text, t.tgname, pg_get_triggerdef(t.oid)
        from pg_trigger t where not t.tgisinternal order by 1, 2""",
    "policies": """
        select schemaname, tablename, policyname, roles::text, cmd, qual, with_check from pg_policies
        order by 1, 2, 3""",
    "types": f"""
        select n.nspname, t.typname, t.typtype from pg_type t join pg_namespace n on n.oid = t.typnamespace
        where {OURS} and t.typtype in ('e', 'd', 'r', 'm') order by 1, 2""",
    "extensions": "select extname, extnamespace::regnamespace::text from pg_extension order by 1",
    "event_triggers": "select evtname, evtevent from pg_event_trigger order by 1",
    "publications": "select pubname from pg_publication order by 1",
    "roles": """
        select rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolbypassrls
        from pg_roles where rolname !~ '^pg_' order by 1""",
    "memberships": "select roleid::regrole::text, member::regrole::text from pg_auth_members order by 1, 2",
    "role_settings": """
        select coalesce(r.rolname, '-'), coalesce(d.datname, '-'), s.setconfig from pg_db_role_setting s
        left join pg_roles r on r.oid = s.setrole left join pg_database d on d.oid = s.setdatabase
        order by 1, 2""",
    "database_acl": "select datacl::text[] from pg_database where datname = current_database()",
}


def catalog(url: str) -> dict[str, list[tuple]]:
    """Everything migrations and rollback could leave behind, as sorted rows per kind."""
    with psycopg.connect(url) as conn:
        return {kind: conn.execute(query).fetchall() for kind, query in CATALOG.items()}


def test_rollback_restores_the_catalog_as_it_was_before_the_first_migration(fresh_db):
    url = fresh_db()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(COMPAT.read_text())  # Supabase's surface, there before our migrations on a project
    before = catalog(url)
    migrate.migrate(url)
    migrate.seed(url)
    migrate.demo(url)
    assert catalog(url) != before
    migrate.rollback(url)
    after = catalog(url)
    for kind in CATALOG:
        assert after[kind] == before[kind], f"rollback left {kind} changed"


def test_rollback_drops_the_profile_trigger_and_keeps_auth_users(fresh_db, seeded_template):
    url = fresh_db(seeded_template)
    migrate.rollback(url)
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from auth.users").fetchone()[0] == 6
        assert (
            conn.execute(
                "select count(*) from pg_trigger where tgrelid = 'auth.users'::regclass and not tgisinternal"
            ).fetchone()[0]
            == 0
        )
        assert conn.execute("select to_regprocedure('private.tg_users__sync_profile()')").fetchone()[0] is None
