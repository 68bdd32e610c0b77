"""The small interfaces services need from stores and devices."""

from __future__ import annotations

from datetime import date, datetime
from typing import Mapping, Protocol, Sequence

from kiosk.domain.documents import Document
from kiosk.domain.ticket import Ticket, TicketState


class PrintOutcome(Protocol):
    printed: bool
    error: str | None  # short operator-facing reason, no personal data


class DocumentPrinter(Protocol):
    def print_document(self, doc: Document) -> PrintOutcome: ...


class QueueStore(Protocol):
    """Every method raises kiosk.store.errors.StoreError when the store cannot be read
    or written; issue() also QuotaReached or SequenceExhausted."""

    def issue(self, service: str, prefix: str, lang: str, now: datetime, day: date,
              daily_quota: int | None) -> Ticket: ...

    def record_print(self, ticket_id: int, printed: bool, error: str | None,
                     at: datetime | None = None) -> None: ...

    def issued_today(self, service: str, day: date) -> int: ...

    def last_sequence(self, prefix: str, day: date) -> int: ...

    def people_ahead(self, ticket: Ticket, now: datetime | None = None,
                     call_orders: Mapping[str, Sequence[str]] | None = None) -> int: ...

    def waiting_count(self, service: str, day: date) -> int: ...

    def active_counters(self, service: str, since: datetime) -> int: ...

    def service_times_s(self, service: str, day: date) -> list[float]: ...

    def call_next(self, counter: str, services: list[str], now: datetime, day: date,
                  call_orders: Mapping[str, Sequence[str]] | None = None
                  ) -> Ticket | None: ...

    def mark_no_shows(self, now: datetime, late_min: Mapping[str, int] | None = None,
                      default_late_min: int = 15) -> int: ...

    def finish(self, number: str, to: TicketState, now: datetime, day: date) -> Ticket: ...

    def recent_calls(self, day: date, limit: int = 5) -> list[Ticket]: ...


class IntakeStore(Protocol):
    """Sealed Anmeldung intakes waiting for the counter. The store only ever sees the
    sealed blob (it cannot read it) and the random reference; statistics carry counts
    and durations, nothing personal. Raises StoreError like QueueStore."""

    def put_sealed(self, reference: str, sealed: bytes, key_id: str,
                   now: datetime) -> None: ...

    def sealed(self, reference: str) -> tuple[bytes, str] | None: ...   # (blob, key_id)

    def delete_sealed(self, reference: str) -> bool: ...

    def purge_sealed(self, older_than: datetime) -> int: ...

    def count_intake(self, day: date, event: str, step: str | None = None,
                     persons: int | None = None, seconds: float | None = None) -> None: ...
