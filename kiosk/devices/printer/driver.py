"""Print a Document on a ticket printer: check status, render, send, and say honestly
whether it came out. Never raises to the caller; the visitor keeps their number.

`send_job` is the one place with the print sequence; the synchronous TicketPrinter
(CLI commands) and the PrinterSupervisor (the app's worker thread) both use it."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from kiosk.devices.printer.profiles import PrinterProfile
from kiosk.devices.printer.render import render_document
from kiosk.devices.printer.status import SILENT_AFTER_FIRST, PrinterState, PrinterStatus
from kiosk.devices.printer.transports import PrinterTransport, TransportError
from kiosk.devices.reconnect import short_error
from kiosk.domain.documents import Document

log = logging.getLogger(__name__)

LATE_REPLY_RETRIES = 3
LATE_REPLY_WAIT_S = 0.2


@dataclass(frozen=True)
class PrintResult:
    printed: bool
    error: str | None = None  # short English reason for operators; never personal data
    state: PrinterState | None = None  # for the screen's translated message
    bytes_sent: int = 0


def describe(status: PrinterStatus) -> str:
    text = status.state.value.replace("_", " ")
    return f"{text} ({status.cause})" if status.cause else text


def ask_status(transport: PrinterTransport) -> PrinterStatus:
    """The printer's status; a transport that cannot read status counts as online once
    its port opened, and an unreachable one as offline."""
    try:
        status = transport.status()
    except TransportError as err:
        return PrinterStatus(PrinterState.OFFLINE, err.reason)
    return status if status is not None else PrinterStatus(PrinterState.ONLINE,
                                                           "status not readable")


def send_job(transport: PrinterTransport, data: bytes,
             before: PrinterStatus | None = None) -> tuple[PrintResult, PrinterStatus]:
    """Status, write, status again. Returns the result and the last status seen."""
    before = before or ask_status(transport)
    if not before.ok_to_print:
        return PrintResult(False, describe(before), before.state), before
    try:
        transport.write(data)
    except TransportError as err:
        # bytes may have reached the paper: report, never resend (no double tickets)
        gone = PrinterStatus(PrinterState.OFFLINE, err.reason)
        return PrintResult(False, f"interrupted: {err.reason}", PrinterState.OFFLINE), gone
    after = ask_status(transport)
    for _ in range(LATE_REPLY_RETRIES):
        # right after a long job a reply can queue behind its last bytes: silence to the
        # first request (offline) or to a later one ("no reply to DLE EOT n") is asked again
        if not _silent(after):
            break
        time.sleep(LATE_REPLY_WAIT_S)
        after = ask_status(transport)
    if not after.ok_to_print and after.state is not PrinterState.OFFLINE:
        # one garbled reply must not call a printed ticket lost: a fault is believed
        # when a second reading shows one too
        again = ask_status(transport)
        if again.ok_to_print:
            after = again
    if not after.ok_to_print:
        # e.g. paper ran out mid-ticket: the visitor may hold half a ticket
        return PrintResult(False, "stopped while printing: " + describe(after),
                           after.state), after
    return PrintResult(True, None, PrinterState.ONLINE, len(data)), after


def _silent(status: PrinterStatus) -> bool:
    """A reading that ended in silence rather than in an answer about the paper."""
    return status.state is PrinterState.OFFLINE or (
        status.state is PrinterState.ERROR and status.cause.startswith(SILENT_AFTER_FIRST))


class TicketPrinter:
    """Synchronous printing for one-shot commands (`kiosk ticket`, `kiosk print-test`)."""

    def __init__(self, transport: PrinterTransport, profile: PrinterProfile) -> None:
        self.transport = transport
        self.profile = profile
        self._lock = threading.Lock()  # one job at a time, never interleaved bytes

    def status(self) -> PrinterStatus:
        try:
            return ask_status(self.transport)
        except Exception as err:  # noqa: BLE001 - a command prints a reason, no traceback
            log.exception("printer: status query failed")
            return PrinterStatus(PrinterState.OFFLINE, unexpected(err))

    def print_document(self, doc: Document) -> PrintResult:
        try:
            data = render_document(doc, self.profile)
        except Exception as err:  # noqa: BLE001
            log.exception("printer: rendering failed")
            return PrintResult(False, f"rendering failed: {type(err).__name__}")
        return self.print_bytes(data)

    def print_bytes(self, data: bytes) -> PrintResult:
        with self._lock:
            try:
                return send_job(self.transport, data)[0]
            except Exception as err:  # noqa: BLE001 - bytes may have gone out: not printed
                log.exception("printer: printing failed")
                self.close()
                return PrintResult(False, unexpected(err), PrinterState.OFFLINE)

    def close(self) -> None:
        try:
            self.transport.close()
        except Exception as err:  # noqa: BLE001
            log.debug("printer: close failed: %s", type(err).__name__)


def unexpected(err: BaseException) -> str:
    """The reason given for an exception no transport anticipated."""
    return f"unexpected {type(err).__name__}: {short_error(err)}"
