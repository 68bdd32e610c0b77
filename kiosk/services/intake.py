"""Finish an Anmeldung intake: validate it with the rules, seal it to the office's key,
store only the sealed blob under a random reference, count it (nothing personal), issue
a queue ticket when configured, and print the receipt. The same path for the screens and
`kiosk intake submit`; also the retention purge."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from kiosk.config import Config
from kiosk.domain.clock import business_day, utc_now
from kiosk.domain.intake import Intake
from kiosk.domain.intake_json import to_dict
from kiosk.domain.intake_reference import RANDOM_BYTES, new_reference
from kiosk.domain.intake_rules import Problem, blocking, validate
from kiosk.services.intake_codes import rules_for
from kiosk.services.intake_receipt import receipt_document
from kiosk.services.intake_seal import PublicKeyRef, load_public_keys, seal
from kiosk.services.issue_ticket import IssuedTicket, PrintReport, Refused, _one_line
from kiosk.store.errors import StoreError, store_faults

log = logging.getLogger(__name__)

# what the sealed blob holds: this envelope around the intake's JSON form. The
# reference inside binds the blob to its row (the counter checks they match).
ENVELOPE = "kiosk.intake-sealed/1"
_REFERENCE_TRIES = 5  # a stored reference drawn again (1 in 29**9): draw another


class IntakeUnavailable(Exception):
    """The terminal cannot seal intakes (no [intake] keys, or a key file is bad);
    the message is operator-facing ("FILE: what is wrong")."""


@dataclass(frozen=True)
class IntakeSubmission:
    reference: str | None                 # None: refused, `problems` says why
    problems: list[Problem] = field(default_factory=list)
    ticket: IssuedTicket | None = None
    sealed_at: datetime | None = None
    lang: str = "de"

    @property
    def accepted(self) -> bool:
        return self.reference is not None


def envelope(intake: Intake, reference: str, sealed_at: datetime, terminal: str,
             office: str = "") -> bytes:
    """The plaintext that is sealed (UTF-8 JSON)."""
    return json.dumps({"envelope": ENVELOPE, "reference": reference,
                       "sealed_at": sealed_at.isoformat(), "terminal": terminal,
                       "office": office, "intake": to_dict(intake)},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def resolve_key_path(config: Config, name: str) -> Path:
    """A relative key file is taken from the configuration's folder."""
    path = Path(name)
    return path if path.is_absolute() else Path(config.source).parent / path


