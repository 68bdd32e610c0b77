"""The outbox's replay worker: a background thread (never the UI's) that sends what
waits in the outbox to the office server in order, each with its own Idempotency-Key so
that the server applies it exactly once, and probes the link while nothing waits."""

from __future__ import annotations

import logging
import threading

from kiosk.store.errors import StoreError
from kiosk.store.http import ApiRefused, ServerClient, Unreachable
from kiosk.store.outbox import Outbox

log = logging.getLogger(__name__)


class ReplayWorker:
    def __init__(self, outbox: Outbox, client: ServerClient, probe_s: float = 15.0,
                 backoff_s: tuple[float, float] = (0.5, 30.0)) -> None:
        self.outbox, self.client = outbox, client
        self.probe_s, self.backoff_s = probe_s, backoff_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0  # entries the server took (since start)

    def start(self) -> "ReplayWorker":
        self._thread = threading.Thread(target=self._run, name="outbox-replay", daemon=True)
        self._thread.start()
        return self

    def close(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self.outbox.wake()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        wait = self.backoff_s[0]
        while not self._stop.is_set():
            try:
                done = self.replay_once()
            except StoreError as err:  # the local file: logged, tried again
                log.error("outbox: %s", err)
                done = False
            except Exception:  # noqa: BLE001 - the worker must outlive one bad entry
                log.exception("outbox replay failed")
                done = False
            if self._stop.is_set():
                return
            if done:
                wait = self.backoff_s[0]
                if self.outbox.length() == 0:
                    self.outbox.wait_for_entry(self.probe_s)
                    if self.outbox.length() == 0 and not self._stop.is_set():
                        self._probe()
            else:
                self._stop.wait(wait)
                wait = min(wait * 2, self.backoff_s[1])

    def _probe(self) -> None:
        try:
            self.client.queue()
        except (Unreachable, ApiRefused):
            pass  # the client keeps `reachable`; the health snapshot reads it

    def replay_once(self) -> bool:
        """Send every waiting entry, in order within its kind (check-ins, intakes, offline
        tickets); False when one has to wait: the network down stops all, a server not
        ready for one kind (e.g. 404 from an older server) holds back that kind only, so
        nothing overtakes an entry of its own kind."""
        held: set[str] = set()
        while not self._stop.is_set():
            batch = self.outbox.pending(skip_kinds=held)
            if not batch:
                return not held
            for entry in batch:
                if self._stop.is_set():
                    return False
                if entry.kind in held:
                    continue
                try:
                    self.client.post(entry.kind, entry.body, entry.key, retries=0)
                except Unreachable as err:
                    self.outbox.failed(entry, str(err))
                    return False
                except ApiRefused as err:
                    if not err.final:
                        self.outbox.failed(entry, f"{err.status} {err.error}")
                        log.warning("outbox: %s %s not taken yet: %s %s", entry.kind,
                                    entry.key, err.status, err.error)
                        held.add(entry.kind)
                        continue
                    # refused for good (e.g. an invalid body): out of the line, logged
                    log.error("outbox: the server refused %s %s for good: %s %s",
                              entry.kind, entry.key, err.status, err.error)
                    self.outbox.rejected(entry, f"{err.status} {err.error}")
                    continue
                self.outbox.sent(entry)
                self.sent += 1
                log.info("outbox: %s %s sent", entry.kind, entry.key)
        return False
