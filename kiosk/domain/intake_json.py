"""The documented JSON form of an intake (docs/intake-json.md): field names after the
XMeld data groups, dates as ISO strings ("1980-00-00" for a partly unknown birth date).
`from_dict` checks structure and types only (the rules judge the contents) and reports
every bad field at once, never raising anything but IntakeJsonError."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from kiosk.domain.intake import (SCHEMA, Address, Household, IdDocument, Intake,
                                 PartialDate, Person)

_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")  # not \d: ASCII digits only
_LANG = re.compile(r"^[a-z]{2,3}$")

_TOP_KEYS = ("schema", "sprache", "berechtigung_23_4", "haushalt", "personen")
_HOUSEHOLD_KEYS = ("einzugsdatum", "anschrift", "wohnungsstatus", "bisherige_anschrift",
                   "zuzug_aus_staat", "wohnungsgeberbestaetigung")
_ADDRESS_KEYS = ("strasse", "hausnummer", "zusatz", "postleitzahl", "wohnort")
_PERSON_KEYS = ("familienname", "geburtsname", "vornamen", "rufname", "doktorgrad",
                "ordensname_kuenstlername", "geburtsdatum", "geburtsort", "geburtsstaat",
                "geschlecht", "staatsangehoerigkeiten", "familienstand", "eheschliessung",
                "religion", "ausweisdokument", "gesetzliche_vertreter")
_MARRIAGE_KEYS = ("datum", "ort")
_DOCUMENT_KEYS = ("art", "seriennummer", "behoerde", "ausstellungsdatum", "gueltig_bis")


class IntakeJsonError(ValueError):
    """A JSON intake that cannot be read: one (JSON path, English message) per bad field."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


# ---------------------------------------------------------------- writing

def _address_dict(a: Address) -> dict:
    return {"strasse": a.street, "hausnummer": a.house_number, "zusatz": a.flat,
            "postleitzahl": a.postcode, "wohnort": a.city}


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


def _partial(d: PartialDate | None) -> str | None:
    return d.iso() if d is not None else None


def _person_dict(p: Person) -> dict:
    rufname = None
    if p.everyday_name is not None and 0 <= p.everyday_name < len(p.first_names):
        # "" reads back as "no Rufname" (the documented meaning of an empty string)
        rufname = p.first_names[p.everyday_name] or None
    marriage = None
    if p.marriage_date is not None or p.marriage_place:
        marriage = {"datum": _partial(p.marriage_date), "ort": p.marriage_place}
    document = None
    if p.document is not None:
        d = p.document
        document = {"art": d.kind, "seriennummer": d.number, "behoerde": d.authority,
                    "ausstellungsdatum": _iso(d.issued), "gueltig_bis": _iso(d.expires)}
    return {
        "familienname": p.surname,
        "geburtsname": p.birth_name,
        "vornamen": list(p.first_names),
        "rufname": rufname,
        "doktorgrad": p.doctoral_degree,
        "ordensname_kuenstlername": p.religious_name,
        "geburtsdatum": _partial(p.birth_date),
        "geburtsort": p.birth_place,
        "geburtsstaat": p.birth_country,
        "geschlecht": p.sex,
        "staatsangehoerigkeiten": list(p.nationalities),
        "familienstand": p.marital_status,
        "eheschliessung": marriage,
        "religion": p.religion,
        "ausweisdokument": document,
        "gesetzliche_vertreter": list(p.representatives),
    }


def to_dict(intake: Intake) -> dict:
    """The intake as plain JSON values (every key present; null for what is not given)."""
    h = intake.household
    return {
        "schema": SCHEMA,
        "sprache": intake.lang,
        "berechtigung_23_4": intake.entitled_for_others,
        "haushalt": {
            "einzugsdatum": _iso(h.move_in),
            "anschrift": _address_dict(h.address),
            "wohnungsstatus": h.residence_type,
            "bisherige_anschrift": (_address_dict(h.previous_address)
                                    if h.previous_address is not None else None),
            "zuzug_aus_staat": h.previous_country,
            "wohnungsgeberbestaetigung": h.landlord_confirmation,
        },
        "personen": [_person_dict(p) for p in intake.persons],
    }


