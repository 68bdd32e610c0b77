"""Tests that book a slot a few minutes ahead on the real clock and check in against a
real server process cannot pass across midnight in the office's zone: the booking then
belongs to another business day and the check-in rightly answers wrong_day or too late.
They skip in that window (the servers and CLIs they start read the real clock)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kiosk.domain.clock import OFFICE_ZONE


def skip_near_midnight(minutes: int = 15) -> None:
    now = datetime.now(timezone.utc).astimezone(OFFICE_ZONE)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if now - midnight < timedelta(minutes=minutes) or \
            midnight + timedelta(days=1) - now < timedelta(minutes=minutes):
        pytest.skip("the slots of this test would cross midnight (Europe/Berlin)")
