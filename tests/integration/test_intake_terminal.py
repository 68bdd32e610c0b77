"""The running Terminal with [intake] on: its IntakeService seals, issues the queue
ticket through the terminal's ticket path and prints the receipt through the printer
worker; the daily purge thread runs from the start and stops with the terminal; a bad
key file turns the intake off (named in the log) but not the queue or the purge."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from kiosk.config import load_config
from kiosk.domain.clock import business_day, utc_now
from kiosk.services.intake_seal import write_keypair
from kiosk.store.sqlite import SqliteStore
from kiosk.wiring import Terminal
from tests.conftest import MINIMAL_CONFIG, write_config
from tests.intake_people import two_persons
from tests.waiting import wait_for


def _config(tmp_path, public):
    return load_config(write_config(tmp_path, MINIMAL_CONFIG.replace(
        "{printer_path}", str(tmp_path / "printer.bin"))
        + f'\n[intake]\npublic_key_files = ["{public}"]\nticket_service = "anmeldung"\n'))


def test_terminal_intake_ticket_receipt_and_purge(tmp_path, data_dir):
    _, public = write_keypair(tmp_path / "office")
    config = _config(tmp_path, public)
    before = SqliteStore(data_dir / "kiosk.sqlite3")  # an intake nobody exported
    before.put_sealed("OLD", b"x" * 64, "k", utc_now() - timedelta(days=20))
    before.close()
    terminal = Terminal(config)
    try:
        assert wait_for(lambda: terminal.store.sealed("OLD") is None)  # purged at start
        result = terminal.intake.submit(two_persons(business_day(utc_now())))
        assert result.accepted and result.ticket.ticket.number.startswith("A")
        assert terminal.intake.print_receipt(result, "de").printed
        assert (tmp_path / "printer.bin").stat().st_size > 200
        assert terminal.store.sealed(result.reference) is not None
    finally:
        terminal.close()
    assert "intake-purge" not in {t.name for t in threading.enumerate()}


def test_a_bad_key_file_turns_the_intake_off_not_the_terminal(tmp_path, data_dir, caplog):
    bad = tmp_path / "bad.pub"
    bad.write_text("not a key\n")
    config = _config(tmp_path, bad)
    with caplog.at_level(logging.ERROR):
        terminal = Terminal(config)
    try:
        assert terminal.intake is None
        assert f"intake not available: {bad}: not a key file" in caplog.text
        assert terminal.tickets.issue("anmeldung", "de").ticket.number == "A001"
        assert wait_for(lambda: terminal.intake_purge.runs >= 1)
    finally:
        terminal.close()
