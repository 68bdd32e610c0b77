"""The Kivy app: builds the screens, wires the services, keeps the visitor's session
(language, text size, contrast) and forgets it after the idle timeout."""

from __future__ import annotations

import importlib
import logging
import time
from pathlib import Path

from kiosk import kivy_env

if not kivy_env.SETTINGS.prepared:  # imported without the CLI (tests): pick by display
    kivy_env.prepare(kivy_env.SETTINGS.width, kivy_env.SETTINGS.height, fullscreen=False,
                     headless=not kivy_env.has_display())

from kivy.config import Config as KivyConfig  # noqa: E402  (env first, then Kivy)

_s = kivy_env.SETTINGS
KivyConfig.set("graphics", "width", str(_s.width))
KivyConfig.set("graphics", "height", str(_s.height))
KivyConfig.set("graphics", "fullscreen", "auto" if _s.fullscreen else "0")
KivyConfig.set("graphics", "borderless", "1" if _s.fullscreen else "0")
KivyConfig.set("graphics", "show_cursor", "0" if _s.fullscreen else "1")
KivyConfig.set("graphics", "resizable", "0" if _s.fullscreen else "1")
# no multisampling: Kivy asks for 2x by default, which doubled the cost of every frame in
# software GL (llvmpipe: 92 -> 45 ms CPU for a 1920x1080 frame, issue 9 item 4). Text is
# unchanged; only slanted edges of drawn icons lose their smoothing, as they always had in
# the screenshots (drawn into an Fbo, which has no multisampling)
KivyConfig.set("graphics", "multisamples", "0")
KivyConfig.set("kivy", "exit_on_escape", "0")
KivyConfig.set("input", "mouse", "mouse,disable_multitouch")

from kivy.app import App  # noqa: E402
from kivy.base import EventLoop  # noqa: E402
from kivy.clock import Clock, mainthread  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.properties import (BooleanProperty, NumericProperty, ObjectProperty,  # noqa: E402
                             StringProperty)

from kiosk import screen_fit  # noqa: E402
from kiosk.config import Config  # noqa: E402
from kiosk.i18n import LANGUAGES, font_path, gettext_for, is_rtl, translations  # noqa: E402
from kiosk.screens.check_in import CheckIn  # noqa: E402
from kiosk.screens.walk_in import WalkIn  # noqa: E402
from kiosk.theme import HIGH_CONTRAST, LARGE_TEXT_SCALE, STANDARD  # noqa: E402

log = logging.getLogger(__name__)

# Imported after the first frame when the app drives a printer (kiosk run, the demo):
# python-escpos parses its capability file at import, 0.1-0.4 s on every start, which
# the first ticket would otherwise pay (devices/printer/render.py imports it late).
_FIRST_TICKET_MODULES = ("kiosk.devices.printer.escpos_compat",)

# Keys that would leave the kiosk or open Kivy's settings panel: swallowed.
_BLOCKED_KEYS = {27, 282}  # Escape, F1


