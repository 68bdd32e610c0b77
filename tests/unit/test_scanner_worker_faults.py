"""Scanner workers outlive faults nobody planned for (issue 7, item 4): the thread
keeps running, the state says why, the fault is logged once and without any payload,
and scanning resumes when the fault goes away."""

from __future__ import annotations

import logging
import threading
import time
from types import SimpleNamespace

from kiosk.devices.reconnect import LinkState
from kiosk.devices import reconnect
from kiosk.devices.scanner.hid_scanner import HidScanner
from kiosk.devices.scanner.serial_scanner import SerialScanner
from tests.waiting import wait_for

SECRET = "BOOKING-4711"  # stands for a scanned payload: must never reach a log


class ExplodingPort:
    in_waiting = 0

    def __init__(self) -> None:
        self.closed = False

    def read(self, size: int = 1) -> bytes:
        raise RuntimeError(f"decoder choked on {SECRET}")

    def close(self) -> None:
        self.closed = True


class ScriptedPort:
    """Hands out `data` once, then reads nothing (like an idle scanner)."""

    def __init__(self, data: bytes) -> None:
        self.data = bytearray(data)
        self.closed = False

    @property
    def in_waiting(self) -> int:
        return len(self.data)

    def read(self, size: int = 1) -> bytes:
        if not self.data:
            time.sleep(0.01)
            return b""
        chunk, self.data = bytes(self.data[:size]), self.data[size:]
        return chunk

    def close(self) -> None:
        self.closed = True


def test_serial_scanner_survives_an_unexpected_error_and_scans_again(monkeypatch, caplog):
    caplog.set_level(logging.DEBUG, logger="kiosk.devices")
    ports = [ExplodingPort() for _ in range(4)] + [ScriptedPort(b"A017\r")]
    opened = []

    def serial_for_url(url, **kwargs):
        port = ports.pop(0) if len(ports) > 1 else ports[0]
        opened.append(port)
        return port

    monkeypatch.setattr(reconnect, "serial_for_url", serial_for_url)
    scans, states = [], []
    scanner = SerialScanner("/dev/kiosk-scanner", on_scan=scans.append, reconnect_min_s=0.01,
                            reconnect_max_s=0.02)
    scanner.add_listener(states.append)
    with scanner:
        assert wait_for(lambda: [s.payload for s in scans] == ["A017"])
        assert scanner._thread.is_alive()
    assert len(opened) >= 5 and all(p.closed for p in opened)
    assert states == [LinkState.ONLINE]  # no flapping while the port could not be read
    errors = [r for r in caplog.records
              if "worker error" in r.getMessage() and r.levelno >= logging.WARNING]
    assert len(errors) == 1 and "RuntimeError" in errors[0].getMessage()
    assert not any(SECRET in r.getMessage() or SECRET in str(r.exc_text or "")
                   for r in caplog.records)


def test_serial_scanner_state_says_why_while_the_fault_lasts(monkeypatch):
    monkeypatch.setattr(reconnect, "serial_for_url", lambda url, **kw: ExplodingPort())
    with SerialScanner("/dev/kiosk-scanner", reconnect_min_s=0.01,
                       reconnect_max_s=0.02) as scanner:
        assert wait_for(lambda: scanner.last_error == "unexpected RuntimeError")
        assert scanner.state is LinkState.OFFLINE and scanner._thread.is_alive()


def test_serial_scanner_with_a_misspelt_url_scheme_says_so_and_keeps_trying():
    with SerialScanner("sokcet://127.0.0.1:7000", reconnect_min_s=0.01,
                       reconnect_max_s=0.02) as scanner:
        assert wait_for(lambda: scanner.last_error is not None)
        assert "sokcet" in scanner.last_error and scanner._thread.is_alive()


def _key(code: int, value: int):
    return SimpleNamespace(type=1, code=code, value=value)


class Source:
    def __init__(self, events, fail: Exception | None = None, hold: threading.Event | None = None):
        self.events, self.fail, self.hold, self.closed = events, fail, hold, False

    def __iter__(self):
        yield from self.events
        if self.fail is not None:
            raise self.fail
        while self.hold is not None and not self.hold.is_set():
            time.sleep(0.01)
            yield None

    def close(self) -> None:
        self.closed = True


def test_hid_scanner_survives_unexpected_errors_on_open_and_read(caplog):
    caplog.set_level(logging.DEBUG, logger="kiosk.devices")
    release = threading.Event()
    a, enter = 30, 28  # KEY_A, KEY_ENTER
    outcomes = [RuntimeError("evdev bug"), RuntimeError("evdev bug"),
                Source([_key(a, 1), _key(a, 0)], fail=ValueError(f"bad event {SECRET}")),
                Source([_key(a, 1), _key(a, 0), _key(enter, 1), _key(enter, 0)], hold=release)]
    opened = []

    def open_device(path):
        outcome = outcomes.pop(0)
        opened.append(outcome)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    scans = []
    scanner = HidScanner("/dev/input/scanner", layout="us", on_scan=scans.append,
                         open_device=open_device, reconnect_min_s=0.01, reconnect_max_s=0.02)
    with scanner:
        assert wait_for(lambda: [s.payload for s in scans] == ["a"])
        assert scanner.state is LinkState.ONLINE and scanner._thread.is_alive()
    release.set()
    assert opened[2].closed and opened[3].closed
    errors = [r.getMessage() for r in caplog.records
              if "worker error" in r.getMessage() and r.levelno >= logging.WARNING]
    assert len(errors) == 2  # one per kind of fault, not one per retry
    assert not any(SECRET in r.getMessage() or SECRET in str(r.exc_text or "")
                   for r in caplog.records)
