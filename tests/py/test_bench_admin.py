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


def test_the_page_sql_measurement_runs_the_pages_calls(fresh_db, migrated_template):
    """P3's note splits the page time into SQL and rendering: it must time the calls the page
    makes (it reported nothing once the page's single DASHBOARD_SQL statement was gone)."""
    from devtools.bench.p3 import measure_dashboard_sql

    url = fresh_db(migrated_template)
    migrate.seed(url)
    create_admin(url)
    result = measure_dashboard_sql(url, 3)
    assert set(result) == {"p50", "p95"} and 0 < result["p50"] <= result["p95"], result
