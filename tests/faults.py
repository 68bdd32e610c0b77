"""Faults the tests inject into a real store and a real `kiosk` process: a disk that is
full at a chosen moment, a printer driver that raises, a short busy timeout, a process
that dies right after an issue committed.

Run as `python -m tests.faults FAULT[,FAULT] -- ARGS...`: runs `kiosk ARGS` in this
process with the faults in place, exit code and output exactly as the command gives."""

from __future__ import annotations

import sqlite3
import sys

FILLER_DAY = "2000-01-01"


def fill_disk(db: sqlite3.Connection) -> None:
    """The file cannot grow by one page more (PRAGMA max_page_count: SQLite answers
    "database or disk is full", as on a full disk), and the ticket table's page is
    filled to the last bytes, so the next write that adds a ticket or grows the newest
    one needs a page."""
    from kiosk.store.sqlite import INSERT_TICKET

    # free pages (schema version 4 rebuilt the ticket table) would be filled before the
    # file has to grow: none may be left
    db.execute("VACUUM")
    # a new row lands next to the newest ticket (ids grow), in the same page
    seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM ticket WHERE business_day = ?",
                     (FILLER_DAY,)).fetchone()[0]
    filler = db.execute(INSERT_TICKET, (FILLER_DAY, "filler", "Z", seq, f"Z{seq:03d}",
                                        f"filler{seq}", "t", "de",
                                        "2000-01-01T08:00:00+00:00", "done")).lastrowid
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    low, high = 0, 4000  # the largest filler cell that still fits in the page
    while low < high:
        size = (low + high + 1) // 2
        try:
            db.execute("UPDATE ticket SET print_error = ? WHERE id = ?", ("x" * size, filler))
            low = size
        except sqlite3.OperationalError as err:
            if "full" not in str(err):
                raise
            high = size - 1
    db.execute("UPDATE ticket SET print_error = ? WHERE id = ?", ("x" * low, filler))


class RaisingPrinter:
    """A driver with a bug: print_document raises instead of returning a result."""

    def print_document(self, doc):
        raise RuntimeError("driver bug: unexpected\nmulti-line failure")


def _exit_after_issue(store) -> None:
    """The process dies the moment an issue has committed: before the answer is kept or
    sent anywhere (as a power cut or an OOM kill would hit it)."""
    import os

    def dying(real):
        def issue(*args, **kwargs):
            real(*args, **kwargs)
            os._exit(70)
        return issue
    store.issue = dying(store.issue)
    if hasattr(store, "issue_counted"):
        store.issue_counted = dying(store.issue_counted)


def _install(faults: set[str]) -> None:
    import kiosk.store.sqlite as sqlite_store
    import kiosk.wiring as wiring

    opened = []
    real_open, real_printer = wiring.open_store, wiring.build_printer

    def open_store(config):
        store = real_open(config)
        opened.append(store)
        if "exit-after-issue" in faults:
            _exit_after_issue(store)
        if "full-at-start" in faults:
            with store._lock:
                fill_disk(store._db)
        return store

    def build_printer(printer_config):
        if "printer-raises" in faults:
            return RaisingPrinter()
        printer = real_printer(printer_config)
        if "full-after-print" in faults:
            real_print = printer.print_document

            def print_then_fill(doc):
                result = real_print(doc)
                with opened[0]._lock:
                    fill_disk(opened[0]._db)
                return result

            printer.print_document = print_then_fill
        return printer

    wiring.open_store, wiring.build_printer = open_store, build_printer
    if "short-busy-timeout" in faults:
        sqlite_store.BUSY_TIMEOUT_MS = 300


def main(argv: list[str]) -> int:
    split = argv.index("--")
    _install(set(argv[0].split(",")))
    from kiosk.cli import main as kiosk_main

    return kiosk_main(argv[split + 1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
