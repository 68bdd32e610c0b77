"""Opening hours in the configuration (issue 7, item 13): no [hours] table means open
around the clock (documented), an [hours] table or a service's hours with no range on
any day mean closed, and check-config warns that it is never open."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kiosk.cli import main
from kiosk.config import ConfigError, load_config
from kiosk.services.issue_ticket import Refusal, Refused, TicketService
from kiosk.store.sqlite import SqliteStore
from tests.conftest import MINIMAL_CONFIG, write_config

BASE = MINIMAL_CONFIG.replace("{printer_path}", "/tmp/kiosk-test-printer.bin")
# every hour of one week, Monday 23 Nov 2026 00:00 UTC onwards
WEEK = [datetime(2026, 11, 23, tzinfo=timezone.utc) + timedelta(hours=h)
        for h in range(7 * 24)]
EMPTY_HOURS = ["[hours]\n", "[hours]\nmon = []\nsat = []\n",
               "[hours]\n" + "".join(f"{d} = []\n" for d in
                                     ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))]


def test_without_hours_table_always_open(tmp_path):
    config = load_config(write_config(tmp_path, BASE))
    assert all(config.hours.is_open(moment) for moment in WEEK)
    assert not config.warnings


@pytest.mark.parametrize("table", EMPTY_HOURS, ids=["header only", "some days", "all days"])
def test_hours_table_without_ranges_means_closed(tmp_path, table):
    text = BASE + "\n" + table
    config = load_config(write_config(tmp_path, text))
    for service in config.services:
        assert not any(config.hours_for(service).is_open(moment) for moment in WEEK)
    line = text.splitlines().index("[hours]") + 1
    assert [str(w) for w in config.warnings] == [
        f"{tmp_path / 'kiosk.toml'}:{line}: warning: hours: the office is never open: "
        f"[hours] has no opening range on any day, so services without their own hours "
        f"never issue tickets (leave out [hours] to be open around the clock)"]


def test_service_hours_without_ranges_means_closed(tmp_path):
    text = BASE.replace("daily_quota = 2", "daily_quota = 2\nhours = {}")
    config = load_config(write_config(tmp_path, text))
    ausweis, anmeldung = config.service("ausweis"), config.service("anmeldung")
    assert not any(config.hours_for(ausweis).is_open(moment) for moment in WEEK)
    assert all(config.hours_for(anmeldung).is_open(moment) for moment in WEEK)
    line = text.splitlines().index("hours = {}") + 1
    assert [str(w) for w in config.warnings] == [
        f"{tmp_path / 'kiosk.toml'}:{line}: warning: service \"ausweis\": hours: this service "
        f"is never open: its hours have no opening range on any day, so it never issues "
        f"tickets (leave out its hours to use the office hours)"]


def test_empty_hours_refuse_a_ticket_as_closed(tmp_path, clock):
    """The button and `kiosk ticket` refuse with "closed", at any hour."""
    config = load_config(write_config(tmp_path, BASE + "\n[hours]\nmon = []\n"))
    store = SqliteStore(tmp_path / "q.sqlite3")
    try:
        service = TicketService(config, store, None, clock=clock, min_interval_s=0)
        for _ in range(7 * 24):
            with pytest.raises(Refused) as caught:
                service.issue("anmeldung", "de")
            assert caught.value.reason is Refusal.CLOSED
            clock.advance(hours=1)
    finally:
        store.close()


def test_hours_with_a_bad_range_are_an_error_not_a_closed_warning(tmp_path):
    config_text = BASE + '\n[hours]\nmon = ["9-12"]\n'
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, config_text))
    assert "never open" not in str(caught.value)


def test_check_config_says_never_open(tmp_path, capsys):
    path = write_config(tmp_path, BASE + "\n[hours]\n")
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "warning: hours: the office is never open" in out
    assert "  opening hours: never open\n" in out
    path = write_config(tmp_path, BASE)
    assert main(["check-config", str(path)]) == 0
    assert "  opening hours: always open (no [hours] table)\n" in capsys.readouterr().out
