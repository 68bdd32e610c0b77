"""Alpha Sign protocol: frames byte for byte against DEVICES.md, text encoding, decoding."""

from collections import Counter

import pytest

from kiosk.devices.display.alpha import (
    AlphaCodec, AlphaFrameError, Colour, Mode, Position, build_frame, encode_sign_text,
    frame_checksum, parse_frames, parse_text_file, write_text,
)
from kiosk.devices.display.calls import Call

# DEVICES.md: "A017 -> Schalter 3" to file A, all signs, hold, green.
EXAMPLE_FRAME = bytes.fromhex(
    "00 00 00 00 00 01 5A 30 30 02 41 41 1B 20 62 1C 32 41 30 31 37 20 2D 3E 20 53 63"
    "68 61 6C 74 65 72 20 33 03 30 36 37 46 04"
)


def test_checksum_example_from_spec():
    """GIVEN STX "AAHELLO" ETX WHEN summed THEN 0x01FB, sent as "01FB"."""
    body = b"\x02AAHELLO\x03"
    assert frame_checksum(body) == 0x01FB
    frame = build_frame(b"A", b"AHELLO")
    assert frame == b"\x00" * 5 + b"\x01Z00" + body + b"01FB\x04"


def test_write_text_reproduces_the_documented_frame():
    frame = write_text(b"A", "A017 -> Schalter 3", Position.MIDDLE, Mode.HOLD, Colour.GREEN)
    assert frame == EXAMPLE_FRAME


def test_codec_with_one_call_reproduces_the_documented_frame():
    codec = AlphaCodec(max_calls=1, position=Position.MIDDLE, highlight_colour=Colour.GREEN)
    assert codec.frame([Call("A017", "Schalter 3"), Call("A016", "Schalter 1")]) == EXAMPLE_FRAME


def test_frame_without_checksum_has_no_etx():
    assert build_frame(b"A", b"AX", checksum=False) == b"\x00" * 5 + b"\x01Z00\x02AAX\x04"


def test_type_code_and_address_go_into_the_header():
    frame = build_frame(b"A", b"AX", type_code="1", address="0a")
    assert frame.startswith(b"\x00" * 5 + b"\x011" + b"0A\x02")


@pytest.mark.parametrize("address", ["0", "000", "0G", "ü0"])
def test_bad_address_is_refused(address):
    with pytest.raises(ValueError):
        build_frame(b"A", b"AX", address=address)


def test_position_mode_and_colour_codes():
    assert [p.value for p in (Position.MIDDLE, Position.TOP, Position.BOTTOM, Position.FILL)] == [
        b"\x20", b"\x22", b"\x26", b"\x30"]
    assert (Mode.ROTATE.value, Mode.HOLD.value, Mode.FLASH.value, Mode.SCROLL.value) == (
        b"a", b"b", b"c", b"m")
    assert Colour.RED.value == b"1" and Colour.YELLOW.value == b"8" and Colour.AUTOCOLOUR.value == b"C"


def test_fill_position_sends_fill_code_not_bottom():
    frame = write_text(b"A", "X", Position.FILL, Mode.SCROLL)
    assert b"\x1b\x30m" in frame and b"\x1b\x26" not in frame


def test_new_line_is_cr_not_lf():
    assert encode_sign_text("A\nB") == b"A\x0dB"


@pytest.mark.parametrize("char, code", [
    ("Ä", b"\x08\x2e"), ("Ö", b"\x08\x39"), ("Ü", b"\x08\x3a"),
    ("ä", b"\x08\x24"), ("ö", b"\x08\x34"), ("ü", b"\x08\x21"), ("°", b"\x08\x49"),
])
def test_umlauts_use_the_sign_charset(char, code):
    assert encode_sign_text(char) == code


def test_sharp_s_and_other_letters_are_transliterated():
    assert encode_sign_text("Straße") == b"Strasse"
    assert encode_sign_text("éçğşıčćšžđ") == b"ecgsiccszd"


def test_unmappable_characters_become_counted_question_marks():
    unmapped: Counter[str] = Counter()
    assert encode_sign_text("Raum Ж1Ж", unmapped) == b"Raum ?1?"
    assert unmapped == Counter({"Ж": 2})


def test_sign_text_never_contains_raw_high_or_control_bytes():
    text = "Büro\x1b\x03\x04\x00 – ñ ¿ € \t end"
    encoded = encode_sign_text(text)
    assert encoded == b"B\x08\x21ro???? - n ? EUR   end"
    plain = encoded.replace(b"\x08\x21", b"")  # the one umlaut, ü
    assert all(0x20 <= b <= 0x7E for b in plain), plain


def test_codec_puts_newest_first_in_highlight_colour_then_older_in_normal_colour():
    codec = AlphaCodec(max_calls=2)
    frame = codec.frame([Call("A017", "Schalter 3"), Call("A016", "Schalter 1"), Call("A015", "X")])
    expected_data = (b"A\x1b\x30b" + b"\x1c2A017 -> Schalter 3" + b"\x0d" + b"\x1c3A016 -> Schalter 1")
    assert frame == build_frame(b"A", expected_data)


def test_codec_without_calls_blanks_the_sign():
    assert AlphaCodec().frame([]) == build_frame(b"A", b"A\x1b\x30b")


def test_codec_counts_unmapped_characters():
    codec = AlphaCodec()
    codec.frame([Call("A1", "Кабінет 5")])
    assert sum(codec.unmapped.values()) == 7


def test_parse_round_trip_of_codec_output():
    codec = AlphaCodec(address="1F", type_code="Z")
    calls = [Call("B102", "Büro Ä"), Call("A017", "Schalter 3")]
    (frame,) = parse_frames(codec.frame(calls))
    assert (frame.type_code, frame.address, frame.command, frame.checksum_ok) == ("Z", "1F", "A", True)
    text = parse_text_file(frame.data)
    assert text.label == "A" and text.position is Position.FILL and text.mode is Mode.HOLD
    assert [line.text for line in text.lines] == ["B102 -> Büro Ä", "A017 -> Schalter 3"]
    assert [line.colour for line in text.lines] == [Colour.GREEN, Colour.AMBER]


def test_parse_several_frames_and_detect_bad_checksum():
    good = write_text(b"A", "ONE")
    bad = bytearray(write_text(b"A", "TWO"))
    bad[-2] = ord("0") if bad[-2] != ord("0") else ord("1")
    frames = parse_frames(good + bytes(bad))
    assert [f.checksum_ok for f in frames] == [True, False]


def test_parse_frame_without_checksum():
    (frame,) = parse_frames(write_text(b"A", "X", checksum=False))
    assert frame.checksum is None and frame.checksum_ok is None and frame.data.endswith(b"X")


@pytest.mark.parametrize("data", [b"\x01Z00\x02AAX", b"\x01Z\x02AX\x04", b"\x01Z00\x02\x04"])
def test_parse_rejects_malformed_packets(data):
    with pytest.raises(AlphaFrameError):
        parse_frames(data)
