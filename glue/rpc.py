"""Calling the SQL functions: one statement per call, through one of two transports.

- `PsycopgRpc` (default): a direct connection pool (`DATABASE_URL`), acting as `service_role`.
- `SupabaseRpc`: supabase-py's `rpc()` over Supabase's HTTP API (PostgREST), selected when
  `SUPABASE_URL` and `SUPABASE_SERVICE_ROLE_KEY` are set, for deployments that only reach that.

Both raise `RpcError(sqlstate, message)` for errors the SQL raised, and `DatabaseUnavailable`
when the database cannot be reached.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import psycopg
from psycopg import sql

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
        if not _IDENT.match(function) or not all(_IDENT.match(k) for k in params):
            raise ValueError(f"not an identifier: {function}({', '.join(params)})")
        query = sql.SQL("select public.{}({}) as result").format(
            sql.Identifier(function),
            sql.SQL(", ").join(sql.SQL("{} => {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in params),
        )
        try:
            return self.db.query(query.as_string(), params)[0]["result"]
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(str(exc)) from exc
        except psycopg.Error as exc:
            raise RpcError(exc.sqlstate, exc.diag.message_primary or str(exc)) from exc


class SupabaseRpc:
    """The same calls through supabase-py (`POST {SUPABASE_URL}/rest/v1/rpc/<function>`)."""

    def __init__(self, url: str, service_role_key: str):
        from supabase import create_client

        self.client = create_client(url, service_role_key)

    def call(self, function: str, **params: Any) -> Any:
        import httpx
        from postgrest.exceptions import APIError

        try:
            return self.client.rpc(function, params).execute().data
        except APIError as exc:
            if exc.code in ("PGRST000", "PGRST001", "PGRST002"):  # PostgREST cannot reach the DB
                raise DatabaseUnavailable(exc.message or "database unavailable") from exc
            raise RpcError(exc.code, exc.message or "error") from exc
        except httpx.HTTPError as exc:
            raise DatabaseUnavailable(str(exc)) from exc


def make_rpc(config, db: Database | None):
    """The transport the configuration asks for: Supabase's HTTP API when SUPABASE_URL and
    SUPABASE_SERVICE_ROLE_KEY are set, else the direct pool."""
    if config.get("SUPABASE_URL") and config.get("SUPABASE_SERVICE_ROLE_KEY"):
        return SupabaseRpc(config["SUPABASE_URL"], config["SUPABASE_SERVICE_ROLE_KEY"])
    return PsycopgRpc(db)
