"""Render a line of text to a 1-bit image with Pillow, shaped and ordered right to left
where the script needs it (Arabic, Persian) or where no printer code page has it."""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from kiosk.i18n import font_path, is_rtl

# Pixel heights of the text per document size, at ~180-203 dpi.
_FONT_PX = {1: 28, 2: 48, 4: 96, 6: 140}


@lru_cache(maxsize=32)
def _font(lang: str, px: int, bold: bool) -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(font_path(lang), px, layout_engine=ImageFont.Layout.RAQM)
    try:
        font.set_variation_by_name("Bold" if bold else "Regular")
    except (OSError, ValueError):
        pass  # a static font has no named instances
    return font


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, direction: str) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and font.getlength(candidate, direction=direction) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return lines + ([current] if current else [])


def render_line(text: str, lang: str, width_px: int, scale: int = 1, bold: bool = False,
                align: str = "center") -> Image.Image:
    """A 1-bit image `width_px` wide holding the text, wrapped onto as many lines as needed."""
    direction = "rtl" if is_rtl(lang) else "ltr"
    font = _font(lang, _FONT_PX.get(scale, 28 * scale), bold)
    margin = 8
    lines = _wrap(text, font, width_px - 2 * margin, direction) or [""]
    ascent, descent = font.getmetrics()
    line_h = ascent + descent + 4
    image = Image.new("1", (width_px, line_h * len(lines) + 4), 1)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        length = font.getlength(line, direction=direction)
        if align == "center":
            x = (width_px - length) / 2
        elif (align == "right") != (direction == "rtl"):
            x = width_px - margin - length
        else:
            x = margin
        draw.text((x, 2 + i * line_h), line, font=font, fill=0, direction=direction,
                  language=lang)
    return image
