"""The ticket service: the path both the button and `kiosk ticket` take."""

from __future__ import annotations

import threading

import pytest

from kiosk.domain.clock import business_day
from kiosk.services.issue_ticket import Availability, Refusal, Refused, TicketService
from kiosk.services.queue_ops import QueueOperations
from kiosk.store.sqlite import SqliteStore


class RecordingPrinter:
    """Stands in for the device at the edge; the ESC/POS path has its own tests."""

    def __init__(self, printed=True, error=None, gate=None, state=None):
        self.documents, self.printed, self.error, self.gate = [], printed, error, gate
        self.state = state

    def print_document(self, doc):
        if self.gate:
            self.gate.wait(5)
        self.documents.append(doc)
        return type("R", (), {"printed": self.printed, "error": self.error,
                              "state": self.state})()


class Ticks:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


@pytest.fixture
def ticks():
    return Ticks()


def make(config, store, clock, ticks, printer=None):
    return TicketService(config, store, printer or RecordingPrinter(), clock=clock,
                         monotonic=ticks)


def test_issue_and_print(config, store, clock, ticks):
    service = make(config, store, clock, ticks)
    issued = service.issue("anmeldung", "ar")
    assert issued.ticket.number == "A001" and issued.ticket.lang == "ar"
    assert issued.people_ahead == 0 and issued.estimate.minutes is None
    result = service.print_ticket(issued)
    assert result.printed
    doc = service.printer.documents[0]
    texts = doc.texts()
    assert "A001" in texts and "Bürgerbüro Test" in texts
    assert "Anmeldung einer Wohnung" in texts and "تسجيل السكن" in texts


def test_press_within_half_a_second_issues_nothing(config, store, clock, ticks):
    service = make(config, store, clock, ticks)
    service.issue("anmeldung", "de")
    ticks.t += 0.3
    with pytest.raises(Refused) as caught:
        service.issue("anmeldung", "de")
    assert caught.value.reason is Refusal.BUSY
    ticks.t += 0.3
    assert service.issue("anmeldung", "de").ticket.number == "A002"


def test_second_tap_while_issuing_issues_nothing(config, store, clock, ticks):
    """GIVEN one issue holding the lock WHEN a second request arrives THEN it is refused."""
    service = make(config, store, clock, ticks)
    service._busy.acquire()
    try:
        with pytest.raises(Refused) as caught:
            service.issue("anmeldung", "de")
        assert caught.value.reason is Refusal.BUSY
    finally:
        service._busy.release()
    assert store.all_numbers(business_day(clock())) == []


def test_quota_reached(config, store, clock, ticks):
    service = make(config, store, clock, ticks)
    for _ in range(2):
        service.issue("ausweis", "de")
        ticks.t += 1
    assert service.availability(config.service("ausweis")) is Availability.QUOTA_REACHED
    with pytest.raises(Refused) as caught:
        service.issue("ausweis", "de")
    assert caught.value.reason is Refusal.QUOTA_REACHED


def test_unknown_service(config, store, clock, ticks):
    with pytest.raises(Refused) as caught:
        make(config, store, clock, ticks).issue("passport", "de")
    assert caught.value.reason is Refusal.UNKNOWN_SERVICE and "anmeldung" in str(caught.value)


def test_failed_print_is_recorded_and_the_number_stays(config, store, clock, ticks):
    from kiosk.devices.printer.status import PrinterState

    service = make(config, store, clock, ticks,
                   RecordingPrinter(False, "paper out", state=PrinterState.PAPER_OUT))
    issued = service.issue("anmeldung", "de")
    result = service.print_ticket(issued)
    assert not result.printed and result.error == "paper out" and result.recorded
    row = store._db.execute("SELECT printed, print_error, state FROM ticket").fetchone()
    assert row == (0, "paper_out", "waiting")


