"""The counter's export: JSON that reads back as the same intake, and a PDF form whose
extracted text has every name intact, that paginates a large household, and that never
crashes on odd field contents. All people here are invented."""

from __future__ import annotations

import io
import json
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader

from kiosk.domain.intake import Address, Household, IdDocument, Intake, PartialDate, Person
from kiosk.config_intake import IntakeConfig
from kiosk.domain.intake_json import from_dict
from kiosk.domain.intake_rules import validate
from kiosk.i18n import gettext_for
from kiosk.services import intake_codes, intake_form
from kiosk.services.intake_codes import rules_for
from kiosk.services.intake_export import (EXPORT_SCHEMA, MARGIN, ExportMeta, export_json,
                                          export_pdf)

ROOT = Path(__file__).resolve().parents[2]
META = ExportMeta(reference="K7QM4XHPT", sealed_at=datetime(2026, 12, 1, 9, 30,
                                                            tzinfo=timezone.utc),
                  terminal="T-01", office="Bürgerbüro Mitte")
_ = gettext_for("de")

# invented people whose names carry the letters the form must keep
SURNAMES = ["Muster-Çelik", "Testić-Šimić", "Testowy", "Örnekoğlu", "Strauß-Mustermann",
            "Mintás-Győző", "Δοκιμή", "Тестенко"]
FIRST_NAMES = [["Erika", "Ğülşen"], ["Łukasz"], ["Ömer", "Ünal"], ["Zoë"], ["Bärbel"],
               ["Őrs"], ["Ελένη"], ["Олена", "Іванна"]]


def _person(i: int, **changes) -> Person:
    person = Person(
        surname=SURNAMES[i % 8], birth_name="Beispiel-Öz" if i == 0 else "",
        first_names=list(FIRST_NAMES[i % 8]), everyday_name=0,
        doctoral_degree="Dr." if i == 1 else "",
        birth_date=PartialDate(1980 + i, None, None) if i == 1 else PartialDate(1980 + i, 4, 17),
        birth_place="Şanlıurfa" if i % 2 == 0 else "Łódź", birth_country="TR",
        sex="w", nationalities=["TR", "DE"], marital_status="VH",
        marriage_date=PartialDate(2010, 6, None), marriage_place="Musterstadt",
        religion="oa",
        document=IdDocument("07", f"U0000000{i}", "Musterbehörde", date(2020, 1, 2),
                            date(2030, 1, 1)),
        representatives=["Erika Mustermann"] if i == 7 else [])
    for key, value in changes.items():
        setattr(person, key, value)
    return person


def _intake(persons: int, **household) -> Intake:
    h = Household(date(2026, 11, 30),
                  Address("Musterstraße", "14/1", "3. OG links", "70173", "Stuttgart"),
                  "1", None, "TR", True)
    for key, value in household.items():
        setattr(h, key, value)
    return Intake(h, [_person(i) for i in range(persons)], True, "tr")


