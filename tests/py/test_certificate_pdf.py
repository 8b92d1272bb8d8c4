"""The certificate PDF: content read back with pypdf, Unicode names, the Helvetica fallback, the QR code."""

from __future__ import annotations

import functools
import io
import logging
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
import segno
from pypdf import PdfReader

from glue import certificate_pdf
from glue.certificate_pdf import render_certificate_pdf

HAS_DEJAVU = certificate_pdf.UNICODE_FONT.is_file()


def needs_dejavu(test):
    """scripts/bootstrap installs fonts-dejavu-core: its absence is a failure, never a skip."""

    @functools.wraps(test)
    def check(*args, **kwargs):
        assert HAS_DEJAVU, "fonts-dejavu-core is missing: run scripts/bootstrap"
        return test(*args, **kwargs)

    return check


URL = "https://training.example.org/verify/7K3Q-9XPM-2D4F"
STEPS = [
    {"partner": "HSI (Health & Safety Institute)", "completed_at": "2025-02-01T10:00:00Z", "status": "completed"},
    {"partner": "Certiport", "completed_at": datetime(2025, 2, 10, 15, 30), "status": "completed"},
    {"partner": "CareerSafe", "completed_at": None, "status": "skipped"},
    {"partner": "JRI", "completed_at": "2025-02-20", "status": "completed"},
    {"partner": "Milady", "completed_at": datetime(2025, 3, 1, 9, tzinfo=UTC), "status": "completed"},
]


def make_data(**overrides) -> dict:
    data = {
        "student_name": "Zoë Ñúñez",
        "program_name": "Cosmetology Foundations",
        "issued_at": datetime(2025, 3, 5, 12, 0, tzinfo=UTC),
        "verification_code": "7K3Q-9XPM-2D4F",
        "verification_url": URL,
        "steps": STEPS,
    }
    data.update(overrides)
    return data


