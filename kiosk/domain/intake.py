"""The Anmeldung intake as plain values: a household moving into one flat and the 1..N
persons registering there (§ 3 BMG fields only). Shared by the rules, the screens, the
sealing service and the counter's export; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# version of the intake's JSON form (kiosk/domain/intake_json.py); the sealed blob and
# the counter's export carry it so an older counter can refuse a newer intake
SCHEMA = "kiosk.anmeldung/1"

MAX_NATIONALITIES = 4  # XMeld carries up to four

# residence type of the new flat (DSMeld Wohnungsstatus): 0 sole, 1 main, 2 secondary
RESIDENCE_TYPES = ("0", "1", "2")
SEXES = ("m", "w", "d", "x", "unknown")
MARITAL_STATUSES = ("LD", "VH", "VW", "GS", "EA", "LP", "LV", "LA", "LE", "NB")
MARRIED = ("VH", "LP")  # date and place of marriage (or partnership) are asked


@dataclass(frozen=True)
class PartialDate:
    """A date whose day or month may be unknown (legal on a Meldeschein: 00.00.1980).
    None means unknown; a year is always known when the date is given at all."""
    year: int
    month: int | None = None
    day: int | None = None

    def iso(self) -> str:
        """"1980-00-00" style: zeros for the unknown parts (the JSON form)."""
        return f"{self.year:04d}-{self.month or 0:02d}-{self.day or 0:02d}"

    def german(self) -> str:
        """"00.00.1980" style, as the form prints it."""
        return f"{self.day or 0:02d}.{self.month or 0:02d}.{self.year:04d}"

    def as_date(self) -> date | None:
        """The full date when day and month are known, else None."""
        if self.month is None or self.day is None:
            return None
        return date(self.year, self.month, self.day)


@dataclass
class Address:
    """A flat in Germany as people write it; house_number keeps forms like 14/1, 12a,
    12-14 as typed (the rules only warn about unusual ones)."""
    street: str = ""
    house_number: str = ""
    flat: str = ""        # floor / flat / addition ("3. OG links", "Hinterhaus")
    postcode: str = ""
    city: str = ""


@dataclass
class Household:
    move_in: date | None = None
    address: Address = field(default_factory=Address)
    residence_type: str = ""          # one of RESIDENCE_TYPES; "" not yet answered
    # where they lived before: an address in Germany, or the country (ISO 3166 alpha-2,
    # never "DE") when they arrive from abroad; exactly one of the two is given
    previous_address: Address | None = None
    previous_country: str | None = None
    landlord_confirmation: bool | None = None  # § 19 BMG paper present (None: not asked)


@dataclass
class IdDocument:
    kind: str = ""        # DSMeld Pass- und Ausweisdokumente code ("09" Personalausweis)
    number: str = ""
    authority: str = ""
    issued: date | None = None
    expires: date | None = None


@dataclass
class Person:
    surname: str = ""
    birth_name: str = ""              # only if different from the surname
    first_names: list[str] = field(default_factory=list)
    everyday_name: int | None = None  # index into first_names of the Rufname, if marked
    doctoral_degree: str = ""
    religious_name: str = ""          # religious or artist's name (optional)
    birth_date: PartialDate | None = None
    birth_place: str = ""
    birth_country: str = ""           # ISO 3166 alpha-2 ("DE" for Germany)
    sex: str = ""                     # one of SEXES
    nationalities: list[str] = field(default_factory=list)  # ISO alpha-2, 1..4
    marital_status: str = ""          # one of MARITAL_STATUSES
    marriage_date: PartialDate | None = None   # when married / in a partnership
    marriage_place: str = ""
    religion: str = ""                # a church-tax community code, or "oa" (none)
    document: IdDocument | None = None
    # names of the legal representatives of a minor (parents, guardian), as written
    representatives: list[str] = field(default_factory=list)


@dataclass
class Intake:
    household: Household = field(default_factory=Household)
    persons: list[Person] = field(default_factory=list)
    # § 23(4) BMG: the person filling in confirms they may register the others
    entitled_for_others: bool = False
    lang: str = "de"                  # the visitor's language (for the counter's info)
