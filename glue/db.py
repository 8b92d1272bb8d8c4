"""Database access: a psycopg connection pool whose sessions act as Supabase's `service_role`,
and short transactions that act as a signed-in user (`authenticated` + JWT claims) so RLS decides.

Every business call is one statement calling one SQL function; the glue never decides a
transition.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

log = logging.getLogger(__name__)


class DatabaseUnavailable(Exception):
    """The database could not be reached in time (the caller answers 503)."""


def _configure(conn: psycopg.Connection) -> None:
    conn.execute("set role service_role")
    conn.execute("set application_name = 'partnerseq'")
    conn.execute("set jit = off")  # short OLTP statements: JIT compilation only ever costs time


class Database:
    """A lazily opened pool. `service()` yields a connection as service_role (autocommit);
    `as_user(claims)` yields one inside a transaction as `authenticated` with those claims."""

    def __init__(self, url: str, max_size: int = 10, timeout: float = 5.0):
        self.url = url
        self.timeout = timeout
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            configure=_configure,
            kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": 3},
            reconnect_timeout=timeout,
            timeout=timeout,
        )
        self._opened = False

    def _open(self) -> None:
        if not self._opened:
            self.pool.open(wait=False)
            self._opened = True

    @contextmanager
    def service(self) -> Iterator[psycopg.Connection]:
        self._open()
        try:
            with self.pool.connection(timeout=self.timeout) as conn:
                yield conn
        except (PoolTimeout, psycopg.OperationalError) as exc:
            raise DatabaseUnavailable(str(exc)) from exc

    @contextmanager
    def as_user(self, claims: dict) -> Iterator[psycopg.Connection]:
        with self.service() as conn, conn.transaction():
            conn.execute(
                "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
                (json.dumps(claims),),
            )
            yield conn

    def close(self) -> None:
        if self._opened:
            self.pool.close()
            self._opened = False
