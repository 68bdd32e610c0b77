"""`kiosk appointments ...`: the commands around bookings (`qr`: the signed QR payload of a
booking, for demos, tests and the booking side; `import`: bookings from a CSV file into
the embedded store). Registered by kiosk/cli.py."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def add_appointments_parser(sub, with_config) -> None:
    """Adds `appointments` and its subcommands to the `kiosk` parser."""
    parser = sub.add_parser("appointments", help="bookings: QR payloads, CSV import")
    commands = parser.add_subparsers(dest="appointments_command", metavar="COMMAND",
                                     required=True)

    p = with_config(commands.add_parser(
        "qr", help="the signed QR payload of a booking (or a QR image with --png)"))
    p.add_argument("reference", help="booking reference: 4 to 12 digits")
    p.add_argument("--png", metavar="FILE", help="write the QR code as a PNG image to FILE")
    p.set_defaults(func=cmd_qr)

    p = with_config(commands.add_parser(
        "import", help="import bookings from a CSV file into this terminal's store "
                       "(embedded source)"))
    p.add_argument("file", help="CSV: reference,service,office,start,duration,status"
                                "[,priority_rank]")
    p.set_defaults(func=cmd_import)


def cmd_import(args) -> int:
    """Good rows in one transaction, bad rows listed as FILE:LINE: column: problem and
    skipped; exit 1 when any row was bad or nothing could be imported."""
    import sys

    from kiosk.appointments.csv_import import CsvFileError, read_bookings
    from kiosk.cli import Failure, _load
    from kiosk.domain.clock import utc_now
    from kiosk.wiring import open_store

    config = _load(args.config)
    try:
        parsed = read_bookings(Path(args.file), [s.id for s in config.services])
    except CsvFileError as err:
        raise Failure(f"{err}; nothing imported") from None
    for problem in parsed.problems:
        print(problem, file=sys.stderr)
    store = open_store(config)
    try:
        counts = store.import_bookings(parsed.bookings, utc_now())
    finally:
        store.close()
    print(f"{args.file}: {counts['added']} added, {counts['updated']} updated, "
          f"{counts['unchanged']} unchanged, {counts['kept']} kept (already checked in)"
          + (f"; {len(parsed.problems)} bad row(s) skipped" if parsed.problems else ""))
    if parsed.problems:
        raise Failure(f"{len(parsed.problems)} bad row(s) in {args.file} skipped (listed "
                      f"above); the {len(parsed.bookings)} good row(s) were imported")
    return 0


def cmd_qr(args) -> int:
    from kiosk.appointments.keys import key_file_path, load_keys
    from kiosk.cli import UsageError, _load
    from kiosk.config_reader import ConfigError, Problem
    from kiosk.domain.checkin_code import REFERENCE, make_signed_code

    if not REFERENCE.fullmatch(args.reference):
        raise UsageError("the booking reference must be 4 to 12 digits (0-9)")
    config = _load(args.config)
    appointments = config.appointments
    path = key_file_path(config)
    if path is None:
        raise ConfigError([Problem(config.source, None, None, "appointments.key_file is not "
                                   "set: signed QR codes need the key file")])
    try:
        # the newest key (the first line) signs; older ones are only accepted
        payload = make_signed_code(args.reference, load_keys(path)[0], appointments.office_id)
    except ValueError as err:  # the office id cannot be part of a code
        raise ConfigError([Problem(config.source, None, None,
                                   f"appointments.office_id: {err}")]) from None
    if args.png:
        out = Path(args.png)
        _write_png(payload, out)
        print(out)
    else:
        print(payload)
    return 0


def _write_png(payload: str, out: Path) -> None:
    """A QR code in alphanumeric mode (our payload is upper case by design), written to a
    temporary file in the same folder and renamed, so FILE is never half written. The
    file is readable by its owner only: the code checks a booking in."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    from kiosk.cli import Failure

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    qr.add_data(payload)
    qr.make(fit=True)
    image = qr.make_image(fill_color="black", back_color="white")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".qr-", suffix=".png", dir=out.parent)
        with os.fdopen(fd, "wb") as handle:
            image.save(handle, format="PNG")
        os.replace(tmp, out)
    except OSError as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise Failure(f"{out}: cannot write the image: {err.strerror or err}") from None
