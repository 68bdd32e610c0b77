"""Who a counter calls next. Each service orders its classes by its call_order
(default: emergency, appointment, walk_in):
- emergency: invited emergency cases (an appointment ticket with a priority rank),
  by rank, then by check-in;
- appointment: checked-in appointments whose slot has begun, by slot, then by check-in;
- walk_in: walk-in tickets in arrival order.
Checked-in appointments whose slot has not begun yet come after all of these (by slot):
they are called early only when nobody else is waiting, so no counter stands idle and
nobody with a begun slot or a walk-in waits for someone who came early. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping, Sequence

from kiosk.config_model import CALL_ORDER_CLASSES

_KIND_ORDER = {"emergency": 0, "appointment": 1, "walk_in": 2}


@dataclass(frozen=True)
class Waiting:
    """One waiting ticket as the ordering sees it (nothing else about it)."""
    id: int                           # issue order (the wall clock may have jumped)
    service: str
    kind: str = "walk_in"             # walk_in | appointment
    slot: datetime | None = None      # appointment: the booking's start
    priority_rank: int | None = None  # invited emergency case


def call_class(entry: Waiting, now: datetime) -> str | None:
    """emergency | appointment | walk_in, or None for an appointment not yet begun."""
    if entry.kind != "appointment":
        return "walk_in"
    if entry.priority_rank is not None:
        return "emergency"
    if entry.slot is None or entry.slot <= now:
        return "appointment"
    return None


def sort_key(entry: Waiting, now: datetime,
             orders: Mapping[str, Sequence[str]] | None = None) -> tuple:
    cls = call_class(entry, now)
    if cls is None:  # an early appointment: after every class, by slot
        return (len(CALL_ORDER_CLASSES), 3, entry.slot.timestamp(), 0, entry.id)
    order = tuple((orders or {}).get(entry.service) or CALL_ORDER_CLASSES)
    position = order.index(cls) if cls in order else len(order)
    if cls == "emergency":
        inner = (float(entry.priority_rank), 0)
    elif cls == "appointment":
        inner = (entry.slot.timestamp() if entry.slot else 0.0, 0)
    else:
        inner = (0.0, 0)
    return (position, _KIND_ORDER[cls], *inner, entry.id)


def ordered(entries: Iterable[Waiting], now: datetime,
            orders: Mapping[str, Sequence[str]] | None = None) -> list[Waiting]:
    """The waiting tickets in the order they are called at `now`."""
    return sorted(entries, key=lambda e: sort_key(e, now, orders))


def ahead_of(target: Waiting, entries: Iterable[Waiting], now: datetime,
             orders: Mapping[str, Sequence[str]] | None = None) -> int:
    """How many of the waiting tickets would be called before `target` at `now`."""
    mine = sort_key(target, now, orders)
    return sum(1 for e in entries if e.id != target.id and sort_key(e, now, orders) < mine)


def call_orders(services: Iterable) -> dict[str, tuple[str, ...]]:
    """Each configured service's call_order (ServiceConfig.appointments), by service id."""
    return {s.id: tuple(s.appointments.call_order) for s in services
            if getattr(s, "appointments", None) is not None}


def positions(service: str, orders: Mapping[str, Sequence[str]] | None = None
              ) -> dict[str, int]:
    """Each class's place in the service's calling order (absent classes last): what
    the stores' SQL count of the people ahead needs to rank rows as sort_key does."""
    order = tuple((orders or {}).get(service) or CALL_ORDER_CLASSES)
    return {cls: order.index(cls) if cls in order else len(order) for cls in _KIND_ORDER}
