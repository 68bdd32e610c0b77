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
# status back (GS a) blocks never match this pattern, which is how replies are told apart:
# their first byte is 0xx1xx00, the three others 0xx0xxxx. Any other byte is garbage:
# line noise, or a printer at another baud rate (typically 0xFF and 0x00 bytes).
_FIXED_MASK = 0x93
_FIXED_BITS = 0x12
_ASB_FIRST_BITS = 0x10
_ASB_NEXT_MASK = 0x90
_ASB_LENGTH = 4
UNREADABLE = "unreadable reply (check the baud rate)"

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


SILENT_AFTER_FIRST = "no reply to DLE EOT "  # + n: answered n=1, then went quiet


def interpret(replies: dict[int, int | None]) -> PrinterStatus:
    """Turn the replies to n=1..4 into one state; a missing or None reply means silence.

    Precedence: silence to n=1 (offline) > a reply that is not a status byte (error:
    unreadable) > cover open > paper out > error > paper near end > online.
    """
    if replies.get(1) is None:
        # python-escpos maps silence to "paper adequate"; a mute printer must never look fine.
        return PrinterStatus(PrinterState.OFFLINE, "no reply to DLE EOT 1")
    if any(_valid(value) is None for value in replies.values() if value is not None):
        # garbage never stands for a state: random bytes would read as random faults
        return PrinterStatus(PrinterState.ERROR, UNREADABLE)
    got = {n: _valid(replies.get(n)) for n in STATUS_KINDS}
    printer, offline_cause, error_cause, paper = (got[n] for n in STATUS_KINDS)
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
        return PrinterStatus(PrinterState.ERROR, f"{SILENT_AFTER_FIRST}{silent[0]}")
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
    ends it too, because a late reply would otherwise be taken for the next one. Stale
    bytes are discarded first and whole automatic status back blocks are skipped; any
    other byte ends the query as unreadable (never skipped until something fits).
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
            if replies[n] is None or not is_status_byte(replies[n]):
                break
    finally:
        if old_timeout != timeout_s:
            port.timeout = old_timeout
    status = interpret(replies)
    log.debug("status replies %s -> %s", replies, status)
    return status


def _read_reply(port: StatusPort, timeout_s: float) -> int | None:
    """The reply byte, None for silence, or the first byte that is neither a reply nor
    part of an automatic status back block (the caller reports it as unreadable)."""
    deadline = time.monotonic() + timeout_s
    while True:
        data = port.read(1)
        if not data:
            return None
        b = data[0]
        if is_status_byte(b) or b & _FIXED_MASK != _ASB_FIRST_BITS:
            return b
        rest = _read_exactly(port, _ASB_LENGTH - 1)
        if len(rest) < _ASB_LENGTH - 1:
            return None  # a block cut short (or our own request echoed): nothing usable
        if any(x & _ASB_NEXT_MASK for x in rest):
            return next(x for x in rest if x & _ASB_NEXT_MASK)
        log.debug("skipped automatic status back block %s", (data + rest).hex())
        if time.monotonic() >= deadline:
            return None


def _read_exactly(port: StatusPort, size: int) -> bytes:
    """Up to `size` bytes: fewer only when the port went quiet (sockets return parts)."""
    data = b""
    while len(data) < size:
        chunk = port.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return data
