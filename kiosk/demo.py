"""`kiosk demo`: the app with a simulated printer and call-up display on pseudo-terminals,
embedded SQLite and the demo configuration. Without a screen it walks through one visit
by itself (language, service, ticket, a counter calls it), saves the screenshots, the
ticket preview and the sign's picture, says where, and exits."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from kiosk import kivy_env
from kiosk.config import DisplayConfig, load_config
from kiosk.paths import config_resource, data_dir


def demo_config(out: Path, printer_link: Path, display_link: Path):
    config = load_config(config_resource("demo.toml"))
    return dataclasses.replace(
        config, printer=dataclasses.replace(config.printer, device=str(printer_link)),
        store=dataclasses.replace(config.store, path=str(out / "demo.sqlite3")),
        displays=(DisplayConfig(id="lobby", device=str(display_link), framing="alpha"),))


def run_demo(out: Path | None, windowed: bool = False, lang: str = "de") -> int:
    from kiosk.devices.display.simulator import SimDisplay
    from kiosk.devices.printer.simulator import SimPrinter

    out = (out or data_dir() / "demo").resolve()
    tickets_dir = out / "tickets"
    tickets_dir.mkdir(parents=True, exist_ok=True)
    printer_link, display_link = out / "printer.pty", out / "display.pty"
    config = demo_config(out, printer_link, display_link)
    printer = SimPrinter(out_dir=tickets_dir, pty_link=printer_link,
                         baudrate=config.printer.baudrate)
    display = SimDisplay(pty_link=display_link, framing="alpha").start()
    print(f"kiosk demo: simulated printer on {printer_link}, call-up display on "
          f"{display_link}")
    print(f"kiosk demo: printed tickets are saved in {tickets_dir}")
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
    terminal = Terminal(config)
    try:
        app = start_embedded(KioskApp(config, terminal.tickets, printer=terminal.printer))
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
        # a counter calls the number, as `kiosk call --counter 3` would
        QueueOperations(config, terminal.store).call_next("3", [service.id])
        shown = display.wait_until(lambda sim: any(ticket.number in line
                                                   for line in sim.shown), timeout_s=5)
        display.render_png(out / "display.png")
        app.detach()
    finally:
        terminal.close()
    previews = sorted((out / "tickets").glob("*.png"))
    print(f"kiosk demo: issued {ticket.number}, "
          f"{'printed' if ticket.printed else 'NOT printed'}; "
          f"call-up display shows: {' | '.join(display.shown) or 'nothing'}")
    print(f"kiosk demo: screenshots in {shots}, display picture {out / 'display.png'}")
    if previews:
        print(f"kiosk demo: ticket preview {previews[-1]}")
    return 0 if ticket.printed and previews and shown else 1
