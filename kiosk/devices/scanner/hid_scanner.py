"""USB-HID (keyboard-mode) scanner: reads its key events with evdev and decodes them to scans.

The device is grabbed, so its keystrokes never reach a text field. evdev is
imported only when a real device is opened; decoding is a pure class fed with
numeric key codes, and the reading loop accepts any iterable of events.
"""

from __future__ import annotations

import logging
import select
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from kiosk.devices.reconnect import (
    Backoff,
    DeviceWorker,
    LinkStatus,
)
from kiosk.devices.scanner.events import (
    RejectCallback,
    ScanCallback,
    ScanRejected,
    ScanSink,
)
from kiosk.devices.scanner.hid_layouts import (
    CTRL_KEYS,
    END_KEYS,
    EV_KEY,
    IGNORED_KEYS,
    KEY_CAPSLOCK,
    KEY_LEFTALT,
    KEY_RIGHTALT,
    LAYOUTS,
    SHIFT_KEYS,
)
from kiosk.devices.scanner.validate import validate_payload

logger = logging.getLogger(__name__)

KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2
_COMBINING = {"^": "\u0302", "´": "\u0301", "`": "\u0300"}


class HidDecoder:
    """Turns key events into payloads: ``feed`` returns a result when Enter ends a scan."""

    def __init__(self, layout: str = "de", max_length: int = 512) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"unknown keyboard layout {layout!r}; known: {sorted(LAYOUTS)}")
        self.layout = LAYOUTS[layout]
        self.max_length = max_length
        self.reset()

    def reset(self) -> None:
        """Forget everything, held modifiers included (after the device was reopened)."""
        self._held: set[int] = set()
        self._caps = False
        self._clear_scan()

    def _clear_scan(self) -> None:
        self._chars: list[str] = []
        self._dead: str | None = None
        self._too_long = False
        self._undecodable = False

    def feed(self, code: int, value: int) -> str | ScanRejected | None:
        if value == KEY_REPEAT:
            return None  # a scanner does not hold keys; a repeat is no new character
        if code in SHIFT_KEYS or code in CTRL_KEYS or code in (KEY_LEFTALT, KEY_RIGHTALT):
            if value == KEY_DOWN:
                self._held.add(code)
            else:
                self._held.discard(code)
            return None
        if value != KEY_DOWN or code in IGNORED_KEYS:
            return None
        if code == KEY_CAPSLOCK:
            self._caps = not self._caps
            return None
        if code in END_KEYS:
            return self._finish()
        text = self._translate(code)
        if text is None:
            self._undecodable = True
        else:
            self._append(text)
        return None

    def _translate(self, code: int) -> str | None:
        shift = bool(self._held & SHIFT_KEYS)
        ctrl = bool(self._held & CTRL_KEYS)
        # Windows treats Ctrl+Alt as AltGr and some scanners send it that way.
        altgr = KEY_RIGHTALT in self._held or (ctrl and KEY_LEFTALT in self._held)
        level = 2 if altgr else int(shift)
        if code in self.layout.caps_keys and self._caps and level < 2:
            level = 1 - level
        accent = self.layout.dead.get((code, level))
        if accent is not None:
            pending, self._dead = self._dead or "", accent
            return pending  # two dead keys in a row: the first one stands alone
        entry = self.layout.keys.get(code)
        if entry is None or (KEY_LEFTALT in self._held and not altgr):
            return None
        if ctrl and not altgr:
            base = entry[0]
            # Ctrl+letter is a control character (GS1 scanners send GS this way);
            # validation rejects it as binary instead of passing a wrong letter on.
            return chr(ord(base.lower()) & 0x1F) if base and base.isascii() and base.isalpha() else None
        char = entry[level]
        if char is None:
            return None
        if self._dead is not None:
            char, self._dead = _compose(self._dead, char), None
        return char

    def _append(self, text: str) -> None:
        if self._too_long:
            return
        self._chars.append(text)
        if sum(len(t) for t in self._chars) > self.max_length:
            self._chars.clear()
            self._too_long = True  # keep discarding until Enter

    def _finish(self) -> str | ScanRejected:
        if self._dead is not None:
            self._append(self._dead)
        too_long, undecodable, text = self._too_long, self._undecodable, "".join(self._chars)
        self._clear_scan()
        if too_long:
            return ScanRejected.TOO_LONG
        if undecodable:
            return ScanRejected.DECODE_ERROR
        return validate_payload(text, self.max_length)


