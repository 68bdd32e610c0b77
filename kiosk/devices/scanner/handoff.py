"""Hands scans from the scanner's worker thread to the app, which starts listening only
once it runs: the scanner is started with the other devices, before the app exists."""

from __future__ import annotations

import threading


class ScanHandoff:
    """Scans from the scanner's worker thread to whoever listens (the app's check-in
    controller); dropped while nobody listens (the app not started yet, or stopped)."""

    def __init__(self) -> None:
        self._listener = None
        self._lock = threading.Lock()

    def set_listener(self, listener) -> None:
        with self._lock:
            self._listener = listener

    def __call__(self, event) -> None:
        with self._lock:
            listener = self._listener
        if listener is not None:
            listener(event)
