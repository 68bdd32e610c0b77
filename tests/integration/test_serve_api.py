"""`kiosk serve` over real HTTP (a started server on SQLite and on PostgreSQL): device
tokens by role
on every endpoint, issuing and its refusals, check-in, sealed intakes, counter actions,
the recent calls and their stream, the queue, statistics, JSON errors."""

from __future__ import annotations

import base64
import csv
import io
import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests

from kiosk.domain.clock import OFFICE_ZONE
from tests.conftest import MINIMAL_CONFIG
from tests.server_process import ServerProcess, engine_store_toml
from tests.midnight import skip_near_midnight

APPOINTMENTS = """
[appointments]
office_id = "bb-test"
early_min = 30
late_min = 30
"""
API = "/api/v1"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def srv(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    server = ServerProcess(folder, MINIMAL_CONFIG + APPOINTMENTS +
                           engine_store_toml(request.param, folder, request))
    now = datetime.now(timezone.utc).astimezone(OFFICE_ZONE)
    start = (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    bookings = folder / "bookings.csv"
    bookings.write_text("reference,service,office,start,duration,status,priority_rank\n"
                        f"200001,ausweis,bb-test,{start},15,confirmed,\n", encoding="utf-8")
    out = server.kiosk("appointments", "import", str(bookings), "--config",
                       str(server.config))
    assert out.returncode == 0, out.stderr
    with server:
        yield server


def post(srv, path, role, body=None, **headers):
    return requests.post(srv.url + API + path, json=body,
                         headers=srv.headers(role, **headers) if role else headers,
                         timeout=20)


def get(srv, path, role, **params):
    return requests.get(srv.url + API + path, params=params,
                        headers=srv.headers(role) if role else {}, timeout=20)


def ticket(srv, service="anmeldung"):
    r = post(srv, "/tickets", "terminal", {"service": service, "language": "en"})
    assert r.status_code == 201, r.text
    return r.json()


# (method, path, body, roles allowed)
ENDPOINTS = [
    ("POST", "/tickets", {"service": "anmeldung", "language": "de"}, {"terminal"}),
    ("POST", "/tickets/offline", {"number": "P999", "service": "ausweis", "language": "de",
                                  "issued_at": "2026-01-05T09:00:00+01:00"}, {"terminal"}),
    ("POST", "/checkins", {"code": "999999", "typed": True, "language": "de"},
     {"terminal"}),
    ("POST", "/intakes", {"reference": "ROLECHECK", "key_id": "k1", "sealed": "AAAA"},
     {"terminal"}),
    ("GET", "/intakes/ROLECHECK", None, {"counter"}),
    ("DELETE", "/intakes/NOSUCHREF", None, {"counter"}),
    ("POST", "/counters/9/call", {"number": "A999"}, {"counter"}),
    ("POST", "/counters/9/recall", None, {"counter"}),
    ("POST", "/counters/9/done", None, {"counter"}),
    ("POST", "/counters/9/noshow", None, {"counter"}),
    ("GET", "/calls", None, {"terminal", "counter", "board"}),
    ("GET", "/queue", None, {"terminal", "counter", "board"}),
    ("GET", "/statistics.csv", None, {"counter"}),
]


@pytest.mark.parametrize("method,path,body,allowed", ENDPOINTS,
                         ids=[f"{e[0]} {e[1]}" for e in ENDPOINTS])
def test_every_endpoint_needs_a_token_of_its_role(srv, method, path, body, allowed):
    url = srv.url + API + path
    r = requests.request(method, url, json=body, timeout=20)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized", r.text
    assert r.headers["WWW-Authenticate"] == "Bearer"
    r = requests.request(method, url, json=body, timeout=20,
                         headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and r.json()["error"] == "unauthorized", r.text
    for role in ("terminal", "counter", "board"):
        r = requests.request(method, url, json=body, headers=srv.headers(role), timeout=20)
        if role in allowed:
            assert r.status_code not in (401, 403), (role, r.text)
        else:
            assert r.status_code == 403, (role, r.text)
            assert r.json()["error"] == "forbidden" and r.json()["reason"]


def test_stream_needs_a_board_or_counter_token(srv):
    url = srv.url + API + "/calls/stream"
    assert requests.get(url, timeout=20).status_code == 401
    assert requests.get(url, headers=srv.headers("terminal"), timeout=20).status_code == 403


def test_ticket_answer_and_refusals(srv):
    first, second = ticket(srv), ticket(srv)
    assert set(first) == {"number", "service", "people_ahead", "estimate_min", "issued_at",
                          "business_day"}
    assert first["service"] == "anmeldung" and first["number"].startswith("A")
    assert int(second["number"][1:]) == int(first["number"][1:]) + 1
    assert second["people_ahead"] >= 1
    r = post(srv, "/tickets", "terminal", {"service": "nosuch", "language": "de"})
    assert r.status_code == 409 and r.json()["error"] == "unknown_service"
    # ausweis has a daily quota of 2 (MINIMAL_CONFIG)
    answers = [post(srv, "/tickets", "terminal", {"service": "ausweis", "language": "de"})
               for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 409]
    assert answers[2].json()["error"] == "quota_reached" and answers[2].json()["reason"]


def test_retry_with_the_same_idempotency_key_gets_the_first_answer(srv):
    body = {"service": "anmeldung", "language": "de"}
    first = post(srv, "/tickets", "terminal", body, **{"Idempotency-Key": "k-retry-1"})
    again = post(srv, "/tickets", "terminal", body, **{"Idempotency-Key": "k-retry-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    following = ticket(srv)  # no number was used by the retry
    assert int(following["number"][1:]) == int(first.json()["number"][1:]) + 1
    other = post(srv, "/tickets", "terminal", {"service": "nosuch", "language": "de"},
                 **{"Idempotency-Key": "k-retry-1"})
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"


def test_concurrent_retries_with_one_key_issue_one_number(srv):
    body = {"service": "anmeldung", "language": "de"}
    answers = []

    def send():
        answers.append(post(srv, "/tickets", "terminal", body,
                            **{"Idempotency-Key": "k-burst"}).json())
    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 8 and all(a == answers[0] for a in answers)
    assert int(ticket(srv)["number"][1:]) == int(answers[0]["number"][1:]) + 1


def test_offline_ticket_joins_the_queue_once(srv):
    now = datetime.now(timezone.utc).astimezone(OFFICE_ZONE)
    body = {"number": "A950", "service": "anmeldung", "language": "de",
            "issued_at": now.isoformat()}
    r = post(srv, "/tickets/offline", "terminal", body, **{"Idempotency-Key": "off-1"})
    assert r.status_code == 201, r.text
    assert r.json() == {"number": "A950", "service": "anmeldung",
                        "business_day": now.date().isoformat()}
    again = post(srv, "/tickets/offline", "terminal", body, **{"Idempotency-Key": "off-1"})
    assert again.status_code == 201 and again.json() == r.json()
    taken = post(srv, "/tickets/offline", "terminal", body, **{"Idempotency-Key": "off-2"})
    assert taken.status_code == 409 and taken.json()["error"] == "number_taken"
    # online numbering goes on below the reserved range
    assert int(ticket(srv)["number"][1:]) < 900
    wrong = post(srv, "/tickets/offline", "terminal", {**body, "number": "P951"})
    assert wrong.status_code == 422
    r = post(srv, "/counters/6/call", "counter", {"number": "A950"})
    assert r.status_code == 200 and r.json()["number"] == "A950"
    post(srv, "/counters/6/done", "counter")


def test_check_in_typed_and_retried(srv):
    skip_near_midnight()  # the module's booking is 5 minutes after the server started
    body = {"code": "200001", "typed": True, "language": "en"}
    r = post(srv, "/checkins", "terminal", body, **{"Idempotency-Key": "ci-1"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["outcome"] == "checked_in" and out["number"] and out["slot"]
    assert out["number"] in out["reason"]
    again = post(srv, "/checkins", "terminal", body, **{"Idempotency-Key": "ci-1"})
    assert again.json() == out
    # without the key the store still never issues a second ticket for one booking
    twice = post(srv, "/checkins", "terminal", body).json()
    assert twice["outcome"] == "already_checked_in" and twice["number"] == out["number"]
    unknown = post(srv, "/checkins", "terminal", {"code": "123456", "typed": True,
                                                  "language": "de"}).json()
    assert unknown["outcome"] == "unknown" and unknown["number"] is None


def test_sealed_intake_post_get_delete(srv):
    blob = bytes(range(256)) * 4
    body = {"reference": "RX7KQ2M9", "key_id": "key-2026",
            "sealed": base64.b64encode(blob).decode()}
    r = post(srv, "/intakes", "terminal", body)
    assert r.status_code == 201 and r.json() == {"reference": "RX7KQ2M9"}
    # the same intake again (an outbox replay without a key) is the same answer
    assert post(srv, "/intakes", "terminal", body).status_code == 201
    clash = post(srv, "/intakes", "terminal", {**body, "sealed": "AAAA"})
    assert clash.status_code == 409 and clash.json()["error"] == "reference_taken"
    r = get(srv, "/intakes/RX7KQ2M9", "counter")
    assert r.status_code == 200
    assert base64.b64decode(r.json()["sealed"]) == blob and r.json()["key_id"] == "key-2026"
    assert r.json()["created_at"]
    url = srv.url + API + "/intakes/RX7KQ2M9"
    assert requests.delete(url, headers=srv.headers("counter"), timeout=20).status_code == 204
    assert get(srv, "/intakes/RX7KQ2M9", "counter").status_code == 404
    assert requests.delete(url, headers=srv.headers("counter"), timeout=20).status_code == 404
    bad = post(srv, "/intakes", "terminal", {**body, "sealed": "not base64!"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == "body.sealed"


def test_counter_call_recall_done_noshow_and_calls(srv):
    a, b, c = ticket(srv, "anmeldung"), ticket(srv, "anmeldung"), ticket(srv, "anmeldung")
    r = post(srv, "/counters/7/call", "counter", {"number": b["number"]})
    assert r.status_code == 200, r.text
    assert r.json()["number"] == b["number"] and r.json()["counter"] == "7"
    again = post(srv, "/counters/8/call", "counter", {"number": b["number"]})
    assert again.status_code == 409 and again.json()["error"] == "not_waiting"
    missing = post(srv, "/counters/8/call", "counter", {"number": "Z999"})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    r = post(srv, "/counters/8/call", "counter", {"number": c["number"]})
    assert r.status_code == 200
    r = post(srv, "/counters/7/recall", "counter")
    assert r.status_code == 200 and r.json()["number"] == b["number"]
    calls = get(srv, "/calls", "board", limit=2).json()
    assert [(x["number"], x["counter"], x["recall"]) for x in calls] == \
        [(b["number"], "7", True), (c["number"], "8", False)]
    r = post(srv, "/counters/7/done", "counter")
    assert r.json() == {"number": b["number"], "service": "anmeldung", "counter": "7",
                        "state": "done"}
    assert post(srv, "/counters/7/done", "counter").json()["error"] == "no_current_call"
    assert post(srv, "/counters/7/recall", "counter").status_code == 404
    r = post(srv, "/counters/9/noshow", "counter", {"number": c["number"]})
    assert r.status_code == 200 and r.json()["state"] == "no_show"
    r = post(srv, "/counters/9/noshow", "counter", {"number": a["number"]})
    assert r.status_code == 409 and r.json()["error"] == "not_called"
    numbers = [x["number"] for x in get(srv, "/calls", "terminal").json()]
    assert b["number"] not in numbers and c["number"] not in numbers


def test_call_next_of_services_until_nobody_waits(srv):
    # drain what earlier tests left, then one ticket is called and nothing more
    while post(srv, "/counters/5/call", "counter", {"services": ["anmeldung"]}).status_code \
            == 200:
        pass
    mine = ticket(srv)
    r = post(srv, "/counters/5/call", "counter", {"services": ["anmeldung"]})
    assert r.status_code == 200 and r.json()["number"] == mine["number"]
    r = post(srv, "/counters/5/call", "counter", {"services": ["anmeldung"]})
    assert r.status_code == 404 and r.json()["error"] == "nobody_waiting"
    r = post(srv, "/counters/5/call", "counter", {"services": ["nosuch"]})
    assert r.status_code == 422 and r.json()["error"] == "unknown_service"
    r = post(srv, "/counters/not a counter/call", "counter", {})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


def test_stream_sends_each_call_and_recall(srv):
    events = []
    ready = threading.Event()

    def listen():
        with requests.get(srv.url + API + "/calls/stream", headers=srv.headers("board"),
                          stream=True, timeout=30) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            ready.set()
            kind = None
            for line in r.iter_lines(decode_unicode=True):
                if line.startswith("event:"):
                    kind = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and kind == "call":
                    events.append(json.loads(line.split(":", 1)[1]))
                    if len(events) == 2:
                        return
    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert ready.wait(30)
    mine = ticket(srv)
    # the stream is subscribed once its headers are out; a call a moment later is seen
    for _ in range(100):
        r = post(srv, "/counters/4/call", "counter", {"number": mine["number"]})
        if r.status_code == 200:
            break
    post(srv, "/counters/4/recall", "counter")
    listener.join(30)
    assert [(e["number"], e["counter"], e["recall"]) for e in events] == \
        [(mine["number"], "4", False), (mine["number"], "4", True)]


def _use_up_ausweis_quota(srv):
    """ausweis has a daily quota of 2: issue until the server refuses (this module's
    server is shared, and another test may have used some or all of it already)."""
    for _ in range(3):
        r = post(srv, "/tickets", "terminal", {"service": "ausweis", "language": "de"})
        if r.status_code == 409:
            return
    raise AssertionError("the quota of 2 was not reached after 3 tickets")


def _one_done_and_one_no_show(srv):
    a, b = ticket(srv, "anmeldung"), ticket(srv, "anmeldung")
    assert post(srv, "/counters/11/call", "counter", {"number": a["number"]}).status_code == 200
    assert post(srv, "/counters/11/done", "counter").status_code == 200
    assert post(srv, "/counters/11/call", "counter", {"number": b["number"]}).status_code == 200
    r = post(srv, "/counters/11/noshow", "counter", {"number": b["number"]})
    assert r.status_code == 200, r.text


def test_queue_per_service(srv):
    # on its own too: xdist may run this module's tests on different workers
    _use_up_ausweis_quota(srv)
    states = get(srv, "/queue", "board").json()
    assert [s["service"] for s in states] == ["anmeldung", "ausweis"]
    assert all(set(s) == {"service", "waiting", "estimate_min", "open"} for s in states)
    before = states[0]["waiting"]
    ticket(srv)
    assert get(srv, "/queue", "terminal").json()[0]["waiting"] == before + 1
    assert states[0]["open"] is True
    assert states[1]["open"] is False  # its quota of 2 is used


def test_statistics_csv(srv):
    _one_done_and_one_no_show(srv)
    _use_up_ausweis_quota(srv)  # an ausweis row too
    day = datetime.now(timezone.utc).astimezone(OFFICE_ZONE).date().isoformat()
    r = get(srv, "/statistics.csv", "counter", **{"from": day, "to": day})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == ["day", "service", "issued", "called", "done", "no_show",
                             "median_wait_min", "checkins", "intakes"]
    by = {row["service"]: row for row in rows}
    assert set(by) >= {"anmeldung", "ausweis", "*"}
    assert int(by["*"]["issued"]) == int(by["anmeldung"]["issued"]) + \
        int(by["ausweis"]["issued"])
    assert int(by["anmeldung"]["done"]) >= 1 and int(by["anmeldung"]["no_show"]) >= 1
    assert by["anmeldung"]["median_wait_min"] != ""
    r = get(srv, "/statistics.csv", "counter", **{"from": "2026-02-01", "to": "2026-01-01"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


def test_errors_are_json_with_a_stable_code(srv):
    r = post(srv, "/tickets", "terminal", {"service": "anmeldung"})
    assert r.status_code == 422
    out = r.json()
    assert out["error"] == "invalid_request" and "language" in out["reason"]
    assert out["detail"] == [{"loc": "body.language", "msg": "Field required"}]
    r = requests.post(srv.url + API + "/tickets", data=b"{not json",
                      headers=srv.headers("terminal", **{"Content-Type": "application/json"}),
                      timeout=20)
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    r = post(srv, "/tickets", "terminal", {"service": "anmeldung", "language": "de",
                                           "terminal": "x"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == "body.terminal"
    # found by schemathesis: number 000 is no ticket number (was a 500)
    for path in ("/counters/1/done", "/counters/1/noshow", "/counters/1/call"):
        r = post(srv, path, "counter", {"number": "A000"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == "body.number", path
    r = get(srv, "/nosuch", "board")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = requests.put(srv.url + API + "/tickets", headers=srv.headers("terminal"), timeout=20)
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"
