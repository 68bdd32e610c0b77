"""Real-time printer status over ESC/POS `DLE EOT n`: request bytes, reply parsing and a fast query.

Pure protocol code: the only I/O is through a pyserial-like port handed to `query_status`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
STATUS_KINDS = (1, 2, 3, 4)  # 1 printer, 2 offline cause, 3 error cause, 4 paper roll sensor

# Every DLE EOT reply has bits 0 and 7 clear and bits 1 and 4 set (0xx1xx10). Automatic
# status back (GS a) blocks never match this pattern, which is how replies are told apart.
_FIXED_MASK = 0x93
_FIXED_BITS = 0x12

# n=1
_OFFLINE = 0x08
# n=2
_COVER_OPEN = 0x04
_STOPPED_BY_PAPER_END = 0x20
_ERROR_OCCURRED = 0x40
# n=3
_RECOVERABLE_ERROR = 0x04
_AUTOCUTTER_ERROR = 0x08
_UNRECOVERABLE_ERROR = 0x20
_AUTO_RECOVERABLE_ERROR = 0x40
# n=4
_PAPER_NEAR_END = 0x0C
_PAPER_END = 0x60


class PrinterState(Enum):
    ONLINE = "online"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    ERROR = "error"
    OFFLINE = "offline"


@dataclass(frozen=True)
class PrinterStatus:
    """A status snapshot; `cause` is a short English machine reason, never personal data."""

    state: PrinterState
    cause: str = ""

    @property
    def ok_to_print(self) -> bool:
        return self.state in (PrinterState.ONLINE, PrinterState.PAPER_NEAR_END)


class StatusPort(Protocol):
    """The part of a pyserial port that `query_status` uses."""

    timeout: float | None

    def write(self, data: bytes) -> int | None: ...

    def read(self, size: int = 1) -> bytes: ...

    def reset_input_buffer(self) -> None: ...


def request(n: int) -> bytes:
    """The `DLE EOT n` request for status kind n (1..4)."""
    if n not in STATUS_KINDS:
        raise ValueError(f"DLE EOT n must be 1..4, got {n}")
    return DLE_EOT + bytes((n,))


def is_status_byte(b: int) -> bool:
    """True when b has the fixed bits of a `DLE EOT` reply (pattern 0xx1xx10)."""
    return b & _FIXED_MASK == _FIXED_BITS


def interpret(replies: dict[int, int | None]) -> PrinterStatus:
    """Turn the replies to n=1..4 into one state; a missing or None reply means silence.

    Precedence: silence to n=1 (offline) > cover open > paper out > error > paper near end
    > online. A value that is not a status byte counts as silence.
    """
    got = {n: _valid(replies.get(n)) for n in STATUS_KINDS}
    printer, offline_cause, error_cause, paper = (got[n] for n in STATUS_KINDS)
    if printer is None:
        # python-escpos maps silence to "paper adequate"; a mute printer must never look fine.
        return PrinterStatus(PrinterState.OFFLINE, "no reply to DLE EOT 1")
    if offline_cause is not None and offline_cause & _COVER_OPEN:
        return PrinterStatus(PrinterState.COVER_OPEN, "cover open")
    if paper is not None and paper & _PAPER_END:
        return PrinterStatus(PrinterState.PAPER_OUT, "paper end")
    if offline_cause is not None and offline_cause & _STOPPED_BY_PAPER_END:
        return PrinterStatus(PrinterState.PAPER_OUT, "stopped by paper end")
    error = _error_cause(offline_cause, error_cause)
    if error:
        return PrinterStatus(PrinterState.ERROR, error)
    silent = [n for n in STATUS_KINDS if got[n] is None]
    if silent:
        # The printer answered n=1 but not a later request: it vanished mid-query or is
        # confused, and its cover/paper state is unknown, so it is not fit to print.
        return PrinterStatus(PrinterState.ERROR, f"no reply to DLE EOT {silent[0]}")
    if printer & _OFFLINE:
        # e.g. paper being fed with the FEED button: offline, but for no fault we know.
        return PrinterStatus(PrinterState.OFFLINE, "printer reports offline")
    if paper & _PAPER_NEAR_END:
        return PrinterStatus(PrinterState.PAPER_NEAR_END, "paper near end")
    return PrinterStatus(PrinterState.ONLINE)


def _valid(value: int | None) -> int | None:
    if value is None or not 0 <= value <= 0xFF or not is_status_byte(value):
        return None
    return value


def _error_cause(offline_cause: int | None, error_cause: int | None) -> str:
    if error_cause is not None:
        for bit, cause in (
            (_AUTOCUTTER_ERROR, "autocutter error"),
            (_UNRECOVERABLE_ERROR, "unrecoverable error"),
            (_AUTO_RECOVERABLE_ERROR, "auto-recoverable error"),
            (_RECOVERABLE_ERROR, "recoverable error"),
        ):
            if error_cause & bit:
                return cause
    if offline_cause is not None and offline_cause & _ERROR_OCCURRED:
        return "error occurred"
    return ""


def query_status(port: StatusPort, timeout_s: float = 0.05) -> PrinterStatus:
    """Ask n=1..4 in turn, reading exactly one reply byte each, and interpret the answers.

    A silent n=1 ends the query at once (offline after about `timeout_s`); any later silence
    ends it too, because a late reply would otherwise be taken for the next one. Bytes that
    are not status replies (automatic status back blocks, stale data) are skipped.
    Transport errors (OSError, serial.SerialException) propagate: reconnecting is the
    caller's job.
    """
    old_timeout = port.timeout
    if old_timeout != timeout_s:
        # pyserial reconfigures the tty on every timeout assignment: only pay when needed.
        port.timeout = timeout_s
    replies: dict[int, int | None] = {}
    try:
        port.reset_input_buffer()
        for n in STATUS_KINDS:
            port.write(request(n))
            replies[n] = _read_reply(port, timeout_s)
            if replies[n] is None:
                break
    finally:
        if old_timeout != timeout_s:
            port.timeout = old_timeout
    status = interpret(replies)
    log.debug("status replies %s -> %s", replies, status)
    return status


def _read_reply(port: StatusPort, timeout_s: float) -> int | None:
    deadline = time.monotonic() + timeout_s
    while True:
        data = port.read(1)
        if not data:
            return None
        if is_status_byte(data[0]):
            return data[0]
        log.debug("skipped non-status byte 0x%02x", data[0])
        if time.monotonic() >= deadline:
            return None
