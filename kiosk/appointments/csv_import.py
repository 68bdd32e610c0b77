"""Read the bookings CSV for the embedded source (`kiosk appointments import FILE`).
Every bad row becomes one `FILE:LINE: column: what is wrong` problem (never quoting a
reference) and is skipped; the good rows are imported together in one transaction."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Collection

from kiosk.domain.appointment import Booking, BookingStatus
from kiosk.domain.clock import OFFICE_ZONE

COLUMNS = ("reference", "service", "office", "start", "duration", "status")
OPTIONAL = ("priority_rank",)
STATUSES = {"confirmed": BookingStatus.CONFIRMED, "cancelled": BookingStatus.CANCELLED}
MAX_BYTES = 20 * 1024 * 1024     # a day of an office is a few thousand rows
_REFERENCE = re.compile(r"[0-9]{4,12}")
_OFFICE = re.compile(r"[A-Za-z0-9_-]{1,40}")


class CsvFileError(Exception):
    """The file as a whole cannot be used (unreadable, not UTF-8, no header): nothing
    is imported. The message is one line, FILE[:LINE]: what."""


@dataclass(frozen=True)
class ParsedFile:
    bookings: list[Booking]
    problems: list[str]          # FILE:LINE: column: what is wrong


def read_bookings(path: Path, services: Collection[str]) -> ParsedFile:
    name = str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise CsvFileError(f"{name}: larger than {MAX_BYTES // (1024 * 1024)} MB; "
                               f"split it")
        raw = path.read_bytes()
    except OSError as err:
        raise CsvFileError(f"{name}: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise CsvFileError(f"{name}:{line}: not UTF-8 text; save the file as UTF-8 "
                           f"CSV") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as err:
        raise CsvFileError(f"{name}:1: header: {err}") from None
    if header is None:
        raise CsvFileError(f"{name}: empty file; the first line must be the header "
                           f"{','.join(COLUMNS + OPTIONAL)}")
    header = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [h for h in header if h not in COLUMNS + OPTIONAL]
    if missing or unknown or len(set(header)) != len(header):
        what = "; ".join(filter(None, (
            f"missing column(s) {', '.join(missing)}" if missing else "",
            f"unknown column(s) {', '.join(unknown)}" if unknown else "",
            "a column named twice" if len(set(header)) != len(header) else "")))
        raise CsvFileError(f"{name}:1: header: {what} (expected "
                           f"{','.join(COLUMNS + OPTIONAL)}; the first line must be "
                           f"the header)")
    bookings: list[Booking] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank lines are allowed
            if len(row) != len(header):
                problems.append(f"{name}:{line}: row: {len(row)} fields, the header has "
                                f"{len(header)}")
                continue
            result = _booking(dict(zip(header, (c.strip() for c in row))), services)
            if isinstance(result, str):
                problems.append(f"{name}:{line}: {result}")
                continue
            if result.reference in seen:
                problems.append(f"{name}:{line}: reference: the same reference as line "
                                f"{seen[result.reference]}")
                continue
            seen[result.reference] = line
            bookings.append(result)
    except csv.Error as err:
        problems.append(f"{name}:{reader.line_num}: row: {err}; the rest of the file was "
                        f"not read")
    return ParsedFile(bookings, problems)


def _booking(row: dict[str, str], services: Collection[str]) -> Booking | str:
    """The booking, or 'column: what is wrong' for the first bad column."""
    reference = row["reference"]
    if not _REFERENCE.fullmatch(reference):
        return "reference: must be 4 to 12 digits"
    service = row["service"]
    if service not in services:
        return (f"service: {service[:40]!r} is not a configured service (valid: "
                f"{', '.join(sorted(services))})")
    office = row["office"]
    if not _OFFICE.fullmatch(office):
        return "office: must be an office id (letters, digits, - or _, at most 40)"
    start = _start(row["start"])
    if isinstance(start, str):
        return f"start: {start}"
    try:
        duration = int(row["duration"])
    except ValueError:
        duration = 0
    if not 1 <= duration <= 480:
        return "duration: must be whole minutes between 1 and 480"
    status = STATUSES.get(row["status"].lower())
    if status is None:
        return f"status: must be one of {', '.join(STATUSES)}"
    rank_text = row.get("priority_rank", "")
    rank = None
    if rank_text:
        try:
            rank = int(rank_text)
        except ValueError:
            rank = 0
        if not 1 <= rank <= 9999:
            return "priority_rank: must be empty or a whole number from 1 (called first)"
    return Booking(reference, service, office, start, duration, status, rank)


def _start(text: str) -> datetime | str:
    """ISO 8601; without an offset it is local time in Europe/Berlin."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return "not an ISO 8601 date and time like 2026-11-24T10:30 (local) or " \
               "2026-11-24T10:30+01:00"
    if moment.tzinfo is not None:
        return moment.astimezone(OFFICE_ZONE)
    local = moment.replace(tzinfo=OFFICE_ZONE)
    # a wall time that does not exist (spring forward) does not survive the round trip
    if local.astimezone(timezone.utc).astimezone(OFFICE_ZONE).replace(tzinfo=None) != moment:
        return "this local time does not exist (the clocks go forward then); give it " \
               "with its offset"
    return local
