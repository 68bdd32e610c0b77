"""Where ink is in a rendered line of text: column profiles of a greyscale image
(255 = full ink) and where a separately rendered run of text sits in them."""

from __future__ import annotations

from PIL import Image

# The Arabic catalog's print-failed message, a sentence with the Latin ticket number inside
# (kept here so a catalog edit cannot weaken the bidi tests): "Your ticket could not be
# printed. Please write down or photograph your number: {number}. You keep your place in
# the queue."
PRINT_FAILED_AR = ("تعذّرت طباعة تذكرتك. يُرجى كتابة رقمك أو تصويره: {number}. سيبقى مكانك في"
                   " الدور محفوظًا.")


def columns(image: Image.Image, box=None) -> list[int]:
    """Ink per column of a mode "L" image (inside box: left, top, right, bottom)."""
    region = image.crop(box) if box else image
    data = region.tobytes()  # one byte a pixel, rows top first
    width = region.width
    return [sum(data[x::width]) for x in range(width)]


def ink_span(profile: list[int], threshold: int = 40) -> tuple[int, int]:
    inked = [x for x, v in enumerate(profile) if v > threshold]
    return inked[0], inked[-1] + 1


def trimmed(profile: list[int]) -> list[int]:
    left, right = ink_span(profile)
    return profile[left:right]


def find(profile: list[int], template: list[int]) -> tuple[int, float]:
    """Best offset of a column-ink template in a profile, and its mismatch relative to
    the template's ink (0 = identical)."""
    best, where = None, 0
    for x in range(len(profile) - len(template) + 1):
        miss = sum(abs(a - b) for a, b in zip(profile[x:x + len(template)], template))
        if best is None or miss < best:
            best, where = miss, x
    return where, (best if best is not None else sum(template)) / (sum(template) or 1)
