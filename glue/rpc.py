"""Calling the SQL functions: one statement per call, through one of two transports.

- `PsycopgRpc` (default): a direct connection pool (`DATABASE_URL`), acting as `service_role`.
- `SupabaseRpc`: supabase-py's PostgREST client over Supabase's HTTP API (`/rest/v1/rpc/...`),
  used only without `DATABASE_URL`, when `SUPABASE_URL` and a server key (`SUPABASE_SECRET_KEY`,
  an `sb_secret_...` API key, or the legacy service_role JWT in `SUPABASE_SERVICE_ROLE_KEY`) are set.

Both raise `RpcError(sqlstate, message)` for errors the SQL raised, and `DatabaseUnavailable`
when the database cannot be reached.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from .config import ConfigError
from .db import Database, DatabaseUnavailable

log = logging.getLogger(__name__)
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


class RpcError(Exception):
    """An error raised by a SQL function: `sqlstate` is its stable code (PS001, 42501, ...)."""

    def __init__(self, sqlstate: str | None, message: str):
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message


class PsycopgRpc:
    """`call("mark_step_complete", p_step_id=...)` → `select public.mark_step_complete(p_step_id => %s)`,
    as `service_role`, in one round trip that leaves no state on the connection (`Database.query`)."""

    def __init__(self, db: Database):
        self.db = db

    def call(self, function: str, **params: Any) -> Any:
        query = _call_statement(function, params)
        try:
            return self.db.query(query, params)[0]["result"]
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(str(exc)) from exc
        except psycopg.Error as exc:
            raise RpcError(exc.sqlstate, exc.diag.message_primary or str(exc)) from exc

    def as_user(self, claims: dict, token: str | None = None) -> UserRpc:
        """The same calls as the signed-in user: `authenticated` with these JWT claims
        (`Database.as_user`), so row level security and the functions' own checks decide.
        `token` (the user's access token) is what the HTTP transport sends; not needed here."""
        return UserRpc(self._call_as_user, claims, token)

    def _call_as_user(self, claims: dict, token: str | None, function: str, params: dict[str, Any]) -> Any:
        query = _call_statement(function, params)
        try:
            with self.db.as_user(claims) as conn:
                return conn.execute(query, params).fetchone()["result"]
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(str(exc)) from exc
        except psycopg.Error as exc:
            raise RpcError(exc.sqlstate, exc.diag.message_primary or str(exc)) from exc


class UserRpc:
    """`rpc.as_user(claims, token).call("student_progress")`: one SQL function called as the
    signed-in user, whichever transport `rpc` is (the pages' only way to the database)."""

    def __init__(self, send, claims: dict, token: str | None):
        self._send = send
        self.claims = claims
        self.token = token

    def call(self, function: str, **params: Any) -> Any:
        return self._send(self.claims, self.token, function, params)


def _call_statement(function: str, params: dict[str, Any]) -> str:
    """`select public.<function>(p => %(p)s, ...) as result`, names checked as identifiers."""
    return _statement(function, tuple(params))


@functools.lru_cache(maxsize=512)
def _statement(function: str, names: tuple[str, ...]) -> str:
    # composed once per (function, parameter names): ~40 µs saved on every call of the hot paths
    if not _IDENT.match(function) or not all(_IDENT.match(k) for k in names):
        raise ValueError(f"not an identifier: {function}({', '.join(names)})")
    return (
        sql.SQL("select public.{}({}) as result")
        .format(
            sql.Identifier(function),
            sql.SQL(", ").join(sql.SQL("{} => {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in names),
        )
        .as_string()
    )


class QueueRpc:
    """The worker's calls to the queue API (schema `queue`, pgmq-like: `list_queues`, `read`,
    `set_vt`, `fail`), as `service_role`, one round trip each. Direct connection only: the queue
    schema is not exposed over Supabase's HTTP API, and a worker needs DATABASE_URL."""

    def __init__(self, db: Database):
        self.db = db

    def list_queues(self) -> list[dict]:
        """Every queue with its visibility timeout: [{'queue_name', 'visibility_timeout_seconds'}]."""
        return self.db.query("select * from queue.list_queues()")

    def read(self, queue: str, vt: int, qty: int, ack: Sequence[int] = ()) -> list[dict]:
        """Up to `qty` visible jobs of `queue`, each hidden from other readers for `vt` seconds.
        With `ack`, the jobs with those ids are archived first (`queue.archive_batch`), in the
        same round trip and transaction: one commit acknowledges a batch and takes the next."""
        if ack:
            return self.db.query(
                "select count(*) from queue.archive_batch(%s, %s::bigint[]); select * from queue.read(%s, %s, %s)",
                (queue, list(ack), queue, vt, qty),
            )
        return self.db.query("select * from queue.read(%s, %s, %s)", (queue, vt, qty))

    def archive(self, queue: str, ids: Sequence[int]) -> int:
        """Archive these jobs of `queue` (done) in one statement; returns how many were still queued."""
        rows = self.db.query("select count(*) as n from queue.archive_batch(%s, %s::bigint[])", (queue, list(ids)))
        return rows[0]["n"]

    def set_vt(self, queue: str, msg_id: int, vt: int) -> None:
        """Make a job visible again in `vt` seconds (0: give it back now)."""
        self.db.query("select queue.set_vt(%s, %s, %s)", (queue, msg_id, vt))

    def fail(self, queue: str, msg_id: int, error: str, retryable: bool) -> str:
        """Record a failed attempt; SQL decides retry (with backoff) or dead letter. Returns its verdict."""
        return self.db.query("select queue.fail(%s, %s, %s, %s) as r", (queue, msg_id, error, retryable))[0]["r"]


class SupabaseRpc:
    """The same calls over Supabase's HTTP API: `POST {SUPABASE_URL}/rest/v1/rpc/<function>` with
    the parameters as a JSON object, through supabase-py's PostgREST client.

    The key goes in the `apikey` header. A legacy service_role key is a JWT and also goes in
    `Authorization: Bearer` (PostgREST takes the role from it). A secret API key (`sb_secret_...`)
    is not a JWT: Supabase's gateway swaps it for a service_role token, and PostgREST would reject
    it as a bearer token (PGRST301) — so no Authorization header is sent with it. (supabase-py's
    `create_client` puts any key in both headers, hence the client is built here.)"""

    def __init__(self, url: str, service_role_key: str):
        from postgrest import SyncPostgrestClient

        self.headers = api_key_headers(service_role_key)
        self.base_url = url.rstrip("/") + "/rest/v1"
        self.client = SyncPostgrestClient(self.base_url, headers=self._headers(self.headers))

    @staticmethod
    def _headers(extra: dict[str, str]) -> dict[str, str]:
        return {"Accept": "application/json", "Content-Type": "application/json", **extra}

    def call(self, function: str, **params: Any) -> Any:
        return self._call(self.client, function, params)

    def as_user(self, claims: dict, token: str | None = None) -> UserRpc:
        """The same calls as the signed-in user: their access token as `Authorization: Bearer`
        (PostgREST then acts as `authenticated` with its claims, RLS applies) beside the `apikey`."""
        return UserRpc(self._call_as_user, claims, token)

    def _call_as_user(self, claims: dict, token: str | None, function: str, params: dict[str, Any]) -> Any:
        from postgrest import SyncPostgrestClient

        if not token:
            raise ValueError("a call as the user over the HTTP transport needs the user's access token")
        headers = self._headers({**self.headers, "Authorization": f"Bearer {token}"})
        with SyncPostgrestClient(self.base_url, headers=headers) as client:
            return self._call(client, function, params)

    @staticmethod
    def _call(client, function: str, params: dict[str, Any]) -> Any:
        import httpx
        from postgrest.exceptions import APIError

        try:
            return client.rpc(function, params).execute().data
        except APIError as exc:
            if exc.code in ("PGRST000", "PGRST001", "PGRST002"):  # PostgREST cannot reach the DB
                raise DatabaseUnavailable(exc.message or "database unavailable") from exc
            raise RpcError(exc.code, exc.message or "error") from exc
        except httpx.HTTPError as exc:
            raise DatabaseUnavailable(str(exc)) from exc


_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def api_key_headers(key: str) -> dict[str, str]:
    """Request headers for a Supabase server key: `apikey` always; `Authorization: Bearer` only
    for a JWT (the legacy service_role key), never for an `sb_secret_...` key. ConfigError for a
    key that is neither (e.g. a publishable key, which cannot call service functions)."""
    key = key.strip()
    if key.startswith("sb_secret_"):
        return {"apikey": key}
    if _JWT.match(key):
        return {"apikey": key, "Authorization": f"Bearer {key}"}
    raise ConfigError(
        "SUPABASE_SECRET_KEY / SUPABASE_SERVICE_ROLE_KEY must be a secret API key (sb_secret_...) "
        "or the legacy service_role key (a JWT)"
    )


def make_rpc(config, db: Database | None):
    """The transport the configuration asks for: the direct pool whenever DATABASE_URL is set
    (the pages need it anyway, and it is the faster path); Supabase's HTTP API only without it,
    when SUPABASE_URL and a server key (SUPABASE_SECRET_KEY or SUPABASE_SERVICE_ROLE_KEY) are set
    (a webhook-only deployment). SUPABASE_URL alone (signing keys, issuer) chooses nothing."""
    if db is not None:
        return PsycopgRpc(db)
    return SupabaseRpc(config["SUPABASE_URL"], config["SUPABASE_SERVICE_ROLE_KEY"])  # create_app checked both
