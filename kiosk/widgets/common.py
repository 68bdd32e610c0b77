"""Themed label and big touch button. Sizes come from the app in millimetres; a second
press within 0.5 s is ignored (EN 301 549 5.8). A button can carry a drawn icon on its
start side (check box, "unavailable" sign), so states do not rely on colour alone."""

from __future__ import annotations

import time
import weakref
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.graphics import Color, Ellipse, Line
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen

from kiosk.theme import ICON_MARGIN_MM, ICON_MM
from kiosk.widgets import bidi_text

bidi_text.install()  # lines in their paragraph's direction (before any Label is made)

REPEAT_GUARD_S = 0.5
_UNSIZED = 100  # Kivy's default width: a widget no layout has sized yet


class RendersWhenShown:
    """A label on a screen that is not shown is not laid out or drawn: its kv rules follow
    the app's language, text size and contrast on every screen kept built, and a visit
    laid out the hidden screens' labels again on each change (issue 9 item 4: more than
    half the texts a visit laid out). The label is marked instead, and
    `render_stale(screen)` (KioskScreen.on_pre_enter) renders it once when the screen is
    shown. An overlay kept out of the window (the idle warning) does the same with
    `renders_when_shown = True`."""

    def texture_update(self, *largs):
        screen = _hidden_screen(self)
        if screen is not None:
            stale = screen.__dict__.get("_stale_labels")
            if stale is None:  # weak: a label a refresh throws away is not kept
                stale = screen.__dict__["_stale_labels"] = weakref.WeakSet()
            stale.add(self)
            return
        super().texture_update(*largs)


def _hidden_screen(widget):
    """The screen `widget` is on when that screen is not the one shown (or an overlay
    with `renders_when_shown` that is not in the window), else None."""
    while widget is not None:
        if isinstance(widget, Screen):
            manager = widget.manager
            if manager is not None and manager.current_screen is not widget:
                return widget
            return None
        parent = widget.parent
        if parent is None:
            return widget if getattr(widget, "renders_when_shown", False) else None
        if parent is widget:  # the window is its own parent
            return None
        widget = parent
    return None


def render_stale(screen) -> int:
    """Render (before the next frame) the labels of `screen` that changed while it was
    hidden; how many. Called when the screen is shown."""
    stale = screen.__dict__.pop("_stale_labels", None)
    if not stale:
        return 0
    labels = list(stale)
    for label in labels:
        label._trigger_texture()  # one render however many of its properties changed
    return len(labels)


class KeepsLook:
    """A label asked to render the look it shows already (its text and every option that
    decides its pixels) keeps its texture instead of laying the text out and drawing it
    again: a visit's Finish brings the start screen back as it was, and its names,
    titles and toggles, marked while hidden by the visit's text size or contrast
    (RendersWhenShown), were laid out and drawn again, the same (issue 9 item 4). A look
    counts once a frame has drawn its texture (Kivy fills it then, from the core label's
    state at that moment). Only the shown look: keeping earlier ones too (the toggles'
    last four) cost 12 MiB of RSS for one text fewer per visit."""

    _shown_look = None  # (look, texture) drawn by a frame
    _pending_look = None  # the look whose texture waits for its first frame
    _fills_of = None  # the core label whose fills are watched

    def texture_update(self, *largs):
        core = self._label
        if self.markup or not core.text:
            return super().texture_update(*largs)
        if self._fills_of is not core:
            self._fills_of = core
            _watch_fills(self, core)
        key = _look_of(core)
        shown = self._shown_look
        if shown is not None and shown[0] == key and shown[1] is core.texture:
            if self.texture is not core.texture:  # after an empty text
                self.texture = core.texture
                self.texture_size = list(core.texture.size)
            return None
        self._shown_look = None
        self._pending_look = key  # shown once a frame fills the texture
        return super().texture_update(*largs)

    def forget_look(self) -> None:
        """The next render lays the text out and draws it anew, whatever its look."""
        self._shown_look = self._pending_look = None

    def _look_filled(self, texture) -> None:
        # a cut label shows a region of the texture the frame filled (bidi_text)
        if self._pending_look is not None and (
                texture is self.texture
                or texture is getattr(self._label, "whole_texture", None)):
            self._shown_look, self._pending_look = (self._pending_look, self.texture), None


def _look_of(core) -> tuple:
    """Everything that decides a core label's pixels: its text, its options (the font
    file is resolved from font_name) and the size it wraps to."""
    options = tuple((name, tuple(value) if isinstance(value, list) else value)
                    for name, value in sorted(core.options.items())
                    if name != "font_name_r")
    size = core.usersize
    return core.text, tuple(size) if isinstance(size, list) else size, options


