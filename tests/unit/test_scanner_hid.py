"""HID keyboard-mode scanner: layout-aware decoding, the reading loop, reconnects, lazy evdev.

Key codes below are written out from linux/input-event-codes.h on purpose, not
taken from the module under test, so a wrong table entry shows up here.
"""

import errno
import os
import subprocess
import sys
import threading
import time
import types

import pytest

from kiosk.devices.reconnect import LinkState
from kiosk.devices.scanner import hid_layouts
from kiosk.devices.scanner.events import ScanEvent, ScanRejected
from kiosk.devices.scanner.hid_scanner import EvdevSource, HidDecoder, HidScanner, open_evdev_device

SHIFT, RSHIFT, CTRL, ALT, ALTGR, ENTER, KPENTER, CAPS = 42, 54, 29, 56, 100, 28, 96, 58
PAYLOAD = "https://termin.example/c?x=Z7y-9"


def tap(*codes):
    return [e for c in codes for e in ((c, 1), (c, 0))]


def held(modifier, *codes):
    return [(modifier, 1), *tap(*codes), (modifier, 0)]


# The same payload as a US-layout scanner types it ...
US_KEYS = [
    *tap(35, 20, 20, 25, 31), *held(SHIFT, 39), *tap(53, 53),   # https  :  //
    *tap(20, 18, 19, 50, 23, 49, 52),                           # termin.
    *tap(18, 45, 30, 50, 25, 38, 18, 53, 46),                   # example/c
    *held(SHIFT, 53), *tap(45, 13), *held(RSHIFT, 44),          # ?  x=  Z
    *tap(8, 21, 12, 10), *tap(ENTER),                           # 7y-9
]
# ... and as a German-layout (QWERTZ) scanner types it.
DE_KEYS = [
    *tap(35, 20, 20, 25, 31), *held(SHIFT, 52), *held(SHIFT, 8, 8),   # https  :  //
    *tap(20, 18, 19, 50, 23, 49, 52),                                 # termin.
    *tap(18, 45, 30, 50, 25, 38, 18), *held(SHIFT, 8), *tap(46),      # example/c
    *held(SHIFT, 12), *tap(45), *held(SHIFT, 11), *held(SHIFT, 21),   # ?  x  =  Z
    *tap(8, 44, 53, 10), *tap(ENTER),                                 # 7y-9
]


def decode(keys, layout="de", max_length=512):
    decoder = HidDecoder(layout, max_length)
    results = [decoder.feed(code, value) for code, value in keys]
    return [r for r in results if r is not None]


def test_same_payload_from_us_and_german_scanners():
    assert US_KEYS != DE_KEYS
    assert decode(US_KEYS, "us") == [PAYLOAD]
    assert decode(DE_KEYS, "de") == [PAYLOAD]


def test_wrong_layout_gives_a_different_payload():
    assert decode(DE_KEYS, "us") != [PAYLOAD]


def test_german_symbols_umlauts_and_altgr():
    keys = [
        *tap(12), *tap(40, 39, 26), *held(SHIFT, 40, 39, 26),  # ß äöü ÄÖÜ
        *held(SHIFT, 4), *tap(43), *held(SHIFT, 43),           # § # '
        *tap(86), *held(SHIFT, 86), *held(ALTGR, 86),          # < > |
        *held(ALTGR, 16, 18, 8, 9, 10, 11, 12, 27),            # @ € { [ ] } \ ~
        *tap(27), *held(SHIFT, 27), *held(SHIFT, 41),          # + * °
        *held(SHIFT, 2, 3, 7), *tap(ENTER),                    # ! " &
    ]
    assert decode(keys) == ["ßäöüÄÖÜ§#'<>|@€{[]}\\~+*°!\"&"]


def test_us_symbols():
    keys = [*held(SHIFT, 3, 4, 5, 7, 8, 9, 10, 11), *tap(26, 27, 40, 41, 43),
            *held(SHIFT, 40, 41), *tap(ENTER)]
    assert decode(keys, "us") == ["@#$^&*()[]'`\\\"~"]


def test_ctrl_alt_counts_as_altgr():
    keys = [(CTRL, 1), (ALT, 1), *tap(16), (ALT, 0), (CTRL, 0), *tap(ENTER)]
    assert decode(keys) == ["@"]


def test_dead_keys_compose_like_a_german_keymap():
    keys = [
        *tap(41, 57),            # ^ then space -> ^
        *tap(13, 18),            # ´ then e -> é
        *held(SHIFT, 13), *tap(30),  # ` then a -> à
        *tap(41, 45),            # ^ then x -> ^x (no such letter)
        *tap(ENTER),
    ]
    assert decode(keys) == ["^éà^x"]


def test_dead_key_at_the_end_stands_alone():
    assert decode([*tap(41), *tap(ENTER)]) == ["^"]


def test_caps_lock_flips_letters_and_umlauts_only():
    keys = [*tap(CAPS), *tap(30, 40, 2), *held(SHIFT, 30), *tap(CAPS), *tap(30), *tap(ENTER)]
    assert decode(keys) == ["AÄ1aa"]


def test_keypad_and_keypad_enter():
    keys = tap(79, 80, 81, 83, 82, 74, 78, 55, 98, KPENTER)
    assert decode(keys, "de") == ["123,0-+*/"]
    assert decode(keys, "us") == ["123.0-+*/"]


