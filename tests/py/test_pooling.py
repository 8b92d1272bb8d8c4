"""Behind a transaction pooler (PgBouncer 1.18, pool_mode=transaction, as Supabase's pooler runs):
consecutive transactions of one client land on different server connections, so nothing may live
in a session. These tests run the app, the migrator and the data generator through a real
PgBouncer, with the app logging in as a demoted role (no superuser, member of the API roles).

The rest of the webhook, worker, pages and migration suites run a second time through the same
pooler with `pytest --pooled` (`make test` does both passes)."""

from __future__ import annotations

import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import psycopg
import pytest

from glue import create_app, migrate
from glue.config import TestConfig
from glue.db import Database
from glue.rpc import PsycopgRpc, RpcError
from scripts.generate_data import generate

from .conftest import SECRETS, direct_url, event, new_student, sign, webhook_secrets
from .pooler import PgBouncer
from .test_student_progress import token

THREADS = 16
PROBE = (
    "select current_user as current_user, current_setting('role') as role,"
    " current_setting('request.jwt.claims', true) as claims, current_setting('jit') as jit,"
    " current_setting('session_replication_role') as replication_role"
)


@pytest.fixture
def urls(db_url, pgbouncer, pooled_app_role):
    """The test's database: direct (superuser), through the pooler as the demoted app role, and
    through the pooler as the superuser (tooling)."""
    direct = direct_url(db_url)
    return SimpleNamespace(
        direct=direct,
        app=pgbouncer.route(direct, pooled_app_role),
        admin=pgbouncer.route(direct, "postgres"),
        role=pooled_app_role,
    )


def _bare(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True, prepare_threshold=None, row_factory=psycopg.rows.dict_row)


def _warm(url: str, n: int = 4) -> None:
    """Open n server connections behind the pooler (n clients in a transaction at once), so that
    round robin spreads the next transactions over all of them."""
    conns = [_bare(url) for _ in range(n)]
    for c in conns:
        c.execute("begin")
        c.execute("select pg_backend_pid()")
    for c in conns:
        c.execute("commit")
        c.close()


def test_app_connections_keep_no_session_state(db_url):
    """After service calls, RPCs and user transactions, the pooled connection is as it was logged
    in: no role, no claims, no settings, no prepared statements; application_name came with the
    connection."""
    db = Database(direct_url(db_url), max_size=1)
    rpc = PsycopgRpc(db)
    try:
        for _ in range(10):  # psycopg would prepare a statement run 5 times (prepare_threshold=5)
            assert rpc.call("get_partner_slugs")
            assert db.query("select current_user as u")[0]["u"] == "service_role"
        with db.service() as conn:
            assert conn.execute("select current_user as u").fetchone()["u"] == "service_role"
        with db.as_user({"sub": str(uuid.uuid4()), "role": "authenticated"}) as conn:
            assert conn.execute("select current_user as u").fetchone()["u"] == "authenticated"
        with db.pool.connection() as conn:
            state = conn.execute(PROBE + ", current_setting('application_name') as app").fetchone()
            prepared = conn.execute("select count(*) as n from pg_prepared_statements").fetchone()["n"]
    finally:
        db.close()
    assert {**state, "claims": state["claims"] or ""} == {
        "current_user": "postgres",
        "role": "none",
        "claims": "",
        "jit": "on",
        "replication_role": "origin",
        "app": "partnerseq",
    }
    assert prepared == 0


def test_errors_keep_their_sqlstate_and_leave_no_transaction_open(db_url):
    """A failing call still maps to its SQLSTATE, and rolls back: the next call on the same
    connection works."""
    db = Database(direct_url(db_url), max_size=1)
    rpc = PsycopgRpc(db)
    try:
        with pytest.raises(RpcError) as err:
            rpc.call("replay_partner_event", p_event_id=-1)
        assert err.value.sqlstate and err.value.sqlstate != "25P02"
        with pytest.raises(psycopg.errors.DivisionByZero), db.service() as conn:
            conn.execute("select 1/0")
        with pytest.raises(RuntimeError), db.as_user({"sub": str(uuid.uuid4())}) as conn:
            raise RuntimeError("the page failed")
        assert db.query("select current_user as u")[0]["u"] == "service_role"
    finally:
        db.close()


