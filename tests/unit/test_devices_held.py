"""`kiosk devices` for a device another process holds: the running kiosk's own view
from its state snapshot, or an error that says why nobody can vouch for the device."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from kiosk.health.snapshot import DeviceView, Snapshot
from kiosk.health.state_file import KioskView
from kiosk.services.device_check import HELD, held_report, probe_all

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)


def _snapshot() -> Snapshot:
    devices = (DeviceView("printer", "TM-T88V", "/dev/kiosk-printer", "paper_out",
                          "paper end", T0),
               DeviceView("display", "lobby", "/dev/kiosk-display", "online", "", T0))
    return Snapshot("bb-01", os.getpid(), T0, T0 + timedelta(seconds=30), 5.0, devices)


def test_held_device_answer():
    view = KioskView(_snapshot())
    printer = held_report("printer", "TM-T88V", "/dev/kiosk-printer", view)
    assert (printer.state, printer.cause, printer.ok) == ("paper_out", "paper end", False)
    assert printer.source == f"running kiosk (pid {os.getpid()})"
    assert "as reported by the running kiosk" in printer.reason()
    display = held_report("display", "lobby", "/dev/kiosk-display", view)
    assert display.ok and display.state == "online"
    other = held_report("display", "hall", "/dev/ttyUSB7", view)
    assert not other.ok and "does not report it" in other.cause
    nobody = held_report("printer", "TM-T88V", "/dev/kiosk-printer", None)
    assert not nobody.ok and nobody.cause.startswith("held by another process")


def test_state_file_is_read_only_when_a_device_is_held():
    reads = []

    def running():
        reads.append(1)
        return None

    probe_all([("printer", "p", "/dev/p", lambda: ("online", ""))], running=running)
    assert reads == []
    probe_all([("printer", "p", "/dev/p", lambda: (HELD, "busy")),
               ("display", "d", "/dev/d", lambda: (HELD, "busy"))], running=running)
    assert reads == [1]
