"""A queue ticket (walk-in or checked-in appointment) and its life: waiting -> called -> done or no-show; expired at night."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum


class TicketState(Enum):
    WAITING = "waiting"
    CALLED = "called"
    DONE = "done"
    NO_SHOW = "no_show"
    EXPIRED = "expired"


# Which moves a counter may make; anything else is refused with a clear reason.
TRANSITIONS = {
    TicketState.WAITING: {TicketState.CALLED, TicketState.EXPIRED},
    TicketState.CALLED: {TicketState.DONE, TicketState.NO_SHOW, TicketState.CALLED},
}


def can_move(state: TicketState, to: TicketState) -> bool:
    return to in TRANSITIONS.get(state, set())


@dataclass(frozen=True)
class Ticket:
    id: int
    number: str
    service: str
    business_day: date
    issued_at: datetime
    lang: str
    state: TicketState
    reference: str  # random, printed as QR; never derived from anything personal
    counter: str | None = None
    # a checked-in appointment: its slot (printed) and, for an invited emergency case,
    # its rank (used only for the calling order, never shown or printed)
    slot: datetime | None = None
    priority_rank: int | None = None
    kind: str = "walk_in"  # walk_in | appointment
