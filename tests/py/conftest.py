"""Shared fixtures: one throwaway PostgreSQL 15 cluster per test session, template databases
built once from the migrations (and the seed), and a fresh database per test cloned from them."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row
from standardwebhooks.webhooks import Webhook

from devtools.cluster import TemporaryCluster
from glue import create_app, migrate
from glue.config import TestConfig

REPO = Path(__file__).resolve().parents[2]
# the browser fixtures (browser, live_app, open_page, loopback_site): one session-wide browser
pytest_plugins = ["tests.py.browser"]

# The pooled pass (`pytest --pooled`): the app, the worker and the migrator reach the database
# through a real PgBouncer in transaction mode, the app logging in as a demoted role (like
# Supabase's `postgres`: no superuser, member of anon/authenticated/service_role).
POOLED_APP_ROLE = "pooled_app"
_DIRECT_URL: dict[str, str] = {}  # pooled URL -> the direct superuser URL of the same database


def pytest_addoption(parser):
    parser.addoption(
        "--pooled",
        action="store_true",
        help="run the app, worker and migrations through PgBouncer (pool_mode=transaction) as a demoted role",
    )


def direct_url(url: str) -> str:
    """The direct superuser URL of the database `url` names (itself when it is not pooled)."""
    return _DIRECT_URL.get(url, url)


@pytest.fixture(scope="session")
def pooled(request) -> bool:
    """True in the pooled pass (`--pooled`)."""
    return bool(request.config.getoption("--pooled"))


@pytest.fixture(scope="session")
def pooled_app_role(pg_cluster, migrated_template) -> str:
    """A login role without superuser powers, as Supabase's `postgres`: createdb createrole
    bypassrls, member of the API roles (which the migrations create)."""
    with _admin(pg_cluster) as conn:
        conn.execute(
            f"do $$ begin if not exists (select from pg_roles where rolname = '{POOLED_APP_ROLE}') then"
            f" create role {POOLED_APP_ROLE} login nosuperuser createdb createrole bypassrls noinherit; end if; end $$"
        )
        conn.execute(f"alter role {POOLED_APP_ROLE} password '{pg_cluster.password}'")  # the cluster asks for one
        conn.execute(f"grant anon, authenticated, service_role to {POOLED_APP_ROLE}")
    return POOLED_APP_ROLE


@pytest.fixture(scope="session")
def pgbouncer(pg_cluster):
    """A real PgBouncer 1.18, pool_mode=transaction, default_pool_size 4, in front of the cluster."""
    from tests.py.pooler import PgBouncer

    with PgBouncer(
        pg_cluster.port, ["postgres", POOLED_APP_ROLE], pool_size=4, password=pg_cluster.password
    ) as bouncer:
        yield bouncer


@pytest.fixture(scope="session")
def pg_cluster():
    """A real PostgreSQL 15 server on 127.0.0.1, started for this test session."""
    with TemporaryCluster() as cluster:
        yield cluster


def _admin(cluster) -> psycopg.Connection:
    return psycopg.connect(cluster.url(), autocommit=True)


def _create_template(cluster, name: str, seeded: bool) -> str:
    with _admin(cluster) as conn:
        conn.execute(f'create database "{name}"')
    url = cluster.url(name)
    migrate.migrate(url)
    if seeded:
        migrate.seed(url)
        migrate.demo(url)
    with _admin(cluster) as conn:
        conn.execute(f'alter database "{name}" with is_template true allow_connections false')
    return name


@pytest.fixture(scope="session")
def migrated_template(pg_cluster) -> str:
    """Name of a template database with every migration applied (no seed)."""
    return _create_template(pg_cluster, "tmpl_migrated", seeded=False)


@pytest.fixture(scope="session")
def seeded_template(pg_cluster) -> str:
    """Name of a template database with every migration applied, the seed and the demo data loaded."""
    return _create_template(pg_cluster, "tmpl_seeded", seeded=True)


class FreshDatabase:
    """Creates databases cloned from a template and drops them at teardown."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.names: list[str] = []

    def __call__(self, template: str = "template1") -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with _admin(self.cluster) as conn:
            conn.execute(f'create database "{name}" template "{template}" strategy file_copy')
        self.names.append(name)
        return self.cluster.url(name)

    def drop_all(self) -> None:
        with _admin(self.cluster) as conn:
            for name in self.names:
                conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def fresh_db(pg_cluster, request, pooled):
    """Factory: `fresh_db(template)` returns the URL of a new database cloned from template
    (in the pooled pass: that database through PgBouncer, as the superuser)."""
    factory = FreshDatabase(pg_cluster)
    if not pooled:
        yield factory
    else:
        bouncer = request.getfixturevalue("pgbouncer")

        def through_pooler(template: str = "template1") -> str:
            url = bouncer.route(factory(template), "postgres")
            _DIRECT_URL[url] = factory.cluster.url(factory.names[-1])
            return url

        yield through_pooler
    factory.drop_all()


