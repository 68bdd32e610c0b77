"""IntakeService: validation decides (errors refuse, warnings need an acknowledgement,
--strict refuses them), only the sealed blob is stored and it opens with the office's
private key alone, statistics carry counts and durations, a queue ticket when
configured, the receipt, and the purge after the retention (injected clock)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import date, timedelta

import pytest
import zxingcpp

from kiosk.config_intake import IntakeConfig
from kiosk.devices.printer.preview import render_preview
from kiosk.devices.printer.profiles import PROFILES
from kiosk.devices.printer.render import render_document
from kiosk.domain.clock import business_day
from kiosk.domain.intake_json import from_dict, to_dict
from kiosk.domain.intake_reference import display, normalize
from kiosk.domain.documents import Text
from kiosk.i18n import gettext_for
from kiosk.services.intake import ENVELOPE, IntakeService, IntakeUnavailable
from kiosk.services.intake_receipt import CLERK_CAPTION, TITLE
from kiosk.services.intake_seal import load_private_key, unseal, write_keypair
from tests.intake_people import SECRETS, two_persons
from tests.unit.test_issue_ticket import RecordingPrinter


class Ticks:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def keys(tmp_path):
    return write_keypair(tmp_path / "office")


def intake_config(config, keys, **extra):
    return dataclasses.replace(config, intake=IntakeConfig(
        enabled=True, public_key_files=(str(keys[1]),), **extra))


@pytest.fixture
def service(config, keys, store, clock):
    return IntakeService(intake_config(config, keys), store, RecordingPrinter(), clock=clock,
                         monotonic=Ticks())


def printed(store, ticket_id):
    """The ticket's recorded print result, read as another process would."""
    db = sqlite3.connect(store.path)
    try:
        return db.execute("SELECT printed, print_error FROM ticket WHERE id = ?",
                          (ticket_id,)).fetchone()
    finally:
        db.close()


def today(clock) -> date:
    return business_day(clock())


def test_submit_seals_and_only_the_private_key_opens_it(service, store, keys, clock):
    intake = two_persons(today(clock))
    result = service.submit(intake)
    assert result.accepted and result.problems == [] and result.ticket is None
    assert normalize(result.reference) == result.reference
    blob, key_id = store.sealed(result.reference)
    assert key_id == service.public_keys()[0].key_id
    for secret in SECRETS:
        assert secret.encode() not in blob
    sealed = json.loads(unseal(blob, load_private_key(keys[0])))
    assert sealed["envelope"] == ENVELOPE and sealed["reference"] == result.reference
    assert sealed["terminal"] == "test-01"
    assert sealed["intake"] == to_dict(intake)
    assert from_dict(sealed["intake"]) == intake
    assert store.intake_stats(today(clock)) == [("finished", "", 2, 1, None)]


def test_errors_refuse_and_nothing_is_stored(service, store, clock):
    intake = two_persons(today(clock))
    intake.persons[1].surname = ""
    result = service.submit(intake)
    assert not result.accepted
    assert [(p.path, p.code) for p in result.problems] == [("persons[1].surname", "required")]
    assert store.sealed_count() == 0 and store.intake_stats(today(clock)) == []


def test_warnings_need_an_acknowledgement_and_strict_refuses_them(service, store, clock):
    intake = two_persons(today(clock))
    intake.household.address.postcode = "10115"   # Berlin: a plausibility warning
    refused = service.submit(intake)
    assert not refused.accepted
    [warning] = refused.problems
    assert warning.warning and warning.code == "postcode_outside"
    assert not service.submit(intake, frozenset({warning.key}), strict=True).accepted
    assert store.sealed_count() == 0
    accepted = service.submit(intake, frozenset({warning.key}))
    assert accepted.accepted and accepted.problems == [warning]
    assert store.sealed_count() == 1


def test_sealed_to_the_first_of_two_keys(config, keys, store, clock, tmp_path):
    _, second = write_keypair(tmp_path / "next")
    cfg = dataclasses.replace(config, intake=IntakeConfig(
        enabled=True, public_key_files=(str(second), str(keys[1]))))
    service = IntakeService(cfg, store, None, clock=clock)
    result = service.submit(two_persons(today(clock)))
    blob, key_id = store.sealed(result.reference)
    assert key_id == service.public_keys()[0].key_id != service.public_keys()[1].key_id
    with pytest.raises(Exception):
        unseal(blob, load_private_key(keys[0]))
    unseal(blob, load_private_key(tmp_path / "next" / "intake.key"))