def _watch_fills(widget, core) -> None:
    """Tell `widget` when a frame fills one of its core label's textures (Kivy calls the
    core label's _texture_fill the first time a frame draws the texture)."""
    fill = core._texture_fill
    ref = weakref.ref(widget)  # the core label must not keep its widget alive

    def filled(texture):
        fill(texture)
        owner = ref()
        if owner is not None:
            owner._look_filled(texture)

    core._texture_fill = filled


class PlacesCutText:
    """A label whose texture is cut to its text (bidi_text.BidiLabelPIL.cut) and placed
    where the text stood in the full width: `box_width` is that width, `text_x` where the
    texture starts in it (common.kv draws it there). Kivy's own canvas centres the
    texture, which is only right for a texture as wide as the box."""

    box_width = NumericProperty(0)
    text_x = NumericProperty(0)
    cuts = True  # class-wide: False renders full-width textures (tests compare the two)

    def texture_update(self, *largs):
        core = self._label
        core.cut = self.cuts and not self.markup  # markup's references are in its pixels
        result = super().texture_update(*largs)
        if self.texture is core.texture:
            self.box_width = core.box_width if core.cut else self.texture_size[0]
            self.text_x = core.text_x if core.cut else 0
        return result


class _WrapsWhenSized(RendersWhenShown, KeepsLook, PlacesCutText):
    """Text wrapped to the widget's width is laid out once the widget has its width.
    Before its layout has run a widget is 100 px wide, and wrapping to that measures the
    text letter by letter; the layout's width follows in the same frame, so that first
    layout of the text was thrown away (about half the start screen's first frame)."""

    _text_waiting = False

    def texture_update(self, *largs):
        if self.parent is not None and _waits_for_layout(self):
            if not self._text_waiting:  # in case no layout ever changes the width
                self._text_waiting = True
                Clock.schedule_once(self._texture_if_waiting, 0)
            return
        self._text_waiting = False
        super().texture_update(*largs)

    def _texture_if_waiting(self, _dt) -> None:
        if self._text_waiting:
            self._text_waiting = False
            super().texture_update()


def _waits_for_layout(widget) -> bool:
    # layouts size their children top-down, one level per pass: a widget or an ancestor
    # still at the default width has not got its final width yet
    while widget is not None and hasattr(widget, "size_hint_x"):  # the window has none
        if widget.width == _UNSIZED and widget.size_hint_x is not None:
            return True
        widget = widget.parent
    return False


class KLabel(_WrapsWhenSized, Label):
    """A label in the app's font, colour and text scale that wraps to its width."""

    size_mm = NumericProperty(8.5)
    role = StringProperty("text")  # a Theme attribute: text, muted_text, number, ...
    align = StringProperty("start")  # start | center | end: start is right in RTL


class BigButton(_WrapsWhenSized, Button):
    """A filled touch target at least 20 mm high. Screens listen to `on_tap`, which a
    second press within 0.5 s does not fire."""

    size_mm = NumericProperty(8.5)
    min_height_mm = NumericProperty(20.0)  # touch target, EN 301 549
    kind = StringProperty("primary")  # primary | secondary | disabled
    # '' | 'check_on' | 'check_off' | 'unavailable': drawn on the start side
    icon = StringProperty("")
    icon_box = (0.0, 0.0, 0.0, 0.0)
    _last_tap = -REPEAT_GUARD_S

    def __init__(self, **kwargs):
        self.register_event_type("on_tap")
        super().__init__(**kwargs)
        # `padding` follows the text direction and the scale (common.kv): no binding to
        # the app, which would keep every button of every refresh alive
        self.bind(pos=self._draw_icon, size=self._draw_icon, icon=self._draw_icon,
                  color=self._draw_icon, padding=self._draw_icon)
        self._draw_icon()

    @property
    def icon_room_mm(self) -> float:
        """Width kept free of text on each side (the text stays centred)."""
        return ICON_MM + ICON_MARGIN_MM if self.icon else 0.0

    def _draw_icon(self, *_args) -> None:
        self.canvas.after.clear()
        app = App.get_running_app()
        if not self.icon or app is None:
            return
        mm = app.px_per_mm
        side = ICON_MM * mm
        margin = ICON_MARGIN_MM * mm
        x = self.x + self.width - margin - side if app.rtl else self.x + margin
        y = self.y + (self.height - side) / 2  # not center_y: its cache may lag pos
        self.icon_box = (x, y, side, side)  # where the icon is (tests read it)
        width = max(1.0, 0.6 * mm)
        with self.canvas.after:
            Color(*self.color)
            if self.icon in ("check_on", "check_off"):
                Line(rectangle=(x, y, side, side), width=width)
                if self.icon == "check_on":
                    Line(points=[x + 0.2 * side, y + 0.5 * side, x + 0.42 * side,
                                 y + 0.25 * side, x + 0.82 * side, y + 0.8 * side],
                         width=width * 1.4)
            elif self.icon == "unavailable":
                # a "no entry" sign, and a striped frame: unavailable without colour
                Line(circle=(x + side / 2, y + side / 2, side / 2), width=width)
                Line(points=[x + 0.15 * side, y + 0.85 * side, x + 0.85 * side,
                             y + 0.15 * side], width=width)
                self._stripes(mm)
            else:
                Ellipse(pos=(x, y), size=(side, side))

    def _stripes(self, mm: float) -> None:
        # short diagonal strokes along the top and bottom edges, like barrier tape
        step, band = 4 * mm, 1.6 * mm
        x = self.x + step / 2
        while x + band < self.x + self.width:
            for y0 in (self.y + 0.3 * mm, self.y + self.height - 0.3 * mm - band):
                Line(points=[x, y0, x + band, y0 + band], width=max(1.0, 0.3 * mm))
            x += step

    def on_release(self):
        now = time.monotonic()
        if now - self._last_tap < REPEAT_GUARD_S:
            return  # a bounce or an impatient second press; the service debounces too
        self._last_tap = now
        self.dispatch("on_tap")

    def on_tap(self):
        pass

    def forget_last_tap(self) -> None:
        self._last_tap = -REPEAT_GUARD_S



