"""Languages the kiosk speaks: gettext catalogs, native names, text direction and
the font that covers each script. No Kivy here; screens ask this module."""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DOMAIN = "kiosk"
SOURCE_LANGUAGE = "en"  # msgids are English; "en" still has its own catalog


@dataclass(frozen=True)
class Language:
    code: str
    native_name: str  # the language's name in its own script, never a flag
    rtl: bool
    font: str  # a key of FONT_FAMILIES


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("de", "Deutsch", False, "sans"),
        Language("en", "English", False, "sans"),
        Language("tr", "Türkçe", False, "sans"),
        Language("uk", "Українська", False, "sans"),
        Language("ar", "العربية", True, "arabic"),
        Language("fa", "فارسی", True, "arabic"),
        Language("ru", "Русский", False, "sans"),
        Language("ro", "Română", False, "sans"),
        Language("hr", "Hrvatski", False, "sans"),
        Language("it", "Italiano", False, "sans"),
        Language("el", "Ελληνικά", False, "sans"),
        Language("pl", "Polski", False, "sans"),
    )
}

# Noto Sans covers Latin, Greek and Cyrillic; Noto Sans Arabic covers Arabic,
# Persian and basic Latin (so "A017" and "Bürgerbüro" render on an Arabic screen).
FONT_FAMILIES = {"sans": "Noto Sans", "arabic": "Noto Sans Arabic"}


def _package_locales() -> list[Path]:
    # installed wheel: kiosk/locales; editable install / source tree: ../locales
    here = Path(__file__).resolve().parent
    return [here / "locales", here.parent / "locales"]


def is_rtl(code: str) -> bool:
    return LANGUAGES[code].rtl if code in LANGUAGES else False


# The fontpkg data package of each family: read directly at start (below).
FONT_PACKAGES = {"sans": "fontpkg_noto_sans", "arabic": "fontpkg_noto_sans_arabic"}


@lru_cache(maxsize=None)
def font_path(code: str) -> str:
    """Path of the font file that covers the language's script."""
    key = LANGUAGES[code].font if code in LANGUAGES else "sans"
    found = _packaged_font(FONT_PACKAGES[key], FONT_FAMILIES[key])
    if found is not None:
        return found
    import fontpkg  # the general lookup: it scans every installed distribution

    return str(fontpkg.path(FONT_FAMILIES[key]))


def _packaged_font(package: str, family: str) -> str | None:
    """The regular file of a family from its own fontpkg data package (its
    metadata.json, the format fontpkg reads), or None to ask fontpkg. fontpkg.path()
    imports importlib.metadata and reads the entry points of every installed
    distribution, twice: 30-70 ms of the start screen's first frame (issue 9 item 3)."""
    import importlib.resources
    import json

    try:
        root = importlib.resources.files(package)
        meta = json.loads((root / "metadata.json").read_text(encoding="utf-8"))
        if meta.get("family") != family:
            return None
        for entry in meta["files"]:
            # a variable font covers the regular weight; a static one must be 400
            if entry.get("style", "normal") == "normal" and (
                    entry.get("variable") or entry.get("weight") == 400):
                path = Path(str(root.joinpath(*entry["path"].split("/"))))
                return str(path) if path.is_file() else None
    except (ImportError, OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return None


def needs_arabic_font(text: str) -> bool:
    """True when the text has Arabic-script letters (Arabic, Persian)."""
    return any("\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f"
               or "\ufb50" <= ch <= "\ufefc" for ch in text)


def font_for_text(text: str) -> str:
    """Kivy has no font fallback: pick the font by the script of the text itself, so a
    Latin number on an Arabic screen keeps Noto Sans's tighter line height."""
    return font_path("ar" if needs_arabic_font(text) else "de")


def _compile_po(po_path: Path) -> gettext.GNUTranslations:
    # Fallback for a source checkout whose catalogs were never compiled.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@lru_cache(maxsize=None)
def translations(code: str) -> gettext.NullTranslations:
    """The catalog for a language; English msgids when none is found."""
    for root in _package_locales():
        mo = root / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
        po = mo.with_suffix(".po")
        # An editable install compiles .mo next to the .po once; a catalog edited since
        # then must win over that stale copy, or new strings show up in English.
        if mo.is_file() and not (po.is_file() and po.stat().st_mtime > mo.stat().st_mtime):
            with mo.open("rb") as handle:
                return gettext.GNUTranslations(handle)
        if po.is_file():
            return _compile_po(po)
    return gettext.NullTranslations()


def gettext_for(code: str):
    """A `_` function bound to one language (the UI switches per visitor)."""
    return translations(code).gettext


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message
