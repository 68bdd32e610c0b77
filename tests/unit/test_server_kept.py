"""The office server's short-lived caches (staff settings 1 s, the estimate's figures
5 s): read again once the time is up, and by one request at a time -- the others take
the value kept meanwhile instead of all asking the store at once."""

from __future__ import annotations

import threading

from kiosk.server.app import _CachedSettings, _Kept


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_value_is_read_again_after_its_time():
    clock = Clock()
    kept = _Kept(5.0, clock)
    reads = []

    def read():
        reads.append(clock.now)
        return len(reads)

    assert kept.get("k", read) == 1
    clock.now += 4.9
    assert kept.get("k", read) == 1
    assert kept.get("other", read) == 2  # each key its own
    clock.now += 0.1
    assert kept.get("k", read) == 3
    assert reads == [100.0, 104.9, 105.0]


def test_one_reader_at_a_time_the_others_take_the_kept_value():
    clock = Clock()
    kept = _Kept(1.0, clock)
    assert kept.get("k", lambda: "old") == "old"
    clock.now += 2.0  # expired
    inside, release = threading.Event(), threading.Event()
    reads = []

    def slow_read():
        reads.append(1)
        inside.set()
        assert release.wait(10)
        return "new"

    reader = threading.Thread(target=lambda: kept.get("k", slow_read))
    reader.start()
    assert inside.wait(10)
    # while the first request reads, the others do not ask the store
    assert [kept.get("k", slow_read) for _ in range(5)] == ["old"] * 5
    release.set()
    reader.join(10)
    assert kept.get("k", slow_read) == "new" and len(reads) == 1


def test_a_failed_read_lets_the_next_request_read():
    clock = Clock()
    kept = _Kept(1.0, clock)

    def failing():
        raise OSError("down")

    try:
        kept.get("k", failing)
    except OSError:
        pass
    assert kept.get("k", lambda: "up") == "up"


def test_staff_settings_read_again_after_a_second():
    class Staff:
        calls = 0

        def settings(self):
            Staff.calls += 1
            return {"closed": Staff.calls}

    clock = Clock()
    cached = _CachedSettings(Staff(), monotonic=clock)
    assert cached.settings() == cached.settings() == {"closed": 1}
    clock.now += 1.0
    assert cached.settings() == {"closed": 2}
