"""The start screen's fonts are found in their fontpkg data packages directly (fontpkg's
own lookup scans every installed distribution), and they are the very files fontpkg
names; anything unexpected in a data package falls back to fontpkg."""

from __future__ import annotations

import fontpkg
import pytest

from kiosk import i18n


@pytest.fixture(autouse=True)
def fresh_cache():
    i18n.font_path.cache_clear()
    yield
    i18n.font_path.cache_clear()


@pytest.mark.parametrize("code,family", [("de", "Noto Sans"), ("el", "Noto Sans"),
                                         ("ar", "Noto Sans Arabic"),
                                         ("fa", "Noto Sans Arabic")])
def test_the_same_file_fontpkg_names(code, family):
    assert i18n.font_path(code) == str(fontpkg.path(family))


def test_an_unknown_language_gets_the_latin_font():
    assert i18n.font_path("xx") == str(fontpkg.path("Noto Sans"))


@pytest.mark.parametrize("package,family", [
    ("no_such_font_package", "Noto Sans"),  # not installed
    ("fontpkg_noto_sans_arabic", "Noto Sans"),  # a package of another family
    ("json", "Noto Sans"),  # no metadata.json
])
def test_anything_unexpected_falls_back_to_fontpkg(monkeypatch, package, family):
    assert i18n._packaged_font(package, family) is None
    monkeypatch.setitem(i18n.FONT_PACKAGES, "sans", package)
    assert i18n.font_path("de") == str(fontpkg.path(family))


def test_a_listed_file_that_is_missing_falls_back(monkeypatch, tmp_path):
    package = tmp_path / "fontpkg_gone"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "metadata.json").write_text(
        '{"family": "Noto Sans", "files": [{"path": "files/Gone.ttf", "style": "normal",'
        ' "weight": null, "variable": true}]}', encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert i18n._packaged_font("fontpkg_gone", "Noto Sans") is None
