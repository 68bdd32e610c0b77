"""The store's last-issued time, read by the state snapshot (kiosk/health); on both
engines."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kiosk.domain.clock import business_day

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)


def test_none_before_the_first_ticket(engine_store):
    assert engine_store.last_issued_at() is None


def test_newest_ticket_of_this_terminal_even_after_the_clock_went_back(open_engine_store):
    mine, other = open_engine_store("t1"), open_engine_store("t2")
    day = business_day(T0)
    mine.issue("anmeldung", "A", "de", T0, day, None)
    back = T0 - timedelta(minutes=30)  # NTP corrected the clock after this ticket
    mine.issue("anmeldung", "A", "de", back, day, None)
    other.issue("anmeldung", "A", "de", T0 + timedelta(minutes=5), day, None)
    assert mine.last_issued_at() == back
    assert other.last_issued_at() == T0 + timedelta(minutes=5)
