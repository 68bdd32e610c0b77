"""The intake's code lists with labels in the visitor's language: sex, marital status,
religion, document and residence type through gettext; countries and nationalities by
their CLDR names (Babel), searchable in the visitor's language and in German."""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Iterable

from kiosk.domain.intake_rules import NATIONALITY_UNKNOWN, STATELESS, IntakeRules
from kiosk.i18n import N_, gettext_for

# msgids; the German catalog holds the code list's German labels
_LABELS: dict[str, tuple[tuple[str, str], ...]] = {
    "sex": (
        ("w", N_("female")),
        ("m", N_("male")),
        ("d", N_("diverse")),
        ("x", N_("not specified")),
        ("unknown", N_("unknown")),
    ),
    "marital": (
        ("LD", N_("single")),
        ("VH", N_("married")),
        ("VW", N_("widowed")),
        ("GS", N_("divorced")),
        ("EA", N_("marriage annulled")),
        ("LP", N_("registered civil partnership")),
        ("LV", N_("civil partner deceased")),
        ("LA", N_("civil partnership dissolved")),
        ("LE", N_("civil partner declared dead")),
        ("NB", N_("not known")),
    ),
    "religion": (
        ("rk", N_("Roman Catholic")),
        ("ev", N_("Protestant")),
        ("ak", N_("Old Catholic")),
        ("iw", N_("Jewish: Israelite Religious Community of Württemberg")),
        ("ib", N_("Jewish: Israelite Religious Community of Baden")),
        ("fb", N_("Free Religious Community of Baden")),
        ("oa", N_("none (no public-law religious community)")),
    ),
    # the documents visitors really carry first; DSMeld codes
    "document": (
        ("09", N_("German identity card")),
        ("01", N_("German passport")),
        ("07", N_("Foreign passport or identity card")),
        ("12", N_("Identity card of another EU country")),
        ("05", N_("Travel document for refugees or foreigners (German)")),
        ("08", N_("Travel document for stateless persons (German)")),
        ("03", N_("German children's passport")),
        ("10", N_("Provisional German identity card")),
        ("11", N_("Provisional German passport")),
        ("02", N_("Substitute German identity card")),
        ("14", N_("Travel document of another EU country for refugees or stateless persons")),
        ("06", N_("Other German passport or identity document")),
        ("04", N_("German official or diplomatic passport")),
        ("13", N_("Standard travel document for return")),
    ),
    "residence": (
        ("0", N_("sole residence")),
        ("1", N_("main residence")),
        ("2", N_("secondary residence")),
    ),
}
KINDS = tuple(_LABELS)

_SPECIAL = {STATELESS: N_("stateless"), NATIONALITY_UNKNOWN: N_("nationality unknown")}
_SPECIAL_DESTATIS = {STATELESS: "997", NATIONALITY_UNKNOWN: "998"}
# the Destatis names, so the German word finds them whatever the visitor's language
_SPECIAL_ALIASES = {STATELESS: ("staatenlos",), NATIONALITY_UNKNOWN: ("ungeklärt", "unbekannt")}

# CLDR territories that are no country of birth or nationality (EU, UN, "unknown region",
# pseudo-locales, and CLDR's exceptional reservations such as Canary Islands)
_NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN",
                            "XA", "XB", "ZZ"})
# names people still search by after a country was renamed
_ALIASES = {"TR": ("Turkey", "Türkei"), "CZ": ("Czech Republic", "Tschechei"),
            "MK": ("Macedonia", "Mazedonien"), "SZ": ("Swaziland", "Swasiland"),
            "CV": ("Cape Verde",), "CI": ("Ivory Coast",), "MM": ("Burma",),
            "XK": ("Kosova",)}
SEARCH_ALSO = ("de", "en")   # besides the visitor's language: German (the office) and English


