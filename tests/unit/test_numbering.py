"""Ticket numbers and the business day they belong to."""

from datetime import datetime, timezone

import pytest

from kiosk.domain.clock import business_day
from kiosk.domain.numbering import format_number, parse_number, spoken_number


def test_number_is_prefix_and_three_digits():
    assert format_number("A", 17) == "A017"
    assert format_number("Z", 999) == "Z999"


@pytest.mark.parametrize("sequence", [0, 1000, -1])
def test_sequence_outside_three_digits_is_refused(sequence):
    with pytest.raises(ValueError):
        format_number("A", sequence)


@pytest.mark.parametrize("typed,expected", [("A017", ("A", 17)), ("a 17", ("A", 17)),
                                            (" b5 ", ("B", 5))])
def test_staff_may_type_numbers_loosely(typed, expected):
    assert parse_number(typed) == expected


def test_garbage_is_not_a_number():
    with pytest.raises(ValueError):
        parse_number("17A")


def test_spoken_form_drops_leading_zeros():
    assert spoken_number("A017") == "A 17"


def test_business_day_turns_at_midnight_berlin_not_utc():
    # 23:30 UTC on 24 Nov is already 00:30 on 25 Nov in Stuttgart (CET, UTC+1)
    assert business_day(datetime(2026, 11, 24, 22, 59, tzinfo=timezone.utc)).day == 24
    assert business_day(datetime(2026, 11, 24, 23, 0, tzinfo=timezone.utc)).day == 25
    # summer time: UTC+2
    assert business_day(datetime(2026, 7, 1, 21, 59, tzinfo=timezone.utc)).day == 1
    assert business_day(datetime(2026, 7, 1, 22, 0, tzinfo=timezone.utc)).day == 2


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError):
        business_day(datetime(2026, 11, 24, 8, 0))
