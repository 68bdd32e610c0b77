"""The snapshot on disk: `state.json` in the data dir, replaced atomically so a reader
sees the old or the new file and never a half-written one; and the reader's verdict
on whether the kiosk that wrote it is still running."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kiosk.health.snapshot import Snapshot, SnapshotError, iso
from kiosk.paths import write_file_atomically

FILE_NAME = "state.json"
# Group-readable: monitoring (and `kiosk devices` as an operator in the kiosk's group)
# may read the snapshot; it holds no personal data, but nobody else needs it.
FILE_MODE = 0o640


def state_path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def write_atomic(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Replace the snapshot atomically (kiosk.paths.write_file_atomically).

    The folder itself is not fsynced: after a power cut the old snapshot may come back,
    and its pid is dead, so a reader calls it stale either way; fsyncing the folder
    every few seconds would only wear the terminal's flash."""
    write_file_atomically(path, data, mode)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, run by another user (the kiosk's service account)
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class KioskView:
    """A reader's verdict on the state file: the snapshot when a live kiosk wrote it
    recently, else `problem` says why it cannot speak for the devices."""

    snapshot: Snapshot | None
    problem: str = ""


def read_view(path: Path, now: datetime, alive=pid_alive) -> KioskView:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return KioskView(None, f"no kiosk state file ({path})")
    except OSError as err:
        return KioskView(None, f"the kiosk's state file {path} is unreadable: "
                               f"{err.strerror or type(err).__name__}")
    try:
        snapshot = Snapshot.from_json(raw)
    except (SnapshotError, TypeError, ValueError, AttributeError) as err:
        return KioskView(None, f"the kiosk's state file {path} is not usable: {err}")
    if not alive(snapshot.pid):
        return KioskView(None, f"the kiosk's state file is stale (pid {snapshot.pid} is "
                               f"not running; last written {iso(snapshot.written_at)})")
    if not snapshot.is_fresh(now):
        return KioskView(None, f"the kiosk's state file is stale (written "
                               f"{_ago(snapshot.age_s(now))} by pid {snapshot.pid})")
    return KioskView(snapshot)


def _ago(seconds: float) -> str:
    if seconds < 0:
        return f"{-seconds:.0f} s in the future (clock changed?)"
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.0f} h ago"
