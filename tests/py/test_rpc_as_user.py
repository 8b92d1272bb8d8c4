"""`rpc.as_user(claims, token).call(function, ...)`: the pages' one way to the database, as the
signed-in user, over either transport. Over the direct pool it is `authenticated` + the claims
(RLS and the functions' own checks decide); over Supabase's HTTP API it is the user's access
token as the bearer beside the apikey, which PostgREST turns into the same role and claims.
No SQL text is left in the pages or the CLI: they only name SQL functions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from glue.rpc import PsycopgRpc, RpcError, SupabaseRpc
from tests.py.conftest import new_student
from tests.py.test_supabase_transport import SECRET_KEY, SERVICE_KEY, FakePostgrest

GLUE = Path(__file__).resolve().parents[2] / "glue"
USER_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIiwicm9sZSI6ImF1dGhlbnRpY2F0ZWQifQ.c2ln"


@pytest.fixture
def postgrest():
    fake = FakePostgrest()
    yield fake
    fake.close()


@pytest.mark.parametrize("key", [SECRET_KEY, SERVICE_KEY])
def test_over_http_the_users_token_is_the_bearer_beside_the_apikey(postgrest, key):
    postgrest.responses["student_progress"] = (200, [])
    rpc = SupabaseRpc(postgrest.url, key)
    assert rpc.as_user({"sub": "user"}, token=USER_TOKEN).call("student_progress") == []
    (request,) = postgrest.requests
    assert request["path"] == "/rest/v1/rpc/student_progress"
    assert request["headers"]["apikey"] == key
    assert request["headers"]["authorization"] == f"Bearer {USER_TOKEN}", "never the server key as the user"


def test_over_http_a_sql_error_keeps_its_sqlstate_and_the_service_calls_keep_the_server_key(postgrest):
    postgrest.responses["admin_dashboard"] = (403, {"code": "42501", "message": "admins only"})
    postgrest.responses["get_partner_slugs"] = (200, ["hsi"])
    rpc = SupabaseRpc(postgrest.url, SERVICE_KEY)
    with pytest.raises(RpcError) as raised:
        rpc.as_user({"sub": "user"}, token=USER_TOKEN).call("admin_dashboard", p_program="cna")
    assert raised.value.sqlstate == "42501"
    assert postgrest.requests[0]["json"] == {"p_program": "cna"}
    assert rpc.call("get_partner_slugs") == ["hsi"]
    assert postgrest.requests[1]["headers"]["authorization"] == f"Bearer {SERVICE_KEY}"


def test_over_http_a_call_as_the_user_needs_their_token(postgrest):
    with pytest.raises(ValueError, match="access token"):
        SupabaseRpc(postgrest.url, SECRET_KEY).as_user({"sub": "user"}).call("student_progress")
    assert postgrest.requests == []


def test_over_the_pool_the_call_runs_as_authenticated_with_the_claims(app, sql):
    student = new_student(sql, "cna")
    rpc = app.extensions["rpc"]
    assert isinstance(rpc, PsycopgRpc)
    claims = {"sub": str(student["user_id"]), "role": "authenticated"}
    (enrollment,) = rpc.as_user(claims).call("student_progress")
    assert enrollment["id"] == str(student["enrollment_id"])
    with pytest.raises(RpcError) as raised:
        rpc.as_user(claims).call("admin_dashboard")
    assert raised.value.sqlstate == "42501"
    with pytest.raises(RpcError) as raised:
        rpc.as_user(claims).call("demo_users")
    assert raised.value.sqlstate == "42501", "service-only functions stay service-only"


@pytest.mark.parametrize(
    "path",
    [
        *sorted((GLUE / "pages").glob("*.py")),
        GLUE / "cli.py",
        GLUE / "worker.py",
        *sorted((GLUE / "tasks").glob("*.py")),
    ],
    ids=lambda p: str(p.relative_to(GLUE)),
)
def test_no_sql_text_in_the_pages_the_cli_or_the_worker(path):
    source = path.read_text()
    assert not re.search(r"\.(execute|query)\(", source), "call SQL functions through the rpc transport"
    assert not re.search(r"\b(select|insert|update|delete)\s+.*\b(from|into|set|public\.)", source, re.I), (
        "no SQL statements built in Python"
    )
