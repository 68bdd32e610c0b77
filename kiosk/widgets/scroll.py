"""A vertical scroll area for content that may not fit (larger text, a small screen): a
scroll bar that is always visible on the end side (left in right-to-left languages) and,
below the area, a hint with arrows pointing where more content is. Nothing is clipped
without a visible way to reach it."""

from __future__ import annotations

import math
import weakref

from kivy.app import App
from kivy.graphics import Callback, Color, Line
from kivy.graphics.scissor_instructions import ScissorPop, ScissorPush
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.widgets import common  # noqa: F401  (KLabel rules)

Builder.load_string("""
#:import rgba kiosk.theme.hex_rgba

<ScrollArea>:
    orientation: 'vertical'
    PixelScrollView:
        id: view
        do_scroll_x: False
        scroll_type: ['bars', 'content']
        bar_width: app.px_per_mm * 2.5
        bar_margin: app.px_per_mm * 0.5
        bar_pos_y: 'left' if app.rtl else 'right'
        bar_color: rgba(getattr(app.theme, 'text'))
        bar_inactive_color: rgba(getattr(app.theme, 'muted_text'))
        effect_cls: 'ScrollEffect'
        BoxLayout:
            id: inner
            orientation: 'vertical'
            size_hint_y: None
            height: self.minimum_height
            spacing: root.spacing_inner
            # the content keeps 5 mm clear of the bar
            padding: (app.px_per_mm * 5, 0, 0, 0) if app.rtl else (0, 0, app.px_per_mm * 5, 0)
    ScrollHintRow:
        id: hint_row
        size_hint_y: None
        height: hint.height if root.overflowing else 0
        opacity: 1 if root.overflowing else 0
        ScrollHint:
            id: hint
            size_hint_y: None
            height: hint_label.height
            KLabel:
                id: hint_label
                role: 'muted_text'
                size_mm: 6.5
                align: 'center'
                padding: app.px_per_mm * 12, 0  # clear of the arrows at both ends
""")


class PixelScrollView(ScrollView):
    """Moves its content by whole pixels: at a fractional offset every glyph is
    resampled, and small text loses contrast (measured: 3.9:1 instead of 7:1). Clips by
    a scissor rectangle instead of Kivy's stencil (`clip_by_scissor`)."""

    def on_kv_post(self, base_widget):
        super().on_kv_post(base_widget)
        clip_by_scissor(self)  # StencilView's rule is applied by now

    def update_from_scroll(self, *largs):
        # Kivy 2.3.1 binds `bar_color` to `_change_bar_color` again on every call and
        # unbinds it once when the bar fades 0.5 s later: every scroll step, layout
        # change and refresh within that half second left one more binding behind (a
        # leak, ~5 per visit: issue 9 item 5). Unbinding first keeps exactly one.
        self.funbind("bar_color", self._change_bar_color)
        super().update_from_scroll(*largs)
        x, y = self.g_translate.xy
        self.g_translate.xy = round(x), round(y)
        if not self._bar_drawn():
            # Kivy lit the bar: no bar is drawn while all fits, but the change of colour
            # alone would redraw the whole screen half a second later (issue 9 item 4)
            self._bar_color = self.bar_inactive_color

    def _bind_inactive_bar_color(self, *_args):
        # Kivy fades the bar to its inactive colour over 0.5 s: about 30 frames, each a
        # full-screen redraw (software GL: most of a visit's CPU, issue 9 item 4). The
        # colour changes at once instead: one frame, and no motion (WCAG 2.3.3).
        self.funbind("bar_color", self._change_bar_color)
        self.fbind("bar_inactive_color", self._change_bar_color)
        self._bar_color = self.bar_inactive_color

    def _bar_drawn(self) -> bool:
        viewport = self._viewport
        return viewport is not None and self.do_scroll_y and viewport.height > self.height


def clip_by_scissor(view) -> None:
    """Replace the stencil a widget clips with in Kivy's rules (StencilView, ScrollView,
    ScreenManager) by a scissor rectangle. The stencil drew two quads of the widget's
    size into the stencil buffer and tested every pixel drawn inside it: in software GL
    about 4 ms of a 1920x1080 frame's 20 per scroll area (issue 9 item 4), and the
    screen manager's covers the window. A scissor is a rectangle in the target's pixels,
    so it is placed at draw time (`_place_scissor`), where the widget is then."""
    before, after = view.canvas.before, view.canvas.after
    at_before = _remove_stencil(before, "StencilPush", "StencilUse")
    at_after = _remove_stencil(after, "StencilUnUse", "StencilPop")
    if at_before is None or at_after is None:
        raise RuntimeError("StencilView's rule changed: no stencil to replace")
    scissor = ScissorPush(x=0, y=0, width=0, height=0)
    ref = weakref.ref(view)  # the canvas must not keep its widget alive
    before.insert(at_before, scissor)
    before.insert(at_before, Callback(lambda _i: _place_scissor(ref(), scissor)))
    after.insert(at_after, ScissorPop())


