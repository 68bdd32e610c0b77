"""What the visitor typed, by field path, applied to the draft Intake: text as typed
(trimmed), dates from day, month and year (an unknown day or month only where the law
allows it), choices as codes. Pure: no Kivy, no I/O."""

from __future__ import annotations

import re
from datetime import date

from kiosk.domain.intake import Address, IdDocument, Intake, PartialDate

# date fields where an unknown day or month is legal (00.00.1980)
PARTIAL_DATES = ("birth_date", "marriage_date")
DATE_FIELDS = ("household.move_in", "birth_date", "marriage_date", "document.issued",
               "document.expires")
_PERSON = re.compile(r"^persons\[(\d+)\]\.(.+)$")


def parse_date(day: str, month: str, year: str, partial: bool):
    """A PartialDate (partial) or date, None when nothing was typed, or a problem code."""
    day, month, year = day.strip(), month.strip(), year.strip()
    if not (day or month or year):
        return None
    from kiosk.domain.intake_rules import parse_partial_date

    parsed = parse_partial_date(day, month, year)
    if isinstance(parsed, str):
        return parsed
    if partial:
        return parsed
    full = parsed.as_date()
    return full if full is not None else "format"


def _date(raw: dict, path: str, partial: bool):
    return parse_date(raw.get(f"{path}#day", ""), raw.get(f"{path}#month", ""),
                      raw.get(f"{path}#year", ""), partial)


def apply(intake: Intake, raw: dict, path: str, date_problems: dict) -> None:
    """Copy the raw value(s) of `path` into the intake. A date that does not parse is
    left empty in the intake and its problem code put into `date_problems`."""
    date_problems.pop(path, None)
    match = _PERSON.match(path)
    if match is None:
        _apply_household(intake, raw, path, date_problems)
        return
    index, field = int(match.group(1)), match.group(2)
    if index >= len(intake.persons):
        return
    person = intake.persons[index]
    text = raw.get(path, "").strip()
    if field in DATE_FIELDS:
        value = _date(raw, path, partial=field in PARTIAL_DATES)
        if isinstance(value, str):
            date_problems[path] = value
            value = None
        if field.startswith("document."):
            setattr(_document(person), field.split(".", 1)[1], value)
            _drop_empty_document(person)
        else:
            setattr(person, field, value)
        return
    if field in ("first_names", "everyday_name"):
        person.first_names = raw.get(f"persons[{index}].first_names", "").split()
        person.everyday_name = everyday_index(
            person.first_names, raw.get(f"persons[{index}].everyday_name", ""))
    elif field == "nationalities":
        person.nationalities = [c for c in raw.get(path, "").split(",") if c]
    elif field == "representatives":
        person.representatives = [text] if text else []
    elif field.startswith("document."):
        setattr(_document(person), field.split(".", 1)[1], text)
        _drop_empty_document(person)
    else:
        setattr(person, field, text)


def everyday_index(first_names: list[str], marked: str) -> int | None:
    """The index of the marked first name (the Rufname), kept as the name itself so it
    follows the name when the first names are typed again; None when it is no longer
    among them or nothing is marked."""
    marked = marked.strip()
    return first_names.index(marked) if marked and marked in first_names else None


def _document(person) -> IdDocument:
    if person.document is None:
        person.document = IdDocument()
    return person.document


def _drop_empty_document(person) -> None:
    # nothing of the document given (a kind tapped and tapped off again): no document,
    # which the rules take as a reminder, not as four missing fields
    d = person.document
    if d is not None and not (d.kind or d.number or d.authority or d.issued or d.expires):
        person.document = None


def _apply_household(intake: Intake, raw: dict, path: str, date_problems: dict) -> None:
    household = intake.household
    text = raw.get(path, "").strip()
    if path == "household.move_in":
        value = _date(raw, path, partial=False)
        if isinstance(value, str):
            date_problems[path] = value
            value = None
        household.move_in = value if isinstance(value, date) else None
    elif path.startswith("household.address."):
        setattr(household.address, path.rsplit(".", 1)[1], text)
    elif path.startswith("household.previous_address."):
        if raw.get("household.arrival") != "germany":
            return
        if household.previous_address is None:
            household.previous_address = Address()
        setattr(household.previous_address, path.rsplit(".", 1)[1], text)
    elif path == "household.previous_country":
        if raw.get("household.arrival") != "abroad":
            return
        household.previous_country = text or None
    elif path == "household.residence_type":
        household.residence_type = text
    elif path == "household.landlord_confirmation":
        household.landlord_confirmation = {"yes": True, "no": False}.get(text)
    elif path == "household.arrival":
        # from Germany (an address) or from abroad (a country): only one is kept
        if text == "abroad":
            household.previous_address = None
            household.previous_country = raw.get("household.previous_country") or None
        elif text == "germany":
            household.previous_country = None
            household.previous_address = Address(**{
                key: raw.get(f"household.previous_address.{key}", "").strip()
                for key in ("street", "house_number", "flat", "postcode", "city")})
        else:
            household.previous_address = household.previous_country = None


def shift_persons(raw: dict, removed: int) -> dict:
    """The raw values after person `removed` left: later persons move up by one."""
    out = {}
    for key, value in raw.items():
        match = _PERSON.match(key)
        if match is None:
            out[key] = value
            continue
        index = int(match.group(1))
        if index == removed:
            continue
        if index > removed:
            key = f"persons[{index - 1}].{match.group(2)}"
        out[key] = value
    return out


def date_text(value) -> str:
    """A date as the review shows it (day.month.year, 00 for unknown parts)."""
    if value is None:
        return ""
    if isinstance(value, PartialDate):
        return value.german()
    return value.strftime("%d.%m.%Y")
