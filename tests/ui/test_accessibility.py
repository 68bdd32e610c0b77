"""Accessibility on the rendered screens: text contrast >= 4.5:1, controls >= 3:1 against
what they stand on, touch targets >= 20 mm and >= 2.5 mm apart, larger text works."""

from __future__ import annotations

import itertools

import pytest

from kiosk.app import step
from kiosk.ui_runner import apply_state
from kiosk.widgets.common import BigButton, KLabel
from tests.ui.contrast import crop, ratio, ring_colour, text_contrast
from tests.ui.conftest import screenshot

CASES = [(screen, lang, contrast) for screen in ("language", "services", "ticket")
         for lang in ("de", "ar") for contrast in (False, True)]


def _shown(widget) -> bool:
    while widget is not None:
        if widget.opacity == 0:
            return False
        widget = widget.parent if widget.parent is not widget else None
    return True


def _visible(root, kind):
    return [w for w in root.walk(restrict=False) if isinstance(w, kind) and w.text
            and w.get_root_window() is not None and w.width > 2 and w.height > 2
            and _shown(w)]


@pytest.mark.parametrize("screen,lang,high_contrast", CASES)
def test_contrast_measured_on_pixels(make_app, tmp_path, screen, lang, high_contrast):
    app = make_app()
    state = {"high_contrast": "true"} if high_contrast else {}
    if screen == "ticket":
        state.update(number="A017", printed="false", people_ahead="4")
    apply_state(app, screen, lang, state)
    image = screenshot(app, tmp_path / f"{screen}-{lang}.png")
    from kiosk.screens.ticket import NumberLabel

    labels = _visible(app.root, KLabel) + _visible(app.root, NumberLabel)
    buttons = _visible(app.root, BigButton)
    assert labels and buttons
    for widget in labels + buttons:
        x, y = widget.to_window(widget.x, widget.y)
        assert x >= -1 and y >= -1 and x + widget.width <= image.width + 1 and \
            y + widget.height <= image.height + 1, f"{widget.text[:40]!r} is cut off"
        measured, background, ink = text_contrast(crop(image, widget, inset=1))
        assert measured >= 4.5, f"{widget.text[:40]!r}: {measured:.2f} ({ink} on {background})"
    for button in buttons:
        fill = text_contrast(crop(image, button, inset=2))[1]
        around = ring_colour(image, button)
        assert ratio(fill, around) >= 3.0, f"button {button.text[:30]!r}: {fill} on {around}"


@pytest.mark.parametrize("screen", ["language", "services", "ticket"])
def test_touch_targets_are_20_mm_and_apart(make_app, screen):
    app = make_app()
    apply_state(app, screen, "de", {"number": "A017"} if screen == "ticket" else {})
    step(3)
    min_px = 20 * app.px_per_mm - 1
    buttons = _visible(app.root, BigButton)
    for button in buttons:
        assert button.height >= min_px and button.width >= min_px, button.text
    gap = 2.5 * app.px_per_mm
    for a, b in itertools.combinations(buttons, 2):
        ax, ay = a.to_window(a.x, a.y)
        bx, by = b.to_window(b.x, b.y)
        apart_x = max(bx - (ax + a.width), ax - (bx + b.width))
        apart_y = max(by - (ay + a.height), ay - (by + b.height))
        assert max(apart_x, apart_y) >= gap - 0.5, (a.text, b.text)


def test_larger_text_grows_every_label(make_app):
    app = make_app()
    apply_state(app, "ticket", "uk", {"number": "A017"})
    step(3)
    before = {id(w): w.font_size for w in _visible(app.root, KLabel)}
    app.toggle_large_text()
    step(3)
    after = {id(w): w.font_size for w in _visible(app.root, KLabel)}
    assert all(after[k] > before[k] * 1.3 for k in before)


def test_body_text_is_at_least_the_en301549_size(make_app):
    """Capital H >= 6.1 mm at 500 mm: a body font of 8.5 mm has caps of ~6.1 mm."""
    app = make_app()
    apply_state(app, "ticket", "de", {"number": "A017"})
    step(3)
    ahead = app.root.get_screen("ticket").ids.ahead
    assert ahead.font_size / app.px_per_mm * 0.714 >= 6.0


def test_language_buttons_share_one_height_across_scripts(make_app):
    app = make_app()
    step(3)
    grid = app.root.get_screen("language").ids.grid
    heights = {round(b.height) for b in grid.children}
    assert len(heights) == 1, heights


def _theme_buttons(app):
    language, services = app.root.get_screen("language"), app.root.get_screen("services")
    return list(language.ids.grid.children) + [
        b for b in services.walk(restrict=True) if getattr(b, "service_id", None)]


def test_buttons_kept_by_a_refresh_follow_the_theme_and_the_text_size(make_app):
    """A refresh keeps the language and service buttons (issue 9 item 4) and gives them
    their texts again; high contrast and larger text reach every one of them, in a
    right-to-left language as well, and back."""
    from kiosk.theme import HIGH_CONTRAST, LARGE_TEXT_SCALE, STANDARD

    app = make_app()
    services = app.root.get_screen("services")
    app.root.show("services")
    step(2)
    app.root.show("language")
    before = _theme_buttons(app)
    config = app.kiosk_config
    assert len(before) == len(config.languages) + len(config.services)
    for lang in ("ar", "de"):
        app.set_language(lang)
        app.root.get_screen("language").refresh()
        services.refresh()
        app.toggle_high_contrast()
        app.toggle_large_text()
        step(2)
        buttons = _theme_buttons(app)
        assert [b.__self__ for b in buttons] == [b.__self__ for b in before]  # kept
        for button in buttons:
            assert tuple(button.background_color) == HIGH_CONTRAST.rgba(button.kind)
            assert tuple(button.color) == HIGH_CONTRAST.rgba("on_" + button.kind)
            assert button.font_size == pytest.approx(
                app.px_per_mm * button.size_mm * LARGE_TEXT_SCALE)
        app.toggle_high_contrast()
        app.toggle_large_text()
        step(2)
        for button in _theme_buttons(app):
            assert tuple(button.background_color) == STANDARD.rgba(button.kind)
            assert button.font_size == pytest.approx(app.px_per_mm * button.size_mm)


def test_buttons_replaced_by_a_rebuild_stop_following_the_theme(make_app):
    """When the offered languages or services change, the buttons are made again. The
    old ones live on in reference cycles until the garbage collector runs; still bound
    to the theme, a collection during a theme change hit half-freed ones
    (ReferenceError, now and then)."""
    import dataclasses

    app = make_app()
    language, services = app.root.get_screen("language"), app.root.get_screen("services")
    services.refresh()
    step(2)
    old = _theme_buttons(app)
    before = [tuple(b.background_color) for b in old]
    config = app.kiosk_config
    app.kiosk_config = dataclasses.replace(
        config, languages=tuple(reversed(config.languages)),
        services=tuple(reversed(config.services)))
    language.refresh()
    services.refresh()
    app.toggle_high_contrast()
    step(2)
    new = _theme_buttons(app)
    assert not {id(b.__self__) for b in new} & {id(b.__self__) for b in old}  # rebuilt
    assert len(old) == len(config.languages) + len(config.services)
    assert [tuple(b.background_color) for b in old] == before

