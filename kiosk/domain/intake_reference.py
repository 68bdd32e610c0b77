"""The reference code of a sealed intake: nine random characters (43.7 bits) from an
alphabet without the characters people confuse, and one check character that catches
every single wrong character and every swap of two neighbours. Pure: the randomness is
passed in."""

from __future__ import annotations

import unicodedata

# 29 symbols: 2-9 and the capitals without I L O (1 0), U V (one another). 29 is prime,
# which is what makes the check below catch every error of the two kinds.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
BASE = len(ALPHABET)
PAYLOAD = 9          # 29**9 > 2**43: enough that a guessed reference finds nothing
LENGTH = PAYLOAD + 1
RANDOM_BYTES = 8     # what callers pass; more bytes than needed keeps the modulo bias ~1e-6
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
# what people and scanners put between the groups
_SEPARATORS = str.maketrans("", "", " \t\r\n-‐‑‒–—_.")
_MAX_TYPED = 64      # screened before any other work


def _check_value(values: list[int]) -> int:
    """The check character's value: weights 2, 3, ... from the right over the payload
    and 1 for the check character make the weighted sum 0 modulo 29 (ISBN-10's scheme
    with a prime of our alphabet's size). A wrong character changes the sum by
    weight * difference, a swap of neighbours by difference (the weights differ by 1):
    neither is a multiple of the prime 29, so both are always caught."""
    total = sum(v * (len(values) + 1 - i) for i, v in enumerate(values))
    return (-total) % BASE


def new_reference(random: bytes) -> str:
    """A new reference from at least RANDOM_BYTES random bytes (secrets.token_bytes)."""
    if len(random) < RANDOM_BYTES:
        raise ValueError(f"need {RANDOM_BYTES} random bytes, got {len(random)}")
    number = int.from_bytes(random[:RANDOM_BYTES], "big") % BASE ** PAYLOAD
    values = []
    for _ in range(PAYLOAD):
        number, digit = divmod(number, BASE)
        values.append(digit)
    values.append(_check_value(values))
    return "".join(ALPHABET[v] for v in values)


def normalize(typed: str) -> str | None:
    """The reference as stored, from what was typed or scanned (any case, spaces,
    hyphens, full-width characters); None when it is not a valid reference (wrong
    length, a character outside the alphabet, or the check character does not match)."""
    if not isinstance(typed, str) or len(typed) > _MAX_TYPED:
        return None
    text = unicodedata.normalize("NFKC", typed).translate(_SEPARATORS).upper()
    if len(text) != LENGTH or any(c not in _VALUE for c in text):
        return None
    values = [_VALUE[c] for c in text]
    if _check_value(values[:PAYLOAD]) != values[PAYLOAD]:
        return None
    return text


def display(reference: str) -> str:
    """Grouped for reading aloud and typing: "K7QM4-XHPT9"."""
    return f"{reference[:5]}-{reference[5:]}"
