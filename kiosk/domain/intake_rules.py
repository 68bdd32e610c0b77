"""The rules an Anmeldung intake is checked against, gently: missing required fields and
bad formats are errors at the field; plausibility (postcode outside the city, late
move-in, unusual house number, expired document ...) is a warning the visitor may
acknowledge. Pure: no gettext, no I/O, today is passed in."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable

from kiosk.domain.intake import (MARITAL_STATUSES, MARRIED, MAX_NATIONALITIES,
                                 RESIDENCE_TYPES, SEXES, Address, Household, Intake,
                                 PartialDate, Person)

# DSMeld "Pass- und Ausweisdokumente" codes 01..14 (kiosk/data/anmeldung-codelists.json)
DOCUMENT_KINDS = tuple(f"{i:02d}" for i in range(1, 15))
# church-tax communities of Baden-Württemberg (code list, marked uncertain there, hence
# IntakeRules.religions) and "oa": member of no public-law religious community
RELIGION_NONE = "oa"
DEFAULT_RELIGIONS = frozenset({"rk", "ev", "ak", "iw", "ib", "fb", RELIGION_NONE})
# nationality entries without an ISO code (Destatis 997 staatenlos, 998 ungeklärt)
STATELESS, NATIONALITY_UNKNOWN = "stateless", "unknown"
SPECIAL_NATIONALITIES = (STATELESS, NATIONALITY_UNKNOWN)

ADULT_AGE = 18
MAX_AGE = 120
# registering is done after moving in; a few days ahead is tolerated (visitors come
# before the weekend), further is a warning, and beyond that the year is mistyped
MOVE_IN_AHEAD_OK_DAYS = 7
MOVE_IN_AHEAD_MAX_DAYS = 90

# maximum lengths, after the XMeld field lengths where known (street 55)
LIMITS = {
    "name": 120,          # surname, birth name, religious/artist's name, representative
    "first_name": 80,     # each first name
    "doctoral_degree": 40,
    "place": 80,          # place of birth, place of marriage
    "street": 55,
    "house_number": 12,
    "flat": 40,
    "city": 40,
    "authority": 80,
    "document_number": 20,
}
MAX_FIRST_NAMES = 12

_POSTCODE = re.compile(r"^[0-9]{5}$")   # [0-9]: \d would take Arabic-Indic digits
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_DOCUMENT_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]*$")
# 14, 14a, 14 a, 14/1, 3b/1, 12-14, 12–14, 12a-12c: how people really write house numbers
_HN_PART = r"[0-9]{1,4}(?: ?[A-Za-z])?"
_HOUSE_NUMBER = re.compile(rf"^{_HN_PART}(?: ?/ ?[0-9]{{1,3}}[A-Za-z]?| ?[-–] ?{_HN_PART})?$")
_NAME_PUNCTUATION = " -'’ʼ"                 # Anna-Lena, O'Neill, Maria José
_PLACE_PUNCTUATION = _NAME_PUNCTUATION + ".,()/"   # St. Gallen, Frankfurt (Oder)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field. `key` is what a visitor's acknowledgement names."""
    path: str      # "household.address.postcode", "persons[1].nationalities", ...
    code: str      # stable: "required", "format", "too_long", "postcode_outside", ...
    warning: bool  # True: plausibility the visitor may acknowledge; False: must be fixed
    params: tuple[tuple[str, str], ...] = ()   # values for the message

    @property
    def key(self) -> str:
        return f"{self.path}:{self.code}"

    def param(self, name: str, default: str = "") -> str:
        return dict(self.params).get(name, default)


