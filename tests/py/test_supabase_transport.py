"""The `supabase` RPC transport (supabase-py `rpc()` over Supabase's HTTP API).

No PostgREST server can run here, so this checks the HTTP contract: a real HTTP server on
loopback plays PostgREST, records exactly what the app sends, and answers as PostgREST does.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from glue import create_app
from glue.config import TestConfig
from glue.rpc import SupabaseRpc
from tests.py.conftest import SECRETS, event, sign, webhook_secrets

SERVICE_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJl"


class FakePostgrest:
    """Records requests; answers from `responses[function]` = (status, json body)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.responses: dict[str, tuple[int, object]] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                outer.requests.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "json": json.loads(body or b"null"),
                    }
                )
                function = self.path.rsplit("/", 1)[-1]
                status, payload = outer.responses.get(function, (404, {"code": "PGRST202", "message": "no function"}))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def postgrest():
    fake = FakePostgrest()
    yield fake
    fake.close()


def test_rpc_posts_to_the_function_with_named_parameters_and_the_service_key(postgrest):
    postgrest.responses["mark_step_complete"] = (200, "3f0c7a52-0000-4000-8000-000000000002")
    rpc = SupabaseRpc(postgrest.url, SERVICE_KEY)
    result = rpc.call(
        "mark_step_complete", p_step_id="3f0c7a52-0000-4000-8000-000000000001", p_external_enrollment_id="HSI-1"
    )
    assert result == "3f0c7a52-0000-4000-8000-000000000002"
    (request,) = postgrest.requests
    assert request["path"] == "/rest/v1/rpc/mark_step_complete"
    assert request["json"] == {"p_step_id": "3f0c7a52-0000-4000-8000-000000000001", "p_external_enrollment_id": "HSI-1"}
    assert request["headers"]["apikey"] == SERVICE_KEY
    assert request["headers"]["authorization"] == f"Bearer {SERVICE_KEY}"
    assert request["headers"]["content-type"].startswith("application/json")


def test_a_sql_error_comes_back_with_its_sqlstate(postgrest):
    from glue.rpc import RpcError

    postgrest.responses["mark_step_complete"] = (
        400,
        {
            "code": "PS003",
            "message": "step x is pending; only a step that is in_progress can be completed",
            "details": None,
            "hint": None,
        },
    )
    rpc = SupabaseRpc(postgrest.url, SERVICE_KEY)
    with pytest.raises(RpcError) as raised:
        rpc.call("mark_step_complete", p_step_id="x")
    assert raised.value.sqlstate == "PS003"


def test_the_webhook_endpoint_runs_through_the_supabase_transport(postgrest):
    """With SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY and no DATABASE_URL, a signed webhook becomes
    exactly one POST /rest/v1/rpc/receive_partner_event carrying the verified raw body."""
    postgrest.responses["get_partner_slugs"] = (200, ["careersafe", "certiport", "hsi", "jri", "milady"])
    postgrest.responses["receive_partner_event"] = (200, {"status": "processed", "event_id": 7})
    app = create_app(
        TestConfig(
            DATABASE_URL=None,
            SUPABASE_URL=postgrest.url,
            SUPABASE_SERVICE_ROLE_KEY=SERVICE_KEY,
            PARTNER_WEBHOOK_SECRETS=webhook_secrets(),
        )
    )
    body = event("course.completed", external_enrollment_id="HSI-9")
    headers = sign(body, SECRETS["hsi"], msg_id="msg_supabase_1")
    r = app.test_client().post("/api/webhooks/partners/hsi", data=body, headers=headers)
    assert (r.status_code, r.get_json()) == (200, {"status": "processed", "event_id": 7})
    paths = [req["path"] for req in postgrest.requests]
    assert paths == ["/rest/v1/rpc/get_partner_slugs", "/rest/v1/rpc/receive_partner_event"]
    assert postgrest.requests[1]["json"] == {
        "p_provider_slug": "hsi",
        "p_webhook_id": "msg_supabase_1",
        "p_body": body.decode(),
    }


def test_postgrest_unable_to_reach_the_database_is_a_503(postgrest):
    postgrest.responses["get_partner_slugs"] = (503, {"code": "PGRST001", "message": "Database client error"})
    app = create_app(
        TestConfig(
            DATABASE_URL=None,
            SUPABASE_URL=postgrest.url,
            SUPABASE_SERVICE_ROLE_KEY=SERVICE_KEY,
            PARTNER_WEBHOOK_SECRETS=webhook_secrets(),
        )
    )
    body = event("course.completed", external_enrollment_id="HSI-9")
    r = app.test_client().post("/api/webhooks/partners/hsi", data=body, headers=sign(body, SECRETS["hsi"]))
    assert r.status_code == 503
    assert app.test_client().get("/healthz").status_code == 503
