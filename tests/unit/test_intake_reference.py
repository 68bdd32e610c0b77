"""The intake reference code: alphabet, check character, normalisation of typed and
scanned input (table tests), and that every single substitution and every swap of
neighbours is caught (exhaustively over sample codes, and as a property)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.intake_reference import (ALPHABET, LENGTH, RANDOM_BYTES, display,
                                           new_reference, normalize)

SAMPLE = new_reference(bytes(range(1, 9)))


def test_alphabet_has_no_ambiguous_characters():
    assert not set("01ILOUV") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 29


def test_new_reference_is_valid_and_depends_on_the_bytes():
    assert len(SAMPLE) == LENGTH and set(SAMPLE) <= set(ALPHABET)
    assert normalize(SAMPLE) == SAMPLE
    assert new_reference(bytes(8)) != new_reference(b"\x00" * 7 + b"\x01")


def test_too_few_random_bytes_are_refused():
    with pytest.raises(ValueError):
        new_reference(b"\x01" * (RANDOM_BYTES - 1))


@pytest.mark.parametrize("typed", [
    lambda r: r, lambda r: r.lower(), lambda r: display(r), lambda r: display(r).lower(),
    lambda r: " ".join(r), lambda r: f"  {r[:3]} {r[3:6]}-{r[6:]}\n",
    lambda r: r[:5] + "–" + r[5:],   # an en dash from a word processor
    lambda r: "".join(chr(ord(c) + 0xFEE0) for c in r),   # full-width (an IME)
])
def test_normalize_accepts_typed_forms(typed):
    assert normalize(typed(SAMPLE)) == SAMPLE


@pytest.mark.parametrize("typed", [
    "", "-", SAMPLE[:-1], SAMPLE + "A", SAMPLE[:-1] + "0", "O" + SAMPLE[1:],
    "x" * 65, None, 12345, SAMPLE.replace(SAMPLE[0], "\x00", 1),
])
def test_normalize_refuses(typed):
    assert normalize(typed) is None


def test_display_groups():
    assert display(SAMPLE) == SAMPLE[:5] + "-" + SAMPLE[5:]
    assert normalize(display(SAMPLE)) == SAMPLE


def _errors(ref: str):
    for i, c in enumerate(ref):
        for other in ALPHABET:
            if other != c:
                yield ref[:i] + other + ref[i + 1:]
    for i in range(len(ref) - 1):
        if ref[i] != ref[i + 1]:
            yield ref[:i] + ref[i + 1] + ref[i] + ref[i + 2:]


@pytest.mark.parametrize("seed", range(20))
def test_every_substitution_and_adjacent_swap_is_caught(seed):
    ref = new_reference(bytes([seed * 7 % 256] * 4 + [seed, 3, 5, seed * 11 % 256]))
    for wrong in _errors(ref):
        assert normalize(wrong) is None, wrong


@given(st.binary(min_size=RANDOM_BYTES, max_size=16),
       st.integers(0, LENGTH - 1), st.sampled_from(ALPHABET), st.integers(0, LENGTH - 2))
def test_property_errors_are_caught(random, pos, char, swap):
    ref = new_reference(random)
    assert normalize(ref) == ref
    if ref[pos] != char:
        assert normalize(ref[:pos] + char + ref[pos + 1:]) is None
    if ref[swap] != ref[swap + 1]:
        assert normalize(ref[:swap] + ref[swap + 1] + ref[swap] + ref[swap + 2:]) is None


@given(st.text(max_size=80))
def test_property_normalize_never_crashes(text):
    result = normalize(text)
    assert result is None or (len(result) == LENGTH and normalize(result) == result)
