"""Label texts laid out for a visitor's settings (issue 9 item 4): every screen kept built
followed each language, text size and contrast change, so a visit laid out the hidden
screens' labels again and again. Counted, never timed."""

from __future__ import annotations

import pytest

from kiosk.app import step


@pytest.fixture
def layouts(monkeypatch):
    """Every label text laid out (Kivy's core label's first render pass), by core label."""
    from kivy.core.text import LabelBase

    seen: list = []
    render = LabelBase.render

    def counted(label, real=False):
        if not real:
            seen.append(label)
        return render(label, real)

    monkeypatch.setattr(LabelBase, "render", counted)
    return seen


def _labels(widget) -> dict:
    from kivy.uix.label import Label

    return {id(w._label): w for w in widget.walk(restrict=True) if isinstance(w, Label)}


def _start_with_all_built(make_app):
    app = make_app()
    for name in ("services", "ticket", "services", "language"):
        app.go(name)  # each shown once, as after a first visit
        step(3)
    return app


def test_a_hidden_screen_lays_out_nothing_when_the_settings_change(make_app, layouts):
    app = _start_with_all_built(make_app)
    root = app.root
    hidden = {**_labels(root.get_screen("services")), **_labels(root.get_screen("ticket"))}
    assert len(hidden) > 10
    layouts.clear()
    app.set_language("ar")
    step(3)
    app.toggle_large_text()
    step(3)
    app.toggle_high_contrast()
    step(3)
    laid_out = [hidden[id(core)] for core in layouts if id(core) in hidden]
    assert laid_out == [], [(type(w).__name__, w.text[:20]) for w in laid_out]
    assert layouts, "the start screen itself follows the changes"


def test_a_language_change_does_not_lay_out_the_language_names(make_app, layouts):
    """Each name is in its own script and direction: a change to Arabic and back laid
    out all twelve again."""
    app = _start_with_all_built(make_app)
    grid = app.root.get_screen("language").ids.grid
    names = _labels(grid)
    assert len(names) == len(app.kiosk_config.languages)
    layouts.clear()
    for code in ("ar", "de", "fa", "en"):
        app.set_language(code)
        step(3)
    assert [names[id(core)].text for core in layouts if id(core) in names] == []


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_a_screen_shown_again_shows_the_changed_settings(make_app, tmp_path, lang):
    """The labels that waited are drawn when their screen comes: the services screen
    reached after a text size and contrast change (and a language: most texts change
    then anyway) on the start screen looks exactly as when every label on it is laid out
    and drawn again."""
    from tests.ui.conftest import screenshot

    app = _start_with_all_built(make_app)
    app.set_language(lang)
    app.toggle_large_text()
    app.toggle_high_contrast()
    step(3)
    app.go("services")
    shown = screenshot(app, tmp_path / "shown.png")
    services = app.root.get_screen("services")
    for label in _labels(services).values():
        if hasattr(label, "forget_look"):
            label.forget_look()  # not its look kept: laid out and drawn anew
        label.texture_update()  # a full render of every label, as on a first build
    step(3)
    again = screenshot(app, tmp_path / "again.png")
    assert shown.tobytes() == again.tobytes()
    heading = services.ids.heading
    assert heading.text == app.tr("What is your visit about?")
    assert heading._label.options["base_direction"] == ("rtl" if lang == "ar" else "ltr")


def test_a_language_change_lays_out_the_toggles_once_in_the_new_language(make_app, layouts):
    """The direction's change scheduled the toggles' renders before the refresh that
    gives them their new texts: each was laid out in the old language first."""
    app = _start_with_all_built(make_app)
    bar = app.root.ids.a11y
    toggles = {id(bar.ids.large._label): "large", id(bar.ids.contrast._label): "contrast"}
    layouts.clear()
    app.set_language("ar")
    step(3)
    texts = sorted((toggles[id(core)], core.text) for core in layouts if id(core) in toggles)
    assert texts == [("contrast", app.tr("High contrast")), ("large", app.tr("Larger text"))]


def test_the_start_screen_after_a_visit_lays_out_nothing_again(make_app, layouts,
                                                                tmp_path):
    """GIVEN a visit in Arabic with larger text and high contrast WHEN it finishes THEN the
    window looks exactly as before the visit, and none of the start screen's labels is
    laid out again (each shows the look it had: the twelve names and the titles were
    laid out and drawn again after every such visit); the toggles, in German again, once
    each."""
    from tests.ui.conftest import screenshot

    app = _start_with_all_built(make_app)
    step(3)
    before = screenshot(app, tmp_path / "before.png")
    start = _labels(app.root.get_screen("language"))
    toggles = _labels(app.root.ids.a11y)
    assert len(start) > 6 and len(toggles) == 2
    app.root.get_screen("language").choose("ar")
    step(3)
    app.toggle_large_text()
    step(3)
    app.toggle_high_contrast()
    step(3)
    assert [core.text for core in layouts if id(core) in toggles]
    layouts.clear()
    app.reset_visit()
    step(3)
    assert [start[id(core)].text for core in layouts if id(core) in start] == []
    assert sorted(core.text for core in layouts if id(core) in toggles) == \
        ["Größere Schrift", "Hoher Kontrast"]
    after = screenshot(app, tmp_path / "after.png")
    assert after.tobytes() == before.tobytes()
