"""The seed is configuration (partners, programs, sequences), safe for production and
idempotent; the demo data (supabase/demo.sql) is separate, loaded by `make run` and the tests,
and creates its users as Supabase Auth (GoTrue) does."""

from __future__ import annotations

import tomllib

import psycopg

from glue import migrate

COUNTS = """
select (select count(*) from public.partner_lms_providers), (select count(*) from public.programs),
       (select count(*) from public.program_partner_lms), (select count(*) from auth.users),
       (select count(*) from public.profiles), (select count(*) from public.enrollments),
       (select count(*) from public.enrollment_steps)
"""


def _counts(url: str) -> tuple:
    with psycopg.connect(url) as conn:
        return conn.execute(COUNTS).fetchone()


def test_the_seed_is_configuration_only_and_idempotent(fresh_db, migrated_template):
    url = fresh_db(migrated_template)
    migrate.seed(url)
    assert _counts(url) == (5, 48, 77, 0, 0, 0, 0)
    migrate.seed(url)
    assert _counts(url) == (5, 48, 77, 0, 0, 0, 0)


def test_the_seed_command_loads_no_demo_users(fresh_db, migrated_template):
    url = fresh_db(migrated_template)
    assert migrate.main(["--database-url", url, "seed"]) == 0
    assert _counts(url)[3:] == (0, 0, 0, 0)
    assert migrate.main(["--database-url", url, "demo"]) == 0
    assert _counts(url)[3:6] == (6, 6, 5)


def test_the_demo_data_is_idempotent(fresh_db, seeded_template):
    url = fresh_db(seeded_template)
    before = _counts(url)
    migrate.seed(url)
    migrate.demo(url)
    assert _counts(url) == before


def test_demo_users_are_created_as_gotrue_creates_them(fresh_db, seeded_template):
    url = fresh_db(seeded_template)
    with psycopg.connect(url) as conn:
        users = conn.execute(
            "select u.email, u.instance_id::text, u.aud, u.role, u.encrypted_password, u.confirmation_token,"
            " u.recovery_token, u.email_change_token_new, u.email_change_token_current, u.email_change,"
            " u.phone_change, u.phone_change_token, u.reauthentication_token, u.email_confirmed_at is not null,"
            " u.updated_at is not null, u.raw_app_meta_data ->> 'provider', p.full_name, p.role,"
            " i.provider, i.provider_id = u.id::text, i.identity_data ->> 'sub' = u.id::text, i.email = u.email"
            " from auth.users u join public.profiles p on p.id = u.id join auth.identities i on i.user_id = u.id"
            " order by u.id"
        ).fetchall()
    assert len(users) == 6
    gotrue_shape = ("00000000-0000-0000-0000-000000000000", "authenticated", "authenticated") + ("",) * 9
    for row in users:
        assert row[1:13] == gotrue_shape, row
        assert row[13:16] == (True, True, "email"), row
        assert row[16], f"{row[0]} has no name"
        assert row[18:] == ("email", True, True, True), row
    roles = {row[0]: row[17] for row in users}
    assert roles["admin@example.org"] == "admin"
    assert sorted(roles.values()) == ["admin"] + ["student"] * 5


def test_the_supabase_cli_seeds_configuration_only():
    """`supabase db push --include-seed` to a hosted project loads config.toml's seed paths:
    they must never include the demo users."""
    config = tomllib.loads((migrate.REPO / "supabase" / "config.toml").read_text())
    assert config["db"]["seed"]["sql_paths"] == ["./seed.sql"]
