"""The walk-in flow's controller: issues a ticket in a worker thread and keeps the
services' availability as a snapshot read by another worker, handing both to the
screens on the UI thread, so no screen waits for the store or the printer."""

from __future__ import annotations

import logging
import threading

from kivy.clock import Clock, mainthread

from kiosk.services.availability_snapshot import AvailabilitySnapshot

log = logging.getLogger(__name__)


class WalkIn:
    def __init__(self, app) -> None:
        self.app = app
        self._issuing = threading.Lock()
        self._stopped = False
        self.snapshot = AvailabilitySnapshot(app.tickets, app.kiosk_config.services,
                                             on_change=self._snapshot_changed)

    def start(self) -> None:
        self.snapshot.start()

    def stop(self) -> None:
        self._stopped = True  # a reading already on its way to the UI is dropped
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
        self.app.root.get_screen("ticket").show_ticket(
            number=issued.ticket.number, service=issued.service.id,
            people_ahead=issued.people_ahead, estimate_min=issued.estimate.minutes,
            offline=getattr(issued, "offline", False))

    @mainthread
    def _show_printed(self, result) -> None:
        printed = bool(result and result.printed)
        self.app.root.get_screen("ticket").show_print_result(printed)

    @mainthread
    def _show_refusal(self, reason: str) -> None:
        self.app.root.get_screen("services").show_refusal(reason)
        self.app.root.show("services")
