"""A simulated Epson TM-T88 on a pseudo-terminal: answers real-time status, records each job.

Faults (paper, cover, cutter, silence, a wrong baud rate, unplugging) can be injected at
run time, and the simulator reads no faster than the configured baud rate, so a slow line
feels slow.
"""

from __future__ import annotations

import logging
import os
import queue
import select
import signal
import sys
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from kiosk.devices.printer.preview import command_span, render_preview

log = logging.getLogger(__name__)

JOB_GAP_S = 0.3  # silence after data that ends a job without a cut
_GS_V = b"\x1dV"
_DLE_EOT = b"\x10\x04"
_DLE_ENQ = b"\x10\x05"
_MAX_HEADER = 300  # a runaway command header is passed on as data


@dataclass(frozen=True)
class Faults:
    paper_near_end: bool = False
    paper_out: bool = False
    cover_open: bool = False
    cutter_error: bool = False
    silent: bool = False
    wrong_baud: bool = False  # replies arrive as 0xFF, as from a printer set to a faster rate

    @property
    def offline(self) -> bool:
        """The printer stops printing (and says so in DLE EOT 1) in these states."""
        return self.paper_out or self.cover_open or self.cutter_error

    def status_byte(self, n: int) -> int:
        """The reply to DLE EOT n, per the table in DEVICES.md."""
        value = 0x12
        if n == 1 and self.offline:
            value |= 0x08
        elif n == 2:
            value |= (0x04 * self.cover_open) | (0x20 * self.paper_out) | (0x40 * self.cutter_error)
        elif n == 3:
            value |= 0x08 * self.cutter_error
        elif n == 4:
            value |= (0x0C * self.paper_near_end) | (0x60 * self.paper_out)
        return value


@dataclass(frozen=True)
class SavedJob:
    number: int
    data: bytes
    bin_path: Path | None
    png_path: Path | None


class _StreamParser:
    """Splits the byte stream into job data, real-time requests and cuts, command by command.

    Like a real printer it also answers DLE EOT n found inside image or QR data; those bytes
    stay in the job as data. That limitation is inherent to ESC/POS (DEVICES.md): a raster
    row that happens to contain 10 04 01 makes the printer send a status byte.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._cmd = bytearray()
        self._payload_left = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> list[tuple[str, bytes | int]]:
        events: list[tuple[str, bytes | int]] = []
        i = 0
        while i < len(chunk):
            if self._payload_left:
                part = chunk[i:i + self._payload_left]
                window = self._tail + part
                start = window.find(_DLE_EOT)
                while 0 <= start < len(window) - 2:
                    if 1 <= window[start + 2] <= 4:
                        events.append(("status", window[start + 2]))
                    start = window.find(_DLE_EOT, start + 1)
                self._tail = window[-2:]
                events.append(("data", part))
                self._payload_left -= len(part)
                i += len(part)
                continue
            self._cmd.append(chunk[i])
            i += 1
            span = command_span(self._cmd)
            if span is None and len(self._cmd) < _MAX_HEADER:
                continue
            cmd = bytes(self._cmd)
            self._cmd.clear()
            self._tail = b""
            if cmd.startswith(_DLE_EOT):
                events.append(("status", cmd[2]))
            elif not cmd.startswith(_DLE_ENQ):  # error recovery request: no reply, no print
                events.append(("data", cmd))
                self._payload_left = span[1] if span else 0
                if cmd.startswith(_GS_V):
                    events.append(("cut", 0))
        return events


class _Pty:
    """One plugged-in period of the printer: a pty pair, its reader thread and wake pipe."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(self.slave)  # no echo, no line editing: the client sees only our replies
        self.path = os.ttyname(self.slave)
        self.wake_r, self.wake_w = os.pipe()
        self.thread: threading.Thread | None = None

    def close(self) -> None:
        for fd in (self.master, self.slave, self.wake_r, self.wake_w):
            try:
                os.close(fd)
            except OSError:
                pass


