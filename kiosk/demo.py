"""`kiosk demo`: the app with a simulated printer on a pseudo-terminal, embedded SQLite
and the demo configuration. Without a screen it walks through one visit by itself,
saves the screenshots and the ticket preview, says where, and exits."""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

from kiosk import kivy_env
from kiosk.config import load_config
from kiosk.paths import config_resource, data_dir


def run_demo(out: Path | None, windowed: bool = False, lang: str = "de") -> int:
    from kiosk.devices.printer.simulator import SimPrinter

    out = (out or data_dir() / "demo").resolve()
    tickets_dir = out / "tickets"
    tickets_dir.mkdir(parents=True, exist_ok=True)
    config = load_config(config_resource("demo.toml"))
    link = out / "printer.pty"
    printer = SimPrinter(out_dir=tickets_dir, pty_link=link, baudrate=config.printer.baudrate)
    config = dataclasses.replace(
        config, printer=dataclasses.replace(config.printer, device=str(link)),
        store=dataclasses.replace(config.store, path=str(out / "demo.sqlite3")))
    print(f"kiosk demo: simulated printer on {link}; tickets are saved in {tickets_dir}")
    try:
        if kivy_env.has_display():
            from kiosk.ui_runner import run_app

            return run_app(config, windowed=windowed)
        return _walk_through(config, out, printer, lang)
    finally:
        printer.close()


def _walk_through(config, out: Path, printer, lang: str) -> int:
    kivy_env.prepare(config.screen.width_px, config.screen.height_px, fullscreen=False,
                     headless=True)
    from kiosk.app import KioskApp, export_png, find_button, start_embedded, tap, wait_until
    from kiosk.i18n import LANGUAGES
    from kiosk.wiring import ticket_service

    print("kiosk demo: no display found, walking through one visit offscreen")
    app = start_embedded(KioskApp(config, ticket_service(config)))
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
    time.sleep(0.1)
    previews = sorted((out / "tickets").glob("*.png"))
    print(f"kiosk demo: issued {ticket.number}, "
          f"{'printed' if ticket.printed else 'NOT printed'}")
    print(f"kiosk demo: screenshots in {shots}")
    if previews:
        print(f"kiosk demo: ticket preview {previews[-1]}")
    return 0 if ticket.printed and previews else 1