@dataclass(frozen=True)
class IntakeRules:
    """What the rules depend on besides the intake: the municipality's postcodes, the
    registration deadline and the religion codes offered."""
    postcodes: frozenset[str]
    late_after_days: int = 14
    # postcodes shared with a neighbour municipality (70629: airport and trade fair,
    # mostly Leinfelden-Echterdingen): a warning of their own
    shared_postcodes: frozenset[str] = frozenset()
    religions: frozenset[str] = DEFAULT_RELIGIONS

    @classmethod
    def from_config(cls, intake_config: Any, codelists: dict) -> "IntakeRules":
        """From the [intake] table (postcodes, late_after_days) and the parsed code
        lists (kiosk/data/anmeldung-codelists.json), whose Stuttgart list and church-tax
        communities are the defaults."""
        plz = codelists.get("stuttgart_postcodes", {}).get("data", {})
        configured = tuple(getattr(intake_config, "postcodes", ()) or ())
        postcodes = frozenset(configured or plz.get("residential_delivery_codes", ()))
        shared = frozenset(c["plz"] for c in plz.get("special_cases", ())
                           if "plz" in c and not configured)
        shared = shared - postcodes
        religion = codelists.get("religion", {}).get("data", {})
        religions = frozenset(c["code"] for c in religion.get("tax_levying_bw", ())
                              if "code" in c) | {RELIGION_NONE}
        return cls(postcodes=postcodes,
                   late_after_days=getattr(intake_config, "late_after_days", 14),
                   shared_postcodes=shared,
                   religions=religions if len(religions) > 1 else DEFAULT_RELIGIONS)


# ---------------------------------------------------------------- small checks

def _err(path: str, code: str, **params: object) -> Problem:
    return Problem(path, code, False, tuple((k, str(v)) for k, v in params.items()))


def _warn(path: str, code: str, **params: object) -> Problem:
    return Problem(path, code, True, tuple((k, str(v)) for k, v in params.items()))


def _blank(text: str) -> bool:
    return not text or not text.strip()


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text)


def _script_ok(text: str, punctuation: str, digits: bool) -> str | None:
    """None when the text is Latin letters (any diacritics) plus the allowed punctuation
    (and digits); "not_latin" when it has letters of another script; else "format"."""
    other_script = False
    bad = False
    for ch in unicodedata.normalize("NFC", text):
        cat = unicodedata.category(ch)
        if ch in punctuation:
            continue
        if cat.startswith("L"):
            if not unicodedata.name(ch, "").startswith("LATIN"):
                other_script = True
        elif cat == "Mn":      # a combining accent that did not compose
            continue
        elif not (digits and ch in "0123456789"):
            bad = True
    if other_script:
        return "not_latin"
    return "format" if bad else None


def _text(path: str, text: str, limit: str, *, required: bool, punctuation: str,
          digits: bool = False, must_have_letter: bool = True) -> list[Problem]:
    if _blank(text):
        return [_err(path, "required")] if required else []
    if _has_control(text):
        return [_err(path, "format")]
    if len(text) > LIMITS[limit]:
        return [_err(path, "too_long", max=LIMITS[limit])]
    code = _script_ok(text, punctuation, digits)
    if code is None and must_have_letter and not any(ch.isalpha() for ch in text):
        code = "format"
    return [_err(path, code)] if code else []


def _name(path: str, text: str, *, required: bool, limit: str = "name") -> list[Problem]:
    return _text(path, text, limit, required=required, punctuation=_NAME_PUNCTUATION)


def _place(path: str, text: str, limit: str, *, required: bool) -> list[Problem]:
    return _text(path, text, limit, required=required, punctuation=_PLACE_PUNCTUATION,
                 digits=True)


def _earliest(d: PartialDate) -> date | None:
    try:
        return date(d.year, d.month or 1, d.day or 1)
    except ValueError:
        return None


def _latest(d: PartialDate) -> date | None:
    try:
        if d.month is None:
            return date(d.year, 12, 31)
        if d.day is None:
            nxt = date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)
            return nxt - timedelta(days=1)
        return date(d.year, d.month, d.day)
    except (ValueError, OverflowError):
        return None


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _partial_ok(path: str, d: PartialDate) -> list[Problem]:
    """A PartialDate built in code may still be impossible (month 13, day without month)."""
    if not isinstance(d, PartialDate) or not isinstance(d.year, int) or d.year < 1 \
            or not (d.month is None or isinstance(d.month, int) and 1 <= d.month <= 12) \
            or not (d.day is None or isinstance(d.day, int) and 1 <= d.day <= 31) \
            or (d.day is not None and d.month is None) or _earliest(d) is None \
            or _latest(d) is None:
        return [_err(path, "format")]
    return []


