"""The Anmeldung intake on the screen, tapped through Kivy's input path (fields tapped,
every character typed on the on-screen keyboard's keys), with the real store, the
office's key pair and a file printer: a two-person intake in German and a one-person
intake in Arabic to the printed receipt; cancel and erase, the idle reset, Back keeping
what was typed; no store call on the UI thread. Asserts on what the visitor sees, what
was printed and what was stored (sealed)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3

import pytest

import time

from kiosk.app import find_button, step, wait_until
from kiosk.app import tap as _tap
from kiosk.widgets.keyboard import LAYOUTS
from tests.conftest import MINIMAL_CONFIG, write_config
from tests.ui.conftest import HEIGHT, WIDTH, detach
from tests.ui.test_never_waits import StoreWatch


@pytest.fixture
def intake_app(tmp_path, clock, ticks):
    """The app with the intake offered (the office's public key configured), a file
    printer and the fixed clock of the tests (Tuesday 24 Nov 2026)."""
    yield from _intake_app(tmp_path, clock, ticks, printer=None)


@pytest.fixture
def dead_printer_app(tmp_path, clock, ticks):
    """The same with a printer that is not there."""
    yield from _intake_app(tmp_path, clock, ticks, printer=str(tmp_path / "no-printer"))


def _intake_app(tmp_path, clock, ticks, printer):
    from kiosk.app import KioskApp, start_embedded
    from kiosk.config import load_config
    from kiosk.services.intake import IntakeService
    from kiosk.services.intake_seal import write_keypair
    from kiosk.services.issue_ticket import TicketService
    from kiosk.store.sqlite import SqliteStore
    from kiosk.wiring import build_printer

    private, public = write_keypair(tmp_path / "office")
    text = MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "printer.bin"))
    text += f'\n[intake]\npublic_key_files = ["{public}"]\n'
    config = load_config(write_config(tmp_path, text))
    config = dataclasses.replace(config, screen=dataclasses.replace(
        config.screen, width_px=WIDTH, height_px=HEIGHT))
    if printer is not None:
        from kiosk.config import PrinterConfig

        config = dataclasses.replace(config, printer=PrinterConfig(transport="serial",
                                                                   device=printer))
    store = SqliteStore(tmp_path / "intake.sqlite3", terminal_id="ui")
    printer = build_printer(config.printer)
    tickets = TicketService(config, store, printer, clock=clock)
    service = IntakeService(config, store, printer, clock=clock, tickets=tickets)
    app = start_embedded(KioskApp(config, tickets, monotonic=ticks, intake=service))
    app.store, app.private_key = store, private
    yield app
    detach(app)
    store.close()


# -- touching the screens -------------------------------------------------------------

def tap(widget) -> None:
    """A real touch; a button tapped again counts as a person's, who would have paused
    longer than its 0.5 s guard: the guard is taken as waited out instead of sleeping."""
    from kiosk.widgets.common import REPEAT_GUARD_S, BigButton
    from kiosk.widgets.keyboard import Key

    if isinstance(widget, BigButton) and not isinstance(widget, Key) and \
            time.monotonic() - widget._last_tap < REPEAT_GUARD_S:
        widget.forget_last_tap()
    _tap(widget)


def screen(app):
    return app.root.get_screen(app.root.current)


def show(app, widget) -> None:
    """Scroll the widget into view (a visitor scrolls too), then let a frame pass."""
    view = screen(app).ids.area.ids.view
    view.scroll_to(widget, padding=app.px_per_mm * 10, animate=False)
    step(2)


def field(app, path: str):
    for f in screen(app).fields:
        if f.path == path:
            return f
    raise LookupError(path)


def press(app, name: str) -> None:
    keyboard = screen(app).keyboard
    step(1)
    key = next(k for k in keyboard.keys if k.key == name)
    tap(key)


def _layout_of(char: str) -> str:
    for layout in ("letters", "digits", "accents", "accents2"):
        if any(k == char for row in LAYOUTS[layout] for k, _s in row):
            return layout
    raise LookupError(char)


def type_text(app, text: str) -> None:
    """Type on the on-screen keyboard, key by key: switching layouts and shift as a
    visitor does."""
    keyboard = screen(app).keyboard
    for char in text:
        if char == " ":
            press(app, "space")
            continue
        wanted = _layout_of(char.lower())
        if keyboard.layout != wanted:
            press(app, f"to:{wanted}")
        if char.isalpha():
            upper = char != char.lower()
            while (keyboard.shift != "off") != upper:
                press(app, "shift")
        press(app, char.lower() if char.isalpha() else char)


def type_into(app, path: str, text: str) -> None:
    f = field(app, path)
    show(app, f.entry)  # a country field's common buttons may make the field tall
    tap(f.entry)
    assert screen(app).keyboard.target is f.entry
    type_text(app, text)


def type_date(app, path: str, day: str, month: str, year: str) -> None:
    f = field(app, path)
    show(app, f)
    entry = f.entry
    if not month:
        tap(entry.month_toggle)  # month unknown: the day too
    elif not day:
        tap(entry.day_toggle)
    first = "day" if day else "year"
    tap(entry.fields[first])
    type_text(app, day + month + year)


def choose(app, path: str, code: str) -> None:
    f = field(app, path)
    button = f.button(code)
    show(app, button)
    tap(button)
    assert f.value == code


def country(app, path: str, query: str, code: str) -> None:
    f = field(app, path)
    type_into(app, path, query)
    step(2)
    match = next(b for b in f.ids.matches.children if b.code == code)
    show(app, match)
    tap(match)
    assert code in f.codes


def next_step(app) -> None:
    tap(screen(app).ids.next)


def enter_intake(app, language: str) -> None:
    tap(find_button(app.root, language))
    assert app.root.current == "services"
    tap(find_button(app.root, app.tr("Register your new address (Anmeldung)")))
    assert app.root.current == "intake_bring"


def through_privacy(app) -> None:
    next_step(app)  # what to bring
    assert app.root.current == "intake_privacy"
    next_step(app)  # without consent: asked for it, stays
    assert app.root.current == "intake_privacy"
    assert screen(app).ids.notice.text
    show(app, screen(app).consent)
    tap(screen(app).consent)
    assert app.intake.consent
    next_step(app)
    assert app.root.current == "intake_household"


def fill_household(app) -> None:
    type_date(app, "household.move_in", "20", "11", "2026")
    type_into(app, "household.address.street", "Musterstraße")
    type_into(app, "household.address.house_number", "14/1")
    type_into(app, "household.address.postcode", "70173")
    type_into(app, "household.address.city", "Stuttgart")
    choose(app, "household.residence_type", "0")
    choose(app, "household.arrival", "abroad")
    country(app, "household.previous_country", "Grie", "GR")
    choose(app, "household.landlord_confirmation", "yes")


def fill_person(app, first: str, year: str, sex: str, surname: str | None = None) -> None:
    if surname is not None:
        type_into(app, "surname", surname)
    type_into(app, "first_names", first)
    type_date(app, "birth_date", "", "", year)
    type_into(app, "birth_place", "Musterstadt")
    country(app, "birth_country", "Grie", "GR")
    choose(app, "sex", sex)
    country(app, "nationalities", "Grie", "GR")
    choose(app, "marital_status", "LD")
    choose(app, "religion", "oa")


def accept_warnings(app) -> None:
    """The document reminder is a warning: "Yes, this is correct" in one tap."""
    s = screen(app)
    next_step(app)
    if app.root.current == s.name and s._warned:
        assert s.ids.next.text == app.tr("Yes, this is correct")
        next_step(app)


def printed_bytes(tmp_path) -> bytes:
    path = tmp_path / "printer.bin"
    return path.read_bytes() if path.exists() else b""


# -- the flows ----------------------------------------------------------------------

def test_two_person_intake_in_german_to_the_printed_receipt(intake_app, tmp_path):
    from kiosk.domain.intake_json import from_dict
    from kiosk.domain.intake_reference import display
    from kiosk.services.intake_seal import load_private_key, unseal

    app = intake_app
    watch = StoreWatch(app.store)
    enter_intake(app, "Deutsch")
    through_privacy(app)
    fill_household(app)
    next_step(app)
    assert app.root.current == "intake_person", screen(app).ids.notice.text
    fill_person(app, "Erika", "1980", "w", surname="Mustermann")
    # the second person with the same surname, typed once
    show(app, screen(app).add_same)
    tap(screen(app).add_same)
    assert app.intake.person == 1 and len(app.intake.draft.persons) == 2
    assert field(app, "surname").entry.value == "Mustermann"
    fill_person(app, "Max", "1979", "m")
    accept_warnings(app)
    assert app.root.current == "intake_review", screen(app).ids.notice.text
    review = screen(app)
    # § 23(4): sending for two persons needs the confirmation
    next_step(app)
    assert app.root.current == "intake_review" and review.ids.notice.text
    show(app, review.entitled)
    tap(review.entitled)
    # the first person's document reminder was not seen yet (the second was added
    # from her page): one tap accepts it here
    accept_warnings(app)
    receipt = app.root.get_screen("intake_receipt")
    assert wait_until(lambda: app.root.current == "intake_receipt"
                      and app.intake.printed is not None, timeout_s=30), \
        review.ids.notice.text
    assert watch.ui_calls == []  # never the store on the UI thread (the test reads it below)
    reference = app.intake.reference
    assert receipt.ids.reference.text == display(reference)
    assert app.intake.printed is True
    assert receipt.ids.status.text == app.tr("Please take your receipt from the printer "
                                             "below.")
    assert display(reference).encode() in printed_bytes(tmp_path)
    # the draft is gone once sealed; the sealed blob opens with the office's key only
    assert app.intake.draft is None and app.intake.raw == {}
    blob, _key_id = app.store.sealed(reference)
    opened = json.loads(unseal(blob, load_private_key(app.private_key)))
    intake = from_dict(opened["intake"] if "intake" in opened else opened)
    assert [(p.surname, p.first_names, p.birth_date.iso()) for p in intake.persons] == [
        ("Mustermann", ["Erika"], "1980-00-00"), ("Mustermann", ["Max"], "1979-00-00")]
    assert intake.household.address.house_number == "14/1"
    assert intake.household.previous_country == "GR" and intake.entitled_for_others
    # the print result lands from a worker: let the receipt lay out its status line
    # before the button's place is read (a loaded machine showed the tap miss it)
    step(3)
    tap(receipt.ids.finish)
    assert wait_until(lambda: app.root.current == "language", timeout_s=5), app.root.current
    assert app.intake.reference is None


def test_one_person_intake_in_arabic(intake_app, tmp_path):
    from kiosk.domain.intake_reference import display

    app = intake_app
    enter_intake(app, "العربية")
    assert app.rtl
    through_privacy(app)
    fill_household(app)
    next_step(app)
    assert app.root.current == "intake_person"
    # the names are typed in Latin letters, as in the passport; the hint says so
    assert field(app, "surname").hint == app.tr(
        "Write names exactly as in the passport or identity card, in Latin letters.")
    fill_person(app, "Testperson", "1990", "x", surname="Beispiel")
    accept_warnings(app)
    assert app.root.current == "intake_review"
    next_step(app)
    assert wait_until(lambda: app.root.current == "intake_receipt"
                      and app.intake.printed is not None, timeout_s=30)
    receipt = app.root.get_screen("intake_receipt")
    assert receipt.ids.reference.text == display(app.intake.reference)
    assert app.intake.printed is True and printed_bytes(tmp_path)


def test_back_keeps_what_was_typed(intake_app):
    app = intake_app
    enter_intake(app, "Deutsch")
    through_privacy(app)
    type_into(app, "household.address.street", "Musterweg")
    tap(screen(app).ids.back)
    assert app.root.current == "intake_privacy"
    assert screen(app).consent.active  # the consent given stays too
    next_step(app)
    assert app.root.current == "intake_household"
    assert field(app, "household.address.street").entry.value == "Musterweg"
    assert app.intake.draft.household.address.street == "Musterweg"
    # another language (the texts change) keeps the draft too
    app.set_language("ar")
    step(3)
    assert app.root.current == "intake_household" and app.rtl
    assert field(app, "household.address.street").entry.value == "Musterweg"
    assert app.intake.draft.household.address.street == "Musterweg"


def _stat_events(app) -> list[str]:
    db = sqlite3.connect(app.store.path)
    try:
        return [row[0] for row in db.execute("SELECT event FROM intake_stat")]
    finally:
        db.close()


def test_cancel_and_erase_leaves_no_draft(intake_app):
    app = intake_app
    watch = StoreWatch(app.store)
    enter_intake(app, "Deutsch")
    through_privacy(app)
    type_into(app, "household.address.street", "Musterweg")
    household = screen(app)
    tap(household.ids.cancel)
    # asked first: "No, go on" keeps everything
    assert household.ids.cancel.text == app.tr("Yes, erase everything")
    tap(household.ids.back)
    assert app.root.current == "intake_household"
    assert app.intake.draft.household.address.street == "Musterweg"
    tap(household.ids.cancel)
    tap(household.ids.cancel)
    assert app.root.current == "services"
    assert app.intake.draft is None and app.intake.raw == {}
    assert not app.intake.consent
    # started and abandoned are counted, in a worker: never the store on the UI thread
    assert wait_until(lambda: sorted(set(_stat_events(app))) == ["abandoned", "started"])
    assert watch.ui_calls == []
    # a new visitor starts with empty fields
    tap(find_button(app.root, app.tr("Register your new address (Anmeldung)")))
    next_step(app)
    next_step(app)
    assert app.root.current == "intake_privacy"  # consent asked again


def test_idle_reset_wipes_everything_typed(intake_app, ticks):
    app = intake_app
    enter_intake(app, "Deutsch")
    through_privacy(app)
    type_into(app, "household.address.street", "Musterweg")
    config = app.kiosk_config
    ticks.t += config.idle_timeout_s - config.idle_warning_s + 1
    step(3)
    app._check_idle()
    assert app.root.idle_warning_visible  # warned first
    assert app.intake.draft is not None
    ticks.t += config.idle_warning_s
    app._check_idle()
    step(2)
    assert app.root.current == "language"
    assert app.intake.draft is None and app.intake.raw == {}
    household = app.root.get_screen("intake_household")
    assert field_of(household, "household.address.street").entry.value == ""


def field_of(s, path: str):
    return next(f for f in s.fields if f.path == path)


def test_a_dead_printer_still_shows_the_reference(dead_printer_app):
    """The draft is filled as the screenshots fill it (typing is tested above); the
    send is tapped: the reference is on the screen with what to do instead."""
    from kiosk.domain.intake_reference import display
    from kiosk.ui_runner import apply_intake_state

    app = dead_printer_app
    tap(find_button(app.root, "Deutsch"))
    apply_intake_state(app, "intake_review", {"persons": "1"})
    app.intake.draft.household.move_in = app.intake.today()
    app.root.show("intake_review")
    step(3)  # laid out before the tap
    next_step(app)
    assert wait_until(lambda: app.intake.printed is not None, timeout_s=30), \
        (app.root.current, app.intake.reference, app.intake.busy, screen(app).ids.notice.text,
         screen(app).ids.next.text)
    receipt = app.root.get_screen("intake_receipt")
    assert app.root.current == "intake_receipt" and app.intake.printed is False
    assert receipt.ids.reference.text == display(app.intake.reference)
    assert receipt.ids.status.text == app.tr("The receipt could not be printed. Please "
                                             "write down the reference.")


def test_arriving_from_abroad_asks_the_country_not_the_address(intake_app):
    """Fields that do not apply are out of the column: no gap, nothing to tap."""
    app = intake_app
    enter_intake(app, "Deutsch")
    through_privacy(app)
    household = screen(app)
    street = field(app, "household.previous_address.street")
    country_field = field(app, "household.previous_country")
    assert street.parent is None and country_field.parent is None
    choose(app, "household.arrival", "abroad")
    assert street.parent is None and country_field.parent is not None
    choose(app, "household.arrival", "germany")
    assert street.parent is not None and country_field.parent is None
    # the keyboard's Done walks the fields shown only
    assert country_field.entry not in household._all_entries()
