"""A drawing for the "scan your code" screen: the terminal with its screen and the
scanner window under it, and a phone showing a QR code held up to that window, with an
arrow. Drawn with canvas instructions in theme colours (so high contrast applies too);
generic, not the position of any one model's scanner. Mirrored in right-to-left
languages."""

from __future__ import annotations

from kivy.app import App
from kivy.graphics import Color, Line, Rectangle
from kivy.uix.widget import Widget

# QR-like modules on a 7x7 grid beside the three finder squares (a picture, not a code)
_MODULES = [(3, 0), (4, 1), (3, 2), (5, 3), (0, 4), (2, 4), (4, 4), (6, 4), (3, 5),
            (5, 5), (4, 6), (6, 6), (3, 3), (1, 3), (5, 2), (6, 1), (4, 0)]
_FINDERS = ((0, 4), (4, 4), (0, 0))


class ScanDrawing(Widget):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(pos=self.redraw, size=self.redraw)
        app = App.get_running_app()
        if app is not None:
            app.bind(theme=self.redraw, rtl=self.redraw)

    def redraw(self, *_args) -> None:
        self.canvas.clear()
        app = App.get_running_app()
        if app is None or self.width < 2 or self.height < 2:
            return
        side = min(self.width, self.height)
        ox = self.x + (self.width - side) / 2
        oy = self.y + (self.height - side) / 2
        mirror = app.rtl

        def box(x0, y0, x1, y1):
            """A rectangle in unit coordinates of the drawing, mirrored when RTL."""
            if mirror:
                x0, x1 = 1 - x1, 1 - x0
            return ox + x0 * side, oy + y0 * side, (x1 - x0) * side, (y1 - y0) * side

        def point(x, y):
            return (ox + (1 - x if mirror else x) * side, oy + y * side)

        line = max(1.5, side / 120)
        theme = app.theme
        with self.canvas:
            Color(*theme.rgba("text"))
            # the terminal: a column with the screen at the top
            x, y, w, h = box(0.06, 0.02, 0.52, 0.98)
            Line(rounded_rectangle=(x, y, w, h, side * 0.03), width=line)
            x, y, w, h = box(0.12, 0.50, 0.46, 0.92)
            Line(rectangle=(x, y, w, h), width=line)
            # the scanner window under the screen, lit
            Color(*theme.rgba("primary"))
            Rectangle(pos=box(0.17, 0.27, 0.41, 0.37)[:2], size=box(0.17, 0.27, 0.41, 0.37)[2:])
            Color(*theme.rgba("warning_text"))
            a, b = point(0.19, 0.32), point(0.39, 0.32)
            Line(points=[*a, *b], width=line * 1.2)
            # the phone, held up to the window
            Color(*theme.rgba("text"))
            x, y, w, h = box(0.62, 0.10, 0.94, 0.62)
            Line(rounded_rectangle=(x, y, w, h, side * 0.035), width=line)
            qx0, qy0, q = 0.67, 0.22, 0.22  # the code on the phone's screen
            unit = q / 7
            for fx, fy in _FINDERS:  # finder squares in three corners
                x, y, w, h = box(qx0 + fx * unit, qy0 + fy * unit,
                                 qx0 + (fx + 3) * unit, qy0 + (fy + 3) * unit)
                Line(rectangle=(x, y, w, h), width=max(1.0, line * 0.8))
                x, y, w, h = box(qx0 + (fx + 1) * unit, qy0 + (fy + 1) * unit,
                                 qx0 + (fx + 2) * unit, qy0 + (fy + 2) * unit)
                Rectangle(pos=(x, y), size=(w, h))
            for mx, my in _MODULES:
                if any(fx <= mx < fx + 3 and fy <= my < fy + 3 for fx, fy in _FINDERS):
                    continue
                x, y, w, h = box(qx0 + mx * unit, qy0 + my * unit,
                                 qx0 + (mx + 1) * unit, qy0 + (my + 1) * unit)
                Rectangle(pos=(x, y), size=(w, h))
            # the arrow: from the phone to the window
            Color(*theme.rgba("primary"))
            tail, head = point(0.60, 0.32), point(0.45, 0.32)
            Line(points=[*tail, *head], width=line * 1.5)
            up, down = point(0.50, 0.37), point(0.50, 0.27)
            Line(points=[*up, *head, *down], width=line * 1.5)
