"""Staff mode's pure rules: the PIN policy, the lockout schedule and "for today"."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.domain.staff_lockout import (ATTEMPTS, MAX_DELAY_S, Lockout, after_failure,
                                        after_success, delay_s)
from kiosk.domain.staff_pin import pin_problem
from kiosk.domain.staff_today import in_force


@pytest.mark.parametrize("pin", ["0000", "1111", "999999", "1234", "4321", "0123",
                                 "9876", "7890", "123", "1234567890123", "12a4", "١٢٣٨",
                                 "", " 4829"])
def test_trivial_or_malformed_pins_are_refused(pin):
    assert pin_problem(pin)


@pytest.mark.parametrize("pin", ["4829", "1235", "0012", "739104", "112233445566"])
def test_ordinary_pins_pass(pin):
    assert pin_problem(pin) is None


def test_the_fifth_wrong_pin_locks_for_30_s_then_each_lock_doubles_up_to_an_hour():
    state, now = Lockout(), 1000.0
    for _ in range(ATTEMPTS - 1):
        state = after_failure(state, now)
        assert not state.locked(now)
    state = after_failure(state, now)
    assert state.remaining_s(now) == 30
    assert not state.locked(now + 30)
    waits = []
    for _ in range(10):
        now = state.until
        for _ in range(ATTEMPTS):
            state = after_failure(state, now)
        waits.append(state.remaining_s(now))
    assert waits[:3] == [60, 120, 240]
    assert waits[-1] == MAX_DELAY_S and delay_s(50) == MAX_DELAY_S
    assert after_success() == Lockout()


def test_a_damaged_stored_lockout_does_not_reset_the_count():
    state = Lockout.from_dict({"failures": "x"})
    assert after_failure(state, 0.0).locked(0.0)
    assert Lockout.from_dict(Lockout(3, 2, 99.0).as_dict()) == Lockout(3, 2, 99.0)


def test_for_today_lapses_at_the_next_business_day():
    assert in_force("2026-11-24", date(2026, 11, 24))
    assert not in_force("2026-11-24", date(2026, 11, 25))
    assert in_force(None, date(2030, 1, 1))
