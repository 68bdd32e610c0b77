"""The window's content: the screen manager, the accessibility bar shown on every
screen, and the idle warning laid over everything."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.graphics.gl_instructions import ClearBuffers, ClearColor
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.widgets import common  # noqa: F401  (registers KLabel, BigButton rules)
from kiosk.widgets import scroll  # noqa: F401  (registers ScrollArea)
from kiosk.widgets.chime import play_warning_chime

Builder.load_file(str(Path(__file__).with_name("root.kv")))


class ThemedBox(BoxLayout):
    """A box painted in theme colours. Canvas rules read the widget's own properties:
    `app.theme` used directly inside a canvas rule did not follow a theme change."""

    bg_key = StringProperty("background")
    line_key = StringProperty("text")
    bg_rgba = ListProperty([0, 0, 0, 0])
    line_rgba = ListProperty([0, 0, 0, 0])


class A11yBar(BoxLayout):
    """Larger text and high contrast, one tap each, on every screen."""

    bg_rgba = ListProperty([0, 0, 0, 0])
    # folded away (no height, no touch) while the on-screen keyboard needs the room on a
    # short screen; the keyboard's Done brings it back
    folded = BooleanProperty(False)

    _equal = False

    def refresh(self) -> None:
        app = App.get_running_app()
        ids = self.ids
        if not self._equal:  # ids exist only once the rule is applied
            common.equalize_heights([ids.large, ids.contrast])
            self._equal = True
        ids.large.text = app.tr("Larger text")
        ids.contrast.text = app.tr("High contrast")
        # a check box shows the state; the fill colour only repeats it
        ids.large.active = app.large_text
        ids.contrast.active = app.high_contrast
        ids.large.on_active()
        ids.contrast.on_active()
        order = [ids.left, ids.large, ids.contrast, ids.right]
        if app.rtl:  # mirrored: the first toggle stands on the right
            order.reverse()
        if list(reversed(self.children)) != order:
            self.clear_widgets()
            for widget in order:
                self.add_widget(widget)


class IdleWarning(FloatLayout):
    seconds = NumericProperty(0)
    message = StringProperty("")
    renders_when_shown = True  # out of the window its labels wait (common.render_stale)

    def refresh(self) -> None:
        app = App.get_running_app()
        self.ids.title.text = app.tr("Do you need more time?")
        seconds = int(self.seconds)
        self.ids.body.text = app.ntr(
            "The screen will start over in {seconds} second and forget your entries.",
            "The screen will start over in {seconds} seconds and forget your entries.",
            seconds).format(seconds=seconds)
        self.ids.stay.text = app.tr("Yes, I need more time")


CORNER_MM = 15  # the staff corner: top-left, in every language (not mirrored in RTL)


class NoticeBanner(ThemedBox):
    """Today's notice, a line above the start screen."""


