"""`kiosk serve` over real HTTP: device tokens by role, issuing, counter calls, the
recent calls, JSON errors."""

from __future__ import annotations

import pytest
import requests

from tests.server_process import ServerProcess


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with ServerProcess(tmp_path_factory.mktemp("serve")) as s:
        yield s


def test_ticket_call_and_calls(srv):
    r = requests.post(srv.url + "/api/v1/tickets", json={"service": "anmeldung",
                      "language": "de"}, headers=srv.headers("terminal"), timeout=10)
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    r = requests.post(srv.url + "/api/v1/counters/3/call", json={"services": ["anmeldung"]},
                      headers=srv.headers("counter"), timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["number"] == number and r.json()["counter"] == "3"
    r = requests.get(srv.url + "/api/v1/calls", headers=srv.headers("board"), timeout=10)
    assert r.status_code == 200 and r.json()[0]["number"] == number


def test_without_token_401_and_wrong_role_403(srv):
    r = requests.post(srv.url + "/api/v1/tickets", json={"service": "anmeldung",
                      "language": "de"}, timeout=10)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    r = requests.post(srv.url + "/api/v1/tickets", json={"service": "anmeldung",
                      "language": "de"}, headers=srv.headers("board"), timeout=10)
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
