"""Device tokens of the office server in memory: a known token is answered without
reading the file, the file is looked at again at most once per check interval (a
removed token stops working by then), and a token added meanwhile is taken at once."""

from __future__ import annotations

import json

from kiosk.server.auth import Device, TokenFile, WrongTokenLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_removed_token_stops_working_after_the_check_interval(tmp_path):
    clock = Clock()
    path = tmp_path / "tokens.json"
    server = TokenFile(path, check_s=1.0, monotonic=clock)
    operator = TokenFile(path)  # `kiosk serve token ...`: another process
    token = operator.add("hall-tv", "board")
    assert server.device(token) == Device("hall-tv", "board")
    operator.remove("hall-tv")
    clock.now += 0.5  # within the interval: the answer in memory
    assert server.device(token) == Device("hall-tv", "board")
    clock.now += 0.5  # the interval has passed: the file is looked at again
    assert server.device(token) is None


def test_file_is_read_once_while_it_does_not_change(tmp_path, monkeypatch):
    clock = Clock()
    path = tmp_path / "tokens.json"
    tokens = TokenFile(path, monotonic=clock)
    token = tokens.add("t1", "terminal")
    reads = []
    real_read = TokenFile._read
    monkeypatch.setattr(TokenFile, "_read", lambda self: reads.append(1) or real_read(self))
    for _ in range(3):
        clock.now += 2.0
        assert tokens.device(token) == Device("t1", "terminal")
    assert len(reads) == 1  # stat only: the file is the same
    data = json.loads(path.read_text())
    data["tokens"][0]["role"] = "counter"  # changed by hand: same size, new inode
    tmp = path.with_name("edited.json")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)
    clock.now += 2.0
    assert tokens.device(token) == Device("t1", "counter")
    assert len(reads) == 2


def test_token_added_by_another_process_works_at_the_next_request(tmp_path):
    clock = Clock()
    path = tmp_path / "tokens.json"
    server = TokenFile(path, monotonic=clock)
    first = server.add("t1", "terminal")
    assert server.device(first) is not None  # the file was just looked at
    second = TokenFile(path).add("t2", "terminal")
    assert server.device(second) == Device("t2", "terminal")  # no interval waited
    assert server.device("not a token") is None


def test_limiter_counts_only_clients_that_sent_wrong_tokens():
    clock = Clock()
    limiter = WrongTokenLimiter(limit=2, window_s=60.0, monotonic=clock)
    assert limiter.blocked_for("10.0.0.1") == 0.0
    limiter.wrong("10.0.0.1")
    limiter.wrong("10.0.0.1")
    assert limiter.blocked_for("10.0.0.1") == 60.0
    assert limiter.blocked_for("10.0.0.2") == 0.0
    clock.now += 61
    assert limiter.blocked_for("10.0.0.1") == 0.0
