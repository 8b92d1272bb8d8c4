"""Every page of the site, in one list: `make test-browser` (tests/py/test_browser_screenshots.py)
visits each at 360 and 1280 px wide, checks that nothing is wider than the screen, and saves
screenshots as test-artifacts/screenshots/<name>-<width>.png.

To add a page, add a line: its name (the screenshot's file name), its path (a string, or a
function of the test's `sql` runner that returns one, for pages whose address comes from the
data), who is signed in (None: nobody) and the HTTP status it should answer. The partner
simulator's page is listed apart (SIMULATOR_PAGES): it is another server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

ADMIN = "00000000-0000-4000-a000-000000000001"
BEN = "00000000-0000-4000-a000-000000000012"
DEV = "00000000-0000-4000-a000-000000000014"
EVE = "00000000-0000-4000-a000-000000000015"


def eve_certificate(sql) -> str:
    """The demo's finished student's certificate (Barber)."""
    code = sql(
        "select c.verification_code from public.certificates c join public.enrollments e on e.id = c.enrollment_id"
        " where e.user_id = %s",
        EVE,
    )[0]["verification_code"]
    return f"/certificates/{code}"


def ben_cancel(sql) -> str:
    """The confirmation page of cancelling the demo's Ben's enrollment."""
    enrollment = sql("select id from public.enrollments where user_id = %s", BEN)[0]["id"]
    return f"/admin/enrollments/{enrollment}/cancel"


LIST_KINDS = ("stuck", "late", "failed", "awaiting", "steps", "students")


@dataclass(frozen=True)
class Page:
    name: str
    path: str | Callable
    user: str | None = None
    status: int = 200


PAGES = [
    Page("home", "/"),
    Page("login", "/login"),
    Page("login-signed-out", "/login?signed_out=1"),
    Page("student-progress-ben", "/student/progress", BEN),
    Page("student-progress-dev", "/student/progress", DEV),
    Page("student-progress-eve", "/student/progress", EVE),
    Page("student-progress-empty", "/student/progress", ADMIN),
    Page("student-progress-signed-out", "/student/progress", None, 401),
    Page("verify-valid", eve_certificate),
    Page("verify-unknown", "/certificates/" + "0" * 64, None, 404),
    Page("not-found", "/no-such-page", None, 404),
    Page("admin-dashboard", "/admin/dashboard", ADMIN),
    Page("admin", "/admin", ADMIN),  # redirects to the dashboard
    *(Page(f"admin-list-{kind}", f"/admin/lists/{kind}", ADMIN) for kind in LIST_KINDS),
    Page("admin-events", "/admin/events", ADMIN),
    Page("admin-jobs", "/admin/jobs", ADMIN),
    Page("admin-student-eve", f"/admin/students/{EVE}", ADMIN),
    Page("admin-cancel-ben", ben_cancel, ADMIN),
]

# the partner simulator's own page (devtools.partner_simulator), served by the simulator
SIMULATOR_PAGES = [Page("simulator", "/")]

WIDTHS = (360, 1280)
