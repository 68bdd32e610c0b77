"""Code lists with labels, countries by CLDR name and their search in the visitor's
language and German, Destatis keys, and the problem texts and field labels."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from kiosk.config_intake import IntakeConfig
from kiosk.domain.intake import MARITAL_STATUSES, RESIDENCE_TYPES, SEXES
from kiosk.domain.intake_rules import DEFAULT_RELIGIONS, DOCUMENT_KINDS, IntakeRules, Problem
from kiosk.i18n import LANGUAGES
from kiosk.services import intake_codes, intake_text
from kiosk.services.intake_codes import (choices, country_name, destatis_code,
                                         religion_choices, rules_for, search_countries)
from kiosk.services.intake_text import field_label, problem_text


@pytest.mark.parametrize("kind, codes", [
    ("sex", set(SEXES)), ("marital", set(MARITAL_STATUSES)),
    ("religion", set(DEFAULT_RELIGIONS)), ("document", set(DOCUMENT_KINDS)),
    ("residence", set(RESIDENCE_TYPES)),
])
def test_every_code_the_rules_accept_has_a_label(kind, codes):
    for lang in LANGUAGES:
        rows = choices(kind, lang)
        assert {code for code, _label in rows} == codes
        assert all(label.strip() for _code, label in rows)


def test_unknown_code_list_is_a_programming_error():
    with pytest.raises(KeyError):
        choices("colour", "de")


def test_overridden_religions_show_the_code_lists_german_name():
    rules = IntakeRules(postcodes=frozenset(), religions=frozenset({"rk", "isby", "oa"}))
    rows = religion_choices(rules, "de")
    assert [code for code, _label in rows] == ["rk", "isby", "oa"]
    assert rows[1][1] == "Landesverband der israelitischen Kultusgemeinden in Bayern"


def test_rules_from_the_shipped_code_lists():
    rules = rules_for(IntakeConfig())
    assert len(rules.postcodes) == 34 and "70629" in rules.shared_postcodes


@pytest.mark.parametrize("lang, name", [("de", "Türkei"), ("tr", "Türkiye"), ("ar", "تركيا"),
                                        ("el", "Τουρκία"), ("uk", "Туреччина")])
def test_country_names_in_every_language(lang, name):
    assert country_name("TR", lang) == name


def test_every_language_has_real_country_names():
    for lang in LANGUAGES:
        assert country_name("DE", lang) not in ("DE", "")
        assert country_name("XK", lang) not in ("XK", "")
        assert country_name("stateless", lang)
    assert country_name("QQ", "de") == "QQ"


def test_country_list_has_no_pseudo_regions():
    codes = intake_codes.country_codes()
    assert {"DE", "TR", "XK", "SY", "UA"} <= codes
    assert not codes & {"EU", "UN", "ZZ", "QO", "XA", "XB", "IC", "EA"}
    assert all(re.fullmatch(r"[A-Z]{2}", c) for c in codes)


@pytest.mark.parametrize("query, lang", [
    ("Türkei", "de"), ("türkei", "de"), ("TURKEI", "de"), ("Turkey", "de"), ("Türkiye", "tr"),
    ("turkiye", "tr"), ("تركيا", "ar"), ("Türkei", "ar"), ("Türkei", "tr"), ("Turkey", "en"),
])
def test_search_finds_turkey_by_every_name(query, lang):
    assert search_countries(query, lang)[0][0] == "TR"


def test_search_answers_in_the_visitors_language():
    assert search_countries("Syrien", "ar") == [("SY", "سوريا")]
    assert search_countries("سوريا", "ar") == [("SY", "سوريا")]
    assert ("DE", "Almanya") in search_countries("alman", "tr")
    assert search_countries("Deutschland", "tr")[0] == ("DE", "Almanya")


def test_search_puts_prefix_matches_first():
    assert search_countries("ukr", "de")[0][0] == "UA"
    results = [code for code, _name in search_countries("nieder", "de")]
    assert results[0] == "NL" and "BQ" in results          # "Karibische Niederlande" after
    results = [code for code, _name in search_countries("guinea", "en")]
    assert set(results[:2]) == {"GN", "GW"}                # Guinea, Guinea-Bissau
    assert {"GQ", "PG"} <= set(results[2:])                # Equatorial / Papua New Guinea
    results = [code for code, _name in search_countries("ran", "de", limit=20)]
    assert {"FR", "IR"} <= set(results)                     # Frankreich, Iran: substrings


def test_search_is_accent_insensitive_and_limited():
    assert search_countries("osterreich", "de")[0][0] == "AT"
    assert search_countries("hrvatska", "hr") == [("HR", "Hrvatska")]
    assert len(search_countries("a", "de", limit=3)) == 3
    assert search_countries("", "de") == [] and search_countries("   ", "de") == []
    assert search_countries("xyzxyz", "de") == []


def test_kosovo_and_the_special_nationalities():
    assert search_countries("Kosovo", "de")[0][0] == "XK"
    assert search_countries("Kosova", "tr")[0][0] == "XK"
    assert search_countries("stateless", "en") == []
    assert search_countries("stateless", "en", nationality=True)[0][0] == "stateless"
    assert search_countries("staatenlos", "ar", nationality=True)[0][0] == "stateless"
    assert search_countries("unknown", "en", nationality=True)[0][0] == "unknown"


@pytest.mark.parametrize("iso2, key", [("DE", "000"), ("TR", "163"), ("XK", "150"),
                                       ("SY", "475"), ("US", "368"), ("stateless", "997"),
                                       ("unknown", "998"), ("JP", None), ("", None)])
def test_destatis_codes(iso2, key):
    assert destatis_code(iso2) == key


# ------------------------------------------------------------------ problem texts

RULES_SOURCE = Path(intake_codes.__file__).resolve().parents[1] / "domain" / "intake_rules.py"


def test_every_problem_code_of_the_rules_has_a_message():
    source = RULES_SOURCE.read_text(encoding="utf-8")
    codes = set(re.findall(r'_(?:err|warn)\([^,]+, "([a-z_0-9]+)"', source))
    codes |= {"required", "format", "day_without_month", "no_such_date"}
    assert len(codes) > 15
    general = intake_text._MESSAGES[intake_text._FALLBACK]
    for code in codes:
        fields = [f for f, c in intake_text._MESSAGES if c == code]
        assert fields, f"no message for problem code {code}"
    for (field, _code), msgid in intake_text._MESSAGES.items():
        assert field == "" or field in intake_text._LABELS, field
    assert general == "Please check this entry."


@pytest.mark.parametrize("path, label", [
    ("household.address.postcode", "Postcode"),
    ("persons[3].first_names[1]", "First names"),
    ("persons[0].document.expires", "Valid until"),
    ("household.previous_address.street", "Street"),
    ("entitled_for_others", "Permission to register the others"),
])
def test_field_labels(path, label):
    assert field_label(path, "en") == label


def test_unknown_field_shows_its_path():
    assert field_label("persons[0].shoe_size", "de") == "persons[0].shoe_size"


def test_problem_text_names_what_to_do():
    p = Problem("household.address.postcode", "format", False)
    assert problem_text(p, "en") == "Enter the postcode of the new flat: 5 digits."
    shared = Problem("household.address.postcode", "postcode_shared", True,
                     (("postcode", "70629"),))
    assert "70629" in problem_text(shared, "en")
    latin = Problem("persons[1].surname", "not_latin", False)
    assert "Latin letters" in problem_text(latin, "en") and "passport" in problem_text(latin,
                                                                                      "en")
    too_long = Problem("household.address.street", "too_long", False, (("max", "55"),))
    assert problem_text(too_long, "en").endswith(": 55.")


def test_problem_text_never_raises():
    odd = [Problem("x", "no_such_code", True), Problem("", "", False),
           Problem("persons[0].nationalities", "too_many", False),            # no max given
           Problem("household.address.postcode", "postcode_shared", True, (("x", "{y}"),))]
    for lang in list(LANGUAGES) + ["zz"]:
        for p in odd:
            assert problem_text(p, lang)
