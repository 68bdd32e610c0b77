"""DLE EOT real-time status: bit mapping (DEVICES.md table), silence and reply matching."""

from __future__ import annotations

import pytest
import serial

from kiosk.devices.printer.status import (
    PrinterState,
    UNREADABLE,
    PrinterStatus,
    interpret,
    is_status_byte,
    query_status,
    request,
)

FINE = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}
ASB_IDLE = b"\x10\x00\x00\x00"
ASB_COVER_OPEN = b"\x38\x00\x00\x00"


class ScriptedPrinterPort:
    """A pyserial-like port whose printer answers each DLE EOT n from a script.

    `replies[n]` is the byte sent back (None: silence); `noise` is sent just before every
    reply, as automatic status back blocks can arrive in the middle of a status read.
    """

    def __init__(self, replies: dict[int, int | None], noise: bytes = b"", stale: bytes = b"") -> None:
        self.replies = replies
        self.noise = noise
        self.buffer = bytearray(stale)
        self.written: list[bytes] = []
        self.timeout: float | None = 1.0

    def write(self, data: bytes) -> int:
        self.written.append(bytes(data))
        if data[:2] == b"\x10\x04":
            self.buffer += self.noise
            reply = self.replies.get(data[2])
            if reply is not None:
                self.buffer.append(reply)
        return len(data)

    def read(self, size: int = 1) -> bytes:
        data, self.buffer = bytes(self.buffer[:size]), self.buffer[size:]
        return data

    def reset_input_buffer(self) -> None:
        self.buffer.clear()


