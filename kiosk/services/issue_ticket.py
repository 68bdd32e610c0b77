"""Issue a walk-in ticket: the same path for a tap on the screen and `kiosk ticket`.

Issuing (store) and printing (device) are two steps so the screen can show the number
at once and the printer's fate afterwards; a dead printer never costs the visitor
their place in the queue."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Callable

from kiosk.config import Config, ServiceConfig
from kiosk.domain.clock import business_day, utc_now
from kiosk.domain.estimate import ACTIVE_WINDOW_S, WaitEstimate, estimate_wait
from kiosk.domain.ticket import Ticket
from kiosk.services.ports import DocumentPrinter, PrintOutcome, QueueStore
from kiosk.services.ticket_document import OFFICE_LANGUAGE, ticket_document
from kiosk.store.errors import QuotaReached


class Availability(Enum):
    OPEN = "open"
    CLOSED = "closed"  # outside opening hours
    QUOTA_REACHED = "quota_reached"
    DISABLED = "disabled"


class Refusal(Enum):
    UNKNOWN_SERVICE = "unknown_service"
    CLOSED = "closed"
    QUOTA_REACHED = "quota_reached"
    DISABLED = "disabled"
    BUSY = "busy"  # a ticket is being issued right now (double tap)


class Refused(Exception):
    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class IssuedTicket:
    ticket: Ticket
    service: ServiceConfig
    estimate: WaitEstimate

    @property
    def people_ahead(self) -> int:
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
        if not service.enabled:
            return Availability.DISABLED
        if not self.config.hours_for(service).is_open(now):
            return Availability.CLOSED
        if service.daily_quota is not None and \
                self.store.issued_today(service.id, business_day(now)) >= service.daily_quota:
            return Availability.QUOTA_REACHED
        return Availability.OPEN

    def issue(self, service_id: str, lang: str) -> IssuedTicket:
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
            now = self.clock()
            state = self.availability(service, now)
            if state is not Availability.OPEN:
                raise Refused(Refusal(state.value), _refusal_text(service, state))
            lang = lang if lang in self.config.languages else self.config.default_language
            try:
                ticket = self.store.issue(service.id, service.prefix, lang, now,
                                          business_day(now), service.daily_quota)
            except QuotaReached as err:
                raise Refused(Refusal.QUOTA_REACHED, str(err)) from err
            self._last_issue = self.monotonic()
        finally:
            self._busy.release()
        return IssuedTicket(ticket, service, self.estimate(ticket, now))

    def estimate(self, ticket: Ticket, now: datetime) -> WaitEstimate:
        ahead = self.store.people_ahead(ticket)
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
            reference=issued.ticket.reference if self.config.printer.qr else None)

    def print_ticket(self, issued: IssuedTicket) -> PrintOutcome:
        """Print and record the result; never raises for a device problem."""
        result = self.printer.print_document(self.document(issued)) if self.printer else \
            _NotPrinted("no printer configured")
        self.store.record_print(issued.ticket.id, result.printed, result.error)
        return result


@dataclass(frozen=True)
class _NotPrinted:
    error: str
    printed: bool = False
    state: None = None


def _refusal_text(service: ServiceConfig, state: Availability) -> str:
    return {
        Availability.CLOSED: f"service {service.id!r} is closed now (outside opening hours)",
        Availability.QUOTA_REACHED: f"service {service.id!r} has reached its daily quota "
                                    f"of {service.daily_quota} tickets",
        Availability.DISABLED: f"service {service.id!r} is switched off",
    }[state]
