"""`kiosk demo` without a display walks through a visit by itself and leaves a ticket
preview, screenshots and the sign's picture. It must not need test-only packages."""

from __future__ import annotations

import os
import subprocess
import sys

from PIL import Image

# the installed kiosk has no pytest: make importing it fail inside the demo process
NO_PYTEST = ("import sys; sys.modules['pytest'] = None; from kiosk.cli import main; "
             "sys.exit(main(['demo', '--out', sys.argv[1]]))")


def test_demo_walks_through_a_visit_offscreen(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    out = tmp_path / "demo"
    result = subprocess.run([sys.executable, "-c", NO_PYTEST, str(out)], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "issued A001, printed" in result.stdout
    assert "call-up display shows: A001 -> Schalter 3" in result.stdout
    preview = out / "tickets" / "ticket-0001.png"
    assert f"ticket preview {preview}" in result.stdout
    assert Image.open(preview).height > 300
    for name in ("1-language.png", "2-services.png", "3-ticket.png"):
        assert Image.open(out / "screens" / name).size == (1920, 1080)
    assert (out / "display.png").exists()
    # a booking checked in by its QR code; the demo's key stays in its own folder
    assert "checked in booking 204517: T001, slot" in result.stdout
    assert (out / "tickets" / "ticket-0002.png").exists()
    assert (out / "checkin.keys").stat().st_mode & 0o077 == 0


def test_a_second_demo_run_on_the_same_day_ends_well_too(tmp_path):
    """The demo's folder keeps its store: run again the same day, the booking it checks in
    is already checked in (same number, nothing printed twice) and the run still ends 0."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    out = tmp_path / "demo"
    for _ in range(2):
        result = subprocess.run([sys.executable, "-c", NO_PYTEST, str(out)], env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "was checked in by an earlier demo run today: T001 again" in result.stdout
    assert "issued A002, printed" in result.stdout
    # the walk-in's picture of this run, and no appointment picture (nothing printed)
    assert "ticket preview" in result.stdout and "appointment ticket preview" not in result.stdout
    assert "ticket-0003.png" in result.stdout
