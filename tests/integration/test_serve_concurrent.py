"""20 terminals issuing 1,000 tickets at once through `kiosk serve` on SQLite and on
PostgreSQL: every answer a number, no number twice, none left out (per prefix
001..500), the same in the store."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests

from tests.conftest import MINIMAL_CONFIG
from tests.server_process import ServerProcess, engine_store_toml

CLIENTS, PER_CLIENT = 20, 50


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_twenty_clients_issue_1000_tickets_without_duplicates_or_gaps(tmp_path, engine,
                                                                      request,
                                                                      monkeypatch):
    config = MINIMAL_CONFIG.replace("daily_quota = 2\n", "") + \
        engine_store_toml(engine, tmp_path, request)
    answers: list[tuple[str, str]] = []
    failures: list[str] = []
    lock = threading.Lock()
    with ServerProcess(tmp_path, config, roles=("terminal",)) as srv:
        url = srv.url + "/api/v1/tickets"

        def client(i: int) -> None:
            with requests.Session() as session:
                session.headers.update(srv.headers("terminal"))
                for n in range(PER_CLIENT):
                    service = ("anmeldung", "ausweis")[(i + n) % 2]
                    r = session.post(url, json={"service": service, "language": "de"},
                                     timeout=60)
                    with lock:
                        if r.status_code == 201:
                            answers.append((service, r.json()["number"]))
                        else:
                            failures.append(f"{r.status_code} {r.text[:100]}")
        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        business_day = requests.post(url, json={"service": "anmeldung", "language": "de"},
                                     headers=srv.headers("terminal"),
                                     timeout=60).json()["business_day"]
    assert failures == []
    assert len(answers) == CLIENTS * PER_CLIENT
    numbers = [number for _, number in answers]
    assert [n for n, c in Counter(numbers).items() if c > 1] == []  # no duplicates
    for service, prefix in (("anmeldung", "A"), ("ausweis", "P")):
        seqs = sorted(int(n[1:]) for s, n in answers if s == service)
        assert all(n.startswith(prefix) for s, n in answers if s == service)
        assert seqs == list(range(1, CLIENTS * PER_CLIENT // 2 + 1))  # no gaps

    from datetime import date

    from kiosk.config import load_config
    from kiosk.wiring import open_store

    monkeypatch.setenv("KIOSK_DATA_DIR", str(srv.data))
    store = open_store(load_config(srv.config))  # the server's store, either engine
    try:
        stored = store.all_numbers(date.fromisoformat(business_day))
    finally:
        store.close()
    assert sorted(stored) == sorted(numbers + ["A501"])
