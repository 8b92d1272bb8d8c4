"""The `supabase` RPC transport (supabase-py's PostgREST client over Supabase's HTTP API).

No PostgREST server can run here, so this checks the HTTP contract: a real HTTP server on
loopback plays PostgREST, records exactly what the app sends, and answers as PostgREST does.
Both kinds of server key: the legacy service_role JWT (`apikey` + `Authorization: Bearer`) and
the new secret API key `sb_secret_...` (`apikey` only: it is not a JWT, PostgREST would refuse
it as a bearer token). Without DATABASE_URL the pages cannot run: start-up says so, unless
WEBHOOKS_ONLY is set, and then the pages are a 404 that says why.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from glue import create_app
from glue.config import Config, ConfigError, TestConfig
from glue.rpc import SupabaseRpc
from tests.py.conftest import SECRETS, event, sign, webhook_secrets

SERVICE_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJl"
SECRET_KEY = "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz"


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
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

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
            WEBHOOKS_ONLY=True,
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
            WEBHOOKS_ONLY=True,
        )
    )
    body = event("course.completed", external_enrollment_id="HSI-9")
    r = app.test_client().post("/api/webhooks/partners/hsi", data=body, headers=sign(body, SECRETS["hsi"]))
    assert r.status_code == 503
    assert app.test_client().get("/healthz").status_code == 503


def test_a_secret_api_key_goes_in_apikey_only_never_as_a_bearer_token(postgrest):
    postgrest.responses["get_partner_slugs"] = (200, ["hsi"])
    assert SupabaseRpc(postgrest.url, SECRET_KEY).call("get_partner_slugs") == ["hsi"]
    (request,) = postgrest.requests
    assert request["path"] == "/rest/v1/rpc/get_partner_slugs"
    assert request["headers"]["apikey"] == SECRET_KEY
    assert "authorization" not in request["headers"]


def test_the_webhook_endpoint_runs_with_a_secret_api_key_from_supabase_secret_key(postgrest, monkeypatch):
    """SUPABASE_SECRET_KEY (the name Supabase's dashboard uses) is read like SUPABASE_SERVICE_ROLE_KEY."""
    postgrest.responses["get_partner_slugs"] = (200, ["careersafe", "certiport", "hsi", "jri", "milady"])
    postgrest.responses["receive_partner_event"] = (200, {"status": "processed", "event_id": 8})
    monkeypatch.delenv("SUPABASE_SERVICE_ROLE_KEY", raising=False)
    monkeypatch.setenv("SUPABASE_SECRET_KEY", SECRET_KEY)
    assert Config().SUPABASE_SERVICE_ROLE_KEY == SECRET_KEY
    app = create_app(
        TestConfig(
            DATABASE_URL=None, SUPABASE_URL=postgrest.url, PARTNER_WEBHOOK_SECRETS=webhook_secrets(), WEBHOOKS_ONLY=True
        )
    )
    body = event("course.completed", external_enrollment_id="HSI-9")
    r = app.test_client().post("/api/webhooks/partners/hsi", data=body, headers=sign(body, SECRETS["hsi"]))
    assert (r.status_code, r.get_json()) == (200, {"status": "processed", "event_id": 8})
    assert [req["headers"]["apikey"] for req in postgrest.requests] == [SECRET_KEY, SECRET_KEY]
    assert not any("authorization" in req["headers"] for req in postgrest.requests)


@pytest.mark.parametrize("key", ["sb_publishable_abc123", "not a key", "eyJonly.two"])
def test_a_key_that_is_neither_secret_nor_a_jwt_stops_start_up(postgrest, key):
    with pytest.raises(ConfigError, match="SUPABASE_SECRET_KEY"):
        create_app(
            TestConfig(DATABASE_URL=None, SUPABASE_URL=postgrest.url, SUPABASE_SERVICE_ROLE_KEY=key, WEBHOOKS_ONLY=True)
        )


def test_without_database_url_start_up_names_it_and_the_way_to_run_webhooks_only(postgrest):
    """The pages read the database as the signed-in user; over the HTTP transport they would 500."""
    with pytest.raises(ConfigError) as raised:
        create_app(TestConfig(DATABASE_URL=None, SUPABASE_URL=postgrest.url, SUPABASE_SERVICE_ROLE_KEY=SECRET_KEY))
    assert "DATABASE_URL" in str(raised.value) and "WEBHOOKS_ONLY" in str(raised.value)


def test_webhooks_only_serves_webhooks_and_health_and_says_why_the_pages_are_absent(postgrest):
    postgrest.responses["get_partner_slugs"] = (200, ["hsi"])
    app = create_app(
        TestConfig(
            DATABASE_URL=None, SUPABASE_URL=postgrest.url, SUPABASE_SERVICE_ROLE_KEY=SECRET_KEY, WEBHOOKS_ONLY=True
        )
    )
    client = app.test_client()
    for path in ("/student/progress", "/admin/dashboard", "/login", "/"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "partner webhooks only" in r.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200


def test_with_database_url_the_direct_pool_serves_the_calls_even_when_a_server_key_is_set(postgrest, db_url):
    """SUPABASE_URL is set on Supabase for the signing keys and the issuer; a server key left in
    the environment must not silently send every webhook over HTTP when DATABASE_URL is there."""
    app = create_app(
        TestConfig(
            DATABASE_URL=db_url,
            SUPABASE_URL=postgrest.url,
            SUPABASE_SERVICE_ROLE_KEY=SERVICE_KEY,
            PARTNER_WEBHOOK_SECRETS=webhook_secrets(),
        )
    )
    try:
        r = app.test_client().get("/healthz")
        assert r.status_code == 200
        assert postgrest.requests == []
    finally:
        app.extensions["db"].close()