class SimPrinter:
    """The simulator; `device_path` is what a client opens (the link, else the pty itself)."""

    def __init__(
        self,
        out_dir: Path | None = None,
        pty_link: Path | None = None,
        baudrate: int = 115200,
        preview: bool = True,
        width_px: int = 576,
        on_saved: Callable[[SavedJob], None] | None = None,
    ) -> None:
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.pty_link = Path(pty_link) if pty_link is not None else None
        self.preview = preview
        self.width_px = width_px
        self.on_saved = on_saved
        self.jobs: list[bytes] = []
        self.saved: list[SavedJob] = []
        self._baudrate = baudrate
        self._faults = Faults()
        self._lock = threading.RLock()
        self._jobs_changed = threading.Condition(self._lock)
        self._job = bytearray()
        self._job_spoiled = False
        self._last_data = 0.0
        self._bytes_received = 0
        self._parser = _StreamParser()
        self._pty: _Pty | None = None
        self._closed = False
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        self._next_number = _next_ticket_number(self.out_dir)
        self._saves: queue.Queue[bytes | None] = queue.Queue()
        self.reappear()  # first: if the link cannot be made, no thread is left behind
        self._saver = threading.Thread(target=self._save_loop, name="sim-printer-save", daemon=True)
        self._saver.start()

    # -- public API ----------------------------------------------------------------------
    @property
    def device_path(self) -> str:
        with self._lock:
            if self.pty_link is not None:
                return str(self.pty_link)
            if self._pty is None:
                raise RuntimeError("simulated printer is unplugged")
            return self._pty.path

    @property
    def faults(self) -> Faults:
        return self._faults

    @property
    def bytes_received(self) -> int:
        """All bytes consumed from the line so far (status requests included)."""
        return self._bytes_received

    def set_fault(self, *, paper_near_end: bool | None = None, paper_out: bool | None = None,
                  cover_open: bool | None = None, cutter_error: bool | None = None,
                  silent: bool | None = None, wrong_baud: bool | None = None) -> None:
        """Change the named faults; None leaves one as it is."""
        wanted = {"paper_near_end": paper_near_end, "paper_out": paper_out,
                  "cover_open": cover_open, "cutter_error": cutter_error, "silent": silent,
                  "wrong_baud": wrong_baud}
        changes = {name: value for name, value in wanted.items() if value is not None}
        with self._lock:
            self._faults = replace(self._faults, **changes)
            if self._faults.offline and (self._job or self._job_spoiled):
                self._job_spoiled = True  # the printer stops mid-ticket: that ticket is lost
            log.info("simulated printer faults: %s", self._faults)

    def set_baudrate(self, baudrate: int) -> None:
        if baudrate <= 0:
            raise ValueError("baudrate must be positive")
        self._baudrate = baudrate

    def disappear(self) -> None:
        """Unplug: close the pty (the client's next write fails) and remove the link."""
        with self._lock:
            pty, self._pty = self._pty, None
        if pty is None:
            return
        os.write(pty.wake_w, b"x")
        if pty.thread is not None:
            pty.thread.join()
        with self._lock:
            # A printer prints while data arrives: what it got before the unplug is on paper.
            self._end_job("unplugged")
        pty.close()
        if self.pty_link is not None and self.pty_link.is_symlink():
            if os.readlink(self.pty_link) == pty.path:
                self.pty_link.unlink()
        log.info("simulated printer unplugged")

    def reappear(self) -> None:
        """Plug in again on a fresh pty; the link (if any) points at the new one."""
        with self._lock:
            if self._closed:
                raise RuntimeError("simulated printer is closed")
            if self._pty is not None:
                return
            pty = _Pty()
            try:
                if self.pty_link is not None:
                    _point_link(self.pty_link, pty.path)
            except OSError:
                pty.close()
                raise
            self._parser.reset()
            self._pty = pty
            pty.thread = threading.Thread(target=self._read_loop, args=(pty,),
                                          name="sim-printer", daemon=True)
            pty.thread.start()
        log.info("simulated printer at %s (%s)", self.pty_link or pty.path, pty.path)

    def wait_for_jobs(self, n: int, timeout_s: float) -> bool:
        """Wait until at least n jobs are saved; False on timeout."""
        with self._jobs_changed:
            return self._jobs_changed.wait_for(lambda: len(self.jobs) >= n, timeout_s)

    def close(self) -> None:
        if self._closed:
            return
        self.disappear()
        self._closed = True
        self._saves.put(None)
        self._saver.join()

    def __enter__(self) -> SimPrinter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- line side -----------------------------------------------------------------------
    def _read_loop(self, pty: _Pty) -> None:
        try:
            self._read_until_unplugged(pty)
        except Exception:  # noqa: BLE001 - a dead reader must be visible in the log
            log.exception("simulated printer reader failed")

    def _read_until_unplugged(self, pty: _Pty) -> None:
        tokens, last = 4.0, time.monotonic()
        while True:
            with self._lock:
                pending = bool(self._job) or self._job_spoiled
                gap_left_s = self._last_data + JOB_GAP_S - time.monotonic()
                wait_s = max(0.0, gap_left_s) if pending else None
            ready, _, _ = select.select([pty.master, pty.wake_r], [], [], wait_s)
            if pty.wake_r in ready:
                return
            now = time.monotonic()
            if pty.master not in ready:
                with self._lock:
                    self._end_job("silence")
                continue
            # Token bucket at baudrate/10 bytes per second: the pty itself would deliver
            # everything at once. A small burst keeps idle-time status requests instant.
            rate = self._baudrate / 10
            burst = max(4.0, min(64.0, rate * 0.005))
            tokens, last = min(burst, tokens + (now - last) * rate), now
            if tokens < 1:
                if select.select([pty.wake_r], [], [], (1 - tokens) / rate)[0]:
                    return
                continue
            try:
                data = os.read(pty.master, int(tokens))
            except OSError as err:  # EIO: no slave open (we hold one, so hardly ever)
                log.debug("simulated printer read: %s", err)
                data = b""
            if not data:
                if select.select([pty.wake_r], [], [], 0.05)[0]:
                    return
                continue
            tokens -= len(data)
            with self._lock:
                self._bytes_received += len(data)
                for kind, value in self._parser.feed(data):
                    self._handle(pty, kind, value)

    def _handle(self, pty: _Pty, kind: str, value: bytes | int) -> None:
        faults = self._faults
        if kind == "status":
            if not faults.silent and 1 <= int(value) <= 4:
                reply = 0xFF if faults.wrong_baud else faults.status_byte(int(value))
                _write(pty, bytes((reply,)))
            return
        self._last_data = time.monotonic()
        if kind == "data":
            if faults.offline:
                self._job_spoiled = True  # dropped, as a printer that cannot print drops it
            else:
                self._job.extend(value)  # type: ignore[arg-type]
        elif kind == "cut":
            self._end_job("cut")

    def _end_job(self, why: str) -> None:
        data, spoiled = bytes(self._job), self._job_spoiled
        self._job.clear()
        self._job_spoiled = False
        if why != "cut":
            # A command left open by a broken job must not eat the next. After a cut the
            # parser is between commands, and may already hold the start of the next one
            # (DLE EOT split across reads): keep it.
            self._parser.reset()
        if spoiled:
            log.warning("simulated printer dropped a job (%d bytes kept before the fault, %s)",
                        len(data), why)
        elif data:
            log.debug("job of %d bytes ended by %s", len(data), why)
            self._saves.put(data)

    # -- saving --------------------------------------------------------------------------
    def _save_loop(self) -> None:
        # Rendering a preview takes milliseconds: never on the thread that answers status.
        while (data := self._saves.get()) is not None:
            try:
                job = self._save(data)
            except Exception:  # noqa: BLE001 - keep saving later jobs
                log.exception("simulated printer could not save a job")
                job = SavedJob(0, data, None, None)
            with self._jobs_changed:
                self.jobs.append(data)
                self.saved.append(job)
                self._jobs_changed.notify_all()
            if self.on_saved is not None:
                try:
                    self.on_saved(job)
                except Exception:  # noqa: BLE001
                    log.exception("on_saved callback failed")

    def _save(self, data: bytes) -> SavedJob:
        number, self._next_number = self._next_number, self._next_number + 1
        if self.out_dir is None:
            return SavedJob(number, data, None, None)
        bin_path = self.out_dir / f"ticket-{number:04d}.bin"
        bin_path.write_bytes(data)
        png_path = None
        if self.preview:
            try:
                png_path = self.out_dir / f"ticket-{number:04d}.png"
                render_preview(data, self.width_px).save(png_path)
            except Exception:  # noqa: BLE001 - the .bin is the record; the picture is a bonus
                log.warning("preview of %s failed", bin_path.name, exc_info=True)
                png_path = None
        log.info("saved %s (%d bytes)", bin_path.name, len(data))
        return SavedJob(number, data, bin_path, png_path)


