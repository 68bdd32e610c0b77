"""Staff mode's controller: the corner gesture's target, the PIN check and every staff
function run in worker threads with their results handed to the staff screens on the UI
thread; it keeps the staff settings (closed services, notice, out of service) as a
snapshot the visitor screens read without touching the store."""

from __future__ import annotations

import logging
import threading

from kivy.clock import Clock, mainthread

from kiosk.screens.flow import clear_screens
from kiosk.services.staff import StaffSettings

log = logging.getLogger(__name__)

HOLD_S = 3.0  # the corner must be held this long: a visitor's tap never opens staff mode
RESTART_EXIT_CODE = 3  # any exit restarts under systemd (Restart=always); 3 says "asked"
SETTINGS_REFRESH_S = 60  # "for today" lapses at midnight without anyone touching


class StaffController:
    def __init__(self, app, staff) -> None:
        self.app = app
        self.staff = staff  # services.staff.StaffService, or None: no staff mode
        self.active = False  # the right PIN was entered; staff screens are open
        self.settings = StaffSettings()
        self._stopped = False
        self._refresh_event = None
        self._busy = threading.Lock()

    # -- life ----------------------------------------------------------------------

    def start(self) -> None:
        if self.staff is None:
            return
        self.refresh_settings()
        self._refresh_event = Clock.schedule_interval(
            lambda _dt: self.refresh_settings(), SETTINGS_REFRESH_S)

    def stop(self) -> None:
        self._stopped = True
        if self._refresh_event is not None:
            self._refresh_event.cancel()

    def start_screen(self) -> str:
        """The visitor's start screen: the out-of-service screen while staff set it."""
        return "out_of_service" if self.settings.out_of_service else "language"

    def service_message(self, service_id: str) -> str | None:
        """The prepared message id of a service staff closed for today, else None."""
        return self.settings.closed.get(service_id)

    # -- settings snapshot ---------------------------------------------------------------

    def refresh_settings(self, then=None) -> None:
        """Read the staff settings in a worker; the screens redraw on the UI thread."""
        if self.staff is None:
            return

        def work():
            try:
                settings = self.staff.settings()
            except Exception as err:  # noqa: BLE001 - keep the last good snapshot
                log.error("staff settings not readable: %s", err)
                return
            self._settings_read(settings, then)

        threading.Thread(target=work, name="staff-settings", daemon=True).start()

    @mainthread
    def _settings_read(self, settings: StaffSettings, then) -> None:
        if self._stopped:
            return
        changed = settings != self.settings
        self.settings = settings
        root = self.app.root
        if changed and root is not None and not self.active:
            if root.current in ("language", "out_of_service"):
                if root.current != self.start_screen():
                    root.show(self.start_screen())
            root.refresh()
        if then is not None:
            then()

    # -- entry -------------------------------------------------------------------------

    def open_pin_pad(self) -> None:
        """The corner was held long enough: the PIN pad (staff mode is not open yet)."""
        if self.staff is None or self.active:
            return
        self.app.root.hide_idle_warning()
        pad = self.app.root.get_screen("staff_pin")
        pad.clear()
        self.app.go("staff_pin")

    def submit_pin(self, pin: str) -> bool:
        """Check the PIN in a worker (argon2 takes a moment); False while one is checked."""
        if not self._busy.acquire(blocking=False):
            return False

        def work():
            try:
                result = self.staff.unlock(pin)
            except Exception as err:  # noqa: BLE001 - a store problem: stay closed
                log.error("staff PIN check failed: %s", err)
                result = None
            finally:
                self._busy.release()
            self._unlocked(result)

        threading.Thread(target=work, name="staff-pin", daemon=True).start()
        return True

    @mainthread
    def _unlocked(self, result) -> None:
        root = self.app.root
        if root is None or root.current != "staff_pin":
            return  # the pad was left (idle reset) meanwhile
        if result is not None and result.ok:
            self.active = True
            self.app.touch()
            root.get_screen("staff_pin").clear()
            self.app.set_language(self.app.kiosk_config.default_language)
            self.app.go("staff_menu")
            self.run("status", lambda s: s.device_views())
            return
        root.get_screen("staff_pin").show_refusal(result)

    # -- leaving -------------------------------------------------------------------------

    def check_idle(self, idle_s: float) -> bool:
        """Called by the app's idle check; True when staff mode handled it."""
        root = self.app.root
        if root is None or root.current not in ("staff_pin", "staff_menu"):
            return False
        if idle_s >= self.app.kiosk_config.staff.idle_timeout_s:
            self.close("idle_close")
        return True

    def close(self, why: str = "exit") -> None:
        """Back to the visitor start screen with nothing of staff mode left."""
        was_active = self.active
        self.active = False
        clear_screens(self.app.root, ("staff_pin", "staff_menu"))
        if was_active:
            self._audit(why)
        self.app.reset_visit()

    def _audit(self, action: str) -> None:
        def work():
            try:
                self.staff.audit(action)
            except Exception as err:  # noqa: BLE001
                log.error("staff audit not written: %s", err)

        threading.Thread(target=work, name="staff-audit", daemon=True).start()

    # -- functions -----------------------------------------------------------------------

    def run(self, name: str, call) -> None:
        """One staff function in a worker; its result (or failure) goes to the menu."""
        if not self.active:
            return
        self.app.touch()

        def work():
            try:
                result, ok = call(self.staff), True
            except Exception as err:  # noqa: BLE001 - the menu says it did not work
                log.error("staff function %s failed: %s", name, err)
                result, ok = None, False
            self._done(name, result, ok)

        threading.Thread(target=work, name=f"staff-{name}", daemon=True).start()

    @mainthread
    def _done(self, name: str, result, ok: bool) -> None:
        if self._stopped or not self.active:
            return
        menu = self.app.root.get_screen("staff_menu")
        menu.show_result(name, result, ok)
        if name in ("service", "notice", "out_of_service", "paper"):
            self.refresh_settings(then=lambda: menu.refresh())
        if name == "paper" and self.app.printer is not None:
            self.app.printer_ok = bool(self.app.printer.status.ok_to_print)

    def restart(self) -> None:
        if not self.active:
            return
        self._audit("restart")
        self.app.request_exit(RESTART_EXIT_CODE)
