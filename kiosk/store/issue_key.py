"""An issue with an Idempotency-Key (the office server): the key is written in the same
transaction as the ticket, so a retry finds the first ticket whatever moment a crash
hit, and never gets a second number."""

from __future__ import annotations

from typing import NamedTuple

from kiosk.domain.ticket import Ticket

KEEP_DAYS = 3  # a terminal's outbox replays within hours, not days


class IssueKey(NamedTuple):
    device: str   # the token's name
    key: str      # the Idempotency-Key header
    request: str  # a hash of what was asked: the same key for another request is refused


class IssuedBefore(Exception):
    """This device's key was issued before: `ticket` (None when it is gone, purged with
    its day) and the `request` hash it came with."""

    def __init__(self, ticket: Ticket | None, request: str) -> None:
        super().__init__("issued before under this Idempotency-Key")
        self.ticket, self.request = ticket, request
