"""The intake's step indicator: "Step 2 of 5" with the step's name and a bar of one
segment per step (done filled, the current one filled and taller, the rest outlined, so
the state does not rest on colour), the first step on the start side (right in RTL)."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.graphics import Color, Line, Rectangle
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.i18n import N_
from kiosk.theme import hex_rgba

STEP_OF = N_("Step {step} of {steps}")


class StepBar(Widget):
    """The segments; `boxes` holds where each one is drawn (step 1 first; tests read it)."""

    step = NumericProperty(1)
    steps = NumericProperty(1)
    mirrored = BooleanProperty(False)

    def __init__(self, **kwargs):
        self.boxes: list[tuple[float, float, float, float]] = []
        super().__init__(**kwargs)
        self.bind(pos=self.redraw, size=self.redraw, step=self.redraw, steps=self.redraw,
                  mirrored=self.redraw)

    def redraw(self, *_args) -> None:
        self.canvas.clear()
        app = App.get_running_app()
        if app is None or self.steps < 1:
            return
        mm = app.px_per_mm
        n = int(self.steps)
        gap = 2 * mm
        width = (self.width - gap * (n - 1)) / n
        low = self.height * 0.3  # done and future steps are lower than the current one
        self.boxes = []
        with self.canvas:
            Color(*hex_rgba(app.theme.primary))
            for index in range(n):
                slot = n - 1 - index if self.mirrored else index
                x = self.x + slot * (width + gap)
                current = index + 1 == int(self.step)
                height = self.height if current else self.height - 2 * low
                y = self.y + (self.height - height) / 2
                self.boxes.append((x, y, width, height))
                if index + 1 <= int(self.step):
                    Rectangle(pos=(x, y), size=(width, height))
                else:
                    Line(rectangle=(x, y, width, height), width=max(1.0, 0.4 * mm))


class StepIndicator(BoxLayout):
    """`step` (1-based) of `steps`, and `title`: the step's name, translated by the
    screen. `refresh()` re-reads "Step n of m" in the visitor's language."""

    step = NumericProperty(1)
    steps = NumericProperty(1)
    title = StringProperty("")
    mirrored = BooleanProperty(False)  # app.rtl (progress.kv)
    counter_text = StringProperty("")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(step=self.refresh, steps=self.refresh)
        self.refresh()

    def refresh(self, *_args) -> None:
        app = App.get_running_app()
        text = app.tr(STEP_OF) if app is not None and hasattr(app, "tr") else STEP_OF
        self.counter_text = text.format(step=int(self.step), steps=int(self.steps))
        if "bar" in self.ids:
            self.ids.bar.redraw()  # the theme may have changed (high contrast)


Builder.load_file(str(Path(__file__).with_name("progress.kv")))
