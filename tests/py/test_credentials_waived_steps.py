"""Issue 13, waived steps and the certificate: the program's waived_steps_certificate policy
(allow: issued, listing the waived steps; deny: none when a step was waived), never a
certificate when every step was waived, and the certificate PDF saying which steps were waived."""

from __future__ import annotations

import io

from pypdf import PdfReader

from glue.certificate_pdf import render_certificate_pdf
from tests.py.conftest import new_student


def _certificates(sql, enrollment_id) -> int:
    return sql("select count(*)::integer as n from public.certificates where enrollment_id = %s", enrollment_id)[0]["n"]


def _status(sql, enrollment_id) -> str:
    return sql("select status from public.enrollments where id = %s", enrollment_id)[0]["status"]


def test_an_enrollment_whose_every_step_was_waived_gets_no_certificate(sql):
    s = new_student(sql, "cna")  # HSI -> Certiport
    for step in s["steps"]:
        sql("select public.admin_skip_step(%s, 'credit from elsewhere')", step)
    assert _status(sql, s["enrollment_id"]) == "completed"
    assert _certificates(sql, s["enrollment_id"]) == 0


def test_allow_issues_a_certificate_when_a_step_was_waived(sql):
    s = new_student(sql, "cna")
    sql("select public.admin_skip_step(%s, 'credit from elsewhere')", s["steps"][0])
    sql("select public.mark_step_complete(%s, 'CP-1')", s["steps"][1])
    assert _certificates(sql, s["enrollment_id"]) == 1


def test_deny_issues_no_certificate_when_a_step_was_waived_but_one_when_none_was(sql):
    sql("update public.programs set waived_steps_certificate = 'deny' where slug = 'cna'")
    waived = new_student(sql, "cna")
    sql("select public.admin_skip_step(%s, 'credit from elsewhere')", waived["steps"][0])
    sql("select public.mark_step_complete(%s, 'CP-1')", waived["steps"][1])
    assert _status(sql, waived["enrollment_id"]) == "completed"
    assert _certificates(sql, waived["enrollment_id"]) == 0

    done = new_student(sql, "cna")
    sql("select public.mark_step_complete(%s, 'HSI-2')", done["steps"][0])
    sql("select public.mark_step_complete(%s, 'CP-2')", done["steps"][1])
    assert _certificates(sql, done["enrollment_id"]) == 1


def test_the_policy_accepts_only_allow_or_deny(sql):
    import psycopg
    import pytest

    with pytest.raises(psycopg.errors.CheckViolation):
        sql("update public.programs set waived_steps_certificate = 'maybe' where slug = 'cna'")


def test_the_pdf_names_the_waived_steps_in_words():
    data = {
        "student_name": "Ada Okafor",
        "program_name": "CNA",
        "issued_at": "2026-03-05T12:00:00+00:00",
        "verification_code": "0" * 32,
        "verification_url": "https://training.example.org/certificates/" + "0" * 32,
        "steps": [
            {"partner": "HSI", "status": "skipped", "completed_at": None},
            {"partner": "Certiport", "status": "completed", "completed_at": "2026-03-01"},
        ],
    }
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(render_certificate_pdf(data))).pages)
    assert "Waived steps (not completed in this program): HSI" in " ".join(text.split())
    data["steps"][0]["status"] = "completed"
    data["steps"][0]["completed_at"] = "2026-02-01"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(render_certificate_pdf(data))).pages)
    assert "Waived steps" not in text


def test_the_student_is_told_why_a_completed_program_has_no_certificate(client, sql):
    from tests.py.test_student_progress import token

    s = new_student(sql, "cna")
    for step in s["steps"]:
        sql("select public.admin_skip_step(%s, 'credit from elsewhere')", step)
    html = client.get("/student/progress", headers={"Authorization": f"Bearer {token(s['user_id'])}"}).get_data(
        as_text=True
    )
    assert "No certificate is issued for this program because some of its steps were waived." in html

    done = new_student(sql, "cpr-first-aid")
    sql("select public.mark_step_complete(%s, 'HSI-OK')", done["steps"][0])
    html = client.get("/student/progress", headers={"Authorization": f"Bearer {token(done['user_id'])}"}).get_data(
        as_text=True
    )
    assert "No certificate is issued" not in html and "Your certificate is being prepared" in html
