"""Issuing through `kiosk serve` is exactly once per Idempotency-Key even when the
server dies between the issue's commit and anything after it (keeping the answer,
sending it): the terminal's retry gets the first number, and no number is lost."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import MINIMAL_CONFIG
from tests.server_process import ServerProcess, engine_store_toml

API = "/api/v1"


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_a_retry_after_a_crash_right_after_the_commit_gets_the_first_number(
        engine, tmp_path, request):
    srv = ServerProcess(tmp_path, MINIMAL_CONFIG + engine_store_toml(engine, tmp_path,
                                                                     request),
                        roles=("terminal",), faults="exit-after-issue")
    body = {"service": "anmeldung", "language": "de"}
    keyed = srv.headers("terminal", **{"Idempotency-Key": "5f0c2a9e-after-commit"})
    with srv:
        with pytest.raises(requests.ConnectionError):  # died before answering
            requests.post(srv.url + API + "/tickets", json=body, headers=keyed, timeout=20)
        assert srv.proc.wait(timeout=20) == 70
        srv.faults = None
        srv.start()
        again = requests.post(srv.url + API + "/tickets", json=body, headers=keyed,
                              timeout=20)
        assert again.status_code == 201, again.text
        assert again.json()["number"] == "A001"  # the number the crash kept
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert requests.post(srv.url + API + "/tickets", json=body, headers=keyed,
                             timeout=20).json()["number"] == "A001"
        nxt = requests.post(srv.url + API + "/tickets", json=body,
                            headers=srv.headers("terminal"), timeout=20).json()
        assert nxt["number"] == "A002"  # nothing issued twice, nothing skipped
