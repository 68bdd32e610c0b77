"""Checks one raw scan and turns it into text, or says why it is not a usable scan."""

from __future__ import annotations

import unicodedata

from kiosk.devices.scanner.events import ScanRejected

_TERMINATORS = "\r\n"
_ALLOWED_CONTROL = "\t"


def validate_payload(raw: bytes | str, max_length: int = 512, encoding: str = "utf-8") -> str | ScanRejected:
    """Printable text without the trailing terminator, or the reason for rejecting it.

    ``max_length`` counts characters of the decoded payload. Control characters
    other than tab (and format/unassigned code points) make a scan BINARY: they
    never belong in a booking code and could confuse whatever displays it.
    """
    if isinstance(raw, bytes):
        # Cheap bound before decoding: no encoding uses more than 4 bytes a character.
        if len(raw) > 4 * max_length + 2:
            return ScanRejected.TOO_LONG
        raw_text = raw.rstrip(b"\r\n")
        if any((b < 0x20 and b != 0x09) or b == 0x7F for b in raw_text):
            return ScanRejected.BINARY
        try:
            text = raw_text.decode(encoding)
        except UnicodeDecodeError:
            return ScanRejected.DECODE_ERROR
    else:
        text = raw.rstrip(_TERMINATORS)
    if not text.strip():
        return ScanRejected.EMPTY
    if len(text) > max_length:
        return ScanRejected.TOO_LONG
    for ch in text:
        if ch not in _ALLOWED_CONTROL and unicodedata.category(ch)[0] == "C":
            return ScanRejected.BINARY
    return text
