"""The bookings CSV: every bad row named FILE:LINE: column, good rows kept, local times
in Europe/Berlin, offsets honoured, the example file valid."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from kiosk.appointments.csv_import import CsvFileError, read_bookings
from kiosk.domain.appointment import BookingStatus
from tests.conftest import ROOT

SERVICES = ["anmeldung", "ausweis", "abholung", "fuehrungszeugnis", "eat", "servicepoint"]
HEADER = "reference,service,office,start,duration,status,priority_rank\n"


def read(tmp_path, body, header=HEADER):
    path = tmp_path / "b.csv"
    path.write_text(header + body, encoding="utf-8")
    return path, read_bookings(path, SERVICES)


def test_good_rows(tmp_path):
    _, parsed = read(tmp_path, "204517,anmeldung,demo,2026-11-24T10:30,15,confirmed,\n"
                               "204518,eat,demo,2026-11-24T10:30+00:00,10,cancelled,2\n")
    assert parsed.problems == []
    first, second = parsed.bookings
    assert first.start.astimezone(timezone.utc) == datetime(2026, 11, 24, 9, 30,
                                                            tzinfo=timezone.utc)
    assert second.start.astimezone(timezone.utc) == datetime(2026, 11, 24, 10, 30,
                                                             tzinfo=timezone.utc)
    assert second.status is BookingStatus.CANCELLED and second.priority_rank == 2
    assert first.priority_rank is None


@pytest.mark.parametrize("row, problem", [
    ("12,anmeldung,demo,2026-11-24T10:30,15,confirmed,", "reference: must be 4 to 12"),
    ("204517,nope,demo,2026-11-24T10:30,15,confirmed,", "service: 'nope' is not"),
    ("204517,anmeldung,de mo,2026-11-24T10:30,15,confirmed,", "office: "),
    ("204517,anmeldung,demo,24.11.2026 10:30,15,confirmed,", "start: not an ISO 8601"),
    ("204517,anmeldung,demo,2026-03-29T02:30,15,confirmed,", "start: this local time does "
                                                             "not exist"),
    ("204517,anmeldung,demo,2026-11-24T10:30,0,confirmed,", "duration: "),
    ("204517,anmeldung,demo,2026-11-24T10:30,15,maybe,", "status: must be one of"),
    ("204517,anmeldung,demo,2026-11-24T10:30,15,confirmed,x", "priority_rank: "),
    ("204517,anmeldung,demo,2026-11-24T10:30,15", "row: 5 fields"),
])
def test_bad_rows_are_named_and_skipped(tmp_path, row, problem):
    path, parsed = read(tmp_path, "204599,anmeldung,demo,2026-11-24T10:30,15,confirmed,\n"
                                  + row + "\n")
    assert [b.reference for b in parsed.bookings] == ["204599"]
    assert len(parsed.problems) == 1
    assert parsed.problems[0].startswith(f"{path}:3: {problem}"), parsed.problems


def test_a_reference_twice_is_a_bad_row(tmp_path):
    path, parsed = read(tmp_path, "204517,anmeldung,demo,2026-11-24T10:30,15,confirmed,\n"
                                  "204517,ausweis,demo,2026-11-24T10:30,15,confirmed,\n")
    assert parsed.problems == [f"{path}:3: reference: the same reference as line 2"]


@pytest.mark.parametrize("header, message", [
    ("service,office,start,duration,status\n", "missing column(s) reference"),
    ("reference,service,office,start,duration,status,name\n", "unknown column(s) name"),
])
def test_a_bad_header_imports_nothing(tmp_path, header, message):
    with pytest.raises(CsvFileError, match=r":1: header: .*" + message.replace("(", r"\(")
                       .replace(")", r"\)")):
        read(tmp_path, "204517,anmeldung,demo,2026-11-24T10:30,15,confirmed\n", header)


def test_not_utf8_is_named(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(HEADER.encode() + "204517,anmeldung,Büro".encode("latin-1"))
    with pytest.raises(CsvFileError, match=r"b\.csv:2: not UTF-8"):
        read_bookings(path, SERVICES)


def test_the_example_file_is_valid():
    parsed = read_bookings(ROOT / "examples" / "appointments.csv", SERVICES)
    assert parsed.problems == [] and len(parsed.bookings) >= 5
    assert any(b.priority_rank for b in parsed.bookings)
