"""The intake receipt in every language: the reference grouped and large, a QR code that
scans to the reference alone, the queue number only when one was issued, the last day
before the purge; nothing but the reference identifies the intake."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import zxingcpp

from kiosk.devices.printer.preview import render_preview
from kiosk.devices.printer.profiles import PROFILES
from kiosk.devices.printer.render import render_document
from kiosk.domain.documents import QrCode, Size, Text
from kiosk.domain.intake_reference import display, new_reference
from kiosk.i18n import LANGUAGES
from kiosk.services.intake_receipt import receipt_document

T88V = PROFILES["TM-T88V"]
REFERENCE = new_reference(b"\x07" * 8)
SEALED = datetime(2026, 11, 24, 22, 30, tzinfo=timezone.utc)  # 23:30 in Stuttgart


def receipt(lang, number=None, retention=14):
    return receipt_document(office="Bürgerbüro Test", reference=REFERENCE, lang=lang,
                            sealed_at=SEALED, retention_days=retention, ticket_number=number)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_renders_and_the_qr_holds_only_the_reference(lang):
    doc = receipt(lang, "A017")
    [qr] = [b for b in doc.blocks if isinstance(b, QrCode)]
    assert qr.data == REFERENCE
    big = [b for b in doc.blocks if isinstance(b, Text) and b.size is not Size.NORMAL]
    assert [(b.text, b.size, b.lang) for b in big] == [
        (display(REFERENCE), Size.LARGE, "de"), ("A017", Size.HUGE, "de")]
    data = render_document(doc, T88V)
    codes = zxingcpp.read_barcodes(render_preview(data, T88V.dots_per_line))
    assert [c.text for c in codes] == [REFERENCE]


def test_no_number_without_a_ticket():
    doc = receipt("de")
    assert not any(b.size is Size.HUGE for b in doc.blocks if isinstance(b, Text))


@pytest.mark.parametrize("retention, last_day", [(14, "07.12.2026"), (1, "24.11.2026")])
def test_last_day_is_the_day_before_the_purge_in_office_time(retention, last_day):
    texts = receipt("en", retention=retention).texts()
    assert f"Please come by {last_day}. After that your data is deleted." in texts
    assert "24.11.2026 23:30" in texts
