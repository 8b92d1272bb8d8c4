"""One-page landscape A4 certificate of completion, rendered with fpdf2.

Text is set in DejaVu Sans (Debian package fonts-dejavu-core) so that names in any Latin, Greek or
Cyrillic script, Vietnamese included, print as written. Characters DejaVu lacks (Chinese, Japanese,
Korean...) are taken from a CJK font when one is installed (fonts-droid-fallback, fonts-wqy-*,
fonts-noto-cjk). Without DejaVu the certificate falls back to the core Helvetica font (Latin-1 only).
Whatever no available font can show is transliterated ("Đặng" → "Dang") or replaced by "?", with a
warning in the log: rendering never fails because of a name.

The output is reproducible: the PDF creation date is the issue date, so the same data gives the
same bytes.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF

log = logging.getLogger(__name__)
# fpdf2 subsets fonts with fontTools, which logs each table it prunes at INFO: noise in the
# worker's log on every certificate. Its warnings still come through.
logging.getLogger("fontTools").setLevel(logging.WARNING)

AUTHOR = "Training Team"
TITLE = "Certificate of Completion"

UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
UNICODE_FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
# Tried in order, only when the text needs a character DejaVu lacks.
FALLBACK_FONTS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)

QR_SCALE = 8  # pixels per QR module in the embedded PNG
QR_BORDER = 2  # quiet zone, in modules
QR_ERROR = "m"

PAGE_W, PAGE_H = 297.0, 210.0  # A4 landscape, mm
NAVY = (31, 58, 95)
INK = (34, 34, 34)
MUTED = (85, 85, 85)  # 7.5:1 on white

# Characters that Unicode decomposition does not reduce to ASCII.
_TRANSLITERATIONS = {
    "Đ": "D",
    "đ": "d",
    "Ł": "L",
    "ł": "l",
    "Ħ": "H",
    "ħ": "h",
    "ı": "i",
    "Œ": "OE",
    "œ": "oe",
    "ẞ": "SS",
    "‘": "'",
    "’": "'",
    "‚": ",",
    "“": '"',
    "”": '"',
    "„": '"',
    "–": "-",
    "—": "-",
    "‐": "-",
    "…": "...",
    "•": "-",
    "\u00a0": " ",
}


class _Typeface:
    """The fonts registered on one FPDF document and the characters they can show."""

    def __init__(self, pdf: FPDF, texts: Iterable[str]):
        self.pdf = pdf
        needed = {ch for text in texts for ch in text}
        self.family, self.covers = self._register(needed)

    def _register(self, needed: set[str]) -> tuple[str, set[int] | None]:
        if not UNICODE_FONT.is_file():
            log.warning("%s not found (install fonts-dejavu-core): using Helvetica, Latin-1 only", UNICODE_FONT)
            return "helvetica", None
        try:
            self.pdf.add_font("dejavu", "", str(UNICODE_FONT))
            bold = UNICODE_FONT_BOLD if UNICODE_FONT_BOLD.is_file() else UNICODE_FONT
            self.pdf.add_font("dejavu", "B", str(bold))
        except Exception:  # a damaged font file must not stop the certificate
            log.exception("cannot load %s: using Helvetica, Latin-1 only", UNICODE_FONT)
            return "helvetica", None
        covers = set(self.pdf.fonts["dejavu"].cmap)
        missing = {ch for ch in needed if ord(ch) not in covers and not _ignorable(ch)}
        fallbacks: list[str] = []
        for index, path in enumerate(FALLBACK_FONTS):
            if not missing:
                break
            if not path.is_file():
                continue
            family = f"fallback{index}"
            try:
                self.pdf.add_font(family, "", str(path))
            except Exception:
                log.exception("cannot load fallback font %s", path)
                continue
            cmap = set(self.pdf.fonts[family].cmap)
            if not any(ord(ch) in cmap for ch in missing):
                continue
            fallbacks.append(family)
            covers |= cmap
            missing = {ch for ch in missing if ord(ch) not in cmap}
        if fallbacks:
            self.pdf.set_fallback_fonts(fallbacks, exact_match=False)
        return "dejavu", covers

    def _can_show(self, ch: str) -> bool:
        if self.covers is None:
            return ord(ch) < 256
        return ord(ch) in self.covers

    def clean(self, text: str) -> str:
        """`text` on one line, with every character the fonts cannot show transliterated or
        replaced by "?"."""
        text = " ".join(str(text).split())
        out: list[str] = []
        lost: list[str] = []
        for ch in text:
            if self._can_show(ch) and ch.isprintable():
                out.append(ch)
                continue
            substitute = _TRANSLITERATIONS.get(ch)
            if substitute is None:
                base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
                substitute = base if base and all(self._can_show(c) for c in base) else "?"
            if substitute == "?":
                lost.append(ch)
            out.append(substitute)
        if lost:
            log.warning("no font for %r on the certificate: printed as '?'", "".join(lost))
        return "".join(out)

    def use(self, size: float, bold: bool = False) -> None:
        """Select the certificate's font at `size` points."""
        self.pdf.set_font(self.family, "B" if bold else "", size)


