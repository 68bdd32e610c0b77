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


def _window_pixels():
    """The window's last drawn frame, as an image (top row first)."""
    from kivy.core.window import Window
    from kivy.graphics.opengl import GL_RGBA, GL_UNSIGNED_BYTE, glReadPixels
    from PIL import Image

    width, height = Window.size
    data = glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE)
    image = Image.frombytes("RGBA", (width, height), data).convert("RGB")
    return image.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def test_scroll_areas_clip_by_a_scissor_in_the_window_and_in_screenshots(make_app,
                                                                          tmp_path):
    """Kivy's scroll view clips with the stencil buffer: two quads of its size per frame
    and a test of every pixel inside, about 4 of a frame's 20 ms in software GL. A
    scissor clips instead, placed where the view is drawn: content scrolled half out of
    the area is cut at the same rows in the window and in a screenshot (drawn upside
    down into an Fbo)."""
    from kivy.base import EventLoop
    from kivy.core.window import Window

    from tests.ui.conftest import screenshot

    import dataclasses

    app = make_app()
    # a 10" screen in the same window (larger text): more than fits, the list scrolls
    app.set_screen(dataclasses.replace(app.kiosk_config.screen, width_mm=217,
                                       height_mm=122))
    app.root.get_screen("language").choose("en")
    app.toggle_large_text()
    step(5)
    services = app.root.get_screen("services")
    area = services.ids.area
    view = area.ids.view
    assert area.overflowing
    view.scroll_y = 0.5  # rows cut by both edges
    view.bar_color = view.bar_inactive_color  # the bar's colour: the same in both images
    step(5)
    stencils = [(type(widget).__name__, type(instr).__name__) for widget in app.root.walk()
                for canvas in (widget.canvas.before, widget.canvas, widget.canvas.after)
                for instr in canvas.children if "Stencil" in type(instr).__name__]
    assert stencils == []
    Window.canvas.ask_update()
    EventLoop.idle()
    in_window = _window_pixels()
    shot = screenshot(app, tmp_path / "shot.png")
    assert in_window.tobytes() == shot.tobytes()
    # and cut where the area ends: the rows just outside it are the background
    x, y = view.to_window(view.x, view.y)
    background = tuple(round(c * 255) for c in app.theme.rgba("background")[:3])
    top_outside = Window.height - round(y + view.height) - 1
    assert shot.getpixel((round(x + view.width / 2), top_outside)) == background
