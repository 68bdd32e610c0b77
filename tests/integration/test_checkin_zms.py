"""CheckInService with source = "zms" against the local fake ZMS: a scanned confirmation
link checks in (ZMS told first, then the local ticket), a second scan shows the number,
and a booking system that does not answer gives UNREACHABLE and no ticket."""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime, timezone

import pytest

from kiosk.config import load_config
from kiosk.domain.clock import OFFICE_ZONE
from kiosk.services.check_in_result import CheckInOutcome
from kiosk.wiring import check_in_service
from tests.conftest import MINIMAL_CONFIG, FakeClock, write_config
from tests.fakes.zms_server import API_KEY, FakeZms, process

SLOT = datetime(2026, 11, 24, 10, 30, tzinfo=OFFICE_ZONE)
KEY = "1c56"


@pytest.fixture
def fake():
    server = FakeZms()
    yield server
    server.close()


def _service(tmp_path, store, url):
    key_file = tmp_path / "zms-key"
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, API_KEY.encode() + b"\n")
    os.close(fd)
    text = MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "p.bin")).replace(
        'prefix = "A"\n', 'prefix = "A"\nappointments = { zms_request_ids = [120703] }\n')
    text += f"""
[appointments]
source = "zms"
office_id = "bb-test"

[appointments.zms]
url = "{url}"
api_key_file = "{key_file}"
scope_id = 141
read_timeout_s = 0.5
retries = 0
"""
    config = load_config(write_config(tmp_path, text))
    clock = FakeClock(SLOT.astimezone(timezone.utc))
    return check_in_service(config, store, clock=clock)


def _link(url: str, pid: int) -> str:
    token = base64.b64encode(json.dumps({"id": pid, "authKey": KEY}).encode()).decode()
    host = url.split("/")[2]
    return f"http://{host}/terminvereinbarung/#/appointment/confirm/{token}"


def test_a_zms_link_checks_in_once(tmp_path, store, fake):
    fake.add(process(4711001, KEY, date=int(SLOT.timestamp())))
    service = _service(tmp_path, store, fake.url)
    result = service.check_in(_link(fake.url, 4711001), "de")
    assert result.outcome is CheckInOutcome.CHECKED_IN, result
    assert result.number == "T001" and result.service == "anmeldung"
    assert fake.status(4711001) == "queued"
    again = service.check_in(_link(fake.url, 4711001), "de")
    assert again.outcome is CheckInOutcome.ALREADY_CHECKED_IN and again.number == "T001"
    assert fake.count("POST", "queued") == 1


def test_booking_system_gone_is_unreachable_and_issues_nothing(tmp_path, store, fake):
    url = fake.url
    fake.close()
    service = _service(tmp_path, store, url)
    result = service.check_in(_link(url, 4711001), "de")
    assert result.outcome is CheckInOutcome.UNREACHABLE
    assert store.checked_in_ticket("4711001") is None


def test_a_booking_zms_reports_missed_after_the_check_in_is_too_late(tmp_path, store, fake):
    """Checked in here, then ZMS marks the process missed (called at a counter, did not
    come): the number the terminal holds no longer leads to a counter. A scan now gets
    the missed appointment's answer (too late, a walk-in ticket instead), not "you are
    already checked in, your number is T001"; ZMS is not queued again."""
    from kiosk.services.check_in_text import reason_text

    fake.add(process(4711001, KEY, date=int(SLOT.timestamp())))
    service = _service(tmp_path, store, fake.url)
    assert service.check_in(_link(fake.url, 4711001), "de").number == "T001"
    fake.set_status(4711001, "missed")
    service.clock.advance(minutes=20)
    result = service.check_in(_link(fake.url, 4711001), "de")
    assert result.outcome is CheckInOutcome.TOO_LATE, result
    assert result.number is None and result.slot == SLOT and result.service == "anmeldung"
    assert reason_text(result, "de") == ("Für Ihren Termin um 10:30 ist es zu spät. Sie "
                                         "können stattdessen eine Wartemarke ohne Termin "
                                         "ziehen.")
    assert fake.count("POST", "queued") == 1 and fake.status(4711001) == "missed"
    walk_in = service.walk_in_instead(result, "de")
    assert walk_in.ticket.number.startswith("A")
