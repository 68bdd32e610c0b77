"""The store's last-issued time, read by the state snapshot (kiosk/health)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kiosk.domain.clock import business_day
from kiosk.store.sqlite import SqliteStore

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)


def test_none_before_the_first_ticket(tmp_path):
    store = SqliteStore(tmp_path / "q.sqlite3", terminal_id="t1")
    try:
        assert store.last_issued_at() is None
    finally:
        store.close()


def test_newest_ticket_of_this_terminal_even_after_the_clock_went_back(tmp_path):
    path = tmp_path / "q.sqlite3"
    mine, other = SqliteStore(path, terminal_id="t1"), SqliteStore(path, terminal_id="t2")
    try:
        day = business_day(T0)
        mine.issue("anmeldung", "A", "de", T0, day, None)
        back = T0 - timedelta(minutes=30)  # NTP corrected the clock after this ticket
        mine.issue("anmeldung", "A", "de", back, day, None)
        other.issue("anmeldung", "A", "de", T0 + timedelta(minutes=5), day, None)
        assert mine.last_issued_at() == back
        assert other.last_issued_at() == T0 + timedelta(minutes=5)
    finally:
        mine.close()
        other.close()
