"""ZMS/eappointment answers read strictly: the {meta, data} envelope and a process turned
into our Booking. Pure functions; anything of the wrong shape raises WrongShape.

Written from the published source of it-at-m/eappointment (commit 7b670e4e, 2026-08-21):
zmsentities/schema/process.json (id, authKey, status enum, priority "1 is biggest prio,
3 is lowest", appointments, scope, requests), appointment.json (date: unix timestamp,
slotCount, availability), availability.json (slotTimeInMinutes, default 10: "multiplied
with a slotCount from an appointment this gives the duration"), scope.json (id),
request.json (id), metaresult.json (error, message, exception),
zmsentities/src/Zmsentities/Collection/QueueList.php (priority 1 is called before
everyone else; 2 is the default with an appointment, 3 without) and
zmsbackend/src/Zmsbackend/Helper/ErrorHandler.php (errors: meta.error true,
meta.exception the exception class, null for an unknown route)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from kiosk.domain.appointment import Booking, BookingStatus

BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT_SLOT_MINUTES = 10  # availability.json default of slotTimeInMinutes

# process.json's status enum. None: not a booking a visitor can hold (a free slot, a
# reservation not yet confirmed, an id blocked against reuse, statistics-only records).
STATUSES: dict[str, BookingStatus | None] = {
    "free": None, "reserved": None, "preconfirmed": None,
    "confirmed": BookingStatus.CONFIRMED,
    "queued": BookingStatus.CHECKED_IN,
    "called": BookingStatus.CALLED, "processing": BookingStatus.CALLED,
    "parked": BookingStatus.CALLED,
    "pending": BookingStatus.DONE, "finished": BookingStatus.DONE,
    "missed": BookingStatus.MISSED,
    "deleted": BookingStatus.CANCELLED,
    "archived": None, "anonymized": None, "blocked": None, "conflict": None,
}
# The visitor is already there (or was served): a second "queued" must not be sent,
# since ZMS would put a called visitor back into the queue (ProcessQueued.php).
ARRIVED = frozenset({"queued", "called", "processing", "parked", "pending", "finished"})

# What the kiosk may send "queued" for: booked, or marked missed a moment too early
# (ProcessQueued "reverts a missed status"; whether a late visitor may still check in
# is the check-in rules' decision, taken before).
QUEUEABLE = frozenset({"confirmed", "missed"})

EMERGENCY_PRIORITY = 1  # QueueList.php: priority 1 goes before everyone


class WrongShape(Exception):
    """The answer is not what the published schema describes. The message names the
    field, never a value."""


@dataclass(frozen=True)
class ZmsProcess:
    status: str
    auth_key: str
    booking: Booking | None       # None when the status is not a booking (see STATUSES)
    queued_body: dict             # what POST /process/status/queued/ needs, nothing personal


def envelope(body: Any) -> tuple[dict, Any]:
    """meta and data of a ZMS answer."""
    if not isinstance(body, dict) or not isinstance(body.get("meta"), dict) \
            or "data" not in body:
        raise WrongShape("not a {meta, data} answer")
    meta = body["meta"]
    if not isinstance(meta.get("error", False), bool):
        raise WrongShape("meta.error")
    return meta, body["data"]


def is_error_answer(body: Any, *, with_exception: bool) -> bool:
    """A ZMS error answer (meta.error true); with_exception: one an API exception
    raised (ProcessNotFound, AuthKeyMatchFailed...), not an unknown route."""
    try:
        meta, _ = envelope(body)
    except WrongShape:
        return False
    if meta.get("error") is not True:
        return False
    exception = meta.get("exception")
    return not with_exception or (isinstance(exception, str) and bool(exception.strip()))


def parse_process(data: Any, *, expected_id: int | None, service_map: Mapping[int, str],
                  scope_id: int | None, office_id: str) -> ZmsProcess:
    if not isinstance(data, dict):
        raise WrongShape("data is not a process")
    pid = _whole(data.get("id"), "id", 1, 10**11)
    if expected_id is not None and pid != expected_id:
        raise WrongShape("id is another process")
    status = data.get("status")
    if not isinstance(status, str) or status not in STATUSES:
        raise WrongShape("status")
    auth_key = data.get("authKey")
    if STATUSES[status] is None and auth_key in (None, ""):
        auth_key = ""   # ZMS leaves it out of free slots (Process::withLessData)
    elif not isinstance(auth_key, str) or not auth_key or len(auth_key) > 512:
        raise WrongShape("authKey")
    scope = data.get("scope")
    if not isinstance(scope, dict):
        raise WrongShape("scope")
    process_scope = _whole(scope.get("id"), "scope.id", 1, 10**11)
    requests = data.get("requests", [])
    if not isinstance(requests, list) or len(requests) > 100 \
            or not all(isinstance(r, dict) for r in requests):
        raise WrongShape("requests")
    request_ids = [_whole(r.get("id"), "requests[].id", 1, 10**11) for r in requests]
    priority = _priority(data.get("priority"))
    body = {"id": pid, "authKey": auth_key, "scope": scope, "requests": requests}
    if priority is not None:
        body["priority"] = priority  # ProcessQueued takes the queue priority from the input

    booking_status = STATUSES[status]
    if booking_status is None:
        return ZmsProcess(status, auth_key, None, body)
    appointments = data.get("appointments")
    if not isinstance(appointments, list) or not appointments \
            or not isinstance(appointments[0], dict):
        raise WrongShape("appointments")
    first = appointments[0]
    # 2000-01-01 .. 2100-01-01: anything else is not an appointment time
    start = datetime.fromtimestamp(_whole(first.get("date"), "appointments[0].date",
                                          946_684_800, 4_102_444_800), BERLIN)
    slots = _whole(first.get("slotCount"), "appointments[0].slotCount", 0, 100)
    slot_minutes = DEFAULT_SLOT_MINUTES
    availability = first.get("availability")
    if availability is not None:
        if not isinstance(availability, dict):
            raise WrongShape("appointments[0].availability")
        value = availability.get("slotTimeInMinutes")
        if value is not None:
            slot_minutes = _whole(value, "slotTimeInMinutes", 1, 24 * 60)
    service = next((service_map[i] for i in request_ids if i in service_map),
                   # a service this terminal does not offer: the check-in refuses it
                   f"zms-request:{request_ids[0]}" if request_ids else "zms-request:none")
    # scope_id unset: the operator restricts nothing here (the API key's workstation
    # scope still does on the ZMS side)
    office = office_id if scope_id is None or process_scope == scope_id \
        else f"zms-scope:{process_scope}"
    booking = Booking(reference=str(pid), service=service, office=office, start=start,
                      duration_min=max(slots, 1) * slot_minutes, status=booking_status,
                      priority_rank=1 if priority == EMERGENCY_PRIORITY else None)
    return ZmsProcess(status, auth_key, booking, body)


def _whole(value: Any, what: str, low: int, high: int) -> int:
    """A whole number as the schemas allow it: a number or a string of digits."""
    if isinstance(value, bool):
        raise WrongShape(what)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        number = int(value)
    else:
        raise WrongShape(what)
    if not low <= number <= high:
        raise WrongShape(what)
    return number


def _priority(value: Any) -> int | None:
    """process.priority: number, string or null; null, 0 and "" mean the default."""
    if value is None or value == "" or value == 0:
        return None
    return _whole(value, "priority", 1, 99)
