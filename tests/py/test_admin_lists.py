"""Issue 13, operator side: the dashboard's lists filtered, sorted and paginated in SQL (not after a
cap), numbers that agree with the lists beside them, honest filters and messages, input refused
with a 4xx and a clear message, list pages with CSV export, and confirmation pages that say what
happens next."""

from __future__ import annotations

import csv
import io
import logging
import re

import pytest

from tests.py.conftest import new_student
from tests.py.test_admin_dashboard import ADMIN, admin, bearer  # noqa: F401 (fixture)


def _get(admin, url):  # noqa: F811
    return admin.get(url, headers=bearer(ADMIN))


def _section(page, heading_id):
    return re.search(rf'id="{heading_id}">(.*?)</section>', page, re.S).group(1)


def _make_stuck(sql, program, days=30, email=None):
    s = new_student(sql, program, email)
    sql(
        "update public.enrollment_steps set started_at = now() - make_interval(days => %s) where id = %s",
        days,
        s["steps"][0],
    )
    return s


def test_admin_goes_to_the_dashboard(admin):  # noqa: F811
    r = _get(admin, "/admin")
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/dashboard")


def test_filters_apply_before_the_page_cut_not_after(admin, sql):  # noqa: F811
    """With one row per list, a partner filter still finds the older failed step at that partner
    (it used to filter the first 50 rows in Python and find nothing)."""
    sql("update private.settings set dashboard_list_rows = 1")
    older = new_student(sql, "cna")  # HSI first
    sql("select public.admin_fail_step(%s, 'older failure')", older["steps"][0])
    page = _get(admin, "/admin/dashboard?provider=hsi").get_data(as_text=True)
    failed = _section(page, "failed-h")
    assert f'data-step="{older["steps"][0]}"' in failed
    # unfiltered, the newest failure (Dev Patel's, or this one) is listed, with the real total
    page = _get(admin, "/admin/dashboard").get_data(as_text=True)
    assert "The first 1 of 2 are shown" in _section(page, "failed-h")


def test_the_numbers_agree_with_the_lists_beside_them(admin, sql):  # noqa: F811
    """A student who got stuck after the last snapshot is counted and listed (the count used to come
    from the snapshot, the list from live data)."""
    sql("select public.refresh_monitoring()")
    s = _make_stuck(sql, "cna")
    page = _get(admin, "/admin/dashboard").get_data(as_text=True)
    stuck_rows = _section(page, "stuck-h").count("<tr data-step=")
    assert f'data-live="stuck">{stuck_rows}<' in page
    assert f'data-step="{s["steps"][0]}"' in _section(page, "stuck-h")
    failed_rows = _section(page, "failed-h").count("<tr data-step=")
    assert f'data-live="failed">{failed_rows}<' in page
    live = _get(admin, "/admin/dashboard.json").get_json()["summary"]
    assert live["stuck"] == stuck_rows and live["failed"] == failed_rows


def test_the_program_filter_tells_no_false_story(admin, sql):  # noqa: F811
    """Filtered to a program without stuck students, the page says 0 for that program (it showed
    the count of all programs) and says the per-partner table covers all programs."""
    page = _get(admin, "/admin/dashboard?program=medical-assistant").get_data(as_text=True)
    assert 'data-live="stuck">0<' in page
    assert "No student of Medical Assistant at any partner has been in a step for more than 7 days" in page
    assert "cover all programs" in page


def test_funnel_labels_are_names_and_counts_are_whole_numbers(admin, sql):  # noqa: F811
    sql("select public.refresh_monitoring()")
    page = _get(admin, "/admin/dashboard?program=medical-assistant").get_data(as_text=True)
    funnel = re.search(r'<title id="funnel-title">.*?</svg>', page, re.S).group(0)
    assert "1. HSI" in funnel and "2. Certiport" in funnel
    assert not re.search(r">\s*(hsi|certiport|careersafe)\s*<", funnel), "labels are names, not slugs"
    assert not re.search(r">\d+\.0<", funnel), "whole numbers are not shown as 2.0"


