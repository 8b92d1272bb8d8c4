"""The public URLs (the contract) stay where they are, whichever blueprint and url_prefix serves
them: the whole URL map, with methods."""

from __future__ import annotations

from glue import create_app
from glue.config import TestConfig

PUBLIC = {
    ("/", "GET"),
    ("/healthz", "GET"),
    ("/login", "GET"),
    ("/login/dev", "POST"),
    ("/logout", "POST"),
    ("/student/progress", "GET"),
    ("/student/progress.json", "GET"),
    ("/student/progress/enrollments", "GET"),
    ("/student/certificates/<uuid:certificate_id>.pdf", "GET"),
    ("/certificates/<code>", "GET"),
    ("/admin/dashboard", "GET"),
    ("/admin/dashboard.json", "GET"),
    ("/admin/steps/<uuid:step_id>/<action>", "POST"),
    ("/admin/events/<int:event_id>/replay", "POST"),
    ("/admin", "GET"),
    ("/admin/", "GET"),
    ("/admin/dashboard/live", "GET"),
    ("/admin/lists/<kind>", "GET"),
    ("/admin/events", "GET"),
    ("/admin/events/<int:event_id>", "GET"),
    ("/admin/events/replay", "GET"),
    ("/admin/events/replay", "POST"),
    ("/admin/jobs", "GET"),
    ("/admin/steps/<uuid:step_id>/<action>", "GET"),
    ("/admin/students/<uuid:user_id>", "GET"),
    ("/admin/jobs/<int:msg_id>/<action>", "GET"),
    ("/admin/jobs/<int:msg_id>/<action>", "POST"),
    ("/admin/enrollments/<uuid:enrollment_id>/<action>", "GET"),
    ("/admin/enrollments/<uuid:enrollment_id>/<action>", "POST"),
    ("/api/webhooks/partners/<slug>", "POST"),
    ("/static/<path:filename>", "GET"),
    # Open Badges credentials (glue/pages/credentials.py, docs/credentials.md)
    ("/.well-known/jwks.json", "GET"),
    ("/issuer", "GET"),
    ("/credentials/status/1", "GET"),
    ("/certificates/<code>/credential.<any(jwt, json):kind>", "GET"),
    ("/student/credentials/<uuid:certificate_id>.<any(jwt, json):kind>", "GET"),
}


def test_the_url_map_is_the_public_contract():
    app = create_app(TestConfig(DATABASE_URL="postgresql://nobody@127.0.0.1:9/unused"))
    rules = {(rule.rule, method) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert rules == PUBLIC