def test_request_bytes():
    """GIVEN status kinds 1..4 WHEN building requests THEN they are DLE EOT n, others refused."""
    assert [request(n) for n in (1, 2, 3, 4)] == [b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x03", b"\x10\x04\x04"]
    for bad in (0, 5, 0x31):
        with pytest.raises(ValueError):
            request(bad)


def test_is_status_byte_matches_fixed_bits_only():
    """GIVEN all byte values WHEN checked THEN exactly the 16 of pattern 0xx1xx10 are status bytes."""
    matching = [b for b in range(256) if is_status_byte(b)]
    assert len(matching) == 16
    assert all(b & 0x93 == 0x12 for b in matching)
    for example in (0x12, 0x16, 0x1A, 0x1E, 0x32, 0x52, 0x72, 0x7E):
        assert is_status_byte(example)
    # Automatic status back bytes (idle, cover open, paper bits) and echoed requests never match.
    for other in (0x10, 0x38, 0x00, 0x03, 0x0C, 0x04, 0x01, 0x13, 0x92):
        assert not is_status_byte(other)


@pytest.mark.parametrize(
    ("replies", "state", "cause"),
    [
        # n=1 printer
        ({1: 0x16}, PrinterState.ONLINE, ""),  # bit 2 drawer pin: no effect on printing
        ({1: 0x1A, 2: 0x1A}, PrinterState.OFFLINE, "printer reports offline"),  # bit 3 offline (fed by FEED)
        ({1: 0x3A, 2: 0x12}, PrinterState.OFFLINE, "printer reports offline"),  # bit 5 waiting for recovery
        ({1: 0x52}, PrinterState.ONLINE, ""),  # bit 6 FEED button pressed
        # n=2 offline cause
        ({1: 0x1A, 2: 0x16}, PrinterState.COVER_OPEN, "cover open"),  # bit 2
        ({1: 0x1A, 2: 0x32}, PrinterState.PAPER_OUT, "stopped by paper end"),  # bit 5
        ({1: 0x1A, 2: 0x52}, PrinterState.ERROR, "error occurred"),  # bit 6, no detail in n=3
        # n=3 error cause
        ({3: 0x16}, PrinterState.ERROR, "recoverable error"),  # bit 2
        ({3: 0x1A}, PrinterState.ERROR, "autocutter error"),  # bit 3
        ({3: 0x32}, PrinterState.ERROR, "unrecoverable error"),  # bit 5
        ({3: 0x52}, PrinterState.ERROR, "auto-recoverable error"),  # bit 6
        # n=4 paper roll sensor
        ({4: 0x16}, PrinterState.PAPER_NEAR_END, "paper near end"),  # bit 2
        ({4: 0x1A}, PrinterState.PAPER_NEAR_END, "paper near end"),  # bit 3
        ({4: 0x1E}, PrinterState.PAPER_NEAR_END, "paper near end"),  # bits 2+3
        ({4: 0x32}, PrinterState.PAPER_OUT, "paper end"),  # bit 5
        ({4: 0x52}, PrinterState.PAPER_OUT, "paper end"),  # bit 6
        ({4: 0x72}, PrinterState.PAPER_OUT, "paper end"),  # bits 5+6
    ],
)
def test_each_status_bit(replies, state, cause):
    """GIVEN a fine printer with one status bit set WHEN interpreted THEN the table's meaning wins."""
    status = interpret({**FINE, **replies})
    assert status == PrinterStatus(state, cause)


@pytest.mark.parametrize(
    ("replies", "state"),
    [
        ({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}, PrinterState.ONLINE),
        ({1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x72}, PrinterState.PAPER_OUT),  # DEVICES.md example
        ({1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E}, PrinterState.PAPER_OUT),  # ... with near end too
        ({1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12}, PrinterState.COVER_OPEN),  # DEVICES.md example
        ({1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12}, PrinterState.ERROR),  # cutter error
        ({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E}, PrinterState.PAPER_NEAR_END),
    ],
)
def test_documented_examples(replies, state):
    """GIVEN the reply sets from DEVICES.md WHEN interpreted THEN the documented state results."""
    assert interpret(replies).state is state


@pytest.mark.parametrize(
    ("replies", "state"),
    [
        ({1: 0x1A, 2: 0x36, 3: 0x12, 4: 0x72}, PrinterState.COVER_OPEN),  # cover open > paper out
        ({1: 0x1A, 2: 0x72, 3: 0x1A, 4: 0x72}, PrinterState.PAPER_OUT),  # paper out > error
        ({1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x1E}, PrinterState.ERROR),  # error > paper near end
        ({1: None, 2: 0x16, 3: 0x12, 4: 0x72}, PrinterState.OFFLINE),  # silence on n=1 > all
    ],
)
def test_precedence(replies, state):
    """GIVEN several faults at once WHEN interpreted THEN the most serious one is reported."""
    assert interpret(replies).state is state


def test_silence_is_offline_never_paper_ok():
    """GIVEN no reply at all WHEN interpreted THEN offline and not fit to print."""
    for replies in ({}, {1: None}, {1: None, 2: None, 3: None, 4: None}):
        status = interpret(replies)
        assert status == PrinterStatus(PrinterState.OFFLINE, "no reply to DLE EOT 1")
        assert not status.ok_to_print


@pytest.mark.parametrize("replies", [{1: 0x10, 2: 0x12, 3: 0x12, 4: 0x12},
                                     {1: 0xFF}, {1: 0x00}, {1: 0x12, 2: 0x12, 3: 0x92}])
def test_non_status_byte_is_unreadable_never_a_state(replies):
    """GIVEN a 'reply' that does not fit 0xx1xx10 WHEN interpreted THEN error: unreadable
    (issue 7, item 6: before, it was skipped or taken for silence)."""
    assert interpret(replies) == PrinterStatus(PrinterState.ERROR, UNREADABLE)


def test_later_silence_is_an_error():
    """GIVEN a printer that answers n=1 but not n=2 WHEN interpreted THEN it is not fit to print."""
    status = interpret({1: 0x12})
    assert status == PrinterStatus(PrinterState.ERROR, "no reply to DLE EOT 2")


def test_ok_to_print():
    """GIVEN each state WHEN asked THEN only online and paper near end may print."""
    allowed = {s for s in PrinterState if PrinterStatus(s).ok_to_print}
    assert allowed == {PrinterState.ONLINE, PrinterState.PAPER_NEAR_END}


def test_query_skips_asb_blocks_between_replies():
    """GIVEN ASB blocks arriving before every reply WHEN querying THEN replies are matched by fixed bits."""
    port = ScriptedPrinterPort({1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12}, noise=ASB_COVER_OPEN + ASB_IDLE)
    assert query_status(port) == PrinterStatus(PrinterState.COVER_OPEN, "cover open")
    assert port.written == [request(1), request(2), request(3), request(4)]


def test_query_discards_stale_bytes():
    """GIVEN a stale 'paper out' reply waiting in the input buffer WHEN querying THEN it is ignored."""
    port = ScriptedPrinterPort(FINE, stale=b"\x1a\x32\x12\x72")
    assert query_status(port).state is PrinterState.ONLINE


def test_query_stops_at_silent_printer_and_restores_timeout():
    """GIVEN a printer that never answers WHEN querying THEN offline after one request, timeout restored."""
    port = ScriptedPrinterPort({1: None, 2: 0x12, 3: 0x12, 4: 0x12})
    assert query_status(port, timeout_s=0.01) == PrinterStatus(PrinterState.OFFLINE, "no reply to DLE EOT 1")
    assert port.written == [request(1)]
    assert port.timeout == 1.0


def test_query_on_echoing_line_is_offline():
    """GIVEN a line that echoes our own bytes (pyserial loop://) WHEN querying THEN the echo is no reply."""
    port = serial.serial_for_url("loop://", timeout=0.01)
    try:
        assert query_status(port, timeout_s=0.01).state is PrinterState.OFFLINE
    finally:
        port.close()


class NoisyLinePort(ScriptedPrinterPort):
    """A line on which every read returns a random byte (seeded): noise, or a printer at
    another baud rate. Before issue 7 the reader skipped non-status bytes until one fit,
    which turned noise into random states."""

    def __init__(self, seed: int) -> None:
        super().__init__({})
        import random

        self.random = random.Random(seed)

    def read(self, size: int = 1) -> bytes:
        return bytes(self.random.randrange(256) for _ in range(size))


@pytest.mark.parametrize("reply", [0xFF, 0x00, 0x80, 0x13])
def test_query_with_a_garbage_reply_is_unreadable(reply):
    """GIVEN a printer at the wrong baud rate (its replies arrive as 0xFF, 0x00 ...) WHEN
    querying THEN error 'unreadable reply (check the baud rate)', neither offline nor fine."""
    port = ScriptedPrinterPort({1: reply, 2: reply, 3: reply, 4: reply})
    assert query_status(port) == PrinterStatus(PrinterState.ERROR, UNREADABLE)
    assert port.written == [request(1)]  # no point asking on


def test_query_with_a_broken_asb_block_is_unreadable():
    """GIVEN what starts like an ASB block but has a byte with bit 7 set WHEN querying THEN
    unreadable: only whole, well-formed blocks are skipped."""
    port = ScriptedPrinterPort(FINE, noise=b"\x10\x00\xff\x00")
    assert query_status(port) == PrinterStatus(PrinterState.ERROR, UNREADABLE)


def test_random_bytes_never_read_as_cover_open_or_paper_out():
    """GIVEN 300 queries on a line of random bytes WHEN interpreted THEN (almost) always
    unreadable and never a paper or cover fault."""
    port = NoisyLinePort(seed=7)
    states = [query_status(port).state for _ in range(300)]
    assert PrinterState.COVER_OPEN not in states and PrinterState.PAPER_OUT not in states
    assert states.count(PrinterState.ERROR) >= 290