def read(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, unicodedata.normalize("NFC", text)


def test_certificate_has_the_student_program_partners_dates_and_verification():
    pdf = render_certificate_pdf(make_data())
    assert pdf.startswith(b"%PDF-")
    reader, text = read(pdf)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(841.89, abs=0.1)  # A4 landscape, in points
    assert float(box.height) == pytest.approx(595.28, abs=0.1)
    assert "Certificate of Completion" in text
    assert "has completed the Cosmetology Foundations program" in text
    for step in STEPS:
        assert step["partner"] in text
    assert "February 1, 2025" in text and "February 10, 2025" in text and "March 1, 2025" in text
    assert "Waived" in text  # CareerSafe was skipped
    assert "Issued March 5, 2025" in text
    assert "7K3Q-9XPM-2D4F" in text
    assert URL in text
    assert "Zoë Ñúñez" in text  # Latin-1 accents survive with either font


def test_metadata():
    reader, _ = read(render_certificate_pdf(make_data()))
    meta = reader.metadata
    assert meta.author == "Training Team"
    assert "Certificate of Completion" in meta.title
    assert "Zoë Ñúñez" in meta.title and "Cosmetology Foundations" in meta.title


def test_waived_step_is_marked_next_to_its_partner():
    _, text = read(render_certificate_pdf(make_data(steps=[STEPS[2]])))
    lines = [line for line in text.splitlines() if "CareerSafe" in line]
    assert lines and "Waived" in lines[0]


@needs_dejavu
def test_vietnamese_and_other_scripts_print_as_written():
    name = "Đặng Thị Ngọc Ánh"
    reader, text = read(render_certificate_pdf(make_data(student_name=name, program_name="Кулинария Ελληνικά")))
    assert name in text
    assert "Кулинария Ελληνικά" in text
    assert name in reader.metadata.title


def test_cjk_name_does_not_crash():
    pdf = render_certificate_pdf(make_data(student_name="李雷 Lǐ Léi"))
    assert pdf.startswith(b"%PDF-")
    _, text = read(pdf)
    if not HAS_DEJAVU:
        assert "?? Li Léi" in text
    elif any(path.is_file() for path in certificate_pdf.FALLBACK_FONTS):
        assert "李雷 Lǐ Léi" in text
    else:
        assert "?? Lǐ Léi" in text


@needs_dejavu
def test_cjk_without_a_cjk_font_is_replaced_visibly(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(certificate_pdf, "FALLBACK_FONTS", (tmp_path / "missing.ttf",))
    _, text = read(render_certificate_pdf(make_data(student_name="李雷 Lǐ Léi")))
    assert "?? Lǐ Léi" in text  # not silently dropped: a reviewer sees something is missing


def test_without_dejavu_falls_back_to_helvetica_and_transliterates(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(certificate_pdf, "UNICODE_FONT", tmp_path / "missing.ttf")
    name = "Zoë Ñúñez Đặng 李雷"
    pdf = render_certificate_pdf(make_data(student_name=name, program_name="Nail Technology — Ħaġar"))
    assert pdf.startswith(b"%PDF-")
    reader, text = read(pdf)
    assert b"/Helvetica" in pdf and b"DejaVu" not in pdf
    assert "Zoë Ñúñez Dang ??" in text  # Latin-1 kept, Vietnamese transliterated, CJK replaced
    assert "has completed the Nail Technology - Hagar program" in text
    for step in STEPS:
        assert step["partner"] in text
    assert URL in text
    assert reader.metadata.author == "Training Team"


def test_empty_steps_still_renders():
    pdf = render_certificate_pdf(make_data(steps=[]))
    reader, text = read(pdf)
    assert len(reader.pages) == 1
    assert "Zoë Ñúñez" in text and URL in text
    assert "Training partner" not in text  # no empty table


def test_many_steps_and_a_long_name_stay_on_one_page():
    steps = [
        {
            "partner": f"Partner {i:02d} with a rather long descriptive name",
            "completed_at": "2025-01-02",
            "status": "completed",
        }
        for i in range(18)
    ]
    name = "Maximiliana Alexandra Konstantinopoulou-Wetherington de la Fuente y Ñúñez"
    reader, text = read(render_certificate_pdf(make_data(student_name=name, steps=steps)))
    assert len(reader.pages) == 1
    assert name in " ".join(text.split())
    for step in steps:
        assert step["partner"] in text


def test_qr_code_encodes_the_verification_url():
    reader, _ = read(render_certificate_pdf(make_data()))
    images = reader.pages[0].images
    assert len(images) == 1
    picture = images[0].image.convert("L")
    matrix = segno.make(URL, error=certificate_pdf.QR_ERROR, micro=False).matrix
    scale, border = certificate_pdf.QR_SCALE, certificate_pdf.QR_BORDER
    assert picture.size == ((len(matrix) + 2 * border) * scale,) * 2
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            pixel = picture.getpixel(((c + border) * scale + scale // 2, (r + border) * scale + scale // 2))
            assert (pixel < 128) == bool(dark), (r, c)


def test_same_data_gives_the_same_bytes_whatever_the_date_type():
    as_datetime = render_certificate_pdf(make_data())
    as_string = render_certificate_pdf(make_data(issued_at="2025-03-05T12:00:00+00:00"))
    assert as_datetime == as_string
    assert render_certificate_pdf(make_data(issued_at="2025-03-06T12:00:00+00:00")) != as_datetime


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"verification_url": ""}, "verification_url"),
        ({"student_name": None}, "student_name"),
        ({"issued_at": "next tuesday"}, "issued_at"),
        ({"steps": [{"partner": "HSI", "completed_at": None, "status": "failed"}]}, "status"),
        ({"steps": [{"partner": "", "completed_at": None, "status": "completed"}]}, "partner"),
    ],
)
def test_bad_data_is_a_clear_error(overrides, message):
    with pytest.raises(ValueError, match=message):
        render_certificate_pdf(make_data(**overrides))


def test_rendering_logs_nothing_from_fonttools(caplog):
    """Issue 13: every certificate printed fontTools' subsetting lines ("maxp pruned", "name
    pruned", ...) into the worker's log at INFO. Only warnings from it come through."""
    caplog.set_level(logging.DEBUG)
    render_certificate_pdf(make_data(student_name="Nguyễn Thị Minh Khai"))
    assert [r for r in caplog.records if r.name.startswith("fontTools")] == []
    assert logging.getLogger("fontTools").getEffectiveLevel() == logging.WARNING
