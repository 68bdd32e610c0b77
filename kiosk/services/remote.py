"""The terminal's services over the office server ([store] backend "http"): the same
methods and results as TicketService, CheckInService and IntakeService, one request per
tap, printing locally. When the server cannot be reached, numbers come from this
terminal's reserved range (or the visitor is sent to the desk) and check-ins and sealed
intakes wait in the durable outbox; the visitor is told which."""

from __future__ import annotations

import base64
import dataclasses
import logging
import threading
import uuid
from datetime import date, datetime, timezone

from kiosk.config import Config
from kiosk.domain.clock import business_day
from kiosk.domain.estimate import UNKNOWN as UNKNOWN_ESTIMATE
from kiosk.domain.estimate import WaitEstimate
from kiosk.domain.numbering import format_number
from kiosk.domain.ticket import Ticket, TicketState
from kiosk.i18n import N_
from kiosk.services.check_in_result import CheckInOutcome, CheckInResult
from kiosk.services.intake import IntakeService, IntakeSubmission
from kiosk.services.issue_ticket import (Availability, IssuedTicket, PrintReport, Refusal,
                                         Refused, TicketService, _one_line)
from kiosk.store.errors import StoreError
from kiosk.store.http import ApiRefused, ServerClient, Unreachable
from kiosk.store.outbox import Outbox

log = logging.getLogger(__name__)

_REFUSALS = {"quota_reached": Refusal.QUOTA_REACHED, "service_closed": Refusal.CLOSED,
             "unknown_service": Refusal.UNKNOWN_SERVICE, "exhausted": Refusal.EXHAUSTED,
             "staff_closed": Refusal.STAFF_CLOSED, "disabled": Refusal.DISABLED}


def _ticket(number: str, service: str, day: date, issued_at: datetime, lang: str,
            slot: datetime | None = None, kind: str = "walk_in") -> Ticket:
    """A ticket the server holds; id 0: there is no local row for it."""
    return Ticket(0, number, service, day, issued_at, lang, TicketState.WAITING, "",
                  slot=slot, kind=kind)


def _when(text) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class RemoteTicketService(TicketService):
    """Issues at the server; `local` is the terminal's own SQLite store (staff, counts)."""

    def __init__(self, config: Config, client: ServerClient, outbox: Outbox, printer,
                 local=None, **kwargs) -> None:
        super().__init__(config, local, printer, **kwargs)
        self.client, self.outbox = client, outbox
        self.offline_mode = config.store.offline
        self.offline_range = config.store.offline_range

    def queue_availability(self, service, now: datetime) -> Availability:
        # the server decides at the tap (quota, closed, 999 used) and says why
        return Availability.OPEN

    def issue(self, service_id: str, lang: str) -> IssuedTicket:
        # the same guard as the local path: unknown service, one at a time, the debounce
        with self._issuing(service_id) as service:
            now = self.clock()
            state = self.config_availability(service, now)
            if state is not None:
                raise Refused(Refusal(state.value), f"service {service.id!r}: {state.value}")
            lang = lang if lang in self.config.languages else self.config.default_language
            try:
                # the link known down: one try, the visitor does not wait for the retries
                answer = self.client.issue_ticket(
                    service.id, lang, retries=0 if self.client.reachable is False else None)
            except ApiRefused as err:
                if err.error in _REFUSALS:
                    raise Refused(_REFUSALS[err.error], err.reason) from err
                log.error("the office server refused a ticket: %s %s", err.status, err.error)
                raise StoreError(f"the office server refused: {err.status} {err.error}",
                                 kind="other") from err
            except Unreachable as err:
                log.warning("office server not reachable for a ticket: %s", err)
                # a number from the reserved range counts for the debounce too
                return self._offline(service, lang, now, err)
        ticket = _ticket(answer["number"], answer["service"],
                         date.fromisoformat(answer["business_day"]),
                         _when(answer["issued_at"]), lang)
        return IssuedTicket(ticket, service, WaitEstimate(answer.get("people_ahead"),
                                                          answer.get("estimate_min")))

    def _offline(self, service, lang: str, now: datetime, why) -> IssuedTicket:
        """A number from the reserved range, queued for the server; or Refused OFFLINE."""
        if self.offline_mode != "local_range":
            raise Refused(Refusal.OFFLINE, f"the office server cannot be reached ({why}); "
                          f"[store] offline = \"ask_at_desk\": no number issued")
        first, last = self.offline_range
        day = business_day(now)
        seq = self.outbox.next_offline_sequence(service.prefix, day, first, last)
        if seq is None:
            raise Refused(Refusal.OFFLINE, f"the office server cannot be reached and the "
                          f"reserved numbers {first}-{last} of {service.prefix} are used")
        number = format_number(service.prefix, seq)
        self.outbox.put("offline_ticket", {"number": number, "service": service.id,
                                           "language": lang, "issued_at": now.isoformat()},
                        now=now)
        log.info("ticket %s issued offline from the reserved range", number)
        return OfflineIssued(_ticket(number, service.id, day, now, lang), service,
                             UNKNOWN_ESTIMATE)

    def estimate(self, ticket: Ticket, now: datetime) -> WaitEstimate:
        return UNKNOWN_ESTIMATE  # the server's figures come with the number

    def print_ticket(self, issued: IssuedTicket) -> PrintReport:
        """Print as the local path does; the result stays in this terminal's log (the
        server keeps no print record). Never raises."""
        if self.printer is None:
            return PrintReport(False, "no printer configured")
        try:
            outcome = self.printer.print_document(self.document(issued))
            report = PrintReport(bool(outcome.printed), outcome.error,
                                 getattr(outcome, "state", None))
        except Exception as err:  # noqa: BLE001 - a driver bug must not hide the number
            log.error("ticket %s: printing failed unexpectedly: %s", issued.ticket.number,
                      _one_line(err), exc_info=True)
            report = PrintReport(False, f"printer failed: {_one_line(err)}")
        if not report.printed:
            log.warning("ticket %s not printed: %s", issued.ticket.number, report.error)
        return report