class IntakeService:
    """One per terminal process; submit() may wait for the store: not on the UI thread."""

    def __init__(self, config: Config, store, printer,
                 clock: Callable[[], datetime] | None = None, tickets=None,
                 random: Callable[[int], bytes] = secrets.token_bytes,
                 monotonic: Callable[[], float] = time.monotonic,
                 queue_ticket: bool = True) -> None:
        """tickets: the TicketService that issues the [intake] ticket_service number
        (made here when None); queue_ticket=False issues none (the CLI)."""
        self.config, self.store, self.printer = config, store, printer
        self.clock = clock or utc_now
        self.random, self.monotonic = random, monotonic
        if tickets is None and queue_ticket and config.intake.ticket_service:
            from kiosk.services.issue_ticket import TicketService
            tickets = TicketService(config, store, printer, clock=self.clock)
        self.tickets = tickets if queue_ticket else None
        self.rules = rules_for(config.intake)
        self._keys: list[PublicKeyRef] | None = None
        self._started_at: float | None = None
        self._lock = threading.Lock()

    # -- keys -------------------------------------------------------------------------

    def public_keys(self) -> list[PublicKeyRef]:
        """The configured keys, read once; IntakeUnavailable names a bad file."""
        if self._keys is None:
            files = [resolve_key_path(self.config, name)
                     for name in self.config.intake.public_key_files]
            if not files:
                raise IntakeUnavailable(f"{self.config.source}: [intake] public_key_files is "
                                        f"empty: no key to seal intakes to")
            from kiosk.services.intake_seal import KeyFileError
            try:
                self._keys = load_public_keys(files)
            except KeyFileError as err:
                raise IntakeUnavailable(str(err)) from None
        return self._keys

    # -- validating and submitting ----------------------------------------------------

    def check(self, intake: Intake) -> list[Problem]:
        return validate(intake, business_day(self.clock()), self.rules)

    def submit(self, intake: Intake, acknowledged: frozenset[str] = frozenset(),
               strict: bool = False) -> IntakeSubmission:
        """Seal and store the intake unless problems block it (errors, and warnings not
        acknowledged; with strict every warning). StoreError when it cannot be stored,
        IntakeUnavailable when there is no usable key."""
        problems = self.check(intake)
        refused = list(problems) if strict else blocking(problems, acknowledged)
        if refused:
            return IntakeSubmission(None, problems, lang=intake.lang)
        key = self.public_keys()[0]
        now = self.clock()
        with store_faults("storing a sealed intake"):
            reference = self._free_reference()
            # the plaintext exists only in this frame: sealed at once, never written
            blob = seal(envelope(intake, reference, now, self.config.terminal_id,
                                 self.config.office), key)
            self.store.put_sealed(reference, blob, key.key_id, now)
        log.info("intake %s sealed to key %s (%d persons)", reference, key.key_id,
                 len(intake.persons))
        with self._lock:
            started, self._started_at = self._started_at, None
        seconds = self.monotonic() - started if started is not None else None
        self._count(now, "finished", persons=len(intake.persons), seconds=seconds)
        return IntakeSubmission(reference, problems, self._ticket(intake.lang), now,
                                intake.lang)

    def _free_reference(self) -> str:
        for _ in range(_REFERENCE_TRIES):
            reference = new_reference(self.random(RANDOM_BYTES))
            if self.store.sealed(reference) is None:
                return reference
        raise StoreError("no free intake reference after several tries (is the random "
                         "source broken?)")

    def _ticket(self, lang: str) -> IssuedTicket | None:
        service = self.config.intake.ticket_service
        if not service or self.tickets is None:
            return None
        try:
            return self.tickets.issue(service, lang)
        except (Refused, StoreError) as err:
            # the intake is sealed; the visitor takes a number at the start screen
            log.warning("intake sealed, but no ticket of %s: %s", service, _one_line(err))
            return None

    # -- receipt ----------------------------------------------------------------------

    def receipt(self, submission: IntakeSubmission, lang: str):
        number = submission.ticket.ticket.number if submission.ticket else None
        return receipt_document(office=self.config.office, reference=submission.reference,
                                lang=lang, sealed_at=submission.sealed_at or self.clock(),
                                retention_days=self.config.intake.retention_days,
                                ticket_number=number)

    def print_receipt(self, submission: IntakeSubmission, lang: str) -> PrintReport:
        """Print the receipt (and record the ticket's print result when one was
        issued on it); never raises."""
        if not submission.accepted:
            return PrintReport(False, "intake not submitted")
        if self.printer is None:
            report = PrintReport(False, "no printer configured")
        else:
            try:
                outcome = self.printer.print_document(self.receipt(submission, lang))
                report = PrintReport(bool(outcome.printed), outcome.error,
                                     getattr(outcome, "state", None))
            except Exception as err:  # noqa: BLE001 - the reference is on screen anyway
                log.error("intake %s: printing the receipt failed unexpectedly: %s",
                          submission.reference, _one_line(err), exc_info=True)
                report = PrintReport(False, f"printer failed: {_one_line(err)}")
        if submission.ticket is not None:
            state = getattr(report.state, "value", None)
            code = None if report.printed else (state if isinstance(state, str)
                                                and state != "online" else "failed")
            try:
                with store_faults("recording the print result"):
                    self.store.record_print(submission.ticket.ticket.id, report.printed,
                                            code, self.clock())
            except StoreError as err:
                log.error("intake receipt with ticket %s: print result not recorded: %s",
                          submission.ticket.ticket.number, err)
                report = PrintReport(report.printed, report.error, report.state, str(err))
        return report

    # -- statistics (counts and durations only) -----------------------------------------

    def started(self, lang: str) -> None:
        """A visitor began an intake; the language is kept as the event's step."""
        with self._lock:
            self._started_at = self.monotonic()
        self._count(self.clock(), "started", step=lang if lang in self.config.languages
                    else None)

    def abandoned(self, step: str, seconds: float) -> None:
        """Cancelled or timed out at a screen (its name, e.g. "intake_person")."""
        with self._lock:
            self._started_at = None
        self._count(self.clock(), "abandoned", step=step, seconds=seconds)

    def _count(self, now: datetime, event: str, step: str | None = None,
               persons: int | None = None, seconds: float | None = None) -> None:
        try:
            with store_faults("counting an intake"):
                self.store.count_intake(business_day(now), event, step, persons, seconds)
        except StoreError as err:  # statistics never cost a visitor their intake
            log.warning("intake statistics not counted: %s", err)

    # -- retention ----------------------------------------------------------------------

    def purge(self) -> int:
        """Delete the sealed intakes older than [intake] retention_days; how many."""
        older_than = self.clock() - timedelta(days=self.config.intake.retention_days)
        with store_faults("purging sealed intakes"):
            count = self.store.purge_sealed(older_than)
        if count:
            log.info("purged %d sealed intakes older than %d days", count,
                     self.config.intake.retention_days)
        return count
