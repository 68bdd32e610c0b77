"""The terminal's state snapshot: device states with causes, last ticket time, queue
lengths and print counters, as one versioned JSON object. Counts and times only, never a
ticket number, reference or anything about a visitor. Pure: no file or clock access.

Schema 2 adds what the IT health endpoint serves: the UI heartbeat and first frame,
counters by label (tickets per service, print results, check-ins, intakes), which
services are open, paper low, the store file's size, recent device/store errors, the
version and a hash of the config file. Schema 1 files are still read (those fields empty)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

SCHEMA = 2
READABLE_SCHEMAS = (1, 2)
# Counter families every snapshot carries (empty until something is counted), so a
# dashboard sees the metric names before the first event.
COUNTER_FAMILIES = ("tickets", "print_jobs", "checkins", "intakes")
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
    # schema 2 (empty/None in a schema 1 file)
    ui_heartbeat_at: datetime | None = None  # set each second by the UI thread
    first_frame_at: datetime | None = None  # the UI has drawn: ready for visitors
    counters: dict[str, dict[str, int]] = field(default_factory=dict)
    open_services: dict[str, bool] = field(default_factory=dict)
    store_bytes: int | None = None
    errors: tuple[tuple[datetime, str], ...] = ()  # (when, short English reason)
    version: str = ""
    config_hash: str = ""
    # [store] backend "http": the office server link (reachable: True/False/None not
    # asked yet; outbox: entries waiting; outbox_oldest_s; outbox_rejected); None: local
    server: dict | None = None
    schema: int = field(default=SCHEMA)

    def __post_init__(self) -> None:
        # every family present, also in memory: a round trip through JSON is the identity
        filled = {family: {} for family in COUNTER_FAMILIES}
        filled.update({k: dict(v) for k, v in self.counters.items()})
        object.__setattr__(self, "counters", filled)

    @property
    def paper_low(self) -> bool:
        return any(d.kind == "printer" and d.state in ("paper_near_end", "paper_out")
                   for d in self.devices)

    def counter(self, family: str) -> dict[str, int]:
        return self.counters.get(family, {})

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
            "ui_heartbeat_at": iso(self.ui_heartbeat_at),
            "first_frame_at": iso(self.first_frame_at),
            "counters": {family: dict(sorted(self.counter(family).items()))
                         for family in sorted(set(COUNTER_FAMILIES) | set(self.counters))},
            "open_services": dict(sorted(self.open_services.items())),
            "store_bytes": self.store_bytes,
            "errors": [{"at": iso(at), "what": what} for at, what in self.errors],
            "version": self.version,
            "config_hash": self.config_hash,
            "server": self.server,
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
        schema = data.get("schema")
        if schema not in READABLE_SCHEMAS or isinstance(schema, bool):
            raise SnapshotError(f"schema {schema!r}, expected one of "
                                f"{', '.join(map(str, READABLE_SCHEMAS))}")
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
            printed=jobs.get("printed", 0), print_failed=jobs.get("failed", 0),
            schema=schema, server=_server(data.get("server")), **_schema2(data))


def _server(value) -> dict | None:
    """The server link's figures (absent before the http backend: None)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SnapshotError("server: not an object")
    reachable = value.get("reachable")
    outbox, oldest = value.get("outbox", 0), value.get("outbox_oldest_s")
    rejected = value.get("outbox_rejected", 0)
    if reachable not in (True, False, None) or not _count(outbox) or \
            not _count(rejected) or not (oldest is None or (
                isinstance(oldest, (int, float)) and not isinstance(oldest, bool))):
        raise SnapshotError("server: reachable, outbox or outbox_oldest_s not valid")
    return {"reachable": reachable, "outbox": outbox, "outbox_oldest_s": oldest,
            "outbox_rejected": rejected}


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _counts(value, key: str) -> dict[str, int]:
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
            for k, v in value.items()):
        raise SnapshotError(f"{key}: not an object of counts")
    return dict(value)


def _schema2(data: dict) -> dict:
    """The schema 2 fields; a schema 1 file has none of them and gets the defaults."""
    counters = data.get("counters") or {}
    if not isinstance(counters, dict):
        raise SnapshotError("counters: not an object")
    opened = data.get("open_services") or {}
    if not isinstance(opened, dict) or not all(isinstance(v, bool) for v in opened.values()):
        raise SnapshotError("open_services: not an object of true/false")
    size = data.get("store_bytes")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool)):
        raise SnapshotError("store_bytes: not a number")
    errors = data.get("errors") or []
    if not isinstance(errors, list) or not all(
            isinstance(e, dict) and isinstance(e.get("what"), str) for e in errors):
        raise SnapshotError("errors: not a list of {at, what}")
    return {
        "ui_heartbeat_at": _time(data, "ui_heartbeat_at", required=False),
        "first_frame_at": _time(data, "first_frame_at", required=False),
        "counters": {str(k): _counts(v, f"counters.{k}") for k, v in counters.items()},
        "open_services": dict(opened), "store_bytes": size,
        "errors": tuple((_time(e, "at"), e["what"]) for e in errors),
        "version": str(data.get("version") or ""),
        "config_hash": str(data.get("config_hash") or ""),
    }