@pytest.fixture
def db_url(fresh_db, seeded_template, request, pooled) -> str:
    """URL of a new database with migrations and seed, owned by this test alone (in the pooled
    pass: through PgBouncer, logging in as the demoted app role)."""
    url = fresh_db(seeded_template)
    if not pooled:
        return url
    app_url = request.getfixturevalue("pgbouncer").route(url, request.getfixturevalue("pooled_app_role"))
    _DIRECT_URL[app_url] = direct_url(url)
    return app_url


# --- partner webhooks ------------------------------------------------------------------------

SECRETS = {
    "hsi": "whsec_" + base64.b64encode(b"hsi-webhook-secret-0123456789abc").decode(),
    "hsi_old": "whsec_" + base64.b64encode(b"hsi-webhook-secret-previous-9876").decode(),
    "certiport": "whsec_" + base64.b64encode(b"certiport-webhook-secret-0123456").decode(),
    "careersafe": "whsec_" + base64.b64encode(b"careersafe-webhook-secret-012345").decode(),
    "jri": "whsec_" + base64.b64encode(b"jri-webhook-secret-0123456789abc").decode(),
    "milady": "whsec_" + base64.b64encode(b"milady-webhook-secret-0123456789").decode(),
    "shared": "whsec_" + base64.b64encode(b"shared-webhook-secret-for-others").decode(),
}


PARTNERS = ("hsi", "certiport", "careersafe", "jri", "milady")  # the seed's


def webhook_secrets() -> dict[str, list[str]]:
    """Each partner its own secret; HSI rotates (old and new both valid). The shared one is off."""
    return {slug: [SECRETS["hsi_old"], SECRETS["hsi"]] if slug == "hsi" else [SECRETS[slug]] for slug in PARTNERS}


def webhook_secret_env() -> dict[str, str]:
    """The same, as the environment of a served app or of the partner simulator."""
    return {f"PARTNER_WEBHOOK_SECRET_{slug.upper()}": " ".join(s) for slug, s in webhook_secrets().items()}


def sign(body: bytes | str, secret: str, msg_id: str | None = None, timestamp: datetime | None = None) -> dict:
    """Standard Webhooks headers for this body, signed with `secret` by the reference library."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = timestamp or datetime.now(tz=UTC)
    text = body.decode() if isinstance(body, bytes) else body
    signature = Webhook(secret).sign(msg_id, timestamp, text)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def event(kind: str, **data) -> bytes:
    return json.dumps({"type": kind, "timestamp": datetime.now(tz=UTC).isoformat(), "data": data}).encode()


@pytest.fixture
def app(db_url):
    """The Flask app on a fresh seeded database, with test webhook secrets."""
    application = create_app(TestConfig(DATABASE_URL=db_url, PARTNER_WEBHOOK_SECRETS=webhook_secrets()))
    yield application
    application.extensions["db"].close()


@pytest.fixture
def client(app):
    return app.test_client()


class Post:
    """`post(slug, body, secret=...)`: sign and POST a partner event through the test client."""

    def __init__(self, client):
        self.client = client

    def __call__(self, slug, body, secret=None, msg_id=None, timestamp=None, headers=None):
        signed = sign(body, secret or SECRETS.get(slug, SECRETS["shared"]), msg_id, timestamp)
        signed.update(headers or {})
        return self.client.post(f"/api/webhooks/partners/{slug}", data=body, headers=signed)


@pytest.fixture
def post(client):
    return Post(client)


@pytest.fixture
def sql(db_url):
    """`sql(query, *params)` → list of dict rows, as the superuser, autocommit, direct (never
    through the pooler: tests may set session state here)."""
    conn = psycopg.connect(direct_url(db_url), autocommit=True, row_factory=dict_row)

    def run(query, *params):
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []

    yield run
    conn.close()


def new_student(sql, program: str, email: str | None = None) -> dict:
    """Create a student enrolled in `program`; returns {'user_id', 'enrollment_id', 'steps': [ids]}."""
    email = email or f"{uuid.uuid4().hex[:10]}@test.local"
    # as Supabase Auth signs a user up: the profile comes from the trigger on auth.users
    uid = sql(
        'insert into auth.users (email, raw_user_meta_data) values (%s, \'{"full_name": "Test Student"}\')'
        " returning id",
        email,
    )[0]["id"]
    enrollment = sql(
        "insert into public.enrollments (user_id, program_id) select %s, id from public.programs where slug = %s"
        " returning id",
        uid,
        program,
    )[0]["id"]
    steps = [
        r["id"]
        for r in sql(
            "select id from public.enrollment_steps where enrollment_id = %s order by sequence_order", enrollment
        )
    ]
    return {"user_id": uid, "enrollment_id": enrollment, "steps": steps, "email": email}
