"""Colours and sizes of the kiosk. Sizes are in millimetres on the real screen, so a
touch target is 20 mm whatever the resolution; colours meet WCAG 2.1 AA contrast."""

from __future__ import annotations

from dataclasses import dataclass

TOUCH_TARGET_MM = 20.0  # EN 301 549 / DOMAIN.md: about 20 mm, no gain above that
GAP_MM = 4.0  # at least 2.5 mm between targets
BODY_TEXT_MM = 8.5  # capital H >= 6.1 mm at 500 mm viewing distance (cap height ~0.71)
HEADING_TEXT_MM = 12.0
NUMBER_TEXT_MM = 60.0
LARGE_TEXT_SCALE = 1.35
ICON_MM = 8.0  # a drawn state icon on a button's start side (check box, "unavailable")
ICON_MARGIN_MM = 3.0


def hex_rgba(value: str) -> tuple[float, float, float, float]:
    value = value.lstrip("#")
    return tuple(int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)) + (1.0,)


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    text: str
    muted_text: str  # still >= 4.5:1 on the background
    primary: str  # button fill, >= 3:1 against the background
    on_primary: str  # text on buttons, >= 4.5:1 against primary
    secondary: str
    on_secondary: str
    disabled: str
    on_disabled: str
    warning_bg: str
    warning_text: str
    number: str

    def rgba(self, key: str) -> tuple[float, float, float, float]:
        return hex_rgba(getattr(self, key))


STANDARD = Theme(
    name="standard", background="#F4F6F8", text="#16202B", muted_text="#404B57",
    primary="#0A4F96", on_primary="#FFFFFF", secondary="#3B4652", on_secondary="#FFFFFF",
    disabled="#5F6B78", on_disabled="#FFFFFF", warning_bg="#FBE3E3", warning_text="#8A0010",
    number="#0A2A4F",
)

HIGH_CONTRAST = Theme(
    name="high_contrast", background="#000000", text="#FFFFFF", muted_text="#FFFFFF",
    primary="#FFD200", on_primary="#000000", secondary="#FFFFFF", on_secondary="#000000",
    disabled="#8C8C8C", on_disabled="#000000", warning_bg="#000000", warning_text="#FFD200",
    number="#FFD200",
)
