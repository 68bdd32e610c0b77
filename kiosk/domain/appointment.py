"""Bookings made online and the codes visitors bring to check in: plain values shared by
the appointment sources, the code parser, the check-in rules and the screens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum


class BookingStatus(Enum):
    CONFIRMED = "confirmed"      # booked, not yet here
    CHECKED_IN = "checked_in"    # arrived, holds a ticket (ZMS: queued)
    CALLED = "called"            # a counter has called the ticket
    DONE = "done"
    MISSED = "missed"            # no check-in within the window (no-show)
    CANCELLED = "cancelled"      # cancelled by the visitor or the office (ZMS: deleted)


@dataclass(frozen=True)
class Booking:
    """One appointment as the booking system knows it; nothing personal."""
    reference: str               # booking reference / ZMS process id (digits or A-Z0-9)
    service: str                 # our service id (config [[service]] id)
    office: str                  # office id ([appointments] office_id; ZMS scope id)
    start: datetime              # aware, Europe/Berlin
    duration_min: int
    status: BookingStatus
    priority_rank: int | None = None  # invited emergency case: 1 is called first

    @property
    def end(self) -> datetime:
        # in real minutes: adding to a Europe/Berlin datetime is wall-clock arithmetic,
        # wrong across a DST switch
        utc = self.start.astimezone(timezone.utc) + timedelta(minutes=self.duration_min)
        return utc.astimezone(self.start.tzinfo)

    @property
    def is_emergency(self) -> bool:
        return self.priority_rank is not None


class CodeKind(Enum):
    SIGNED = "signed"    # our own QR confirmation: reference + HMAC
    ZMS_LINK = "zms"     # ZMS confirmation link: process id + authKey
    TYPED = "typed"      # booking code typed on the keypad (reference only)


@dataclass(frozen=True)
class BookingCode:
    """A code that names a booking. Only reference and authenticator, never a payload."""
    kind: CodeKind
    reference: str
    # ZMS authKey (hex, length not fixed); a secret, so kept out of repr and log lines
    auth_key: str | None = field(default=None, repr=False)
    # the office a signed code names (the config's office_id spelling when it is ours);
    # None for ZMS links and typed codes. The caller compares it with its own office.
    office: str | None = None


class CodeRefusal(Enum):
    """Why a scanned or typed code is not a booking code of ours; each has a kind,
    translated message on screen and a stable outcome code in `kiosk checkin`."""
    EMPTY = "empty"
    TOO_LONG = "too_long"
    CONTROL_CHARACTERS = "control_characters"
    OTHER_WEBSITE = "other_website"      # a URL that is not a booking link
    WIFI = "wifi"                        # WIFI:T:WPA;S:...;;
    CONTACT = "contact"                  # vCard, MECARD
    BOARDING_PASS = "boarding_pass"      # IATA BCBP (M1...)
    PAYMENT = "payment"                  # EPC/GiroCode (BCD ...), bank transfer codes
    OTHER_CODE = "other_code"            # anything else that is not ours
    UNKNOWN_VERSION = "unknown_version"  # our prefix, a version we do not know
    BAD_SIGNATURE = "bad_signature"      # our format, authenticator does not match
    MALFORMED = "malformed"              # our format or a ZMS link, but broken
