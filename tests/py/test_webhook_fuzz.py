"""Property-based fuzzing of the webhook endpoint (Hypothesis): whatever the headers and body,
never a 5xx, and without a valid signature nothing is stored and no step changes.
Case counts: FUZZ_UNSIGNED + FUZZ_SIGNED (printed in the closing note of the issue)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.py.conftest import SECRETS, new_student, sign

FUZZ_UNSIGNED = int(os.environ.get("FUZZ_UNSIGNED", "2500"))
FUZZ_SIGNED = int(os.environ.get("FUZZ_SIGNED", "1500"))


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=120)
slugs = st.one_of(
    st.sampled_from(["hsi", "certiport", "careersafe", "jri", "milady"]), st.from_regex(r"[a-z]{2,12}", fullmatch=True)
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
event_types = st.sampled_from(
    ["course.completed", "certificate.issued", "progress.updated", "enrollment.created", "course.viewed", ""]
)
data_fields = st.fixed_dictionaries(
    {},
    optional={
        "external_enrollment_id": st.one_of(st.sampled_from(["HSI-FUZZ", "CP-DEMO-BEN", "HSI-DEMO-CARA"]), json_values),
        "enrollmentId": json_values,
        "percent": st.one_of(st.integers(-10, 200), st.floats(allow_nan=False), json_values),
        "completed_at": st.one_of(st.sampled_from(["2026-11-20T10:00:00Z", "not a date", "2026-13-45"]), json_values),
        "score": json_values,
        "reference": st.one_of(st.uuids().map(str), json_values),
        "launch_url": st.one_of(st.sampled_from(["https://x.example/l", "javascript:alert(1)"]), json_values),
        "certificate_url": json_values,
    },
)
event_bodies = st.one_of(
    st.builds(
        lambda t, d, ts: {"type": t, "timestamp": ts, "data": d},
        event_types,
        data_fields,
        st.sampled_from(["2026-11-20T10:00:00Z", "yesterday", 5]),
    ),
    json_values,
).map(lambda v: json.dumps(v).encode())
bodies = st.one_of(st.binary(max_size=600), event_bodies)


def _state(sql) -> tuple:
    steps = sql(
        "select id, status, external_enrollment_id, progress_percent, partner_certificate::text"
        " from public.enrollment_steps order by id"
    )
    return tuple(tuple(r.values()) for r in steps), sql("select count(*) as n from public.partner_events")[0]["n"]


@pytest.fixture
def fuzz_target(client, sql):
    s = new_student(sql, "cna")
    sql("update public.enrollment_steps set external_enrollment_id = 'HSI-FUZZ' where id = %s", s["steps"][0])
    return client, sql


def test_without_a_valid_signature_nothing_changes_and_nothing_breaks(fuzz_target):
    client, sql = fuzz_target
    before = _state(sql)
    seen: dict[int, int] = {}

    @fuzz_settings(FUZZ_UNSIGNED)
    @given(
        slug=slugs,
        body=bodies,
        content_type=st.sampled_from(["application/json", "text/plain", "application/json; charset=utf-8", ""]),
        headers=st.fixed_dictionaries(
            {}, optional={"webhook-id": header_text, "webhook-timestamp": header_text, "webhook-signature": header_text}
        ),
        forge=st.sampled_from(["none", "wrong-secret", "stale", "other-body"]),
    )
    def run(slug, body, content_type, headers, forge):
        sent = dict(headers)
        if forge == "wrong-secret":
            sent.update(sign_lenient(body, "certiport" if slug != "certiport" else "hsi"))
        elif forge == "other-body":
            sent.update(sign_lenient(body + b" ", slug))
        elif forge == "stale":
            sent.update(sign_lenient(body, slug, timestamp=datetime.now(tz=UTC) - timedelta(minutes=6)))
        if content_type:
            sent["content-type"] = content_type
        r = client.post(f"/api/webhooks/partners/{slug}", data=body, headers=sent)
        seen[r.status_code] = seen.get(r.status_code, 0) + 1
        try:
            body.decode("utf-8")
            allowed: tuple[int, ...] = (401, 404, 413, 415)
        except UnicodeDecodeError:  # not UTF-8: 400 before the signature is looked at (issue 12)
            allowed = (400, 404, 413, 415)
        assert r.status_code in allowed, (r.status_code, r.get_data())

    run()
    assert _state(sql) == before, "an unsigned request changed the database"
    # the fuzzing must reach the signature check, not only bounce off the earlier ones: about half
    # the slugs are unknown (404) and, since non-UTF-8 bodies are refused first (400), about 23% of
    # the cases end at the signature (582 of 2,500 in one run): an eighth is a floor with margin
    assert seen.get(401, 0) > FUZZ_UNSIGNED / 8, seen


def test_signed_garbage_is_a_clean_4xx_or_an_applied_event(fuzz_target):
    client, sql = fuzz_target
    seen: dict[int, int] = {}

    @fuzz_settings(FUZZ_SIGNED)
    @given(slug=st.sampled_from(["hsi", "certiport", "jri"]), body=bodies)
    def run(slug, body):
        r = client.post(f"/api/webhooks/partners/{slug}", data=body, headers=sign_lenient(body, slug))
        seen[r.status_code] = seen.get(r.status_code, 0) + 1
        try:
            body.decode("utf-8")
            expected = (200, 202, 400)
        except UnicodeDecodeError:  # not UTF-8: 400 before the signature is looked at (issue 12)
            expected = (400,)
        assert r.status_code in expected, (r.status_code, r.get_data())
        if r.status_code in (200, 202):
            assert r.get_json()["event_id"] > 0

    run()
    assert seen.get(400, 0) > 0 and seen.get(200, 0) > 0, seen
    # the state machine's invariants survived
    assert (
        sql(
            "select count(*) as n from (select enrollment_id from public.enrollment_steps"
            " where status = 'in_progress' group by 1 having count(*) > 1) x"
        )[0]["n"]
        == 0
    )
    accepted = seen.get(200, 0) + seen.get(202, 0) + seen.get(400, 0)
    stored = sql("select count(*) as n from public.partner_events")[0]["n"]
    assert stored <= accepted


def sign_lenient(body: bytes, slug: str, timestamp=None) -> dict:
    """Sign bytes that may not be UTF-8: the reference library signs text, so such bodies get a
    signature over their UTF-8 replacement (and must then fail verification cleanly)."""
    return sign(body.decode("utf-8", errors="replace"), SECRETS.get(slug, SECRETS["shared"]), timestamp=timestamp)
