"""How large the ticket number can be on a screen of given physical size, and whether that
meets the minimum (15 mm digits). No Kivy: the ticket screen and `check-config` share these
rules, so a screen that passes the check is laid out the same way by the app."""

from __future__ import annotations

from dataclasses import dataclass

MIN_DIGITS_MM = 15.0  # never smaller on the smallest supported screen (issue 8)
TARGET_DIGITS_SHARE = 0.15  # of the short side: 40 mm digits on a 21.5" (268 mm) screen
MAX_DIGITS_MM = 60.0
DIGIT_EM = 0.711  # digit height of Roboto Bold per em (font size)
LINE_EM = 1.172  # Roboto's line height (ascent + descent) per em
ADVANCE_EM = 0.62  # widest of Roboto Bold's digits and capitals used as prefixes, per em
HERO_SHARE = 0.42  # landscape: the number's column takes this share of the width
HERO_SHARE_COMPACT = 0.5  # on a short screen, where its title may need two lines
COMPACT_BELOW_MM = 200.0  # screens less high than this get smaller headings and gaps
LARGE_TEXT_SCALE = 1.35

# Worst cases (larger text, two-line labels) of what shares the screen with the number, mm
A11Y_BAR_MM = 36.0  # two rows of 7 mm text at x1.35 in a 20 mm+ button, padding
FINISH_ROW_MM = 28.0  # the Finish button and the gap above it
TITLE_MM = 20.0  # "Your number" heading at x1.35, one line
PADDING_MM = 8.0
DETAILS_MIN_MM = 30.0  # portrait: at least this much of the figures stays in view


@dataclass(frozen=True)
class NumberFit:
    digits_mm: float  # digit height the ticket screen gives the number
    portrait: bool

    @property
    def ok(self) -> bool:
        return self.digits_mm >= MIN_DIGITS_MM - 0.05


def is_compact(height_mm: float) -> bool:
    return height_mm < COMPACT_BELOW_MM


def hero_share(height_mm: float) -> float:
    """Landscape: the share of the width for the number's column."""
    return HERO_SHARE_COMPACT if is_compact(height_mm) else HERO_SHARE


def target_digits_mm(width_mm: float, height_mm: float) -> float:
    return max(MIN_DIGITS_MM, min(MAX_DIGITS_MM, TARGET_DIGITS_SHARE * min(width_mm, height_mm)))


def font_for_digits_mm(digits_mm: float) -> float:
    return digits_mm / DIGIT_EM


def fit_number(width_mm: float, height_mm: float, width_px: int, height_px: int,
               chars: int = 4) -> NumberFit:
    """The number's digit height on the ticket screen in the worst case (larger text,
    long labels); `chars` is the number's length (A017)."""
    portrait = height_px > width_px
    content_h = height_mm - A11Y_BAR_MM - FINISH_ROW_MM - 2 * PADDING_MM
    if portrait:
        room_h = content_h - TITLE_MM - DETAILS_MIN_MM
        room_w = width_mm - 2 * PADDING_MM
    else:
        room_h = content_h - TITLE_MM
        room_w = width_mm * hero_share(height_mm) - PADDING_MM
    by_height = room_h / LINE_EM * DIGIT_EM
    by_width = room_w / (ADVANCE_EM * chars) * DIGIT_EM
    digits = min(target_digits_mm(width_mm, height_mm), by_height, by_width)
    return NumberFit(digits_mm=max(0.0, digits), portrait=portrait)


def screen_warning(width_mm: float, height_mm: float, width_px: int, height_px: int) -> str | None:
    """An operator warning (English) when the ticket number cannot be shown at the minimum
    size on this screen, else None. For `kiosk check-config`."""
    fit = fit_number(width_mm, height_mm, width_px, height_px)
    if fit.ok:
        return None
    return (f"screen {width_mm:g}x{height_mm:g} mm is too small: the ticket number would be "
            f"{fit.digits_mm:.1f} mm high with larger text, at least {MIN_DIGITS_MM:g} mm "
            f"are needed")


def geometry_warning(screen) -> str | None:
    """screen_warning for a config.ScreenGeometry (anything with width_mm, height_mm,
    width_px and height_px)."""
    return screen_warning(screen.width_mm, screen.height_mm, screen.width_px, screen.height_px)