def test_every_call_runs_as_its_role_through_the_pooler(urls, sql):
    """16 threads through PgBouncer (4 server connections) as the demoted login role: webhooks,
    RPCs and service queries run as service_role, page transactions as authenticated with their
    own claims (and the progress page answers), and a bare client of the same pooler sees none
    of it."""
    students = [new_student(sql, "cna") for _ in range(THREADS * 4)]
    for i, s in enumerate(students):
        sql("update public.enrollment_steps set external_enrollment_id = %s where id = %s", f"HSI-P{i}", s["steps"][0])
    app = create_app(TestConfig(DATABASE_URL=urls.app, PARTNER_WEBHOOK_SECRETS=webhook_secrets(), DB_POOL_MAX=4))
    db, rpc = app.extensions["db"], app.extensions["rpc"]
    lock = threading.Lock()
    figures = {"requests": 0, "errors": 0, "wrong_role": 0}
    problems: list[str] = []

    def tally(ok: bool, what: str) -> None:
        with lock:
            figures["requests"] += 1
            if not ok:
                figures["wrong_role"] += 1
                problems.append(what)

    def work(n: int) -> None:
        rng = random.Random(n)
        client = app.test_client()
        bare = _bare(urls.app)
        try:
            for i in range(4):  # each thread completes 4 students' first step by webhook
                ext = f"HSI-P{n * 4 + i}"
                body = event("course.completed", external_enrollment_id=ext)
                r = client.post("/api/webhooks/partners/hsi", data=body, headers=sign(body, SECRETS["hsi"]))
                tally(r.status_code == 200 and r.get_json()["status"] == "processed", f"webhook {ext}: {r.status_code}")
            for _ in range(30):
                kind = rng.choice(("service", "rpc", "user", "page", "bare"))
                if kind == "service":
                    row = db.query(PROBE)[0]
                    tally(row["current_user"] == "service_role" and not row["claims"], f"service {row}")
                elif kind == "rpc":
                    tally("hsi" in rpc.call("get_partner_slugs"), "rpc")
                elif kind == "user":
                    sub = str(uuid.uuid4())
                    with db.as_user({"sub": sub, "role": "authenticated"}) as conn:
                        row = conn.execute(PROBE + ", auth.uid()::text as uid").fetchone()
                    tally(row["current_user"] == "authenticated" and row["uid"] == sub, f"user {row}")
                elif kind == "page":
                    mine = students[n * 4 + rng.randrange(4)]
                    r = client.get("/student/progress", headers={"Authorization": f"Bearer {token(mine['user_id'])}"})
                    shown = r.status_code == 200 and "Certified Nursing" in r.get_data(as_text=True)
                    tally(shown, f"page {r.status_code}")
                else:
                    row = bare.execute(PROBE).fetchone()
                    tally(
                        row["current_user"] == urls.role
                        and row["role"] == "none"
                        and not row["claims"]
                        and row["jit"] == "on"
                        and row["replication_role"] == "origin",
                        f"bare {row}",
                    )
        except Exception as exc:  # noqa: BLE001 - counted and reported below
            with lock:
                figures["errors"] += 1
                problems.append(f"{type(exc).__name__}: {exc}")
        finally:
            bare.close()

    _warm(urls.app)
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(work, range(THREADS)))
    finally:
        db.close()
    figures["seconds"] = round(time.monotonic() - started, 2)
    print(f"\npooled probe: {figures}")
    assert problems == [], problems[:5]
    assert figures["requests"] == THREADS * 34
    roles = sql(
        "select t.actor_role, count(*)::int as n from public.step_transitions t"
        " where t.step_id = any(%s) and t.to_status = 'completed' group by 1",
        [s["steps"][0] for s in students],
    )
    assert roles == [{"actor_role": "service_role", "n": THREADS * 4}], "every completion is audited as service_role"


def test_migrating_through_the_pooler_leaves_no_lock_behind(fresh_db, pgbouncer, pg_cluster):
    """The migrator's lock is transaction-scoped: through a transaction pooler nothing stays held
    on a server connection after `migrate`. (A session lock is taken on one server connection and
    'released' on another: the next migrator would wait forever.) Server connections are warmed
    and handed out round robin, so consecutive transactions of the migrator change server."""
    direct = direct_url(fresh_db())
    through = pgbouncer.route(direct, "postgres")
    _warm(through)
    assert len(migrate.migrate(through)) == len(migrate.discover())
    with PgBouncer(pg_cluster.port, ["postgres"], pool_size=3, password=pg_cluster.password) as small:
        again = small.route(direct, "postgres")
        _warm(again, 3)
        outcome: list = []
        runner = threading.Thread(target=lambda: outcome.append(migrate.migrate(again)), daemon=True)
        runner.start()
        runner.join(timeout=30)
        assert outcome == [[]], "the second migrator finished at once, with nothing to apply"
        with _bare(direct) as conn:
            held = conn.execute(
                "select count(*) as n from pg_locks l join pg_database d on d.oid = l.database"
                " where l.locktype = 'advisory' and d.datname = current_database()"
            ).fetchone()["n"]
    assert held == 0


def test_generate_data_through_the_pooler_leaks_nothing(urls, sql):
    """The generator's trigger switch (`session_replication_role = replica`) lives in each chunk's
    transaction: through the pooler it works, and other clients of the same server connections
    keep their triggers."""
    _warm(urls.admin)
    result = generate(urls.admin, 60, chunk_size=20, vacuum=False)
    assert result["counts"]["public.enrollments"] >= 60
    assert result["queue_jobs_added"] == 0
    # every server connection of the pool, seen by concurrent clients: nothing left behind
    conns = [_bare(urls.admin) for _ in range(4)]
    try:
        for c in conns:
            c.execute("begin")
        states = [c.execute(PROBE).fetchone() for c in conns]
    finally:
        for c in conns:
            c.close()
    assert {s["replication_role"] for s in states} == {"origin"}
    assert {s["jit"] for s in states} == {"on"}
    # triggers still fire for the next client: a new enrollment gets its steps
    s = new_student(sql, "cna")
    assert len(s["steps"]) > 0
