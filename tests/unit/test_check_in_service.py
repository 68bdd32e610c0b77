"""CheckInService end to end over a real store file and a file printer: every outcome,
the walk-in instead, the printed slot line, refusals counted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk.appointments.source import SourceUnavailable
from kiosk.config import load_config
from kiosk.domain.appointment import Booking, BookingStatus
from kiosk.domain.clock import business_day
from kiosk.services.check_in import CheckInService
from kiosk.services.check_in_result import CheckInOutcome
from kiosk.services.check_in_text import reason_text
from kiosk.wiring import check_in_service
from tests.conftest import MINIMAL_CONFIG, write_config

APPOINTMENTS = '\n[appointments]\noffice_id = "bb-test"\n'


@pytest.fixture
def config(tmp_path):
    text = MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "printer.bin"))
    return load_config(write_config(tmp_path, text + APPOINTMENTS))


@pytest.fixture
def service(config, store, clock):
    return check_in_service(config, store, clock=clock)


def add(store, clock, ref="204517", minutes=10, rank=None, **kw):
    values = dict(service="anmeldung", office="bb-test", duration_min=15,
                  status=BookingStatus.CONFIRMED)
    values.update(kw)
    b = Booking(ref, start=clock.now + timedelta(minutes=minutes), priority_rank=rank,
                **values)
    store.import_bookings([b], clock.now)
    return b


def test_checked_in_then_already_checked_in(service, store, clock, tmp_path):
    add(store, clock)
    result = service.check_in("204517", "de", typed=True)
    assert result.outcome is CheckInOutcome.CHECKED_IN and result.number == "T001"
    assert result.people_ahead == 0 and result.slot == clock.now + timedelta(minutes=10)
    assert "09:10" in reason_text(result, "de") and "T001" in reason_text(result, "de")
    report = service.print_ticket(result)
    assert report.printed, report
    printed = (tmp_path / "printer.bin").read_bytes()
    assert b"Termin 09:10" in printed or b"09:10" in printed
    again = service.check_in("204517", "de", typed=True)
    assert again.outcome is CheckInOutcome.ALREADY_CHECKED_IN and again.number == "T001"
    assert not service.print_ticket(again).printed  # nothing new is printed


@pytest.mark.parametrize("kw, outcome", [
    (dict(minutes=120), CheckInOutcome.TOO_EARLY),
    (dict(minutes=-30), CheckInOutcome.TOO_LATE),
    (dict(minutes=24 * 60), CheckInOutcome.WRONG_DAY),
    (dict(office="bb-sued"), CheckInOutcome.WRONG_OFFICE),
    (dict(status=BookingStatus.CANCELLED), CheckInOutcome.CANCELLED),
    (dict(service="no-such-service"), CheckInOutcome.NOT_AVAILABLE),
])
def test_refusals(service, store, clock, kw, outcome):
    add(store, clock, **kw)
    result = service.check_in("204517", "en", typed=True)
    assert result.outcome is outcome and result.number is None
    assert reason_text(result, "en") and "204517" not in reason_text(result, "en")
    day = business_day(clock.now)
    assert (result.service or "", f"refused_{outcome.value}", 1) in store.checkin_stats(day)


def test_too_early_says_when_to_come_back(service, store, clock):
    add(store, clock, minutes=120)
    result = service.check_in("204517", "en", typed=True)
    assert "10:30" in reason_text(result, "en")  # 11:00 slot, 30 min early


def test_unknown_and_not_a_booking(service):
    assert service.check_in("999999", "de", typed=True).outcome is CheckInOutcome.UNKNOWN
    wifi = service.check_in("WIFI:T:WPA;S:Cafe;P:secret;;", "de")
    assert wifi.outcome is CheckInOutcome.NOT_A_BOOKING and wifi.refusal is not None
    assert "secret" not in reason_text(wifi, "de")


def test_too_late_offers_a_walk_in_ticket_in_one_call(service, store, clock):
    add(store, clock, minutes=-30)
    result = service.check_in("204517", "de", typed=True)
    issued = service.walk_in_instead(result, "de")
    assert issued.ticket.number == "A001" and issued.ticket.kind == "walk_in"


class Unreachable:
    def find(self, code):
        raise SourceUnavailable("timeout")

    def mark_arrived(self, booking, at):
        raise SourceUnavailable("timeout")


class RefusesArrival:
    def __init__(self, booking):
        self.booking = booking

    def find(self, code):
        return self.booking

    def mark_arrived(self, booking, at):
        raise SourceUnavailable("HTTP 500")


def test_booking_system_not_reachable(config, store, clock, tmp_path):
    service = CheckInService(config, store, Unreachable(), None, clock=clock)
    assert service.check_in("204517", "de", typed=True).outcome is CheckInOutcome.UNREACHABLE
    b = Booking("204517", "anmeldung", "bb-test", clock.now, 15, BookingStatus.CONFIRMED)
    service = CheckInService(config, store, RefusesArrival(b), None, clock=clock)
    result = service.check_in("204517", "de", typed=True)
    assert result.outcome is CheckInOutcome.UNREACHABLE
    assert store.checked_in_ticket("204517") is None  # no local ticket without the arrival


def test_no_shows_from_the_service(service, store, clock):
    add(store, clock, minutes=-20)
    assert service.mark_no_shows() == 1


KEY = bytes(range(32))


def test_signed_qr_code_checks_in_and_another_offices_code_is_wrong_office(config, store,
                                                                            clock):
    from kiosk.domain.checkin_code import make_signed_code

    add(store, clock)
    service = check_in_service(config, store, clock=clock, keys=(KEY,))
    other = service.check_in(make_signed_code("204517", KEY, "bb-sued"), "de")
    assert other.outcome is CheckInOutcome.WRONG_OFFICE
    forged = service.check_in(make_signed_code("204517", bytes(32), "bb-test"), "de")
    assert forged.outcome is CheckInOutcome.NOT_A_BOOKING
    result = service.check_in(make_signed_code("204517", KEY, "bb-test"), "de")
    assert result.outcome is CheckInOutcome.CHECKED_IN and result.number == "T001"


def test_a_counter_calling_marks_no_shows_and_calls_in_order(config, store, clock):
    from kiosk.services.queue_ops import QueueOperations

    add(store, clock, ref="1001", minutes=-20)             # window closed: no-show
    add(store, clock, ref="1002", minutes=30, rank=1)       # invited emergency case
    walk_in = check_in_service(config, store, clock=clock).tickets.issue("anmeldung", "de")
    clock.advance(minutes=5)  # 1002's window (30 min early) is open now
    service = check_in_service(config, store, clock=clock)
    emergency = service.check_in("1002", "de", typed=True)
    assert emergency.people_ahead == 0
    queue = QueueOperations(config, store, clock=clock)
    assert queue.call_next("3").number == emergency.number
    assert queue.call_next("3").number == walk_in.ticket.number
    assert store.find_booking("1001").status is BookingStatus.MISSED


def test_every_check_in_attempt_reaches_the_health_counters(config, store, clock):
    """The terminal wraps the service so /metrics counts check-ins by outcome code;
    nothing but the code goes into the counter."""
    from kiosk.health.counting import CountingCheckIn

    counted = []
    service = CountingCheckIn(check_in_service(config, store, clock=clock),
                              lambda *args: counted.append(args))
    add(store, clock)
    assert service.check_in("204517", "de", typed=True).ok
    service.check_in("WIFI:T:WPA;S:Gaeste;P:geheim123;;", "de")
    service.check_in("999999", "de", typed=True)
    assert counted == [("checkins", "checked_in"), ("checkins", "not_a_booking"),
                       ("checkins", "unknown")]
    assert service.clock is not None  # everything else passes through


def test_arrived_at_is_the_moment_judged_unless_of_an_earlier_business_day(service, store,
                                                                           clock):
    """A check-in replayed from a terminal's outbox is judged when the visitor scanned;
    one scanned on an earlier business day is judged now (yesterday's queue is closed)."""
    add(store, clock, ref="204517", minutes=-20)  # 08:40 slot, window closed at 08:55
    add(store, clock, ref="204518", minutes=5)
    scanned = clock.now - timedelta(minutes=10)  # 08:50, in the first one's window
    first = service.check_in("204517", "de", typed=True, arrived_at=scanned)
    assert first.outcome is CheckInOutcome.CHECKED_IN
    assert store.checked_in_ticket("204517").issued_at == scanned
    second = service.check_in("204518", "de", typed=True,
                              arrived_at=clock.now - timedelta(hours=13))
    assert second.outcome is CheckInOutcome.CHECKED_IN
    ticket = store.checked_in_ticket("204518")
    assert ticket.issued_at == clock.now and ticket.business_day == business_day(clock.now)
