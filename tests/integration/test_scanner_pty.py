"""SerialScanner over a real pseudo-terminal: scans, rejects, unplug and replug."""

import os
import queue
import time
import tty
from pathlib import Path

import pytest

from kiosk.devices.reconnect import LinkState
from kiosk.devices.scanner.events import ScanEvent, ScanRejected
from kiosk.devices.scanner.serial_scanner import SerialScanner
from tests.waiting import wait_for


class ScannerPty:
    """The scanner's side of a pty under a stable link; unplug() / plug() like a USB cable."""

    def __init__(self, link: Path):
        self.link = link
        self.master = self.slave = None
        self.plug()

    def plug(self):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        tmp = self.link.with_name(self.link.name + ".tmp")
        tmp.symlink_to(os.ttyname(self.slave))
        os.replace(tmp, self.link)

    def unplug(self):
        self.link.unlink()
        os.close(self.master)
        os.close(self.slave)
        self.master = self.slave = None

    def send(self, data: bytes):
        os.write(self.master, data)

    def close(self):
        if self.master is not None:
            self.unplug()


@pytest.fixture
def device(tmp_path):
    pty = ScannerPty(tmp_path / "scanner")
    yield pty
    pty.close()


@pytest.fixture
def scanner(device):
    scans, rejects = queue.Queue(), queue.Queue()
    sc = SerialScanner(str(device.link), max_length=64, on_scan=scans.put, on_reject=rejects.put,
                       name="test-scanner")
    sc.scans, sc.rejects = scans, rejects
    with sc:
        wait_for(lambda: sc.state is LinkState.ONLINE)
        yield sc


def test_one_terminated_payload_gives_one_scan_event(device, scanner):
    device.send(b"ABC123\r")
    assert scanner.scans.get(timeout=5) == ScanEvent("ABC123", "test-scanner")
    assert scanner.scans.empty()


def test_payload_split_over_several_writes_and_crlf(device, scanner):
    device.send(b"ABC")
    device.send(b"123\r")
    device.send(b"\nXYZ\n")
    assert scanner.scans.get(timeout=5).payload == "ABC123"
    assert scanner.scans.get(timeout=5).payload == "XYZ"
    assert scanner.rejects.empty()


def test_binary_payload_is_dropped_and_counted(device, scanner):
    device.send(b"\x00\x01\x02\xff\r")
    assert scanner.rejects.get(timeout=5) is ScanRejected.BINARY
    device.send(b"OK\r")
    assert scanner.scans.get(timeout=5).payload == "OK"  # the scanner keeps working
    assert scanner.sink.counters.rejected[ScanRejected.BINARY] == 1


def test_over_long_payload_is_dropped(device, scanner):
    device.send(b"X" * 1000)
    device.send(b"X" * 1000 + b"\rOK\r")
    assert scanner.rejects.get(timeout=5) is ScanRejected.TOO_LONG
    assert scanner.scans.get(timeout=5).payload == "OK"
    assert scanner.sink.counters.rejected[ScanRejected.TOO_LONG] == 1


def test_unplug_goes_offline_and_replug_reconnects(device, scanner):
    states = []
    scanner.add_listener(states.append)
    device.send(b"HALF-A-SC")
    time.sleep(0.2)  # let the worker read the half line before the cable goes
    device.unplug()
    assert wait_for(lambda: scanner.state is LinkState.OFFLINE)
    assert scanner.last_error
    device.plug()
    assert wait_for(lambda: scanner.state is LinkState.ONLINE)  # within 5 s
    device.send(b"AFTER\r")
    # The half line from before the unplug must not be glued onto the next scan.
    assert scanner.scans.get(timeout=5).payload == "AFTER"
    assert states == [LinkState.OFFLINE, LinkState.ONLINE]
