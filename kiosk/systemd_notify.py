"""A tiny sd_notify client: tell systemd that the kiosk is ready, alive or stopping.

systemd starts a `Type=notify` service with $NOTIFY_SOCKET set to a datagram socket
(a path, or a name in the abstract namespace written with a leading '@'). The service
sends newline-separated assignments to it: READY=1 once it is up, WATCHDOG=1 at least
once per watchdog interval (`WatchdogSec=`; systemd restarts the service when the pings
stop), STOPPING=1 when it shuts down and STATUS=... as a one-line status that
`systemctl status` shows.

No dependencies (no libsystemd, no python-systemd) and no exceptions: outside systemd,
or when the socket is gone, every function returns False and the caller carries on.
A send never blocks for long: if systemd does not take the datagram within
SEND_TIMEOUT_S the message is dropped and False returned, so calling these from the UI
thread is safe.

With `NotifyAccess=main` systemd accepts messages only from the service's main process
(checked through the socket's sender credentials), so call them from the `kiosk run`
process itself, not from a helper subprocess. Threads of that process are fine.

Watchdog: `watchdog_interval_s()` returns the interval systemd expects pings in (from
$WATCHDOG_USEC, and only if $WATCHDOG_PID, when set, is this process); ping about every
half of it. Ping from the UI thread (e.g. a Kivy Clock interval) so that a frozen UI
stops pinging and systemd restarts the app.
"""

from __future__ import annotations

import os
import socket

__all__ = ["SEND_TIMEOUT_S", "notify", "ready", "status", "stopping", "watchdog_interval_s",
           "watchdog_ping"]

SEND_TIMEOUT_S = 0.5


def _socket_address() -> bytes | None:
    """$NOTIFY_SOCKET as an AF_UNIX address, or None when unset or not a unix socket."""
    value = os.environ.get("NOTIFY_SOCKET", "")
    if value.startswith("@"):  # abstract namespace: the name starts with a NUL byte
        return b"\0" + os.fsencode(value[1:])
    if value.startswith("/"):
        return os.fsencode(value)
    return None  # unset, empty, or a kind we do not speak (e.g. vsock:CID:PORT)


def notify(message: str) -> bool:
    """Send MESSAGE (e.g. "READY=1", several assignments separated by newlines).

    True when the datagram was handed to the socket; False when not running under
    systemd, the message is empty, or the send failed (socket gone, nobody listening,
    queue full for longer than SEND_TIMEOUT_S). Never raises.
    """
    address = _socket_address()
    if address is None or not message:
        return False
    try:
        data = message.encode("utf-8")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.settimeout(SEND_TIMEOUT_S)
            sock.connect(address)
            return sock.send(data) == len(data)
    except (OSError, ValueError, UnicodeError):
        return False


def ready() -> bool:
    """Startup is finished: systemd moves the service from "activating" to "active"."""
    return notify("READY=1")


def watchdog_ping() -> bool:
    """Still alive: resets systemd's watchdog timer (`WatchdogSec=`)."""
    return notify("WATCHDOG=1")


def stopping() -> bool:
    """Shutting down on purpose, so systemd does not read the silence as a hang."""
    return notify("STOPPING=1")


def status(text: str) -> bool:
    """A one-line status for `systemctl status` (newlines become spaces).

    Never put personal data here: it ends up in systemctl output and the journal.
    """
    line = " ".join(str(text).splitlines())
    return notify(f"STATUS={line}")


def watchdog_interval_s() -> float | None:
    """The watchdog interval in seconds systemd expects pings in, or None.

    None when the watchdog is off: $WATCHDOG_USEC unset, not a positive integer, or
    $WATCHDOG_PID set to another process (the variables were inherited by a child).
    Ping about every half of the returned interval.
    """
    try:
        usec = int(os.environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    pid = os.environ.get("WATCHDOG_PID")
    if pid:
        try:
            if int(pid) != os.getpid():
                return None
        except ValueError:
            return None
    return usec / 1_000_000