def test_unknown_filters_are_a_400_with_a_message(admin, caplog):  # noqa: F811
    caplog.set_level(logging.ERROR)
    r = _get(admin, "/admin/dashboard?program=no-such-program")
    assert r.status_code == 400 and "no program no-such-program" in r.get_data(as_text=True)
    r = _get(admin, "/admin/lists/steps?sort=password")
    assert r.status_code == 400 and "cannot sort" in r.get_data(as_text=True)
    assert _get(admin, "/admin/lists/steps?page=-1").status_code == 400
    assert _get(admin, "/admin/lists/nothing").status_code == 404
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"external_enrollment_id": "X" * 201}, "must be 1 to 200 characters (this one has 201)"),
        ({"external_enrollment_id": "JRI\n1"}, "control characters"),
        ({"external_enrollment_id": " JRI-1"}, "start or end with a space"),
        ({"external_enrollment_id": "JRI-1", "launch_url": "javascript:alert(1)"}, "http(s) address"),
        ({"external_enrollment_id": "JRI-1", "reason": "x" * 501}, "at most 500 characters"),
        ({"external_enrollment_id": "JRI-1", "reason": "bad\x07bell"}, "control characters"),
    ],
    ids=["id over 200", "id with a line break", "id with a space", "script url", "long reason", "reason with bell"],
)
def test_bad_partner_ids_and_reasons_are_a_4xx_not_a_crash(admin, sql, caplog, form, message):  # noqa: F811
    caplog.set_level(logging.ERROR)
    s = new_student(sql, "administrative-assistant")  # JRI: manual
    r = admin.post_as_admin(f"/admin/steps/{s['steps'][0]}/link", **{"reason": "enrolled by hand", **form})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert message in page and "Traceback" not in page
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == [], "nothing logged as a crash"
    assert sql("select external_enrollment_id from public.enrollment_steps where id = %s", s["steps"][0]) == [
        {"external_enrollment_id": None}
    ]
    assert sql("select count(*) as n from public.admin_actions") == [{"n": 0}]


def test_complete_with_a_long_partner_id_is_refused_clearly(admin, sql, caplog):  # noqa: F811
    caplog.set_level(logging.ERROR)
    s = new_student(sql, "cna")
    r = admin.post_as_admin(
        f"/admin/steps/{s['steps'][0]}/complete", reason="by phone", external_enrollment_id="H" * 300
    )
    assert r.status_code == 422 and "1 to 200 characters" in r.get_data(as_text=True)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_messages_say_what_really_happened(admin, sql):  # noqa: F811
    s = new_student(sql, "cna")  # HSI -> Certiport
    r = admin.post_as_admin(f"/admin/steps/{s['steps'][0]}/complete", reason="confirmed by phone")
    page = _get(admin, r.headers["Location"]).get_data(as_text=True)
    assert "Now in progress: step 2 (Certiport" in page
    r = admin.post_as_admin(f"/admin/steps/{s['steps'][1]}/skip", reason="already certified")
    page = _get(admin, r.headers["Location"]).get_data(as_text=True)
    assert "That was the last step: the program is completed and the certificate issued." in page
    assert "next partner has started" not in page


def test_the_confirmation_page_says_what_happens_next(admin, sql):  # noqa: F811
    s = new_student(sql, "medical-assistant")  # HSI -> Certiport -> CareerSafe
    page = _get(admin, f"/admin/steps/{s['steps'][0]}/skip").get_data(as_text=True)
    assert "Step 2 (Certiport" in page and "starts" in page and "step started" in page
    assert 'name="csrf_token"' in page and f'action="/admin/steps/{s["steps"][0]}/skip"' in page
    sql("select public.mark_step_complete(%s)", s["steps"][0])
    sql("select public.mark_step_complete(%s)", s["steps"][1])
    page = _get(admin, f"/admin/steps/{s['steps'][2]}/complete").get_data(as_text=True)
    assert "last open step" in page and "program completed" in page
    page = _get(admin, f"/admin/steps/{s['steps'][0]}/retry").get_data(as_text=True)
    assert "This cannot be done" in page and "the step is completed" in page
    assert _get(admin, "/admin/steps/00000000-0000-0000-0000-00000000dead/skip").status_code == 404


def test_a_linked_step_leaves_the_manual_enrollment_list(admin, sql):  # noqa: F811
    s = new_student(sql, "administrative-assistant")
    page = _get(admin, "/admin/dashboard").get_data(as_text=True)
    assert f'data-step="{s["steps"][0]}"' in _section(page, "awaiting-h")
    admin.post_as_admin(f"/admin/steps/{s['steps'][0]}/link", reason="enrolled by hand", external_enrollment_id="JRI-9")
    page = _get(admin, "/admin/dashboard").get_data(as_text=True)
    assert f'data-step="{s["steps"][0]}"' not in _section(page, "awaiting-h")


def test_list_pages_paginate_in_sql_without_overlap(admin, sql):  # noqa: F811
    for _ in range(5):
        _make_stuck(sql, "cna")
    seen = []
    for page_number in (1, 2, 3):
        page = _get(admin, f"/admin/lists/stuck?page={page_number}&sort=started_at").get_data(as_text=True)
        if page_number == 1:
            total = int(re.search(r'id="rows-h">(\d+) rows', page).group(1))
        seen += re.findall(r'<tr data-step="([^"]+)"', page)
    assert total == 6  # the 5 new ones and Cara Nguyen
    sql("update private.settings set dashboard_list_rows = 2")
    seen = []
    for page_number in (1, 2, 3):
        page = _get(admin, f"/admin/lists/stuck?page={page_number}&sort=started_at").get_data(as_text=True)
        seen += re.findall(r'<tr data-step="([^"]+)"', page)
    assert len(seen) == 6 and len(set(seen)) == 6


