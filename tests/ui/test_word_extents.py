"""Words measured once (issue 9 item 4): Kivy's layout measures every word it wraps with
Pillow (a shaping of the word), and the same words in the same fonts came back on every
visit. Counted, never timed."""

from __future__ import annotations

from kiosk.app import step


def test_a_language_shown_again_measures_no_word_again(make_app, monkeypatch):
    """GIVEN the services screen shown in Arabic, then in German WHEN Arabic comes back
    THEN its texts are laid out again (they changed) without Pillow measuring a word."""
    from kivy.core.text import LabelBase
    from PIL import ImageFont

    app = make_app()
    app.go("services")
    for lang in ("ar", "de"):
        app.set_language(lang)
        step(3)
    measured, laid_out = [], []
    getbbox, render = ImageFont.FreeTypeFont.getbbox, LabelBase.render

    def counted_getbbox(font, text, *args, **kwargs):
        measured.append(text)
        return getbbox(font, text, *args, **kwargs)

    def counted_render(label, real=False):
        if not real:
            laid_out.append(label.text)
        return render(label, real)

    monkeypatch.setattr(ImageFont.FreeTypeFont, "getbbox", counted_getbbox)
    monkeypatch.setattr(LabelBase, "render", counted_render)
    app.set_language("ar")
    step(3)
    assert app.tr("What is your visit about?") in laid_out
    assert measured == []
