"""What a scanner reports: an accepted scan, or the reason a scan was dropped.

Payloads may be personal data (booking codes, names in QR codes): they are handed
to the callback only, never logged; logs and counters carry lengths and reasons.
"""

from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanEvent:
    payload: str = field(repr=False)  # kept out of repr so a stray log line cannot leak it
    source: str


class ScanRejected(enum.Enum):
    TOO_LONG = "too_long"
    BINARY = "binary"
    EMPTY = "empty"
    DECODE_ERROR = "decode_error"


class ScanCounters:
    """Accepted scans and rejections by reason, for status and metrics."""

    def __init__(self) -> None:
        self.accepted = 0
        self.rejected: Counter[ScanRejected] = Counter()

    def snapshot(self) -> dict[str, int]:
        return {"accepted": self.accepted, **{r.value: self.rejected[r] for r in ScanRejected}}


ScanCallback = Callable[[ScanEvent], None]
RejectCallback = Callable[[ScanRejected], None]


class ScanSink:
    """Counts results and hands them to the callbacks, which run on the scanner's thread.

    A failing callback is logged by exception type only: its message may quote the payload.
    """

    def __init__(self, source: str, on_scan: ScanCallback | None, on_reject: RejectCallback | None) -> None:
        self.source = source
        self.on_scan = on_scan
        self.on_reject = on_reject
        self.counters = ScanCounters()

    def accept(self, payload: str) -> None:
        self.counters.accepted += 1
        logger.debug("%s: scan accepted (%d chars)", self.source, len(payload))
        self._call(self.on_scan, ScanEvent(payload, self.source))

    def reject(self, reason: ScanRejected, length: int | None = None) -> None:
        self.counters.rejected[reason] += 1
        size = "" if length is None else f" ({length} bytes)"
        logger.info("%s: scan rejected: %s%s", self.source, reason.value, size)
        self._call(self.on_reject, reason)

    def _call(self, callback: Callable | None, arg: object) -> None:
        if callback is None:
            return
        try:
            callback(arg)
        except Exception as err:
            logger.error("%s: scan callback failed with %s", self.source, type(err).__name__)