def _remove_stencil(canvas, first: str, last: str) -> int | None:
    """Remove the instructions from `first` to `last` (StencilView's rule: the stencil
    operation and its Rectangle); where they began, or None."""
    children = list(canvas.children)
    names = [type(instruction).__name__ for instruction in children]
    if first not in names or last not in names:
        return None
    begin, end = names.index(first), names.index(last)
    for instruction in children[begin:end + 1]:
        if type(instruction).__name__ != "BindTexture":  # goes with its Rectangle
            canvas.remove(instruction)
    return begin


def _place_scissor(view, scissor: ScissorPush) -> None:
    """The view's rectangle in the pixels drawn now: the window's, or a screenshot's Fbo
    (Widget.export_as_image of the root draws it upside down). Each pixel whose centre
    the view covers, as the stencil's rectangle was rasterised."""
    from kivy.graphics.opengl import GL_FRAMEBUFFER_BINDING, glGetIntegerv

    if view is None:
        return
    x, y = view.to_window(view.x, view.y)
    top = y + view.height
    if glGetIntegerv(GL_FRAMEBUFFER_BINDING)[0] != 0:  # not the window: an export
        root = view
        while root.parent is not None and root.parent is not root.get_root_window():
            root = root.parent
        y, top = root.y + root.height - top, root.y + root.height - y
    x0, x1 = math.ceil(x - 0.5), math.ceil(x + view.width - 0.5)
    y0, y1 = math.ceil(y - 0.5), math.ceil(top - 0.5)
    place = (x0, y0, max(0, x1 - x0), max(0, y1 - y0))
    if (scissor.x, scissor.y, scissor.width, scissor.height) != place:
        scissor.x, scissor.y, scissor.width, scissor.height = place


class ScrollHintRow(BoxLayout):
    """The row under the scroll view that holds the hint (zero high when all fits)."""


class ScrollHint(BoxLayout):
    """Arrows on both sides of the hint text: down when more is below, up when more is
    above (drawn, so no font needs the arrow glyphs)."""

    more_below = BooleanProperty(True)
    more_above = BooleanProperty(False)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(pos=self._draw, size=self._draw, more_below=self._draw,
                  more_above=self._draw)

    def _draw(self, *_args) -> None:
        self.canvas.after.clear()
        app = App.get_running_app()
        if app is None or self.height <= 1:
            return
        mm = app.px_per_mm
        half = 2.5 * mm
        with self.canvas.after:
            Color(*app.theme.rgba("muted_text"))
            both = self.more_below and self.more_above
            shift = half * 1.1 if both else 0.0  # both ways: up above, down below
            for cx in (self.x + 6 * mm, self.x + self.width - 6 * mm):
                cy = self.y + self.height / 2
                if self.more_below:
                    y = cy - shift
                    Line(points=[cx - half, y + half / 2, cx, y - half / 2,
                                 cx + half, y + half / 2], width=max(1.0, 0.5 * mm))
                if self.more_above:
                    y = cy + shift
                    Line(points=[cx - half, y - half / 2, cx, y + half / 2,
                                 cx + half, y - half / 2], width=max(1.0, 0.5 * mm))


class ScrollArea(BoxLayout):
    """Children given in kv or with add_widget go into the scrolling column."""

    overflowing = BooleanProperty(False)
    spacing_inner = NumericProperty(0)

    def on_kv_post(self, _base_widget) -> None:
        view, inner = self.ids.view, self.ids.inner
        for widget in (view, inner):
            widget.bind(height=self._update)
        self.bind(height=self._update, padding=self._update)
        view.bind(scroll_y=self._update)
        app = App.get_running_app()
        if app is not None:
            app.bind(lang=self._update_text, theme=self._update)
        self._update_text()

    @property
    def content(self) -> BoxLayout:
        return self.ids.inner

    def add_widget(self, widget, *args, **kwargs):
        # the class rule adds the view and the hint row before ids exist; everything
        # given afterwards (the screen's kv, code) goes into the scrolling column
        if not isinstance(widget, (ScrollView, ScrollHintRow)) and "inner" in self.ids:
            return self.ids.inner.add_widget(widget, *args, **kwargs)
        return super().add_widget(widget, *args, **kwargs)

    def scroll_to_top(self) -> None:
        self.ids.view.scroll_y = 1

    def _update_text(self, *_args) -> None:
        app = App.get_running_app()
        if app is not None:
            self.ids.hint_label.text = app.tr("Scroll for more")

    def _update(self, *_args) -> None:
        view, inner = self.ids.view, self.ids.inner
        # against the room without the hint: compared with the view alone, content that
        # overflowed once stayed "overflowing" after it shrank to fit (the hint's row
        # kept the view short), and a pad that fits was left scrolling
        room = self.height - self.padding[1] - self.padding[3] - self.spacing
        self.overflowing = inner.height > room + 1
        hint = self.ids.hint
        hint.more_below = self.overflowing and view.scroll_y > 0.001
        hint.more_above = self.overflowing and view.scroll_y < 0.999
        hint._draw()


class Gap(Widget):
    """Empty space of a fixed height (kv sets it in mm)."""
