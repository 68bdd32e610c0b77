"""Table tests of the intake rules: each field valid and invalid, errors vs. warnings,
acknowledgements, partial dates typed in three boxes. Invented placeholder people only."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from importlib import resources

import pytest

from kiosk.config_intake import IntakeConfig
from kiosk.domain.intake import (Address, Household, IdDocument, Intake, PartialDate,
                                 Person)
from kiosk.domain.intake_rules import (IntakeRules, Problem, blocking, clean_text,
                                       house_number_problem,
                                       is_minor, parse_partial_date, validate,
                                       validate_household, validate_person)

TODAY = date(2026, 12, 6)


def codelists() -> dict:
    return json.loads(resources.files("kiosk.data").joinpath("anmeldung-codelists.json")
                      .read_text(encoding="utf-8"))


RULES = IntakeRules.from_config(IntakeConfig(), codelists())


def adult(**changes) -> Person:
    p = Person(surname="Mustermann", first_names=["Erika"], everyday_name=0,
               birth_date=PartialDate(1980, 5, 17), birth_place="Testdorf",
               birth_country="DE", sex="w", nationalities=["DE"], marital_status="LD",
               religion="oa",
               document=IdDocument("09", "T22000129", "Stadt Testdorf", date(2020, 1, 2),
                                   date(2030, 1, 1)))
    for k, v in changes.items():
        setattr(p, k, v)
    return p


def household(**changes) -> Household:
    h = Household(move_in=TODAY - timedelta(days=3),
                  address=Address("Musterstraße", "14", "", "70173", "Stuttgart"),
                  residence_type="0", previous_country="TR")
    for k, v in changes.items():
        setattr(h, k, v)
    return h


def keys(problems: list[Problem]) -> set[str]:
    return {p.key for p in problems}


def person_problems(**changes) -> set[str]:
    return keys(validate_person(adult(**changes), 0, TODAY, RULES))


def test_a_complete_intake_has_no_problems():
    intake = Intake(household=household(), persons=[adult()])
    assert validate(intake, TODAY, RULES) == []


# ------------------------------------------------------------------ config and code lists

def test_rules_from_the_code_lists():
    assert "70173" in RULES.postcodes and len(RULES.postcodes) == 34
    assert RULES.shared_postcodes == frozenset({"70629"})
    assert RULES.religions == frozenset({"rk", "ev", "ak", "iw", "ib", "fb", "oa"})
    assert RULES.late_after_days == 14


def test_configured_postcodes_and_deadline_win():
    rules = IntakeRules.from_config(IntakeConfig(postcodes=("70771",), late_after_days=7),
                                    codelists())
    assert rules.postcodes == frozenset({"70771"}) and rules.late_after_days == 7
    assert rules.shared_postcodes == frozenset()


# ------------------------------------------------------------------ household

@pytest.mark.parametrize("postcode, expected", [
    ("70173", set()),
    ("70619", set()),
    ("70629", {"household.address.postcode:postcode_shared"}),
    ("70771", {"household.address.postcode:postcode_outside"}),
    ("70049", {"household.address.postcode:postcode_outside"}),   # PO box code
    ("", {"household.address.postcode:required"}),
    ("7017", {"household.address.postcode:format"}),
    ("70 173", {"household.address.postcode:format"}),
    ("٧٠١٧٣", {"household.address.postcode:format"}),
])
def test_postcode(postcode, expected):
    h = household(address=Address("Musterstraße", "14", "", postcode, "Stuttgart"))
    problems = validate_household(h, TODAY, RULES)
    assert keys(problems) == expected
    assert all(p.warning for p in problems if p.code.startswith("postcode_"))


@pytest.mark.parametrize("days_ago, expected", [
    (0, set()), (14, set()), (15, {"household.move_in:move_in_late"}),
    (400, {"household.move_in:move_in_late"}),
    (-7, set()), (-8, {"household.move_in:move_in_future"}),
    (-90, {"household.move_in:move_in_future"}),
    (-91, {"household.move_in:move_in_far_future"}),
])
def test_move_in(days_ago, expected):
    h = household(move_in=TODAY - timedelta(days=days_ago))
    problems = validate_household(h, TODAY, RULES)
    assert keys(problems) == expected
    for p in problems:
        assert p.warning is (p.code != "move_in_far_future")
    if expected == {"household.move_in:move_in_late"}:
        assert problems[0].params == (("days", "14"),)


def test_move_in_deadline_follows_the_config():
    rules = IntakeRules(postcodes=RULES.postcodes, late_after_days=7)
    h = household(move_in=TODAY - timedelta(days=8))
    assert keys(validate_household(h, TODAY, rules)) == {"household.move_in:move_in_late"}
    assert keys(validate_household(h, TODAY, RULES)) == set()


def test_move_in_missing():
    assert keys(validate_household(household(move_in=None), TODAY, RULES)) == {
        "household.move_in:required"}


@pytest.mark.parametrize("number", ["14", "14a", "14 a", "14/1", "12-14", "12–14", "3b/1",
                                    "12a-12c", "1", "2000", " 7 "])
def test_house_numbers_as_people_write_them(number):
    assert house_number_problem("n", number) is None


@pytest.mark.parametrize("number", ["14,5", "Nr. 14", "14 1/2", "14aa", "12-", "a14",
                                    "14 hinten", "12345"])
def test_unusual_house_numbers_warn(number):
    problem = house_number_problem("n", number)
    assert problem is not None and problem.code == "house_number_unusual" and problem.warning


@pytest.mark.parametrize("number, code", [("", "required"), ("  ", "required"),
                                          ("ohne", "format"), ("a/b", "format"),
                                          ("1" * 13, "too_long")])
def test_house_number_errors(number, code):
    problem = house_number_problem("n", number)
    assert problem is not None and problem.code == code and not problem.warning


@pytest.mark.parametrize("field, value, expected", [
    ("street", "", "household.address.street:required"),
    ("street", "S" * 56, "household.address.street:too_long"),
    ("street", "Straße des 17. Juni", None),
    ("street", "Königstraße", None),
    ("street", "شارع", "household.address.street:not_latin"),
    ("street", "Musterstr.\n", "household.address.street:format"),
    ("city", "", "household.address.city:required"),
    ("city", "Stuttgart-Bad Cannstatt", None),
    ("flat", "3. OG links", None),
    ("flat", "F" * 41, "household.address.flat:too_long"),
])
def test_address_fields(field, value, expected):
    address = Address("Musterstraße", "14", "", "70173", "Stuttgart")
    setattr(address, field, value)
    assert keys(validate_household(household(address=address), TODAY, RULES)) == (
        {expected} if expected else set())


@pytest.mark.parametrize("residence_type, expected", [
    ("0", set()), ("1", set()), ("2", set()),
    ("", {"household.residence_type:required"}), ("3", {"household.residence_type:format"}),
])
def test_residence_type(residence_type, expected):
    assert keys(validate_household(household(residence_type=residence_type), TODAY,
                                   RULES)) == expected


@pytest.mark.parametrize("previous_address, previous_country, expected", [
    (None, "SY", set()),
    (None, "XK", set()),
    (Address("Beispielweg", "3", "", "10115", "Berlin"), None, set()),
    (Address("Beispielweg", "3", "", "10115", "Berlin"), "", set()),
    (None, None, {"household.previous_address:required"}),
    (Address(), "SY", set()),                      # an address form left empty
    (Address(" ", "", "", "", ""), None, {"household.previous_address:required"}),
    (None, "", {"household.previous_address:required"}),
    (None, "DE", {"household.previous_country:previous_country_de"}),
    (None, "Syrien", {"household.previous_country:format"}),
    (Address("Beispielweg", "3", "", "10115", "Berlin"), "SY",
     {"household.previous_country:previous_both"}),
    (Address("", "3", "", "1011", "Berlin"), None,
     {"household.previous_address.street:required",
      "household.previous_address.postcode:format"}),
])
def test_previous_address_or_country(previous_address, previous_country, expected):
    h = household(previous_address=previous_address, previous_country=previous_country)
    assert keys(validate_household(h, TODAY, RULES)) == expected


def test_previous_address_outside_the_city_is_no_warning():
    h = household(previous_address=Address("Beispielweg", "3", "", "10115", "Berlin"),
                  previous_country=None)
    assert validate_household(h, TODAY, RULES) == []


# ------------------------------------------------------------------ names

@pytest.mark.parametrize("name", ["Çelik", "Šimić", "Łukasz", "Ğüneş", "Weiß", "Müller-Lüdenscheidt",
                                  "O'Neill", "D’Angelo", "Nguyễn", "Øre", "Åsa", "İpek",
                                  "van der Berg", "Ahmad\u0301"])
def test_latin_names_with_diacritics(name):
    assert person_problems(surname=name, first_names=[name]) == set()


@pytest.mark.parametrize("name, code", [
    ("محمد", "not_latin"), ("Иванова", "not_latin"), ("Παπαδόπουλος", "not_latin"),
    ("Erika2", "format"), ("Erika!", "format"), ("-", "format"),
    ("Erika\u200b", "format"), ("E" * 121, "too_long"), ("", "required"), ("   ", "required"),
])
def test_bad_surnames(name, code):
    assert person_problems(surname=name) == {f"persons[0].surname:{code}"}


def test_not_latin_is_an_error():
    (problem,) = validate_person(adult(surname="محمد"), 0, TODAY, RULES)
    assert not problem.warning


@pytest.mark.parametrize("first_names, everyday, expected", [
    (["Erika", "Maria"], 1, set()),
    (["Erika", "Maria"], None, set()),
    ([], None, {"persons[0].first_names:required"}),
    ([""], None, {"persons[0].first_names:required"}),
    (["Erika", ""], None, {"persons[0].first_names[1]:required"}),
    (["Erika", "Мария"], 0, {"persons[0].first_names[1]:not_latin"}),
    (["Erika"], 1, {"persons[0].everyday_name:format"}),
    (["Erika"], -1, {"persons[0].everyday_name:format"}),
    (["E" * 81], 0, {"persons[0].first_names[0]:too_long"}),
    (["Erika"] * 13, 0, {"persons[0].first_names:too_many"}),
])
def test_first_names(first_names, everyday, expected):
    assert person_problems(first_names=first_names, everyday_name=everyday) == expected


@pytest.mark.parametrize("field, value, expected", [
    ("birth_name", "", set()), ("birth_name", "Gabler", set()),
    ("birth_name", "Габлер", {"persons[0].birth_name:not_latin"}),
    ("doctoral_degree", "Dr. med.", set()), ("doctoral_degree", "Dr. rer. nat.", set()),
    ("doctoral_degree", "PhD 2", {"persons[0].doctoral_degree:format"}),
    ("religious_name", "Schwester Maria", set()),
    ("birth_place", "Frankfurt (Oder)", set()), ("birth_place", "St. Gallen", set()),
    ("birth_place", "", {"persons[0].birth_place:required"}),
    ("birth_place", "دمشق", {"persons[0].birth_place:not_latin"}),
    ("birth_country", "SY", set()), ("birth_country", "", {"persons[0].birth_country:required"}),
    ("birth_country", "sy", {"persons[0].birth_country:format"}),
    ("birth_country", "SYR", {"persons[0].birth_country:format"}),
    ("sex", "x", set()), ("sex", "unknown", set()), ("sex", "", {"persons[0].sex:required"}),
    ("sex", "f", {"persons[0].sex:format"}),
    ("marital_status", "", {"persons[0].marital_status:required"}),
    ("marital_status", "GS", set()), ("marital_status", "married", {"persons[0].marital_status:format"}),
    ("religion", "rk", set()), ("religion", "iw", set()),
    ("religion", "", {"persons[0].religion:required"}),
    ("religion", "isby", {"persons[0].religion:format"}),   # Bavarian, not levying in BW
    ("religion", "--", {"persons[0].religion:format"}),
])
def test_person_fields(field, value, expected):
    assert person_problems(**{field: value}) == expected


def test_religions_are_overridable():
    rules = IntakeRules(postcodes=RULES.postcodes, religions=frozenset({"rk", "oa", "isby"}))
    assert validate_person(adult(religion="isby"), 0, TODAY, rules) == []
    assert keys(validate_person(adult(religion="ev"), 0, TODAY, rules)) == {
        "persons[0].religion:format"}


# ------------------------------------------------------------------ nationalities

@pytest.mark.parametrize("codes, expected", [
    (["DE"], set()), (["DE", "TR"], set()), (["DE", "TR", "HR", "XK"], set()),
    (["stateless"], set()), (["unknown"], set()),
    ([], {"persons[0].nationalities:required"}),
    (["DE", "TR", "HR", "IT", "GR"], {"persons[0].nationalities:too_many"}),
    (["DE", "DE"], {"persons[0].nationalities:duplicate"}),
    (["stateless", "SY"], {"persons[0].nationalities:nationality_conflict"}),
    (["DE", "türkisch"], {"persons[0].nationalities[1]:format"}),
])
def test_nationalities(codes, expected):
    problems = validate_person(adult(nationalities=codes), 0, TODAY, RULES)
    assert keys(problems) == expected
    assert not any(p.warning for p in problems)


# ------------------------------------------------------------------ dates of birth, minors

@pytest.mark.parametrize("birth, expected", [
    (PartialDate(1980), set()), (PartialDate(1980, 5), set()),
    (None, {"persons[0].birth_date:required"}),
    (PartialDate(2026, 12, 7), {"persons[0].birth_date:date_future"}),
    (PartialDate(2027), {"persons[0].birth_date:date_future"}),
    (PartialDate(1900, 1, 1), {"persons[0].birth_date:age_over_120"}),
    (PartialDate(1906, 12, 7), set()),     # 119 today
    (PartialDate(1980, 13), {"persons[0].birth_date:format"}),
    (PartialDate(1980, None, 5), {"persons[0].birth_date:format"}),
    (PartialDate(1980, 2, 30), {"persons[0].birth_date:format"}),
    (PartialDate(0), {"persons[0].birth_date:format"}),
])
def test_birth_date(birth, expected):
    problems = validate_person(adult(birth_date=birth), 0, TODAY, RULES)
    assert keys(problems) == expected
    for p in problems:
        assert p.warning is (p.code == "age_over_120")


def child(**changes) -> Person:
    return adult(birth_date=PartialDate(2016, 3), first_names=["Testkind"], document=None,
                 **changes)


def test_minor_needs_a_legal_representative():
    problems = validate_person(child(), 1, TODAY, RULES)
    assert keys(problems) == {"persons[1].representatives:required"}
    assert not problems[0].warning
    assert validate_person(child(representatives=["Erika Mustermann"]), 1, TODAY, RULES) == []
    assert validate_person(child(representatives=["Erika Mustermann", "Max Mustermann"]), 1,
                           TODAY, RULES) == []


def test_representative_names_are_checked():
    assert keys(validate_person(child(representatives=["Erika Mustermann", "مريم"]), 1,
                                TODAY, RULES)) == {"persons[1].representatives[1]:not_latin"}
    assert keys(validate_person(child(representatives=[" "]), 1, TODAY, RULES)) == {
        "persons[1].representatives:required", "persons[1].representatives[0]:required"}


@pytest.mark.parametrize("birth, minor", [
    (PartialDate(2008, 12, 6), False),     # 18 today
    (PartialDate(2008, 12, 7), True),      # 18 tomorrow
    (PartialDate(2008, 12), False),        # maybe 18 already: not certainly a minor
    (PartialDate(2009), True),
    (PartialDate(2008), False),
    (PartialDate(2026, 1, 1), True),
    (None, False),
])
def test_is_minor(birth, minor):
    assert is_minor(birth, TODAY) is minor


def test_adult_without_document_is_a_warning_minor_not():
    problems = validate_person(adult(document=None), 0, TODAY, RULES)
    assert [(p.key, p.warning) for p in problems] == [("persons[0].document:document_missing",
                                                       True)]
    assert validate_person(child(representatives=["Erika Mustermann"]), 1, TODAY, RULES) == []


# ------------------------------------------------------------------ marriage

@pytest.mark.parametrize("status, when, where, expected", [
    ("VH", PartialDate(2005, 6, 1), "Testdorf", set()),
    ("VH", PartialDate(2005), "Testdorf", set()),
    ("LP", PartialDate(2012, 4), "Testdorf", set()),
    ("VH", None, "Testdorf", {"persons[0].marriage_date:required"}),
    ("VH", PartialDate(2005), "", {"persons[0].marriage_place:required"}),
    ("VH", PartialDate(2027, 1), "Testdorf", {"persons[0].marriage_date:date_future"}),
    ("VH", PartialDate(2005, None, 3), "Testdorf", {"persons[0].marriage_date:format"}),
    ("GS", None, "", set()),
    ("LD", None, "", set()),
])
def test_marriage(status, when, where, expected):
    assert person_problems(marital_status=status, marriage_date=when,
                           marriage_place=where) == expected


# ------------------------------------------------------------------ documents

def doc(**changes) -> IdDocument:
    d = IdDocument("09", "T22000129", "Stadt Testdorf", date(2020, 1, 2), date(2030, 1, 1))
    for k, v in changes.items():
        setattr(d, k, v)
    return d


@pytest.mark.parametrize("changes, expected, warning", [
    ({"kind": "07"}, set(), None), ({"kind": "12"}, set(), None),
    ({"kind": ""}, {"persons[0].document.kind:required"}, False),
    ({"kind": "15"}, {"persons[0].document.kind:format"}, False),
    ({"number": "C01X00T47"}, set(), None), ({"number": "AB 123-45"}, set(), None),
    ({"number": ""}, {"persons[0].document.number:required"}, False),
    ({"number": "1" * 21}, {"persons[0].document.number:too_long"}, False),
    ({"number": "AB#12"}, {"persons[0].document.number:format"}, False),
    ({"number": "АВ12"}, {"persons[0].document.number:format"}, False),   # Cyrillic
    ({"authority": ""}, {"persons[0].document.authority:required"}, False),
    ({"issued": None}, {"persons[0].document.issued:required"}, False),
    ({"issued": TODAY + timedelta(days=1), "expires": date(2036, 1, 1)},
     {"persons[0].document.issued:date_future"}, False),
    ({"expires": None}, {"persons[0].document.expires:required"}, False),
    ({"expires": date(2019, 1, 1)}, {"persons[0].document.expires:date_order"}, False),
    ({"expires": TODAY - timedelta(days=1)}, {"persons[0].document.expires:document_expired"},
     True),
    ({"expires": TODAY}, set(), None),
])
def test_document(changes, expected, warning):
    problems = validate_person(adult(document=doc(**changes)), 0, TODAY, RULES)
    assert keys(problems) == expected
    if warning is not None:
        assert problems[0].warning is warning


# ------------------------------------------------------------------ the whole intake

def test_no_person_and_entitlement():
    assert keys(validate(Intake(household=household()), TODAY, RULES)) == {"persons:required"}
    two = Intake(household=household(), persons=[adult(), child(representatives=["Erika "
                                                                                 "Mustermann"])])
    assert keys(validate(two, TODAY, RULES)) == {"entitled_for_others:required"}
    two.entitled_for_others = True
    assert validate(two, TODAY, RULES) == []


def test_person_paths_carry_their_index():
    intake = Intake(household=household(), persons=[adult(), adult(sex="")],
                    entitled_for_others=True)
    assert keys(validate(intake, TODAY, RULES)) == {"persons[1].sex:required"}


def test_blocking_keeps_errors_and_unacknowledged_warnings():
    intake = Intake(household=household(move_in=TODAY - timedelta(days=20),
                                        address=Address("Musterstraße", "14,5", "", "70771",
                                                        "Stuttgart")),
                    persons=[adult(sex="")])
    problems = validate(intake, TODAY, RULES)
    assert keys(problems) == {"household.move_in:move_in_late",
                              "household.address.house_number:house_number_unusual",
                              "household.address.postcode:postcode_outside",
                              "persons[0].sex:required"}
    assert keys(blocking(problems, frozenset())) == keys(problems)
    acknowledged = frozenset({"household.move_in:move_in_late",
                              "household.address.postcode:postcode_outside",
                              "persons[0].sex:required"})   # an error cannot be acknowledged
    assert keys(blocking(problems, acknowledged)) == {
        "household.address.house_number:house_number_unusual", "persons[0].sex:required"}


def test_problem_key_and_params():
    p = Problem("household.move_in", "move_in_late", True, (("days", "14"),))
    assert p.key == "household.move_in:move_in_late"
    assert p.param("days") == "14" and p.param("other", "-") == "-"


def test_validate_does_not_change_the_intake():
    intake = Intake(household=household(), persons=[adult(surname="محمد")])
    before = copy.deepcopy(intake)
    validate(intake, TODAY, RULES)
    assert intake == before


# ------------------------------------------------------------------ partial dates typed

@pytest.mark.parametrize("day, month, year, expected", [
    ("17", "5", "1980", PartialDate(1980, 5, 17)),
    ("07", "05", "1980", PartialDate(1980, 5, 7)),
    ("", "5", "1980", PartialDate(1980, 5)),
    ("00", "05", "1980", PartialDate(1980, 5)),
    ("", "", "1980", PartialDate(1980)),
    ("0", "0", "1980", PartialDate(1980)),
    (" 1 ", " 2 ", " 2000 ", PartialDate(2000, 2, 1)),
    ("29", "2", "2024", PartialDate(2024, 2, 29)),
    ("", "", "", "required"),
    ("17", "5", "", "required"),
    ("17", "5", "80", "format"),
    ("17", "5", "19800", "format"),
    ("17", "5", "0000", "format"),
    ("a", "5", "1980", "format"),
    ("١٧", "5", "1980", "format"),
    ("-1", "5", "1980", "format"),
    ("017", "5", "1980", "format"),
    ("17", "", "1980", "day_without_month"),
    ("17", "0", "1980", "day_without_month"),
    ("30", "2", "1980", "no_such_date"),
    ("29", "2", "2023", "no_such_date"),
    ("1", "13", "1980", "no_such_date"),
    ("", "13", "1980", "no_such_date"),
    ("32", "1", "1980", "no_such_date"),
])
def test_parse_partial_date(day, month, year, expected):
    assert parse_partial_date(day, month, year) == expected


def test_the_documented_example_has_no_errors():
    import re
    from pathlib import Path

    from kiosk.domain.intake_json import from_dict
    doc = Path(__file__).resolve().parents[2] / "docs" / "intake-json.md"
    block = re.search(r"```json\n(.*?)```", doc.read_text(encoding="utf-8"), re.S).group(1)
    intake = from_dict(json.loads(block))
    assert validate(intake, TODAY, RULES) == []


@pytest.mark.parametrize("typed, stored", [
    ("\u200fMustermann\u200e", "Mustermann"),
    ("  Erika   Maria ", "Erika Maria"),
    ("S\u030cimic\u0301", "Šimić"),                 # decomposed accents composed
    ("Anna\u00ad-Lena", "Anna-Lena"),
])
def test_clean_text_removes_what_the_visitor_cannot_see(typed, stored):
    assert clean_text(typed) == stored
    assert person_problems(surname=clean_text(typed)) == set()
