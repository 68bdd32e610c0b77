"""The availability snapshot the services screen draws from: read by a worker from the
real store, told to the UI only when something changed, a broken store logged once."""

from __future__ import annotations

import logging
import threading

import pytest

from kiosk.services.availability_snapshot import STORE_TROUBLE, AvailabilitySnapshot
from kiosk.services.issue_ticket import Availability, TicketService
from kiosk.store.sqlite import SqliteStore
from tests.waiting import wait_for


@pytest.fixture
def tickets(config, store, clock):
    return TicketService(config, store, None, clock=clock, min_interval_s=0)


class Changes:
    def __init__(self) -> None:
        self.seen: list[tuple[dict, str]] = []

    def __call__(self, states) -> None:
        self.seen.append((states, threading.current_thread().name))


def test_the_worker_reads_the_queue_and_again_on_demand(config, tickets):
    changes = Changes()
    snapshot = AvailabilitySnapshot(tickets, config.services, changes, interval_s=60)
    assert snapshot.state("ausweis") == "open" and not snapshot.ready  # nothing read yet
    snapshot.start()
    try:
        assert wait_for(lambda: snapshot.ready, 10)
        assert changes.seen[0] == ({"anmeldung": "open", "ausweis": "open"},
                                   "kiosk-availability")
        for _ in range(2):  # the quota of 2
            tickets.issue("ausweis", "de")
        snapshot.refresh_soon()  # long before the 60 s timer
        assert wait_for(lambda: snapshot.state("ausweis") == "quota_reached", 10)
        assert changes.seen[-1][0] == {"anmeldung": "open", "ausweis": "quota_reached"}
    finally:
        snapshot.stop()
    assert not any(t.name == "kiosk-availability" for t in threading.enumerate())


def test_the_ui_is_told_only_of_changes(config, tickets):
    changes = Changes()
    snapshot = AvailabilitySnapshot(tickets, config.services, changes)
    for _ in range(3):
        snapshot.read_once()
    assert len(changes.seen) == 1
    tickets.issue("ausweis", "de")
    snapshot.read_once()
    assert len(changes.seen) == 1  # one of two tickets: still open, nothing to redraw


def test_an_unreadable_store_shows_services_unavailable_and_is_logged_once(
        config, tickets, store, caplog):
    changes = Changes()
    snapshot = AvailabilitySnapshot(tickets, config.services, changes)
    snapshot.read_once()
    store.close()  # every later read fails, as with a vanished or broken file
    with caplog.at_level(logging.ERROR):
        for _ in range(3):
            snapshot.read_once()
    assert snapshot.state("anmeldung") == STORE_TROUBLE == snapshot.state("ausweis")
    lines = [r.getMessage() for r in caplog.records]
    assert len([m for m in lines if "availability of anmeldung not readable" in m]) == 1
    assert len(changes.seen) == 2


def test_hours_and_switches_are_known_without_the_store(tmp_path, clock):
    """The screen asks these on the UI thread: they must not need the store (closed
    here, so any read would raise)."""
    import dataclasses

    from kiosk.config import load_config
    from tests.conftest import MINIMAL_CONFIG, write_config

    text = MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "p.bin"))
    config = load_config(write_config(tmp_path, text + '\n[hours]\nmon = ["08:00-12:00"]\n'))
    store = SqliteStore(tmp_path / "c.sqlite3")
    store.close()
    tickets = TicketService(config, store, None, clock=clock)
    anmeldung = config.service("anmeldung")
    assert tickets.config_availability(anmeldung, clock()) is Availability.CLOSED  # Tuesday
    clock.advance(days=6)  # Monday 09:00
    assert tickets.config_availability(anmeldung, clock()) is None  # the queue decides
    off = dataclasses.replace(anmeldung, enabled=False)
    assert tickets.config_availability(off, clock()) is Availability.DISABLED
