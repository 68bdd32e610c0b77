"""Issue a walk-in ticket: the same path for a tap on the screen and `kiosk ticket`.

Issuing (store) and printing (device) are two steps so the screen can show the number
at once and the printer's fate afterwards; a dead printer never costs the visitor
their place in the queue. Store faults leave as StoreError, printer faults of any kind
as a not-printed result: a number once issued is always shown."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Callable, Iterator

from kiosk.config import Config, ServiceConfig
from kiosk.domain.call_order import call_orders
from kiosk.domain.clock import business_day, utc_now
from kiosk.domain.estimate import ACTIVE_WINDOW_S, WaitEstimate, estimate_wait
from kiosk.domain.estimate import UNKNOWN as UNKNOWN_ESTIMATE
from kiosk.domain.numbering import MAX_SEQUENCE
from kiosk.domain.ticket import Ticket
from kiosk.i18n import N_
from kiosk.services.ports import DocumentPrinter, QueueStore
from kiosk.services.ticket_document import OFFICE_LANGUAGE, ticket_document
from kiosk.store.errors import QuotaReached, SequenceExhausted, StoreError, store_faults

log = logging.getLogger(__name__)

# What the services screen shows for Availability/Refusal EXHAUSTED (translated there
# with tr()): the note on the service's button, and the message after a tap.
EXHAUSTED_NOTE = N_("All numbers given out today")
EXHAUSTED_MESSAGE = N_("All numbers for this service have been given out today. "
                       "Please ask at the information desk.")


class Availability(Enum):
    OPEN = "open"
    CLOSED = "closed"  # outside opening hours
    QUOTA_REACHED = "quota_reached"
    EXHAUSTED = "exhausted"  # every number 001..999 of the prefix is used today
    DISABLED = "disabled"


class Refusal(Enum):
    UNKNOWN_SERVICE = "unknown_service"
    CLOSED = "closed"
    QUOTA_REACHED = "quota_reached"
    EXHAUSTED = "exhausted"
    DISABLED = "disabled"
    BUSY = "busy"  # a ticket is being issued right now (double tap)
    STAFF_CLOSED = "staff_closed"  # closed for today by staff (services/staff.py)
    OFFLINE = "offline"  # the office server cannot be reached ([store] offline)


class Refused(Exception):
    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class PrintReport:
    """What became of a ticket's print: `printed` is the truth about the paper, even
    when recording it failed (`record_error`)."""

    printed: bool
    error: str | None  # short operator-facing reason, no personal data
    state: object = None  # the printer's state, for the screen's message
    record_error: str | None = None

    @property
    def recorded(self) -> bool:
        return self.record_error is None


def _result_code(report: PrintReport) -> str | None:
    """What the store keeps of a failed print: the printer's state, never free text."""
    if report.printed:
        return None
    value = getattr(report.state, "value", None)
    return value if isinstance(value, str) and value != "online" else "failed"


