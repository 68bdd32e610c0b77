"""The office server link in the health snapshot ([store] backend "http"): the verdict
and the /metrics gauges; counts and ages only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from kiosk.health.assess import assess
from kiosk.health.metrics import SnapshotCollector
from kiosk.health.snapshot import Snapshot, SnapshotError

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)


def snapshot(server) -> Snapshot:
    return Snapshot(terminal_id="t-1", pid=1, started_at=NOW - timedelta(minutes=5),
                    written_at=NOW, refresh_s=5.0, ui_heartbeat_at=NOW,
                    first_frame_at=NOW, server=server)


def metrics(snap: Snapshot) -> str:
    verdict = assess(snap, "", NOW, 30)
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(lambda: (snap, verdict, NOW), "test"))
    return generate_latest(registry).decode()


def test_link_down_is_degraded_and_in_the_gauges():
    snap = snapshot({"reachable": False, "outbox": 3, "outbox_oldest_s": 42.5,
                     "outbox_rejected": 1})
    verdict = assess(snap, "", NOW, 30)
    assert verdict.status == "degraded" and verdict.reasons == ("server_unreachable",)
    text = metrics(snap)
    assert "kiosk_server_reachable 0.0" in text
    assert "kiosk_outbox_entries 3.0" in text
    assert "kiosk_outbox_oldest_seconds 42.5" in text
    assert "kiosk_outbox_rejected 1.0" in text


def test_link_up_is_ok_and_a_local_terminal_has_no_gauges():
    up = snapshot({"reachable": True, "outbox": 0, "outbox_oldest_s": None,
                   "outbox_rejected": 0})
    assert assess(up, "", NOW, 30).status == "ok"
    assert "kiosk_server_reachable 1.0" in metrics(up)
    assert "kiosk_outbox_oldest_seconds 0.0" in metrics(up)
    assert "kiosk_server_reachable" not in metrics(snapshot(None))


def test_the_link_round_trips_and_bad_values_are_refused():
    figures = {"reachable": None, "outbox": 2, "outbox_oldest_s": 1.5, "outbox_rejected": 0}
    assert Snapshot.from_json(snapshot(figures).to_json()).server == figures
    assert Snapshot.from_json(snapshot(None).to_json()).server is None
    with pytest.raises(SnapshotError):
        Snapshot.from_json(snapshot({"reachable": "yes", "outbox": 2}).to_json())
