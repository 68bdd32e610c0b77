"""What an intake problem says to the visitor, in their language: kind, and naming what
to do ("Enter the postcode of the new flat: 5 digits."), plus each field's label for the
review page and the CLI. Never quotes what the visitor typed."""

from __future__ import annotations

import re

from kiosk.domain.intake_rules import Problem
from kiosk.i18n import N_, gettext_for

# field (path without indices) -> label
_LABELS = {
    "household.move_in": N_("Move-in date"),
    "household.address": N_("New address"),
    "household.address.street": N_("Street"),
    "household.address.house_number": N_("House number"),
    "household.address.flat": N_("Floor, flat"),
    "household.address.postcode": N_("Postcode"),
    "household.address.city": N_("City"),
    "household.residence_type": N_("Type of residence"),
    "household.previous_address": N_("Previous address in Germany"),
    "household.previous_address.street": N_("Street"),
    "household.previous_address.house_number": N_("House number"),
    "household.previous_address.flat": N_("Floor, flat"),
    "household.previous_address.postcode": N_("Postcode"),
    "household.previous_address.city": N_("City"),
    "household.previous_country": N_("Moving from abroad: country"),
    "household.landlord_confirmation": N_("Landlord's confirmation"),
    "persons": N_("Persons"),
    "entitled_for_others": N_("Permission to register the others"),
    "persons.surname": N_("Surname"),
    "persons.birth_name": N_("Birth name"),
    "persons.first_names": N_("First names"),
    "persons.everyday_name": N_("First name in everyday use"),
    "persons.doctoral_degree": N_("Doctoral degree"),
    "persons.religious_name": N_("Religious or artist's name"),
    "persons.birth_date": N_("Date of birth"),
    "persons.birth_place": N_("Place of birth"),
    "persons.birth_country": N_("Country of birth"),
    "persons.sex": N_("Sex"),
    "persons.nationalities": N_("Nationality"),
    "persons.marital_status": N_("Marital status"),
    "persons.marriage_date": N_("Date of marriage or partnership"),
    "persons.marriage_place": N_("Place of marriage or partnership"),
    "persons.religion": N_("Religious community"),
    "persons.document": N_("Identity document"),
    "persons.document.kind": N_("Type of document"),
    "persons.document.number": N_("Document number"),
    "persons.document.authority": N_("Issuing authority"),
    "persons.document.issued": N_("Date of issue"),
    "persons.document.expires": N_("Valid until"),
    "persons.representatives": N_("Legal representatives"),
}

_ENTER_POSTCODE = N_("Enter the postcode: 5 digits.")
_CHOOSE_COUNTRY = N_("Choose the country from the list.")
_NO_SUCH_DATE = N_("This date does not exist. Please check day, month and year.")
_DATE_FUTURE = N_("This date is in the future. Please check it.")

