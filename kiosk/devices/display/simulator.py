"""Simulated call-up display on a pseudo-terminal: decodes what a real sign would show.

Used by tests, `kiosk demo` and `kiosk simulate display`. Faults are injected with
``disappear()`` / ``reappear()``, which behave like unplugging a USB adapter and
plugging it back in with a blank sign.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import sys
import threading
import tty
from collections.abc import Callable
from pathlib import Path

from kiosk.devices.display import led_font
from kiosk.devices.display.alpha import (
    EOT,
    SOH,
    WRITE_TEXT,
    AlphaFrameError,
    Colour,
    parse_frames,
    parse_text_file,
)

logger = logging.getLogger(__name__)

FRAMINGS = ("alpha", "line")
_FORM_FEED = b"\x0c"
_MAX_BUFFER = 64 * 1024
_LED_COLOURS = {
    None: (255, 176, 0),
    Colour.RED: (255, 40, 20), Colour.GREEN: (60, 255, 60), Colour.AMBER: (255, 176, 0),
    Colour.DIM_RED: (150, 20, 10), Colour.DIM_GREEN: (30, 150, 30), Colour.BROWN: (150, 90, 20),
    Colour.ORANGE: (255, 120, 0), Colour.YELLOW: (255, 240, 40),
}
_LED_OFF = (40, 22, 0)


class SimDisplay:
    """A display at the far end of a pty. ``shown`` holds the lines the sign shows."""

    def __init__(
        self,
        pty_link: Path | None = None,
        framing: str = "alpha",
        width: int = 20,
        out_dir: Path | None = None,
        lines: int = 2,
        encoding: str = "cp437",
        eol: bytes = b"\r\n",
    ) -> None:
        if framing not in FRAMINGS:
            raise ValueError(f"framing must be one of {FRAMINGS}, got {framing!r}")
        self.pty_link = Path(pty_link) if pty_link is not None else None
        self.framing = framing
        self.width = width
        self.lines = lines
        self.encoding = encoding
        self.eol = eol
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.shown: list[str] = []
        self.colours: list[Colour | None] = []
        self.frames = 0
        self.bad_frames = 0
        self._changed = threading.Condition()
        self._master: int | None = None
        self._slave: int | None = None
        self._slave_name = ""
        self._stop_pipe: tuple[int, int] | None = None
        self._reader: threading.Thread | None = None
        self._buffer = b""
        self._pending_lines: list[str] = []

    # --- lifecycle and fault injection -----------------------------------------

    def start(self) -> SimDisplay:
        if self._master is not None:
            return self
        self._master, self._slave = os.openpty()
        # Raw: the sign gets bytes as sent (no CR/LF translation, no echo back).
        tty.setraw(self._slave)
        self._slave_name = os.ttyname(self._slave)
        if self.pty_link is not None:
            tmp = self.pty_link.with_name(self.pty_link.name + ".tmp")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(self._slave_name)
            os.replace(tmp, self.pty_link)  # atomic: a client never sees a missing link
        self._buffer = b""
        self._pending_lines = []
        self._stop_pipe = os.pipe()
        self._reader = threading.Thread(target=self._read_loop, name="sim-display", daemon=True)
        self._reader.start()
        return self

    def disappear(self) -> None:
        """Unplug: the pty is closed (the client's I/O fails) and the sign goes blank."""
        self._stop_reader()
        if self.pty_link is not None:
            self.pty_link.unlink(missing_ok=True)
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None
        self._set_shown([], [], count=False)

    def reappear(self) -> None:
        """Plug back in: a new pty under the same link, showing nothing until told."""
        self.start()

    def close(self) -> None:
        if self._master is not None:
            self.disappear()

    def __enter__(self) -> SimDisplay:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def port(self) -> str:
        """What a client opens: the link when there is one, else the pty itself."""
        return str(self.pty_link) if self.pty_link is not None else self._slave_name

    def wait_until(self, predicate: Callable[[SimDisplay], bool], timeout_s: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout_s)

    # --- reading and decoding ---------------------------------------------------

    def _stop_reader(self) -> None:
        if self._reader is None or self._stop_pipe is None:
            return
        os.write(self._stop_pipe[1], b"x")
        self._reader.join(5)
        for fd in self._stop_pipe:
            os.close(fd)
        self._reader = None
        self._stop_pipe = None

    def _read_loop(self) -> None:
        master, stop_r = self._master, self._stop_pipe[0]
        while True:
            ready, _, _ = select.select([master, stop_r], [], [])
            if stop_r in ready:
                return
            try:
                chunk = os.read(master, 4096)
            except OSError as err:
                logger.debug("sim display: read failed: %s", err)
                return
            try:
                self._feed(chunk)
            except Exception:  # a decoder bug must not silently stop the simulator
                logger.exception("sim display: decoding failed")

    def _feed(self, chunk: bytes) -> None:
        # Bounded: a peer sending junk without packet ends must not eat memory.
        self._buffer = (self._buffer + chunk)[-_MAX_BUFFER:]
        if self.framing == "alpha":
            self._feed_alpha()
        else:
            self._feed_lines()

    def _feed_alpha(self) -> None:
        *packets, self._buffer = self._buffer.split(EOT)
        for packet in packets:
            if SOH not in packet:
                continue
            try:
                frames = parse_frames(packet + EOT)
            except AlphaFrameError as err:
                self._bad_frame(str(err))
                continue
            for frame in frames:
                if frame.checksum_ok is False:
                    self._bad_frame("checksum mismatch")  # a real sign ignores such a packet
                elif frame.command == WRITE_TEXT.decode():
                    try:
                        text = parse_text_file(frame.data)
                    except AlphaFrameError as err:
                        self._bad_frame(str(err))
                        continue
                    self._set_shown([ln.text for ln in text.lines], [ln.colour for ln in text.lines])

    def _feed_lines(self) -> None:
        if _FORM_FEED in self._buffer:
            self._buffer = self._buffer.rsplit(_FORM_FEED, 1)[1]
            self._pending_lines = []
        *complete, self._buffer = self._buffer.split(self.eol)
        for raw in complete:
            self._pending_lines.append(raw.decode(self.encoding, errors="replace").rstrip())
            # A frame rewrites every line: publish once all of them arrived.
            if len(self._pending_lines) == self.lines:
                window, self._pending_lines = self._pending_lines, []
                self._set_shown(window, [None] * len(window))

    def _bad_frame(self, reason: str) -> None:
        logger.info("sim display: ignored a bad packet (%s)", reason)
        with self._changed:
            self.bad_frames += 1
            self._changed.notify_all()

    def _set_shown(self, lines: list[str], colours: list[Colour | None], count: bool = True) -> None:
        with self._changed:
            self.shown = lines
            self.colours = colours
        if count and self.out_dir is not None:
            # Drawn before waiters wake, so whoever sees the change finds the picture.
            try:
                self.render_png(self.out_dir / "display.png")
            except OSError as err:
                logger.warning("sim display: could not write PNG: %s", err)
        with self._changed:
            if count:
                self.frames += 1
            self._changed.notify_all()

    # --- picture ----------------------------------------------------------------

    def render_png(self, path: Path) -> Path:
        """Draw the sign as amber (or the line's colour) LED dots on black, each
        character in the sign's 5x7 dot font with one dark column and row between."""
        from PIL import Image, ImageDraw  # only the simulator needs Pillow

        with self._changed:
            lines, colours = list(self.shown), list(self.colours)
        cols = max([self.width] + [len(line) for line in lines])
        rows = max(self.lines, len(lines))
        cell_w, cell_h, pitch = led_font.WIDTH + 1, led_font.HEIGHT + 1, 6
        dots_w, dots_h = cols * cell_w - 1, rows * cell_h - 1
        image = Image.new("RGB", ((dots_w + 1) * pitch, (dots_h + 1) * pitch), (0, 0, 0))
        dots = ImageDraw.Draw(image)
        lit = [[False] * dots_w for _ in range(dots_h)]
        for row, line in enumerate(lines):
            for col, ch in enumerate(line):
                for y, bits in enumerate(led_font.glyph(ch)):
                    for x, bit in enumerate(bits):
                        if bit == "#":
                            lit[row * cell_h + y][col * cell_w + x] = True
        for y in range(dots_h):
            row = y // cell_h
            on = _LED_COLOURS.get(colours[row] if row < len(colours) else None, _LED_COLOURS[None])
            for x in range(dots_w):
                cx, cy = pitch + x * pitch, pitch + y * pitch
                dots.ellipse((cx - 2, cy - 2, cx + 2, cy + 2), fill=on if lit[y][x] else _LED_OFF)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path)
        return path


