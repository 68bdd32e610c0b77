"""`kiosk demo`: the app with a simulated printer and call-up display on pseudo-terminals,
embedded SQLite and the demo configuration, with a few invented bookings for today (one
an invited emergency case) and a QR key file in the demo's data folder. Without a screen
it walks through one visit by itself (language, service, ticket, a counter calls it),
checks a booking in by its QR code, saves the screenshots, the ticket previews and the
sign's picture, says where, and exits."""

from __future__ import annotations

import dataclasses
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

from kiosk import kivy_env
from kiosk.config import DisplayConfig, load_config
from kiosk.paths import config_resource, data_dir


# Invented bookings (no names anywhere): reference, service, minutes from now, rank
DEMO_BOOKINGS = (
    ("204517", "anmeldung", 0, None),
    ("204518", "ausweis", -10, None),
    ("204519", "abholung", 20, None),
    ("204520", "eat", 45, 1),          # an invited emergency case
    ("204521", "servicepoint", 120, None),
)


def demo_config(out: Path, printer_link: Path, display_link: Path):
    config = load_config(config_resource("demo.toml"))
    return dataclasses.replace(
        config, printer=dataclasses.replace(config.printer, device=str(printer_link)),
        store=dataclasses.replace(config.store, path=str(out / "demo.sqlite3")),
        displays=(DisplayConfig(id="lobby", device=str(display_link), framing="alpha"),),
        appointments=dataclasses.replace(config.appointments,
                                         key_file=str(out / "checkin.keys")))


