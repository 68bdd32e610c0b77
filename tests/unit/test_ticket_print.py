"""Printed tickets with one typeface per script: Latin-script tickets entirely in the
printer's code pages (Romanian ș/ț as CP852's ş/ţ), the number smoothed (GS b), a German
caption under a QR code that still scans, right-to-left tickets within 3,000 bytes and
their wrapped raster lines ordered right to left."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import zxingcpp
from PIL import Image, ImageOps

from kiosk.devices.printer import raster
from kiosk.devices.printer.preview import decode_text, render_preview
from kiosk.devices.printer.profiles import PROFILES
from kiosk.devices.printer.render import LOOKALIKES, render_document
from kiosk.domain.estimate import WaitEstimate
from kiosk.i18n import gettext_for
from kiosk.services.ticket_document import (
    QR_CAPTION,
    estimate_text,
    people_ahead_text,
    ticket_document,
)
from tests.ink import PRINT_FAILED_AR, columns, find, ink_span, trimmed

T88V = PROFILES["TM-T88V"]
REFERENCE = "Qx7-pL2mZk9w"  # random-looking, like the store's token_urlsafe(9)
# the service as the configuration names it in each code-page language
LATIN_SCRIPT = {
    "de": "Anmeldung einer Wohnung", "en": "Address registration", "tr": "İkamet kaydı",
    "ro": "Înregistrarea locuinței", "hr": "Prijava prebivališta",
    "it": "Registrazione della residenza", "pl": "Zameldowanie w mieszkaniu",
    "uk": "Реєстрація місця проживання", "ru": "Регистрация по месту жительства",
    "el": "Δήλωση κατοικίας",
}
# the longest service names of the demo configuration: the worst case for the budget
RIGHT_TO_LEFT = {"ar": "بطاقة الهوية وجواز السفر", "fa": "کارت شناسایی و پاسپورت"}
COMMA_BELOW_TO_CEDILLA = str.maketrans("ȘșȚț", "ŞşŢţ")
RTL_BUDGET = 3000  # bytes, from the performance issue


def ticket(lang: str, name: str | None = None, reference: str | None = REFERENCE):
    return ticket_document(office="Bürgerbüro Mitte", number="A017",
                           service_name_de="Anmeldung einer Wohnung",
                           service_name_visitor=name or {**LATIN_SCRIPT, **RIGHT_TO_LEFT}[lang],
                           lang=lang,
                           issued_at=datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc),
                           estimate=WaitEstimate(3, 12), reference=reference)


def has_raster(data: bytes) -> bool:
    return b"\x1dv0" in data or b"\x1b*" in data  # GS v 0 raster, ESC * bit image


EPSON = ["TM-T88V", "TM-T88IV", "TM-T20II", "TM-T88VI", "TM-T20III"]


@pytest.mark.parametrize("profile", EPSON)
@pytest.mark.parametrize("lang", sorted(LATIN_SCRIPT))
def test_latin_script_ticket_is_printed_in_code_pages_only(lang, profile):
    """GIVEN a ticket in a language whose script the printer's code pages have WHEN
    rendered THEN it has no raster image and every translated line comes back as text
    (ș/ț as ş/ţ; on CP866 without і, the identical-looking Latin i)."""
    _ = gettext_for(lang)
    visitor = [LATIN_SCRIPT[lang], people_ahead_text(_, 3),
               estimate_text(_, WaitEstimate(3, 12)), _("Please watch the display.")]
    if lang != "en":
        assert _("Please watch the display.") != "Please watch the display.", "no catalog"
    data = render_document(ticket(lang), PROFILES[profile])
    assert not has_raster(data), (lang, profile)
    printed = " ".join(decode_text(data)).translate(LOOKALIKES)
    for text in visitor:
        assert text.translate(COMMA_BELOW_TO_CEDILLA).translate(LOOKALIKES) in printed, text


def test_romanian_ticket_is_small_and_uses_cp852_cedillas():
    """GIVEN a Romanian ticket with ș and ț WHEN rendered THEN ESC t 18 (CP852) prints
    them as ş/ţ and the ticket stays under 400 bytes."""
    data = render_document(ticket("ro"), T88V)
    assert len(data) < 400, len(data)
    assert b"\x1bt\x12" in data and "locuinţei".encode("cp852") in data


def test_number_is_printed_with_smoothing():
    """GIVEN a ticket WHEN rendered THEN smoothing (GS b 1) is on for the huge number
    and off again (GS b 0) before the next line."""
    data = render_document(ticket("de"), T88V)
    on, number, off = data.index(b"\x1db\x01"), data.index(b"A017\n"), data.index(b"\x1db\x00")
    assert on < number < off
    assert data.count(b"\x1db") == 2
    assert b"24.11.2026" in data[off:]


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_qr_code_has_german_caption_and_still_scans(lang):
    """GIVEN a ticket with a reference WHEN its bytes are drawn by the preview THEN the
    QR code scans to the reference and the caption (the German catalog's text) is the
    line printed right under it."""
    data = render_document(ticket(lang), T88V)
    caption = gettext_for("de")(QR_CAPTION)
    assert decode_text(data)[-1] == caption
    image = render_preview(data, T88V.dots_per_line)
    found = zxingcpp.read_barcodes(image)
    assert [code.text for code in found] == [REFERENCE]
    qr_bottom = max(found[0].position.bottom_left.y, found[0].position.bottom_right.y)
    ink_rows = [y for y in range(qr_bottom + 2, qr_bottom + 60)
                if ImageOps.invert(image.crop((0, y, image.width, y + 1))).getbbox()]
    assert ink_rows, "nothing printed under the QR code"
    assert not render_document(ticket(lang, reference=None), T88V).count(caption.encode("cp858"))


@pytest.mark.parametrize("lang", sorted(RIGHT_TO_LEFT))
def test_right_to_left_ticket_stays_within_byte_budget(lang):
    """GIVEN an Arabic or Persian ticket (visitor lines as raster images) WHEN rendered
    THEN it is at most 3,000 bytes: one 1-bit image per line, cropped to its ink, and
    the office lines, number and QR in the printer's own font and QR command."""
    data = render_document(ticket(lang), T88V)
    assert len(data) <= RTL_BUDGET, len(data)
    assert b"\x1d(k" in data and b"\x1d!\x55" in data  # native QR and number
    # a Latin line on a right-to-left ticket is printed as text, not as an image
    latin = render_document(ticket(lang, name="Address registration"), T88V)
    assert b"Address registration\n" in latin


def _ink(image: Image.Image) -> Image.Image:
    return ImageOps.invert(image.convert("L"))  # black dots -> 255


def test_wrapped_rtl_raster_line_starting_with_latin_number_reads_right_to_left():
    """GIVEN the Arabic print-failed sentence wrapped so that a raster line starts with
    "A017." WHEN rasterized THEN the number is at that line's right end and its full
    stop to its left (the line keeps the paragraph's right-to-left direction)."""
    text = PRINT_FAILED_AR.format(number="A017")
    font = raster._font("ar", raster.font_px(1), False)
    head = text[:text.index("A017")].rstrip()
    width = int(font.getlength(head, direction="rtl")) + 16 + 4
    logical = raster._wrap(text, font, width - 16, "rtl")
    index = next(i for i, line in enumerate(logical) if line.startswith("A017"))
    assert index > 0 and logical[index] != "A017.", logical
    line = _ink(raster.render_lines(text, "ar", width)[index])
    profile = columns(line)
    template = trimmed(columns(_ink(raster._line_image("A017", font, "ltr", "en"))))
    at, mismatch = find(profile, template)
    assert mismatch < 0.35, mismatch
    _left, right = ink_span(profile, threshold=0)
    assert right - (at + len(template)) <= 2, (at, len(template), right)
    assert sum(profile[max(0, at - 10):at]) > 0  # the full stop, just left of the number


def test_a_number_keeps_its_unit_on_the_same_line():
    """GIVEN lines that must wrap right after a number ("aproximativ 12 min" in 42
    columns; an Arabic estimate in a narrow raster) WHEN wrapped THEN the number moves
    to the next line with its unit, never leaving the unit alone."""
    lines = decode_text(render_document(ticket("ro"), T88V))
    assert "min" not in lines and any(line.startswith("12 min") for line in lines), lines
    text = "مدة الانتظار المتوقعة: حوالي 12 دقيقة"
    font = raster._font("ar", raster.font_px(1), False)
    width = int(font.getlength("مدة الانتظار المتوقعة: حوالي 12", direction="rtl")) + 2
    assert raster._wrap(text, font, width, "rtl") == ["مدة الانتظار المتوقعة: حوالي",
                                                      "12 دقيقة"]