def is_minor(birth: PartialDate | None, today: date) -> bool:
    """Certainly under 18 today: even the earliest birthday the date allows is < 18 years
    ago (a partly unknown date counts as minor only when every reading is)."""
    if birth is None or _partial_ok("", birth):
        return False
    earliest = _earliest(birth)
    return earliest is not None and _age(earliest, today) < ADULT_AGE


# ---------------------------------------------------------------- addresses

def house_number_problem(path: str, text: str) -> Problem | None:
    """None for the forms people really write; a warning for other forms with a digit;
    an error without any digit (or too long)."""
    stripped = text.strip()
    if not stripped:
        return _err(path, "required")
    if len(stripped) > LIMITS["house_number"]:
        return _err(path, "too_long", max=LIMITS["house_number"])
    if _has_control(stripped):
        return _err(path, "format")
    if _HOUSE_NUMBER.match(stripped):
        return None
    if any(ch in "0123456789" for ch in stripped):
        return _warn(path, "house_number_unusual")
    return _err(path, "format")


def _address(prefix: str, a: Address, rules: IntakeRules | None) -> list[Problem]:
    """The flat's address (rules given: postcode judged against the municipality) or a
    previous address in Germany (rules None)."""
    out = _place(f"{prefix}.street", a.street, "street", required=True)
    hn = house_number_problem(f"{prefix}.house_number", a.house_number)
    if hn:
        out.append(hn)
    out += _text(f"{prefix}.flat", a.flat, "flat", required=False,
                 punctuation=_PLACE_PUNCTUATION, digits=True, must_have_letter=False)
    postcode = a.postcode.strip()
    if not postcode:
        out.append(_err(f"{prefix}.postcode", "required"))
    elif not _POSTCODE.match(postcode):
        out.append(_err(f"{prefix}.postcode", "format"))
    elif rules is not None and rules.postcodes:
        if postcode in rules.shared_postcodes:
            out.append(_warn(f"{prefix}.postcode", "postcode_shared", postcode=postcode))
        elif postcode not in rules.postcodes:
            out.append(_warn(f"{prefix}.postcode", "postcode_outside", postcode=postcode))
    out += _place(f"{prefix}.city", a.city, "city", required=True)
    return out


def validate_household(h: Household, today: date, rules: IntakeRules) -> list[Problem]:
    """Move-in date, new address, residence type, where they came from."""
    out: list[Problem] = []
    if h.move_in is None:
        out.append(_err("household.move_in", "required"))
    else:
        delta = (h.move_in - today).days
        if delta > MOVE_IN_AHEAD_MAX_DAYS:
            out.append(_err("household.move_in", "move_in_far_future",
                            days=MOVE_IN_AHEAD_MAX_DAYS))
        elif delta > MOVE_IN_AHEAD_OK_DAYS:
            out.append(_warn("household.move_in", "move_in_future"))
        elif -delta > rules.late_after_days:
            out.append(_warn("household.move_in", "move_in_late", days=rules.late_after_days))
    out += _address("household.address", h.address, rules)
    if _blank(h.residence_type):
        out.append(_err("household.residence_type", "required"))
    elif h.residence_type not in RESIDENCE_TYPES:
        out.append(_err("household.residence_type", "format"))
    # an address form left empty (the visitor switched to "from abroad") is no address
    prev = h.previous_address
    has_address = prev is not None and not all(
        _blank(x) for x in (prev.street, prev.house_number, prev.flat, prev.postcode, prev.city))
    country = h.previous_country
    has_country = country is not None and not _blank(country)
    if has_address and has_country:
        out.append(_err("household.previous_country", "previous_both"))
    elif has_address:
        out += _address("household.previous_address", h.previous_address, None)
    elif has_country:
        if country == "DE":
            out.append(_err("household.previous_country", "previous_country_de"))
        elif not _COUNTRY.match(country):
            out.append(_err("household.previous_country", "format"))
    else:
        out.append(_err("household.previous_address", "required"))
    return out


