"""The UI thread's sign of life: it calls `beat()` every second from a Kivy Clock interval
and `frame_drawn()` once after its first frame; the snapshot writer reads both from its
own thread. Two float assignments, no I/O, so the UI never waits on anything here."""

from __future__ import annotations

import time
from datetime import datetime, timezone

# Wall-clock seconds (time.time) of the last beat / the first frame; None: not yet.
_last_beat: float | None = None
_first_frame: float | None = None


def beat(*_args) -> None:
    """Called on the UI thread (Clock passes dt: ignored)."""
    global _last_beat
    _last_beat = time.time()


def frame_drawn() -> None:
    global _first_frame
    if _first_frame is None:
        _first_frame = time.time()
    beat()


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
