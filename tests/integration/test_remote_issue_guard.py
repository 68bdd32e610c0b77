"""Issuing over the office server ([store] backend "http") is guarded as the local path
is: an unknown service, a second tap while one is issued and a tap within the debounce
interval issue nothing; a number from the reserved range counts for the debounce, a
refusal does not. The server is a port where nothing listens (no server needed)."""

from __future__ import annotations

import pytest

from kiosk.services.issue_ticket import Refusal, Refused
from tests.integration.test_http_backend import dead_url, terminal_config
from tests.unit.test_issue_ticket import Ticks


def remote(tmp_path, offline: str = "local_range", ticks=None):
    from kiosk.services.remote import RemoteTicketService
    from kiosk.wiring import server_link

    _, config = terminal_config(tmp_path, dead_url(), "no-server", offline=offline)
    link = server_link(config)
    kwargs = {"monotonic": ticks} if ticks is not None else {}
    return RemoteTicketService(config, link.client, link.outbox, None, **kwargs), link


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))


def test_an_unknown_service_is_refused_with_the_valid_ones(tmp_path, data_dir):
    tickets, link = remote(tmp_path)
    with pytest.raises(Refused) as refused:
        tickets.issue("passport", "de")
    assert refused.value.reason is Refusal.UNKNOWN_SERVICE
    assert "'passport'" in refused.value.detail and "anmeldung" in refused.value.detail
    assert link.outbox.pending() == []
    link.close()


def test_a_second_tap_while_one_is_issued_issues_nothing(tmp_path, data_dir):
    tickets, link = remote(tmp_path)
    tickets._busy.acquire()
    try:
        with pytest.raises(Refused) as refused:
            tickets.issue("anmeldung", "de")
        assert refused.value.reason is Refusal.BUSY
        assert refused.value.detail == "a ticket is being issued"
    finally:
        tickets._busy.release()
    assert link.outbox.pending() == []
    assert tickets.issue("anmeldung", "de").ticket.number == "A900"  # released again
    link.close()


def test_a_reserved_number_counts_for_the_debounce(tmp_path, data_dir):
    ticks = Ticks()
    tickets, link = remote(tmp_path, ticks=ticks)
    assert tickets.issue("anmeldung", "de").ticket.number == "A900"
    ticks.t += 0.3
    with pytest.raises(Refused) as refused:
        tickets.issue("anmeldung", "de")
    assert refused.value.reason is Refusal.BUSY and refused.value.detail == "pressed twice"
    ticks.t += 0.3
    assert tickets.issue("anmeldung", "de").ticket.number == "A901"
    assert [e.body["number"] for e in link.outbox.pending()] == ["A900", "A901"]
    link.close()


def test_a_refusal_does_not_count_for_the_debounce(tmp_path, data_dir):
    ticks = Ticks()
    tickets, link = remote(tmp_path, offline="ask_at_desk", ticks=ticks)
    for _ in range(2):  # at once again: the same answer, not "pressed twice"
        with pytest.raises(Refused) as refused:
            tickets.issue("anmeldung", "de")
        assert refused.value.reason is Refusal.OFFLINE
    link.close()