class KioskRoot(FloatLayout):
    bg_rgba = ListProperty([0, 0, 0, 0])
    _corner_touch = None  # the touch held in the staff corner, and since when
    _corner_since = 0.0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # the root fills what it is drawn into (the window, a screenshot's Fbo): cleared
        # to the background instead of a full-screen rectangle, which software GL blends
        # pixel by pixel (about a third of a 1920x1080 frame's CPU, issue 9 item 4)
        with self.canvas.before:
            clear = ClearColor(*self.bg_rgba)
            ClearBuffers(clear_color=True)
        self.bind(bg_rgba=lambda _root, rgba: setattr(clear, "rgba", rgba))
        from kiosk.screens.language import LanguageScreen

        # only the start screen is built now: the others (and what they import: Babel,
        # the ticket number's measuring) after the first frame (KioskApp._build_ahead) or
        # on first use, so the first frame comes sooner
        self.manager = ScreenManager(transition=NoTransition())
        scroll.clip_by_scissor(self.manager)  # not Kivy's full-window stencil
        self.manager.add_widget(LanguageScreen(name="language"))
        self.ids.body.add_widget(self.manager, index=1)
        # added to the tree only while shown: a hidden overlay would still catch touches
        self.warning = IdleWarning()
        app = App.get_running_app()
        # once before the next frame, however many settings changed: a language tap
        # changes the language and the screen, a reset up to four settings (issue 9
        # item 4: each refreshed the shown screen, the start screen into the language
        # it was leaving)
        self._refresh_soon = Clock.create_trigger(lambda _dt: self.refresh(), -1)
        app.bind(lang=self._refresh_soon, large_text=self._refresh_soon,
                 high_contrast=self._refresh_soon, portrait=self._refresh_soon,
                 compact=self._refresh_soon)
        self.refresh()

    # -- staff corner: held for staff_controller.HOLD_S (app clock) opens the PIN pad;
    # the touch still goes to the widgets below, so a visitor's tap works as ever

    def _in_corner(self, touch) -> bool:
        mm = App.get_running_app().px_per_mm * CORNER_MM
        return touch.x <= self.x + mm and touch.y >= self.top - mm

    def on_touch_down(self, touch):
        if self._in_corner(touch):
            self._corner_touch = touch
            self._corner_since = App.get_running_app().monotonic()
        return super().on_touch_down(touch)

    def on_touch_move(self, touch):
        if touch is self._corner_touch and not self._in_corner(touch):
            self._corner_touch = None
        return super().on_touch_move(touch)

    def on_touch_up(self, touch):
        if touch is self._corner_touch:
            self._corner_touch = None
        return super().on_touch_up(touch)

    def check_corner(self) -> None:
        """Called on the app's clock: open the PIN pad once the corner was held long
        enough (the app's monotonic clock, which tests move by hand)."""
        from kiosk.screens.staff_controller import HOLD_S

        app = App.get_running_app()
        if self._corner_touch is not None and \
                app.monotonic() - self._corner_since >= HOLD_S:
            self._corner_touch = None
            app.staff.open_pin_pad()

    @property
    def current(self) -> str:
        return self.manager.current

    def get_screen(self, name: str):
        """The screen called `name`, built on first use."""
        if not self.manager.has_screen(name):
            self.manager.add_widget(_build_screen(name))
        return self.manager.get_screen(name)

    def show(self, name: str) -> None:
        self.get_screen(name)
        if self.manager.current != name:
            self.manager.current = name  # entering refreshes it (KioskScreen.on_pre_enter)
        else:
            self.manager.current_screen.refresh()
        self._show_notice()

    def _show_notice(self) -> None:
        """Today's notice (chosen by staff) above the start screen, in its language."""
        from kiosk.services.staff_texts import NOTICES

        app = App.get_running_app()
        staff = getattr(app, "staff", None)
        notice = staff.settings.notice if staff is not None else None
        text = app.tr(NOTICES[notice]) if notice and self.current == "language" else ""
        if not hasattr(self, "notice_banner"):
            self.notice_banner = NoticeBanner()
        banner = self.notice_banner
        banner.ids.text.text = text
        shown = banner.parent is not None  # (ids hold proxies: no identity test)
        if text and not shown:
            self.ids.body.add_widget(banner, index=len(self.ids.body.children))
        elif not text and shown:
            self.ids.body.remove_widget(banner)

    def refresh(self) -> None:
        self._show_notice()
        self.ids.a11y.refresh()
        if self.idle_warning_visible:  # show_idle_warning refreshes it when it appears
            self.warning.refresh()
        self.manager.current_screen.refresh()

    def show_idle_warning(self, seconds: int, sound: bool = True) -> None:
        if not self.idle_warning_visible:
            self.add_widget(self.warning)
            common.render_stale(self.warning)  # what changed while it was away
            if sound:
                play_warning_chime()  # a second sense besides the visual warning
        self.warning.seconds = seconds
        self.warning.refresh()

    def hide_idle_warning(self) -> None:
        if self.idle_warning_visible:
            self.remove_widget(self.warning)

    @property
    def idle_warning_visible(self) -> bool:
        return self.warning.parent is self


def _build_screen(name: str):
    # imported here: each screen module loads its kv rules and libraries when first needed
    if name == "services":
        from kiosk.screens.services import ServicesScreen

        return ServicesScreen(name=name)
    if name == "ticket":
        from kiosk.screens.ticket import TicketScreen

        return TicketScreen(name=name)
    if name in ("staff_pin", "staff_menu", "out_of_service"):
        from kiosk.screens import staff

        return {"staff_pin": staff.StaffPinScreen, "staff_menu": staff.StaffMenuScreen,
                "out_of_service": staff.OutOfServiceScreen}[name](name=name)
    if name == "language":
        from kiosk.screens.language import LanguageScreen

        return LanguageScreen(name=name)
    if name.startswith("intake_"):
        from kiosk.screens.intake import build_screen as build_intake

        return build_intake(name)
    if name.startswith("checkin_"):
        from kiosk.screens.check_in_screens import build_screen

        return build_screen(name)
    raise KeyError(f"no screen {name!r}")