def _pages(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [page.extract_text() for page in reader.pages]


def _text_heights(pdf: bytes) -> list[list[float]]:
    """Per page, the y (mm from the bottom) of every piece of text drawn."""
    heights: list[list[float]] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        ys: list[float] = []

        def visit(text, cm, tm, font, size, ys=ys):
            if text.strip():
                ys.append((tm[5] * cm[3] + cm[5]) * 25.4 / 72)

        page.extract_text(visitor_text=visit)
        heights.append(ys)
    return heights


def test_json_reads_back_as_the_same_intake_in_its_envelope():
    intake = _intake(2)
    data = export_json(intake, META)
    envelope = json.loads(data.decode("utf-8"))
    assert from_dict(envelope["anmeldung"]) == intake
    assert envelope["schema"] == EXPORT_SCHEMA
    assert envelope["referenz"] == "K7QM4XHPT"
    assert envelope["terminal"] == "T-01"
    assert datetime.fromisoformat(envelope["erstellt"]) == META.sealed_at
    # readable UTF-8 for the clerk, not \u escapes; pretty printed
    assert "Muster-Çelik".encode() in data and "Łukasz".encode() in data
    assert data.count(b"\n") > 40


def test_pdf_keeps_every_name_and_place_intact():
    intake = _intake(8)
    intake.persons[3].birth_place = "Κέρκυρα"
    text = "\n".join(_pages(export_pdf(intake, META)))
    for person in intake.persons:
        assert person.surname in text
        for name in person.first_names:
            assert name in text
        assert person.birth_place in text
    for expected in ("Beispiel-Öz", "Erika Mustermann", "Musterstraße", "14/1",
                     "3. OG links", "K7QM4XHPT", "Bürgerbüro Mitte",
                     "30.11.2026",          # move-in
                     "01.12.2026 10:30",    # sealed, in the office's zone
                     "17.04.1980",          # a full birth date
                     "00.00.1981",          # unknown day and month print as 00
                     "00.06.2010"):         # a marriage date without the day
        assert expected in text


def test_pdf_shows_codes_as_german_labels():
    intake = _intake(1, residence_type="2", previous_country="XK")
    intake.persons[0].nationalities = ["TR", "DE", "GR"]
    text = "\n".join(_pages(export_pdf(intake, META)))
    assert "Türkei, Deutschland, Griechenland" in text
    assert "Kosovo" in text
    for kind, code in (("residence", "2"), ("sex", "w"), ("marital", "VH"),
                       ("religion", "oa"), ("document", "07")):
        assert intake_codes.label(kind, code, "de") in text


def test_pdf_has_every_field_label_of_a_person_for_each_person():
    intake = _intake(2)
    # a long label wraps inside its column: compare with the line breaks as spaces
    text = " ".join("\n".join(_pages(export_pdf(intake, META))).split())
    for row in intake_form.person_block(intake.persons[0], 1, 2).rows:
        assert " ".join(row.label.split()) in text
    for number in (1, 2):
        assert _("Person {number} of {count}").format(number=number, count=2) in text
    for label in ("Place, date", "Signature of the person registering"):
        assert _(label) in text


def test_eight_persons_paginate_with_numbered_pages_and_nothing_off_a_page():
    pdf = export_pdf(_intake(8), META)
    pages = _pages(pdf)
    # a person's block is shorter than a page: a page per person at most, no blank pages
    assert 4 <= len(pages) <= 8
    for number, text in enumerate(pages, start=1):
        assert _("Page {page} of {pages}").format(page=number, pages=len(pages)) in text
    # every person's block starts once, in order
    joined = "\n".join(pages)
    starts = [joined.index(_("Person {number} of {count}").format(number=n, count=8)
                           + f" \u2014 {SURNAMES[n - 1]}, ") for n in range(1, 9)]
    assert starts == sorted(starts)
    # nothing was drawn into the bottom margin or off the sheet (A4: 297 mm)
    for ys in _text_heights(pdf):
        assert ys and min(ys) >= MARGIN - 5 and max(ys) <= 297 - MARGIN + 1


def test_a_place_in_arabic_script_embeds_noto_sans_arabic():
    def fonts(pdf: bytes) -> str:
        names = []
        for page in PdfReader(io.BytesIO(pdf)).pages:
            for font in page["/Resources"]["/Font"].values():
                names.append(str(font.get_object()["/BaseFont"]))
        return " ".join(names)

    intake = _intake(1)
    assert "Arabic" not in fonts(export_pdf(intake, META))
    intake.persons[0].birth_place = "حلب"
    assert "NotoSansArabic" in fonts(export_pdf(intake, META))


def test_the_example_file_reads_and_exports():
    data = json.loads((ROOT / "examples" / "intake-two-persons.json").read_text("utf-8"))
    intake = from_dict(data)
    assert len(intake.persons) == 2
    assert {p.surname for p in intake.persons} == {"Mustermann"}
    assert sorted(n for p in intake.persons for n in p.nationalities) == ["DE", "TR"]
    assert any(p.birth_date and p.birth_date.as_date() is None for p in intake.persons)
    assert json.loads(export_json(intake, META))["anmeldung"] == data
    # `kiosk intake submit examples/intake-two-persons.json` is accepted: no errors, and
    # no warnings either on the day after the move-in
    problems = validate(intake, date(2026, 12, 1), rules_for(IntakeConfig()))
    assert problems == []
    text = "\n".join(_pages(export_pdf(intake, META)))
    assert "Ayşe" in text and "Örnek" in text and "İzmir" in text


@pytest.mark.parametrize("value", ["", " ", "\x00\x07", "a\nb\tc", "\ud800", "\ue000",
                                   "😀" * 3, "W" * 400, "ﷺ", "漢字"])
def test_odd_contents_still_export(value):
    intake = _intake(1)
    intake.persons[0].surname = value
    intake.persons[0].birth_place = value
    intake.household.address.street = value
    assert export_pdf(intake, META).startswith(b"%PDF")
    assert json.loads(export_json(intake, META))


def test_control_characters_are_left_out_of_the_form():
    intake = _intake(1)
    intake.persons[0].surname = "Muster\x07mann\x00"
    intake.persons[0].birth_place = "Muster\nstadt"
    text = "\n".join(_pages(export_pdf(intake, META)))
    assert "Mustermann" in text and "Muster stadt" in text


hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

TEXT = st.text(max_size=80)
CODE = st.one_of(st.sampled_from(["", "TR", "DE", "XK", "VH", "rk", "07", "1", "w"]), TEXT)
PARTIAL = st.one_of(st.none(), st.builds(PartialDate, st.integers(1, 9999),
                                         st.one_of(st.none(), st.integers(1, 12)),
                                         st.one_of(st.none(), st.integers(1, 28))))
DAY = st.one_of(st.none(), st.dates())
ADDRESS = st.builds(Address, TEXT, TEXT, TEXT, TEXT, TEXT)
PERSON = st.builds(
    Person, surname=TEXT, birth_name=TEXT, first_names=st.lists(TEXT, max_size=4),
    everyday_name=st.one_of(st.none(), st.integers(-2, 5)), doctoral_degree=TEXT,
    religious_name=TEXT, birth_date=PARTIAL, birth_place=TEXT, birth_country=CODE, sex=CODE,
    nationalities=st.lists(CODE, max_size=5), marital_status=CODE, marriage_date=PARTIAL,
    marriage_place=TEXT, religion=CODE,
    document=st.one_of(st.none(), st.builds(IdDocument, CODE, TEXT, TEXT, DAY, DAY)),
    representatives=st.lists(TEXT, max_size=3))
INTAKE = st.builds(
    Intake, st.builds(Household, DAY, ADDRESS, CODE, st.one_of(st.none(), ADDRESS),
                      st.one_of(st.none(), CODE), st.one_of(st.none(), st.booleans())),
    st.lists(PERSON, max_size=3), st.booleans(), CODE)


@hypothesis.settings(max_examples=15, deadline=None)  # each example builds a PDF (~1 s)
@hypothesis.given(INTAKE, TEXT, TEXT)
def test_random_field_contents_never_crash_the_export(intake, reference, terminal):
    meta = ExportMeta(reference, META.sealed_at, terminal, office=terminal)
    envelope = json.loads(export_json(intake, meta))
    assert envelope["referenz"] == reference
    assert export_pdf(intake, meta).startswith(b"%PDF")


def test_without_uharfbuzz_the_form_still_prints(monkeypatch):
    """uharfbuzz (fpdf2's shaping engine) is optional: without it Arabic letters print
    unjoined, everything else as before."""
    monkeypatch.setitem(sys.modules, "uharfbuzz", None)  # import fails
    intake = _intake(2)
    intake.persons[1].birth_place = "حلب"
    text = "\n".join(_pages(export_pdf(intake, META)))
    assert "Muster-Çelik" in text and "Łukasz" in text


def test_arabic_script_is_shaped_when_uharfbuzz_is_installed():
    pytest.importorskip("uharfbuzz")
    from kiosk.services.intake_export import _FormPdf

    assert _FormPdf("").text_shaping
