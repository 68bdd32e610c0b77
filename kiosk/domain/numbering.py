"""Queue numbers: a service's prefix letter and a daily 3-digit counter (A017)."""

from __future__ import annotations

import re

MAX_SEQUENCE = 999
_NUMBER = re.compile(r"^([A-Z])\s?(\d{3})$")


def format_number(prefix: str, sequence: int) -> str:
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"sequence {sequence} outside 1..{MAX_SEQUENCE}")
    return f"{prefix}{sequence:03d}"


def parse_number(text: str) -> tuple[str, int]:
    """'A017' or 'a 17'-like input typed by staff -> ('A', 17)."""
    cleaned = text.strip().upper()
    match = _NUMBER.match(cleaned)
    if not match:
        match = re.match(r"^([A-Z])\s?(\d{1,3})$", cleaned)
    if not match:
        raise ValueError(f"{text!r} is not a ticket number like A017")
    return match.group(1), int(match.group(2))


def spoken_number(number: str) -> str:
    """'A017' -> 'A 17': how the number is read out and shown on call-up signs."""
    prefix, sequence = parse_number(number)
    return f"{prefix} {sequence}"
