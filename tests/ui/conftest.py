"""Headless Kivy for UI tests: one offscreen window per test process (real pixels via
SDL offscreen + Mesa), a fresh app per test attached to it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kiosk import kivy_env

WIDTH, HEIGHT = 1280, 720
kivy_env.prepare(WIDTH, HEIGHT, fullscreen=False, headless=True)
# kiosk.app configures Kivy's window (size, no multisampling) at import: before any test
# module imports kivy.core.window, which opens the window with what is configured then
# (the layout sweep collected first opened Kivy's default: 800x600, multisampled)
import kiosk.app  # noqa: E402,F401
from kivy.clock import Clock  # noqa: E402

# Kivy's clock sleeps at every tick until 1/60 s has passed since the last one (config
# `maxfps`, read once when the clock is made: Config.set cannot change it any more). The
# tests step frames by hand and wait for events by the wall clock (wait_until), never by
# counting frames, so the frames run back to back: the same frames, none of the sleeps
# (one layout sweep case over 3 languages: 18.3 s with them, 10.9 s to 13.3 s without).
Clock._max_fps = 0

pytestmark = pytest.mark.ui


class Ticks:
    """Monotonic time the idle tests move by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def ui_config(config):
    screen = dataclasses.replace(config.screen, width_px=WIDTH, height_px=HEIGHT)
    return dataclasses.replace(config, screen=screen)


def detach(app) -> None:
    """Take a test's app off the window, the way every UI fixture ends one. The app does
    the work its last changes left for the next frame first (a toggled text size
    refreshes the screens then): run after detach(), that work found no running app but
    this one, bound kv's `app` to it for good, and every later app's buttons called the
    old app (after the layout sweep's toggle test, Back on the scan screen did nothing)."""
    from tests.ui.sweep import layout_frame

    if app.root is not None and app.root.parent is not None:
        layout_frame()  # the clock's work for the next frame, without drawing it
        layout_frame()
    app.detach()


@pytest.fixture
def make_app(tmp_path, ui_config, ticks):
    from kiosk.app import KioskApp, start_embedded
    from kiosk.services.issue_ticket import TicketService
    from kiosk.store.sqlite import SqliteStore
    from kiosk.wiring import build_printer

    made = []

    def make(printer_config=None, config=None):
        config = config or ui_config
        store = SqliteStore(tmp_path / f"ui-{len(made)}.sqlite3", terminal_id="ui")
        printer = build_printer(printer_config or config.printer)
        app = KioskApp(config, TicketService(config, store, printer), monotonic=ticks)
        app.store = store
        made.append(app)
        return start_embedded(app)

    yield make
    for app in made:
        detach(app)
        app.store.close()


def screenshot(app, path: Path):
    from PIL import Image

    from kiosk.app import export_png

    export_png(app, path)
    return Image.open(path).convert("RGB")
