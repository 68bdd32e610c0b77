"""Check in with a booking code: the same path for a scan, the keypad and `kiosk checkin`.

Parse the code (never echoed anywhere), find the booking in the source, apply the rules
of kiosk/domain/checkin_window.py, tell the booking system (ZMS) the visitor is here,
then issue the appointment ticket exactly once in the store. Every way this can end is a
CheckInResult with a stable outcome; logs carry outcome codes only, never a reference."""

from __future__ import annotations

import dataclasses
import logging
import threading
from datetime import datetime, timedelta
from typing import Callable, Sequence

from kiosk.appointments.source import AppointmentSource, SourceUnavailable
from kiosk.config import Config
from kiosk.config_model import ServiceAppointments
from kiosk.domain.appointment import BookingStatus, CodeRefusal
from kiosk.domain.call_order import call_orders
from kiosk.domain.checkin_code import host_of, parse_code, parse_typed
from kiosk.domain.checkin_window import Verdict, evaluate
from kiosk.domain.clock import business_day, utc_now
from kiosk.domain.estimate import ACTIVE_WINDOW_S, WaitEstimate, estimate_wait
from kiosk.domain.ticket import Ticket
from kiosk.services.check_in_result import CheckInOutcome, CheckInResult
from kiosk.services.issue_ticket import IssuedTicket, PrintReport, TicketService
from kiosk.store.errors import SequenceExhausted, StoreError, store_faults

log = logging.getLogger(__name__)

_VERDICT_OUTCOME = {
    Verdict.WRONG_OFFICE: CheckInOutcome.WRONG_OFFICE,
    Verdict.WRONG_DAY: CheckInOutcome.WRONG_DAY,
    Verdict.TOO_EARLY: CheckInOutcome.TOO_EARLY,
    Verdict.TOO_LATE: CheckInOutcome.TOO_LATE,
    Verdict.CANCELLED: CheckInOutcome.CANCELLED,
    Verdict.ALREADY_CHECKED_IN: CheckInOutcome.ALREADY_CHECKED_IN,
}


def _judged_at(arrived_at: datetime | None, now: datetime) -> datetime:
    """The moment a check-in is judged at: when the visitor scanned, never later than
    now (a terminal clock a little ahead), and now when that was on an earlier business
    day (yesterday's queue is closed; the booking's day decides then)."""
    if arrived_at is None or arrived_at >= now:
        return now
    if business_day(arrived_at) != business_day(now):
        return now
    return arrived_at


