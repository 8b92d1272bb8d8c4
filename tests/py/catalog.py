"""A comparable snapshot of what our migrations define, and the loader of the declared schema
(sql/), for the drift and rollback tests.

The declared schema is the final state the migrations leave, one file per object:

    sql/schemas/*.sql                  schemas, their usage grants and comments, default privileges
    sql/functions/<schema>/<name>.sql  one function each (loaded with check_function_bodies off)
    sql/tables/<schema>/<table>.sql    one table each: columns, constraints, indexes, RLS on, grants,
                                       its triggers, comments
    sql/policies/<schema>/<table>.sql  the RLS policies of one table

`load_declared` builds a database from it in that order (STAGES), on top of Supabase's own
surface (the compatibility migration: API roles, schema auth), which is not ours to declare.
Within the order a file may need an object a later file declares (a function returning a table's
row type, a foreign key to a table further down the alphabet): it is retried after the others.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
from psycopg import errors

REPO = Path(__file__).resolve().parents[2]
SQL = REPO / "sql"
SUPABASE_SURFACE = REPO / "supabase" / "migrations" / "20261122000100_supabase_compat.sql"
STAGES = ("schemas", "functions", "tables", "policies")
# a file that fails with one of these waits for the files after it (its dependency is declared later)
_NOT_YET = (errors.UndefinedTable, errors.UndefinedObject, errors.UndefinedFunction, errors.InvalidSchemaName)

OURS = "('public', 'private', 'queue')"
WITH_AUTH = "('public', 'private', 'auth', 'queue')"

QUERIES = {
    "functions": f"""
        select p.oid::regprocedure::text, p.prokind, pg_get_functiondef(p.oid), p.proowner::regrole::text,
               (select array_agg(a::text order by a::text) from unnest(p.proacl) a),
               obj_description(p.oid, 'pg_proc')
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in {WITH_AUTH}
          and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
        order by 1""",
    "policies": f"""
        select schemaname, tablename, policyname, permissive, roles::text, cmd, qual, with_check
        from pg_policies where schemaname in {OURS} order by 1, 2, 3""",
    "triggers": f"""
        select c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled from pg_trigger t
        join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in {WITH_AUTH} and not t.tgisinternal order by 1, 2""",
    "columns": f"""
        select table_schema, table_name, column_name, data_type, is_nullable, column_default,
               is_identity, identity_generation, is_generated, generation_expression
        from information_schema.columns where table_schema in {WITH_AUTH}
        order by 1, 2, ordinal_position""",
    "column_acl": f"""
        select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
               (select array_agg(x::text order by x::text) from unnest(a.attacl) x)
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in {OURS} and a.attnum > 0 and not a.attisdropped order by 1, 2, 3""",
    "constraints": f"""
        select n.nspname, c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        from pg_constraint c join pg_namespace n on n.oid = c.connamespace
        where n.nspname in {OURS} order by 1, 2, 3""",
    "indexes": f"""
        select schemaname, tablename, indexname, indexdef from pg_indexes
        where schemaname in {OURS} order by 1, 2, 3""",
    "table_acl": f"""
        select n.nspname, c.relname, c.relkind, c.relowner::regrole::text, c.relrowsecurity, c.relforcerowsecurity,
               (select array_agg(a::text order by a::text) from unnest(c.relacl) a), c.reloptions,
               obj_description(c.oid, 'pg_class')
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in {OURS} and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') order by 1, 2""",
    "sequences": f"""
        select s.seqrelid::regclass::text, format_type(s.seqtypid, null), s.seqstart, s.seqincrement, s.seqmax,
               s.seqmin, s.seqcache, s.seqcycle
        from pg_sequence s join pg_class c on c.oid = s.seqrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in {OURS} order by 1""",
    "types": f"""
        select n.nspname, t.typname, t.typtype, format_type(t.oid, null), obj_description(t.oid, 'pg_type'),
               (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid)
        from pg_type t join pg_namespace n on n.oid = t.typnamespace
        where n.nspname in {OURS} and t.typtype in ('e', 'd', 'r', 'm')
           or (n.nspname in {OURS} and t.typtype = 'c'
               and (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c')
        order by 1, 2""",
    "schemas": f"""
        select nspname, nspowner::regrole::text, (select array_agg(a::text order by a::text) from unnest(nspacl) a),
               obj_description(oid, 'pg_namespace')
        from pg_namespace where nspname in {WITH_AUTH} order by 1""",
    "default_acls": """
        select d.defaclrole::regrole::text, coalesce(d.defaclnamespace::regnamespace::text, '-'), d.defaclobjtype,
               (select array_agg(a::text order by a::text) from unnest(d.defaclacl) a)
        from pg_default_acl d order by 1, 2, 3""",
    # every comment on a user object (columns, constraints, triggers, policies, ... included)
    "comments": """
        select pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description from pg_description d
        where d.objoid >= 16384
          and pg_describe_object(d.classoid, d.objoid, d.objsubid) not like '%supabase_migrations%' order by 1""",
}


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every definition of our schemas, as sorted rows per kind."""
    with psycopg.connect(url) as conn:
        return {kind: conn.execute(sql).fetchall() for kind, sql in QUERIES.items()}


def declared_files() -> list[Path]:
    """The declared schema's files in load order: STAGES, then path order within a stage."""
    return [path for stage in STAGES for path in sorted((SQL / stage).glob("**/*.sql"))]


def load_declared(url: str, replace: dict[Path, str] | None = None) -> list[Path]:
    """Build the declared schema in an empty database at url (replace: file -> text to load
    instead, for tests that the comparison notices a difference). Returns the files in the order
    they loaded."""
    replace = replace or {}
    loaded: list[Path] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SUPABASE_SURFACE.read_text())
        pending = declared_files()
        while pending:
            waiting: list[tuple[Path, Exception]] = []
            for path in pending:
                try:
                    with conn.transaction():
                        # bodies may name objects declared further on; they are checked when called
                        conn.execute("set local check_function_bodies = off")
                        conn.execute(replace.get(path, path.read_text()))
                    loaded.append(path)
                except _NOT_YET as exc:
                    waiting.append((path, exc))
            if len(waiting) == len(pending):
                path, exc = waiting[0]
                raise RuntimeError(f"{path.relative_to(REPO)} cannot load: {exc}") from exc
            pending = [path for path, _ in waiting]
    return loaded