def _one_line(err: BaseException, limit: int = 200) -> str:
    text = " ".join(f"{type(err).__name__}: {err}".split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


@dataclass(frozen=True)
class IssuedTicket:
    ticket: Ticket
    service: ServiceConfig
    estimate: WaitEstimate

    @property
    def people_ahead(self) -> int | None:
        return self.estimate.people_ahead


class TicketService:
    """Issues tickets. One per terminal process; safe to call from a worker thread."""

    def __init__(self, config: Config, store: QueueStore, printer: DocumentPrinter | None,
                 clock: Callable[[], datetime] = utc_now, min_interval_s: float = 0.5,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.config, self.store, self.printer = config, store, printer
        self.clock, self.min_interval_s, self.monotonic = clock, min_interval_s, monotonic
        self._busy = threading.Lock()
        self._last_issue = float("-inf")

    def availability(self, service: ServiceConfig, now: datetime | None = None) -> Availability:
        now = now or self.clock()
        return self.config_availability(service, now) or self.queue_availability(service, now)

    def config_availability(self, service: ServiceConfig,
                            now: datetime) -> Availability | None:
        """DISABLED or CLOSED from the configuration and the clock alone (no store: the
        screen may ask this on the UI thread); None when the queue decides."""
        if not service.enabled:
            return Availability.DISABLED
        if not self.config.hours_for(service).is_open(now):
            return Availability.CLOSED
        return None

    def queue_availability(self, service: ServiceConfig, now: datetime) -> Availability:
        """What the store says (quota, the 999 numbers) whatever the hours; StoreError
        when it cannot be read. May wait for the store: never on the UI thread."""
        day = business_day(now)
        with store_faults("reading the queue"):
            if service.daily_quota is not None and \
                    self.store.issued_today(service.id, day) >= service.daily_quota:
                return Availability.QUOTA_REACHED
            if self.store.last_sequence(service.prefix, day) >= MAX_SEQUENCE:
                return Availability.EXHAUSTED
        return Availability.OPEN

    @contextmanager
    def _issuing(self, service_id: str) -> Iterator[ServiceConfig]:
        """The guard of every issue (here and over the office server): the service must
        be known, one issue at a time, none within min_interval_s of the last. Yields
        the service; the interval counts from a block that ends without an exception
        (a Refused or StoreError leaves it as it was)."""
        service = self.config.service(service_id)
        if service is None:
            valid = ", ".join(s.id for s in self.config.services)
            raise Refused(Refusal.UNKNOWN_SERVICE, f"unknown service {service_id!r}; "
                          f"valid: {valid}")
        # The debounce lives here, not only in the widget: a second tap while the first
        # is handled, or within min_interval_s (EN 301 549 5.8), issues nothing.
        if not self._busy.acquire(blocking=False):
            raise Refused(Refusal.BUSY, "a ticket is being issued")
        try:
            if self.monotonic() - self._last_issue < self.min_interval_s:
                raise Refused(Refusal.BUSY, "pressed twice")
            yield service
            self._last_issue = self.monotonic()
        finally:
            self._busy.release()

    def issue(self, service_id: str, lang: str) -> IssuedTicket:
        with self._issuing(service_id) as service:
            now = self.clock()
            state = self.availability(service, now)
            if state is not Availability.OPEN:
                raise Refused(Refusal(state.value), _refusal_text(service, state))
            lang = lang if lang in self.config.languages else self.config.default_language
            try:
                with store_faults("issuing a number"):
                    ticket = self.store.issue(service.id, service.prefix, lang, now,
                                              business_day(now), service.daily_quota)
            except QuotaReached as err:
                raise Refused(Refusal.QUOTA_REACHED, str(err)) from err
            except SequenceExhausted as err:
                raise Refused(Refusal.EXHAUSTED, str(err)) from err
        try:
            estimate = self.estimate(ticket, now)
        except StoreError as err:
            # The number is committed: the visitor gets it, with "not known" for the
            # figures, rather than an error that hides a number already taken.
            log.error("ticket %s issued, but the queue could not be read for the estimate: "
                      "%s", ticket.number, err)
            estimate = UNKNOWN_ESTIMATE
        return IssuedTicket(ticket, service, estimate)

    def estimate(self, ticket: Ticket, now: datetime) -> WaitEstimate:
        with store_faults("reading the queue"):
            # what is really ahead: the calling order (emergency cases, begun slots)
            ahead = self.store.people_ahead(ticket, now, call_orders(self.config.services))
            counters = self.store.active_counters(ticket.service,
                                                  now - timedelta(seconds=ACTIVE_WINDOW_S))
            times = self.store.service_times_s(ticket.service, ticket.business_day)
        return estimate_wait(ahead, counters, times)

    def document(self, issued: IssuedTicket):
        default = self.config.default_language
        lang = issued.ticket.lang
        return ticket_document(
            office=self.config.office, number=issued.ticket.number,
            service_name_de=issued.service.name(OFFICE_LANGUAGE, default),
            service_name_visitor=issued.service.name(lang, default), lang=lang,
            issued_at=issued.ticket.issued_at, estimate=issued.estimate,
            reference=issued.ticket.reference if self.config.printer.qr else None,
            slot=issued.ticket.slot)

    def print_ticket(self, issued: IssuedTicket) -> PrintReport:
        """Print and record the result; never raises. A ticket whose bytes went out is
        reported printed even when the result cannot be recorded (logged for staff)."""
        number = issued.ticket.number
        if self.printer is None:
            report = PrintReport(False, "no printer configured")
        else:
            try:
                outcome = self.printer.print_document(self.document(issued))
                report = PrintReport(bool(outcome.printed), outcome.error,
                                     getattr(outcome, "state", None))
            except Exception as err:  # noqa: BLE001 - a driver bug must not hide the number
                log.error("ticket %s: printing failed unexpectedly: %s", number,
                          _one_line(err), exc_info=True)
                report = PrintReport(False, f"printer failed: {_one_line(err)}")
        try:
            with store_faults("recording the print result"):
                self.store.record_print(issued.ticket.id, report.printed,
                                        _result_code(report), self.clock())
        except Exception as err:  # noqa: BLE001 - the paper's fate stays the truth
            log.error("ticket %s %s, but the print result could not be recorded: %s",
                      number, "printed" if report.printed else "not printed", err)
            report = PrintReport(report.printed, report.error, report.state, str(err))
        return report


def _refusal_text(service: ServiceConfig, state: Availability) -> str:
    return {
        Availability.CLOSED: f"service {service.id!r} is closed now (outside opening hours)",
        Availability.QUOTA_REACHED: f"service {service.id!r} has reached its daily quota "
                                    f"of {service.daily_quota} tickets",
        Availability.EXHAUSTED: f"all {MAX_SEQUENCE} numbers of prefix {service.prefix} "
                                f"are used today (service {service.id!r}); numbering "
                                f"starts again at midnight",
        Availability.DISABLED: f"service {service.id!r} is switched off",
    }[state]
