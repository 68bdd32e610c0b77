"""The call bus of the server process: counter actions publish each call (and recall);
the SSE stream and the serial signs attached to the server subscribe."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import AsyncIterator, Callable

log = logging.getLogger(__name__)


class CallBus:
    """publish() may be called from any thread (the endpoints run in the threadpool);
    subscribe() is an async iterator for one stream, listen() a plain callback (on the
    publishing thread; keep it short) for devices."""

    def __init__(self, backlog: int = 100) -> None:
        self.backlog = backlog
        self._lock = threading.Lock()
        self._queues: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = set()
        self._listeners: list[Callable[[dict], None]] = []

    def publish(self, call: dict) -> None:
        with self._lock:
            queues, listeners = list(self._queues), list(self._listeners)
        for loop, queue in queues:
            try:
                loop.call_soon_threadsafe(_put, queue, call)
            except RuntimeError:  # that loop is closed: its stream is gone
                with self._lock:
                    self._queues.discard((loop, queue))
        for listener in listeners:
            try:
                listener(call)
            except Exception:  # noqa: BLE001 - one broken sign must not stop the others
                log.exception("call listener failed")

    def listen(self, callback: Callable[[dict], None]) -> Callable[[], None]:
        """Register a callback; returns the function that unregisters it."""
        with self._lock:
            self._listeners.append(callback)

        def stop() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)
        return stop

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._queues)

    async def subscribe(self) -> AsyncIterator[dict]:
        """The calls published from now on, in order, until the consumer stops."""
        entry = (asyncio.get_running_loop(), asyncio.Queue(self.backlog))
        with self._lock:
            self._queues.add(entry)
        try:
            while True:
                yield await entry[1].get()
        finally:
            with self._lock:
                self._queues.discard(entry)


def _put(queue: asyncio.Queue, call: dict) -> None:
    if queue.full():  # a stalled reader loses its oldest call, never blocks the bus
        queue.get_nowait()
    queue.put_nowait(call)
