"""The layout sweep: every screen x 12 languages x {normal, larger text} x {10.1" 1280x800,
21.5" 1920x1080, 21.5" portrait 1080x1920} with the hardest states (long service names,
closed / disabled / sold-out services, a refusal message, estimate known, print failed,
the idle warning), checked on the widget tree of one app changed in place."""

from __future__ import annotations

import pytest

from tests.ui import layout_checks, sweep


@pytest.fixture(scope="module")
def sweep_app(tmp_path_factory):
    from kivy.core.window import Window

    from kiosk.app import KioskApp, start_embedded
    from kiosk.services.issue_ticket import TicketService
    from kiosk.store.sqlite import SqliteStore
    from kiosk.ui_runner import frozen_clock

    size = tuple(Window.size)
    config = sweep.sweep_config()
    store = SqliteStore(tmp_path_factory.mktemp("sweep") / "sweep.sqlite3", terminal_id="ui")
    tickets = TicketService(config, store, None, clock=lambda: sweep.SUNDAY)
    app = start_embedded(KioskApp(config, tickets, monotonic=frozen_clock()))
    sweep.use_up_quota(app)
    yield app
    app.detach()
    store.close()
    Window.size = size  # the other UI tests expect the conftest's window


@pytest.mark.parametrize("screen_name,px,size_mm", sweep.SCREENS,
                         ids=[s[0] for s in sweep.SCREENS])
@pytest.mark.parametrize("large", [False, True], ids=["normal", "larger"])
def test_every_screen_fits(sweep_app, screen_name, px, size_mm, large):
    problems = []
    for lang in sweep.LANGS:
        for state in sweep.STATES:
            sweep.set_case(sweep_app, screen_name, px, size_mm, lang, large, state)
            sweep.settle()
            found = layout_checks.check(sweep_app, needs_number=state.startswith("ticket"))
            problems += [f"{lang} {state}: {p}" for p in found]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:300])
