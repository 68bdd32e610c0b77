"""Supervisor and simulator over a real pseudo-terminal: showing, unplugging, replugging."""

import os
import signal
import subprocess
import sys
import time

import pytest
import serial
from PIL import Image

from kiosk.devices.display.alpha import AlphaCodec, write_text
from kiosk.devices.display.calls import Call
from kiosk.devices.display.line import LineCodec
from kiosk.devices.display.simulator import SimDisplay
from kiosk.devices.display.supervisor import DisplaySupervisor
from kiosk.devices.reconnect import LinkState
from tests.waiting import wait_for

CALLS = [Call("A017", "Schalter 3"), Call("B002", "Büro 4")]


@pytest.fixture
def sim(tmp_path):
    with SimDisplay(tmp_path / "display") as display:
        yield display


def test_supervisor_shows_calls_on_the_simulated_sign(sim):
    with DisplaySupervisor(sim.port, AlphaCodec()) as sup:
        sup.show(CALLS)
        assert sim.wait_until(lambda s: s.shown == ["A017 -> Schalter 3", "B002 -> Büro 4"], 5)
        assert wait_for(lambda: sup.state is LinkState.ONLINE, 2)  # set after the write returns
    assert sim.frames == 1 and sim.bad_frames == 0


def test_sign_comes_back_blank_and_gets_the_current_state_again(sim):
    states = []
    sup = DisplaySupervisor(sim.port, AlphaCodec())  # default backoff, capped at 5 s
    sup.add_listener(states.append)
    with sup:
        sup.show(CALLS)
        assert sim.wait_until(lambda s: s.shown[:1] == ["A017 -> Schalter 3"], 5)

        sim.disappear()
        assert sim.shown == []
        # state and error are two stores (DeviceStatus.set_offline): a read between
        # them saw OFFLINE without its error once in CI; wait for both
        assert wait_for(lambda: sup.state is LinkState.OFFLINE and sup.last_error, 5)

        time.sleep(0.5)  # stay away long enough for at least one failed reconnect
        sim.reappear()
        assert sim.wait_until(lambda s: s.shown[:1] == ["A017 -> Schalter 3"], 5)
        assert wait_for(lambda: sup.state is LinkState.ONLINE, 1)
    assert states == [LinkState.ONLINE, LinkState.OFFLINE, LinkState.ONLINE]


def test_state_changed_while_offline_is_shown_after_reconnect(sim):
    with DisplaySupervisor(sim.port, AlphaCodec()) as sup:
        sup.show(CALLS)
        assert sim.wait_until(lambda s: s.frames == 1, 5)
        sim.disappear()
        assert wait_for(lambda: sup.state is LinkState.OFFLINE, 5)
        sup.show([Call("A018", "Schalter 1")] + CALLS)
        sim.reappear()
        assert sim.wait_until(lambda s: s.shown[:1] == ["A018 -> Schalter 1"], 5)


def test_second_process_cannot_open_the_sign_while_it_is_held(sim):
    with DisplaySupervisor(sim.port, AlphaCodec()) as sup:
        sup.show(CALLS)
        assert sim.wait_until(lambda s: s.frames == 1, 5)
        with pytest.raises(serial.SerialException):
            serial.Serial(sim.port, exclusive=True)


def test_line_framing_end_to_end(tmp_path):
    with SimDisplay(tmp_path / "line-display", framing="line", width=20, lines=2) as sim:
        with DisplaySupervisor(sim.port, LineCodec(width=20, lines=2)) as sup:
            sup.show(CALLS)
            assert sim.wait_until(lambda s: s.frames == 1, 5)
            assert sim.shown == ["A017  ->  Schalter 3", "B002    ->    Büro 4"]


def test_simulator_ignores_a_packet_with_a_bad_checksum(sim):
    frame = bytearray(write_text(b"A", "WRONG"))
    frame[-3] ^= 0x01
    with serial.Serial(sim.port) as port:
        port.write(bytes(frame) + write_text(b"A", "RIGHT"))
        assert sim.wait_until(lambda s: s.frames == 1 and s.bad_frames == 1, 5)
    assert sim.shown == ["RIGHT"]


def test_render_png_draws_lit_leds_only_for_text(sim, tmp_path):
    blank = Image.open(sim.render_png(tmp_path / "blank.png")).convert("RGB")
    with serial.Serial(sim.port) as port:
        port.write(write_text(b"A", "A017 -> Schalter 3"))
        assert sim.wait_until(lambda s: s.frames == 1, 5)
    shown = Image.open(sim.render_png(tmp_path / "shown.png")).convert("RGB")
    amber = (255, 176, 0)
    assert blank.size == shown.size
    assert amber not in {c for _, c in blank.getcolors(1 << 16)}
    assert dict((c, n) for n, c in shown.getcolors(1 << 16)).get(amber, 0) > 100


def _lit_dots(image: Image.Image, pitch: int = 6) -> list[list[bool]]:
    """The LED grid read back from the picture: one amber-or-not value per dot centre."""
    grid = []
    for cy in range(pitch, image.height - pitch // 2, pitch):
        grid.append([image.getpixel((cx, cy))[0] > 200
                     for cx in range(pitch, image.width - pitch // 2, pitch)])
    return grid


def test_render_png_uses_the_signs_5x7_dot_font(sim, tmp_path):
    """GIVEN "A017 -> Schalter 3" on the sign WHEN its picture is drawn THEN every
    character is exactly its 5x7 LED glyph, and "->" is one arrow: the shaft on the row
    of the arrow's point."""
    from kiosk.devices.display import led_font

    with serial.Serial(sim.port) as port:
        port.write(write_text(b"A", "A017 -> Schalter 3 Büro"))
        assert sim.wait_until(lambda s: s.frames == 1, 5)
    grid = _lit_dots(Image.open(sim.render_png(tmp_path / "sign.png")).convert("RGB"))
    text = sim.shown[0]
    for col, ch in enumerate(text):
        cell = ["".join("#" if grid[y][col * 6 + x] else "." for x in range(5))
                for y in range(7)]
        assert tuple(cell) == led_font.glyph(ch), (ch, cell)
        if col + 1 < len(text):
            assert not any(grid[y][col * 6 + 5] for y in range(7))  # a dark column between
    dash = text.index("->")
    shaft = led_font.glyph("-").index("#####")
    arrow = led_font.glyph(">")
    tip = max(range(7), key=lambda y: arrow[y].rfind("#"))
    assert tip == shaft and grid[shaft][dash * 6 + 6 + arrow[tip].rfind("#")]
    assert all(grid[shaft][dash * 6 + x] for x in range(5))


def test_simulator_cli_prints_the_sign_until_sigterm(tmp_path):
    link = tmp_path / "cli-display"
    code = ("import sys; from pathlib import Path;"
            "from kiosk.devices.display.simulator import run_display_simulator_cli;"
            f"sys.exit(run_display_simulator_cli(Path({str(link)!r}), Path({str(tmp_path)!r}), 'alpha'))")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert "display simulator (alpha) on" in proc.stdout.readline()
        with serial.Serial(str(link)) as port:
            port.write(write_text(b"A", "A017 -> Schalter 3"))
            lines = [proc.stdout.readline() for _ in range(5)]
        assert "|A017 -> Schalter 3  |" in "".join(lines)
        assert wait_for(lambda: (tmp_path / "display.png").exists(), 5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert not os.path.lexists(link)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
