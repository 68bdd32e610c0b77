"""The counter's copy of an unsealed intake: structured JSON (docs/intake-export.md) or a
printable pre-filled registration form as PDF in German, which the person signs at the
counter (§ 23(1) BMG). Names print as written: the Noto fonts are embedded."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF

from kiosk.domain.clock import local
from kiosk.domain.intake import Intake
from kiosk.i18n import FONT_FAMILIES, N_, gettext_for
from kiosk.services import intake_form
from kiosk.services.intake_form import OFFICE_LANGUAGE, Block, Row

# the envelope's version; the intake inside carries its own ("schema" of kiosk.domain.intake)
EXPORT_SCHEMA = "kiosk.anmeldung-export/1"

TITLE = N_("Registration of a residence, prepared at the terminal")
NOTICE = N_("Entered by the visitor at the terminal. Check the identity documents and the "
            "landlord's confirmation at the counter; the registration is made by signing "
            "this printout (§ 23(1) BMG).")
CONTINUED = N_("{title} (continued)")
PAGE = N_("Page {page} of {pages}")
SIGNATURES = (N_("Place, date"), N_("Signature of the person registering"),
              N_("Clerk at the counter"))

# A4 portrait in millimetres
MARGIN = 15.0
LABEL_W = 64.0
LINE = 5.0
LABEL_PT, VALUE_PT = 8.5, 10.5


@dataclass(frozen=True)
class ExportMeta:
    """What the counter knows about the sealed intake besides its content."""
    reference: str
    sealed_at: datetime          # aware; printed in the office's zone
    terminal: str                # the terminal that took it (no personal data)
    office: str = ""             # printed at the top of the form


def export_json(intake: Intake, meta: ExportMeta) -> bytes:
    """The intake's documented JSON form inside an envelope naming the reference, the time
    it was sealed and the terminal: pretty, UTF-8 (names stay readable, not \\u escapes)."""
    from kiosk.domain.intake_json import to_dict

    envelope = {
        "schema": EXPORT_SCHEMA,
        "referenz": meta.reference,
        "erstellt": meta.sealed_at.isoformat(),
        "terminal": meta.terminal,
        "anmeldung": to_dict(intake),
    }
    # a lone surrogate (only from a JSON escape) has no UTF-8 form: it stays an escape
    text = json.dumps(envelope, ensure_ascii=False, indent=2) + "\n"
    return text.encode("utf-8", errors="backslashreplace")


def printable(text: str) -> str:
    """Drop what has no glyph in any font and may break a PDF string (control characters,
    lone surrogates, private use, unassigned); a line break becomes a space."""
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn"))


def _font_file(family: str) -> str:
    import fontpkg  # imported lazily as in kiosk.i18n: it scans installed font packages

    return str(fontpkg.path(family))


def _can_shape() -> bool:
    try:
        import uharfbuzz  # noqa: F401  fpdf2's text shaping engine (optional)
    except ImportError:
        return False
    return True


class _FormPdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._footer_text = footer_text
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 5)
        # The Noto fonts are variable fonts whose default instance is the regular weight.
        # Only that one is used: instancing a bold one costs seconds per export (fontTools),
        # so the form sets labels apart by size and grey instead.
        for name, family in (("sans", FONT_FAMILIES["sans"]), ("arabic", FONT_FAMILIES["arabic"])):
            self.add_font(name, "", _font_file(family))
        # a place written in Arabic script takes Noto Sans Arabic for those letters
        self.set_fallback_fonts(["arabic"])
        if _can_shape():
            # joins Arabic letters and orders right-to-left runs; ligatures off so the
            # text extracted from the PDF is the text entered
            self.set_text_shaping(True, features={"liga": False, "clig": False})
        # without uharfbuzz Latin, Greek and Cyrillic still print correctly; Arabic
        # letters print unjoined

    def footer(self) -> None:
        self.set_y(-MARGIN)
        self.set_font("sans", "", 8)
        self.cell(0, 4, self._footer_text.replace("{page}", str(self.page_no())),
                  align="C")

    @property
    def room(self) -> float:
        return self.page_break_trigger - self.get_y()


def _height(pdf: _FormPdf, width: float, text: str) -> float:
    lines = pdf.multi_cell(width, LINE, text, dry_run=True, output="LINES")
    return max(1, len(lines)) * LINE


def _row(pdf: _FormPdf, row: Row, block_title: str, continued: str) -> None:
    label, value = printable(row.label), printable(row.value) or intake_form.EMPTY
    value_w = pdf.epw - LABEL_W
    pdf.set_font("sans", "", LABEL_PT)
    label_h = _height(pdf, LABEL_W - 2, label)
    pdf.set_font("sans", "", VALUE_PT)
    height = max(label_h, _height(pdf, value_w, value)) + 1.5
    if height > pdf.room and height < pdf.page_break_trigger - MARGIN:
        pdf.add_page()
        _title(pdf, continued.format(title=block_title))
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_font("sans", "", LABEL_PT)
    pdf.set_text_color(80)
    pdf.set_xy(x, y + 0.75)
    pdf.multi_cell(LABEL_W - 2, LINE, label, align="L")
    pdf.set_text_color(0)
    pdf.set_font("sans", "", VALUE_PT)
    pdf.set_xy(x + LABEL_W, y + 0.75)
    pdf.multi_cell(value_w, LINE, value, align="L")
    bottom = max(y + height, pdf.get_y())
    pdf.set_draw_color(190)
    pdf.line(x, bottom, x + pdf.epw, bottom)
    pdf.set_y(bottom)


def _title(pdf: _FormPdf, title: str) -> None:
    pdf.set_font("sans", "", 11.5)
    pdf.set_fill_color(225)
    pdf.cell(0, 7.5, printable(title), fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(0.5)


def _check_box(pdf: _FormPdf, text: str) -> None:
    pdf.ln(1.5)
    if pdf.room < 8:
        pdf.add_page()
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_draw_color(0)
    pdf.rect(x, y + 0.5, 4, 4)
    pdf.set_xy(x + 6, y)
    pdf.set_font("sans", "", LABEL_PT + 1)
    pdf.cell(0, LINE, printable(text), new_x="LMARGIN", new_y="NEXT")


def _block(pdf: _FormPdf, block: Block, continued: str) -> None:
    pdf.ln(4)
    if pdf.room < 7.5 + 4 * (LINE + 1.5):  # a title never stays alone at a page's foot
        pdf.add_page()
    _title(pdf, block.title)
    for row in block.rows:
        _row(pdf, row, block.title, continued)
    if block.check:
        _check_box(pdf, block.check)


def _signatures(pdf: _FormPdf, _) -> None:
    pdf.ln(8)
    if pdf.room < 16 * len(SIGNATURES):
        pdf.add_page()
    for label in SIGNATURES:
        pdf.ln(10)
        y = pdf.get_y()
        pdf.set_draw_color(0)
        pdf.line(pdf.l_margin, y, pdf.l_margin + 110, y)
        pdf.set_font("sans", "", LABEL_PT)
        pdf.cell(0, LINE, _(label), new_x="LMARGIN", new_y="NEXT")


def export_pdf(intake: Intake, meta: ExportMeta) -> bytes:
    """A4 pages: the office and reference, the household, one block per person with every
    field (unknown date parts as 00, codes as German labels), then the signature lines."""
    _ = gettext_for(OFFICE_LANGUAGE)
    entered = local(meta.sealed_at).strftime("%d.%m.%Y %H:%M")
    reference = printable(meta.reference)
    footer = f"{reference} \u00b7 " + _(PAGE).format(page="{page}", pages="{nb}")
    pdf = _FormPdf(footer)
    pdf.set_creation_date(meta.sealed_at)  # the same intake gives the same file
    pdf.add_page()
    if meta.office:
        pdf.set_font("sans", "", 10)
        pdf.cell(0, 6, printable(meta.office), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("sans", "", 16)
    pdf.multi_cell(0, 8, _(TITLE), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("sans", "", 9)
    pdf.multi_cell(0, 4.5, _(NOTICE), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    continued = _(CONTINUED)
    for row in intake_form.header_rows(intake, reference, entered, meta.terminal):
        _row(pdf, row, "", continued)
    _block(pdf, intake_form.household_block(intake), continued)
    count = len(intake.persons)
    for number, person in enumerate(intake.persons, start=1):
        _block(pdf, intake_form.person_block(person, number, count), continued)
    _signatures(pdf, _)
    return bytes(pdf.output())