# ---------------------------------------------------------------- reading

class _Reader:
    """Collects one problem per bad field while reading; a bad field reads as its default
    so the rest of the document is still checked."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def bad(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def obj(self, value: Any, path: str, keys: tuple[str, ...],
            required: tuple[str, ...] = ()) -> dict | None:
        if not isinstance(value, dict):
            self.bad(path, "must be an object")
            return None
        for key in value:
            if key not in keys:
                shown = key if isinstance(key, str) else repr(key)
                self.bad(f"{path}.{shown}", "unknown key (allowed: " + ", ".join(keys) + ")")
        for key in required:
            if key not in value:
                self.bad(f"{path}.{key}", "missing (required)")
        return value

    def text(self, d: dict, key: str, path: str) -> str:
        value = d.get(key, "")
        if value is None:
            return ""
        if not isinstance(value, str):
            self.bad(f"{path}.{key}", "must be a string")
            return ""
        return value

    def optional_text(self, d: dict, key: str, path: str) -> str | None:
        value = d.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.bad(f"{path}.{key}", "must be a string or null")
            return None
        return value

    def texts(self, d: dict, key: str, path: str) -> list[str]:
        value = d.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.bad(f"{path}.{key}", "must be a list of strings")
            return []
        out = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                out.append(item)
            else:
                self.bad(f"{path}.{key}[{i}]", "must be a string")
        return out

    def flag(self, d: dict, key: str, path: str, nullable: bool) -> bool | None:
        value = d.get(key)
        if value is None and nullable:
            return None
        if not isinstance(value, bool):
            self.bad(f"{path}.{key}", "must be true or false" + (" or null" if nullable else ""))
            return None if nullable else False
        return value

    def full_date(self, d: dict, key: str, path: str) -> date | None:
        value = d.get(key)
        if value is None:
            return None
        parsed = _parse_date(value, partial=False)
        if parsed is None:
            self.bad(f"{path}.{key}", "must be a date like \"2026-12-01\" or null")
        return parsed

    def partial_date(self, d: dict, key: str, path: str) -> PartialDate | None:
        value = d.get(key)
        if value is None:
            return None
        parsed = _parse_date(value, partial=True)
        if parsed is None:
            self.bad(f"{path}.{key}", "must be a date like \"1980-05-17\", with 00 for an "
                                      "unknown day or month (\"1980-05-00\", \"1980-00-00\"), "
                                      "or null")
        return parsed


def _parse_date(value: Any, partial: bool):
    """A date from "YYYY-MM-DD"; with partial, 00 marks an unknown day or month (an
    unknown month means an unknown day too). None when it is not such a date."""
    if not isinstance(value, str):
        return None
    m = _DATE.match(value)
    if not m:
        return None
    year, month, day = (int(g) for g in m.groups())
    if year < 1:
        return None
    if partial and day == 0 and (month == 0 or 1 <= month <= 12):
        return PartialDate(year, month or None, None) if month else PartialDate(year)
    try:
        full = date(year, month, day)
    except ValueError:
        return None
    return PartialDate(year, month, day) if partial else full


def _address(r: _Reader, value: Any, path: str) -> Address:
    d = r.obj(value, path, _ADDRESS_KEYS)
    if d is None:
        return Address()
    return Address(street=r.text(d, "strasse", path), house_number=r.text(d, "hausnummer", path),
                   flat=r.text(d, "zusatz", path), postcode=r.text(d, "postleitzahl", path),
                   city=r.text(d, "wohnort", path))


def _household(r: _Reader, value: Any, path: str) -> Household:
    d = r.obj(value, path, _HOUSEHOLD_KEYS)
    if d is None:
        return Household()
    previous = d.get("bisherige_anschrift")
    return Household(
        move_in=r.full_date(d, "einzugsdatum", path),
        address=_address(r, d.get("anschrift", {}), f"{path}.anschrift"),
        residence_type=r.text(d, "wohnungsstatus", path),
        previous_address=(_address(r, previous, f"{path}.bisherige_anschrift")
                          if previous is not None else None),
        previous_country=r.optional_text(d, "zuzug_aus_staat", path),
        landlord_confirmation=r.flag(d, "wohnungsgeberbestaetigung", path, nullable=True),
    )


def _document(r: _Reader, value: Any, path: str) -> IdDocument | None:
    if value is None:
        return None
    d = r.obj(value, path, _DOCUMENT_KEYS)
    if d is None:
        return None
    return IdDocument(kind=r.text(d, "art", path), number=r.text(d, "seriennummer", path),
                      authority=r.text(d, "behoerde", path),
                      issued=r.full_date(d, "ausstellungsdatum", path),
                      expires=r.full_date(d, "gueltig_bis", path))


def _person(r: _Reader, value: Any, path: str) -> Person:
    d = r.obj(value, path, _PERSON_KEYS)
    if d is None:
        return Person()
    first_names = r.texts(d, "vornamen", path)
    everyday = None
    rufname = r.optional_text(d, "rufname", path)
    if rufname:
        if rufname in first_names:
            everyday = first_names.index(rufname)
        else:
            r.bad(f"{path}.rufname", "must be one of the vornamen")
    marriage_date, marriage_place = None, ""
    marriage = d.get("eheschliessung")
    if marriage is not None:
        m = r.obj(marriage, f"{path}.eheschliessung", _MARRIAGE_KEYS)
        if m is not None:
            marriage_date = r.partial_date(m, "datum", f"{path}.eheschliessung")
            marriage_place = r.text(m, "ort", f"{path}.eheschliessung")
    return Person(
        surname=r.text(d, "familienname", path),
        birth_name=r.text(d, "geburtsname", path),
        first_names=first_names,
        everyday_name=everyday,
        doctoral_degree=r.text(d, "doktorgrad", path),
        religious_name=r.text(d, "ordensname_kuenstlername", path),
        birth_date=r.partial_date(d, "geburtsdatum", path),
        birth_place=r.text(d, "geburtsort", path),
        birth_country=r.text(d, "geburtsstaat", path),
        sex=r.text(d, "geschlecht", path),
        nationalities=r.texts(d, "staatsangehoerigkeiten", path),
        marital_status=r.text(d, "familienstand", path),
        marriage_date=marriage_date,
        marriage_place=marriage_place,
        religion=r.text(d, "religion", path),
        document=_document(r, d.get("ausweisdokument"), f"{path}.ausweisdokument"),
        representatives=r.texts(d, "gesetzliche_vertreter", path),
    )


def from_dict(data: object) -> Intake:
    """An Intake from the JSON form; IntakeJsonError lists every bad field (JSON path,
    English message). Missing optional keys read as not given."""
    r = _Reader()
    top = r.obj(data, "$", _TOP_KEYS, required=("schema", "haushalt", "personen"))
    if top is None:
        raise IntakeJsonError(r.problems)
    schema = top.get("schema")
    if "schema" in top and schema != SCHEMA:
        r.bad("$.schema", f"must be \"{SCHEMA}\" (the form this kiosk reads)")
    lang = top.get("sprache", "de")
    if not isinstance(lang, str) or not _LANG.match(lang):
        r.bad("$.sprache", "must be a language code like \"de\" or \"tr\"")
        lang = "de"
    entitled = r.flag(top, "berechtigung_23_4", "$", nullable=False) \
        if "berechtigung_23_4" in top else False
    household = _household(r, top["haushalt"], "$.haushalt") if "haushalt" in top \
        else Household()
    persons: list[Person] = []
    raw_persons = top.get("personen", [])
    if not isinstance(raw_persons, list):
        r.bad("$.personen", "must be a list of persons")
    else:
        persons = [_person(r, p, f"$.personen[{i}]") for i, p in enumerate(raw_persons)]
    if r.problems:
        raise IntakeJsonError(r.problems)
    return Intake(household=household, persons=persons, entitled_for_others=bool(entitled),
                  lang=lang)