def _compose(accent: str, char: str) -> str:
    """Dead key + next key as an xkb keymap composes them; space gives the accent itself."""
    if char == " ":
        return accent
    composed = unicodedata.normalize("NFC", char + _COMBINING[accent])
    return composed if len(composed) == 1 else accent + char


class EventSource(Protocol):
    """What HidScanner reads: key events (objects with .type .code .value); None = idle tick."""

    def __iter__(self) -> Iterator[Any]: ...

    def close(self) -> None: ...


class EvdevSource:
    """A grabbed evdev input device as an EventSource."""

    def __init__(self, device: Any, poll_s: float = 0.2) -> None:
        self._device = device
        self._poll_s = poll_s

    def __iter__(self) -> Iterator[Any]:
        while True:
            ready, _, _ = select.select([self._device.fd], [], [], self._poll_s)
            if not ready:
                yield None  # lets the reader notice a stop request
                continue
            try:
                batch = list(self._device.read())
            except BlockingIOError:
                continue
            yield from batch

    def close(self) -> None:
        try:
            self._device.ungrab()
        except OSError:
            pass  # an unplugged device cannot be ungrabbed; closing is what matters
        finally:
            self._device.close()


def open_evdev_device(path: str) -> EvdevSource:
    """Open and grab ``path`` (e.g. /dev/input/by-id/...-event-kbd)."""
    import evdev  # optional dependency (extra "scanner"): only needed for a real HID scanner

    device = evdev.InputDevice(path)
    try:
        device.grab()
    except OSError:
        device.close()
        raise
    return EvdevSource(device)


class HidScanner(DeviceWorker):
    """One keyboard-mode scanner; ``on_scan`` / ``on_reject`` run on its worker thread."""

    _error_text_is_safe = False  # an error message could quote a scanned payload

    def __init__(
        self,
        device_path: str,
        layout: str = "de",
        max_length: int = 512,
        on_scan: ScanCallback | None = None,
        on_reject: RejectCallback | None = None,
        reconnect_min_s: float = 0.2,
        reconnect_max_s: float = 5.0,
        name: str = "hid-scanner",
        open_device: Callable[[str], EventSource] = open_evdev_device,
    ) -> None:
        self.device_path = device_path
        self.name = name
        self.sink = ScanSink(name, on_scan, on_reject)
        self._decoder = HidDecoder(layout, max_length)
        self._open_device = open_device
        self._backoff = Backoff(reconnect_min_s, reconnect_max_s)
        self._status = LinkStatus(name)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _join_timeout_s(self) -> float:
        return 5.0

    def consume(self, events: Iterable[Any]) -> None:
        """Decode events until they end or close() is called."""
        for event in events:
            if self._stop.is_set():
                return
            if event is None or event.type != EV_KEY:
                continue
            result = self._decoder.feed(event.code, event.value)
            if isinstance(result, ScanRejected):
                self.sink.reject(result)
            elif result is not None:
                self.sink.accept(result)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                source = self._open_device(self.device_path)
            except (OSError, ImportError) as err:
                self._status.set_offline(err)
                self._stop.wait(self._backoff.next_delay())
                continue
            self._decoder.reset()  # keys held or half a scan from before are gone
            try:
                self.consume(self._confirming(source))
                if not self._stop.is_set():
                    self._status.set_offline("event stream ended")
            except OSError as err:
                self._status.set_offline(err)
            finally:
                _close_source(self.name, source)
            self._stop.wait(self._backoff.next_delay())

    def _confirming(self, source: EventSource) -> Iterator[Any]:
        """The source's events; ONLINE at the first one (an event or an idle tick), so a
        device that opens but cannot be read does not flap on every retry."""
        confirmed = False
        for item in source:
            if not confirmed:
                confirmed = True
                self._backoff.reset()
                self._status.set_online()
            yield item


def _close_source(name: str, source: EventSource) -> None:
    try:
        source.close()
    except Exception as err:
        logger.debug("%s: closing the device failed: %s", name, type(err).__name__)