@dataclasses.dataclass(frozen=True)
class OfflineIssued(IssuedTicket):
    """A number from this terminal's reserved range while the server was away."""

    offline: bool = True


class RemoteCheckIn:
    """CheckInService's methods over POST /api/v1/checkins; offline the check-in waits
    in the outbox and the visitor hears so (CheckInOutcome.QUEUED)."""

    def __init__(self, config: Config, client: ServerClient, outbox: Outbox,
                 tickets) -> None:
        self.config, self.client, self.outbox, self.tickets = config, client, outbox, tickets
        self.printer = tickets.printer
        self.clock = tickets.clock
        self._lock = threading.Lock()
        self._langs: dict[str, str] = {}  # number -> the visitor's language, until printed

    def check_in(self, raw: str, lang: str, typed: bool = False) -> CheckInResult:
        """Never raises for anything a visitor can hold up or type."""
        lang = lang if lang in self.config.languages else self.config.default_language
        if not self.config.appointments.enabled:
            return CheckInResult(CheckInOutcome.NOT_AVAILABLE)
        scanned = self.clock()  # before any wait for the lock or the retries
        with self._lock:
            key = str(uuid.uuid4())  # the same for the retries and the outbox
            try:
                answer = self.client.check_in(
                    raw, typed, lang, key,
                    retries=0 if self.client.reachable is False else None)
            except Unreachable as err:
                log.warning("office server not reachable for a check-in: %s", err)
                try:
                    # the same key: a request that did arrive is not applied twice
                    # (the server leaves arrived_at out of the comparison); the window
                    # is judged when the visitor scanned, not when the line is back
                    self.outbox.put("checkin", {
                        "code": raw, "typed": typed, "language": lang,
                        "arrived_at": scanned.astimezone(timezone.utc).isoformat()},
                        key=key)
                except StoreError as store_err:
                    log.error("check-in not queued: %s", store_err)
                    return CheckInResult(CheckInOutcome.NOT_AVAILABLE)
                return CheckInResult(CheckInOutcome.QUEUED)
            except ApiRefused as err:
                log.error("the office server refused a check-in: %s %s", err.status,
                          err.error)
                return CheckInResult(CheckInOutcome.NOT_AVAILABLE)
        result = _result(answer)
        if result.number:
            self._langs[result.number] = lang  # the ticket is printed in their language
        return result

    def print_ticket(self, result: CheckInResult, lang: str | None = None) -> PrintReport:
        if not result.ok or not result.number or not result.service:
            return PrintReport(False, "nothing to print")
        service = self.config.service(result.service)
        if service is None:
            return PrintReport(False, "ticket not found")
        now = self.clock()
        ticket = _ticket(result.number, result.service, business_day(now), now,
                         lang or self._langs.pop(result.number, None)
                         or self.config.default_language, slot=result.slot,
                         kind="appointment")
        return self.tickets.print_ticket(IssuedTicket(
            ticket, service, WaitEstimate(result.people_ahead, result.estimate_min)))

    def walk_in_instead(self, result: CheckInResult, lang: str) -> IssuedTicket:
        if result.outcome is not CheckInOutcome.TOO_LATE or not result.service:
            raise ValueError("a walk-in ticket instead is offered only when too late")
        return self.tickets.issue(result.service, lang)

    def mark_no_shows(self) -> int:
        return 0  # the server's job for the whole office


