"""sd_notify client against real AF_UNIX datagram sockets standing in for systemd."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import tempfile
import time
from pathlib import Path

import pytest

from kiosk import systemd_notify as sd


class Receiver:
    """What systemd does: a bound datagram socket that reads messages with the sender's
    credentials (SO_PASSCRED), which is how `NotifyAccess=main` checks the sender."""

    def __init__(self, address: bytes) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(address)
        self.sock.settimeout(2.0)

    def receive(self) -> tuple[str, int | None]:
        """(message, sender pid)."""
        data, ancdata, _flags, _addr = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = None
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid, _uid, _gid = struct.unpack("iII", payload[:12])
        return data.decode("utf-8"), pid

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def short_dir():
    # AF_UNIX paths are limited to 107 bytes: pytest's tmp_path can be longer
    path = Path(tempfile.mkdtemp(prefix="sdn-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def systemd(short_dir, monkeypatch):
    path = short_dir / "notify"
    receiver = Receiver(os.fsencode(path))
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    yield receiver
    receiver.close()


def test_ready_watchdog_stopping_arrive_from_this_process(systemd):
    assert sd.ready() is True
    assert systemd.receive() == ("READY=1", os.getpid())
    assert sd.watchdog_ping() is True
    assert systemd.receive() == ("WATCHDOG=1", os.getpid())
    assert sd.stopping() is True
    assert systemd.receive() == ("STOPPING=1", os.getpid())


def test_status_is_one_line_utf8(systemd):
    assert sd.status("Drucker offline\nPapier prüfen") is True
    assert systemd.receive()[0] == "STATUS=Drucker offline Papier prüfen"


def test_notify_sends_several_assignments_in_one_datagram(systemd):
    assert sd.notify("READY=1\nSTATUS=läuft") is True
    assert systemd.receive()[0] == "READY=1\nSTATUS=läuft"


def test_empty_message_is_not_sent(systemd):
    assert sd.notify("") is False
    systemd.sock.settimeout(0.05)
    with pytest.raises(TimeoutError):
        systemd.receive()


def test_abstract_namespace_socket(monkeypatch):
    name = f"kiosk-test-notify-{os.getpid()}-{time.monotonic_ns()}"
    receiver = Receiver(b"\0" + name.encode())
    try:
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert sd.ready() is True
        assert receiver.receive() == ("READY=1", os.getpid())
    finally:
        receiver.close()


def test_outside_systemd_everything_returns_false(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sd.notify("READY=1") is False
    assert sd.ready() is False
    assert sd.watchdog_ping() is False
    assert sd.stopping() is False
    assert sd.status("x") is False


@pytest.mark.parametrize("value", ["", "relative/path", "vsock:2:1234"])
def test_unusable_addresses_return_false(monkeypatch, value):
    monkeypatch.setenv("NOTIFY_SOCKET", value)
    assert sd.ready() is False


def test_socket_gone_returns_false(short_dir, monkeypatch):
    path = short_dir / "notify"
    receiver = Receiver(os.fsencode(path))
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    receiver.close()  # socket file still there, nobody listening: ECONNREFUSED
    assert sd.watchdog_ping() is False
    path.unlink()  # file gone too: ENOENT
    assert sd.watchdog_ping() is False
    monkeypatch.setenv("NOTIFY_SOCKET", str(short_dir / "no-such-dir" / "notify"))
    assert sd.ready() is False


def test_full_queue_does_not_block(systemd):
    """systemd not reading (hung, or overloaded): the send gives up, never hangs the UI."""
    sent = 0
    while sd.watchdog_ping():
        sent += 1
        assert sent < 100_000, "the receive queue never filled"
    started = time.monotonic()
    assert sd.watchdog_ping() is False
    assert time.monotonic() - started < sd.SEND_TIMEOUT_S + 10.0  # hang guard, not a speed
    assert systemd.receive()[0] == "WATCHDOG=1"  # what was queued is intact


def test_watchdog_interval(monkeypatch):
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert sd.watchdog_interval_s() is None
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    assert sd.watchdog_interval_s() == 30.0  # no WATCHDOG_PID: for us
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert sd.watchdog_interval_s() == 30.0
    monkeypatch.setenv("WATCHDOG_USEC", "2500000")
    assert sd.watchdog_interval_s() == 2.5


@pytest.mark.parametrize("usec,pid", [("0", None), ("-5", None), ("soon", None), ("", None),
                                      ("30000000", "1"), ("30000000", "me")])
def test_watchdog_off(monkeypatch, usec, pid):
    monkeypatch.setenv("WATCHDOG_USEC", usec)
    if pid is None:
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
    else:
        monkeypatch.setenv("WATCHDOG_PID", pid if pid != "1" or os.getpid() != 1 else "2")
    assert sd.watchdog_interval_s() is None
