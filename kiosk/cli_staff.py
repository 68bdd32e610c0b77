"""`kiosk staff set-pin` and `kiosk staff audit`: the staff PIN (read without echo, or
from stdin for scripts; only its argon2id hash is written) and the staff audit log."""

from __future__ import annotations

import getpass
import sys


def _read_pin() -> str:
    from kiosk.cli import Failure, UsageError

    if not sys.stdin.isatty():  # a script: one line on stdin
        line = sys.stdin.readline()
        if not line:
            raise UsageError("no PIN on stdin")
        return line.strip()
    try:
        first = getpass.getpass("New staff PIN: ")
        second = getpass.getpass("Repeat the PIN: ")
    except EOFError as err:
        raise UsageError("no PIN entered") from err
    if first != second:
        raise Failure("the two PINs differ; nothing changed")
    return first


def cmd_set_pin(args) -> int:
    from kiosk.cli import UsageError, _load
    from kiosk.services.staff import PinRefused
    from kiosk.wiring import staff_service

    config = _load(args.config)
    pin = _read_pin()
    staff = staff_service(config)
    try:
        staff.set_pin(pin)
    except PinRefused as err:
        raise UsageError(f"{err}; nothing changed") from err
    finally:
        staff.store.store.close()
    print(f"staff PIN set ({staff.pin.path})")
    return 0


def cmd_audit(args) -> int:
    from kiosk.cli import _load
    from kiosk.wiring import staff_service

    staff = staff_service(_load(args.config))
    try:
        entries = staff.store.audit_entries(args.limit)
    finally:
        staff.store.store.close()
    for at, action, terminal, detail in entries:
        print(f"{at.isoformat(timespec='seconds')} {terminal} {action}"
              + (f" {detail}" if detail else ""))
    return 0


def add_staff_parser(sub, with_config) -> None:
    staff = sub.add_parser("staff", help="staff mode: PIN and audit log")
    commands = staff.add_subparsers(dest="staff_command", required=True)
    p = with_config(commands.add_parser("set-pin", help="set the staff PIN (4-12 digits; "
                                                        "read without echo, or from stdin)"))
    p.set_defaults(func=cmd_set_pin)
    p = with_config(commands.add_parser("audit", help="print the staff audit log"))
    p.add_argument("--limit", type=int, default=1000, help="the newest N entries")
    p.set_defaults(func=cmd_audit)
