"""Errors a queue store raises; each carries what the caller needs for a clear message."""

from __future__ import annotations

from kiosk.domain.ticket import TicketState


class StoreError(Exception):
    """The store cannot be read or written (disk, lock, server unreachable)."""


class QuotaReached(Exception):
    def __init__(self, service: str, quota: int) -> None:
        super().__init__(f"daily quota of {quota} tickets for {service!r} reached")
        self.service, self.quota = service, quota


class TicketNotFound(Exception):
    def __init__(self, number: str) -> None:
        super().__init__(f"no ticket {number} today")
        self.number = number


class TransitionRefused(Exception):
    def __init__(self, number: str, state: TicketState, to: TicketState) -> None:
        super().__init__(f"ticket {number} is {state.value}; cannot mark it {to.value}")
        self.number, self.state, self.to = number, state, to
