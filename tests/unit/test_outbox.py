"""The http backend's outbox on a real SQLite file: order, durability across a reopen,
the reserved range given out once, a refused entry kept without its body."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta, timezone

from kiosk.store.outbox import Outbox

DAY = date(2026, 11, 24)


def test_entries_survive_a_reopen_in_order_with_their_keys(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3")
    keys = [box.put("checkin", {"i": i}) for i in range(3)]
    box.put("intake", {"i": 3}, key="given-key")
    box.close()
    box = Outbox(tmp_path / "o.sqlite3")
    entries = box.pending()
    assert [e.key for e in entries] == keys + ["given-key"]
    assert [e.body["i"] for e in entries] == [0, 1, 2, 3]
    assert [e.key for e in box.pending(skip_kinds={"checkin"})] == ["given-key"]
    box.sent(entries[0])
    box.failed(entries[1], "ConnectionError")
    assert [e.body["i"] for e in box.pending()] == [1, 2, 3]
    assert box.pending()[0].attempts == 1 and box.length() == 3


def test_oldest_age_and_empty(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3")
    assert box.oldest_age_s() is None
    then = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)
    box.put("checkin", {}, now=then)
    box.put("checkin", {}, now=then + timedelta(seconds=50))
    assert box.oldest_age_s(then + timedelta(seconds=90)) == 90


def test_the_reserved_range_is_given_out_once_per_prefix_and_day(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3")
    assert [box.next_offline_sequence("A", DAY, 998, 999) for _ in range(3)] == \
        [998, 999, None]
    assert box.next_offline_sequence("P", DAY, 998, 999) == 998
    box.close()
    again = Outbox(tmp_path / "o.sqlite3")  # a restart: no number twice
    assert again.next_offline_sequence("A", DAY, 998, 999) is None
    assert again.next_offline_sequence("A", DAY + timedelta(days=1), 998, 999) == 998


def test_a_rejected_entry_leaves_the_line_and_its_body(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3")
    box.put("checkin", {"code": "204517"})
    box.rejected(box.pending()[0], "422 invalid_request")
    assert box.length() == 0 and box.rejected_count() == 1
    box.close()
    raw = sqlite3.connect(tmp_path / "o.sqlite3").execute(
        "SELECT * FROM outbox_rejected").fetchall()
    assert "204517" not in repr(raw)
