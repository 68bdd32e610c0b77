"""kiosk.bidi: the paragraph's direction and the line strings that make a line-at-a-time
shaper resolve each line as part of its paragraph (UAX #9)."""

from __future__ import annotations

from kiosk.bidi import first_strong, paragraph_direction, shape_lines

LRM, RLM, ALM = "\u200e", "\u200f", "\u061c"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"


def test_first_strong_skips_isolates_and_numbers():
    assert first_strong("A017 رقمك") == "ltr"
    assert first_strong("12: رقمك A") == "rtl"
    assert first_strong(f"{LRI}A017{PDI} رقمك") == "rtl"  # P2 skips the isolate
    assert first_strong("12 - 3") is None


def test_paragraph_direction_prefers_the_visitor_language():
    assert paragraph_direction("A017 هو رقمك", "rtl") == "rtl"
    assert paragraph_direction("A017 هو رقمك") == "ltr"  # P2/P3 alone
    assert paragraph_direction("Bürgerbüro Mitte (Süd)", "rtl") == "ltr"  # no Arabic in it
    assert paragraph_direction("العربية", "ltr") == "rtl"
    assert paragraph_direction("12", "rtl") == "rtl" and paragraph_direction("12") == "ltr"
    assert paragraph_direction("12", "weak_rtl") == "rtl"


def test_every_line_gets_the_paragraph_direction():
    text = "رقمك هو A017. انتظر من فضلك."
    lines = ["رقمك هو", "A017. انتظر", "من فضلك."]
    shaped = shape_lines(text, lines, "rtl")
    assert [direction for _, direction in shaped] == ["rtl"] * 3
    assert [s.replace(LRM, "").replace(RLM, "").replace(ALM, "") for s, _ in shaped] == lines


def test_marks_carry_the_context_across_line_breaks():
    # after Arabic letters European digits are Arabic numbers (W2): ALM keeps that
    shaped = shape_lines("انتظر 12 دقيقة", ["انتظر", "12 دقيقة"], "rtl")
    assert shaped[1][0].startswith(ALM)
    # the first line ends before Latin: its trailing neutrals see an L (LRM)
    shaped = shape_lines("رقمك: A017", ["رقمك:", "A017"], "rtl")
    assert shaped[0][0] == "رقمك:" + LRM and shaped[1][0] == ALM + "A017"
    # trailing spaces stay last (they go to the paragraph level, L1)
    shaped = shape_lines("رقمك:  A017", ["رقمك:  ", "A017"], "rtl")
    assert shaped[0][0] == "رقمك:" + LRM + "  "
    # the last line of a paragraph: nothing after it
    assert shape_lines("abc", ["abc"])[0] == ("abc", "ltr")


def test_isolates_are_reopened_and_fsi_resolved_on_the_whole_paragraph():
    text = f"رقم {FSI}A017 Schalter{PDI} الآن"
    shaped = shape_lines(text, ["رقم " + FSI + "A017", "Schalter" + PDI + " الآن"], "rtl")
    assert shaped[0][0].startswith("رقم " + LRI)  # FSI: its content is Latin
    assert shaped[1][0].startswith(LRI + LRM + "Schalter")  # reopened, context inside


def test_paragraphs_have_their_own_direction():
    shaped = shape_lines("Hallo\nمرحبا", ["Hallo", "مرحبا"])
    assert [d for _, d in shaped] == ["ltr", "rtl"]


def test_line_that_is_not_part_of_the_text_is_taken_alone():
    assert shape_lines("رقمك هو A017", ["رقمك…"], "rtl") == [("رقمك…", "rtl")]