def _write(pty: _Pty, data: bytes) -> None:
    try:
        os.write(pty.master, data)
    except OSError as err:
        log.debug("simulated printer could not answer: %s", err)


def _point_link(link: Path, target: str) -> None:
    """Make link point at target atomically; refuses to replace anything but a symlink."""
    if link.exists() and not link.is_symlink():
        raise FileExistsError(f"{link} exists and is not a symlink")
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _next_ticket_number(out_dir: Path | None) -> int:
    if out_dir is None:
        return 1
    numbers = [int(p.stem[7:]) for p in out_dir.glob("ticket-*.bin") if p.stem[7:].isdigit()]
    return max(numbers, default=0) + 1


FAULT_NAMES = ("paper_near_end", "paper_out", "cover_open", "cutter_error", "silent",
               "wrong_baud")
CONTROL_HELP = ("commands: <fault> on|off (faults: " + ", ".join(FAULT_NAMES) +
                "), unplug, replug, baud <n>, quit")


def apply_command(sim: SimPrinter, line: str) -> str:
    """One fault-injection command typed (or piped) into `kiosk simulate printer`."""
    words = line.split()
    if not words:
        return ""
    if words[0] in FAULT_NAMES and len(words) == 2 and words[1] in ("on", "off"):
        sim.set_fault(**{words[0]: words[1] == "on"})
        return f"{words[0]} {words[1]}"
    if words == ["unplug"]:
        sim.disappear()
        return "unplugged"
    if words == ["replug"]:
        sim.reappear()
        return "plugged in again"
    if words[0] == "baud" and len(words) == 2 and words[1].isdigit():
        sim.set_baudrate(int(words[1]))
        return f"{words[1]} baud"
    return CONTROL_HELP


