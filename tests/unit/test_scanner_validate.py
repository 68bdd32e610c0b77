"""Payload validation and line splitting for scanners, and what reaches the logs."""

import logging

import pytest

from kiosk.devices.scanner.events import ScanEvent, ScanRejected, ScanSink
from kiosk.devices.scanner.serial_scanner import LineSplitter, SerialScanner
from kiosk.devices.scanner.validate import validate_payload


@pytest.mark.parametrize("raw, expected", [
    (b"ABC123\r", "ABC123"),
    (b"ABC123\r\n", "ABC123"),
    ("https://termin.example/c?x=Z7y-9\n", "https://termin.example/c?x=Z7y-9"),
    (b"Name\tM\xc3\xbcller", "Name\tMüller"),
    (" padded ", " padded "),
])
def test_valid_payloads(raw, expected):
    assert validate_payload(raw) == expected


@pytest.mark.parametrize("raw, reason", [
    (b"", ScanRejected.EMPTY),
    (b"\r\n", ScanRejected.EMPTY),
    ("   ", ScanRejected.EMPTY),
    (b"AB\x00C", ScanRejected.BINARY),
    (b"AB\x1bC", ScanRejected.BINARY),
    (b"AB\x7fC", ScanRejected.BINARY),
    (b"\x00\xff\xfe", ScanRejected.BINARY),
    ("AB\x85C", ScanRejected.BINARY),          # C1 control
    ("AB\u200bC", ScanRejected.BINARY),        # zero-width space (format character)
    (b"AB\xffC", ScanRejected.DECODE_ERROR),
    (b"A" * 513, ScanRejected.TOO_LONG),
    ("A" * 513, ScanRejected.TOO_LONG),
])
def test_rejected_payloads(raw, reason):
    assert validate_payload(raw) is reason


def test_max_length_counts_characters_not_bytes():
    assert validate_payload("ü" * 10, max_length=10) == "ü" * 10
    assert validate_payload(("ü" * 10).encode(), max_length=10) == "ü" * 10
    assert validate_payload(("ü" * 11).encode(), max_length=10) is ScanRejected.TOO_LONG


def test_splitter_accepts_cr_crlf_and_lf_and_counts_crlf_once():
    splitter = LineSplitter(b"\r")
    assert list(splitter.feed(b"A\rB\r\nC\nD")) == [b"A", b"B", b"C"]
    assert list(splitter.feed(b"E\r")) == [b"DE"]


def test_splitter_handles_crlf_split_across_reads():
    splitter = LineSplitter(b"\r")
    assert list(splitter.feed(b"A\r")) == [b"A"]
    assert list(splitter.feed(b"\nB\r")) == [b"B"]


def test_splitter_with_custom_terminator():
    splitter = LineSplitter(b"\x03")
    assert list(splitter.feed(b"AB\x03CD\x03")) == [b"AB", b"CD"]


def test_splitter_discards_an_over_long_line_up_to_its_terminator():
    splitter = LineSplitter(b"\r", max_bytes=8)
    out = list(splitter.feed(b"0123456789"))
    assert out == []
    out = list(splitter.feed(b"ABCDEFGH" * 10 + b"\rOK\r"))
    assert out == [ScanRejected.TOO_LONG, b"OK"]


def test_splitter_discarding_still_sees_a_multibyte_terminator():
    splitter = LineSplitter(b"\x1d\x04", max_bytes=4)
    assert list(splitter.feed(b"123456789\x1d\x04OK\x1d\x04")) == [ScanRejected.TOO_LONG, b"OK"]


def test_scanner_feed_without_port_reports_and_counts(caplog):
    events, rejects = [], []
    scanner = SerialScanner("/dev/null-scanner", max_length=16, on_scan=events.append,
                            on_reject=rejects.append, name="scan-1")
    caplog.set_level(logging.DEBUG)
    scanner.feed(b"SECRET-PAYLOAD\rBIN\x00ARY\r" + b"X" * 100 + b"\r\r")
    assert events == [ScanEvent("SECRET-PAYLOAD", "scan-1")]
    assert rejects == [ScanRejected.BINARY, ScanRejected.TOO_LONG, ScanRejected.EMPTY]
    assert scanner.sink.counters.snapshot() == {
        "accepted": 1, "too_long": 1, "binary": 1, "empty": 1, "decode_error": 0}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "SECRET" not in logged and "BIN" not in logged and "XXXX" not in logged
    assert "binary" in logged and "too_long" in logged


def test_failing_callback_is_logged_without_its_message(caplog):
    def on_scan(event):
        raise ValueError(f"cannot check in {event.payload}")

    sink = ScanSink("scan-2", on_scan, None)
    sink.accept("PERSONAL-DATA")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "ValueError" in logged and "PERSONAL-DATA" not in logged


def test_scan_event_repr_hides_the_payload():
    assert "PERSONAL" not in repr(ScanEvent("PERSONAL", "scan-3"))
