"""The country search in Arabic and Persian script: what a visitor types on the Arabic
or Persian keys finds the CLDR name, whichever of the two yeh and kaf they use."""

from __future__ import annotations

import pytest

from kiosk.services.intake_codes import search_countries


@pytest.mark.parametrize("query,lang,code", [
    ("سوريا", "ar", "SY"),        # the Arabic name as written
    ("سوریه", "fa", "SY"),        # the Persian name, Persian yeh
    ("سوريه", "fa", "SY"),        # the Persian name typed with the Arabic yeh
    ("ترکیه", "fa", "TR"),        # Persian kaf and yeh
    ("تركيه", "fa", "TR"),        # ... typed with the Arabic ones
    ("تركیا", "ar", "TR"),        # the Arabic name typed with a Persian yeh
    ("كرواسی", "fa", "HR"),       # mixed
    ("المانيا", "ar", "DE"),      # without the hamza of ألمانيا
    ("عراق", "ar", "IQ"),         # without the article of العراق
])
def test_arabic_and_persian_letters_find_the_country(query, lang, code):
    assert code in [c for c, _name in search_countries(query, lang)]
