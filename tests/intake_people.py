"""Invented people for the intake tests (placeholder names, never real-looking data)
and the strings a privacy test searches for."""

from __future__ import annotations

from datetime import date, timedelta

from kiosk.domain.intake import (Address, Household, IdDocument, Intake, PartialDate,
                                 Person)


def two_persons(today: date, lang: str = "de") -> Intake:
    household = Household(
        move_in=today - timedelta(days=3),
        address=Address("Musterstraße", "14/1", "3. OG links", "70173", "Stuttgart"),
        residence_type="0", previous_country="TR", landlord_confirmation=True)
    erika = Person(
        surname="Mustermann", birth_name="Testgeborene", first_names=["Erika", "Zeynep"],
        everyday_name=0, birth_date=PartialDate(1985, 3, 12), birth_place="Beispielstadt",
        birth_country="TR", sex="w", nationalities=["TR", "DE"], marital_status="VH",
        marriage_date=PartialDate(2010, 6), marriage_place="Hochzeitsdorf",
        religion="oa",
        document=IdDocument("01", "U7XK3PQ9Z", "Musterbehörde",
                            date(2020, 1, 15), date(2030, 1, 14)))
    max_ = Person(
        surname="Mustermann", first_names=["Maxçelik"], everyday_name=0,
        birth_date=PartialDate(1983), birth_place="Probeort", birth_country="TR",
        sex="m", nationalities=["TR"], marital_status="VH",
        marriage_date=PartialDate(2010, 6), marriage_place="Hochzeitsdorf",
        religion="oa",
        document=IdDocument("01", "T4WQ8RM2N", "Musterbehörde",
                            date(2021, 5, 2), date(2031, 5, 1)))
    return Intake(household, [erika, max_], entitled_for_others=True, lang=lang)


# everything personal in two_persons, as it could appear in a file (text, ISO and
# German dates); a privacy test greps the data folder for each
SECRETS = ["Mustermann", "Testgeborene", "Erika", "Zeynep", "Maxçelik", "Beispielstadt",
           "Probeort", "Hochzeitsdorf", "Musterstraße", "Musterbehörde", "U7XK3PQ9Z",
           "T4WQ8RM2N", "1985-03-12", "12.03.1985", "1983-00-00", "00.00.1983",
           "3. OG links"]
