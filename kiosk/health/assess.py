"""The health verdict IT sees: ok, degraded or down, with stable reason codes, from a
snapshot (or why there is none). Pure: the caller passes the time and the threshold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.health.snapshot import Snapshot

OK, DEGRADED, DOWN = "ok", "degraded", "down"
# A printer in these states still lets the kiosk issue numbers (shown on screen): degraded.
# A display that is not online only loses the call-up sign: degraded as well.
ONLINE_STATES = ("online",)


@dataclass(frozen=True)
class Verdict:
    status: str  # ok | degraded | down
    reasons: tuple[str, ...]  # stable codes, e.g. "printer_paper_out", "ui_stuck"
    details: tuple[str, ...]  # the same in words (English, no personal data)

    @property
    def http_status(self) -> int:
        return 503 if self.status == DOWN else 200


def assess(snapshot: Snapshot | None, problem: str, now: datetime,
           stuck_after_s: float) -> Verdict:
    """`problem` says why `snapshot` is None (missing, unreadable, stale)."""
    if snapshot is None:
        code = "snapshot_stale" if "stale" in problem else (
            "snapshot_missing" if problem.startswith("no ") else "snapshot_unreadable")
        return Verdict(DOWN, (code,), (problem,))
    down: list[tuple[str, str]] = []
    degraded: list[tuple[str, str]] = []
    if snapshot.store_error:
        down.append(("store_error", snapshot.store_error))
    age = ui_age_s(snapshot, now)
    if age is not None and age > stuck_after_s:
        seen = "since the start" if snapshot.ui_heartbeat_at is None else f"for {age:.0f} s"
        down.append(("ui_stuck", f"the UI loop has not run {seen} "
                                 f"(limit {stuck_after_s:g} s)"))
    for device in snapshot.devices:
        if device.state not in ONLINE_STATES:
            text = f"{device.kind} {device.name}: {device.state}"
            degraded.append((f"{device.kind}_{device.state}",
                             f"{text} ({device.cause})" if device.cause else text))
    server = snapshot.server
    if server is not None and server.get("reachable") is False:
        # degraded, not down: offline numbers or "ask at the desk", the outbox keeps the rest
        waiting = server.get("outbox") or 0
        degraded.append(("server_unreachable", f"the office server is not reachable "
                                               f"({waiting} waiting in the outbox)"))
    status = DOWN if down else DEGRADED if degraded else OK
    items = down + degraded
    return Verdict(status, tuple(code for code, _ in items), tuple(text for _, text in items))


def ui_age_s(snapshot: Snapshot, now: datetime) -> float | None:
    """Seconds since the UI thread's last heartbeat; since the start when it never beat
    (a schema 1 file, which has no heartbeat at all, gives None: unknown)."""
    if snapshot.ui_heartbeat_at is not None:
        return (now - snapshot.ui_heartbeat_at).total_seconds()
    if snapshot.schema < 2:
        return None
    return (now - snapshot.started_at).total_seconds()


def is_ready(snapshot: Snapshot | None, now: datetime) -> bool:
    """The app has drawn its first frame and the snapshot speaks for a live kiosk."""
    return snapshot is not None and snapshot.first_frame_at is not None \
        and snapshot.is_fresh(now)