def _result(answer: dict) -> CheckInResult:
    try:
        outcome = CheckInOutcome(answer.get("outcome"))
    except ValueError:
        log.error("the office server answered an unknown check-in outcome")
        outcome = CheckInOutcome.NOT_AVAILABLE
    return CheckInResult(outcome, service=answer.get("service"),
                         slot=_when(answer.get("slot")), number=answer.get("number"),
                         people_ahead=answer.get("people_ahead"),
                         estimate_min=answer.get("estimate_min"))


class RemoteIntakeStore:
    """The intake service's store: sealed blobs go to the server (or the outbox), the
    statistics and anything else to the terminal's own store."""

    def __init__(self, local, client: ServerClient, outbox: Outbox) -> None:
        self._local, self.client, self.outbox = local, client, outbox
        self.queued: set[str] = set()  # references waiting in the outbox

    def __getattr__(self, name: str):
        return getattr(self._local, name)

    def sealed(self, reference: str):
        return None  # a random reference of 45 bits: the server refuses a clash

    def put_sealed(self, reference: str, sealed: bytes, key_id: str, now: datetime) -> None:
        body = {"reference": reference, "key_id": key_id,
                "sealed": base64.b64encode(sealed).decode("ascii")}
        key = str(uuid.uuid4())
        try:
            self.client.submit_intake(body, key,
                                      retries=0 if self.client.reachable is False else None)
        except Unreachable as err:
            log.warning("office server not reachable for intake %s: queued (%s)",
                        reference, err)
            self.outbox.put("intake", body, key=key, now=now)  # StoreError: not stored
            self.queued.add(reference)
        except ApiRefused as err:
            raise StoreError(f"the office server refused the intake: {err.status} "
                             f"{err.error}") from err

    def record_print(self, ticket_id: int, *args, **kwargs) -> None:
        if ticket_id:  # 0: a ticket of the server, no local row
            self._local.record_print(ticket_id, *args, **kwargs)


# for the receipt screen when a submission is `queued` (translated there with tr())
INTAKE_QUEUED_NOTE = N_("Your form is saved on this terminal. It reaches the office as "
                        "soon as the connection to the office server is back; your "
                        "reference is valid.")


@dataclasses.dataclass(frozen=True)
class QueuedSubmission(IntakeSubmission):
    """Sealed and kept in the outbox: it reaches the office when the line is back."""

    queued: bool = True


class RemoteIntakeService(IntakeService):
    def submit(self, intake, acknowledged=frozenset(), strict: bool = False):
        submission = super().submit(intake, acknowledged, strict)
        queued = getattr(self.store, "queued", set())
        if submission.reference is not None and submission.reference in queued:
            queued.discard(submission.reference)
            return QueuedSubmission(**{f.name: getattr(submission, f.name)
                                       for f in dataclasses.fields(IntakeSubmission)})
        return submission