def _control_loop(sim: SimPrinter, stop: threading.Event) -> None:
    for line in sys.stdin:
        if line.strip() == "quit":
            stop.set()
            return
        answer = apply_command(sim, line)
        if answer:
            print(answer, flush=True)


def run_simulator_cli(pty_link: Path, out_dir: Path, baudrate: int,
                      faults: tuple[str, ...] = ()) -> int:
    """`kiosk simulate printer`: serve on pty_link until SIGINT/SIGTERM, one line per job.
    Faults can be set at start (`--fault paper_out`) and switched on stdin."""
    stop = threading.Event()

    def report(job: SavedJob) -> None:
        if job.bin_path is None:
            return
        line = f"saved {job.bin_path.name} ({len(job.data)} bytes)"
        if job.png_path is not None:
            line += f" and {job.png_path.name}"
        print(line, flush=True)

    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            sim = SimPrinter(out_dir=out_dir, pty_link=pty_link, baudrate=baudrate, on_saved=report)
        except OSError as err:
            print(f"cannot start the printer simulator: {err}", file=sys.stderr, flush=True)
            return 1
        with sim:
            for fault in faults:
                sim.set_fault(**{fault: True})
            print(f"simulated printer on {pty_link} at {baudrate} baud, tickets go to {out_dir}",
                  flush=True)
            if sys.stdin is not None and not sys.stdin.closed:
                print(CONTROL_HELP, file=sys.stderr, flush=True)
                threading.Thread(target=_control_loop, args=(sim, stop), daemon=True).start()
            while not stop.wait(0.5):
                pass
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