# (field, code) -> message; field "" is every field (the code's general message)
_MESSAGES = {
    ("household.move_in", "required"): N_("Enter the date you moved in."),
    ("household.move_in", "move_in_late"): N_(
        "The two weeks for registering have passed. You can still register; please "
        "check the move-in date."),
    ("household.move_in", "move_in_future"): N_(
        "This move-in date is in the future. You can only register after moving in; "
        "please check the date."),
    ("household.move_in", "move_in_far_future"): N_(
        "This move-in date is far in the future. Please check the year."),
    ("household.address.street", "required"): N_("Enter the street of the new flat."),
    ("household.address.house_number", "required"): N_(
        "Enter the house number, for example 14, 14a or 14/1."),
    ("household.address.house_number", "format"): N_(
        "Enter the house number with digits, for example 14, 14a or 14/1."),
    ("household.address.house_number", "house_number_unusual"): N_(
        "This house number looks unusual. Please check it (for example 14, 14a, 14/1 or "
        "12-14)."),
    ("household.address.postcode", "required"): N_(
        "Enter the postcode of the new flat: 5 digits."),
    ("household.address.postcode", "format"): N_(
        "Enter the postcode of the new flat: 5 digits."),
    ("household.address.postcode", "postcode_outside"): N_(
        "This postcode does not belong to this city. Please check it: you register in the "
        "town where the flat is."),
    ("household.address.postcode", "postcode_shared"): N_(
        "Most addresses with the postcode {postcode} belong to a neighbouring town. Please "
        "check that the flat is in this city."),
    ("household.address.city", "required"): N_("Enter the city of the new flat."),
    ("household.residence_type", "required"): N_(
        "Choose whether the new flat is your only, your main or a secondary residence."),
    ("household.previous_address", "required"): N_(
        "Enter your previous address in Germany, or the country you are moving from."),
    ("household.previous_address.street", "required"): N_("Enter the street."),
    ("household.previous_address.house_number", "required"): N_(
        "Enter the house number, for example 14, 14a or 14/1."),
    ("household.previous_address.house_number", "format"): N_(
        "Enter the house number with digits, for example 14, 14a or 14/1."),
    ("household.previous_address.house_number", "house_number_unusual"): N_(
        "This house number looks unusual. Please check it (for example 14, 14a, 14/1 or "
        "12-14)."),
    ("household.previous_address.postcode", "required"): _ENTER_POSTCODE,
    ("household.previous_address.postcode", "format"): _ENTER_POSTCODE,
    ("household.previous_address.city", "required"): N_("Enter the city."),
    ("household.previous_country", "format"): _CHOOSE_COUNTRY,
    ("household.previous_country", "previous_country_de"): N_(
        "You are moving within Germany: enter your previous address instead of a country."),
    ("household.previous_country", "previous_both"): N_(
        "Enter either your previous address in Germany or the country you are moving "
        "from, not both."),
    ("persons", "required"): N_("Add at least one person."),
    ("entitled_for_others", "required"): N_(
        "Please confirm that you are entitled to register the other persons."),
    ("persons.surname", "required"): N_(
        "Enter the surname as written in the passport or identity card."),
    ("persons.first_names", "required"): N_(
        "Enter the first names as written in the passport or identity card."),
    ("persons.everyday_name", "format"): N_("Mark one of the first names."),
    ("persons.doctoral_degree", "format"): N_(
        "Enter the degree as written in the identity card, for example Dr. or Dr. med."),
    ("persons.birth_date", "required"): N_(
        "Enter the date of birth. If you do not know the day or the month, leave it "
        "empty."),
    ("persons.birth_date", "format"): _NO_SUCH_DATE,
    ("persons.birth_date", "date_future"): N_(
        "The date of birth is in the future. Please check it."),
    ("persons.birth_date", "age_over_120"): N_(
        "This person would be very old. Please check the year of birth."),
    ("persons.birth_place", "required"): N_("Enter the place of birth."),
    ("persons.birth_country", "required"): N_("Choose the country of birth."),
    ("persons.birth_country", "format"): _CHOOSE_COUNTRY,
    ("persons.sex", "required"): N_("Choose the sex as entered in the identity card or "
                                    "passport."),
    ("persons.nationalities", "required"): N_(
        "Choose at least one nationality (or: stateless, unknown)."),
    ("persons.nationalities", "format"): N_("Choose the nationality from the list."),
    ("persons.nationalities", "too_many"): N_(
        "Too many nationalities. The highest number that can be registered: {max}."),
    ("persons.nationalities", "duplicate"): N_("A nationality is chosen twice."),
    ("persons.nationalities", "nationality_conflict"): N_(
        "\"Stateless\" or \"unknown\" cannot be combined with a nationality."),
    ("persons.marital_status", "required"): N_("Choose the marital status."),
    ("persons.marriage_date", "required"): N_(
        "Enter the date of the marriage or partnership. If you do not know the day or "
        "the month, leave it empty."),
    ("persons.marriage_date", "format"): _NO_SUCH_DATE,
    ("persons.marriage_place", "required"): N_(
        "Enter the place of the marriage or partnership."),
    ("persons.religion", "required"): N_("Choose a religious community, or \"none\"."),
    ("persons.document", "document_missing"): N_(
        "No identity document is entered. Please bring your passport or identity card to "
        "the counter."),
    ("persons.document.kind", "required"): N_("Choose the type of identity document."),
    ("persons.document.number", "required"): N_(
        "Enter the document number as printed in the document."),
    ("persons.document.number", "format"): N_(
        "Enter the document number with the letters A to Z and digits only."),
    ("persons.document.authority", "required"): N_(
        "Enter the authority that issued the document."),
    ("persons.document.issued", "required"): N_("Enter the date of issue."),
    ("persons.document.expires", "required"): N_("Enter the date until which the document "
                                                 "is valid."),
    ("persons.document.expires", "date_order"): N_(
        "The document would expire before it was issued. Please check both dates."),
    ("persons.document.expires", "document_expired"): N_(
        "This document has expired. Please bring a valid document to the counter if you "
        "have one."),
    ("persons.representatives", "required"): N_(
        "A person under 18 needs a legal representative (parent or guardian). Enter the "
        "name."),
    # general messages
    ("", "required"): N_("Please fill in this field."),
    ("", "format"): N_("Please check this entry."),
    ("", "not_latin"): N_(
        "Please use Latin letters, as written in your passport (letters such as ä, ç, š "
        "are fine)."),
    ("", "too_long"): N_("This is too long. The highest number of characters: {max}."),
    ("", "too_many"): N_("Too many entries. The highest number: {max}."),
    ("", "date_future"): _DATE_FUTURE,
    ("", "date_order"): N_("Please check the order of the dates."),
    ("", "day_without_month"): N_(
        "A day without a month is not possible. Enter the month too, or leave the day "
        "empty."),
    ("", "no_such_date"): _NO_SUCH_DATE,
}
_FALLBACK = ("", "format")

_INDEX = re.compile(r"\[\d+\]")


def field_of(path: str) -> str:
    """The field a path names, without indices: "persons[1].first_names[0]" ->
    "persons.first_names"."""
    return _INDEX.sub("", path)


def field_label(path: str, lang: str) -> str:
    """The field's label in lang ("Postcode"); the path itself for an unknown field."""
    msgid = _LABELS.get(field_of(path))
    return gettext_for(lang)(msgid) if msgid else path


def problem_text(problem: Problem, lang: str) -> str:
    """A kind message naming what to do, in lang; never raises (an unknown code gets the
    general "please check this entry")."""
    field = field_of(problem.path)
    msgid = (_MESSAGES.get((field, problem.code)) or _MESSAGES.get(("", problem.code))
             or _MESSAGES[_FALLBACK])
    text = gettext_for(lang)(msgid)
    values = {k: v for k, v in problem.params if isinstance(k, str) and isinstance(v, str)}
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        # a translation's placeholder without its value: the English one is complete
        try:
            return msgid.format(**values)
        except (KeyError, IndexError, ValueError):
            return gettext_for(lang)(_MESSAGES[_FALLBACK])


def all_msgids() -> list[str]:
    """Every msgid of this module (for the strings file and its test)."""
    return list(dict.fromkeys(list(_LABELS.values()) + list(_MESSAGES.values())))
