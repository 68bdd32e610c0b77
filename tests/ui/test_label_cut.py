"""Label textures cut to their text (issue 9 item 4): a label's texture was as wide as
the width its text wraps to, mostly transparent, and Mesa's llvmpipe blends every pixel
of it on every frame. Counted (texture area), never timed; the look is compared pixel
for pixel with full-width textures."""

from __future__ import annotations

import pytest

from kiosk.app import step


def _shown_texts(screen):
    from kiosk.widgets.common import PlacesCutText

    return [w for w in screen.walk(restrict=True)
            if isinstance(w, PlacesCutText) and w.text and w.texture is not None]


def _render_all(screen) -> None:
    for label in _shown_texts(screen):
        label.forget_look()  # laid out and drawn anew, not the look it keeps
        label.texture_update()
    step(3)


@pytest.mark.parametrize(("lang", "large"), [("de", False), ("ar", True), ("fa", False)])
def test_text_textures_are_cut_to_the_text_and_look_the_same(make_app, tmp_path,
                                                              monkeypatch, lang, large):
    """GIVEN the services and ticket screens WHEN shown THEN their text textures together
    cover less than half the area of textures as wide as each text's wrap width, and the
    window looks pixel for pixel as with full-width textures (each glyph where it was,
    right-aligned Arabic and Persian included)."""
    from tests.ui.conftest import screenshot

    from kiosk.widgets.common import PlacesCutText

    from kiosk.ui_runner import apply_state

    app = make_app()
    for name in ("services", "ticket"):
        apply_state(app, name, lang, {"large_text": str(large).lower(),
                                      "estimate_min": "20"})
        app.go(name)
        step(3)
        screen = app.root.get_screen(name)
        labels = _shown_texts(screen)
        assert len(labels) >= 4
        cut = sum(w.texture_size[0] * w.texture_size[1] for w in labels)
        full = sum(int(w.text_size[0]) * w.texture_size[1] for w in labels)
        assert cut < 0.7 * full, (name, cut, full)
        shown = screenshot(app, tmp_path / f"{name}-cut.png")
        monkeypatch.setattr(PlacesCutText, "cuts", False)
        _render_all(screen)
        assert sum(w.texture_size[0] * w.texture_size[1] for w in labels) == full
        whole = screenshot(app, tmp_path / f"{name}-full.png")
        assert shown.tobytes() == whole.tobytes(), name
        monkeypatch.setattr(PlacesCutText, "cuts", True)
        _render_all(screen)


def test_a_cut_label_keeps_its_texture_when_its_text_changes(make_app):
    """GIVEN a heading WHEN its text changes to texts of other widths (one line each) THEN
    its text is still drawn in the same GL texture, as wide as the box, and shown as a
    region the text's width: a texture per width raised the RSS of 600 visits by 10-20
    MiB (Kivy reuses a texture in place only at the same size)."""
    app = make_app()
    app.go("services")
    step(3)
    heading = app.root.get_screen("services").ids.heading
    seen = []  # every texture shown, kept alive so that no GL id is given out twice
    for text in ("Ja", "Anmeldung einer Wohnung", "Pass", "Führerschein umschreiben"):
        heading.text = text
        step(3)
        seen.append(heading.texture)
    assert len({t.width for t in seen}) == 4  # cut: each as wide as its text
    assert len({t.id for t in seen}) == 1, [t.id for t in seen]