def _print_sign(sim: SimDisplay) -> None:
    with sim._changed:
        lines, frames = list(sim.shown), sim.frames
    width = max([sim.width] + [len(line) for line in lines])
    print(f"[display] frame {frames}")
    print("  +" + "-" * width + "+")
    for line in lines or [""]:
        print("  |" + line.ljust(width) + "|")
    print("  +" + "-" * width + "+", flush=True)


def run_display_simulator_cli(pty_link: Path | None, out_dir: Path | None, framing: str = "alpha") -> int:
    """`kiosk simulate display`: print the sign whenever it changes until SIGINT/SIGTERM."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            sim = SimDisplay(pty_link, framing=framing, out_dir=out_dir).start()
        except (OSError, ValueError) as err:
            print(f"display simulator: {err}", file=sys.stderr)
            return 1
        try:
            print(f"display simulator ({framing}) on {sim.port}", flush=True)
            seen = (sim.frames, list(sim.shown))
            while not stop.is_set():
                sim.wait_until(lambda s, seen=seen: (s.frames, s.shown) != seen, 0.2)
                current = (sim.frames, list(sim.shown))
                if current != seen:
                    seen = current
                    _print_sign(sim)
                    if out_dir is not None:
                        print(f"  -> {Path(out_dir) / 'display.png'}", flush=True)
        finally:
            sim.close()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
