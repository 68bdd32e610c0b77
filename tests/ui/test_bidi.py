"""Bidi over the whole paragraph on real pixels: a wrapped Arabic sentence whose second
line starts with the Latin ticket number is still laid out right to left on that line
(the number at the line's right end, its full stop to its left)."""

from __future__ import annotations

import pytest
from PIL import Image

from kiosk.app import step
from tests.ink import PRINT_FAILED_AR
from tests.ink import columns as _columns
from tests.ink import find as _find
from tests.ink import ink_span as _ink_span

NUMBER = "A017"


def _alpha(label) -> Image.Image:
    """The label's texture as rendered (alpha = ink), top row first."""
    texture = label.texture
    return Image.frombytes("RGBA", texture.size, texture.pixels).getchannel("A")


def _label(app, text: str, width: int, **kw):
    from kiosk.widgets.common import KLabel

    label = KLabel(text=text, size_hint=(None, None), width=width, **kw)
    app.root.add_widget(label)
    step(3)
    label.texture_update()
    return label


def _template(app, label, text: str) -> list[int]:
    """Column ink of `text` drawn alone in the label's font and size."""
    from kivy.uix.label import Label

    alone = Label(text=text, font_name=label.font_name, font_size=label.font_size)
    alone.texture_update()
    image = _alpha(alone)
    left, right = _ink_span(_columns(image, (0, 0, image.width, image.height)))
    return _columns(image, (left, 0, right, image.height))


@pytest.fixture
def arabic_app(make_app):
    app = make_app()
    app.set_language("ar")
    step(3)
    return app


def _wrapped_at_number(app):
    """The translated print-failed message, wrapped so that a line starts with the number."""
    text = PRINT_FAILED_AR.format(number=NUMBER)
    head = text[:text.index(NUMBER)].rstrip()
    label = _label(app, text, 4000)
    # wide enough for the text before the number, too narrow to take the number as well
    label.width = int(label._label.get_extents(head)[0] * 1.02) + 2
    step(3)
    label.texture_update()
    lines = [line.words[0].text if line.words else "" for line in label._label._cached_lines]
    index = next(i for i, line in enumerate(lines) if line.startswith(NUMBER))
    assert index > 0 and lines[index] != NUMBER + ".", lines  # Arabic follows the number
    return label, label._label._cached_lines[index]


def test_wrapped_line_starting_with_latin_number_stays_right_to_left(arabic_app):
    """GIVEN the Arabic print-failed message wrapped so that a line starts with "A017."
    WHEN it is rendered THEN on that line the number sits at the right end (it is read
    first) and its full stop to its left, as in the rest of the right-to-left paragraph."""
    label, line = _wrapped_at_number(arabic_app)
    image = _alpha(label)
    band = (0, int(line.y), image.width, int(line.y + line.h))
    profile = _columns(image, band)
    left_ink, right_ink = _ink_span(profile)
    template = _template(arabic_app, label, NUMBER)
    at, mismatch = _find(profile, template)
    assert mismatch < 0.35, f"the number is not on its line ({mismatch:.2f})"
    em = label.font_size
    # the Latin run is the first thing read on the line: rightmost in right-to-left
    assert right_ink - (at + len(template)) <= 0.1 * em, (at, len(template), left_ink,
                                                          right_ink)
    assert at - left_ink > 2 * em, "the Arabic words must follow to the left"
    # its full stop: just left of the number, nothing to its right
    left_of = sum(profile[max(0, at - int(0.45 * em)):at])
    right_of = sum(profile[at + len(template):])
    assert left_of > 0 and right_of < 0.02 * sum(template), (left_of, right_of)


def test_paragraph_end_full_stop_is_on_the_left(arabic_app):
    """GIVEN the same wrapped message WHEN rendered THEN the final full stop of the
    paragraph is the leftmost ink of the last line (the end of a right-to-left line)."""
    label, _line = _wrapped_at_number(arabic_app)
    last = label._label._cached_lines[-1]
    image = _alpha(label)
    top, bottom = int(last.y), int(last.y + last.h)
    profile = _columns(image, (0, top, image.width, bottom))
    left, _right = _ink_span(profile)
    # the leftmost glyph: columns up to the first empty one
    end = left
    while end < len(profile) and profile[end] > 0:
        end += 1
    glyph = image.crop((left, top, end, bottom)).getbbox()
    assert glyph is not None
    height = glyph[3] - glyph[1]
    assert (end - left) < 0.25 * label.font_size and height < 0.25 * label.font_size, \
        "the leftmost glyph of the last line is not the full stop"


def test_latin_paragraph_on_arabic_screen_keeps_its_direction(arabic_app):
    """GIVEN a purely Latin text on an Arabic screen (an office's address line) WHEN
    rendered THEN it stays left to right: it starts at the left, its full stop at the
    right end (in a right-to-left paragraph the full stop would come first, on the left)."""
    label = _label(arabic_app, "Bürgerbüro Mitte, Haus B.", 4000)
    image = _alpha(label)
    profile = _columns(image, (0, 0, image.width, image.height))
    template = _template(arabic_app, label, "Bürgerbüro")
    at, mismatch = _find(profile, template)
    left_ink, _right_ink = _ink_span(profile)
    assert mismatch < 0.35 and at - left_ink <= 0.1 * label.font_size, (at, left_ink)


def test_button_text_takes_the_visitor_language_direction(arabic_app):
    """GIVEN an Arabic button text that starts with the Latin number ("A017 is ready")
    on an Arabic screen WHEN rendered THEN it is right to left: the number at the right."""
    from kiosk.widgets.common import BigButton

    button = BigButton(text=NUMBER + " جاهز الآن", size_hint=(None, None), width=2000)
    arabic_app.root.add_widget(button)
    step(3)
    button.texture_update()
    image = _alpha(button)
    profile = _columns(image, (0, 0, image.width, image.height))
    template = _template(arabic_app, button, NUMBER)
    at, mismatch = _find(profile, template)
    _left, right_ink = _ink_span(profile)
    assert mismatch < 0.35 and right_ink - (at + len(template)) <= 0.1 * button.font_size
