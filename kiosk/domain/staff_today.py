"""What staff set "for today" (a service closed, a notice) holds for the business day it
was set on and lapses by itself when the next day begins."""

from __future__ import annotations

from datetime import date


def in_force(set_for: str | None, today: date) -> bool:
    """True while the setting made for business day `set_for` (ISO date, None: without
    end) still applies on `today`."""
    return set_for is None or set_for == today.isoformat()
