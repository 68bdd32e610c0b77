"""The intake's frame on the smallest configured screen (10.1", 1280x800, 217x136 mm) with
larger text: the header, the action row and the scroll hint leave the form room, and the
on-screen keyboard keeps the field typed in (and its caption) in view."""

from __future__ import annotations

import pytest

from tests.ui import layout_checks, sweep
from tests.ui.conftest import detach

SMALL = sweep.SCREENS[0]


@pytest.fixture(scope="module")
def fit_app(tmp_path_factory):
    from kivy.core.window import Window

    from kiosk.app import KioskApp, start_embedded
    from kiosk.services.issue_ticket import TicketService
    from kiosk.store.sqlite import SqliteStore
    from kiosk.ui_runner import frozen_clock

    size = tuple(Window.size)
    config = sweep.sweep_config()
    store = SqliteStore(tmp_path_factory.mktemp("fit") / "fit.sqlite3", terminal_id="ui")
    app = start_embedded(KioskApp(config, TicketService(config, store, None),
                                  monotonic=frozen_clock()))
    yield app
    detach(app)
    store.close()
    Window.size = size


def _view_rect(screen):
    return layout_checks.window_rect(screen.ids.area.ids.view)


def _inside(rect, outer) -> bool:
    return rect[1] >= outer[1] - 1 and rect[3] <= outer[3] + 1


def test_a_field_to_type_in_is_in_view_on_the_small_screen(fit_app):
    """Greek, larger text: the first field's caption and its entry boxes lie inside the
    window's visible form (on the old frame the form got no height at all)."""
    _name, px, size_mm = SMALL
    sweep.set_case(fit_app, _name, px, size_mm, "el", True, "intake-household")
    sweep.settle()
    screen = fit_app.root.get_screen("intake_household")
    view = _view_rect(screen)
    field = screen.fields[0]
    entry = field.key_fields()[0]
    assert view[3] - view[1] > 0.3 * px[1], f"the form has {view[3] - view[1]:.0f} px"
    assert _inside(layout_checks.window_rect(entry), view), "no entry box inside the form"
    assert layout_checks.check(fit_app) == []


@pytest.mark.parametrize("lang", ["de", "el", "fa", "ar"])
def test_action_words_stay_on_one_line(fit_app, lang):
    _name, px, size_mm = SMALL
    sweep.set_case(fit_app, _name, px, size_mm, lang, True, "intake-person")
    sweep.settle()
    screen = fit_app.root.get_screen("intake_person")
    from kivy.uix import label as uix_label

    for button in (screen.ids.cancel, screen.ids.back, screen.ids.next):
        one_line = uix_label.CoreLabel(font_name=button.font_name,
                                       font_size=button.font_size).get_extents(button.text)[1]
        assert button.texture_size[1] < 1.5 * one_line, f"{button.text!r} wraps"


@pytest.mark.parametrize("lang", ["de", "el", "fa", "ar"])
@pytest.mark.parametrize("large", [False, True], ids=["normal", "larger"])
def test_the_field_typed_in_stays_above_the_keyboard(fit_app, lang, large):
    """Keyboard open on the street: its caption and entry are inside the visible form,
    the header, the action row and the accessibility bar have stepped aside; closing
    the keyboard brings them back."""
    _name, px, size_mm = SMALL
    sweep.set_case(fit_app, _name, px, size_mm, lang, large, "intake-household")
    screen = fit_app.root.get_screen("intake_household")
    field = next(f for f in screen.fields if f.path == "household.address.street")
    sweep.settle()
    screen._entry_tapped(field.key_fields()[0])
    sweep.settle()
    view = _view_rect(screen)
    assert screen.keyboard.parent is not None
    assert _inside(layout_checks.window_rect(field.key_fields()[0]), view), ("entry hidden", view, layout_checks.window_rect(field.key_fields()[0]))
    caption = field.children[-1]  # the first row: the caption (a KLabel, text centred)
    x0, y0, x1, y1 = layout_checks.window_rect(caption)
    # the glyphs: about a font size around the middle (Arabic lines carry empty ascent)
    middle, half = (y0 + y1) / 2, caption.font_size / 2
    assert caption.text and _inside((x0, middle - half, x1, middle + half), view), \
        ("caption hidden", view, (y0, y1), caption.texture_size)
    assert screen.ids.actions.height == 0 and fit_app.root.ids.a11y.height == 0
    # the keyboard's own keys (narrower than 20 mm on 10.1", a known limit) are the
    # keyboard's business: everything else on the screen passes the sweep's checks
    assert [p for p in layout_checks.check(fit_app) if not p.startswith("Key(")] == []
    screen.hide_keyboard()
    sweep.settle()
    assert screen.keyboard.parent is None
    assert screen.ids.actions.height > 0 and fit_app.root.ids.a11y.height > 0
    assert layout_checks.check(fit_app) == []
