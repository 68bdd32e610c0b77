"""The intake's JSON form: a full round trip of every field, and one problem per bad field
(JSON path + English message), never another exception."""

from __future__ import annotations

import json
from datetime import date

import pytest

from kiosk.domain.intake import (SCHEMA, Address, Household, IdDocument, Intake,
                                 PartialDate, Person)
from kiosk.domain.intake_json import IntakeJsonError, from_dict, to_dict


def two_persons() -> Intake:
    """Invented placeholder people; every field set somewhere."""
    return Intake(
        household=Household(
            move_in=date(2026, 11, 28),
            address=Address("Musterstraße", "14/1", "3. OG links", "70173", "Stuttgart"),
            residence_type="0",
            previous_address=Address("Beispielweg", "12-14", "", "10115", "Berlin"),
            previous_country=None,
            landlord_confirmation=True),
        persons=[
            Person(surname="Mustermann", birth_name="Gabler", first_names=["Erika", "Maria"],
                   everyday_name=0, doctoral_degree="Dr.", religious_name="",
                   birth_date=PartialDate(1964, 8, 12), birth_place="Testdorf",
                   birth_country="DE", sex="w", nationalities=["DE", "TR"],
                   marital_status="VH", marriage_date=PartialDate(1990, 5, None),
                   marriage_place="Testdorf", religion="ev",
                   document=IdDocument("09", "T22000129", "Stadt Testdorf",
                                       date(2020, 1, 2), date(2030, 1, 1))),
            Person(surname="Mustermann", first_names=["Testkind"], everyday_name=None,
                   birth_date=PartialDate(2015), birth_place="Beispielstadt",
                   birth_country="XK", sex="x", nationalities=["stateless"],
                   marital_status="LD", religion="oa", document=None,
                   representatives=["Erika Mustermann", "Max Mustermann"]),
        ],
        entitled_for_others=True,
        lang="ar",
    )


def test_round_trip_keeps_every_field():
    intake = two_persons()
    data = to_dict(intake)
    # through real JSON text, as the CLI and the export read it
    assert from_dict(json.loads(json.dumps(data, ensure_ascii=False))) == intake


def test_round_trip_of_an_empty_intake_and_a_country_instead_of_an_address():
    intake = Intake(household=Household(previous_country="SY"), persons=[Person()])
    assert from_dict(to_dict(intake)) == intake


def test_json_form_uses_the_documented_names():
    data = to_dict(two_persons())
    assert data["schema"] == SCHEMA
    assert set(data) == {"schema", "sprache", "berechtigung_23_4", "haushalt", "personen"}
    assert data["haushalt"]["anschrift"]["hausnummer"] == "14/1"
    p = data["personen"][0]
    assert p["geburtsdatum"] == "1964-08-12"
    assert p["rufname"] == "Erika"
    assert p["eheschliessung"] == {"datum": "1990-05-00", "ort": "Testdorf"}
    assert p["ausweisdokument"]["gueltig_bis"] == "2030-01-01"
    assert data["personen"][1]["geburtsdatum"] == "2015-00-00"


def _problems(data) -> dict[str, str]:
    with pytest.raises(IntakeJsonError) as caught:
        from_dict(data)
    return dict(caught.value.problems)


@pytest.mark.parametrize("data", [None, [], "x", 3, True])
def test_not_an_object(data):
    assert list(_problems(data)) == ["$"]


def test_missing_required_keys():
    assert set(_problems({})) == {"$.schema", "$.haushalt", "$.personen"}


def test_one_problem_per_bad_field_with_json_paths():
    data = to_dict(two_persons())
    data["schema"] = "kiosk.anmeldung/9"
    data["extra"] = 1
    data["haushalt"]["einzugsdatum"] = "28.11.2026"
    data["haushalt"]["anschrift"]["postleitzahl"] = 70173
    data["haushalt"]["wohnungsgeberbestaetigung"] = "ja"
    p = data["personen"][0]
    p["geburtsdatum"] = "1964-00-12"      # a day without a month
    p["vornamen"] = ["Erika", 7]
    p["rufname"] = "Eri"
    p["telefon"] = "0711"                 # nothing the law does not ask for
    p["ausweisdokument"]["gueltig_bis"] = "2030-02-30"
    data["personen"][1]["eheschliessung"] = {"datum": "1990-13-00"}
    problems = _problems(data)
    assert set(problems) == {
        "$.schema", "$.extra", "$.haushalt.einzugsdatum",
        "$.haushalt.anschrift.postleitzahl", "$.haushalt.wohnungsgeberbestaetigung",
        "$.personen[0].geburtsdatum", "$.personen[0].vornamen[1]", "$.personen[0].rufname",
        "$.personen[0].telefon", "$.personen[0].ausweisdokument.gueltig_bis",
        "$.personen[1].eheschliessung.datum"}
    assert "unknown key" in problems["$.personen[0].telefon"]
    assert "1980-05-00" in problems["$.personen[0].geburtsdatum"]


@pytest.mark.parametrize("text, expected", [
    ("1980-05-17", PartialDate(1980, 5, 17)),
    ("1980-05-00", PartialDate(1980, 5)),
    ("1980-00-00", PartialDate(1980)),
])
def test_partial_birth_dates(text, expected):
    data = to_dict(Intake(persons=[Person()]))
    data["personen"][0]["geburtsdatum"] = text
    assert from_dict(data).persons[0].birth_date == expected


@pytest.mark.parametrize("text", ["1980-00-17", "0000-00-00", "1980-02-30", "1980-5-1",
                                  "١٩٨٠-٠٥-١٧",   # Arabic-Indic digits: not the ISO form
                                  "80-05-17", "1980-05-17T00:00", ""])
def test_bad_birth_dates(text):
    data = to_dict(Intake(persons=[Person()]))
    data["personen"][0]["geburtsdatum"] = text
    assert list(_problems(data)) == ["$.personen[0].geburtsdatum"]


def test_wrong_container_types():
    data = {"schema": SCHEMA, "haushalt": [], "personen": {}, "sprache": "Deutsch",
            "berechtigung_23_4": 1}
    assert set(_problems(data)) == {"$.haushalt", "$.personen", "$.sprache",
                                    "$.berechtigung_23_4"}


def test_error_message_names_the_path():
    with pytest.raises(IntakeJsonError) as caught:
        from_dict({"schema": SCHEMA, "haushalt": {}, "personen": [3]})
    assert "$.personen[0]: must be an object" in str(caught.value)
    assert isinstance(caught.value, ValueError)


DOC = __import__("pathlib").Path(__file__).resolve().parents[2] / "docs" / "intake-json.md"


def test_the_documented_example_reads_and_round_trips():
    import re
    block = re.search(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    intake = from_dict(json.loads(block))
    assert len(intake.persons) == 2
    assert from_dict(to_dict(intake)) == intake


def test_every_key_is_documented():
    from kiosk.domain import intake_json as form
    doc = DOC.read_text(encoding="utf-8")
    keys = (form._TOP_KEYS + form._HOUSEHOLD_KEYS + form._ADDRESS_KEYS + form._PERSON_KEYS
            + form._MARRIAGE_KEYS + form._DOCUMENT_KEYS)
    assert [k for k in keys if f"`{k}`" not in doc and f'"{k}"' not in doc] == []


def test_an_empty_everyday_name_reads_back():
    # found by the property test: rufname "" was written, then refused as "not one of
    # the vornamen" although "" is one of them
    intake = Intake(persons=[Person(first_names=[""], everyday_name=0)])
    data = to_dict(intake)
    assert data["personen"][0]["rufname"] is None
    assert from_dict(data).persons[0].first_names == [""]