def test_estimate_after_five_completions(config, store, clock, ticks):
    service = make(config, store, clock, ticks)
    queue = QueueOperations(config, store, clock=clock)
    for _ in range(5):
        service.issue("anmeldung", "de")
        ticks.t += 1
    for _ in range(5):
        called = queue.call_next("1", ["anmeldung"])
        clock.advance(minutes=6)
        queue.done(called.number)
    for _ in range(3):
        service.issue("anmeldung", "de")
        ticks.t += 1
    issued = service.issue("anmeldung", "de")
    # 3 ahead, 1 active counter, median 6 min
    assert issued.people_ahead == 3 and issued.estimate.minutes == 18


def test_estimate_unknown_when_counters_went_quiet(config, store, clock, ticks):
    service = make(config, store, clock, ticks)
    queue = QueueOperations(config, store, clock=clock)
    for _ in range(6):
        service.issue("anmeldung", "de")
        ticks.t += 1
    for _ in range(5):
        queue.done(queue.call_next("1", ["anmeldung"]).number)
    clock.advance(minutes=31)
    ticks.t += 1
    assert service.issue("anmeldung", "de").estimate.minutes is None


def test_concurrent_taps_from_threads_issue_one_ticket(config, store, clock, ticks):
    service = make(config, store, clock, ticks)
    results, barrier = [], threading.Barrier(8)

    def tap():
        barrier.wait()
        try:
            results.append(service.issue("anmeldung", "de").ticket.number)
        except Refused:
            results.append(None)

    threads = [threading.Thread(target=tap) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r for r in results if r] == ["A001"]


def test_closed_service(tmp_path, clock, ticks):
    from kiosk.config import load_config
    from tests.conftest import MINIMAL_CONFIG, write_config

    text = MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "p.bin"))
    text += '\n[hours]\nmon = ["08:00-12:00"]\n'
    config = load_config(write_config(tmp_path, text))
    store = SqliteStore(tmp_path / "c.sqlite3")
    service = make(config, store, clock, ticks)  # clock: a Tuesday
    with pytest.raises(Refused) as caught:
        service.issue("anmeldung", "de")
    assert caught.value.reason is Refusal.CLOSED
    clock.advance(days=6)  # Monday 09:00
    assert service.issue("anmeldung", "de").ticket.number == "A001"
    clock.advance(hours=4)
    ticks.t += 1
    assert service.availability(config.service("anmeldung")) is Availability.CLOSED


class ExplodingPrinter:
    """A driver with a bug: print_document raises instead of returning a result."""

    def print_document(self, doc):
        raise RuntimeError("driver bug\nsecond line")


def test_a_printer_that_raises_gives_a_not_printed_result(config, store, clock, ticks,
                                                          caplog):
    service = make(config, store, clock, ticks, ExplodingPrinter())
    issued = service.issue("anmeldung", "de")
    result = service.print_ticket(issued)
    assert not result.printed and result.recorded
    assert result.error == "printer failed: RuntimeError: driver bug second line"
    assert store._db.execute("SELECT printed, print_error FROM ticket").fetchone() == \
        (0, "failed")
    assert "A001" in caplog.text and "driver bug" in caplog.text


def _fill_the_disk_after_printing(store):
    """A printer that prints, then the disk is full."""
    from tests.faults import fill_disk

    class FullAfterPrint(RecordingPrinter):
        def print_document(self, doc):
            result = super().print_document(doc)
            with store._lock:
                fill_disk(store._db)
            return result

    return FullAfterPrint()


def test_a_printed_ticket_stays_printed_when_recording_fails(config, store, clock, ticks,
                                                            caplog):
    """GIVEN the disk fills up between issuing and recording the print WHEN the ticket
    printed THEN the visitor is told it printed and staff find the failure in the log."""
    service = make(config, store, clock, ticks, _fill_the_disk_after_printing(store))
    issued = service.issue("anmeldung", "de")
    result = service.print_ticket(issued)
    assert result.printed and not result.recorded
    assert "disk is full" in result.record_error
    assert "A001 printed, but the print result could not be recorded" in caplog.text
    assert "disk is full" in caplog.text