def test_a_list_exports_as_csv_without_formulas(admin, sql):  # noqa: F811
    s = _make_stuck(sql, "cna", email="csv@test.local")
    sql("update public.profiles set full_name = '=HYPERLINK(\"https://evil.example\")' where id = %s", s["user_id"])
    r = _get(admin, "/admin/lists/stuck?format=csv&program=cna")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"] == 'attachment; filename="stuck-list.csv"'
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert rows[0][:3] == ["student_name", "email", "program_name"]
    names = [row[0] for row in rows[1:]]
    assert '\'=HYPERLINK("https://evil.example")' in names
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)


def test_the_events_log_searches_and_filters(admin, sql, post):  # noqa: F811
    from tests.py.conftest import event

    s = new_student(sql, "cna", email="events@test.local")
    sql("update public.enrollment_steps set external_enrollment_id = 'HSI-EV-1' where id = %s", s["steps"][0])
    processed = post("hsi", event("progress.updated", external_enrollment_id="HSI-EV-1", percent=40)).get_json()
    waiting = post("hsi", event("course.completed", external_enrollment_id="HSI-NOBODY")).get_json()
    page = _get(admin, "/admin/events?q=events@test.local").get_data(as_text=True)
    assert f'href="/admin/events/{processed["event_id"]}"' in page
    assert f'href="/admin/events/{waiting["event_id"]}"' not in page
    page = _get(admin, "/admin/events?status=review").get_data(as_text=True)
    assert f'href="/admin/events/{waiting["event_id"]}"' in page and "waiting for link" in page
    page = _get(admin, f"/admin/events?q=%23{waiting['event_id']}").get_data(as_text=True)
    assert re.search(r'id="rows-h">1 row<', page)


def test_an_event_shows_its_payload_escaped(admin, sql, post):  # noqa: F811
    from tests.py.conftest import event

    r = post("hsi", event("course.completed", external_enrollment_id="<script>alert(1)</script>")).get_json()
    page = _get(admin, f"/admin/events/{r['event_id']}").get_data(as_text=True)
    payload = re.search(r'<pre class="payload" id="payload">(.*?)</pre>', page, re.S).group(1)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in payload and "<script>alert" not in page
    assert "waiting for link" in page
    assert _get(admin, "/admin/events/999999999").status_code == 404


def test_replay_a_selection_after_confirming(admin, sql, post):  # noqa: F811
    from tests.py.conftest import event

    s = new_student(sql, "medical-assistant")
    first = post("hsi", event("course.completed", external_enrollment_id="HSI-SEL-1")).get_json()["event_id"]
    other = post("hsi", event("course.completed", external_enrollment_id="HSI-SEL-2")).get_json()["event_id"]
    sql("set session_replication_role = replica")
    sql("update public.enrollment_steps set external_enrollment_id = 'HSI-SEL-1' where id = %s", s["steps"][0])
    sql("reset session_replication_role")
    page = _get(admin, f"/admin/events/replay?ids={first}&ids={other}").get_data(as_text=True)
    assert f"#{first}" in page and f"#{other}" in page and "Replay 2 events" in page
    assert sql("select status from public.enrollment_steps where id = %s", s["steps"][0]) == [{"status": "in_progress"}]
    r = admin.post(
        "/admin/events/replay",
        data={"csrf_token": admin.csrf, "ids": [first, other], "reason": "x"},
        headers=bearer(ADMIN),
    )
    assert r.status_code == 422 and "a reason is required" in r.get_data(as_text=True)
    r = admin.post("/admin/events/replay", data={"ids": [first], "reason": "no token"}, headers=bearer(ADMIN))
    assert r.status_code == 400
    r = admin.post(
        "/admin/events/replay",
        data={"csrf_token": admin.csrf, "ids": [first, other], "reason": "linked by the DBA"},
        headers=bearer(ADMIN),
    )
    assert r.status_code == 302
    follow = _get(admin, r.headers["Location"]).get_data(as_text=True)
    assert f"#{first} processed" in follow and f"#{other} unmatched" in follow
    assert sql("select status from public.enrollment_steps where id = %s", s["steps"][0]) == [{"status": "completed"}]
    assert [a["target"] for a in sql("select target from public.admin_actions order by id")] == [str(first), str(other)]
    assert _get(admin, "/admin/events/replay?ids=abc").status_code == 400
