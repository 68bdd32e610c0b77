"""Kivy's Pillow text provider with paragraph-level bidi: Kivy breaks lines on the logical
text and draws each line on its own, and raqm would guess every line's direction from its
first letter, so a wrapped Arabic line starting with "A017" came out left to right.

`install()` makes Labels use `BidiLabelPIL`, which draws every line in its paragraph's
base direction (kiosk.bidi); a Label's `base_direction` ('rtl'/'ltr', set from the
visitor's language) is the preferred direction, None means UAX #9 P2/P3.
"""

from __future__ import annotations

import logging
from collections import deque

from kivy.core.text.text_pil import LabelPIL
from PIL import ImageFont, features

from kiosk import bidi

log = logging.getLogger(__name__)

HAS_RAQM = features.check("raqm")  # without it Pillow can neither shape nor reorder


class BidiLabelPIL(LabelPIL):
    """LabelPIL whose lines are shaped in their paragraph's direction."""

    def render_lines(self, lines, options, render_text, y, size):
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
            self._draw_line(shaped, direction, x, line_y)

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
