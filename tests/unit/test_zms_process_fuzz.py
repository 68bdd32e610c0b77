"""Whatever JSON a booking system sends, reading it ends in a Booking, None or WrongShape:
never a KeyError, TypeError, OverflowError or a naive datetime."""

from __future__ import annotations

import copy

import pytest

from kiosk.appointments.zms_process import WrongShape, envelope, parse_process
from tests.fakes.zms_server import process

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12)

PATHS = [("id",), ("status",), ("authKey",), ("priority",), ("scope",), ("scope", "id"),
         ("requests",), ("requests", 0), ("requests", 0, "id"), ("appointments",),
         ("appointments", 0), ("appointments", 0, "date"), ("appointments", 0, "slotCount"),
         ("appointments", 0, "availability"),
         ("appointments", 0, "availability", "slotTimeInMinutes")]
BASE = process(4711050, "1c56", date=1_796_632_200, priority=1)


def _read(data):
    try:
        result = parse_process(data, expected_id=4711050, service_map={120703: "ausweis"},
                               scope_id=141, office_id="bb-mitte")
    except WrongShape:
        return None
    if result.booking is not None:
        assert result.booking.start.tzinfo is not None
        assert result.booking.duration_min >= 1
    return result


@hypothesis.settings(max_examples=400, deadline=None)
@hypothesis.given(st.lists(st.tuples(st.sampled_from(PATHS), JSON), min_size=1, max_size=4))
def test_changed_fields_never_escape_as_other_errors(changes):
    data = copy.deepcopy(BASE)
    for path, value in changes:
        target = data
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue   # the path no longer exists after an earlier change
    _read(data)


@hypothesis.settings(max_examples=200, deadline=None)
@hypothesis.given(JSON)
def test_any_json_as_data_or_answer(value):
    _read(value)
    try:
        envelope(value)
    except WrongShape:
        pass


def test_the_unchanged_process_reads():
    assert _read(copy.deepcopy(BASE)).booking.priority_rank == 1
