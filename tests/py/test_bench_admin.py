"""The bench's P3 page measurement signs in as an admin it creates itself: seed.sql holds
configuration only (the demo admin lives in supabase/demo.sql), so a token for the demo admin's id
on a seeded-only database was refused with 403 and P3 measured an error page."""

from devtools.bench.harness import create_admin
from devtools.bench.p3 import admin_token
from glue import create_app, migrate
from glue.config import TestConfig

SECRET = "bench-jwt-secret-with-at-least-32-bytes!!"


def _dashboard_status(url: str) -> int:
    app = create_app(TestConfig(DATABASE_URL=url, SUPABASE_JWT_SECRET=SECRET))
    try:
        response = app.test_client().get("/admin/dashboard", headers={"Authorization": f"Bearer {admin_token(SECRET)}"})
        return response.status_code
    finally:
        app.extensions["db"].close()


def test_bench_admin_sees_the_dashboard(fresh_db, migrated_template):
    url = fresh_db(migrated_template)
    migrate.seed(url)  # what the bench loads: configuration, no demo users
    assert _dashboard_status(url) == 403  # the bench's token alone is not an admin's
    create_admin(url)
    create_admin(url)  # idempotent
    assert _dashboard_status(url) == 200
