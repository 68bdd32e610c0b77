"""What the command line prints: Kivy's start-up chatter stays out of CLI output unless
`--verbose` asks for it (importing Kivy resets its logger's level, so a level set before
the import was not enough)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import kiosk_env


def _screenshot(tmp_path, *flags):
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *flags, "screenshot", "language", "--lang", "de",
         "--out", str(tmp_path / "start.png"), "--size", "640x400"],
        capture_output=True, text=True, timeout=120, env=kiosk_env())


def test_kivy_start_up_lines_stay_out_of_cli_output(tmp_path):
    result = _screenshot(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "start.png").exists()
    # GIVEN Kivy logs "Kivy: v2.3.1", "GL: ..." at INFO on every start
    # THEN a plain command shows none of it: only the file it wrote
    assert "kivy" not in result.stderr.lower(), result.stderr
    assert result.stdout.strip() == str(tmp_path / "start.png")


def test_verbose_shows_kivy_start_up_lines(tmp_path):
    result = _screenshot(tmp_path, "--verbose")
    assert result.returncode == 0, result.stderr
    assert "Kivy: v" in result.stderr


def test_idle_warning_picture_plays_no_chime(tmp_path):
    """A screenshot of the idle warning opens no audio device: no ALSA or SDL mixer
    complaints on a machine without sound, nothing played in an office."""
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "screenshot", "services", "--lang", "de",
         "--out", str(tmp_path / "idle.png"), "--size", "640x400",
         "--state", "idle_warning=20"],
        capture_output=True, text=True, timeout=120, env=kiosk_env())
    assert result.returncode == 0, result.stderr
    assert "Audio" not in result.stderr and "ALSA" not in result.stderr, result.stderr
