"""Our migrations, seed and demo data on a database shaped like a Supabase project: the auth
schema as Supabase Auth (GoTrue) leaves it, owned by `supabase_auth_admin` (tests/py/
gotrue_auth_schema.sql, not our compatibility layer), and everything of ours run by a demoted
login role (nosuperuser createrole createdb bypassrls), as Supabase's `postgres` is.

Then: the demo users load in GoTrue (no NULL in the strings it scans, an identity each), every
user has a profile, a user signing up the way GoTrue does gets one and can be enrolled, and the
profile follows e-mail and name changes."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from glue import migrate

HERE = Path(__file__).resolve().parent
MIGRATOR = "supabase_postgres_demoted"
AUTH_ADMIN = "supabase_auth_admin"
ZERO_INSTANCE = "00000000-0000-0000-0000-000000000000"
# the columns GoTrue's User model scans into Go strings (internal/models/user.go): NULL fails the load
STRING_COLUMNS = (
    "aud",
    "role",
    "confirmation_token",
    "recovery_token",
    "email_change_token_new",
    "email_change_token_current",
    "email_change",
    "phone_change",
    "phone_change_token",
    "reauthentication_token",
)
DEMO_IDS = {
    "00000000-0000-4000-a000-000000000001",
    "00000000-0000-4000-a000-000000000011",
    "00000000-0000-4000-a000-000000000012",
    "00000000-0000-4000-a000-000000000013",
    "00000000-0000-4000-a000-000000000014",
    "00000000-0000-4000-a000-000000000015",
}


def _as(url: str, role: str) -> str:
    """The same database URL, logged in as `role` (with the password of the URL's user: the test
    cluster asks every login for one, and the test roles share the superuser's)."""
    return url.replace("postgresql://postgres:", f"postgresql://{role}:", 1)


def _ensure_role(conn: psycopg.Connection, name: str, attributes: str) -> None:
    """Create a cluster-wide role unless an earlier test of this session did; a login role gets
    the password of the connection's user (conn.info.password)."""
    if conn.execute("select 1 from pg_roles where rolname = %s", (name,)).fetchone() is None:
        conn.execute(sql.SQL("create role {} " + attributes).format(sql.Identifier(name)))
    if attributes.startswith("login"):
        conn.execute(sql.SQL("alter role {} password {}").format(sql.Identifier(name), sql.Literal(conn.info.password)))


@pytest.fixture
def supabase_db(fresh_db):
    """A database with Supabase's roles and GoTrue's auth schema, our migrations, seed and demo
    data applied by the demoted role; returns its superuser URL."""
    url = fresh_db()
    with psycopg.connect(url, autocommit=True) as conn:
        for name in ("anon", "authenticated"):
            _ensure_role(conn, name, "nologin noinherit")
        _ensure_role(conn, "service_role", "nologin noinherit bypassrls")
        _ensure_role(conn, AUTH_ADMIN, "login noinherit createrole")
        _ensure_role(conn, MIGRATOR, "login nosuperuser createrole createdb bypassrls")
        dbname = conn.info.dbname
        conn.execute(f'grant all on database "{dbname}" to {MIGRATOR}')
        conn.execute(f"grant all on schema public to {MIGRATOR}")
        conn.execute((HERE / "gotrue_auth_schema.sql").read_text().replace(':"migrator"', MIGRATOR))
    as_migrator = _as(url, MIGRATOR)
    migrate.migrate(as_migrator)
    migrate.seed(as_migrator)
    migrate.demo(as_migrator)
    return url


def _sign_up(url: str, email: str, metadata: dict) -> str:
    """Insert a user and her e-mail identity as GoTrue's sign-up does, as supabase_auth_admin."""
    uid = str(uuid.uuid4())
    with psycopg.connect(_as(url, AUTH_ADMIN), autocommit=True) as conn, conn.transaction():
        conn.execute(
            "insert into auth.users (instance_id, id, aud, role, email, encrypted_password, confirmation_token,"
            " confirmation_sent_at, recovery_token, email_change_token_new, email_change, raw_app_meta_data,"
            " raw_user_meta_data, created_at, updated_at, is_sso_user, is_anonymous)"
            " values (%s, %s, 'authenticated', 'authenticated', %s, '$2a$10$abcdefghijklmnopqrstuv', 'pkce_token',"
            " now(), '', '', '', '{\"provider\": \"email\", \"providers\": [\"email\"]}', %s, now(), now(),"
            " false, false)",
            (ZERO_INSTANCE, uid, email, json.dumps(metadata)),
        )
        conn.execute(
            "insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)"
            " values (%s, %s, %s, 'email', now(), now())",
            (uid, uid, json.dumps({"sub": uid, "email": email})),
        )
    return uid


def test_the_auth_schema_is_gotrues_not_ours(supabase_db):
    with psycopg.connect(supabase_db) as conn:
        owner = conn.execute("select relowner::regrole::text from pg_class where oid = 'auth.users'::regclass")
        assert owner.fetchone()[0] == AUTH_ADMIN
        migrator = conn.execute("select rolsuper from pg_roles where rolname = %s", (MIGRATOR,)).fetchone()
        assert migrator == (False,)
        applied = conn.execute("select count(*) from supabase_migrations.schema_migrations").fetchone()[0]
    assert applied == len(migrate.discover())


def test_demo_users_load_in_gotrue(supabase_db):
    with psycopg.connect(supabase_db) as conn:
        null_columns = ", ".join(f"case when u.{c} is null then '{c}' end" for c in STRING_COLUMNS)
        rows = conn.execute(
            "select u.id::text, u.instance_id::text, u.created_at is not null and u.updated_at is not null,"
            f" array_remove(array[{null_columns}], null), u.aud, u.role,"
            " (select count(*) from auth.identities i where i.user_id = u.id and i.provider = 'email'"
            "   and i.provider_id = u.id::text and i.identity_data ->> 'sub' = u.id::text"
            "   and i.identity_data ->> 'email' = u.email),"
            " (select p.full_name from public.profiles p where p.id = u.id)"
            " from auth.users u order by u.id"
        ).fetchall()
    assert {r[0] for r in rows} == DEMO_IDS
    for uid, instance, stamped, nulls, aud, role, identities, full_name in rows:
        assert nulls == [], f"{uid}: NULL in {nulls}"
        assert (instance, stamped, aud, role, identities) == (ZERO_INSTANCE, True, "authenticated", "authenticated", 1)
        assert full_name, f"{uid} has no profile"


def test_a_user_signing_up_through_gotrue_gets_a_profile_and_can_be_enrolled(supabase_db):
    uid = _sign_up(supabase_db, "grace@example.net", {"full_name": "Grace Hopper"})
    with psycopg.connect(_as(supabase_db, MIGRATOR)) as conn:
        assert conn.execute("select email, full_name, role from public.profiles where id = %s", (uid,)).fetchone() == (
            "grace@example.net",
            "Grace Hopper",
            "student",
        )
        conn.execute("set local role service_role")
        enrollment = conn.execute(
            "insert into public.enrollments (user_id, program_id) select %s, id from public.programs"
            " where slug = 'medical-assistant' returning id",
            (uid,),
        ).fetchone()[0]
        steps = conn.execute(
            "select sequence_order, status from public.enrollment_steps where enrollment_id = %s order by 1",
            (enrollment,),
        ).fetchall()
    assert steps == [(1, "in_progress"), (2, "pending"), (3, "pending")]


def test_the_profile_follows_email_and_name_changes_made_by_gotrue(supabase_db):
    uid = _sign_up(supabase_db, "oauth@example.net", {"name": "From Github"})
    with psycopg.connect(_as(supabase_db, AUTH_ADMIN), autocommit=True) as conn:
        conn.execute("update auth.users set email = 'renamed@example.net', updated_at = now() where id = %s", (uid,))
        conn.execute(
            'update auth.users set raw_user_meta_data = raw_user_meta_data || \'{"full_name": "Ada L."}\''
            " where id = %s",
            (uid,),
        )
        conn.execute("update auth.users set last_sign_in_at = now() where id = %s", (uid,))
    with psycopg.connect(supabase_db) as conn:
        assert conn.execute("select email, full_name from public.profiles where id = %s", (uid,)).fetchone() == (
            "renamed@example.net",
            "Ada L.",
        )


def test_rollback_by_the_demoted_role_leaves_auth_users_intact(supabase_db):
    migrate.rollback(_as(supabase_db, MIGRATOR))
    with psycopg.connect(supabase_db) as conn:
        assert conn.execute("select count(*) from auth.users").fetchone()[0] == len(DEMO_IDS)
        triggers = conn.execute(
            "select tgname from pg_trigger where tgrelid = 'auth.users'::regclass and not tgisinternal"
        ).fetchall()
        assert conn.execute("select to_regnamespace('private')").fetchone()[0] is None
    assert triggers == []
