"""Database access: a psycopg connection pool that keeps no state on its sessions, so it works
the same on a direct connection and behind a transaction pooler (Supavisor, PgBouncer
`pool_mode=transaction`), where consecutive transactions of one client land on different server
connections and a session setting would leak to other clients.

- Every service call runs in a transaction that first makes itself Supabase's `service_role`
  (`set_config('role', 'service_role', true)`: transaction-local, gone at commit).
- `as_user(claims)` runs a transaction as `authenticated` with those JWT claims, so RLS decides.
- `application_name` travels in the startup packet; prepared statements are off
  (`prepare_threshold=None`): a pooler hands a named statement to whichever client comes next.

Round trips are kept low on the hot paths: `query()` (one call, e.g. an RPC) sends the role switch
and the statement as one simple-protocol query (client-side parameter binding), which PostgreSQL
runs as one implicit transaction: one round trip, like the single statement it replaces.

Every business call is one statement calling one SQL function; the glue never decides a
transition.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

log = logging.getLogger(__name__)

APPLICATION_NAME = "partnerseq"
_DURATION = re.compile(r"^[0-9]+(ms|s|min)?$")


def _setup(role_settings: str, timeouts: dict[str, str]) -> str:
    """The first statement of every transaction: the role (and claims), then the timeouts and
    `jit = off` (short OLTP statements: JIT compilation only ever costs time), all transaction-local
    (`set_config(..., true)`), so they hold behind a transaction pooler and leak nowhere."""
    local = "".join(f", set_config('{name}', '{value}', true)" for name, value in timeouts.items())
    return f"select {role_settings}{local}, set_config('jit', 'off', true)"


def _connection_lost(exc: psycopg.OperationalError) -> bool:
    """The connection itself is gone (no SQLSTATE, connection exceptions 08xxx, or the server
    shutting down or crashing: 57P01-57P03), as opposed to a query cancelled by a timeout."""
    state = exc.sqlstate
    return state is None or state.startswith(("08", "57P"))


class DatabaseUnavailable(Exception):
    """The database could not be reached in time (the caller answers 503)."""


def connect_kwargs(**extra: Any) -> dict[str, Any]:
    """Connection options of every app connection (pool, worker, CLI): nothing that needs a
    session to outlive its transaction."""
    return {
        "autocommit": True,
        "prepare_threshold": None,  # no server-side prepared statements: unsafe behind a pooler
        "application_name": APPLICATION_NAME,  # startup packet, not `set application_name`
        "connect_timeout": 3,
        **extra,
    }


class Database:
    """A lazily opened pool of autocommit connections with no session state.

    - `query(statement, params)`: one statement as `service_role`, one round trip; returns rows.
    - `service()`: a connection inside a transaction acting as `service_role`.
    - `as_user(claims)`: a connection inside a transaction acting as `authenticated` + claims.
    """

    def __init__(
        self,
        url: str,
        max_size: int = 10,
        timeout: float = 5.0,
        statement_timeout: str = "5s",
        lock_timeout: str = "2s",
        idle_in_transaction_timeout: str = "10s",
    ):
        self.url = url
        self.timeout = timeout
        self.set_timeouts(statement_timeout, lock_timeout, idle_in_transaction_timeout)
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            kwargs=connect_kwargs(row_factory=dict_row),
            reconnect_timeout=timeout,
            timeout=timeout,
        )
        self._opened = False
        self._checking = threading.Lock()

    def set_timeouts(self, statement: str, lock: str, idle_in_transaction: str) -> None:
        """PostgreSQL's limits for every transaction of this pool (`5s`, `500ms`, `2min`; `0` = none):
        a statement running longer, a lock waited for longer, or a transaction left idle longer is
        cancelled by the server, and the caller gets DatabaseUnavailable (webhooks: 503 + Retry-After).
        The web app keeps them short; the worker (`run_worker`) allows longer statements."""
        timeouts = {
            "statement_timeout": statement,
            "lock_timeout": lock,
            "idle_in_transaction_session_timeout": idle_in_transaction,
        }
        for name, value in timeouts.items():
            if not _DURATION.match(str(value)):
                raise ValueError(f"{name}: {value!r} is not a duration like 5s, 500ms or 2min")
        self.service_setup = _setup("set_config('role', 'service_role', true)", timeouts)
        self.user_setup = _setup(
            "set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)", timeouts
        )

    def _open(self) -> None:
        if not self._opened:
            self.pool.open(wait=False)
            self._opened = True

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        self._open()
        try:
            with self.pool.connection(timeout=self.timeout) as conn:
                yield conn
        except (PoolTimeout, psycopg.OperationalError) as exc:
            if isinstance(exc, psycopg.OperationalError) and _connection_lost(exc):
                self._discard_broken()
            raise DatabaseUnavailable(str(exc)) from exc

    def _discard_broken(self) -> None:
        """After a lost connection (a restart, a failover), test the idle ones too and replace the
        dead: otherwise each of them fails one later call in turn (the worker backing off up to 8 s
        each time: over a minute with a full pool). One check at a time."""
        if not self._checking.acquire(blocking=False):
            return
        try:
            self.pool.check()
        except Exception:  # noqa: BLE001 - best effort: the next call reports the database as it is
            pass
        finally:
            self._checking.release()

    def query(self, statement: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> list[dict]:
        """Run one statement as `service_role` and return its rows (dicts), in one round trip:
        `select set_config('role', 'service_role', true), ...; <statement>` as a single simple
        query, which PostgreSQL runs as one implicit transaction. Placeholders are `%s` /
        `%(name)s`, bound client-side. `statement` may be several separated by `;` (still one
        round trip and one transaction): the rows returned are the last one's."""
        with self._connection() as conn, psycopg.ClientCursor(conn, row_factory=dict_row) as cur:
            cur.execute(f"{self.service_setup}; {statement}", params)
            while cur.nextset():  # `statement` may be several: the rows are the last one's
                pass
            return cur.fetchall() if cur.description else []

    @contextmanager
    def _transaction(self, setup: str, params: Sequence[Any] | None = None) -> Iterator[psycopg.Connection]:
        """A connection inside an explicit transaction whose first statement is `setup`
        (`begin; <setup>` in one round trip); committed on exit, rolled back on an exception."""
        with self._connection() as conn:
            with psycopg.ClientCursor(conn) as cur:
                cur.execute(f"begin; {setup}", params)
            try:
                yield conn
            except BaseException:
                if not conn.closed and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.execute("rollback")
                raise
            conn.execute("commit")

    @contextmanager
    def service(self) -> Iterator[psycopg.Connection]:
        """A connection inside a transaction acting as `service_role` (committed on exit)."""
        with self._transaction(self.service_setup) as conn:
            yield conn

    @contextmanager
    def as_user(self, claims: dict) -> Iterator[psycopg.Connection]:
        """A connection inside a transaction acting as `authenticated` with these JWT claims:
        RLS decides what it sees."""
        with self._transaction(self.user_setup, (json.dumps(claims),)) as conn:
            yield conn

    def close(self) -> None:
        if self._opened:
            self.pool.close()
            self._opened = False
