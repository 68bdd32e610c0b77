"""The wait estimate is computed from real data or admitted to be unknown."""

import pytest

from kiosk.domain.estimate import estimate_wait

FIVE = [300.0, 360.0, 420.0, 480.0, 600.0]  # median 420 s = 7 min


def test_estimate_is_rounds_times_median():
    # 7 ahead, 2 counters: ceil(3.5) = 4 rounds x 7 min
    assert estimate_wait(7, 2, FIVE).minutes == 28


def test_one_round_rounds_up_to_whole_minutes():
    assert estimate_wait(1, 3, [61.0] * 5).minutes == 2


@pytest.mark.parametrize("completed", [[], FIVE[:4]])
def test_fewer_than_five_completions_is_unknown(completed):
    result = estimate_wait(4, 2, completed)
    assert result.minutes is None and not result.known
    assert result.people_ahead == 4


def test_no_active_counter_is_unknown():
    assert estimate_wait(4, 0, FIVE).minutes is None


def test_nobody_ahead_with_data_means_no_wait():
    assert estimate_wait(0, 1, FIVE).minutes == 0


def test_negative_people_ahead_is_a_bug():
    with pytest.raises(ValueError):
        estimate_wait(-1, 1, FIVE)


def test_non_positive_service_times_are_not_counted():
    """A clock that jumped back between call and done leaves a zero or negative time:
    it neither drags the median down nor counts towards the five completions."""
    assert estimate_wait(2, 1, FIVE + [-3000.0, 0.0, -1.0, -2.0]).minutes == 14
    assert estimate_wait(2, 1, FIVE[:4] + [-60.0]).minutes is None
