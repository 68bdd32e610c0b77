"""Geometry checks on the live widget tree (no pixels): text fits its widget, nothing
leaves the window unless it scrolls, siblings do not overlap, touch targets are 20 mm
and apart, theme colours keep their contrast, a scroll area that overflows says so.
Shared by the layout sweep test and scripts/layout_sweep."""

from __future__ import annotations

import itertools

from kivy.core.window import Window
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView

from kiosk.widgets.common import BigButton
from kiosk.widgets.scroll import ScrollArea

TOL = 1.0  # px: rounding of layout arithmetic


def _ratio(a, b) -> float:
    def lum(c):
        def lin(v):
            return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
    la, lb = sorted((lum(a), lum(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def shown(widget) -> bool:
    while widget is not None:
        if widget.opacity == 0:
            return False
        parent = widget.parent
        widget = parent if parent is not widget else None
    return True


def in_scroll(widget) -> ScrollView | None:
    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        if isinstance(parent, ScrollView):
            return parent
        parent = parent.parent
    return None


def _overlay(widget) -> bool:
    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        if type(parent).__name__ == "IdleWarning":
            return True
        parent = parent.parent
    return False


def _typing(area) -> bool:
    """An intake step with its on-screen keyboard open: Done walks the fields and
    scrolls each into view, and on a short screen the header with the hint gives way."""
    screen = area.parent
    while screen is not None and screen is not screen.parent and \
            not hasattr(screen, "folded"):
        screen = screen.parent
    return bool(getattr(screen, "folded", False))


def window_rect(widget) -> tuple[float, float, float, float]:
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, x + widget.width, y + widget.height


def _name(widget) -> str:
    text = getattr(widget, "text", "")
    return f"{type(widget).__name__}({text[:30]!r})" if text else type(widget).__name__


def _background_of(widget, app):
    """The colour a widget's text stands on: the nearest painted box, else the page."""
    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        rgba = getattr(parent, "bg_rgba", None)
        if rgba and type(parent).__name__ in ("ThemedBox", "StatusBox") and \
                parent.height > 0:
            return rgba
        parent = parent.parent
    return app.theme.rgba("background")


def check(app, needs_number: bool = False, number_screen: str = "ticket") -> list[str]:
    """Every problem found on the current screen (and the idle overlay when shown)."""
    problems: list[str] = []
    root = app.root
    mm = app.px_per_mm
    width, height = Window.size
    widgets = [w for w in root.walk(restrict=False)
               if w.get_root_window() is not None and shown(w)]
    for widget in widgets:
        if widget.width < 0.5 or widget.height < 0.5:
            continue
        scroll = in_scroll(widget)
        x0, y0, x1, y1 = window_rect(widget)
        if scroll is None and (x0 < -TOL or y0 < -TOL or x1 > width + TOL
                               or y1 > height + TOL):
            problems.append(f"{_name(widget)} outside the window: "
                            f"{x0:.0f},{y0:.0f}-{x1:.0f},{y1:.0f} in {width}x{height}")
        parent = widget.parent
        if scroll is None and parent is not None and parent is not Window and \
                parent.width >= 0.5 and parent.height >= 0.5:
            # spilling out of its row or box lays it over a neighbour of the box
            px0, py0, px1, py1 = window_rect(parent)
            if x0 < px0 - TOL or y0 < py0 - TOL or x1 > px1 + TOL or y1 > py1 + TOL:
                problems.append(f"{_name(widget)} sticks out of {_name(parent)}")
        if isinstance(widget, Label) and widget.text:
            tw, th = widget.texture_size
            if tw > widget.width + TOL or th > widget.height + TOL:
                problems.append(f"{_name(widget)} text {tw:.0f}x{th:.0f} larger than "
                                f"its widget {widget.width:.0f}x{widget.height:.0f}")
            if isinstance(widget, BigButton):
                fg, bg = widget.color, widget.background_color
                if _ratio(fg, bg) < 4.5:
                    problems.append(f"{_name(widget)} text contrast {_ratio(fg, bg):.2f}")
                page = _background_of(widget, app)
                if _ratio(bg, page) < 3.0:
                    problems.append(f"{_name(widget)} fill contrast {_ratio(bg, page):.2f}")
            else:
                bg = _background_of(widget, app)
                if _ratio(widget.color, bg) < 4.5:
                    problems.append(f"{_name(widget)} text contrast "
                                    f"{_ratio(widget.color, bg):.2f}")
        # siblings: no overlap (a FloatLayout stacks on purpose: the idle overlay)
        if widget.children and not isinstance(widget, (FloatLayout, ScrollView)):
            kids = [c for c in widget.children if c.width >= 0.5 and c.height >= 0.5
                    and c.opacity > 0]
            for a, b in itertools.combinations(kids, 2):
                ox = min(a.right, b.right) - max(a.x, b.x)
                oy = min(a.top, b.top) - max(a.y, b.y)
                if ox > TOL and oy > TOL:
                    problems.append(f"{_name(a)} overlaps {_name(b)} in {_name(widget)} "
                                    f"by {ox:.0f}x{oy:.0f} px")
        if isinstance(widget, ScrollArea) and not _typing(widget):
            view, inner = widget.ids.view, widget.ids.inner
            hint_row = widget.ids.hint_row
            # the hint may stand elsewhere (the intake's header): it must be shown there
            if inner.height > view.height + TOL and not (
                    widget.overflowing and hint_row.height > 0 and shown(hint_row)
                    and hint_row.get_root_window() is not None):
                problems.append("a scroll area overflows without its scroll hint")
    buttons = [w for w in widgets if isinstance(w, BigButton) and w.text
               and w.width >= 0.5 and w.height >= 0.5]
    for button in buttons:
        if button.width < 20 * mm - TOL or button.height < 20 * mm - TOL:
            problems.append(f"{_name(button)} is {button.width / mm:.1f}x"
                            f"{button.height / mm:.1f} mm, less than 20 mm")
    for a, b in itertools.combinations(buttons, 2):
        # a scroll view's content passes under what is outside it, and the idle overlay
        # lies over the screen: compare buttons that share one surface
        if (in_scroll(a), _overlay(a)) != (in_scroll(b), _overlay(b)):
            continue
        ax0, ay0, ax1, ay1 = window_rect(a)
        bx0, by0, bx1, by1 = window_rect(b)
        apart = max(bx0 - ax1, ax0 - bx1, by0 - ay1, ay0 - by1)
        if apart < 2.5 * mm - TOL:
            problems.append(f"{_name(a)} and {_name(b)} only {apart / mm:.1f} mm apart")
    if needs_number:
        problems += check_number(app, number_screen)
    return problems


def check_number(app, screen_name: str = "ticket") -> list[str]:
    """The ticket number: outside any scroll view, fully in the window, >= 15 mm."""
    from kiosk import screen_fit

    screen = app.root.get_screen(screen_name)
    number = screen.ids.number
    problems = []
    if in_scroll(number) is not None:
        problems.append("the number is inside a scroll view")
    x0, y0, x1, y1 = window_rect(number)
    width, height = Window.size
    if x0 < -TOL or y0 < -TOL or x1 > width + TOL or y1 > height + TOL:
        problems.append(f"the number is cut off: {x0:.0f},{y0:.0f}-{x1:.0f},{y1:.0f}")
    tw, th = number.texture_size
    if tw > number.width + TOL or th > number.height + TOL:
        problems.append("the number's text is larger than its label")
    digits = screen.number_digits_mm()
    if digits < screen_fit.MIN_DIGITS_MM - 0.05:
        problems.append(f"the number's digits are {digits:.1f} mm high, less than 15 mm")
    return problems
