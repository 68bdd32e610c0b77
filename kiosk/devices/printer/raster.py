"""Render text to 1-bit images with Pillow, one image per printed line, shaped and
ordered where the script needs it (Arabic, Persian) or where no printer code page has it.

Every line is ordered as part of its paragraph (kiosk.bidi: a wrapped Arabic line that
starts with "A017" stays right to left) and cropped to its ink: a raster image costs its
area in bytes, and blank rows and margins are cheaper as a feed and an alignment."""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont, ImageOps

from kiosk import bidi
from kiosk.devices.printer.wrap import glue, unglue
from kiosk.i18n import font_path, is_rtl

# Pixel size (em) of the text per document size, at ~180-203 dpi. 20 px keeps a
# right-to-left ticket with a long service name within its byte budget of 3,000 B
# (bench/bench_ticket_bytes.py; 22 px took the Persian ticket to 3,138 B).
_FONT_PX = {1: 20, 2: 40, 4: 80, 6: 120}
LINE_GAP_EM = 0.3  # white space under each raster line, sent as a feed (ESC J)


@lru_cache(maxsize=32)
def _font(lang: str, px: int, bold: bool) -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(font_path(lang), px, layout_engine=ImageFont.Layout.RAQM)
    try:
        # Medium, not Regular: one-dot strokes of a small Arabic face fade on thermal paper
        font.set_variation_by_name("Bold" if bold else "Medium")
    except (OSError, ValueError):
        pass  # a static font has no named instances
    return font


def font_px(scale: int) -> int:
    return _FONT_PX.get(scale, 20 * scale)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, direction: str) -> list[str]:
    # break on the logical text, word by word; ordering comes after (kiosk.bidi)
    lines, current = [], ""
    for word in glue(text).split():
        candidate = f"{current} {word}".strip()
        if current and font.getlength(unglue(candidate), direction=direction) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [unglue(line) for line in lines + ([current] if current else [])]


def _line_image(text: str, font: ImageFont.FreeTypeFont, direction: str,
                lang: str) -> Image.Image | None:
    left, top, right, bottom = font.getbbox(text, direction=direction, language=lang)
    if right <= left or bottom <= top:
        return None
    pad = 2
    image = Image.new("1", (right - left + 2 * pad, bottom - top + 2 * pad), 1)
    ImageDraw.Draw(image).text((pad - left, pad - top), text, font=font, fill=0,
                               direction=direction, language=lang)
    ink = ImageOps.invert(image.convert("L")).getbbox()
    return image.crop(ink) if ink else None


def render_lines(text: str, lang: str, width_px: int, scale: int = 1,
                 bold: bool = False) -> list[Image.Image]:
    """The text wrapped to `width_px`, one 1-bit image per line, each cropped to its ink
    (black = 0). Lines without ink (spaces only) are left out."""
    preferred = bidi.RTL if is_rtl(lang) else bidi.LTR
    font = _font(lang, font_px(scale), bold)
    margin = 8
    logical = _wrap(text, font, width_px - 2 * margin, bidi.paragraph_direction(text, preferred))
    images = []
    for shaped, direction in bidi.shape_lines(text, logical, preferred):
        image = _line_image(shaped, font, direction, lang)
        if image is not None:
            images.append(image)
    return images
