"""The serial call-up signs attached to the office server: a call published on the
server's call bus reaches the sign (a pty with the display simulator) without polling the
store, a recall moves its number back to the top, and at start the sign shows the calls
already in the store."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from kiosk.config import DisplayConfig
from kiosk.devices.display.simulator import SimDisplay
from kiosk.server.events import CallBus
from kiosk.server.signs import BusSigns
from kiosk.wiring import build_display

TIMEOUT = 30


def _call(number: str, counter: str) -> dict:
    return {"number": number, "service": "anmeldung", "counter": counter,
            "called_at": "2026-03-02T09:00:00+00:00", "recall": False}


def test_bus_calls_reach_the_sign_newest_first(tmp_path):
    cfg = DisplayConfig(id="lobby", device=str(tmp_path / "sign"), max_calls=2,
                        counter_format="Schalter {counter}")
    clock = lambda: datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # noqa: E731
    bus = CallBus()
    with SimDisplay(pty_link=tmp_path / "sign").start() as sign:
        worker = build_display(cfg)
        try:
            signs = BusSigns([(worker, cfg)], clock)
            signs.start_with([("A001", "2")])
            assert sign.wait_until(lambda s: s.shown[:1] == ["A001 -> Schalter 2"], TIMEOUT)
            stop = bus.listen(signs.on_call)
            bus.publish(_call("A002", "3"))
            assert sign.wait_until(lambda s: s.shown[:2] == ["A002 -> Schalter 3",
                                                             "A001 -> Schalter 2"], TIMEOUT)
            bus.publish(dict(_call("A001", "2"), recall=True))  # called again: on top
            assert sign.wait_until(lambda s: s.shown[:2] == ["A001 -> Schalter 2",
                                                             "A002 -> Schalter 3"], TIMEOUT)
            bus.publish(_call("A003", "4"))  # the sign keeps its max_calls
            assert sign.wait_until(lambda s: s.shown == ["A003 -> Schalter 4",
                                                         "A001 -> Schalter 2"], TIMEOUT), \
                sign.shown
            stop()
            bus.publish(_call("A004", "5"))
            assert not sign.wait_until(lambda s: "A004" in " ".join(s.shown), 1.0)
        finally:
            worker.close()


def test_yesterdays_calls_leave_the_sign_at_the_day_change(tmp_path):
    cfg = DisplayConfig(id="lobby", device=str(tmp_path / "sign"), max_calls=3)
    now = [datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc)]
    with SimDisplay(pty_link=tmp_path / "sign").start() as sign:
        worker = build_display(cfg)
        try:
            signs = BusSigns([(worker, dataclasses.replace(cfg))], lambda: now[0])
            signs.start_with([("A041", "2")])
            now[0] = datetime(2026, 3, 3, 7, 30, tzinfo=timezone.utc)
            signs.on_call(_call("A001", "1"))
            assert sign.wait_until(lambda s: s.shown == ["A001 -> Schalter 1"], TIMEOUT), \
                sign.shown
        finally:
            worker.close()
