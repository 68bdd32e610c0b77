"""Kivy's Pillow text provider with paragraph-level bidi: Kivy breaks lines on the logical
text and draws each line on its own, and raqm would guess every line's direction from its
first letter, so a wrapped Arabic line starting with "A017" came out left to right.

`install()` makes Labels use `BidiLabelPIL`, which draws every line in its paragraph's
base direction (kiosk.bidi); a Label's `base_direction` ('rtl'/'ltr', set from the
visitor's language) is the preferred direction, None means UAX #9 P2/P3. The provider
also measures each word once (a bounded cache) and, for widgets that place the texture
themselves (KLabel, BigButton), draws a label's text in a region only as wide as the text.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from functools import lru_cache

from kivy.core.text.text_pil import LabelPIL
from kivy.graphics.texture import Texture
from PIL import ImageFont, features

from kiosk import bidi

log = logging.getLogger(__name__)

HAS_RAQM = features.check("raqm")  # without it Pillow can neither shape nor reorder
CUT_ROOM_EM = 0.25  # a cut texture keeps this much of the font size beside the text
# words measured, kept: the same few thousand words in 12 languages and two text sizes
# come back every visit, and measuring them (Pillow shaping each word) was a fifth of
# the UI thread's CPU per visit (issue 9 item 4); bounded, so new numbers cannot grow it
EXTENTS_KEPT = 4096  # ~2,000 in use for 12 languages; full after ~700 visits (numbers)


class BidiLabelPIL(LabelPIL):
    """LabelPIL whose lines are shaped in their paragraph's direction. With `cut` set (by a
    widget that places the texture itself: KLabel, BigButton) the texture is only as wide
    as the text, not as the width it wraps to: llvmpipe blends every pixel of a label's
    quad, mostly transparent ones (issue 9 item 4). The lines keep the x they have in
    the full width; `box_width` is that width and `text_x` where the texture starts in it
    (whole pixels, so every glyph lands on the pixel it did)."""

    cut = False
    box_width = 0  # the texture's width had it not been cut
    text_x = 0  # the cut texture's left edge in that width
    # a cut label's text is drawn into the left of a texture as wide as the box and shown
    # as a region of it: the texture keeps its size while the text changes, and Kivy
    # reuses it in place (a new texture for every new width raised RSS ~10-20 MiB)
    whole_texture = None

    def refresh(self):
        if not self.cut:
            return super().refresh()
        self.resolve_font_name()
        width, height = self._size_texture = self._size = self.render()
        if width <= 1 or height <= 1:
            self.texture = self.texture_1px
            return None
        size = (max(int(self.box_width), width), height)
        whole = self.whole_texture
        if whole is None or tuple(whole.size) != size:
            whole = Texture.create(size=size, mipmap=self.options["mipmap"],
                                   callback=self._texture_fill)
            whole.flip_vertical()
            whole.add_reload_observer(self._texture_refresh)
            self.whole_texture = whole
        else:
            whole.ask_update(self._texture_fill)
        self.texture = whole.get_region(0, 0, width, height)
        return None

    def _texture_fill(self, texture):
        shown = self.texture
        if texture is not self.whole_texture or shown is texture:
            return super()._texture_fill(texture)
        self.texture = texture  # Kivy's second pass draws into self.texture
        try:
            return super()._texture_fill(texture)
        finally:
            self.texture = shown

    def get_extents(self, text):
        font = self._select_font()
        if not font:
            return 0, 0
        return _extents(font, text, bool(self.options["limit_render_to_text_bbox"]))

    def get_cached_extents(self):
        return self.get_extents

    def render(self, real=False):
        size = super().render(real)
        if real:
            return size
        self.box_width, self.text_x = (size[0], 0)
        span = self._text_span(size) if self.cut else None
        if span is None:
            return size
        self.text_x = span[0]
        return span[1] - span[0], size[1]

    def _text_span(self, size):
        """(left, right) of the lines in the full width, with room for ink beyond the
        measured extents (bearings, a shaped line a little wider than measured); None
        when cutting is not worth it or not safe (justified lines fill the width)."""
        width, height = size
        lines = self._cached_lines
        options = self._default_line_options(lines) if lines else None
        if options is None or width <= 2 or height <= 1 or options["halign"] == "justify":
            return None
        if options["text_size"][0] is None:
            return None  # not wrapped: the texture is as wide as the text already
        xs = []
        LabelPIL.render_lines(self, lines, options, lambda *_a: None, 0, size)
        for line in lines:
            if line.words and line.words[0].text:
                xs.append((line.x, line.x + line.w))
        if not xs:
            return None
        room = int(math.ceil(CUT_ROOM_EM * options["font_size"])) + 1
        left = max(0, int(min(x for x, _ in xs)) - room)
        right = min(width, int(math.ceil(max(x for _, x in xs))) + room)
        if right - left < 2:
            return None
        return left, right

    def render_lines(self, lines, options, render_text, y, size):
        shift = self.text_x if self.cut else 0
        if self.cut and self.box_width:
            size = (self.box_width, size[1])  # lines placed as in the full width
        texts = [line.words[0].text for line in lines if line.words and line.words[0].text]
        preferred = options.get("base_direction")
        plan = deque(zip(texts, bidi.shape_lines(self.text, texts, preferred)))
        current = {"y": None, "line": None}

        def draw(text, x, line_y):
            # one call per line, in order (a justified line comes in two pieces at one y)
            if line_y != current["y"]:
                current["y"], current["line"] = line_y, plan.popleft() if plan else None
            line = current["line"]
            if line and line[0] == text:
                shaped, direction = line[1]
            else:
                shaped = text
                direction = line[1][1] if line else bidi.paragraph_direction(text, preferred)
            self._draw_line(shaped, direction, x - shift, line_y)

        return super().render_lines(lines, options, draw, y, size)

    def _draw_line(self, text: str, direction: str, x, y) -> None:
        font = self._select_font()
        if not font:
            return
        color = tuple(int(c * 255) for c in self.options["color"])
        shaping = {"direction": direction} if (
            HAS_RAQM and font.layout_engine == ImageFont.Layout.RAQM) else {}
        if self.options["limit_render_to_text_bbox"]:
            bbox = font.getbbox(text, **shaping)
            x -= bbox[0]
            y -= bbox[1]
        self._pil_draw.text((int(x), int(y)), text, font=font, fill=color, **shaping)


@lru_cache(maxsize=EXTENTS_KEPT)
def _extents(font, text: str, ink_only: bool) -> tuple[int, int]:
    """LabelPIL.get_extents for one font object (Kivy keeps each font and size for good,
    so the object stands for them)."""
    left, top, right, bottom = font.getbbox(text)
    if ink_only:
        return right - left, bottom - top
    ascent, descent = font.getmetrics()
    return right - left, ascent + descent


def install() -> bool:
    """Make every Label created from now on use BidiLabelPIL. Only over Kivy's own PIL
    provider (KIVY_TEXT=pil, kiosk.kivy_env): any other provider is left alone."""
    import kivy.core.text as core_text
    import kivy.uix.label as uix_label

    if uix_label.CoreLabel is BidiLabelPIL:
        return True
    if core_text.Label is not LabelPIL:
        log.warning("text provider %s is not Pillow: wrapped right-to-left lines may be "
                    "ordered line by line", getattr(core_text.Label, "__name__", "?"))
        return False
    if not HAS_RAQM:
        log.warning("Pillow has no raqm: Arabic and Persian are neither shaped nor reordered")
    # kivy.uix.label looks CoreLabel up when a Label creates its core label
    uix_label.CoreLabel = BidiLabelPIL
    return True