class CheckInService:
    """One per terminal process; safe to call from a worker thread."""

    def __init__(self, config: Config, store, source: AppointmentSource, printer,
                 clock: Callable[[], datetime] | None = None, keys: Sequence[bytes] = (),
                 tickets: TicketService | None = None) -> None:
        self.config, self.store, self.source, self.printer = config, store, source, printer
        self.clock = clock or utc_now
        self.keys = tuple(keys)
        # printing and the walk-in offer take the walk-in path itself
        self.tickets = tickets or TicketService(config, store, printer, clock=self.clock)
        zms = config.appointments.zms
        host = host_of(zms.url) if zms and zms.url else None
        self.zms_hosts = (host,) if host else ()
        self._orders = call_orders(config.services)
        self._lock = threading.Lock()  # one check-in at a time in this process

    # -- checking in -----------------------------------------------------------------

    def check_in(self, raw: str, lang: str, typed: bool = False,
                 arrived_at: datetime | None = None) -> CheckInResult:
        """Never raises for anything a visitor can hold up or type. `arrived_at`: when
        the code was scanned at a terminal, when that was earlier than now (a check-in
        its outbox kept while the office server was out of reach); the window is judged
        then, not when the record arrives."""
        with self._lock:
            now = self.clock()
            try:
                result = self._check_in(raw, lang, typed, now, _judged_at(arrived_at, now))
            except StoreError as err:
                log.error("check-in: the store failed (%s)", err.kind)
                result = CheckInResult(CheckInOutcome.NOT_AVAILABLE)
            if not result.ok:
                self._count_refusal(now, result)
        log.info("check-in: %s", result.outcome.value)
        return result

    def _check_in(self, raw: str, lang: str, typed: bool, now: datetime,
                  at: datetime) -> CheckInResult:
        if not self.config.appointments.enabled:
            return CheckInResult(CheckInOutcome.NOT_AVAILABLE)
        office_id = self.config.appointments.office_id
        if typed:
            code = parse_typed(raw)
        else:
            code = parse_code(raw, keys=self.keys, office_id=office_id,
                              zms_hosts=self.zms_hosts)
        if isinstance(code, CodeRefusal):
            return CheckInResult(CheckInOutcome.NOT_A_BOOKING, refusal=code)
        if code.office is not None and code.office.casefold() != office_id.casefold():
            # signed by us for another office: no need to look the booking up
            return CheckInResult(CheckInOutcome.WRONG_OFFICE)
        try:
            booking = self.source.find(code)
        except SourceUnavailable as err:
            log.warning("check-in: booking system not reachable: %s", err)
            return CheckInResult(CheckInOutcome.UNREACHABLE)
        if booking is None:
            return CheckInResult(CheckInOutcome.UNKNOWN)
        service = self.config.service(booking.service)
        if service is None or not service.enabled:
            return CheckInResult(CheckInOutcome.NOT_AVAILABLE, service=booking.service,
                                 slot=booking.start)
        held = self.store.checked_in_ticket(booking.reference)
        if held is not None:
            if booking.status is BookingStatus.MISSED:
                # the booking system gave the visit up after our check-in (ZMS: called
                # at a counter, did not come): the number held here leads nowhere now,
                # so the answer is a missed appointment's, with a walk-in ticket instead
                return CheckInResult(CheckInOutcome.TOO_LATE, service=service.id,
                                     slot=booking.start)
            return self._already(held, now)
        rules = service.appointments or ServiceAppointments(prefix="T")
        if at < now and booking.status is BookingStatus.MISSED:
            # marked missed when its window closed here, but the visitor had scanned in
            # time at a terminal cut off from the server: the window decides at `at`
            booking = dataclasses.replace(booking, status=BookingStatus.CONFIRMED)
        window = evaluate(booking, rules, self.config.appointments.office_id, at)
        if window.verdict is not Verdict.OK:
            return CheckInResult(_VERDICT_OUTCOME[window.verdict], service=service.id,
                                 slot=booking.start, come_back_at=window.come_back_at)
        try:
            arrived = self.source.mark_arrived(booking, at)
        except SourceUnavailable as err:
            log.warning("check-in: booking system not reachable: %s", err)
            return CheckInResult(CheckInOutcome.UNREACHABLE, service=service.id,
                                 slot=booking.start)
        if not arrived:  # another terminal has it; ours may have the ticket by now
            held = self.store.checked_in_ticket(booking.reference)
            if held is not None:
                return self._already(held, now)
            return CheckInResult(CheckInOutcome.ALREADY_CHECKED_IN, service=service.id,
                                 slot=booking.start)
        lang = lang if lang in self.config.languages else self.config.default_language
        try:
            with store_faults("checking in"):
                # issued when they came: their wait is counted from then
                ticket, created = self.store.check_in(
                    booking, rules.prefix, lang, at, business_day(at),
                    timing=window.timing.value if window.timing else None)
        except SequenceExhausted:
            return CheckInResult(CheckInOutcome.NOT_AVAILABLE, service=service.id,
                                 slot=booking.start)
        if not created:  # the same code scanned at the same moment elsewhere
            return self._already(ticket, now)
        estimate = self._estimate(ticket, now)
        return CheckInResult(CheckInOutcome.CHECKED_IN, service=ticket.service,
                             slot=ticket.slot, number=ticket.number, ticket_id=ticket.id,
                             people_ahead=estimate.people_ahead,
                             estimate_min=estimate.minutes)

    def _already(self, ticket: Ticket, now: datetime) -> CheckInResult:
        """The number they already have; nothing new is printed."""
        return CheckInResult(CheckInOutcome.ALREADY_CHECKED_IN, service=ticket.service,
                             slot=ticket.slot, number=ticket.number, ticket_id=ticket.id)

    def _estimate(self, ticket: Ticket, now: datetime) -> WaitEstimate:
        try:
            with store_faults("reading the queue"):
                ahead = self.store.people_ahead(ticket, now, self._orders)
                counters = self.store.active_counters(
                    ticket.service, now - timedelta(seconds=ACTIVE_WINDOW_S))
                times = self.store.service_times_s(ticket.service, ticket.business_day)
        except StoreError as err:
            # the check-in is committed: the number is shown, the figures are unknown
            log.error("check-in done, but the queue could not be read for the estimate: %s",
                      err.kind)
            return WaitEstimate(None, None)
        return estimate_wait(ahead, counters, times)

    def _count_refusal(self, now: datetime, result: CheckInResult) -> None:
        try:
            with store_faults("counting a refused check-in"):
                self.store.count_checkin(business_day(now), result.service,
                                         result.outcome.value)
        except StoreError as err:  # statistics never cost a visitor their answer
            log.warning("check-in statistics not counted: %s", err.kind)

    # -- after the check-in ----------------------------------------------------------

    def print_ticket(self, result: CheckInResult) -> PrintReport:
        """Print the appointment ticket through the walk-in path (with the slot line);
        never raises."""
        if not result.ok or result.ticket_id is None:
            return PrintReport(False, "nothing to print")
        try:
            with store_faults("reading the queue"):
                ticket = self.store.ticket(result.ticket_id)
        except StoreError as err:
            return PrintReport(False, f"ticket not readable: {err.kind}")
        service = self.config.service(ticket.service) if ticket else None
        if ticket is None or service is None:
            return PrintReport(False, "ticket not found")
        issued = IssuedTicket(ticket, service,
                              WaitEstimate(result.people_ahead, result.estimate_min))
        return self.tickets.print_ticket(issued)

    def walk_in_instead(self, result: CheckInResult, lang: str) -> IssuedTicket:
        """Too late: a walk-in ticket for the booking's service in one call (Refused and
        StoreError as TicketService.issue raises them)."""
        if result.outcome is not CheckInOutcome.TOO_LATE or not result.service:
            raise ValueError("a walk-in ticket instead is offered only when too late")
        return self.tickets.issue(result.service, lang)

    def mark_no_shows(self) -> int:
        """Bookings whose window has closed without a check-in become no-shows."""
        late = {s.id: s.appointments.late_min for s in self.config.services
                if s.appointments is not None}
        with store_faults("marking no-shows"):
            return self.store.mark_no_shows(self.clock(), late)
