"""Nothing personal is stored: a visit with marker data in every input that could carry
it, then every value in every table (on both engines) and every byte of the SQLite file
and its WAL is checked."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from kiosk.devices.printer.status import PrinterState
from kiosk.services.issue_ticket import TicketService
from kiosk.services.queue_ops import QueueOperations
from tests.store_sql import is_postgres, rows

MARKERS = ("Mustermann", "1980-02-29", "MARKERqr0042")

_TIME = re.compile(r"^\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d\.\d{6}\+00:00)?$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # ids, states, languages, result codes


class MarkerPrinter:
    """A printer at the edge whose failure text quotes the document (as an encoder
    error would): the marker must not reach the store."""

    def print_document(self, doc):
        return type("R", (), {"printed": False, "state": None,
                              "error": f"cannot encode 'Mustermann, 1980-02-29' "
                                       f"({MARKERS[2]})"})()


class StatePrinter:
    def print_document(self, doc):
        return type("R", (), {"printed": False, "state": PrinterState.PAPER_OUT,
                              "error": f"paper out while printing {MARKERS[0]}"})()


def _allowed(value) -> bool:
    # PostgreSQL's own types: dates, times and booleans (int covers bool)
    if value is None or isinstance(value, (int, date, datetime)):
        return True
    if isinstance(value, str):
        return bool(_TIME.match(value) or _TOKEN.match(value))
    return False


def test_a_visit_with_marker_data_leaves_no_trace(tmp_path, config, clock, open_engine_store):
    path = tmp_path / "q.sqlite3"
    store = open_engine_store(config.terminal_id)
    ticks = iter(range(100, 200))
    service = TicketService(config, store, MarkerPrinter(), clock=clock,
                            monotonic=lambda: float(next(ticks)))
    queue = QueueOperations(config, store, clock=clock)
    first = service.issue("anmeldung", "ar")
    assert not service.print_ticket(first).printed
    second = service.issue("ausweis", f"{MARKERS[0]} {MARKERS[1]}")  # not a language
    service.printer = StatePrinter()
    service.print_ticket(second)
    called = queue.call_next("B12")
    clock.advance(minutes=4)
    queue.done(called.number)
    queue.call_next("7")
    with pytest.raises(ValueError):
        queue.call_next(f"Frau {MARKERS[0]}")  # a counter is an id, not a name

    values = []
    tables = [r[0] for r in rows(store, (
        "SELECT table_name FROM information_schema.tables WHERE table_schema = "
        "current_schema()") if is_postgres(store) else
        "SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        for row in rows(store, f"SELECT * FROM {table}"):
            values.extend(row)
    assert len(values) >= 2 * 17
    for value in values:
        assert not any(m in str(value) for m in MARKERS), value
        assert _allowed(value), value
    assert {v for v in values if v in ("ar", "de")} == {"ar", "de"}
    assert "paper_out" in values and "failed" in values
    if is_postgres(store):
        return
    # the raw file and its WAL (old page images included) hold no marker either
    raw = b"".join(p.read_bytes() for p in (path, tmp_path / "q.sqlite3-wal")
                   if p.exists())
    assert raw and not [m for m in MARKERS if m.encode() in raw]
