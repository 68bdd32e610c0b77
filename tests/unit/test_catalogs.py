"""Every language catalog is complete, its placeholders match, and the template is
up to date with the code (a string added without extraction fails here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kiosk.i18n import LANGUAGES, gettext_for

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "locales"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _template_ids() -> set[str]:
    return {m.id for m in _catalog(LOCALES / "kiosk.pot") if m.id}


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_catalog_is_complete_with_matching_placeholders(lang):
    catalog = _catalog(LOCALES / lang / "LC_MESSAGES" / "kiosk.po")
    messages = {m.id: m for m in catalog if m.id}
    assert set(messages) == _template_ids(), "run the Babel update (README: Translations)"
    for msgid, message in messages.items():
        assert "fuzzy" not in message.flags, f"{lang}: fuzzy {msgid!r}"
        source = msgid[-1] if isinstance(msgid, tuple) else msgid
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if isinstance(msgid, tuple):
            assert len(forms) == catalog.num_plurals, f"{lang}: plural forms of {source!r}"
        for form in forms:
            assert form, f"{lang}: untranslated {source!r}"
            assert sorted(set(PLACEHOLDER.findall(source))) == sorted(set(
                PLACEHOLDER.findall(form))), f"{lang}: placeholders differ in {source!r}"
            if lang != "en":
                assert form != source or len(source) < 4, f"{lang}: copied {source!r}"


def test_template_matches_the_code(tmp_path):
    """Extract afresh and compare: every user-facing string in the code is in the catalogs."""
    out = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    str(ROOT / "babel.cfg"), "-k", "tr", "-k", "N_", "-k", "_", "-k",
                    "ntr:1,2", "-o", str(out), str(ROOT)], check=True, capture_output=True, cwd=ROOT)
    fresh = {m.id for m in _catalog(out) if m.id}
    assert fresh == _template_ids()


def test_runtime_uses_the_catalog():
    assert gettext_for("de")("Your number") == "Ihre Nummer"
    assert gettext_for("uk")("Finish") != "Finish"


def test_a_catalog_edited_after_compiling_wins_over_the_stale_mo(tmp_path, monkeypatch):
    """GIVEN an editable install compiled kiosk.mo once WHEN a translator adds a string
    to kiosk.po later THEN the kiosk shows the new translation, not the English msgid."""
    import io
    import os

    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import write_po

    from kiosk import i18n

    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    old = Catalog(locale="de")
    old.add("Back", "Zurück")
    with (folder / "kiosk.mo").open("wb") as handle:
        write_mo(handle, old)
    new = Catalog(locale="de")
    new.add("Back", "Zurück")
    new.add("Show at the counter", "Am Schalter vorzeigen")
    buffer = io.BytesIO()
    write_po(buffer, new)
    (folder / "kiosk.po").write_bytes(buffer.getvalue())
    mo_time = (folder / "kiosk.mo").stat().st_mtime
    os.utime(folder / "kiosk.po", (mo_time + 10, mo_time + 10))

    monkeypatch.setattr(i18n, "_package_locales", lambda: [tmp_path])
    i18n.translations.cache_clear()
    try:
        assert i18n.gettext_for("de")("Show at the counter") == "Am Schalter vorzeigen"
        assert i18n.gettext_for("de")("Back") == "Zurück"
    finally:
        i18n.translations.cache_clear()
