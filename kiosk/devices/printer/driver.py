"""Print a Document on a ticket printer: check status, render, send, and say honestly
whether it came out. Never raises to the caller; the visitor keeps their number."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from kiosk.devices.printer.profiles import PrinterProfile
from kiosk.devices.printer.render import render_document
from kiosk.devices.printer.status import PrinterState, PrinterStatus
from kiosk.devices.printer.transports import PrinterTransport, TransportError
from kiosk.domain.documents import Document

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrintResult:
    printed: bool
    error: str | None = None  # short English reason for operators; never personal data
    state: PrinterState | None = None  # for the screen's translated message
    bytes_sent: int = 0


class TicketPrinter:
    def __init__(self, transport: PrinterTransport, profile: PrinterProfile) -> None:
        self.transport = transport
        self.profile = profile
        self._lock = threading.Lock()  # one job at a time, never interleaved bytes
        self._last_state: PrinterState | None = None

    def status(self) -> PrinterStatus | None:
        try:
            return self.transport.status()
        except TransportError as err:
            return PrinterStatus(PrinterState.OFFLINE, err.reason)

    def print_document(self, doc: Document) -> PrintResult:
        data = render_document(doc, self.profile)
        with self._lock:
            try:
                before = self.transport.status()
                if before is not None and not before.ok_to_print:
                    return self._failed(before.state, _reason(before))
                self.transport.write(data)
                after = self.transport.status()
                if after is not None and not after.ok_to_print:
                    # e.g. paper ran out mid-ticket: the visitor may hold half a ticket
                    return self._failed(after.state, "stopped while printing: " + _reason(after))
            except TransportError as err:
                return self._failed(PrinterState.OFFLINE, err.reason)
            self._note(PrinterState.ONLINE, None)
            return PrintResult(True, None, PrinterState.ONLINE, len(data))

    def _failed(self, state: PrinterState, reason: str) -> PrintResult:
        self._note(state, reason)
        return PrintResult(False, reason, state)

    def _note(self, state: PrinterState, reason: str | None) -> None:
        # log on change only: a dead printer must not flood the log all day
        if state != self._last_state:
            if state is PrinterState.ONLINE:
                log.info("printer %s is printing again", self.transport.description)
            else:
                log.warning("printer %s: %s", self.transport.description, reason)
        self._last_state = state

    def close(self) -> None:
        self.transport.close()


def _reason(status: PrinterStatus) -> str:
    text = status.state.value.replace("_", " ")
    return f"{text} ({status.cause})" if status.cause else text