class KioskApp(App):
    font_name = StringProperty("")
    px_per_mm = NumericProperty(4.0)
    text_scale = NumericProperty(1.0)
    theme = ObjectProperty(STANDARD)
    rtl = BooleanProperty(False)
    lang = StringProperty("de")
    large_text = BooleanProperty(False)
    high_contrast = BooleanProperty(False)
    printer_ok = BooleanProperty(True)  # False: tell visitors before they choose
    portrait = BooleanProperty(False)  # a turned screen: fewer columns, the number higher
    compact = BooleanProperty(False)  # a short screen: smaller headings, less spacing
    space = NumericProperty(1.0)  # factor for gaps and padding (reduced when compact)
    screen_mm = ObjectProperty((477.0, 268.0))  # the window's physical size
    use_kivy_settings = False

    def __init__(self, config: Config, tickets, monotonic=time.monotonic, printer=None,
                 check_in=None, scans=None, staff=None, intake=None, build_ahead=True,
                 **kwargs):
        super().__init__(**kwargs)
        self.kiosk_config = config
        # build the screens a first tap opens right after the first frame (False: a
        # screenshot, which shows one screen and is never tapped)
        self.build_ahead = build_ahead
        self._ahead_event = None
        self.tickets = tickets  # services.issue_ticket.TicketService
        if printer is not None and hasattr(printer, "add_listener"):
            printer.add_listener(self._on_printer_status)  # called on the printer's thread
            # the worker's first status (read before start() returned), not a hopeful True:
            # a printer that is off at start is announced before anyone taps
            self.printer_ok = bool(printer.status.ok_to_print)
        self.monotonic = monotonic
        self.last_activity = monotonic()
        self.walk_in = WalkIn(self)  # its workers start with the app, stop with it
        # check_in: services.check_in.CheckInService; scans: the scanner's ScanHandoff
        self.check_in = CheckIn(self, check_in, scans)
        from kiosk.screens.staff_controller import StaffController

        self.printer = printer
        self.staff = StaffController(self, staff)  # staff: services.staff.StaffService
        from kiosk.screens.intake_controller import IntakeController

        # intake: services.intake.IntakeService (None: the Anmeldung is not offered)
        self.intake = IntakeController(self, intake, monotonic=monotonic)
        self.exit_code = 0  # run_app's exit code (a restart staff asked for: non-zero)
        self.lang = config.default_language
        self.font_name = font_path(self.lang)
        self.title = "Kiosk"

    # -- building ----------------------------------------------------------------

    def build(self):
        from kiosk.widgets.root import KioskRoot

        Window.bind(on_keyboard=self._on_keyboard, size=self._update_scale,
                    on_touch_down=self._on_any_touch)
        if kivy_env.SETTINGS.fullscreen:
            Window.bind(on_request_close=lambda *_a, **_k: True)  # no closing the kiosk
        Window.clearcolor = self.theme.rgba("background")
        self._update_scale()
        root = KioskRoot()
        self._idle_event = Clock.schedule_interval(self._check_idle, 0.5)
        self._corner_event = Clock.schedule_interval(lambda _dt: root.check_corner(), 0.1)
        return root

    def on_start(self) -> None:
        self.walk_in.start()
        self.check_in.start()  # scans reach the app from now on
        self.staff.start()
        # systemd: READY after the first frame is really drawn; the watchdog is fed
        # from the UI thread, so a frozen UI stops feeding it and gets restarted
        from kiosk import systemd_notify
        from kiosk.health import heartbeat  # read by the snapshot writer: /health, /ready

        self._heartbeat_event = Clock.schedule_interval(heartbeat.beat, 1.0)

        def first_frame(*_args):
            Window.unbind(on_flip=first_frame)
            heartbeat.frame_drawn()
            systemd_notify.ready()
            systemd_notify.status("running")
            if self.build_ahead:
                self._build_ahead(self._first_tap_screens())

        Window.bind(on_flip=first_frame)
        interval = systemd_notify.watchdog_interval_s()
        if interval:
            self._watchdog_event = Clock.schedule_interval(
                lambda _dt: systemd_notify.watchdog_ping(), interval / 2)

    def _first_tap_screens(self) -> list[str]:
        names = ["services", "ticket"]
        if self.check_in.enabled:
            names.append("checkin_scan")
        if self.intake.enabled:
            names.append("intake_bring")
        return names

    def _build_ahead(self, names: list[str]) -> None:
        """Build these screens (and import what they need) one per frame after the
        first frame, then import what the first ticket needs: only the start screen is
        built before it (issue 9 item 3), and a visitor's first tap should not wait
        for a screen to be built either."""
        modules = [name for name in _FIRST_TICKET_MODULES if self.printer is not None]

        def build_next(_dt):
            self._ahead_event = None
            while names and self.root.manager.has_screen(names[0]):
                names.pop(0)  # already built: a tap came first
            if names:
                self.root.get_screen(names.pop(0))
            elif modules:
                # on the UI thread, not a worker: escpos_compat swaps tempfile.mkdtemp
                # for the import, which no other code may see meanwhile
                module = modules.pop(0)
                try:
                    importlib.import_module(module)
                except Exception:  # noqa: BLE001 - the ticket says "not printed" then
                    log.exception("importing %s for the first ticket failed", module)
            else:
                return
            self._ahead_event = Clock.schedule_once(build_next, 0)  # the next frame

        self._ahead_event = Clock.schedule_once(build_next, 0)

    def on_stop(self) -> None:
        from kiosk import systemd_notify

        self.walk_in.stop()
        self.check_in.stop()
        self.staff.stop()
        self.intake.stop()
        systemd_notify.stopping()

    def detach(self) -> None:
        """Take this app off the window (tests and screenshots build several in turn)."""
        self._idle_event.cancel()
        self._corner_event.cancel()
        if self._ahead_event is not None:
            self._ahead_event.cancel()
        if getattr(self, "_heartbeat_event", None) is not None:
            self._heartbeat_event.cancel()
        if getattr(self, "_watchdog_event", None) is not None:
            self._watchdog_event.cancel()
        Window.unbind(on_keyboard=self._on_keyboard, size=self._update_scale,
                      on_touch_down=self._on_any_touch)
        if self.root is not None and self.root.parent is not None:
            Window.remove_widget(self.root)
        # kv's `app` proxy caches the running app until on_stop: release it
        self.dispatch("on_stop")

    def _update_scale(self, *_args) -> None:
        # px per mm of the real screen: a 20 mm target stays 20 mm at any window size
        self.px_per_mm = Window.width / self.kiosk_config.screen.width_mm
        height_mm = Window.height / self.px_per_mm
        self.screen_mm = (self.kiosk_config.screen.width_mm, height_mm)
        self.portrait = Window.height > Window.width
        # below 200 mm of height (10.1" and 12.1" landscape) headings and gaps shrink
        # before anything has to scroll
        self.compact = screen_fit.is_compact(height_mm)
        self.space = 0.5 if self.compact else 1.0

    def set_screen(self, screen) -> None:
        """Another physical screen (config.ScreenGeometry) for this window: the layout
        sweep and screenshots change it in place."""
        import dataclasses

        self.kiosk_config = dataclasses.replace(self.kiosk_config, screen=screen)
        if tuple(Window.size) != (screen.width_px, screen.height_px):
            Window.size = (screen.width_px, screen.height_px)
        self._update_scale()
        self.refresh_screens()

    def _on_keyboard(self, _window, key, *_args):
        return key in _BLOCKED_KEYS

    def open_settings(self, *args):
        return False  # F1 must not open Kivy's settings panel on a public terminal

    # -- visitor session -----------------------------------------------------------

    def tr(self, message: str) -> str:
        return gettext_for(self.lang)(message)

    def ntr(self, singular: str, plural: str, n: int) -> str:
        return translations(self.lang).ngettext(singular, plural, n)

    def set_language(self, code: str) -> None:
        if code not in LANGUAGES:
            return
        changed = code != self.lang
        # the language first: the root's refresh (new texts) is then scheduled before the
        # renders the direction change schedules, and each label is laid out once, in
        # the new language, not first in the old one (issue 9 item 4)
        self.lang = code  # the root refreshes the screens when the language changes
        self.rtl = is_rtl(code)
        self.font_name = font_path(code)
        if not changed:
            self.refresh_screens()

    def toggle_large_text(self) -> None:
        self.large_text = not self.large_text
        self.text_scale = LARGE_TEXT_SCALE if self.large_text else 1.0

    def toggle_high_contrast(self) -> None:
        self.high_contrast = not self.high_contrast
        self.theme = HIGH_CONTRAST if self.high_contrast else STANDARD
        Window.clearcolor = self.theme.rgba("background")

    def refresh_screens(self) -> None:
        if self.root is not None:
            self.root.refresh()

    def go(self, screen: str) -> None:
        self.touch()
        self.root.show(screen)

    def reset_visit(self) -> None:
        """Back to the start in the visitor's absence: forget language, settings, ticket."""
        self.root.hide_idle_warning()
        if self.large_text:
            self.toggle_large_text()
        if self.high_contrast:
            self.toggle_high_contrast()
        self.set_language(self.kiosk_config.default_language)
        self.root.get_screen("ticket").clear()
        self.root.get_screen("services").clear()
        self.check_in.reset()  # the typed code and the check-in result go too
        self.intake.reset()  # everything typed into the Anmeldung goes too
        self.root.show(self.staff.start_screen())
        self.last_activity = self.monotonic()

    # -- idle timeout ----------------------------------------------------------------

    def touch(self) -> None:
        self.last_activity = self.monotonic()

    def _on_any_touch(self, *_args):
        self.touch()
        return False

    def _check_idle(self, *_args) -> None:
        if self.root is not None and self.staff.check_idle(
                self.monotonic() - self.last_activity):
            return  # staff screens: their own timeout, no visitor warning
        if self.root is None or self.root.current in ("language", "out_of_service") \
                and not self.large_text \
                and not self.high_contrast and self.lang == self.kiosk_config.default_language:
            self.touch()  # nothing to forget on a fresh start screen
            return
        idle = self.monotonic() - self.last_activity
        timeout = self.kiosk_config.idle_timeout_s
        remaining = timeout - idle
        if remaining <= 0:
            log.info("idle timeout: session reset")
            self.reset_visit()
        elif remaining <= self.kiosk_config.idle_warning_s:
            self.root.show_idle_warning(int(remaining + 0.999))
        else:
            self.root.hide_idle_warning()

    def request_exit(self, code: int) -> None:
        """Stop the app; run_app exits with `code` (systemd starts it again)."""
        log.info("exit with code %d requested", code)
        self.exit_code = code
        self.stop()

    def stay(self) -> None:
        self.touch()
        self.root.hide_idle_warning()

    # -- devices ---------------------------------------------------------------------

    @mainthread
    def _on_printer_status(self, status) -> None:
        self.printer_ok = bool(status.ok_to_print)
        if self.root is not None and self.root.current in ("language", "services"):
            self.root.get_screen(self.root.current).refresh()

    # -- tickets ---------------------------------------------------------------------

    def request_ticket(self, service_id: str) -> bool:
        """Issue in a worker thread (screens/walk_in.py); a second tap while one is
        issued does nothing."""
        return self.walk_in.request_ticket(service_id)


