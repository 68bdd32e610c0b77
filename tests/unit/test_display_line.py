"""Plain line protocol and the shared transliteration table, byte for byte."""

from collections import Counter

import pytest

from kiosk.devices.display.calls import Call
from kiosk.devices.display.line import LineCodec, layout_call
from kiosk.devices.display.translit import ascii_fallback, to_charset


def test_two_calls_fill_two_fixed_width_lines():
    codec = LineCodec(width=20, lines=2)
    frame = codec.frame([Call("A017", "Schalter 3"), Call("A016", "Schalter 12")])
    assert frame == b"A017  ->  Schalter 3\r\nA016  -> Schalter 12\r\n"


def test_missing_calls_are_sent_as_blank_lines_so_old_text_disappears():
    assert LineCodec(width=8, lines=3).frame([Call("A1", "S2")]) == (
        b"A1 -> S2\r\n" + b" " * 8 + b"\r\n" + b" " * 8 + b"\r\n")


def test_max_calls_limits_lines_with_calls():
    codec = LineCodec(width=10, lines=2, max_calls=1)
    assert codec.frame([Call("A1", "S1"), Call("A2", "S2")]) == b"A1  ->  S1\r\n" + b" " * 10 + b"\r\n"


def test_long_counter_is_cut_before_the_number():
    assert layout_call("A017", "Ausländerbehörde Raum 12", 20) == "A017 -> Ausländerbeh"
    assert layout_call("A0177777777777777777", "S", 20) == "A0177777777777777777"


def test_umlauts_in_cp437_and_custom_eol_and_clear():
    codec = LineCodec(width=12, lines=1, eol=b"\n", clear=b"\x0c")
    assert codec.frame([Call("Ä1", "Büro")]) == b"\x0c\x8e1  ->  B\x81ro\n"


def test_characters_outside_the_code_page_are_transliterated_then_counted():
    codec = LineCodec(width=16, lines=1, encoding="ascii")
    assert codec.frame([Call("Ü1", "Straße č Ж")]) == b"Ue1 -> Strasse c\r\n"
    assert codec.frame([Call("Ж", "1")]) == b"?      ->      1\r\n"
    assert codec.unmapped == Counter({"Ж": 2})


def test_control_characters_never_reach_the_display():
    frame = LineCodec(width=10, lines=1).frame([Call("A\x1b1", "\x0c2")])
    assert frame == b"A?1  -> ?2\r\n"


def test_unknown_encoding_fails_at_construction():
    with pytest.raises(LookupError):
        LineCodec(encoding="no-such-codepage")


@pytest.mark.parametrize("char, expected", [
    ("é", "e"), ("ç", "c"), ("ğ", "g"), ("ş", "s"), ("ı", "i"), ("č", "c"), ("ć", "c"),
    ("š", "s"), ("ž", "z"), ("đ", "d"), ("Đ", "D"), ("ł", "l"), ("ø", "o"), ("æ", "ae"),
    ("ß", "ss"), ("ä", "ae"), ("Ö", "Oe"), ("–", "-"), ("„", '"'), ("€", "EUR"), ("\u00a0", " "),
])
def test_transliteration_table(char, expected):
    assert ascii_fallback(char) == expected


@pytest.mark.parametrize("char", ["Ж", "ع", "中", "¿", "\x00", "\u200b"])
def test_no_guessing_for_other_scripts_and_controls(char):
    assert ascii_fallback(char) is None


def test_to_charset_keeps_what_the_sign_can_show():
    unmapped: Counter[str] = Counter()
    assert to_charset("Büro ß Ж", lambda c: c.isascii() or c == "ü", unmapped) == "Büro ss ?"
    assert unmapped == Counter({"Ж": 1})
