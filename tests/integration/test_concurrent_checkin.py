"""The same codes scanned at the same moment in two processes on one store (a SQLite
file, a real PostgreSQL server): every booking gets exactly one ticket; the other
process is told the number already held."""

from __future__ import annotations

import multiprocessing as mp
from datetime import datetime, timedelta, timezone

BOOKINGS = 40
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def _scan_all(config_path: str, engine: str, store_path: str, start, results) -> None:
    """`start` is a barrier of both processes: each code is scanned by both at once."""
    from kiosk.config import load_config
    from kiosk.wiring import check_in_service
    from tests.store_sql import open_store_at

    store = open_store_at(engine, store_path, terminal_id="proc")
    service = check_in_service(load_config(config_path), store, clock=lambda: NOW)
    out = []
    for i in range(BOOKINGS):
        start.wait(timeout=60)
        result = service.check_in(str(300000 + i), "de", typed=True)
        out.append((str(300000 + i), result.outcome.value, result.number))
    store.close()
    results.put(out)


def test_two_processes_one_ticket_per_booking(tmp_path, engine_place):
    from kiosk.domain.appointment import Booking, BookingStatus
    from tests.conftest import MINIMAL_CONFIG, write_config
    from tests.store_sql import open_store_at, rows

    config = write_config(tmp_path, MINIMAL_CONFIG.replace(
        "{printer_path}", str(tmp_path / "p.bin")) + '\n[appointments]\noffice_id = "x"\n')
    engine, path = engine_place
    store = open_store_at(engine, path)
    store.import_bookings([Booking(str(300000 + i), "anmeldung", "x",
                                   NOW + timedelta(minutes=i % 10), 10,
                                   BookingStatus.CONFIRMED) for i in range(BOOKINGS)], NOW)
    store.close()
    ctx = mp.get_context("spawn")
    start, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_scan_all, args=(str(config), engine, path, start, results))
             for _ in range(2)]
    for p in procs:
        p.start()
    runs = [results.get(timeout=90) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    for (ref, a, number_a), (_, b, number_b) in zip(*runs):
        assert sorted([a, b]) == ["already_checked_in", "checked_in"], (ref, a, b)
        assert number_a == number_b  # the second is shown the number the first got
    store = open_store_at(engine, path)
    try:
        numbers = store.all_numbers(NOW.date())
        count = rows(store, "SELECT COUNT(*) FROM checkin")[0][0]
    finally:
        store.close()
    assert numbers == [f"T{i:03d}" for i in range(1, BOOKINGS + 1)] and count == BOOKINGS
