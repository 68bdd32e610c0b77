"""Frames drawn for one visit (issue 9 item 4): in software GL every drawn frame costs tens
of milliseconds of CPU at full screen, so a visit must draw few. Counted, never timed."""

from __future__ import annotations

import time

from kiosk.app import step, wait_until

QUIET_S = 1.2  # longer than Kivy's 0.5 s before the scroll bar goes inactive, and its fade


def _frames_until_quiet(flips: list[int], until=lambda: True) -> int:
    """Step like the app's loop (about 60 a second) until `until()` holds and no frame
    was drawn for QUIET_S; the frames drawn meanwhile."""
    start = seen = flips[0]
    last = time.monotonic()
    deadline = last + 30
    while time.monotonic() < deadline:
        step(1)
        now = time.monotonic()
        if flips[0] != seen:
            seen, last = flips[0], now
        elif until() and now - last > QUIET_S:
            break
        time.sleep(1 / 60)
    return flips[0] - start


def test_a_visit_draws_a_frame_or_two_per_tap(make_app):
    """Each screen change drew its frame and, half a second later, Kivy's fade of the
    scroll bars: ~25 more full-screen frames, although no bar was even shown."""
    from kivy.core.window import Window

    app = make_app()
    flips = [0]

    def count(*_args) -> None:
        flips[0] += 1

    Window.bind(on_flip=count)
    try:
        _frames_until_quiet(flips)
        ticket = app.root.get_screen("ticket")
        frames = {}
        app.root.get_screen("language").choose("en")
        frames["language"] = _frames_until_quiet(flips)
        app.toggle_large_text()
        frames["larger text"] = _frames_until_quiet(flips)
        service_id = app.kiosk_config.services[0].id
        app.root.get_screen("services").choose(service_id, "open")
        frames["service"] = _frames_until_quiet(
            flips, lambda: ticket.number != "" and ticket.printed is not None)
        assert wait_until(lambda: ticket.printed is not None)
        app.reset_visit()
        frames["finish"] = _frames_until_quiet(flips)
    finally:
        Window.unbind(on_flip=count)
    # a tap: its frame, perhaps one more for text laid out once its widget has its width;
    # the service tap also shows the number and then the printer's answer
    assert frames["language"] <= 2, frames
    assert frames["larger text"] <= 2, frames
    assert frames["finish"] <= 2, frames
    assert frames["service"] <= 4, frames
    assert sum(frames.values()) <= 9, frames


def test_the_window_is_not_multisampled(make_app):
    """Kivy asks for 2x multisampling by default: in software GL that doubled the CPU of
    every frame."""
    from kivy.graphics.opengl import glGetIntegerv

    make_app()
    gl_samples = 0x80A9  # GL_SAMPLES of the window's framebuffer
    assert glGetIntegerv(gl_samples)[0] <= 1


def test_the_background_is_a_clear_not_a_rectangle(make_app, tmp_path):
    """A full-window rectangle is blended pixel by pixel in software GL (a third of a
    frame's CPU); the root clears to the theme's background instead, and a screenshot
    still has it."""
    from kivy.graphics import Rectangle

    from tests.ui.conftest import screenshot

    app = make_app()
    root = app.root
    full = [instr for instr in root.canvas.before.children
            if isinstance(instr, Rectangle) and tuple(instr.size) == tuple(root.size)]
    assert full == []
    for name in ("high-contrast", "standard"):
        app.toggle_high_contrast()
        image = screenshot(app, tmp_path / f"{name}.png")
        want = tuple(round(c * 255) for c in app.theme.rgba("background")[:3])
        assert image.getpixel((image.width - 3, 2)) == want, name
