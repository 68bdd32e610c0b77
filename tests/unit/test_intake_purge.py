"""The terminal's daily intake purge: it runs at start and again each interval, deletes
what is past the retention, and a failing run does not stop the next one."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from kiosk.config_intake import IntakeConfig
from kiosk.services.intake import IntakeService
from kiosk.services.intake_purge import DailyPurge
from kiosk.store.errors import StoreError
from tests.waiting import wait_for


def test_purges_at_start_and_each_interval(config, store, clock):
    cfg = dataclasses.replace(config, intake=IntakeConfig(retention_days=14))
    service = IntakeService(cfg, store, None, clock=clock)
    store.put_sealed("OLD", b"x" * 64, "k", clock() - timedelta(days=15))
    store.put_sealed("NEW", b"y" * 64, "k", clock())
    worker = DailyPurge(service.purge, interval_s=0.05)
    worker.start()
    try:
        assert wait_for(lambda: worker.runs >= 1)
        assert store.sealed("OLD") is None and store.sealed("NEW") is not None
        clock.advance(days=15)
        assert wait_for(lambda: store.sealed("NEW") is None)
    finally:
        worker.stop()
    assert not worker._thread.is_alive()


def test_a_failing_run_does_not_stop_the_next(caplog):
    calls = []

    def purge():
        calls.append(1)
        if len(calls) == 1:
            raise StoreError("/data/kiosk.sqlite3 is locked by another process")
        return 0

    worker = DailyPurge(purge, interval_s=0.01)
    worker.start()
    try:
        assert wait_for(lambda: len(calls) >= 2)
    finally:
        worker.stop()
    assert "intake purge failed: /data/kiosk.sqlite3 is locked" in caplog.text