def choices(kind: str, lang: str, codes: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(code, label in lang) for a code list (sex, marital, religion, document,
    residence); `codes` restricts or reorders (e.g. IntakeRules.religions); a code
    without a label of ours shows the code list's German name, else the code."""
    if kind not in _LABELS:
        raise KeyError(f"unknown code list {kind!r} (known: {', '.join(KINDS)})")
    _ = gettext_for(lang)
    labels = dict(_LABELS[kind])
    order = [c for c, _msg in _LABELS[kind]] if codes is None else list(codes)
    if codes is not None and not isinstance(codes, (list, tuple)):
        known = [c for c, _msg in _LABELS[kind] if c in order]
        order = known + sorted(c for c in order if c not in labels)
    return [(c, _(labels[c]) if c in labels else _german_label(kind, c)) for c in order]


def religion_choices(rules: IntakeRules, lang: str) -> list[tuple[str, str]]:
    """The religion answers the rules accept, ours first, "none" last."""
    rows = choices("religion", lang, rules.religions)
    return [r for r in rows if r[0] != "oa"] + [r for r in rows if r[0] == "oa"]


def label(kind: str, code: str, lang: str) -> str:
    """The label of one code ("" for an empty code, the code itself if unknown)."""
    if not code:
        return ""
    return dict(choices(kind, lang, [code]))[code]


# ---------------------------------------------------------------- code list file

@lru_cache(maxsize=1)
def codelists() -> dict:
    """kiosk/data/anmeldung-codelists.json, parsed once."""
    text = resources.files("kiosk.data").joinpath("anmeldung-codelists.json").read_text(
        encoding="utf-8")
    return json.loads(text)


def rules_for(intake_config) -> IntakeRules:
    """IntakeRules from the [intake] table with the shipped code lists as defaults."""
    return IntakeRules.from_config(intake_config, codelists())


def _german_label(kind: str, code: str) -> str:
    if kind == "religion":
        data = codelists().get("religion", {}).get("data", {})
        for group in ("tax_levying_bw", "other_codes_on_forms_nationwide", "none_codes"):
            for row in data.get(group, ()):
                if row.get("code") == code:
                    return row.get("label", code)
    return code


@lru_cache(maxsize=1)
def _destatis() -> dict[str, str]:
    data = codelists().get("nationality_examples", {}).get("data", {})
    out = {row["iso2"]: row["destatis"]
           for group in ("codes", "also_relevant_optional") for row in data.get(group, ())
           if row.get("iso2") and row.get("destatis")}
    out.update(_SPECIAL_DESTATIS)
    return out


def destatis_code(iso2: str) -> str | None:
    """The Destatis nationality key ("163" for TR, "997" stateless) when the code list
    names it; None otherwise (the counter's software maps the rest)."""
    return _destatis().get(iso2)


# ---------------------------------------------------------------- countries

# Persian and Arabic write yeh and kaf differently (ی ک / ي ك ى): the same letters for
# searching, so "سوريه" typed on an Arabic layout finds the Persian name "سوریه"
_ARABIC_FOLD = str.maketrans({"\u06cc": "\u064a", "\u0649": "\u064a", "\u06a9": "\u0643",
                              "\u200c": None})


def _fold(text: str) -> str:
    """Case- and accent-insensitive form for matching: "Türkiye" -> "turkiye",
    "İstanbul" -> "istanbul", "Weiß" -> "weiss"; Arabic vowel marks and hamza
    dropped (أ -> ا), Persian ی ک as Arabic ي ك."""
    text = text.replace("ı", "i").replace("İ", "I").translate(_ARABIC_FOLD)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed
                   if unicodedata.category(ch) != "Mn" and ch != "\u0640").strip()


@lru_cache(maxsize=None)
def _names(lang: str) -> dict[str, str]:
    """ISO alpha-2 -> the CLDR name in lang (Babel, loaded on first use: start time)."""
    import babel

    try:
        territories = babel.Locale.parse(lang).territories
    except (ValueError, babel.UnknownLocaleError):
        territories = babel.Locale.parse("en").territories
    return {code: name for code, name in territories.items()
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES}


def country_codes() -> frozenset[str]:
    """Every ISO 3166 alpha-2 code (plus XK Kosovo) a visitor can choose."""
    return frozenset(_names("en"))


def country_name(iso2: str, lang: str) -> str:
    """The country's name in lang ("Türkei" for TR in de); "stateless" and "unknown"
    translated; an unknown code is returned as it is."""
    if iso2 in _SPECIAL:
        return gettext_for(lang)(_SPECIAL[iso2])
    return _names(lang).get(iso2, iso2)


@lru_cache(maxsize=None)
def _index(lang: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(code, folded names to search) in the visitor's language, German and English."""
    langs = (lang,) + tuple(x for x in SEARCH_ALSO if x != lang)
    rows = []
    for code in sorted(_names("en")):
        names = [_names(x).get(code, "") for x in langs] + list(_ALIASES.get(code, ()))
        rows.append((code, tuple(dict.fromkeys(_fold(n) for n in names if n))))
    return tuple(rows)


def _special_index(lang: str) -> list[tuple[str, tuple[str, ...]]]:
    rows = []
    for code, msgid in _SPECIAL.items():
        names = {_fold(gettext_for(x)(msgid)) for x in (lang,) + SEARCH_ALSO} | {_fold(msgid)}
        names |= {_fold(alias) for alias in _SPECIAL_ALIASES[code]}
        rows.append((code, tuple(names)))
    return rows


def search_countries(query: str, lang: str, limit: int = 8,
                     nationality: bool = False) -> list[tuple[str, str]]:
    """(iso2, name in lang) whose name in lang, German or English matches the query,
    case- and accent-insensitively: names starting with it first, then names with a
    word starting with it, then names containing it; alphabetical within each. With
    nationality, "stateless" and "unknown" are found too."""
    q = _fold(query)
    if not q or limit <= 0:
        return []
    rows = list(_index(lang)) + (_special_index(lang) if nationality else [])
    ranked = []
    for code, names in rows:
        rank = min((0 if n.startswith(q) else 1 if f" {q}" in f" {n}".replace("-", " ")
                    else 2 if q in n else 3) for n in names)
        if q == code.casefold():
            rank = min(rank, 0)
        if rank < 3:
            ranked.append((rank, _fold(country_name(code, lang)), code))
    ranked.sort()
    return [(code, country_name(code, lang)) for _r, _n, code in ranked[:limit]]


def countries(lang: str, nationality: bool = False) -> list[tuple[str, str]]:
    """Every country (iso2, name in lang), alphabetical in lang; with nationality the
    special entries stateless and unknown come first."""
    rows = sorted(_names(lang).items(), key=lambda item: _fold(item[1]))
    special = [(c, country_name(c, lang)) for c in _SPECIAL] if nationality else []
    return special + rows
