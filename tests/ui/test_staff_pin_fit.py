"""The staff PIN pad fits without scrolling: every digit, OK, Delete, Cancel and the
lockout's wait stay inside the window on the smallest and largest configured screens
with larger text, in the languages with the longest texts and in right-to-left ones."""

from __future__ import annotations

import pytest

from tests.ui import layout_checks, sweep
from tests.ui.conftest import detach


@pytest.fixture(scope="module")
def pad_app(tmp_path_factory):
    from kivy.core.window import Window

    from kiosk.app import KioskApp, start_embedded
    from kiosk.services.issue_ticket import TicketService
    from kiosk.store.sqlite import SqliteStore
    from kiosk.ui_runner import frozen_clock

    size = tuple(Window.size)
    config = sweep.sweep_config()
    store = SqliteStore(tmp_path_factory.mktemp("pad") / "pad.sqlite3", terminal_id="ui")
    tickets = TicketService(config, store, None, clock=lambda: sweep.SUNDAY)
    app = start_embedded(KioskApp(config, tickets, monotonic=frozen_clock()))
    yield app
    detach(app)
    store.close()
    Window.size = size  # the other UI tests expect the conftest's window


@pytest.mark.parametrize("screen_name,px,size_mm", sweep.SCREENS,
                         ids=[s[0] for s in sweep.SCREENS])
@pytest.mark.parametrize("large", [True, False], ids=["larger", "normal"])
def test_the_whole_pin_pad_is_in_view(pad_app, screen_name, px, size_mm, large):
    problems = []
    for lang in ("de", "fa", "el", "ar"):
        # twelve digits entered and the lockout's wait shown: the tallest state
        sweep.set_case(pad_app, screen_name, px, size_mm, lang, large, "staff-pin")
        sweep.settle()
        pad = pad_app.root.get_screen("staff_pin")
        assert pad_app.root.current == "staff_pin" and pad.ids.message.text
        view = pad.ids.area.ids.view
        vx0, vy0, vx1, vy1 = layout_checks.window_rect(view)
        widgets = [pad.ids.title, pad.ids.prompt, pad.ids.dots, pad.ids.message,
                   pad.ids.cancel] + list(pad.ids.keypad.children)
        for widget in widgets:
            x0, y0, x1, y1 = layout_checks.window_rect(widget)
            tol = layout_checks.TOL
            if y0 < vy0 - tol or y1 > vy1 + tol or x0 < vx0 - tol or x1 > vx1 + tol:
                name = getattr(widget, "pin_key", None) or \
                    next(k for k, v in pad.ids.items() if v is widget)
                problems.append(f"{lang}: {name} at y {y0:.0f}..{y1:.0f} outside the "
                                f"view {vy0:.0f}..{vy1:.0f}")
        if pad.ids.area.overflowing:
            problems.append(f"{lang}: the pad scrolls")
        # the keys stay touch targets
        problems += [f"{lang}: {p}" for p in layout_checks.check(pad_app)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("large", [True, False], ids=["larger", "normal"])
def test_the_menus_close_button_stays_one_line_on_a_small_screen(pad_app, large):
    """On a 10.1" screen "Close staff mode" stays one line beside the title, not a third
    of the screen's height with a word split across lines. One line: at most 26 mm (the
    20 mm target; Arabic and Persian lines are the tallest, 24.5 mm)."""
    name, px, size_mm = sweep.SCREENS[0]
    problems = []
    for lang in ("de", "fa", "el", "ar"):
        sweep.set_case(pad_app, name, px, size_mm, lang, large, "staff-menu")
        sweep.settle()
        close = pad_app.root.get_screen("staff_menu").ids.close
        mm = pad_app.px_per_mm
        if close.height > 26 * mm:
            problems.append(f"{lang}: Close is {close.height / mm:.1f} mm high "
                            f"({close.text!r})")
    assert not problems, "\n".join(problems)