MIN_WORD_MM = 4.0  # before the text scale: a fitted word stays readable


class FitButton(BigButton):
    """A button whose text stays on one line: with `word_mm` set (instead of `size_mm`)
    the text shrinks to the button's width. On a 10" screen with larger text a key or
    the menu's Close is narrower than its words, and Kivy would split a word across
    lines and make the button (the pad's rows) taller than the room."""

    word_mm = NumericProperty(0.0)  # the word's size when it fits; 0: size_mm as given

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(text_size=self._fit, text=self._fit, font_name=self._fit,
                  word_mm=self._fit, font_size=self._fit, padding=self._fit)

    def _fit(self, *_args) -> None:
        app = App.get_running_app()
        if not self.word_mm or not self.text or app is None or self.text_size[0] is None:
            return
        room = self.text_size[0] - self.padding[0] - self.padding[2]  # what Kivy wraps at
        if room <= 1:
            return
        from kivy.uix import label as uix_label  # the bidi-aware label the app uses

        scale = app.px_per_mm * app.text_scale
        width = uix_label.CoreLabel(font_name=self.font_name,
                                    font_size=scale * self.word_mm).get_extents(self.text)[0]
        fitted = self.word_mm * min(1.0, room / width * 0.95) if width else self.word_mm
        self.size_mm = max(min(MIN_WORD_MM, self.word_mm), fitted)


class CheckToggle(BigButton):
    """A setting that is on or off: a check box drawn beside the label shows the state,
    the fill colour only repeats it."""

    active = BooleanProperty(False)

    def on_active(self, *_args) -> None:
        self.icon = "check_on" if self.active else "check_off"
        self.kind = "primary" if self.active else "secondary"


def discard(widgets) -> None:
    """Unbind the kv rules of widgets a refresh throws away. Kivy widgets live on in
    reference cycles until the garbage collector runs; meanwhile their rules still
    follow `app.theme`, and a collection that starts during a theme change left them
    half torn down (ReferenceError from a kv rule, now and then)."""
    for widget in list(widgets):
        for part in widget.walk(restrict=True):
            Builder.unbind_widget(part.uid)


def equalize_heights(buttons: list[BigButton], px_per_mm: float | None = None) -> None:
    """Give buttons that share rows one height that grows with the tallest text: scripts
    differ in line height (Arabic is taller) and a wrapped label must not stick out.
    The scale is read when applied, so a changed screen keeps the rule right; the rule
    holds the buttons weakly, so it keeps none of them alive."""
    refs = [weakref.ref(b.__self__) for b in buttons]  # ids hand out proxies

    def apply(*_args):
        alive = [b for b in (r() for r in refs) if b is not None]
        app = App.get_running_app()
        mm = app.px_per_mm if app is not None else (px_per_mm or 4.0)
        tallest = max((b.texture_size[1] for b in alive), default=0)
        needed = (tallest / mm) + 6 if mm else 20
        for button in alive:
            button.min_height_mm = max(20.0, needed)

    for button in buttons:
        button.bind(texture_size=apply)
    apply()


Builder.load_file(str(Path(__file__).with_name("common.kv")))