def step(frames: int = 3) -> None:
    """Advance the Kivy loop a few frames (embedded use: tests, screenshots, demo)."""
    for _ in range(frames):
        EventLoop.idle()


_loop_started = False


def start_embedded(app: KioskApp) -> KioskApp:
    """Build the app and its window without entering the blocking main loop."""
    global _loop_started
    from kivy.base import runTouchApp

    app._run_prepare()
    if not _loop_started:
        runTouchApp(embedded=True)
        _loop_started = True
    step(3)
    return app


def export_png(app: KioskApp, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    step(3)
    app.root.export_to_png(str(out))
    return out


def tap(widget) -> None:
    """A real touch at the widget's centre, through Kivy's input path (demo and tests)."""
    from kiosk.widgets.touch import SyntheticTouch

    x, y = widget.to_window(*widget.center)
    touch = SyntheticTouch(x, y)
    touch.touch_down()
    step(1)
    touch.touch_up()
    step(2)


def wait_until(condition, timeout_s: float = 10.0) -> bool:
    """Step frames until `condition()` holds (work done in threads lands via Clock)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        step(1)
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def find_button(root, text: str):
    """The first visible BigButton whose text starts with `text`."""
    from kiosk.widgets.common import BigButton

    for widget in root.walk(restrict=False):
        if isinstance(widget, BigButton) and widget.text.startswith(text) \
                and widget.get_root_window() is not None:
            return widget
    raise LookupError(f"no button {text!r} on screen")
