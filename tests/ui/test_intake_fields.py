"""The intake's person and country fields with real touches: the first name in everyday
use marked among the typed first names and sealed, the religious or artist's name, a
country found by Arabic or Persian letters on the on-screen keyboard or by one of the
common countries' buttons, and the keyboard's done key saying "Done"."""

from __future__ import annotations

import json

from kiosk.app import step
from tests.ui.test_intake_flow import (accept_warnings, choose, country, enter_intake,  # noqa: F401
                                       field, fill_household, intake_app, next_step, press,
                                       screen, show, tap, through_privacy, type_date,
                                       type_into, type_text, wait_until)


def to_previous_country(app, language: str):
    """The household page, arriving from abroad: the country field shown, untouched.
    Persian is switched to from Arabic (the language page of the test shows fewer)."""
    enter_intake(app, "العربية" if language == "fa" else language)
    if language == "fa":
        app.set_language("fa")
        step(3)
    through_privacy(app)
    choose(app, "household.arrival", "abroad")
    step(2)
    return field(app, "household.previous_country")


def type_script(app, text: str) -> None:
    """Arabic or Persian letters, key by key, from the page that has each one."""
    keyboard = screen(app).keyboard
    for char in text:
        if not any(k.key == char for k in keyboard.keys):
            press(app, "to:persian" if keyboard.layout == "arabic" else "to:arabic")
        press(app, char)


def test_rufname_marked_among_the_first_names_is_sealed(intake_app):
    from kiosk.domain.intake_json import from_dict, to_dict
    from kiosk.services.intake_seal import load_private_key, unseal

    app = intake_app
    enter_intake(app, "Deutsch")
    through_privacy(app)
    fill_household(app)
    next_step(app)
    assert app.root.current == "intake_person"
    type_into(app, "surname", "Mustermann")
    names = field(app, "first_names")
    type_into(app, "first_names", "Erika Testa")
    step(2)
    # one caption, one entry (the text field's rule applies to this field too)
    assert [getattr(w, "text", None) for w in names.children].count(names.caption) == 1
    assert names.children[0] is names.ids.message.__self__  # the message last, as everywhere
    # one toggle per typed first name; the one in everyday use is tapped
    assert [b.text for b in reversed(names.ids.names.children)] == ["Erika", "Testa"]
    assert names.ids.names_caption.text == app.tr(
        "Which first name are you called by? Tap it (optional).")
    button = names.name_button("Testa")
    show(app, button)
    tap(button)
    assert button.active and app.intake.draft.persons[0].everyday_name == 1
    type_into(app, "religious_name", "Testname")
    type_date(app, "birth_date", "", "", "1980")
    type_into(app, "birth_place", "Musterstadt")
    country(app, "birth_country", "Grie", "GR")
    choose(app, "sex", "w")
    country(app, "nationalities", "Grie", "GR")
    choose(app, "marital_status", "LD")
    choose(app, "religion", "oa")
    accept_warnings(app)
    assert app.root.current == "intake_review", screen(app).ids.notice.text
    review = screen(app)
    lines = [w.text for w in review.ids.area.content.children]
    assert f"{app.tr('First name in everyday use')}: Testa" in lines
    assert app.tr("Religious or artist's name") + ": Testname" in lines
    accept_warnings(app)
    assert wait_until(lambda: app.root.current == "intake_receipt", timeout_s=30)
    blob, _key_id = app.store.sealed(app.intake.reference)
    opened = json.loads(unseal(blob, load_private_key(app.private_key)))
    intake = from_dict(opened["intake"] if "intake" in opened else opened)
    person = intake.persons[0]
    assert (person.first_names, person.everyday_name, person.religious_name) == (
        ["Erika", "Testa"], 1, "Testname")
    assert to_dict(intake)["personen"][0]["rufname"] == "Testa"


def test_a_rufname_tapped_again_is_unmarked_and_follows_retyped_names(intake_app):
    app = intake_app
    enter_intake(app, "Deutsch")
    through_privacy(app)
    fill_household(app)
    next_step(app)
    assert app.root.current == "intake_person"
    names = field(app, "first_names")
    type_into(app, "first_names", "Erika Testa")
    step(2)
    show(app, names.name_button("Testa"))
    tap(names.name_button("Testa"))
    person = app.intake.draft.persons[0]
    assert person.everyday_name == 1
    # the names typed again in another order: the mark stays on the name
    for _ in "Erika Testa":
        press(app, "back")
    type_text(app, "Testa Erika")
    assert person.first_names == ["Testa", "Erika"] and person.everyday_name == 0
    step(2)
    show(app, names.name_button("Testa"))
    tap(names.name_button("Testa"))  # tapped again: no longer marked
    assert person.everyday_name is None and not names.name_button("Testa").active


def test_an_arabic_visitor_types_syria_in_arabic_letters(intake_app):
    app = intake_app
    f = to_previous_country(app, "العربية")
    show(app, f)
    tap(f.entry)
    keyboard = screen(app).keyboard
    assert keyboard.target is f.entry and keyboard.layout == "arabic"
    step(2)
    show(app, f.entry)
    tap(f.entry)  # tapped once more: still the Arabic letters
    assert keyboard.layout == "arabic"
    type_script(app, "سوريا")
    step(2)
    match = next(b for b in f.ids.matches.children if b.code == "SY")
    assert match.text == "سوريا"
    show(app, match)
    tap(match)
    assert app.intake.draft.household.previous_country == "SY"
    # a name is typed in Latin letters: no Arabic keys there
    type_into(app, "household.address.street", "Musterweg")
    assert keyboard.layout == "letters" and "arabic" not in keyboard.layouts


def test_an_arabic_visitor_taps_syria_among_the_common_countries(intake_app):
    app = intake_app
    f = to_previous_country(app, "العربية")
    # before anything is typed: the common countries, named in Arabic
    labels = [b.text for b in reversed(f.ids.common.children)]
    assert "سوريا" in labels and "ألمانيا" in labels and "تركيا" in labels
    button = f.common_button("SY")
    show(app, button)
    tap(button)
    assert app.intake.draft.household.previous_country == "SY"
    assert list(f.ids.common.children) == []  # chosen: the list goes


def test_a_persian_visitor_finds_syria_with_arabic_or_persian_yeh(intake_app):
    app = intake_app
    f = to_previous_country(app, "fa")
    show(app, f)
    tap(f.entry)
    keyboard = screen(app).keyboard
    assert keyboard.layout == "persian"
    # Persian ی, then the same word with the Arabic ي: both find the Persian name
    for word, yeh in (("سوریه", "ی"), ("سوريه", "ي")):
        assert yeh in word
        type_script(app, word)
        step(2)
        assert [b.code for b in f.ids.matches.children] == ["SY"], word
        assert f.ids.matches.children[0].text == "سوریه"
        for _ in word:
            press(app, "back")
    # and Persian ک finds what CLDR writes so: Türkiye as "ترکیه", typed with Arabic ك ي
    type_script(app, "تركيه")
    step(2)
    assert [b.code for b in f.ids.matches.children] == ["TR"]


def test_the_keyboard_done_key_says_done_not_next(intake_app):
    app = intake_app
    enter_intake(app, "العربية")
    through_privacy(app)
    type_into(app, "household.address.street", "Musterweg")
    done = next(k for k in screen(app).keyboard.keys if k.key == "done")
    assert done.text == app.tr("Done")
    assert done.text != screen(app).ids.next.text == app.tr("Next")
