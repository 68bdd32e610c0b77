"""The terminal's state snapshot: device states with causes, last ticket time, queue
lengths and print counters, as one versioned JSON object. Counts and times only, never a
ticket number, reference or anything about a visitor. Pure: no file or clock access."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

SCHEMA = 1
# A reader trusts a snapshot written within this many refresh intervals: one late write
# (a slow disk, a busy CPU) must not make a running kiosk look dead.
FRESH_INTERVALS = 3


class SnapshotError(ValueError):
    """The file is not a snapshot this version understands (one line, no traceback)."""


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _time(data: dict, key: str, required: bool = True) -> datetime | None:
    text = data.get(key)
    if text is None and not required:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError) as err:
        raise SnapshotError(f"{key}: not an ISO time") from err
    if moment.tzinfo is None:
        raise SnapshotError(f"{key}: time without a zone")
    return moment


@dataclass(frozen=True)
class DeviceView:
    """What the running kiosk knows about one of its devices."""

    kind: str  # printer | display | scanner
    name: str  # profile or display id from the config
    where: str  # config path, URL or USB id: identifies the device to a reader
    state: str  # online | paper_near_end | paper_out | cover_open | error | offline
    cause: str  # short English reason, "" when there is none
    since: datetime  # when the kiosk first saw this state

    def as_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "where": self.where,
                "state": self.state, "cause": self.cause, "since": iso(self.since)}

    @classmethod
    def from_dict(cls, data: dict) -> DeviceView:
        if not isinstance(data, dict):
            raise SnapshotError("devices: an entry is not an object")
        texts = []
        for key in ("kind", "name", "where", "state", "cause"):
            if not isinstance(data.get(key), str):
                raise SnapshotError(f"devices: {key} missing or not text")
            texts.append(data[key])
        return cls(*texts, since=_time(data, "since"))


@dataclass(frozen=True)
class Snapshot:
    terminal_id: str
    pid: int
    started_at: datetime
    written_at: datetime
    refresh_s: float
    devices: tuple[DeviceView, ...] = ()
    last_ticket_at: datetime | None = None
    queues: dict[str, int] | None = None  # waiting tickets per service today; None: unknown
    store_error: str | None = None  # why queues and last ticket are unknown
    printed: int = 0
    print_failed: int = 0
    schema: int = field(default=SCHEMA)

    def device(self, kind: str, where: str) -> DeviceView | None:
        return next((d for d in self.devices if d.kind == kind and d.where == where), None)

    def age_s(self, now: datetime) -> float:
        return (now - self.written_at).total_seconds()

    def is_fresh(self, now: datetime) -> bool:
        """Written recently enough to speak for a live kiosk. A clock set back makes the
        age negative: that much off either way counts as stale too."""
        return abs(self.age_s(now)) <= FRESH_INTERVALS * self.refresh_s

    def as_dict(self) -> dict:
        return {
            "schema": self.schema,
            "terminal_id": self.terminal_id,
            "pid": self.pid,
            "started_at": iso(self.started_at),
            "written_at": iso(self.written_at),
            "refresh_s": self.refresh_s,
            "devices": [d.as_dict() for d in self.devices],
            "last_ticket_at": iso(self.last_ticket_at),
            "queues": None if self.queues is None else dict(sorted(self.queues.items())),
            "store_error": self.store_error,
            "print_jobs": {"printed": self.printed, "failed": self.print_failed},
        }

    def to_json(self) -> bytes:
        return (json.dumps(self.as_dict(), ensure_ascii=False, indent=1) + "\n").encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> Snapshot:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as err:
            raise SnapshotError("not JSON") from err
        if not isinstance(data, dict):
            raise SnapshotError("not a JSON object")
        if data.get("schema") != SCHEMA:
            raise SnapshotError(f"schema {data.get('schema')!r}, expected {SCHEMA}")
        pid, refresh = data.get("pid"), data.get("refresh_s")
        if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
            raise SnapshotError("pid missing or not a positive number")
        if not isinstance(refresh, (int, float)) or isinstance(refresh, bool) or refresh <= 0:
            raise SnapshotError("refresh_s missing or not positive")
        devices = data.get("devices")
        if not isinstance(devices, list):
            raise SnapshotError("devices: not a list")
        queues = data.get("queues")
        if queues is not None and not (isinstance(queues, dict) and all(
                isinstance(v, int) for v in queues.values())):
            raise SnapshotError("queues: not an object of counts")
        jobs = data.get("print_jobs") or {}
        if not isinstance(jobs, dict) or not all(
                isinstance(jobs.get(k, 0), int) for k in ("printed", "failed")):
            raise SnapshotError("print_jobs: not an object of counts")
        return cls(
            terminal_id=str(data.get("terminal_id", "")), pid=pid,
            started_at=_time(data, "started_at"), written_at=_time(data, "written_at"),
            refresh_s=float(refresh),
            devices=tuple(DeviceView.from_dict(d) for d in devices),
            last_ticket_at=_time(data, "last_ticket_at", required=False),
            queues=queues, store_error=data.get("store_error"),
            printed=jobs.get("printed", 0), print_failed=jobs.get("failed", 0))
