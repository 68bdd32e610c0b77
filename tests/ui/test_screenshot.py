"""`kiosk screenshot` shows what it is asked for, every time, from the configuration every
other command would use."""

from __future__ import annotations

import subprocess
import sys

from PIL import Image

from kiosk.config import load_config
from kiosk.paths import config_resource
from tests.conftest import MINIMAL_CONFIG, kiosk_env, write_config


def _frames_for(seconds: float) -> None:
    import time

    from kiosk.app import step

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        step(1)
        time.sleep(0.02)


def test_idle_warning_is_in_the_picture_even_after_idle_checks(tmp_path, monkeypatch):
    """The app's idle check runs twice a second; a slow export (a loaded machine) must
    still show the overlay with the requested seconds."""
    import kiosk.app
    from kivy.app import App

    from kiosk.ui_runner import render_screenshot

    real_export = kiosk.app.export_png
    seen = {}

    def slow_export(app, out):
        _frames_for(1.3)  # at least two idle checks
        seen["visible"] = app.root.idle_warning_visible
        seen["seconds"] = app.root.warning.seconds
        return real_export(app, out)

    monkeypatch.setattr(kiosk.app, "export_png", slow_export)
    config = load_config(config_resource("demo.toml"))
    for screen in ("services", "ticket"):
        out = render_screenshot(config, screen, "de", tmp_path / f"{screen}.png", None,
                                {"idle_warning": "25"})
        assert seen == {"visible": True, "seconds": 25}, screen
        corner = Image.open(out).convert("RGB").getpixel((2, 2))
        assert max(corner) < 130, corner  # dimmed by the overlay, not the bare page
    assert App.get_running_app() is None or App.get_running_app().root is None or \
        App.get_running_app().root.parent is None


def test_message_closed_also_shows_every_service_closed(make_app):
    from kiosk.app import step
    from kiosk.ui_runner import apply_state

    app = make_app()
    apply_state(app, "services", "en", {"message": "closed"})
    step(3)
    buttons = [w for w in app.root.walk(restrict=False) if getattr(w, "service_id", None)]
    assert buttons and all(b.service_state == "closed" and b.icon == "unavailable"
                           and "Closed now" in b.text for b in buttons)
    assert "closed now" in app.root.get_screen("services").ids.message.text


def _screenshot(*args, env, cwd):
    return subprocess.run([sys.executable, "-m", "kiosk", "screenshot", "services",
                           "--out", "shot.png", *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd)


def test_config_is_found_like_every_other_commands(tmp_path):
    """$KIOSK_CONFIG, then config/kiosk.toml, and only then the demo configuration: the
    test configuration offers no Russian, the demo's does."""
    config = write_config(tmp_path, MINIMAL_CONFIG.replace("{printer_path}",
                                                           str(tmp_path / "p.bin")))
    by_env = _screenshot("--lang", "ru", env=kiosk_env(KIOSK_CONFIG=str(config)),
                         cwd=tmp_path)
    assert by_env.returncode == 2 and "'ru' is not offered" in by_env.stderr, by_env.stderr
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "kiosk.toml").write_text(config.read_text(), encoding="utf-8")
    env = kiosk_env()
    env.pop("KIOSK_CONFIG", None)
    by_default_path = _screenshot("--lang", "ru", env=env, cwd=tmp_path)
    assert by_default_path.returncode == 2 and "'ru' is not offered" in by_default_path.stderr
    assert "Traceback" not in by_env.stderr + by_default_path.stderr


def test_a_bad_screen_size_is_a_usage_error(tmp_path):
    result = _screenshot("--lang", "de", "--screen-mm", "0x136", env=kiosk_env(),
                         cwd=tmp_path)
    assert result.returncode == 2 and "--screen-mm takes WIDTHxHEIGHT" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "shot.png").exists()


def test_a_small_screen_with_larger_text_is_rendered_at_its_size(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "screenshot", "ticket", "--lang", "fa", "--out",
         "shot.png", "--size", "1280x800", "--screen-mm", "217x136", "--state",
         "number=A017", "printed=false", "large_text=true"],
        capture_output=True, text=True, timeout=120, env=kiosk_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert Image.open(tmp_path / "shot.png").size == (1280, 800)
