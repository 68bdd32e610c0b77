"""Environment Kivy must see before it is first imported: text shaping through Pillow,
no writes into the user's home, Python logging, and headless rendering when there is no
screen. Imports nothing of Kivy itself."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import dataclass


@dataclass
class WindowSettings:
    width: int = 1920
    height: int = 1080
    fullscreen: bool = True
    headless: bool = False
    prepared: bool = False


SETTINGS = WindowSettings()


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def prepare(width: int, height: int, fullscreen: bool, headless: bool) -> None:
    """Call before `import kiosk.app`; later calls cannot change an open window."""
    SETTINGS.width, SETTINGS.height = width, height
    SETTINGS.fullscreen, SETTINGS.headless = fullscreen and not headless, headless
    SETTINGS.prepared = True
    env = os.environ
    env["KIVY_TEXT"] = "pil"  # Pillow + raqm/fribidi: Arabic and Persian shaped, RTL
    env.setdefault("KIVY_NO_ARGS", "1")  # our argparse owns the command line
    env.setdefault("KIVY_NO_CONFIG", "1")  # no ~/.kivy/config.ini decides kiosk behaviour
    env.setdefault("KIVY_NO_FILELOG", "1")
    env.setdefault("KIVY_LOG_MODE", "PYTHON")
    env.setdefault("KIVY_CLIPBOARD", "dummy")
    if "KIVY_HOME" not in env:
        env["KIVY_HOME"] = _private_kivy_home()
    if headless:
        env["SDL_VIDEODRIVER"] = "offscreen"
        env.setdefault("KIVY_AUDIO", "sdl2")


def _private_kivy_home() -> str:
    """A fresh 0700 folder for this process (removed at exit): a fixed name in the shared
    temp dir could be created first by another user, who would then own Kivy's files."""
    home = tempfile.mkdtemp(prefix="kiosk-kivy-")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    return home