def test_number_999_makes_the_service_exhausted_not_quota(config, store, clock, ticks):
    from kiosk.store.sqlite import INSERT_TICKET

    day = business_day(clock()).isoformat()
    with store._write() as db:
        db.executemany(INSERT_TICKET, [(day, "anmeldung", "A", seq, f"A{seq:03d}",
                                        f"ref{seq:09d}", "t", "de", clock().isoformat(),
                                        "waiting") for seq in range(1, 999)])
    service = make(config, store, clock, ticks)
    anmeldung = config.service("anmeldung")
    assert service.availability(anmeldung) is Availability.OPEN
    assert service.issue("anmeldung", "de").ticket.number == "A999"
    assert service.availability(anmeldung) is Availability.EXHAUSTED
    ticks.t += 1
    with pytest.raises(Refused) as caught:
        service.issue("anmeldung", "de")
    assert caught.value.reason is Refusal.EXHAUSTED
    assert "all 999 numbers of prefix A are used today" in caught.value.detail
    assert "quota" not in caught.value.detail


def test_estimate_ignores_service_times_from_a_clock_that_went_back(config, store, clock,
                                                                   ticks):
    """GIVEN five completed tickets, one whose done time lies before its call because
    the clock jumped back WHEN a ticket is issued THEN that time is not counted: four
    valid ones are too few, the estimate says unknown instead of inventing one."""
    service = make(config, store, clock, ticks)
    queue = QueueOperations(config, store, clock=clock)
    for _ in range(6):
        service.issue("anmeldung", "de")
        ticks.t += 1
    for i in range(5):
        called = queue.call_next("1", ["anmeldung"])
        clock.advance(minutes=-10 if i == 2 else 6)
        queue.done(called.number)
    issued = service.issue("anmeldung", "de")
    assert issued.people_ahead == 1 and issued.estimate.minutes is None
    assert len(store.service_times_s("anmeldung", business_day(clock()))) == 5


def test_store_faults_reach_the_service_as_store_error(config, store, clock, ticks):
    """A store whose file is gone from under it (closed connection) raises StoreError
    from every path the app uses, never a raw sqlite3 error."""
    from kiosk.store.errors import StoreError

    service = make(config, store, clock, ticks)
    issued = service.issue("anmeldung", "de")
    store.close()
    ticks.t += 1
    for call in (lambda: service.availability(config.service("anmeldung")),
                 lambda: service.issue("anmeldung", "de"),
                 lambda: service.estimate(issued.ticket, clock()),
                 lambda: QueueOperations(config, store, clock=clock).call_next("1"),
                 lambda: QueueOperations(config, store, clock=clock).done("A001")):
        with pytest.raises(StoreError):
            call()
    result = service.print_ticket(issued)  # printing never raises, even now
    assert result.printed and not result.recorded


def test_a_number_issued_before_the_queue_became_unreadable_is_still_given(
        config, tmp_path, clock, ticks, caplog):
    """GIVEN the store commits the number and then fails to read the queue (the
    estimate) WHEN the visitor taps THEN they still get their number, with people ahead
    and the wait 'not known', never an error that hides a number already taken."""
    from kiosk.store.errors import StoreError

    class QueueUnreadable(SqliteStore):
        def people_ahead(self, ticket, *args):
            raise StoreError("reading the queue failed: disk I/O error")

    store = QueueUnreadable(tmp_path / "q.sqlite3", terminal_id=config.terminal_id)
    printer = RecordingPrinter()
    service = make(config, store, clock, ticks, printer)
    issued = service.issue("anmeldung", "de")
    assert issued.ticket.number == "A001"
    assert issued.people_ahead is None and issued.estimate.minutes is None
    assert "A001 issued, but the queue could not be read" in caplog.text
    assert service.print_ticket(issued).printed
    from kiosk.devices.printer.preview import decode_text
    from kiosk.devices.printer.render import render_document
    from kiosk.devices.printer.profiles import PROFILES

    lines = decode_text(render_document(printer.documents[0], PROFILES["TM-T88V"]))
    assert "A001" in lines and "Wartezeit: noch nicht bekannt" in lines
    assert not any(line.startswith("Vor Ihnen") for line in lines)
    store.close()
