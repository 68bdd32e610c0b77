"""The [staff] table: where the staff PIN's hash is kept and how long staff mode stays
open without a touch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.config_reader import Reader


@dataclass(frozen=True)
class StaffConfig:
    pin_file: str | None = None  # None: <data dir>/staff-pin
    idle_timeout_s: int = 120


def read_staff(r: Reader, data: Any, path: tuple) -> StaffConfig:
    data = r.table(data, path, {"pin_file", "idle_timeout_s"})
    idle = r.get(data, path, "idle_timeout_s", int, 120)
    # shorter than a paper change takes would throw staff out mid-task; longer than
    # 15 min leaves an open staff menu to the next visitor
    if not 30 <= idle <= 900:
        r.error(path + ("idle_timeout_s",), "must be between 30 and 900 seconds")
        idle = 120
    pin_file = r.get(data, path, "pin_file", str, None)
    if pin_file == "":
        r.error(path + ("pin_file",), "must not be empty (leave it out for the default)")
        pin_file = None
    return StaffConfig(pin_file=pin_file, idle_timeout_s=idle)