def _ignorable(ch: str) -> bool:
    return ch.isspace() or not ch.isprintable()


def _to_datetime(value: Any, field: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{field}: expected a datetime or an ISO 8601 string, got {value!r}")


def _format_date(value: datetime) -> str:
    return f"{value:%B} {value.day}, {value.year}"


def _qr_png(url: str) -> BytesIO:
    buf = BytesIO()
    segno.make(url, error=QR_ERROR, micro=False).save(buf, kind="png", scale=QR_SCALE, border=QR_BORDER)
    buf.seek(0)
    return buf


def _fit(pdf: FPDF, face: _Typeface, text: str, width: float, max_pt: float, min_pt: float, bold: bool) -> float:
    """The largest size from max_pt down to min_pt at which `text` fits in `width` mm; selects it."""
    size = max_pt
    while True:
        face.use(size, bold)
        if size <= min_pt or pdf.get_string_width(text) <= width:
            return size
        size = max(min_pt, size - 0.5)


def _step_rows(steps: Sequence[dict]) -> list[tuple[str, str]]:
    rows = []
    for i, step in enumerate(steps):
        partner = step.get("partner")
        if not partner:
            raise ValueError(f"steps[{i}]: 'partner' is required")
        status = step.get("status", "completed")
        completed_at = step.get("completed_at")
        if status == "skipped":
            when = "Waived"
        elif status == "completed":
            when = _format_date(_to_datetime(completed_at, f"steps[{i}].completed_at")) if completed_at else "Completed"
        else:
            raise ValueError(f"steps[{i}]: status must be 'completed' or 'skipped', got {status!r}")
        rows.append((str(partner), when))
    return rows


def render_certificate_pdf(data: dict) -> bytes:
    """Render a one-page landscape A4 certificate of completion and return the PDF bytes.

    `data` has `student_name`, `program_name`, `issued_at` (datetime or ISO 8601 string),
    `verification_code`, `verification_url` and `steps`, a list of
    `{"partner": str, "completed_at": datetime | ISO str | None, "status": "completed" | "skipped"}`
    (skipped steps print as "Waived"). Raises ValueError on missing or malformed fields.
    """
    missing = [
        key
        for key in ("student_name", "program_name", "issued_at", "verification_code", "verification_url")
        if not data.get(key)
    ]
    if missing:
        raise ValueError(f"certificate data lacks {', '.join(missing)}")
    issued_at = _to_datetime(data["issued_at"], "issued_at")
    rows = _step_rows(data.get("steps") or [])
    student = str(data["student_name"])
    program = str(data["program_name"])
    code = str(data["verification_code"])
    url = str(data["verification_url"]).strip()

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(22, 20, 22)
    face = _Typeface(pdf, [student, program, code, url, *(p for p, _ in rows)])
    student, program, code, url = (face.clean(s) for s in (student, program, code, url))
    rows = [(face.clean(p), w) for p, w in rows]

    pdf.set_title(f"{TITLE}: {student}, {program}")
    pdf.set_author(AUTHOR)
    pdf.set_creator(AUTHOR)
    pdf.set_subject(f"{program} program")
    pdf.set_keywords(f"certificate verification {code}")
    pdf.set_lang("en")
    pdf.set_creation_date(issued_at if issued_at.tzinfo else issued_at.replace(tzinfo=UTC))
    pdf.add_page()

    # frame
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, PAGE_W - 16, PAGE_H - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, PAGE_W - 22, PAGE_H - 22)

    inner_w = PAGE_W - pdf.l_margin - pdf.r_margin

    pdf.set_y(24)
    pdf.set_text_color(*NAVY)
    face.use(30, bold=True)
    pdf.cell(inner_w, 14, TITLE, align="C", new_x="LMARGIN", new_y="NEXT")

    pdf.ln(4)
    pdf.set_text_color(*MUTED)
    face.use(13)
    pdf.cell(inner_w, 7, "This certifies that", align="C", new_x="LMARGIN", new_y="NEXT")

    pdf.ln(2)
    pdf.set_text_color(*INK)
    size = _fit(pdf, face, student, inner_w - 20, 34, 14, bold=True)
    half_rule = min(inner_w, max(160.0, pdf.get_string_width(student) + 10)) / 2
    pdf.multi_cell(inner_w, size * 0.48, student, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(0.4)
    pdf.line(PAGE_W / 2 - half_rule, pdf.get_y() + 1, PAGE_W / 2 + half_rule, pdf.get_y() + 1)

    pdf.ln(5)
    sentence = f"has completed the {program} program"
    size = _fit(pdf, face, sentence, inner_w - 20, 16, 10, bold=False)
    pdf.multi_cell(inner_w, size * 0.5, sentence, align="C", new_x="LMARGIN", new_y="NEXT")

    footer_top = 160.0
    waived = [partner for partner, when in rows if when == "Waived"]
    if rows:
        pdf.ln(5)
        _partner_table(pdf, face, rows, top=pdf.get_y(), bottom=footer_top - (9 if waived else 3))
    if waived:  # said in words, not only in the table (programs.waived_steps_certificate)
        note = f"Waived steps (not completed in this program): {', '.join(waived)}"
        pdf.set_y(footer_top - 8)
        pdf.set_text_color(*MUTED)
        _fit(pdf, face, note, inner_w, 9, 5, bold=False)
        pdf.cell(inner_w, 5, note, align="C", new_x="LMARGIN", new_y="NEXT")

    # footer: issue date and verification on the left, signature line in the middle, QR on the right
    qr_size = 30.0
    qr_x, qr_y = PAGE_W - pdf.r_margin - qr_size, 162.0
    text_w = qr_x - pdf.l_margin - 75
    pdf.set_xy(pdf.l_margin, 170)
    pdf.set_text_color(*INK)
    face.use(11, bold=True)
    pdf.cell(text_w, 6, f"Issued {_format_date(issued_at)}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*MUTED)
    face.use(8)
    pdf.cell(text_w, 4.5, f"Verification code: {code}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(text_w, 4.5, "To check this certificate, visit:", new_x="LMARGIN", new_y="NEXT")
    _fit(pdf, face, url, text_w, 8, 5, bold=False)
    pdf.multi_cell(text_w, 4, url, new_x="LMARGIN", new_y="NEXT", link=url)

    sig_x = pdf.l_margin + text_w + 5
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.3)
    pdf.line(sig_x, 185, sig_x + 60, 185)
    pdf.set_xy(sig_x, 186)
    pdf.set_text_color(*MUTED)
    face.use(9)
    pdf.cell(60, 5, AUTHOR, align="C")

    pdf.image(_qr_png(url), x=qr_x, y=qr_y, w=qr_size, h=qr_size, alt_text=f"QR code linking to {url}", link=url)
    pdf.set_xy(qr_x, qr_y + qr_size)
    face.use(7)
    pdf.cell(qr_size, 4, "Scan to verify", align="C")

    return bytes(pdf.output())


def _partner_table(pdf: FPDF, face: _Typeface, rows: list[tuple[str, str]], top: float, bottom: float) -> None:
    """Partner / completion-date table between `top` and `bottom` (mm), shrunk to fit one page."""
    col_partner, col_date = 130.0, 55.0
    x = (PAGE_W - col_partner - col_date) / 2
    row_h = min(7.5, (bottom - top) / (len(rows) + 1))
    font_pt = min(10.5, row_h / 0.46)
    pdf.set_y(top)
    pdf.set_draw_color(190, 196, 204)
    pdf.set_line_width(0.2)
    pdf.set_fill_color(232, 237, 243)
    pdf.set_text_color(*NAVY)
    face.use(font_pt, bold=True)
    pdf.set_x(x)
    pdf.cell(col_partner, row_h, "Training partner", border="B", fill=True)
    pdf.cell(col_date, row_h, "Completed", border="B", fill=True, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    for partner, when in rows:
        pdf.set_x(x)
        _fit(pdf, face, partner, col_partner - 3, font_pt, min(font_pt, 5), bold=False)
        pdf.cell(col_partner, row_h, partner, border="B")
        face.use(font_pt)
        pdf.cell(col_date, row_h, when, border="B", align="R", new_x="LMARGIN", new_y="NEXT")
