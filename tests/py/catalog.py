"""A comparable snapshot of what our migrations define (used by the drift and rollback tests)."""

from __future__ import annotations

import psycopg

QUERIES = {
    "functions": """
        select p.oid::regprocedure::text, pg_get_functiondef(p.oid),
               (select array_agg(a::text order by a::text) from unnest(p.proacl) a),
               obj_description(p.oid, 'pg_proc')
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('public', 'private', 'auth', 'queue') and p.prokind = 'f'
          and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
        order by 1""",
    "policies": """
        select schemaname, tablename, policyname, permissive, roles::text, cmd, qual, with_check
        from pg_policies where schemaname in ('public', 'private', 'queue') order by 1, 2, 3""",
    "triggers": """
        select c.relname, t.tgname, pg_get_triggerdef(t.oid) from pg_trigger t
        join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('public', 'private', 'auth', 'queue') and not t.tgisinternal order by 1, 2""",
    "columns": """
        select table_schema, table_name, column_name, data_type, is_nullable, column_default
        from information_schema.columns where table_schema in ('public', 'private', 'auth', 'queue')
        order by 1, 2, ordinal_position""",
    "constraints": """
        select n.nspname, c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        from pg_constraint c join pg_namespace n on n.oid = c.connamespace
        where n.nspname in ('public', 'private', 'queue') order by 1, 2, 3""",
    "indexes": """
        select schemaname, tablename, indexname, indexdef from pg_indexes
        where schemaname in ('public', 'private', 'queue') order by 1, 2, 3""",
    "table_acl": """
        select n.nspname, c.relname, c.relrowsecurity,
               (select array_agg(a::text order by a::text) from unnest(c.relacl) a),
               obj_description(c.oid, 'pg_class')
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('public', 'private', 'queue') and c.relkind in ('r', 'v', 'm') order by 1, 2""",
    "schemas": """
        select nspname, (select array_agg(a::text order by a::text) from unnest(nspacl) a)
        from pg_namespace where nspname in ('public', 'private', 'auth', 'queue') order by 1""",
}


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every definition of our schemas, as sorted rows per kind."""
    with psycopg.connect(url) as conn:
        return {kind: conn.execute(sql).fetchall() for kind, sql in QUERIES.items()}
