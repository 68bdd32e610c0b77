"""The walk-in flow's controller: issues a ticket in a worker thread and keeps the
services' availability as a snapshot read by another worker, handing both to the
screens on the UI thread, so no screen waits for the store or the printer."""

from __future__ import annotations

import logging
import threading

from kivy.clock import Clock, mainthread

from kiosk.services.availability_snapshot import AvailabilitySnapshot

log = logging.getLogger(__name__)

# How long an issued number waits for the printer's answer before it is shown alone (the
# app's monotonic clock). A quick printer's answer comes with the number, one frame and
# one layout of the status line instead of two ("being printed", then "take your ticket";
# issue 9 item 4); a slow printer's comes after the number, as before. Short enough that
# "being issued" does not stay noticeably longer.
PRINT_HOLD_S = 0.15


class WalkIn:
    def __init__(self, app) -> None:
        self.app = app
        self._issuing = threading.Lock()
        self._stopped = False
        self._held = None  # (issued, since): a number waiting for the printer's answer
        self._hold_event = None
        self.snapshot = AvailabilitySnapshot(app.tickets, app.kiosk_config.services,
                                             on_change=self._snapshot_changed)

    def start(self) -> None:
        self.snapshot.start()

    def stop(self) -> None:
        self._stopped = True  # a reading already on its way to the UI is dropped
        if self._hold_event is not None:
            self._hold_event.cancel()
        self.snapshot.stop()

    # -- availability ------------------------------------------------------------------

    def state_of(self, service) -> str:
        """The state the service's button shows: disabled or closed from the
        configuration and the clock at once, the queue's part from the snapshot
        ("open" until the first reading: a tap's issue() refuses with the reason)."""
        tickets = self.app.tickets
        state = tickets.config_availability(service, tickets.clock())
        staff_message = self.app.staff.service_message(service.id)
        if state is None and staff_message is not None:
            return f"staff:{staff_message}"  # closed by staff for today, with their message
        return state.value if state is not None else self.snapshot.state(service.id)

    def services_shown(self) -> None:
        """The services screen is entered: read the queue again, in the worker."""
        self.snapshot.refresh_soon()

    def _snapshot_changed(self, _states) -> None:
        # called in the snapshot's thread: redraw on the UI thread's next frame
        Clock.schedule_once(self._redraw_services, 0)

    def _redraw_services(self, _dt=None) -> None:
        root = self.app.root
        if not self._stopped and root is not None and root.current == "services":
            root.get_screen("services").refresh()

    # -- issuing ---------------------------------------------------------------------

    def request_ticket(self, service_id: str) -> bool:
        """Issue in a worker thread; a second tap while one is issued does nothing."""
        if not self._issuing.acquire(blocking=False):
            return False
        self.app.root.get_screen("ticket").show_issuing(service_id)
        self.app.go("ticket")
        threading.Thread(target=self._issue_worker, args=(service_id, self.app.lang),
                         name="issue-ticket", daemon=True).start()
        return True

    def _issue_worker(self, service_id: str, lang: str) -> None:
        from kiosk.services.issue_ticket import Refused

        tickets = self.app.tickets
        try:
            try:
                issued = tickets.issue(service_id, lang)
            except Refused as err:
                staff_message = getattr(err, "message_id", None)  # closed by staff
                self._show_refusal(f"staff:{staff_message}" if staff_message
                                   else err.reason.value)
                return
            self._show_issued(issued)
            try:
                result = tickets.print_ticket(issued)
            except Exception:  # noqa: BLE001 - a visitor never sees a traceback
                log.exception("printing crashed")
                result = None
            self._show_printed(result)
        except Exception:  # noqa: BLE001
            log.exception("issuing crashed")
            self._show_refusal("error")
        finally:
            self._issuing.release()
            self.snapshot.refresh_soon()  # a quota or the 999th number may be reached

    @mainthread
    def _show_issued(self, issued) -> None:
        # held for the printer's answer (PRINT_HOLD_S), checked on every frame
        self._held = (issued, self.app.monotonic())
        self._hold_event = Clock.schedule_interval(self._end_hold, 0)

    def _end_hold(self, _dt=None, printed: bool | None = None):
        """Show the held number (with the printer's answer when it came): called on
        every frame while held, and with the answer."""
        if self._held is None:
            return False
        if printed is None and self.app.monotonic() - self._held[1] < PRINT_HOLD_S:
            return None  # still waiting for the printer
        if self._hold_event is not None:
            self._hold_event.cancel()
            self._hold_event = None
        issued, self._held = self._held[0], None
        self.app.root.get_screen("ticket").show_ticket(
            number=issued.ticket.number, service=issued.service.id,
            people_ahead=issued.people_ahead, estimate_min=issued.estimate.minutes,
            printed=printed, offline=getattr(issued, "offline", False))
        return False

    @mainthread
    def _show_printed(self, result) -> None:
        printed = bool(result and result.printed)
        if self._held is not None:  # the number and the printer's answer in one
            self._end_hold(printed=printed)
            return
        self.app.root.get_screen("ticket").show_print_result(printed)

    @mainthread
    def _show_refusal(self, reason: str) -> None:
        self.app.root.get_screen("services").show_refusal(reason)
        self.app.root.show("services")
