"""The partner webhook contract: every status code, the signature matrix, each event's effect,
out-of-order arrival and the durable inbox, against a real PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from devtools.cluster import TemporaryCluster
from glue import create_app
from glue.config import TestConfig
from tests.py.conftest import SECRETS, event, new_student, sign, webhook_secrets

URL = "/api/webhooks/partners/{}"


def step(sql, step_id):
    return sql("select * from public.enrollment_steps where id = %s", step_id)[0]


def transitions(sql, step_id):
    return sql("select count(*) as n from public.step_transitions where step_id = %s", step_id)[0]["n"]


def events(sql):
    return sql("select count(*) as n from public.partner_events")[0]["n"]


def link(sql, step_id, ext):
    sql("update public.enrollment_steps set external_enrollment_id = %s where id = %s", ext, step_id)


# --- status codes, in their order ------------------------------------------------------------


def test_unknown_partner_is_404_before_anything_else(client):
    body = event("course.completed", external_enrollment_id="X")
    for slug in ("acme", "HSI", "h", "x" * 40, "hsi;drop"):
        r = client.post(URL.format(slug), data=b"not json" * 100_000, headers={"content-type": "text/plain"})
        assert r.status_code == 404, slug
    r = client.post(URL.format("acme"), data=body, headers=sign(body, SECRETS["shared"]))
    assert r.status_code == 404
    assert r.get_json()["status"] == "unknown_partner"


def test_body_over_256_kib_is_413_before_content_type_and_signature(client, sql):
    big = b'{"type": "x", "data": {"pad": "' + b"a" * (256 * 1024) + b'"}}'
    r = client.post(URL.format("hsi"), data=big, headers={"content-type": "text/plain"})
    assert r.status_code == 413
    r = client.post(URL.format("hsi"), data=big, headers=sign(big, SECRETS["hsi"]))
    assert r.status_code == 413
    assert events(sql) == 0


def test_exactly_256_kib_is_accepted(post, sql):
    prefix = b'{"type": "x.padding", "data": {"pad": "'
    suffix = b'"}}'
    body = prefix + b"a" * (256 * 1024 - len(prefix) - len(suffix)) + suffix
    assert len(body) == 256 * 1024
    assert post("hsi", body).status_code == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_non_json_content_type_is_415_before_the_signature(client, content_type):
    body = event("course.completed", external_enrollment_id="X")
    headers = sign(body, SECRETS["hsi"])
    headers.pop("content-type")
    if content_type:
        headers["content-type"] = content_type
    r = client.post(URL.format("hsi"), data=body, headers=headers)
    assert r.status_code == 415


def test_json_with_charset_is_accepted(post):
    r = post("hsi", event("custom.thing"), headers={"content-type": "application/json; charset=utf-8"})
    assert r.status_code == 200


def test_bad_signature_is_401_before_the_payload_is_looked_at(client, sql):
    r = client.post(URL.format("hsi"), data=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 401
    assert r.get_json()["status"] == "invalid_signature"
    assert events(sql) == 0


# --- the signature matrix ------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_401(client, sql, missing):
    body = event("course.completed", external_enrollment_id="X")
    headers = sign(body, SECRETS["hsi"])
    headers.pop(missing)
    assert client.post(URL.format("hsi"), data=body, headers=headers).status_code == 401
    assert events(sql) == 0


@pytest.mark.parametrize(
    "garbage",
    ["", "v1", "v1,", "v1,!!!not-base64!!!", "nocomma", "v1,a,b", "v2,abc=", ",,,,", "v1,\u00e9\u00e9", "v1,===="],
)
def test_a_garbage_signature_header_is_401_not_a_crash(client, garbage):
    body = event("course.completed", external_enrollment_id="X")
    headers = sign(body, SECRETS["hsi"])
    headers["webhook-signature"] = garbage
    assert client.post(URL.format("hsi"), data=body, headers=headers).status_code == 401


@pytest.mark.parametrize("timestamp", ["", "yesterday", "nan", "inf", "-1", "1e999", "99999999999999999999"])
def test_a_garbage_timestamp_is_401(client, timestamp):
    body = event("course.completed", external_enrollment_id="X")
    headers = sign(body, SECRETS["hsi"])
    headers["webhook-timestamp"] = timestamp
    assert client.post(URL.format("hsi"), data=body, headers=headers).status_code == 401


def test_wrong_secret_and_another_partners_secret_are_401(post):
    body = event("custom.thing")
    assert post("hsi", body, secret=SECRETS["shared"]).status_code == 401
    assert post("hsi", body, secret=SECRETS["certiport"]).status_code == 401
    assert post("certiport", body, secret=SECRETS["hsi"]).status_code == 401


def test_rotated_secrets_are_both_accepted(post):
    assert post("hsi", event("custom.thing"), secret=SECRETS["hsi"]).status_code == 200
    assert post("hsi", event("custom.thing"), secret=SECRETS["hsi_old"]).status_code == 200


def test_partners_have_their_own_secret(post):
    assert post("jri", event("custom.thing"), secret=SECRETS["jri"]).status_code == 200
    assert post("jri", event("custom.thing"), secret=SECRETS["shared"]).status_code == 401
    assert post("milady", event("custom.thing"), secret=SECRETS["hsi"]).status_code == 401


def test_a_signature_header_with_several_signatures_passes_if_one_matches(client):
    body = event("custom.thing")
    headers = sign(body, SECRETS["hsi"])
    headers["webhook-signature"] = "v1,AAAA " + headers["webhook-signature"]
    assert client.post(URL.format("hsi"), data=body, headers=headers).status_code == 200


# just past the 5-minute window, with 10 s of margin: the header carries whole seconds and the
# request takes time, so +301 s could arrive inside the window on a slow machine (it did, in CI)
@pytest.mark.parametrize("offset", [-310, 310, -3600, 86400])
def test_stale_and_future_timestamps_are_401(post, offset):
    when = datetime.now(tz=UTC) + timedelta(seconds=offset)
    assert post("hsi", event("custom.thing"), timestamp=when).status_code == 401


@pytest.mark.parametrize("offset", [-280, 280])
def test_timestamps_inside_five_minutes_are_accepted(post, offset):
    when = datetime.now(tz=UTC) + timedelta(seconds=offset)
    assert post("hsi", event("custom.thing"), timestamp=when).status_code == 200


def test_a_tampered_or_reserialized_body_is_401(client, sql):
    student = new_student(sql, "cna")
    link(sql, student["steps"][0], "HSI-T-1")
    body = event("course.completed", external_enrollment_id="HSI-T-1")
    headers = sign(body, SECRETS["hsi"])
    tampered = body.replace(b"HSI-T-1", b"HSI-T-2")
    reserialized = json.dumps(json.loads(body), indent=2).encode()
    for other in (tampered, reserialized, body + b" "):
        assert client.post(URL.format("hsi"), data=other, headers=headers).status_code == 401
    assert step(sql, student["steps"][0])["status"] == "in_progress"
    assert events(sql) == 0
    assert client.post(URL.format("hsi"), data=body, headers=headers).status_code == 200
    assert step(sql, student["steps"][0])["status"] == "completed"


def test_a_partner_without_any_configured_secret_is_503_and_logged(db_url, caplog):
    application = create_app(TestConfig(DATABASE_URL=db_url, PARTNER_WEBHOOK_SECRETS={"hsi": [SECRETS["hsi"]]}))
    body = event("custom.thing")
    r = application.test_client().post(URL.format("jri"), data=body, headers=sign(body, SECRETS["shared"]))
    assert r.status_code == 503
    assert r.headers["Retry-After"]
    assert "PARTNER_WEBHOOK_SECRET_JRI" in caplog.text
    application.extensions["db"].close()


# --- payload shape: 400, stored as rejected ----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2, 3]", "JSON object"),
        (b'{"data": {}}', '"type"'),
        (b'{"type": 7, "data": {}}', '"type"'),
        (b'{"type": "course.completed"}', '"data"'),
        (b'{"type": "course.completed", "data": []}', '"data"'),
        (b'{"type": "course.completed", "timestamp": "soon", "data": {"external_enrollment_id": "A"}}', "timestamp"),
        (b'{"type": "course.completed", "data": {}}', "external_enrollment_id"),
        (b'{"type": "course.completed", "data": {"external_enrollment_id": ""}}', "external_enrollment_id"),
        (b'{"type": "course.completed", "data": {"external_enrollment_id": 12}}', "external_enrollment_id"),
        (b'{"type": "course.completed", "data": {"external_enrollment_id": "A", "completed_at": "x"}}', "completed_at"),
        (b'{"type": "course.completed", "data": {"external_enrollment_id": "A", "score": "high"}}', "score"),
        (b'{"type": "progress.updated", "data": {"external_enrollment_id": "A", "percent": 101}}', "percent"),
        (b'{"type": "progress.updated", "data": {"external_enrollment_id": "A", "percent": "50"}}', "percent"),
        (
            b'{"type": "certificate.issued", "data": {"external_enrollment_id": "A", "certificate_url": "ftp://x"}}',
            "url",
        ),
        (b'{"type": "enrollment.created", "data": {"external_enrollment_id": "A", "reference": "nope"}}', "reference"),
    ],
)
def test_malformed_payloads_are_400_with_a_reason_and_kept_as_rejected(post, sql, body, reason):
    r = post("hsi", body)
    assert r.status_code == 400
    assert r.get_json()["status"] == "rejected"
    assert reason in r.get_json()["message"]
    stored = sql("select status, error from public.partner_events")
    assert [s["status"] for s in stored] == ["rejected"]


def test_a_nul_character_in_the_body_is_400(post, sql):
    r = post("hsi", '{"type": "x", "data": {"a": "\u0000"}}'.encode())
    assert r.status_code == 400
    r = post("hsi", b'{"type": "x", "data": {"a": "\\u0000"}}')
    assert r.status_code == 400


def test_an_overlong_webhook_id_is_400(post, sql):
    assert post("hsi", event("custom.thing"), msg_id="m" * 300).status_code == 400
    assert events(sql) == 0


# --- 503 when the database is down ---------------------------------------------------------------


def test_database_down_is_503_with_retry_after_and_no_internals():
    with TemporaryCluster() as own:
        from glue import migrate

        migrate.migrate(own.url())
        migrate.seed(own.url())
        application = create_app(
            TestConfig(DATABASE_URL=own.url(), DB_TIMEOUT=0.5, PARTNER_WEBHOOK_SECRETS=webhook_secrets())
        )
        c = application.test_client()
        body = event("custom.thing")
        assert c.post(URL.format("hsi"), data=body, headers=sign(body, SECRETS["hsi"])).status_code == 200
        own.stop()
        body = event("course.completed", external_enrollment_id="HSI-1")
        r = c.post(URL.format("hsi"), data=body, headers=sign(body, SECRETS["hsi"]))
        assert r.status_code == 503
        assert int(r.headers["Retry-After"]) > 0
        text = r.get_data(as_text=True)
        assert "127.0.0.1" not in text and "psycopg" not in text and "Traceback" not in text
        application.extensions["db"].close()


# --- each event's effect -----------------------------------------------------------------------


def test_course_completed_completes_the_step_and_starts_the_next(post, sql):
    s = new_student(sql, "medical-assistant")
    link(sql, s["steps"][0], "HSI-100")
    r = post(
        "hsi",
        event("course.completed", external_enrollment_id="HSI-100", completed_at="2026-11-20T10:00:00Z", score=92.5),
    )
    assert r.status_code == 200
    assert r.get_json()["status"] == "processed"
    first, second = step(sql, s["steps"][0]), step(sql, s["steps"][1])
    assert (first["status"], second["status"]) == ("completed", "in_progress")
    assert first["partner_result"]["score"] == 92.5
    assert first["partner_result"]["completed_at"] == "2026-11-20T10:00:00Z"
    event_row = sql("select status, step_id from public.partner_events")[0]
    assert event_row == {"status": "processed", "step_id": s["steps"][0]}


def test_the_camel_case_alias_of_the_original_is_accepted(post, sql):
    s = new_student(sql, "cna")
    link(sql, s["steps"][0], "HSI-CAMEL")
    r = post("hsi", event("course.completed", enrollmentId="HSI-CAMEL", completedAt="2026-11-20T10:00:00Z"))
    assert r.status_code == 200
    assert step(sql, s["steps"][0])["status"] == "completed"


def test_a_duplicate_delivery_is_200_duplicate_and_changes_nothing(post, sql):
    s = new_student(sql, "cna")
    link(sql, s["steps"][0], "HSI-DUP")
    body = event("course.completed", external_enrollment_id="HSI-DUP")
    assert post("hsi", body, msg_id="msg_dup_1").get_json()["status"] == "processed"
    before = transitions(sql, s["steps"][0]), transitions(sql, s["steps"][1])
    r = post("hsi", body, msg_id="msg_dup_1")
    assert r.status_code == 200
    assert r.get_json() == {"status": "duplicate", "event_id": r.get_json()["event_id"], "original_status": "processed"}
    assert (transitions(sql, s["steps"][0]), transitions(sql, s["steps"][1])) == before
    assert events(sql) == 1


def test_the_same_webhook_id_from_two_partners_is_two_events(post, sql):
    assert post("hsi", event("custom.thing"), msg_id="msg_same").get_json()["status"] == "ignored"
    assert post("certiport", event("custom.thing"), msg_id="msg_same").get_json()["status"] == "ignored"
    assert events(sql) == 2


def test_a_completion_for_a_completed_step_is_a_processed_no_op(post, sql):
    s = new_student(sql, "cna")
    link(sql, s["steps"][0], "HSI-TWICE")
    post("hsi", event("course.completed", external_enrollment_id="HSI-TWICE"))
    before = transitions(sql, s["steps"][0])
    r = post("hsi", event("course.completed", external_enrollment_id="HSI-TWICE"))
    assert (r.status_code, r.get_json()["status"]) == (200, "processed")
    assert transitions(sql, s["steps"][0]) == before


def test_unknown_event_types_are_stored_and_ignored(post, sql):
    r = post("hsi", event("course.viewed", external_enrollment_id="HSI-1"))
    assert (r.status_code, r.get_json()["status"]) == (200, "ignored")
    assert sql("select event_type, status from public.partner_events") == [
        {"event_type": "course.viewed", "status": "ignored"}
    ]


def test_certificate_before_and_after_completion_is_merged(post, sql):
    s = new_student(sql, "cna")
    link(sql, s["steps"][0], "HSI-CERT")
    r = post(
        "hsi",
        event(
            "certificate.issued",
            external_enrollment_id="HSI-CERT",
            certificate_id="C-1",
            issued_at="2026-11-21T09:00:00Z",
        ),
    )
    assert r.status_code == 200
    assert step(sql, s["steps"][0])["status"] == "in_progress", "a certificate does not complete the step"
    post("hsi", event("course.completed", external_enrollment_id="HSI-CERT"))
    post(
        "hsi",
        event("certificate.issued", external_enrollment_id="HSI-CERT", certificate_url="https://hsi.example/c/C-1"),
    )
    assert step(sql, s["steps"][0])["partner_certificate"] == {
        "certificate_id": "C-1",
        "issued_at": "2026-11-21T09:00:00Z",
        "certificate_url": "https://hsi.example/c/C-1",
    }


def test_progress_is_monotonic_and_ignored_after_completion(post, sql):
    s = new_student(sql, "cna")
    link(sql, s["steps"][0], "HSI-PROG")
    seen = []
    for percent in (30, 20, 60.7):
        assert (
            post("hsi", event("progress.updated", external_enrollment_id="HSI-PROG", percent=percent)).status_code
            == 200
        )
        seen.append(step(sql, s["steps"][0])["progress_percent"])
    assert seen == [30, 30, 60]
    post("hsi", event("course.completed", external_enrollment_id="HSI-PROG"))
    assert post("hsi", event("progress.updated", external_enrollment_id="HSI-PROG", percent=80)).status_code == 200
    assert step(sql, s["steps"][0])["progress_percent"] == 100


def test_enrollment_created_links_the_referenced_step(post, sql):
    s = new_student(sql, "cna")
    r = post(
        "hsi",
        event(
            "enrollment.created",
            reference=str(s["steps"][0]),
            external_enrollment_id="HSI-NEW",
            launch_url="https://hsi.example/launch/HSI-NEW",
        ),
    )
    assert (r.status_code, r.get_json()["status"]) == (200, "processed")
    linked = step(sql, s["steps"][0])
    assert (linked["external_enrollment_id"], linked["launch_url"]) == ("HSI-NEW", "https://hsi.example/launch/HSI-NEW")
    again = post("hsi", event("enrollment.created", reference=str(s["steps"][0]), external_enrollment_id="HSI-NEW"))
    assert again.status_code == 200
    conflict = post(
        "hsi", event("enrollment.created", reference=str(s["steps"][0]), external_enrollment_id="HSI-OTHER")
    )
    assert conflict.status_code == 400
    assert "already linked" in conflict.get_json()["message"]


def test_events_are_partner_scoped(post, sql):
    """Certiport cannot touch a step at HSI, even knowing its ids."""
    s = new_student(sql, "cna")
    link(sql, s["steps"][0], "SHARED-ID")
    r = post("certiport", event("course.completed", external_enrollment_id="SHARED-ID"))
    assert r.status_code == 202
    r = post("certiport", event("enrollment.created", reference=str(s["steps"][0]), external_enrollment_id="CP-9"))
    assert r.status_code == 400
    assert "not name a step at this partner" in r.get_json()["message"]
    assert step(sql, s["steps"][0])["status"] == "in_progress"
    assert step(sql, s["steps"][0])["external_enrollment_id"] == "SHARED-ID"


# --- out of order: nothing is lost ------------------------------------------------------------


def test_a_completion_before_the_link_is_kept_and_applied_when_the_link_arrives(post, sql):
    s = new_student(sql, "cna")
    early = post("hsi", event("course.completed", external_enrollment_id="HSI-EARLY"))
    assert (early.status_code, early.get_json()["status"]) == (202, "unmatched")
    assert step(sql, s["steps"][0])["status"] == "in_progress"
    r = post("hsi", event("enrollment.created", reference=str(s["steps"][0]), external_enrollment_id="HSI-EARLY"))
    assert r.status_code == 200
    assert step(sql, s["steps"][0])["status"] == "completed"
    assert step(sql, s["steps"][1])["status"] == "in_progress"
    assert sql("select status from public.partner_events where id = %s", early.get_json()["event_id"]) == [
        {"status": "processed"}
    ]


def test_waiting_events_apply_in_arrival_order_when_an_admin_enters_the_id(post, sql):
    s = new_student(sql, "cna")
    post("hsi", event("progress.updated", external_enrollment_id="HSI-ADM", percent=40))
    post("hsi", event("certificate.issued", external_enrollment_id="HSI-ADM", certificate_id="C-9"))
    post("hsi", event("course.completed", external_enrollment_id="HSI-ADM"))
    assert [r["status"] for r in sql("select status from public.partner_events order by id")] == ["unmatched"] * 3
    sql("select public.admin_link_step(%s, 'HSI-ADM', 'enrolled by phone')", s["steps"][0])
    first = step(sql, s["steps"][0])
    assert first["status"] == "completed"
    assert first["partner_certificate"] == {"certificate_id": "C-9"}
    assert [r["status"] for r in sql("select status from public.partner_events order by id")] == ["processed"] * 3


def test_a_completion_for_a_failed_step_waits_for_the_retry(post, sql):
    s = new_student(sql, "cna")
    link(sql, s["steps"][0], "HSI-FAIL")
    sql("select public.admin_fail_step(%s, 'partner API down')", s["steps"][0])
    r = post("hsi", event("course.completed", external_enrollment_id="HSI-FAIL"))
    assert (r.status_code, r.get_json()["status"]) == (202, "deferred")
    assert step(sql, s["steps"][0])["status"] == "failed"
    sql("select public.admin_retry_step(%s, 'partner is back')", s["steps"][0])
    assert step(sql, s["steps"][0])["status"] == "completed"
    assert step(sql, s["steps"][1])["status"] == "in_progress"


def test_a_completion_for_a_pending_step_waits_until_it_starts(post, sql):
    s = new_student(sql, "medical-assistant")
    link(sql, s["steps"][0], "HSI-A")
    link(sql, s["steps"][1], "CP-AHEAD")
    r = post("certiport", event("course.completed", external_enrollment_id="CP-AHEAD"))
    assert (r.status_code, r.get_json()["status"]) == (202, "deferred")
    post("hsi", event("course.completed", external_enrollment_id="HSI-A"))
    statuses = [step(sql, x)["status"] for x in s["steps"]]
    assert statuses == ["completed", "completed", "in_progress"]


def test_the_inbox_keeps_every_accepted_event(post, sql):
    s = new_student(sql, "cna")
    link(sql, s["steps"][0], "HSI-KEEP")
    codes = [
        post("hsi", event("progress.updated", external_enrollment_id="HSI-KEEP", percent=10)).status_code,
        post("hsi", event("course.completed", external_enrollment_id="HSI-UNKNOWN")).status_code,
        post("hsi", event("course.viewed")).status_code,
        post("hsi", event("course.completed", external_enrollment_id="HSI-KEEP")).status_code,
        post("hsi", b"[]").status_code,
    ]
    assert codes == [200, 202, 200, 200, 400]
    assert events(sql) == 5
    payloads = [r["payload"] for r in sql("select payload from public.partner_events order by id")]
    assert payloads[0]["data"] == {"external_enrollment_id": "HSI-KEEP", "percent": 10}
