"""An office on one `kiosk serve` over PostgreSQL (issue 13, "done when"): 5 terminals
on the http backend (ServerClient, RemoteTicketService, RemoteCheckIn: the terminal's
own code path) issuing walk-in tickets and checking in appointments, 20 counters calling
next and finishing at once, and a TV board on the call stream (tests/office.py). Every
number issued is called exactly once, the board sees every call, and the server answers
no 5xx."""

from __future__ import annotations

from collections import Counter

from tests.office import booking_refs, import_bookings, run_office, server_config
from tests.server_process import ServerProcess, engine_store_toml

TERMINALS, COUNTERS = 5, 20
WALK_INS, CHECK_INS = 10, 2  # per terminal: a check-in after every fifth ticket


def test_an_office_of_5_terminals_20_counters_and_a_board_on_postgresql(tmp_path, request):
    config = server_config(engine_store_toml("postgres", tmp_path, request))
    with ServerProcess(tmp_path, config, roles=("board", "counter", "terminal")) as srv:
        import_bookings(srv, booking_refs(TERMINALS, CHECK_INS))
        office = run_office(srv, TERMINALS, COUNTERS, WALK_INS, CHECK_INS)
        log = srv.output()
    terminals, counters = office["terminals"], office["counters"]
    assert [f for t in terminals + counters for f in t.failures] == []
    assert not any(t.is_alive() for t in terminals + counters)
    issued = [n for t in terminals for n in t.numbers]
    assert len(issued) == TERMINALS * (WALK_INS + CHECK_INS) == len(set(issued))
    calls = [(n, c.id) for c in counters for n in c.calls]
    called = [n for n, _ in calls]
    assert [n for n, k in Counter(called).items() if k > 1] == []  # nobody called twice
    assert sorted(called) == sorted(issued)  # every number issued called once
    assert Counter(office["board_events"]) == Counter(calls)  # the board saw every call
    # the ID-card desks called ID cards and their appointments only
    assert not [n for n, c in calls if int(c) % 4 == 0 and n.startswith("A")]
    assert "internal_error" not in log and "Traceback" not in log
