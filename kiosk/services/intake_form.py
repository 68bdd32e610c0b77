"""The content of the counter's pre-filled registration form: an intake turned into titled
blocks of (label, value) rows in the office language, codes replaced by their labels.
No layout and no PDF here (kiosk/services/intake_export.py draws it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from kiosk.domain.intake import Address, IdDocument, Intake, PartialDate, Person
from kiosk.i18n import LANGUAGES, N_, gettext_for
from kiosk.services import intake_codes

OFFICE_LANGUAGE = "de"  # the clerk reads and the person signs a German form
EMPTY = "\u2014"        # an em dash: asked, nothing entered

YES, NO = N_("yes"), N_("no")
NOT_ASKED = N_("not stated")


@dataclass(frozen=True)
class Row:
    label: str
    value: str


@dataclass
class Block:
    title: str
    rows: list[Row] = field(default_factory=list)
    # a check box for the clerk after the rows ("checked at the counter")
    check: str | None = None


def german_date(day: date | None) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}" if day else EMPTY


def partial_date(value: PartialDate | None) -> str:
    """Unknown day or month print as 00, as on the paper form."""
    return value.german() if value else EMPTY


def code_label(kind: str, code: str, lang: str = OFFICE_LANGUAGE) -> str:
    """The label of a code in the office language; an unknown code prints as itself so
    the clerk sees what was stored instead of a blank."""
    return (intake_codes.label(kind, code, lang) or code) if code else EMPTY


def country(iso2: str | None, lang: str = OFFICE_LANGUAGE) -> str:
    """"Türkei" for TR; an unknown code prints as itself."""
    return (intake_codes.country_name(iso2, lang) or iso2) if iso2 else EMPTY


def address_line(address: Address | None) -> str:
    """"Königstraße 14/1, 3. OG links, 70173 Stuttgart" from the parts that are given."""
    if address is None:
        return EMPTY
    street = " ".join(part for part in (address.street, address.house_number) if part)
    town = " ".join(part for part in (address.postcode, address.city) if part)
    return ", ".join(part for part in (street, address.flat, town) if part) or EMPTY


def _yes_no(_, answer: bool | None) -> str:
    return _(NOT_ASKED) if answer is None else _(YES) if answer else _(NO)


def _text(value: str) -> str:
    return value if value.strip() else EMPTY


def header_rows(intake: Intake, reference: str, entered: str, terminal: str,
                lang: str = OFFICE_LANGUAGE) -> list[Row]:
    _ = gettext_for(lang)
    visitor = LANGUAGES[intake.lang].native_name if intake.lang in LANGUAGES else intake.lang
    return [
        Row(_("Reference"), reference),
        Row(_("Entered at the terminal"), entered),
        Row(_("Kiosk terminal"), _text(terminal)),
        Row(_("Language of the visitor"), _text(visitor)),
        Row(_("Entitled to register the other persons (§ 23(4) BMG)"),
            _yes_no(_, intake.entitled_for_others) if len(intake.persons) > 1 else EMPTY),
    ]


def household_block(intake: Intake, lang: str = OFFICE_LANGUAGE) -> Block:
    _ = gettext_for(lang)
    h = intake.household
    rows = [
        Row(_("Move-in date"), german_date(h.move_in)),
        Row(_("Street"), _text(h.address.street)),
        Row(_("House number"), _text(h.address.house_number)),
        Row(_("Floor, flat"), _text(h.address.flat)),
        Row(_("Postcode"), _text(h.address.postcode)),
        Row(_("Town"), _text(h.address.city)),
        Row(_("Type of residence"), code_label("residence", h.residence_type, lang)),
    ]
    if h.previous_country:
        rows.append(Row(_("Moved in from abroad, country"), country(h.previous_country, lang)))
    else:
        rows.append(Row(_("Previous address"), address_line(h.previous_address)))
    rows.append(Row(_("Landlord's confirmation presented"),
                    _yes_no(_, h.landlord_confirmation)))
    return Block(_("New flat"), rows,
                 check=_("Landlord's confirmation checked at the counter"))


def _first_names(person: Person) -> str:
    return " ".join(name for name in person.first_names if name) or EMPTY


def _everyday_name(person: Person) -> str:
    index = person.everyday_name
    if index is None or not 0 <= index < len(person.first_names):
        return EMPTY
    return _text(person.first_names[index])


def _document_rows(_, document: IdDocument | None, lang: str) -> list[Row]:
    document = document or IdDocument()
    return [
        Row(_("Identity document"), code_label("document", document.kind, lang)),
        Row(_("Document number"), _text(document.number)),
        Row(_("Issuing authority"), _text(document.authority)),
        Row(_("Issued on"), german_date(document.issued)),
        Row(_("Valid until"), german_date(document.expires)),
    ]


def person_block(person: Person, number: int, count: int,
                 lang: str = OFFICE_LANGUAGE) -> Block:
    _ = gettext_for(lang)
    nationalities = ", ".join(country(code, lang) for code in person.nationalities if code)
    rows = [
        Row(_("Surname"), _text(person.surname)),
        Row(_("Birth name"), _text(person.birth_name)),
        Row(_("First names"), _first_names(person)),
        Row(_("First name in everyday use"), _everyday_name(person)),
        Row(_("Doctoral degree"), _text(person.doctoral_degree)),
        Row(_("Religious or artist's name"), _text(person.religious_name)),
        Row(_("Date of birth"), partial_date(person.birth_date)),
        Row(_("Place of birth"), _text(person.birth_place)),
        Row(_("Country of birth"), country(person.birth_country, lang)),
        Row(_("Sex"), code_label("sex", person.sex, lang)),
        Row(_("Nationalities"), nationalities or EMPTY),
        Row(_("Marital status"), code_label("marital", person.marital_status, lang)),
        Row(_("Date of marriage or partnership"), partial_date(person.marriage_date)),
        Row(_("Place of marriage or partnership"), _text(person.marriage_place)),
        Row(_("Religious community"), code_label("religion", person.religion, lang)),
        *_document_rows(_, person.document, lang),
        Row(_("Legal representatives"),
            "; ".join(name for name in person.representatives if name) or EMPTY),
    ]
    title = _("Person {number} of {count}").format(number=number, count=count)
    name = ", ".join(part for part in (person.surname.strip(), _first_names(person)) if part
                     and part != EMPTY)
    if name:  # the clerk finds the person again on a continued page
        title = f"{title} \u2014 {name}"
    return Block(title, rows, check=_("Identity checked at the counter"))
