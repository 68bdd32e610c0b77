"""The UI thread's sign of life: it calls `beat()` every second from a Kivy Clock interval
and `frame_drawn()` once after its first frame; the snapshot writer reads both from its
own thread. Two float assignments, no I/O, so the UI never waits on anything here."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone

# Wall-clock seconds (time.time) of the last beat / the first frame; None: not yet.
_last_beat: float | None = None
_first_frame: float | None = None
# Told once when the first frame is drawn (the snapshot writer: write now, so /ready
# turns 200 without waiting for the next refresh). Each must only set a flag.
_first_frame_listeners: list[Callable[[], None]] = []


def on_first_frame(listener: Callable[[], None]) -> Callable[[], None]:
    """Add a listener; returns the function that removes it again."""
    _first_frame_listeners.append(listener)
    return lambda: _first_frame_listeners.remove(listener) \
        if listener in _first_frame_listeners else None


def beat(*_args) -> None:
    """Called on the UI thread (Clock passes dt: ignored)."""
    global _last_beat
    _last_beat = time.time()


def frame_drawn() -> None:
    global _first_frame
    beat()
    if _first_frame is None:
        _first_frame = time.time()
        for listener in list(_first_frame_listeners):
            listener()


def reset() -> None:
    """Forget both (a new app in the same process: tests, the bench)."""
    global _last_beat, _first_frame
    _last_beat = _first_frame = None


def _moment(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, timezone.utc)


def last_beat() -> datetime | None:
    return _moment(_last_beat)


def first_frame() -> datetime | None:
    return _moment(_first_frame)
