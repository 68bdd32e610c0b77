"""The SQLite store's memory does not follow the size of its file: its page cache is
bounded, measured with SQLite's own allocation counter (issue 9 item 5)."""

from __future__ import annotations

import ctypes
import ctypes.util
from datetime import date, datetime

from kiosk.store.sqlite import SqliteStore
from tests.store_sql import preissue, rows

MIB = 2 ** 20


def sqlite_memory_used():
    """SQLite's count of the bytes it has allocated in this process: the library that
    Python's sqlite3 module is linked against (one copy per process)."""
    lib = ctypes.CDLL(ctypes.util.find_library("sqlite3"))
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    return lib.sqlite3_memory_used


def test_a_growing_file_does_not_grow_the_stores_memory_past_its_page_cache(tmp_path):
    used = sqlite_memory_used()
    store = SqliteStore(tmp_path / "q.sqlite3", terminal_id="t1")
    try:
        before = used()
        # 16 business days of 999 tickets (a file of ~3 MB) written through the store's
        # own connection, then read once
        for k, prefix in enumerate("ABCDEFGHIJKLMNOP"):
            preissue(store, date(2026, 2, 1 + k), prefix, "x", 999, datetime(2026, 2, 1 + k, 8))
        assert rows(store, "SELECT COUNT(*) FROM ticket") == [(16 * 999,)]
        grown = (used() - before) / MIB
    finally:
        store.close()
    # the counter sees the cache at all (else this test would measure another library)
    assert grown > 0.1
    # SQLite's default cache (~2 MB per connection) reached 1.9 MiB here
    assert grown <= 1.0, f"the store's SQLite memory grew by {grown:.2f} MiB"