def test_a_missing_key_file_is_named(config, store, clock, tmp_path):
    missing = tmp_path / "nope.pub"
    cfg = dataclasses.replace(config, intake=IntakeConfig(
        enabled=True, public_key_files=(str(missing),)))
    service = IntakeService(cfg, store, None, clock=clock)
    with pytest.raises(IntakeUnavailable, match=f"^{missing}: no such file$"):
        service.submit(two_persons(today(clock)))
    assert store.sealed_count() == 0


def test_a_relative_key_file_is_taken_from_the_config_folder(config, store, clock, tmp_path):
    write_keypair(tmp_path / "rel")
    cfg = dataclasses.replace(config, intake=IntakeConfig(
        enabled=True, public_key_files=("rel/intake.pub",)))
    assert IntakeService(cfg, store, None, clock=clock).submit(
        two_persons(today(clock))).accepted


def test_statistics_started_abandoned_finished(service, store, clock):
    ticks = service.monotonic
    service.started("ar")
    ticks.t += 40
    service.abandoned("intake_person", 40.0)
    service.started("de")
    ticks.t += 300
    service.submit(two_persons(today(clock)))
    service.submit(two_persons(today(clock)))  # no start seen: no duration
    assert store.intake_stats(today(clock)) == [
        ("abandoned", "intake_person", 0, 1, 40.0),
        ("finished", "", 2, 2, 300.0),
        ("started", "ar", 0, 1, None),
        ("started", "de", 0, 1, None),
    ]


def test_queue_ticket_and_receipt(config, keys, store, clock):
    printer = RecordingPrinter()
    service = IntakeService(intake_config(config, keys, ticket_service="anmeldung"), store,
                            printer, clock=clock)
    result = service.submit(two_persons(today(clock), lang="ar"))
    assert result.ticket.ticket.number == "A001"
    report = service.print_receipt(result, "ar")
    assert report.printed
    [doc] = printer.documents
    texts = doc.texts()
    assert display(result.reference) in texts and "A001" in texts
    # the German lines for the clerk (whatever the catalogs hold today)
    german = gettext_for("de")
    assert german(TITLE) in texts
    assert any(b.text == german(CLERK_CAPTION) and b.lang == "de" for b in doc.blocks
               if isinstance(b, Text))
    assert printed(store, result.ticket.ticket.id) == (1, None)
    joined = "\n".join(texts)
    for secret in SECRETS:
        assert secret not in joined
    # the QR code holds the reference and nothing else
    data = render_document(doc, PROFILES["TM-T88V"])
    [code] = zxingcpp.read_barcodes(render_preview(data, PROFILES["TM-T88V"].dots_per_line))
    assert code.text == result.reference


def test_receipt_when_the_printer_fails(config, keys, store, clock):
    printer = RecordingPrinter(printed=False, error="paper out")
    service = IntakeService(intake_config(config, keys, ticket_service="anmeldung"), store,
                            printer, clock=clock)
    result = service.submit(two_persons(today(clock)))
    report = service.print_receipt(result, "de")
    assert not report.printed and report.error == "paper out"
    assert printed(store, result.ticket.ticket.id) == (0, "failed")


def test_purge_after_the_retention(service, store, clock):
    kept = service.submit(two_persons(today(clock)))
    clock.advance(days=5)
    younger = service.submit(two_persons(today(clock)))
    clock.advance(days=8, hours=23)       # kept is 13 days 23 h old
    assert service.purge() == 0
    clock.advance(hours=2)                # 14 days 1 h
    assert service.purge() == 1
    assert store.sealed(kept.reference) is None
    assert store.sealed(younger.reference) is not None
    clock.advance(days=5)
    assert service.purge() == 1 and store.sealed_count() == 0


def test_receipt_promises_the_day_before_the_purge(service, clock):
    result = service.submit(two_persons(today(clock)))
    doc = service.receipt(result, "en")
    last = (clock() + timedelta(days=13)).strftime("%d.%m.%Y")
    assert f"Please come by {last}. After that your data is deleted." in doc.texts()
