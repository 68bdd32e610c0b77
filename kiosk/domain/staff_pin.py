"""The staff PIN policy: 4 to 12 digits, and none a bystander would guess first (one digit
repeated, a run up or down such as 1234 or 9876)."""

from __future__ import annotations

MIN_DIGITS = 4
MAX_DIGITS = 12


def pin_problem(pin: str) -> str | None:
    """Why `pin` cannot be the staff PIN (English, for the operator's terminal), or None."""
    if not pin.isascii() or not pin.isdigit():
        return "the PIN must consist of digits only"
    if not MIN_DIGITS <= len(pin) <= MAX_DIGITS:
        return f"the PIN must have {MIN_DIGITS} to {MAX_DIGITS} digits"
    if len(set(pin)) == 1:
        return "the PIN must not repeat one digit (such as 0000)"
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:])}
    if steps in ({1}, {9}):
        return "the PIN must not be a run of digits (such as 1234 or 9876)"
    return None
