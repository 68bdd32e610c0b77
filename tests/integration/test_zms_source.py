"""The ZMS source over real HTTP against the local fake ZMS: look-ups, arrivals, and
every fault the booking system can show (slow, 500, nonsense, wrong key)."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from kiosk.appointments.source import SourceUnavailable
from kiosk.appointments.zms import ZmsSource, _never_connected
from kiosk.config_model import ZmsConfig
from kiosk.domain.appointment import BookingCode, BookingStatus, CodeKind
from tests.fakes.zms_server import API_KEY, FakeZms, process

BERLIN = ZoneInfo("Europe/Berlin")
SLOT = datetime(2026, 12, 7, 9, 30, tzinfo=BERLIN)
DATE = int(SLOT.timestamp())
KEY4 = "1c56"
KEY64 = "9f" * 32
SERVICES = {120703: "ausweis", 120686: "anmeldung"}
UNREACHABLE = "booking system not reachable: "


@pytest.fixture
def fake():
    server = FakeZms()
    yield server
    server.close()


def source(fake, *, api_key=API_KEY, retries=1, read_timeout_s=0.5, url=None,
           scope_id=141) -> ZmsSource:
    config = ZmsConfig(url=url or fake.url, api_key_file=None, scope_id=scope_id,
                       connect_timeout_s=2.0, read_timeout_s=read_timeout_s, retries=retries)
    return ZmsSource(config, SERVICES, api_key, "bb-mitte", backoff_s=0.01)


def link(pid, key) -> BookingCode:
    return BookingCode(CodeKind.ZMS_LINK, str(pid), key)


def typed(pid) -> BookingCode:
    return BookingCode(CodeKind.TYPED, str(pid))


# --- look-up -----------------------------------------------------------------------------

def test_find_maps_a_confirmed_process_to_a_booking(fake):
    fake.add(process(4711001, KEY4, date=DATE, slot_count=2, slot_minutes=15,
                     request_ids=(120703,)))
    booking = source(fake).find(link(4711001, KEY4))
    assert booking is not None
    assert booking.reference == "4711001"
    assert booking.service == "ausweis"
    assert booking.office == "bb-mitte"
    assert booking.start == SLOT and booking.start.tzinfo is not None
    assert booking.start.utcoffset().total_seconds() == 3600  # CET in December
    assert booking.duration_min == 30
    assert booking.status is BookingStatus.CONFIRMED
    assert booking.priority_rank is None


@pytest.mark.parametrize("key", ["a", KEY4, KEY64, KEY64 * 2])
def test_auth_key_of_any_length(fake, key):
    fake.add(process(4711002, key, date=DATE))
    assert source(fake).find(link(4711002, key)).reference == "4711002"


def test_summer_time_slot(fake):
    summer = datetime(2026, 7, 1, 8, 0, tzinfo=BERLIN)
    fake.add(process(4711003, KEY4, date=int(summer.timestamp())))
    booking = source(fake).find(link(4711003, KEY4))
    assert booking.start == summer and booking.start.utcoffset().total_seconds() == 7200


def test_unknown_process_and_wrong_key_are_none(fake):
    fake.add(process(4711004, KEY4, date=DATE))
    zms = source(fake)
    assert zms.find(link(4711999, KEY4)) is None          # 404 ProcessNotFound
    assert zms.find(link(4711004, "beef")) is None        # 403 AuthKeyMatchFailed
    assert zms.find(link(4711004, KEY4 + "0")) is None    # a longer key is another key
    assert fake.count("GET", "process") == 3


def test_reference_that_is_no_process_number_is_none_without_asking(fake):
    zms = source(fake)
    assert zms.find(link("12AB", KEY4)) is None
    assert zms.find(link("123456789012", KEY4)) is None   # more than 11 digits
    assert fake.request_log == []


@pytest.mark.parametrize("status, expected", [
    ("confirmed", BookingStatus.CONFIRMED), ("queued", BookingStatus.CHECKED_IN),
    ("called", BookingStatus.CALLED), ("processing", BookingStatus.CALLED),
    ("pending", BookingStatus.DONE), ("finished", BookingStatus.DONE),
    ("missed", BookingStatus.MISSED), ("deleted", BookingStatus.CANCELLED),
    ("reserved", None), ("preconfirmed", None), ("blocked", None),
])
def test_status_mapping(fake, status, expected):
    fake.add(process(4711005, KEY4, date=DATE, status=status))
    booking = source(fake).find(link(4711005, KEY4))
    assert (booking.status if booking else None) is expected


@pytest.mark.parametrize("priority, rank", [(1, 1), ("1", 1), (2, None), (3, None),
                                            (None, None), ("", None)])
def test_zms_priority_one_is_an_emergency(fake, priority, rank):
    fake.add(process(4711006, KEY4, date=DATE, priority=priority))
    assert source(fake).find(link(4711006, KEY4)).priority_rank == rank


def test_numbers_as_strings_as_zms_also_sends_them(fake):
    proc = process(4711007, KEY4, date=DATE, slot_count=3, slot_minutes=10)
    proc["id"] = "4711007"
    proc["appointments"][0]["date"] = str(DATE)
    proc["appointments"][0]["slotCount"] = "3"
    proc["appointments"][0]["availability"]["slotTimeInMinutes"] = "10"
    proc["scope"]["id"] = "141"
    fake.add(proc)
    booking = source(fake).find(link(4711007, KEY4))
    assert (booking.start, booking.duration_min, booking.office) == (SLOT, 30, "bb-mitte")


def test_other_scope_and_unmapped_service_are_named_not_guessed(fake):
    fake.add(process(4711008, KEY4, date=DATE, scope_id=999, request_ids=(555555,)))
    booking = source(fake).find(link(4711008, KEY4))
    assert booking.office == "zms-scope:999"
    assert booking.service == "zms-request:555555"


def test_first_mapped_request_names_the_service(fake):
    fake.add(process(4711009, KEY4, date=DATE, request_ids=(555555, 120686)))
    assert source(fake).find(link(4711009, KEY4)).service == "anmeldung"


# --- faults ------------------------------------------------------------------------------

def test_slow_answer_is_unavailable(fake):
    fake.add(process(4711010, KEY4, date=DATE))
    fake.slow_s = 5.0  # far beyond the 0.5 s read timeout
    with pytest.raises(SourceUnavailable) as caught:
        source(fake).find(link(4711010, KEY4))
    assert str(caught.value).startswith(UNREACHABLE)


def test_server_error_is_unavailable_after_the_retries(fake):
    fake.add(process(4711011, KEY4, date=DATE))
    fake.fail_500 = True
    with pytest.raises(SourceUnavailable, match="HTTP 500"):
        source(fake, retries=2).find(link(4711011, KEY4))
    assert fake.count("GET", "500") == 3


def test_one_server_error_is_retried_for_a_lookup(fake):
    fake.add(process(4711012, KEY4, date=DATE))
    fake.fail_500_times = 1
    assert source(fake, retries=1).find(link(4711012, KEY4)) is not None
    assert fake.count("GET", "500") == 1 and fake.count("GET", "process") == 1


def test_no_retries_when_configured_so(fake):
    fake.fail_500_times = 1
    with pytest.raises(SourceUnavailable):
        source(fake, retries=0).find(link(4711013, KEY4))
    assert len(fake.request_log) == 1


@pytest.mark.parametrize("kind", ["html", "truncated", "wrong_types", "not_envelope",
                                  "huge_nesting", "trickle"])
def test_nonsense_is_unavailable(fake, kind):
    fake.nonsense = kind
    with pytest.raises(SourceUnavailable) as caught:
        source(fake).find(link(4711014, KEY4))
    assert str(caught.value).startswith(UNREACHABLE)


WRONG_SHAPES = {
    "no appointments": lambda p: p.pop("appointments"),
    "empty appointments": lambda p: p.update(appointments=[]),
    "date text": lambda p: p["appointments"][0].update(date="tomorrow"),
    "date bool": lambda p: p["appointments"][0].update(date=True),
    "date far future": lambda p: p["appointments"][0].update(date=10**15),
    "date negative": lambda p: p["appointments"][0].update(date=-5),
    "slotCount list": lambda p: p["appointments"][0].update(slotCount=[1]),
    "slotTime zero": lambda p: p["appointments"][0]["availability"].update(
        slotTimeInMinutes=0),
    "unknown status": lambda p: p.update(status="teleported"),
    "status number": lambda p: p.update(status=3),
    "scope text": lambda p: p.update(scope="141"),
    "scope without id": lambda p: p["scope"].pop("id"),
    "requests dict": lambda p: p.update(requests={"id": 1}),
    "request id text": lambda p: p["requests"][0].update(id="Pass"),
    "priority text": lambda p: p.update(priority="urgent"),
    "authKey missing": lambda p: p.pop("authKey"),
    "id of another process": lambda p: p.update(id=4711016),
}


@pytest.mark.parametrize("name", sorted(WRONG_SHAPES))
def test_process_of_the_wrong_shape_is_unavailable(fake, name):
    proc = process(4711015, KEY4, date=DATE)
    fake.add(proc)   # registers the key, then the JSON is broken
    WRONG_SHAPES[name](proc)
    with pytest.raises(SourceUnavailable, match="unexpected answer"):
        source(fake).find(link(4711015, KEY4))


def test_error_flag_on_a_200_answer_is_unavailable(fake):
    fake.add(process(4711017, KEY4, date=DATE))
    fake.error_flag_on_success = True
    with pytest.raises(SourceUnavailable, match="unexpected answer"):
        source(fake).find(link(4711017, KEY4))


def test_404_that_is_not_a_zms_answer_is_unavailable_not_unknown(fake):
    # a wrong url: the web server's own 404 page, or ZMS's "no such route" (no exception)
    with pytest.raises(SourceUnavailable, match="HTTP 404"):
        source(fake, url=fake.url.replace("/api/2", "/api/9")).find(link(4711018, KEY4))
    with pytest.raises(SourceUnavailable, match="HTTP 404"):
        source(fake, url=fake.url + "/extra").find(link(4711018, KEY4))


def test_nobody_listening_is_unavailable(fake):
    url = fake.url
    fake.close()
    with pytest.raises(SourceUnavailable, match="connection failed"):
        source(fake, url=url).find(link(4711019, KEY4))


def test_refused_connection_counts_as_never_sent(fake):
    url = fake.url
    fake.close()
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        requests.post(url + "/process/status/queued/", json={}, timeout=2)
    assert _never_connected(caught.value)


# --- look-up by number (typed codes, our signed codes) ---------------------------------------

def test_typed_number_found_through_the_workstation_route(fake):
    fake.add(process(4711020, KEY64, date=DATE))
    booking = source(fake).find(typed(4711020))
    assert booking.reference == "4711020" and booking.status is BookingStatus.CONFIRMED
    assert fake.count("GET", "workstation_process") == 1


def test_typed_number_without_api_key_is_none_without_asking(fake):
    fake.add(process(4711021, KEY4, date=DATE))
    assert source(fake, api_key=None).find(typed(4711021)) is None
    assert fake.request_log == []


def test_typed_number_not_callable_or_other_scope_is_none(fake):
    fake.add(process(4711022, KEY4, date=DATE, status="deleted"))
    fake.add(process(4711023, KEY4, date=DATE, scope_id=999))
    zms = source(fake)
    assert zms.find(typed(4711022)) is None
    assert zms.find(typed(4711023)) is None
    assert zms.find(typed(4711024)) is None


def test_typed_number_with_a_refused_api_key_is_unavailable(fake):
    fake.add(process(4711025, KEY4, date=DATE))
    with pytest.raises(SourceUnavailable, match="API key refused"):
        source(fake, api_key="not-the-key").find(typed(4711025))


# --- arrival ------------------------------------------------------------------------------

def test_mark_arrived_queues_once(fake):
    fake.add(process(4711030, KEY64, date=DATE, priority=1))
    zms = source(fake)
    booking = zms.find(link(4711030, KEY64))
    assert zms.mark_arrived(booking, SLOT) is True
    assert fake.status(4711030) == "queued"
    assert zms.mark_arrived(booking, SLOT) is False   # a second scan
    assert fake.count("POST", "queued") == 1
    body = fake.posted_bodies[0]
    assert body["id"] == 4711030 and body["authKey"] == KEY64 and body["priority"] == 1
    assert "clients" not in body   # nothing personal goes back


def test_mark_arrived_never_requeues_a_called_visitor(fake):
    # the published ProcessQueued would put them back in the queue with callCount 0
    fake.add(process(4711031, KEY4, date=DATE))
    zms = source(fake)
    booking = zms.find(link(4711031, KEY4))
    fake.set_status(4711031, "called")
    assert zms.mark_arrived(booking, SLOT) is False
    assert fake.status(4711031) == "called"
    assert fake.count("POST", "queued") == 0


def test_mark_arrived_after_a_typed_lookup(fake):
    fake.add(process(4711032, KEY64, date=DATE))
    zms = source(fake)
    assert zms.mark_arrived(zms.find(typed(4711032)), SLOT) is True
    assert fake.posted_bodies[0]["authKey"] == KEY64


def test_mark_arrived_on_a_fresh_source_learns_the_key_by_number(fake):
    fake.add(process(4711033, KEY4, date=DATE))
    booking = source(fake).find(link(4711033, KEY4))
    assert source(fake).mark_arrived(booking, SLOT) is True


def test_another_terminal_queues_between_our_read_and_our_post(fake):
    fake.add(process(4711034, KEY4, date=DATE))
    fake.queued_by_other_at_post = True
    fake.refuse_second_queued = True       # a ZMS that answers a second "queued" with an error
    zms = source(fake)
    assert zms.mark_arrived(zms.find(link(4711034, KEY4)), SLOT) is False
    assert fake.status(4711034) == "queued"
    assert fake.count("POST", "queued") == 1


def test_refused_post_while_still_confirmed_is_unavailable(fake):
    # a process of a scope our workstation login may not edit: ZMS answers 403
    fake.add(process(4711039, KEY4, date=DATE, scope_id=999))
    zms = source(fake, scope_id=None)
    booking = zms.find(link(4711039, KEY4))
    with pytest.raises(SourceUnavailable, match=r"check-in refused \(HTTP 403\)"):
        zms.mark_arrived(booking, SLOT)
    assert fake.status(4711039) == "confirmed" and fake.count("POST", "queued") == 1


def test_slow_post_that_arrived_is_read_back_not_resent(fake):
    fake.add(process(4711035, KEY4, date=DATE))
    fake.slow_post_s = 5.0   # applied at once, answered far beyond the read timeout
    zms = source(fake, retries=2)
    assert zms.mark_arrived(zms.find(link(4711035, KEY4)), SLOT) is True
    assert fake.count("POST", "queued") == 1


def test_post_server_error_is_not_resent(fake):
    fake.add(process(4711036, KEY4, date=DATE))
    zms = source(fake, retries=2)
    booking = zms.find(link(4711036, KEY4))
    fake.fail_post_500 = True
    with pytest.raises(SourceUnavailable, match="HTTP 500"):
        zms.mark_arrived(booking, SLOT)
    assert fake.count("POST", "500") == 1
    assert fake.status(4711036) == "confirmed"


def test_mark_arrived_needs_the_api_key(fake):
    fake.add(process(4711037, KEY4, date=DATE))
    zms = source(fake, api_key=None)
    with pytest.raises(SourceUnavailable, match="no API key"):
        zms.mark_arrived(zms.find(link(4711037, KEY4)), SLOT)
    wrong = source(fake, api_key="not-the-key")
    with pytest.raises(SourceUnavailable, match="API key refused"):
        wrong.mark_arrived(wrong.find(link(4711037, KEY4)), SLOT)
    assert fake.status(4711037) == "confirmed"


def test_mark_arrived_when_unreachable(fake):
    fake.add(process(4711038, KEY4, date=DATE))
    zms = source(fake)
    booking = zms.find(link(4711038, KEY4))
    fake.slow_s = 5.0
    with pytest.raises(SourceUnavailable):
        zms.mark_arrived(booking, SLOT)


# --- nothing secret in logs or messages --------------------------------------------------------

def test_no_reference_or_auth_key_in_logs_or_messages(fake, caplog):
    caplog.set_level(logging.DEBUG)
    fake.add(process(4711040, KEY64, date=DATE))
    zms = source(fake)
    zms.mark_arrived(zms.find(link(4711040, KEY64)), SLOT)
    zms.find(link(4711041, KEY64))
    zms.find(link(4711040, "beef"))
    fake.slow_s = 5.0
    messages = []
    for code in (link(4711040, KEY64), typed(4711040)):
        with pytest.raises(SourceUnavailable) as caught:
            zms.find(code)
        messages.append(str(caught.value))
    text = "\n".join([r.getMessage() for r in caplog.records] + messages)
    assert "zms find: status confirmed (HTTP 200)" in text
    assert any(r.name.startswith("urllib3") for r in caplog.records)  # it did log requests
    for secret in ("4711040", "4711041", KEY64, "beef", API_KEY):
        assert secret not in text


def test_free_slot_without_auth_key_is_none_not_an_error(fake):
    proc = process(4711042, KEY4, date=DATE, status="free")
    fake.add(proc)
    del proc["authKey"]   # as Process::withLessData serves a free slot
    assert source(fake).find(link(4711042, KEY4)) is None


# --- together with the code parser ---------------------------------------------------------

def test_scanned_zms_link_typed_number_and_signed_code_reach_the_booking(fake):
    import base64
    import json as _json

    from kiosk.domain.checkin_code import make_signed_code, parse_code, parse_typed

    fake.add(process(4711060, KEY64, date=DATE))
    zms = source(fake)
    token = base64.b64encode(_json.dumps({"id": 4711060, "authKey": KEY64}).encode()).decode()
    scanned = parse_code(f"https://termine.example.org/#/appointment/confirm/{token}",
                         keys=(), office_id="bb-mitte", zms_hosts=("termine.example.org",))
    key = bytes(range(32))
    signed = parse_code(make_signed_code("4711060", key, "bb-mitte"), keys=(key,),
                        office_id="bb-mitte")
    for code in (scanned, parse_typed("4711060"), signed):
        assert isinstance(code, BookingCode), code
        assert zms.find(code).reference == "4711060"
    assert zms.mark_arrived(zms.find(scanned), SLOT) is True