def test_key_up_and_autorepeat_add_nothing():
    keys = [(30, 1), (30, 2), (30, 2), (30, 0), (30, 0), *tap(ENTER)]
    assert decode(keys) == ["a"]


def test_rejections():
    assert decode(tap(ENTER)) == [ScanRejected.EMPTY]
    assert decode([*tap(30), *tap(59), *tap(ENTER)]) == [ScanRejected.DECODE_ERROR]  # F1
    assert decode([*held(CTRL, 34), *tap(ENTER)]) == [ScanRejected.BINARY]           # Ctrl+G
    assert decode([*tap(*[30] * 6), *tap(ENTER), *tap(31, ENTER)], max_length=5) == [
        ScanRejected.TOO_LONG, "s"]


def test_unknown_layout_is_refused():
    with pytest.raises(ValueError):
        HidDecoder("fr")


def test_key_codes_match_evdev_when_installed():
    ecodes = pytest.importorskip("evdev").ecodes
    names = [n for n in dir(hid_layouts) if n.startswith("KEY_") or n == "EV_KEY"]
    assert len(names) > 60
    for name in names:
        assert getattr(hid_layouts, name) == getattr(ecodes, name), name


# --- the reading loop -------------------------------------------------------------


def ev(code, value, type_=1):
    return types.SimpleNamespace(type=type_, code=code, value=value)


def as_events(keys):
    # Real devices interleave EV_MSC scan codes and EV_SYN reports; both must be skipped.
    out = []
    for code, value in keys:
        out += [ev(4, 0x70000 + code, 4), ev(code, value), ev(0, 0, 0)]
    return out


def test_consume_turns_events_into_scan_events():
    scans = []
    scanner = HidScanner("/dev/input/fake", layout="us", on_scan=scans.append, name="hid-1")
    scanner.consume(as_events(US_KEYS + tap(ENTER)))
    assert scans == [ScanEvent(PAYLOAD, "hid-1")]
    assert scanner.sink.counters.snapshot()["empty"] == 1


class FakeSource:
    def __init__(self, events, then_block=None):
        self.events = events
        self.then_block = then_block
        self.closed = False

    def __iter__(self):
        yield from self.events
        while self.then_block is not None and not self.then_block.is_set():
            time.sleep(0.01)
            yield None

    def close(self):
        self.closed = True


def test_worker_reconnects_after_the_device_disappears():
    stop_blocking = threading.Event()
    first = FakeSource(as_events(tap(30, ENTER)))  # ends: device unplugged
    second = FakeSource(as_events(tap(48, ENTER)), then_block=stop_blocking)
    outcomes = [first, OSError(errno.ENODEV, "No such device"), second]
    opened = []

    def open_device(path):
        opened.append(path)
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    scans, states = [], []
    scanner = HidScanner("/dev/input/by-id/scanner", on_scan=scans.append, open_device=open_device,
                         reconnect_min_s=0.01)
    scanner.add_listener(states.append)
    with scanner:
        deadline = time.monotonic() + 5
        while len(scans) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [s.payload for s in scans] == ["a", "b"]
        assert scanner.state is LinkState.ONLINE
    stop_blocking.set()
    assert states == [LinkState.ONLINE, LinkState.OFFLINE, LinkState.ONLINE]
    assert first.closed and second.closed
    assert opened == ["/dev/input/by-id/scanner"] * 3


def test_open_evdev_device_grabs_and_close_ungrabs(monkeypatch):
    calls = []

    class InputDevice:
        def __init__(self, path):
            calls.append(("open", path))

        def grab(self):
            calls.append("grab")

        def ungrab(self):
            calls.append("ungrab")

        def close(self):
            calls.append("close")

    monkeypatch.setitem(sys.modules, "evdev", types.SimpleNamespace(InputDevice=InputDevice))
    source = open_evdev_device("/dev/input/event7")
    assert calls == [("open", "/dev/input/event7"), "grab"]
    source.close()
    assert calls[-2:] == ["ungrab", "close"]


def test_evdev_source_yields_events_and_raises_when_unplugged():
    read_fd, write_fd = os.pipe()

    class Device:
        fd = read_fd
        batches = [[ev(30, 1), ev(30, 0)], OSError(errno.ENODEV, "No such device")]

        def read(self):
            os.read(read_fd, 1)
            batch = self.batches.pop(0)
            if isinstance(batch, Exception):
                raise batch
            return iter(batch)

    try:
        source = iter(EvdevSource(Device(), poll_s=0.01))
        assert next(source) is None  # idle tick while nothing is readable
        os.write(write_fd, b"xx")
        assert [(e.code, e.value) for e in (next(source), next(source))] == [(30, 1), (30, 0)]
        with pytest.raises(OSError) as err:
            next(source)
        assert err.value.errno == errno.ENODEV
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_package_imports_without_evdev_and_reports_it_missing():
    code = (
        "import sys, time; sys.modules['evdev'] = None\n"
        "from kiosk.devices.scanner.hid_scanner import HidScanner\n"
        "s = HidScanner('/dev/input/x').start()\n"
        "deadline = time.monotonic() + 5\n"
        "while s.last_error is None and time.monotonic() < deadline: time.sleep(0.01)\n"
        "s.close(); print(s.state.value, s.last_error)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("offline") and "evdev" in out.stdout
