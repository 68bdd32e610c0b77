"""Property tests: random field contents never crash the rules, the JSON form or the
problem texts; a JSON round trip of anything from_dict accepts gives it back."""

from __future__ import annotations

import json
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.domain.intake import (Address, Household, IdDocument, Intake, PartialDate,
                                 Person)
from kiosk.domain.intake_json import IntakeJsonError, from_dict, to_dict
from kiosk.domain.intake_rules import IntakeRules, blocking, parse_partial_date, validate
from kiosk.i18n import LANGUAGES
from kiosk.services.intake_text import field_label, problem_text

RULES = IntakeRules(postcodes=frozenset({"70173", "70174"}),
                    shared_postcodes=frozenset({"70629"}))
LANGS = sorted(LANGUAGES)

texts = st.one_of(st.text(max_size=30),
                  st.sampled_from(["", " ", "14/1", "12–14", "70173", "DE", "VH", "oa", "09",
                                   "stateless", "Çelik", "محمد", "Łukasz", "x"]))
small_ints = st.one_of(st.none(), st.integers(-5, 14), st.integers(-10**6, 10**6))
partial_dates = st.one_of(
    st.none(),
    st.builds(PartialDate, st.integers(-3, 10000), small_ints, small_ints),
    st.builds(PartialDate, st.integers(1890, 2030), st.one_of(st.none(), st.integers(1, 12)),
              st.one_of(st.none(), st.integers(1, 28))))
dates = st.one_of(st.none(), st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
                  st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)))
addresses = st.builds(Address, texts, texts, texts, texts, texts)
documents = st.one_of(st.none(), st.builds(IdDocument, texts, texts, texts, dates, dates))
persons = st.builds(
    Person, surname=texts, birth_name=texts, first_names=st.lists(texts, max_size=14),
    everyday_name=small_ints, doctoral_degree=texts, religious_name=texts,
    birth_date=partial_dates, birth_place=texts, birth_country=texts, sex=texts,
    nationalities=st.lists(texts, max_size=6), marital_status=texts,
    marriage_date=partial_dates, marriage_place=texts, religion=texts, document=documents,
    representatives=st.lists(texts, max_size=3))
households = st.builds(Household, dates, addresses, texts, st.one_of(st.none(), addresses),
                       st.one_of(st.none(), texts), st.one_of(st.none(), st.booleans()))
intakes = st.builds(Intake, households, st.lists(persons, max_size=3), st.booleans(),
                    st.sampled_from(LANGS))
todays = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(intakes, todays, st.sampled_from(LANGS))
def test_random_intakes_never_crash_rules_or_texts(intake, today, lang):
    problems = validate(intake, today, RULES)
    for p in problems:
        assert isinstance(p.path, str) and p.code and isinstance(p.warning, bool)
        assert problem_text(p, lang)
        assert field_label(p.path, lang)
    acknowledged = frozenset(p.key for p in problems)
    assert all(not p.warning for p in blocking(problems, acknowledged))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(intakes)
def test_json_form_of_random_intakes(intake):
    data = json.loads(json.dumps(to_dict(intake)))
    try:
        back = from_dict(data)
    except IntakeJsonError as e:
        assert e.problems            # e.g. an impossible PartialDate or a "rufname" twice
        return
    assert to_dict(back) == data     # whatever reads, writes back the same


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(texts, inner, max_size=5)),
    max_leaves=30)


def _mutations(base: dict):
    """A valid document with one key somewhere replaced by a random JSON value."""
    paths = []

    def walk(node, trail):
        if isinstance(node, dict):
            for k, v in node.items():
                paths.append(trail + (k,))
                walk(v, trail + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                paths.append(trail + (i,))
                walk(v, trail + (i,))
    walk(base, ())
    return st.tuples(st.sampled_from(paths), json_values)


BASE = to_dict(Intake(household=Household(move_in=date(2026, 12, 1),
                                          address=Address("Musterstraße", "1", "", "70173",
                                                          "Stuttgart"),
                                          previous_country="TR"),
                      persons=[Person(surname="Mustermann", first_names=["Erika"],
                                      everyday_name=0, birth_date=PartialDate(1980),
                                      document=IdDocument("09", "T1", "Testamt",
                                                          date(2020, 1, 1),
                                                          date(2030, 1, 1)))]))


@settings(max_examples=400, deadline=None)
@given(st.one_of(json_values, _mutations(BASE)))
def test_from_dict_raises_nothing_but_intake_json_error(value):
    if isinstance(value, tuple):
        path, replacement = value
        data = json.loads(json.dumps(BASE))
        node = data
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = replacement
    else:
        data = value
    try:
        intake = from_dict(data)
    except IntakeJsonError as e:
        assert e.problems and all(isinstance(p, str) and isinstance(m, str)
                                  for p, m in e.problems)
        assert all(p.startswith("$") for p, _m in e.problems)
    else:
        assert isinstance(intake, Intake)
        validate(intake, date(2026, 12, 6), RULES)


@settings(max_examples=300, deadline=None)
@given(texts, texts, texts)
def test_parse_partial_date_never_crashes(day, month, year):
    result = parse_partial_date(day, month, year)
    assert isinstance(result, (PartialDate, str))
    if isinstance(result, PartialDate):
        # whatever the three boxes accept, the JSON form carries
        data = to_dict(Intake(persons=[Person(birth_date=result)]))
        assert from_dict(data).persons[0].birth_date == result
