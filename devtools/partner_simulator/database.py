"""What our database says about the partners' enrollments: every step linked at a partner (it has
the partner's enrollment id), with its student, program and status. The simulator lists them on
its page and completes them on request, so the demo data's steps (CP-DEMO-BEN, ...) and steps
linked by hand or by an earlier run are there too, not only the enrollments it created itself.

Development tooling, read-only, on the database the local run uses (--database-url); the app's
rule of SQL functions only applies to the app, not to this stand-in for the partners."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

STEPS = """
select pr.slug as partner, s.external_enrollment_id, s.id::text as reference, s.status, s.launch_url,
       p.email as student_email, coalesce(p.full_name, '') as student_name, g.name as program_name,
       s.started_at, s.completed_at
  from public.enrollment_steps s
  join public.partner_lms_providers pr on pr.id = s.provider_id
  join public.enrollments e on e.id = s.enrollment_id
  join public.profiles p on p.id = e.user_id
  join public.programs g on g.id = e.program_id
 where s.external_enrollment_id is not null
"""


class DatabaseError(Exception):
    """The database could not be read (the page says so; the simulator keeps working)."""


class Database:
    """Read-only access to the partner steps of our database at `url`."""

    def __init__(self, url: str, timeout: float = 3.0) -> None:
        self.url = url
        self.timeout = timeout

    def _query(self, sql: str, params: tuple) -> list[dict[str, Any]]:
        try:
            with psycopg.connect(self.url, connect_timeout=max(1, int(self.timeout)), row_factory=dict_row) as conn:
                conn.execute("set statement_timeout = '5s'")
                return conn.execute(sql, params).fetchall()
        except psycopg.Error as exc:
            raise DatabaseError(f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}") from None

    def steps(self, limit: int = 500) -> list[dict[str, Any]]:
        """The steps linked at a partner, most recently started first."""
        return self._query(STEPS + " order by s.started_at desc nulls last, s.id limit %s", (limit,))

    def find(self, partner: str | None, external_enrollment_id: str | None, reference: str | None) -> dict | None:
        """One linked step by partner and its enrollment id, or by our step id (the reference)."""
        if external_enrollment_id is not None and partner is not None:
            rows = self._query(
                STEPS + " and pr.slug = %s and s.external_enrollment_id = %s", (partner, external_enrollment_id)
            )
        elif reference is not None:
            rows = self._query(
                STEPS + " and s.id::text = %s and (%s::text is null or pr.slug = %s)", (reference, partner, partner)
            )
        else:
            return None
        return rows[0] if rows else None