# ---------------------------------------------------------------- persons

def _nationalities(path: str, codes: list[str]) -> list[Problem]:
    if not codes:
        return [_err(path, "required")]
    out: list[Problem] = []
    if len(codes) > MAX_NATIONALITIES:
        out.append(_err(path, "too_many", max=MAX_NATIONALITIES))
    if len(set(codes)) != len(codes):
        out.append(_err(path, "duplicate"))
    special = [c for c in codes if c in SPECIAL_NATIONALITIES]
    if special and len(codes) > 1:
        out.append(_err(path, "nationality_conflict"))
    for i, code in enumerate(codes):
        if code not in SPECIAL_NATIONALITIES and not (isinstance(code, str)
                                                       and _COUNTRY.match(code)):
            out.append(_err(f"{path}[{i}]", "format"))
    return out


def _document(path: str, p: Person, today: date, adult: bool) -> list[Problem]:
    d = p.document
    if d is None:
        # the identity is checked at the counter anyway; a reminder, not a dead end
        return [_warn(path, "document_missing")] if adult else []
    out: list[Problem] = []
    if _blank(d.kind):
        out.append(_err(f"{path}.kind", "required"))
    elif d.kind not in DOCUMENT_KINDS:
        out.append(_err(f"{path}.kind", "format"))
    number = d.number.strip()
    if not number:
        out.append(_err(f"{path}.number", "required"))
    elif len(number) > LIMITS["document_number"]:
        out.append(_err(f"{path}.number", "too_long", max=LIMITS["document_number"]))
    elif not _DOCUMENT_NUMBER.match(number) or not number.isascii():
        out.append(_err(f"{path}.number", "format"))
    out += _place(f"{path}.authority", d.authority, "authority", required=True)
    if d.issued is None:
        out.append(_err(f"{path}.issued", "required"))
    elif d.issued > today:
        out.append(_err(f"{path}.issued", "date_future"))
    if d.expires is None:
        out.append(_err(f"{path}.expires", "required"))
    elif d.issued is not None and d.expires < d.issued:
        out.append(_err(f"{path}.expires", "date_order"))
    elif d.expires < today:
        out.append(_warn(f"{path}.expires", "document_expired"))
    return out