def prepare_checkin(config, out: Path) -> Path:
    """A fresh demo key (never in the repository), the bookings for today in the demo's
    store, and a configuration file for `kiosk appointments qr` and `kiosk checkin`
    from another terminal. Returns that file."""
    from kiosk.domain.appointment import Booking, BookingStatus
    from kiosk.domain.clock import local, utc_now
    from kiosk.store.sqlite import SqliteStore

    keys = Path(config.appointments.key_file)
    keys.unlink(missing_ok=True)
    fd = os.open(keys, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write("# demo key of `kiosk demo`, made for this run only\n"
                     f"{secrets.token_hex(32)}\n")
    now = local(utc_now()).replace(second=0, microsecond=0)
    now -= timedelta(minutes=now.minute % 5)
    store = SqliteStore(config.store.path, terminal_id=config.terminal_id)
    try:
        store.import_bookings([
            Booking(ref, service, config.appointments.office_id,
                    now + timedelta(minutes=minutes), 15, BookingStatus.CONFIRMED, rank)
            for ref, service, minutes, rank in DEMO_BOOKINGS], utc_now())
    finally:
        store.close()
    text = config_resource("demo.toml").read_text(encoding="utf-8")
    text = text.replace('device = "kiosk-demo-printer"',
                        f'device = "{config.printer.device}"')
    text = text.replace('[store]\n', f'[store]\npath = "{config.store.path}"\n')
    text = text.replace('[appointments]\n', f'[appointments]\nkey_file = "{keys}"\n')
    path = out / "demo.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _describe_bookings(config, demo_toml: Path) -> None:
    from kiosk.domain.clock import local, utc_now

    now = local(utc_now()).replace(second=0, microsecond=0)
    now -= timedelta(minutes=now.minute % 5)
    listed = ", ".join(
        f"{ref} {service} {(now + timedelta(minutes=m)).strftime('%H:%M')}"
        + (" (invited emergency case)" if rank else "")
        for ref, service, m, rank in DEMO_BOOKINGS)
    print(f"kiosk demo: bookings for today: {listed}")
    print(f"kiosk demo: QR payload of a booking: kiosk appointments qr 204517 --config "
          f"{demo_toml} (add --png F for an image); or type the number at the terminal")


def run_demo(out: Path | None, windowed: bool = False, lang: str = "de") -> int:
    from kiosk.devices.display.simulator import SimDisplay
    from kiosk.devices.printer.simulator import SimPrinter

    out = (out or data_dir() / "demo").resolve()
    tickets_dir = out / "tickets"
    tickets_dir.mkdir(parents=True, exist_ok=True)
    printer_link, display_link = out / "printer.pty", out / "display.pty"
    config = demo_config(out, printer_link, display_link)
    demo_toml = prepare_checkin(config, out)
    printer = SimPrinter(out_dir=tickets_dir, pty_link=printer_link,
                         baudrate=config.printer.baudrate)
    display = SimDisplay(pty_link=display_link, framing="alpha").start()
    print(f"kiosk demo: simulated printer on {printer_link}, call-up display on "
          f"{display_link}")
    print(f"kiosk demo: printed tickets are saved in {tickets_dir}")
    _describe_bookings(config, demo_toml)
    try:
        if kivy_env.has_display():
            from kiosk.ui_runner import run_app

            print("kiosk demo: call a ticket from another terminal with "
                  f"KIOSK_CONFIG=... kiosk call --counter 3 (store: {out / 'demo.sqlite3'})")
            return run_app(config, windowed=windowed)
        return _walk_through(config, out, printer, display, lang)
    finally:
        display.close()
        printer.close()


def _walk_through(config, out: Path, printer, display, lang: str) -> int:
    kivy_env.prepare(config.screen.width_px, config.screen.height_px, fullscreen=False,
                     headless=True)
    from kiosk.app import KioskApp, export_png, find_button, start_embedded, tap, wait_until
    from kiosk.i18n import LANGUAGES
    from kiosk.services.queue_ops import QueueOperations
    from kiosk.wiring import Terminal

    print("kiosk demo: no display found, walking through one visit offscreen")
    before = {p.name for p in (out / "tickets").glob("*.png")}
    terminal = Terminal(config)
    try:
        app = start_embedded(KioskApp(config, terminal.tickets, printer=terminal.printer,
                                      check_in=terminal.checkin, scans=terminal.scans))
        shots = out / "screens"
        export_png(app, shots / "1-language.png")
        tap(find_button(app.root, LANGUAGES[lang].native_name))
        export_png(app, shots / "2-services.png")
        service = config.services[0]
        tap(find_button(app.root, service.name(lang, config.default_language)))
        ticket = app.root.get_screen("ticket")
        if not wait_until(lambda: ticket.printed is not None, timeout_s=15):
            print("kiosk demo: the ticket was not finished in time", file=sys.stderr)
            return 1
        export_png(app, shots / "3-ticket.png")
        printer.wait_for_jobs(1, timeout_s=5)
        # a counter calls the number, as `kiosk call --counter 3` would; after an earlier
        # demo run today the visitors still waiting from it come first
        counter = QueueOperations(config, terminal.store)
        for _ in range(50):
            called = counter.call_next("3", [service.id])
            if called is None or called.number == ticket.number:
                break
        shown = display.wait_until(lambda sim: any(ticket.number in line
                                                   for line in sim.shown), timeout_s=5)
        display.render_png(out / "display.png")
        checked_in = _check_in_once(config, terminal, printer)
        app.detach()
    finally:
        terminal.close()
    # this run's pictures only: an earlier run today left its own in the same folder
    previews = [p for p in sorted((out / "tickets").glob("*.png")) if p.name not in before]
    print(f"kiosk demo: issued {ticket.number}, "
          f"{'printed' if ticket.printed else 'NOT printed'}; "
          f"call-up display shows: {' | '.join(display.shown) or 'nothing'}")
    print(f"kiosk demo: screenshots in {shots}, display picture {out / 'display.png'}")
    if previews:  # the walk-in's first, then the checked-in appointment's
        print(f"kiosk demo: ticket preview {previews[0]}")
    if len(previews) > 1:
        print(f"kiosk demo: appointment ticket preview {previews[-1]}")
    return 0 if ticket.printed and previews and shown and checked_in else 1


def _check_in_once(config, terminal, printer) -> bool:
    """A booking checked in by its QR payload, as a scan would: number, slot, printed."""
    from kiosk.appointments.factory import load_keys
    from kiosk.domain.checkin_code import make_signed_code
    from kiosk.domain.clock import local
    from kiosk.services.check_in_result import CheckInOutcome

    payload = make_signed_code(DEMO_BOOKINGS[0][0], load_keys(config)[0],
                               config.appointments.office_id)
    result = terminal.checkin.check_in(payload, "de")
    if result.outcome is CheckInOutcome.ALREADY_CHECKED_IN:
        # a second demo run on the same day, in the same data folder: the scan is answered
        # with the number the booking already has, and nothing is printed twice
        print(f"kiosk demo: booking {DEMO_BOOKINGS[0][0]} was checked in by an earlier "
              f"demo run today: {result.number} again, no second ticket")
        return True
    if not result.ok:
        print(f"kiosk demo: check-in of booking {DEMO_BOOKINGS[0][0]} refused: "
              f"{result.outcome.value}", file=sys.stderr)
        return False
    report = terminal.checkin.print_ticket(result)
    printer.wait_for_jobs(2, timeout_s=5)
    print(f"kiosk demo: checked in booking {DEMO_BOOKINGS[0][0]}: {result.number}, slot "
          f"{local(result.slot).strftime('%H:%M')}, "
          f"{'printed' if report.printed else 'NOT printed'}")
    return report.printed
