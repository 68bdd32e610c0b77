"""Documents to ESC/POS bytes: explicit code pages, umlauts byte-exact, RTL as raster."""

from __future__ import annotations

from kiosk.devices.printer.profiles import PROFILES
from kiosk.devices.printer.render import encode_line, render_document
from kiosk.domain.documents import Document, QrCode, Size, Text

T88V = PROFILES["TM-T88V"]


def test_umlauts_and_euro_are_sent_in_cp858_selected_explicitly():
    """GIVEN German text with umlauts, ß and € WHEN rendered THEN ESC t 19 (CP858) is
    selected and the bytes are CP858, byte for byte."""
    data = render_document(Document((Text("Straße Öffnung Über € äöü"),), cut=False), T88V)
    assert data.startswith(b"\x1b@")
    assert b"\x1bt\x13" + b"Stra\xe1e \x99ffnung \x9aber \xd5 \x84\x94\x81\n" in data


def test_typographic_characters_are_mapped_not_question_marks():
    page, payload = encode_line("Anmeldung – „Wohnung“ …", T88V)
    assert payload == b'Anmeldung - "Wohnung" ...' and page == 19


def test_turkish_and_cyrillic_choose_their_code_pages():
    assert encode_line("İkamet kaydı", T88V)[0] == 13  # CP857
    assert encode_line("Реєстрація", T88V)[0] == 46  # CP1251 has є and і
    assert encode_line("Ελληνικά", T88V)[0] == 14  # CP737


def test_script_without_code_page_becomes_raster():
    assert encode_line("日本語", T88V) is None
    data = render_document(Document((Text("日本語"),), cut=False), T88V)
    assert b"\x1dv0" in data  # GS v 0 raster image


def test_arabic_is_always_raster_even_with_arabic_code_pages():
    # the printer would neither shape the letters nor order them right to left
    data = render_document(Document((Text("تسجيل السكن", lang="ar"),), cut=False), T88V)
    assert b"\x1dv0" in data and b"\x1bt" not in data
    assert "تسجيل".encode("cp1256") not in data


def test_native_qr_where_the_profile_supports_it():
    native = render_document(Document((QrCode("0123456789abcdef"),)), T88V)
    assert b"\x1d(k" in native and b"\x1dv0" not in native
    image = render_document(Document((QrCode("0123456789abcdef"),)), PROFILES["generic-58"])
    assert b"\x1d(k" not in image and b"\x1dv0" in image


def test_sizes_and_cut():
    data = render_document(Document((Text("A017", size=Size.HUGE, bold=True),)), T88V)
    assert b"\x1d!\x55" in data  # 6x width and height
    assert b"\x1bE\x01" in data
    assert data.endswith(b"\x1dV\x01")  # partial cut after the feed


def test_formatting_is_sent_only_on_change():
    data = render_document(Document(tuple(Text(f"line {i}") for i in range(5)), cut=False),
                           T88V)
    assert data.count(b"\x1ba") == 1 and data.count(b"\x1bt") == 1


def _ticket(lang: str, name: str):
    from datetime import datetime, timezone

    from kiosk.domain.estimate import WaitEstimate
    from kiosk.services.ticket_document import ticket_document

    return ticket_document(office="Bürgerbüro Mitte", number="A017",
                           service_name_de="Anmeldung einer Wohnung",
                           service_name_visitor=name, lang=lang,
                           issued_at=datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc),
                           estimate=WaitEstimate(3, 12), reference="abcdefghijkl")


def test_latin_ticket_with_qr_fits_in_256_bytes():
    data = render_document(_ticket("de", "Anmeldung einer Wohnung"), T88V)
    assert len(data) <= 256, len(data)
    assert b"\x1d(k" in data and b"1A" not in data  # native QR, no redundant model command


def test_raster_lines_send_only_their_ink():
    """An Arabic line is cropped to its text and placed with ESC a, not sent full width."""
    data = render_document(Document((Text("رقمك", lang="ar"),), cut=False), T88V)
    header = data.index(b"\x1dv0") + 4
    width_bytes = data[header] | data[header + 1] << 8
    assert width_bytes * 8 < T88V.dots_per_line / 2
    assert b"\x1ba\x01" in data  # centred by the printer


def test_image_qr_is_sent_at_its_own_width_and_keeps_the_code_page():
    """GIVEN a profile without native QR WHEN a QR code between two lines with € is
    rendered THEN the image is only as wide as the code (centred by ESC a, not padded to
    the paper: a quarter of the bytes), it scans, and the € after it is still CP858
    (python-escpos sends ESC t 0 with its QR image)."""
    import zxingcpp

    from kiosk.devices.printer.preview import decode_text, render_preview

    generic = PROFILES["generic-80"]
    doc = Document((Text("Gebühr 5 €"), QrCode("Qx7-pL2mZk9w"), Text("Gebühr 5 €")), cut=False)
    data = render_document(doc, generic)
    header = data.index(b"\x1dv0") + 4
    width_bytes = data[header] | data[header + 1] << 8
    assert width_bytes * 8 < generic.dots_per_line / 2 and len(data) < 3000, len(data)
    assert [line for line in decode_text(data) if line] == ["Gebühr 5 €", "Gebühr 5 €"]
    image = render_preview(data, generic.dots_per_line)
    assert [code.text for code in zxingcpp.read_barcodes(image)] == ["Qx7-pL2mZk9w"]
