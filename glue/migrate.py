"""Apply supabase/migrations/*.sql to DATABASE_URL the way the Supabase CLI does.

Each file `<14-digit version>_<name>.sql` runs in its own transaction, in version order, under
a transaction-scoped advisory lock (two migrators never apply the same file; no session state,
so it works through a transaction pooler such as Supavisor or PgBouncer), and is recorded in
`supabase_migrations.schema_migrations (version, name, statements)` — the table `supabase db
push` reads — so a database migrated here and later by the CLI agree on what is applied.

    python -m glue.migrate [up]       # apply pending migrations
    python -m glue.migrate status     # list applied / pending
    python -m glue.migrate rollback   # remove the whole feature set (supabase/rollback.sql)
    python -m glue.migrate seed       # load supabase/seed.sql: partners, programs (idempotent)
    python -m glue.migrate demo       # load supabase/demo.sql: demo users and enrollments (dev/tests)
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from dotenv import load_dotenv

REPO = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = REPO / "supabase" / "migrations"
ROLLBACK_SQL = REPO / "supabase" / "rollback.sql"
SEED_SQL = REPO / "supabase" / "seed.sql"
DEMO_SQL = REPO / "supabase" / "demo.sql"
LOCK_KEY = 7_283_991_400_551  # advisory lock id of this migrator
FILENAME = re.compile(r"^(?P<version>\d{14})_(?P<name>[a-z0-9_]+)\.sql$")

log = logging.getLogger("glue.migrate")

TRACKING_DDL = """
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
alter table supabase_migrations.schema_migrations add column if not exists statements text[];
alter table supabase_migrations.schema_migrations add column if not exists name text;
"""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Migration files in version order. A .sql file with a bad name is an error, not skipped."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        m = FILENAME.match(path.name)
        if not m:
            raise ValueError(f"{path.name}: migration files are named <14-digit version>_<name>.sql")
        found.append(Migration(m["version"], m["name"], path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError("two migration files share a version")
    return found


def applied_versions(conn: psycopg.Connection) -> set[str]:
    exists = conn.execute("select to_regclass('supabase_migrations.schema_migrations')").fetchone()
    if exists[0] is None:
        return set()
    rows = conn.execute("select version from supabase_migrations.schema_migrations").fetchall()
    return {r[0] for r in rows}


def _connect(url: str) -> psycopg.Connection:
    """A tool connection that works through a transaction pooler: autocommit, no server-side
    prepared statements, and nothing set at session level."""
    return psycopg.connect(url, autocommit=True, prepare_threshold=None, application_name="partnerseq-migrate")


def _is_applied(conn: psycopg.Connection, version: str) -> bool:
    row = conn.execute("select 1 from supabase_migrations.schema_migrations where version = %s", (version,))
    return row.fetchone() is not None


def migrate(url: str, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Apply every pending migration; returns those applied (empty when up to date).

    No session state, so it runs through a transaction pooler (Supavisor, PgBouncer) too: each
    migration's transaction first takes the migrator's advisory lock for that transaction only
    (`pg_advisory_xact_lock`), then checks again whether that version is applied: a second
    migrator waits, sees it recorded and skips it, so each migration is applied once."""
    migrations = discover(directory)
    done: list[Migration] = []
    with _connect(url) as conn:
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            conn.execute(TRACKING_DDL)
            applied = applied_versions(conn)
        for m in migrations:
            if m.version in applied:
                continue
            started = time.monotonic()
            with conn.transaction():
                conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                if _is_applied(conn, m.version):  # another migrator applied it meanwhile
                    continue
                conn.execute(m.sql)
                conn.execute(
                    "insert into supabase_migrations.schema_migrations (version, name, statements) values (%s, %s, %s)",
                    (m.version, m.name, [m.sql]),
                )
            log.info("applied %s_%s (%.0f ms)", m.version, m.name, (time.monotonic() - started) * 1000)
            done.append(m)
    return done


def rollback(url: str) -> None:
    """Remove the whole feature set (supabase/rollback.sql) in one transaction, under the
    migrator's transaction-scoped advisory lock."""
    with _connect(url) as conn, conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute(ROLLBACK_SQL.read_text())


def seed(url: str, path: Path = SEED_SQL) -> None:
    """Load the seed: partners, programs and their sequences (configuration, safe for production); idempotent."""
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute(path.read_text())


def demo(url: str, path: Path = DEMO_SQL) -> None:
    """Load the demo users and enrollments (development and tests only; needs the seed); idempotent."""
    seed(url, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m glue.migrate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    load_dotenv(override=False)
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL"), help="target database (default: $DATABASE_URL)"
    )
    parser.add_argument("command", nargs="?", default="up", choices=["up", "status", "rollback", "seed", "demo"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.database_url:
        parser.error("DATABASE_URL is not set (pass --database-url or set it in .env)")
    try:
        if args.command == "status":
            with _connect(args.database_url) as conn:
                applied = applied_versions(conn)
            for m in discover():
                print(f"{'applied' if m.version in applied else 'pending'}  {m.path.name}")
            return 0
        if args.command == "rollback":
            rollback(args.database_url)
            log.info("rolled back: feature set removed, migrations unrecorded")
            return 0
        if args.command == "seed":
            seed(args.database_url)
            log.info("seed loaded from %s", SEED_SQL.relative_to(REPO))
            return 0
        if args.command == "demo":
            demo(args.database_url)
            log.info("demo data loaded from %s", DEMO_SQL.relative_to(REPO))
            return 0
        done = migrate(args.database_url)
        log.info("%d migration(s) applied; database is up to date", len(done))
        return 0
    except (psycopg.Error, ValueError) as exc:
        log.error("migrate: %s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
