"""The app gunicorn serves during the bench: the real app (`glue.create_app()`, same object and
config as the webhook route) plus the two baselines of P1:

- `POST /bench/noop`: reads the body, answers a small JSON document (information only: a durable
  webhook cannot be this cheap);
- `POST /bench/floor/<slug>`: the floor of a durable webhook. It verifies the Standard Webhooks
  signature with the partner's secret (glue.webhooks.verify, the same call as the real route),
  inserts the raw event into a one-table inbox (`bench.inbox`, created by the bench) and commits
  (synchronous_commit on): one round trip, one durable commit, on a connection of the app's pool.

    gunicorn --pythonpath . 'devtools.bench.apps:bench_app()'
"""

from __future__ import annotations

INBOX_DDL = (
    "create schema if not exists bench;"
    " create table if not exists bench.inbox (webhook_id text primary key, partner text not null,"
    " body text not null, received_at timestamptz not null default now())"
)


def bench_app():
    from flask import current_app, jsonify, request

    from glue import create_app
    from glue.webhooks import secrets_for, verify

    app = create_app()

    @app.post("/bench/noop")
    def bench_noop():
        request.get_data(cache=False)
        return jsonify(status="ok")

    @app.post("/bench/floor/<slug>")
    def bench_floor(slug: str):
        body = request.get_data(cache=False)
        secrets, _ = secrets_for(slug)
        if not verify(secrets, body, request.headers):
            return jsonify(status="invalid_signature"), 401
        db = current_app.extensions["db"]
        with db._connection() as conn:  # autocommit: the insert is its own durable transaction
            conn.execute(
                "insert into bench.inbox (webhook_id, partner, body) values (%s, %s, %s)",
                (request.headers["webhook-id"], slug, body.decode("utf-8")),
            )
        return jsonify(status="processed")

    return app
