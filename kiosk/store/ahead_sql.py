"""The people ahead of a ticket counted in SQL (both stores): each waiting ticket of the
service gets the calling order's rank of kiosk/domain/call_order.py sort_key as a row
value, compared with the ticket's own -- one COUNT instead of every waiting row sent to
Python and sorted there (the queue grows all day)."""

from __future__ import annotations

from datetime import datetime
from typing import Mapping, Sequence

from kiosk.config_model import CALL_ORDER_CLASSES
from kiosk.domain.call_order import positions
from kiosk.domain.ticket import Ticket

# sort_key's tuple without floats: (class position, kind order, emergency rank or 0,
# the slot of an appointment -- begun or early -- or the epoch for none, id). An early
# appointment ({early}) comes after every class; slots and ranks are only ever compared
# within one class, as in sort_key.
_RANK = """(CASE WHEN {t}.kind <> 'appointment' THEN {pw}
      WHEN {t}.prank IS NOT NULL THEN {pe}
      WHEN {t}.slot IS NULL OR {t}.slot <= {now} THEN {pa} ELSE {early} END,
 CASE WHEN {t}.kind <> 'appointment' THEN 2 WHEN {t}.prank IS NOT NULL THEN 0
      WHEN {t}.slot IS NULL OR {t}.slot <= {now} THEN 1 ELSE 3 END,
 CASE WHEN {t}.kind = 'appointment' AND {t}.prank IS NOT NULL THEN {t}.prank ELSE 0 END,
 CASE WHEN {t}.kind = 'appointment' AND {t}.prank IS NULL THEN COALESCE({t}.slot, {epoch})
      ELSE {epoch} END,
 {t}.id)"""

_COUNT = """WITH me AS (SELECT {me}),
w AS (SELECT id, kind, slot_start AS slot, priority_rank AS prank FROM ticket
      WHERE business_day = {day} AND state = 'waiting' AND service = {service})
SELECT COUNT(*) FROM w, me WHERE w.id <> me.id AND {rank_w} < {rank_me}"""


def count_sql(style: str) -> str:
    """The COUNT for "pg" (psycopg's %(name)s, typed) or "sqlite" (:name, ISO texts)."""
    if style == "pg":
        p = "%({})s".format
        me = ("%(id)s::bigint AS id, %(kind)s::text AS kind, %(slot)s::timestamptz AS slot,"
              " %(prank)s::integer AS prank")
        epoch = "'1970-01-01 00:00:00+00'::timestamptz"
    else:
        p = ":{}".format
        me = ":id AS id, :kind AS kind, :slot AS slot, :prank AS prank"
        epoch = "'1970-01-01T00:00:00.000000+00:00'"
    names = {"pw": p("pw"), "pe": p("pe"), "pa": p("pa"), "now": p("now"),
             "early": str(len(CALL_ORDER_CLASSES)), "epoch": epoch}
    return _COUNT.format(me=me, day=p("day"), service=p("service"),
                         rank_w=_RANK.format(t="w", **names),
                         rank_me=_RANK.format(t="me", **names))


def count_params(ticket: Ticket, now: datetime,
                 call_orders: Mapping[str, Sequence[str]] | None, text=None) -> dict:
    """The COUNT's parameters; `text` turns a moment into the store's text (SQLite)."""
    place = positions(ticket.service, call_orders)
    moment = text or (lambda m: m)
    return {"id": ticket.id, "kind": ticket.kind,
            "slot": moment(ticket.slot) if ticket.slot is not None else None,
            "prank": ticket.priority_rank, "pw": place["walk_in"], "pe": place["emergency"],
            "pa": place["appointment"], "now": moment(now),
            "day": ticket.business_day if text is None else ticket.business_day.isoformat(),
            "service": ticket.service}
