"""WCAG 2.1 contrast measured on rendered pixels (not on the colour constants)."""

from __future__ import annotations

from collections import Counter

from PIL import Image


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: tuple[int, int, int]) -> float:
    r, g, b = (_linear(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a, b) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def crop(image: Image.Image, widget, inset: int = 0) -> Image.Image:
    """The widget's window rectangle in an export_to_png image (y grows downward)."""
    x, y = widget.to_window(widget.x, widget.y)
    left, right = int(x) + inset, int(x + widget.width) - inset
    top = int(image.height - (y + widget.height)) + inset
    bottom = int(image.height - y) - inset
    return image.crop((max(left, 0), max(top, 0), min(right, image.width),
                       min(bottom, image.height)))


def text_contrast(region: Image.Image) -> tuple[float, tuple, tuple]:
    """(ratio, background, ink): background is the commonest colour; ink the colour
    farthest from it among colours with a real share of the pixels (not stray
    anti-aliasing)."""
    counts = Counter(region.getcolors(maxcolors=1 << 20) and
                     {c: n for n, c in region.getcolors(maxcolors=1 << 20)})
    total = sum(counts.values())
    background = counts.most_common(1)[0][0]
    candidates = [c for c, n in counts.items() if n >= max(3, total * 0.0005)]
    ink = max(candidates, key=lambda c: ratio(c, background))
    return ratio(ink, background), background, ink


def ring_colour(image: Image.Image, widget, gap: int = 3) -> tuple:
    """The commonest colour in a thin ring just outside the widget (what it stands on)."""
    x, y = widget.to_window(widget.x, widget.y)
    left, right = int(x) - gap, int(x + widget.width) + gap
    top, bottom = int(image.height - (y + widget.height)) - gap, int(image.height - y) + gap
    pixels = Counter()
    for px in range(max(left, 0), min(right, image.width)):
        for py in (top, bottom - 1):
            if 0 <= py < image.height:
                pixels[image.getpixel((px, py))] += 1
    for py in range(max(top, 0), min(bottom, image.height)):
        for px in (left, right - 1):
            if 0 <= px < image.width:
                pixels[image.getpixel((px, py))] += 1
    return pixels.most_common(1)[0][0]
