"""The check-in flow's controller: checks a scanned or typed booking code in a worker
thread (CheckInService: source, store, printer) and hands the result to the check-in
screens on the UI thread. Scans arrive here from the scanner's thread; outside the
check-in screens they only bring up a short hint. A scan's payload is never shown or
logged: logs carry the outcome code only."""

from __future__ import annotations

import logging
import threading

from kivy.clock import Clock

from kiosk.devices.scanner.handoff import ScanHandoff
from kiosk.screens.flow import FlowWorker, clear_screens, entered_from, way_back
from kiosk.services.check_in_result import CheckInOutcome, CheckInResult

log = logging.getLogger(__name__)

# Screens on which a scan is a check-in; on every other screen it brings up the hint.
FLOW_SCREENS = ("checkin_scan", "checkin_keypad", "checkin_result", "checkin_ticket")


class CheckIn(FlowWorker):
    def __init__(self, app, service=None, scans: ScanHandoff | None = None) -> None:
        self.app = app
        self.service = service  # services.check_in.CheckInService; None: nothing to check
        self.scans = scans
        self._busy = threading.Lock()
        self._visit = 0  # reset() starts a new one: a late result of the last is not shown
        self._stopped = False
        self.came_from = "language"  # where "Back" on the scan screen leads
        self.last_entry = "checkin_scan"  # where "Try again" leads

    preview = False  # screenshots and the layout sweep: the screens without a service

    @property
    def enabled(self) -> bool:
        """Check-in is offered: the start and services screens show the entry. Not when
        the service could not be built (the terminal logs why): no entry that can only
        answer "not possible"."""
        return bool(self.app.kiosk_config.appointments.enabled) and (
            self.service is not None or self.preview)

    @property
    def busy(self) -> bool:
        return self._busy.locked()

    def start(self) -> None:
        if self.scans is not None:
            self.scans.set_listener(self._scan_arrived)

    def stop(self) -> None:
        self._stopped = True  # a result already on its way to the UI is dropped
        if self.scans is not None:
            self.scans.set_listener(None)

    def reset(self) -> None:
        """The visitor is gone (idle reset, Finish): forget the typed code and the result."""
        self._visit += 1
        self.came_from, self.last_entry = "language", "checkin_scan"
        clear_screens(self.app.root, FLOW_SCREENS)

    # -- entering the flow ---------------------------------------------------------------

    def open(self) -> None:
        """The visitor tapped "I have an appointment"."""
        root = self.app.root
        self.came_from = entered_from(root, FLOW_SCREENS, self.came_from)
        root.get_screen("checkin_keypad").clear()
        self.last_entry = "checkin_scan"
        self.app.go("checkin_scan")

    def back(self) -> None:
        self.app.go(way_back(self.came_from))

    def try_again(self) -> None:
        self.app.go(self.last_entry)

    # -- scans -------------------------------------------------------------------------

    def _scan_arrived(self, event) -> None:
        # on the scanner's thread: the screen in front of the visitor decides, on the UI's
        payload = event.payload
        Clock.schedule_once(lambda _dt: self.scan(payload), 0)

    def scan(self, payload: str) -> bool:
        """A scan on the UI thread: checked in on the check-in screens, else the hint.
        True when a check-in was started."""
        root = self.app.root
        if self._stopped or root is None:
            return False
        self.app.touch()  # someone is at the terminal
        if root.current in FLOW_SCREENS and self.enabled:
            if self.busy:
                log.info("scan ignored: a check-in is being checked")
                return False
            self.last_entry = "checkin_scan"
            return self.submit(payload, typed=False)
        log.info("scan outside the check-in screens: hint shown")
        from kiosk.widgets.scan_hint import show_scan_hint

        show_scan_hint(root, self.app, offered=self.enabled)
        return False

    # -- checking ----------------------------------------------------------------------

    def submit(self, raw: str, typed: bool) -> bool:
        """Check the code in a worker thread; a second one while checking does nothing."""
        if not self._busy.acquire(blocking=False):
            return False
        if typed:
            self.last_entry = "checkin_keypad"
        root = self.app.root
        root.get_screen("checkin_result").show_checking()
        self.app.go("checkin_result")
        threading.Thread(target=self._check_worker, args=(raw, typed, self.app.lang,
                                                           self._visit),
                         name="check-in", daemon=True).start()
        return True

    def _check_worker(self, raw: str, typed: bool, lang: str, visit: int) -> None:
        try:
            try:
                if self.service is None:
                    raise RuntimeError("no check-in service")
                result = self.service.check_in(raw, lang, typed=typed)
            except Exception as err:  # noqa: BLE001 - a visitor never sees a traceback
                log.error("check-in failed: %s", type(err).__name__)  # no message: a payload
                result = CheckInResult(CheckInOutcome.NOT_AVAILABLE)
            log.info("check-in: %s", result.outcome.value)
            self._on_ui(visit, self._show_result, result, lang)
            if result.outcome is CheckInOutcome.CHECKED_IN:
                self._print_and_report(visit, lambda: self.service.print_ticket(result),
                                       "check-in ticket")
        finally:
            self._busy.release()

    def _show_result(self, result: CheckInResult, lang: str) -> None:
        root = self.app.root
        if result.outcome in (CheckInOutcome.CHECKED_IN, CheckInOutcome.ALREADY_CHECKED_IN):
            root.get_screen("checkin_ticket").show_result(result)
            root.show("checkin_ticket")
        else:
            root.get_screen("checkin_result").show_result(result)
            root.show("checkin_result")

    def _show_printed(self, printed: bool) -> None:
        self.app.root.get_screen("checkin_ticket").show_print_result(printed)

    # -- too late: a walk-in ticket in one tap ---------------------------------------------

    def walk_in_instead(self, result: CheckInResult) -> bool:
        if self.service is None or not self._busy.acquire(blocking=False):
            return False
        root = self.app.root
        root.get_screen("ticket").show_issuing(result.service or "")
        self.app.go("ticket")
        threading.Thread(target=self._walk_in_worker, args=(result, self.app.lang,
                                                             self._visit),
                         name="walk-in-instead", daemon=True).start()
        return True

    def _walk_in_worker(self, result: CheckInResult, lang: str, visit: int) -> None:
        from kiosk.services.issue_ticket import Refused

        try:
            try:
                issued = self.service.walk_in_instead(result, lang)
            except Refused as err:
                self._on_ui(visit, self._show_walk_in_refusal, err.reason.value)
                return
            self._on_ui(visit, self._show_walk_in, issued)
            try:
                report = self.app.tickets.print_ticket(issued)
            except Exception as err:  # noqa: BLE001
                log.error("printing the walk-in ticket crashed: %s", type(err).__name__)
                report = None
            self._on_ui(visit, self._show_walk_in_printed, bool(report and report.printed))
        except Exception as err:  # noqa: BLE001
            log.error("walk-in instead of a late check-in failed: %s", type(err).__name__)
            self._on_ui(visit, self._show_walk_in_refusal, "error")
        finally:
            self._busy.release()

    def _show_walk_in(self, issued) -> None:
        self.app.root.get_screen("ticket").show_ticket(
            number=issued.ticket.number, service=issued.service.id,
            people_ahead=issued.people_ahead, estimate_min=issued.estimate.minutes,
            offline=getattr(issued, "offline", False))

    def _show_walk_in_printed(self, printed: bool) -> None:
        self.app.root.get_screen("ticket").show_print_result(printed)

    def _show_walk_in_refusal(self, reason: str) -> None:
        self.app.root.get_screen("services").show_refusal(reason)
        self.app.root.show("services")
