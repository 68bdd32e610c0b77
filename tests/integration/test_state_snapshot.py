"""The running Terminal keeps the state snapshot current from its real parts (SQLite,
printer worker) and the snapshot holds counts and times, never a ticket's number or
reference."""

from __future__ import annotations

import json
import os
import stat
import threading

from kiosk.services.queue_ops import QueueOperations
from kiosk.wiring import Terminal, ticket_service
from tests.waiting import wait_for

TOP_LEVEL_KEYS = {"schema", "terminal_id", "pid", "started_at", "written_at", "refresh_s",
                  "devices", "last_ticket_at", "queues", "store_error", "print_jobs",
                  "ui_heartbeat_at", "first_frame_at", "counters", "open_services",
                  "store_bytes", "errors", "version", "config_hash",
                  "server"}  # the office server link: counts and ages only (null: local)


def _read(path) -> dict:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}


def test_snapshot_counts_tickets_and_holds_nothing_that_identifies_one(config, data_dir):
    terminal = Terminal(config)
    try:
        # the app's own path, without the double-tap pause between visitors
        tickets = ticket_service(config, terminal.store, terminal.printer, min_interval_s=0)
        issued = [tickets.issue(service, lang) for service, lang in
                  (("anmeldung", "de"), ("anmeldung", "ar"), ("anmeldung", "en"),
                   ("ausweis", "de"))]
        for ticket in issued:
            assert tickets.print_ticket(ticket).printed
        QueueOperations(config, terminal.store).call_next("3", ["anmeldung"])
        path = data_dir / "state.json"
        assert wait_for(lambda: _read(path).get("queues") == {"anmeldung": 2, "ausweis": 1}
                        and _read(path)["print_jobs"] == {"printed": 4, "failed": 0}, 20)
    finally:
        terminal.close()
    assert "state-snapshot" not in {t.name for t in threading.enumerate()}  # closed with it
    raw = path.read_text(encoding="utf-8")
    data = json.loads(raw)
    assert set(data) == TOP_LEVEL_KEYS  # a new field is a review, not an accident
    assert data["pid"] == os.getpid() and data["terminal_id"] == config.terminal_id
    assert data["last_ticket_at"] == \
        issued[-1].ticket.issued_at.replace(microsecond=0).isoformat()
    assert [(d["kind"], d["state"]) for d in data["devices"]] == [("printer", "online")]
    for ticket in issued:
        assert ticket.ticket.number not in raw
        assert ticket.ticket.reference not in raw
        assert ticket.ticket.issued_at.isoformat(timespec="microseconds") not in raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
