"""Templates from the configuration (issue 7, item 3): check-config refuses unbounded
ones, and the call-up feed bounds them again when it fills them in."""

from __future__ import annotations

import dataclasses

import sqlite3

import pytest

from kiosk.cli import main
from kiosk.config_format import MAX_RESULT, bounded_format, format_problem
from kiosk.services.callup import CallupFeed
from kiosk.services.issue_ticket import TicketService
from kiosk.services.queue_ops import QueueOperations
from kiosk.store.sqlite import SqliteStore
from tests.conftest import MINIMAL_CONFIG, write_config

BAD_TEMPLATES = [
    ("{counter:>300000000}", "field width 300000000 is too large (at most 40)"),
    ("{counter:x^0000041}", "field width 41 is too large (at most 40)"),
    ("{counter:.1000000}", "field precision 1000000 is too large (at most 40)"),
    ("{counter:>{counter}}", "nested placeholders are not allowed"),
    ("{counter.__class__}", "may only use the placeholder {counter}, not "
                            "{counter.__class__}"),
    ("{counter[0]}", "may only use the placeholder {counter}"),
    ("{}", "may only use the placeholder {counter}, not {}"),
    ("{0:>9999}", "may only use the placeholder {counter}, not {0}"),
    ("{name}", "may only use the placeholder {counter}, not {name}"),
    ("{counter!r}", "conversion !r is not allowed"),
    ("{counter:d}", "cannot be applied to text"),
    ("Schalter {counter", "is not a valid template"),
    ("x" * 101 + "{counter}", "is 110 characters long (at most 100)"),
]


@pytest.mark.parametrize("template,message", BAD_TEMPLATES, ids=[t[0][:30] for t in
                                                                  BAD_TEMPLATES])
def test_unbounded_templates_are_refused(template, message):
    assert message in (format_problem(template, ("counter",)) or "")


@pytest.mark.parametrize("template,result", [
    ("Schalter {counter}", "Schalter 3"), ("{counter:>40}", " " * 39 + "3"),
    ("Platz {counter:.2}", "Platz 3"), ("{{{counter}}}", "{3}"), ("Raum", "Raum")])
def test_bounded_templates_work(template, result):
    assert format_problem(template, ("counter",)) is None
    assert bounded_format(template, "{counter}", counter="3") == result


def test_bounded_format_falls_back_and_cuts():
    assert bounded_format("{counter:>300000000}", "Schalter {counter}", counter=3) == \
        "Schalter 3"
    assert bounded_format("{counter:>9999}", "{counter:>9999}", counter=3) == "3"
    assert len(bounded_format("{counter}", "{counter}", counter="9" * 10**6)) == MAX_RESULT


def test_check_config_refuses_a_huge_width(tmp_path, capsys):
    text = MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "p.bin")) + (
        '\n[[display]]\nid = "lobby"\ndevice = "/dev/null"\n'
        'counter_format = "Schalter {counter:>300000000}"\n')
    path = write_config(tmp_path, text)
    assert main(["check-config", str(path)]) == 2
    line = text.splitlines().index('counter_format = "Schalter {counter:>300000000}"') + 1
    assert capsys.readouterr().err == (f"{path}:{line}: display[0].counter_format: field "
                                       f"width 300000000 is too large (at most 40)\n")


class _Sign:
    def __init__(self) -> None:
        self.shown: list = []

    def show(self, calls) -> None:
        self.shown.append(list(calls))


@pytest.mark.parametrize("template,counter,label", [
    ("Schalter {counter}", "3", "Schalter 3"),
    ("{counter:>3000000}", "3", "3"),  # a template that skipped check-config
    ("{counter.__class__.__name__}", "3", "3"),
    ("Schalter {counter}", "7" * 100_000, "Schalter " + "7" * (MAX_RESULT - 9)),
])
def test_callup_feed_bounds_the_label(tmp_path, config, template, counter, label):
    """GIVEN a counter label template that was never checked (or a huge counter name)
    WHEN a call reaches the feed THEN the label on the sign is bounded."""
    store = SqliteStore(tmp_path / "q.sqlite3")
    try:
        TicketService(config, store, None, min_interval_s=0).issue("anmeldung", "de")
        QueueOperations(config, store).call_next("3")
        if counter != "3":
            # counter ids are checked when calling now; a label written by an older
            # version (or another tool) must still be bounded on the sign
            with sqlite3.connect(tmp_path / "q.sqlite3") as db:
                db.execute("UPDATE ticket SET counter = ?", (counter,))
        sign = _Sign()
        feed = CallupFeed(store, [(sign, 3, template)], lambda number, text: (number, text))
        assert feed.tick()
        assert sign.shown == [[("A001", label)]]
    finally:
        store.close()


def test_display_config_keeps_a_good_template(tmp_path):
    from kiosk.config import load_config

    text = MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "p.bin")) + (
        '\n[[display]]\ndevice = "/dev/null"\ncounter_format = "Platz {counter:>2}"\n')
    config = load_config(write_config(tmp_path, text))
    assert dataclasses.asdict(config.displays[0])["counter_format"] == "Platz {counter:>2}"
