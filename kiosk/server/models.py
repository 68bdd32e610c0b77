"""The JSON bodies of the office server's API /api/v1 (pydantic): what terminals,
counters and boards send and get back. The contract: ../notes issue 13, README "Office
server"; the terminal's http backend and the board build on these same models."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from pydantic import (AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field,
                      StringConstraints)

# ids as in the config and on the sign: short, no spaces; numbers like A017
ServiceId = Annotated[str, StringConstraints(min_length=1, max_length=32)]
Language = Annotated[str, StringConstraints(min_length=2, max_length=8)]


def _ticket_number(text: str) -> str:
    from kiosk.domain.numbering import format_number, parse_number

    prefix, seq = parse_number(text)  # ValueError for A000: no such number is issued
    return format_number(prefix, seq)


Number = Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9]{3}$"),
                   AfterValidator(_ticket_number)]
Counter = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,16}$")]
Role = Literal["terminal", "counter", "board"]


class _Request(BaseModel):
    # an unknown field is a client bug worth a clear 422, not something silently dropped
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    loc: str
    msg: str


class ErrorBody(BaseModel):
    """Every error answer: a stable code, words for a person, per-field details."""

    error: str
    reason: str
    detail: list[ErrorDetail] | None = None


class TicketRequest(_Request):
    service: ServiceId
    language: Language


class TicketIssued(BaseModel):
    number: str
    service: str
    people_ahead: int | None
    estimate_min: int | None
    issued_at: datetime
    business_day: date


class OfflineTicketRequest(_Request):
    """A ticket the terminal issued from its reserved range while the server was out
    of reach, sent when it is back."""

    number: Number
    service: ServiceId
    language: Language
    issued_at: datetime


class OfflineTicketAdopted(BaseModel):
    number: str
    service: str
    business_day: date


# how far a terminal's arrived_at may be ahead of the server's clock (terminals keep
# time by NTP), and how old a check-in replayed from an outbox may be
ARRIVED_SKEW = timedelta(minutes=2)
ARRIVED_MAX_AGE = timedelta(hours=24)


class CheckInRequest(_Request):
    code: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    typed: bool = False
    language: Language
    # sent by a terminal's outbox: the check-in is judged at this moment, not at its
    # replay (at most ARRIVED_SKEW ahead of the server's clock, at most ARRIVED_MAX_AGE
    # old; the server's clock when absent)
    arrived_at: AwareDatetime | None = Field(
        default=None, description="when the code was scanned at the terminal (with its "
                                  "time zone); only for a check-in replayed later")


class CheckInAnswer(BaseModel):
    """The fields of `kiosk checkin --json` (without the printer's)."""

    outcome: str
    number: str | None
    service: str | None = None
    slot: datetime | None
    people_ahead: int | None
    estimate_min: int | None
    reason: str | None


class IntakeRequest(_Request):
    reference: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{4,64}$")]
    key_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    sealed: Annotated[str, StringConstraints(min_length=1, max_length=2_000_000)]  # base64


class IntakeCreated(BaseModel):
    reference: str


class IntakeSealed(BaseModel):
    reference: str
    key_id: str
    sealed: str  # base64 of the sealed blob; only the counter's private key opens it
    created_at: datetime | None


class CallRequest(_Request):
    services: list[ServiceId] | None = Field(default=None, max_length=64)
    number: Number | None = None


class FinishRequest(_Request):
    number: Number | None = None


class Call(BaseModel):
    """A call as the counter gets it back."""

    number: str
    service: str
    counter: str
    called_at: datetime


class CallEvent(Call):
    """A call as boards list it and the stream sends it; `recall`: the same number
    called again by its counter."""

    recall: bool = False


class Finished(BaseModel):
    number: str
    service: str
    counter: str | None
    state: Literal["done", "no_show"]


class QueueState(BaseModel):
    service: str
    waiting: int
    estimate_min: int | None
    open: bool
