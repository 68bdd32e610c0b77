"""Errors a queue store raises; each carries what the caller needs for a clear message."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

from kiosk.domain.ticket import TicketState


class StoreError(Exception):
    """The store cannot be read or written (disk, lock, server unreachable). The message
    is one line for staff: which file, what is wrong, what to do."""

    def __init__(self, message: str, kind: str = "other") -> None:
        super().__init__(message)
        # a stable code: full, locked, read_only, corrupt, cannot_open, newer_schema,
        # io, other
        self.kind = kind


@contextmanager
def store_faults(action: str):
    """A store that leaks a raw sqlite3 error still reaches callers as StoreError."""
    try:
        yield
    except sqlite3.Error as err:
        raise StoreError(f"{action} failed: {err}") from err


class QuotaReached(Exception):
    def __init__(self, service: str, quota: int) -> None:
        super().__init__(f"daily quota of {quota} tickets for {service!r} reached")
        self.service, self.quota = service, quota


class SequenceExhausted(Exception):
    """Every number of the prefix (001..999) is used today; no quota is involved."""

    def __init__(self, service: str, prefix: str, last: int) -> None:
        super().__init__(f"all {last} numbers of prefix {prefix} are used today "
                         f"(service {service!r}); numbering starts again at midnight")
        self.service, self.prefix, self.last = service, prefix, last


class TicketNotFound(Exception):
    def __init__(self, number: str) -> None:
        super().__init__(f"no ticket {number} today")
        self.number = number


class TransitionRefused(Exception):
    def __init__(self, number: str, state: TicketState, to: TicketState) -> None:
        super().__init__(f"ticket {number} is {state.value}; cannot mark it {to.value}")
        self.number, self.state, self.to = number, state, to


class NumberTaken(Exception):
    """A ticket issued offline cannot join the queue: its day has that number."""

    def __init__(self, number: str, day) -> None:
        super().__init__(f"number {number} is already taken on {day}")
        self.number, self.day = number, day
