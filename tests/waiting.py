"""Polling for a condition that another thread (a device worker, a simulator) makes
true: tests wait for the state they assert, never for a fixed time."""

from __future__ import annotations

import time


def wait_for(predicate, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