def validate_person(p: Person, index: int, today: date, rules: IntakeRules,
                    move_in: date | None = None) -> list[Problem]:
    """Every field of one person (persons[index]). move_in is accepted for the agreed
    signature; no rule uses it today (a newborn may well be born after the move)."""
    pre = f"persons[{index}]"
    out = _name(f"{pre}.surname", p.surname, required=True)
    out += _name(f"{pre}.birth_name", p.birth_name, required=False)
    if not p.first_names or all(_blank(n) for n in p.first_names):
        out.append(_err(f"{pre}.first_names", "required"))
    else:
        if len(p.first_names) > MAX_FIRST_NAMES:
            out.append(_err(f"{pre}.first_names", "too_many", max=MAX_FIRST_NAMES))
        for i, name in enumerate(p.first_names):
            out += _name(f"{pre}.first_names[{i}]", name, required=True, limit="first_name")
    if p.everyday_name is not None and not 0 <= p.everyday_name < len(p.first_names):
        out.append(_err(f"{pre}.everyday_name", "format"))
    out += _text(f"{pre}.doctoral_degree", p.doctoral_degree, "doctoral_degree",
                 required=False, punctuation=_NAME_PUNCTUATION + ".")
    out += _name(f"{pre}.religious_name", p.religious_name, required=False)

    adult = True
    if p.birth_date is None:
        out.append(_err(f"{pre}.birth_date", "required"))
    elif bad := _partial_ok(f"{pre}.birth_date", p.birth_date):
        out += bad
    else:
        earliest, latest = _earliest(p.birth_date), _latest(p.birth_date)
        if earliest > today:
            out.append(_err(f"{pre}.birth_date", "date_future"))
        else:
            if _age(latest, today) > MAX_AGE:
                out.append(_warn(f"{pre}.birth_date", "age_over_120", years=MAX_AGE))
            adult = not is_minor(p.birth_date, today)
    out += _place(f"{pre}.birth_place", p.birth_place, "place", required=True)
    if _blank(p.birth_country):
        out.append(_err(f"{pre}.birth_country", "required"))
    elif not _COUNTRY.match(p.birth_country):
        out.append(_err(f"{pre}.birth_country", "format"))
    if _blank(p.sex):
        out.append(_err(f"{pre}.sex", "required"))
    elif p.sex not in SEXES:
        out.append(_err(f"{pre}.sex", "format"))
    out += _nationalities(f"{pre}.nationalities", p.nationalities)

    if _blank(p.marital_status):
        out.append(_err(f"{pre}.marital_status", "required"))
    elif p.marital_status not in MARITAL_STATUSES:
        out.append(_err(f"{pre}.marital_status", "format"))
    elif p.marital_status in MARRIED:
        # § 3(1) Nr. 14 BMG: date and place of the marriage (or partnership)
        if p.marriage_date is None:
            out.append(_err(f"{pre}.marriage_date", "required"))
        elif bad := _partial_ok(f"{pre}.marriage_date", p.marriage_date):
            out += bad
        elif _earliest(p.marriage_date) > today:
            out.append(_err(f"{pre}.marriage_date", "date_future"))
        out += _place(f"{pre}.marriage_place", p.marriage_place, "place", required=True)

    if _blank(p.religion):
        out.append(_err(f"{pre}.religion", "required"))
    elif p.religion not in rules.religions:
        out.append(_err(f"{pre}.religion", "format"))

    out += _document(f"{pre}.document", p, today, adult)

    # § 3(1) Nr. 9 BMG: the legal representatives of a minor
    reps = [r for r in p.representatives if not _blank(r)]
    if not adult and not reps:
        out.append(_err(f"{pre}.representatives", "required"))
    for i, rep in enumerate(p.representatives):
        out += _name(f"{pre}.representatives[{i}]", rep, required=True)
    return out


def validate(intake: Intake, today: date, rules: IntakeRules) -> list[Problem]:
    """Every problem of the intake: household, each person, and the § 23(4) confirmation
    when one person registers others."""
    out = validate_household(intake.household, today, rules)
    if not intake.persons:
        out.append(_err("persons", "required"))
    for i, person in enumerate(intake.persons):
        out += validate_person(person, i, today, rules, intake.household.move_in)
    if len(intake.persons) > 1 and not intake.entitled_for_others:
        out.append(_err("entitled_for_others", "required"))
    return out


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
                                   "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u00ad"))


def clean_text(text: str) -> str:
    """What the screens store for a typed field: NFC, without invisible direction and
    zero-width marks (an RTL input may add them; the visitor cannot see, so cannot fix,
    them), spaces collapsed. The rules call such marks a format error."""
    text = unicodedata.normalize("NFC", text.translate(_INVISIBLE))
    return " ".join(text.split())


def blocking(problems: Iterable[Problem], acknowledged: frozenset[str]) -> list[Problem]:
    """What still stops a submission: every error, and each warning not acknowledged."""
    return [p for p in problems if not p.warning or p.key not in acknowledged]


def parse_partial_date(day: str, month: str, year: str) -> PartialDate | str:
    """A date as typed in three boxes; an empty (or 0) day or month is unknown. Returns
    the PartialDate, or a problem code: "required" (no year), "format" (not numbers,
    year not four digits), "day_without_month", "no_such_date" (31.02.)."""
    day, month, year = (s.strip() if isinstance(s, str) else "" for s in (day, month, year))
    if not year:
        return "required"
    if not all(s.isascii() and s.isdigit() for s in (year,) + tuple(x for x in (day, month) if x)):
        return "format"
    if len(year) != 4 or len(day) > 2 or len(month) > 2:
        return "format"
    y, m, d = int(year), int(month or 0), int(day or 0)
    if y < 1:
        return "format"
    if d and not m:
        return "day_without_month"
    if m > 12:
        return "no_such_date"
    if d:
        try:
            date(y, m, d)
        except ValueError:
            return "no_such_date"
    return PartialDate(y, m or None, d or None)
