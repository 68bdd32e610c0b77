"""Measurement 4: resident memory over many simulated visitor sessions in one headless app.

What: one process builds the real KioskApp headless (kiosk_env.prepare, start_embedded,
shipped demo configuration: 12 languages, 6 services, 1920x1080) with the printer as a
FileTransport to a temporary file, built as `kiosk run` builds it (kiosk.wiring.
build_printer_supervisor, a worker thread; build_printer on older commits) and passed
to KioskApp as in ui_runner.run_app, a fresh SQLite store
(durable writes, as shipped) and a TicketService with min_interval_s=0 and a fake wall clock that
moves 150 s per session (so numbers roll over to a new business day every 576 sessions,
far from the 999 limit and the 120/day quota). The app's idle clock is a fake monotonic
clock that never moves, so the idle reset never fires on its own.

One session calls what the taps call, running frames after each tap until one is drawn
(kiosk.app.step; the time from the call to that frame is the tap's wait):
  LanguageScreen.choose(lang)   -> app.set_language + app.go("services")
  app.toggle_large_text()       every 3rd visitor (sessions 1, 4, 7, ...)
  app.toggle_high_contrast()    every 4th visitor (sessions 2, 6, 10, ...)
  ServicesScreen.choose(id, "open") -> app.request_ticket (worker thread: issue, print
                                   to the file, results back through Clock)   (frames
                                   until the ticket screen says printed)
  app.reset_visit()              (the ticket screen's "Finish" button; it also switches
                                  larger text and high contrast off again)
Languages cycle through all 12 (Arabic and Persian included), services through all 6.

RSS = VmRSS from /proc/self/status, sampled at 0, 100, 200, ... (every 100) and at
1,000, 2,000, ... sessions. After --warmup sessions (100) the script also reports the CPU
per visit (time.process_time: the whole process, Mesa's llvmpipe render threads and the
issuing worker included; and time.thread_time of the UI thread) and every tap's wait
for its next drawn frame (median, p99, max).
Frames drawn per visit are counted too (Window on_flip), and label texts laid out and
drawn per visit (Kivy's core label renders a texture in two passes, LabelBase.render:
measuring and wrapping the text, then drawing it with Pillow when a frame first uses the
texture; counted by wrapping LabelBase.render in this process only). Headless (SDL offscreen) Mesa's
llvmpipe rasterises a frame only when something forces it -- a texture upload into a texture
the frame uses, a read-back -- while a real display's buffer swap does every time; with
--finish-frames every drawn frame is finished (glFinish), so CPU per visit counts them all.
Against, in the same run: (a) RSS of the same process right after start, before any
session; (b) a fresh process without Kivy doing 10,000 sessions of the non-UI part only
(TicketService.issue + print_ticket to the FileTransport, same clock, same store kind),
to separate store/printer growth from UI growth.
Targets (issue 9): items 5, RSS <= 280 MiB after 10,000 sessions and growth <= 2 MiB
between 1,000 and 10,000; 4, CPU <= 150 ms per visit and tap -> frame p99 <= 150 ms.

Bounded: the UI run stops at --sessions (10,000) or when --budget-s (default 240 s) is
used up, whichever comes first; it then says how many sessions ran, how long 100 took,
and (when it stopped early) the growth per 1,000 sessions after the first 100 with a
linear extrapolation to 10,000, labelled as such. A full UI session still costs ~0.5 s
of CPU and ~0.3-0.7 s of wall time here (software GL on 2 shared cores), so 10,000
take one to two hours: run that by hand with --sessions 10000 --budget-s 9000 (it is
the only run that measures the memory target).
Run: .venv/bin/python bench/bench_sessions_rss.py [--sessions N] [--budget-s S]
     [--engine-sessions N] [--mode both|ui|engine]
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _common import Ticks, demo_config, emit, log, median, percentile, row, verdict

ENGINE_MARK = "ENGINE_RSS "
RSS_LIMIT_MIB, GROWTH_LIMIT_MIB = 280, 2  # issue 9 item 5: after 10,000; 1,000 -> 10,000
CPU_LIMIT_S, TAP_LIMIT_S = 0.150, 0.150  # issue 9 item 4: per visit; tap -> frame p99
SESSION_STEP = timedelta(seconds=150)


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 7, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def thread_cpu() -> dict[str, float]:
    """CPU seconds (user + system) of this process's live threads, summed by thread name
    (/proc/self/task/*/stat; Mesa names its raster threads llvmpipe-N)."""
    import os

    tick = os.sysconf("SC_CLK_TCK")
    by_name: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat", encoding="ascii") as stat:
                text = stat.read()
        except OSError:
            continue  # the thread ended meanwhile
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        name = "llvmpipe" if name.startswith("llvmpipe") else name
        by_name[name] = by_name.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return by_name


def file_printer_config(tmp: Path):
    from kiosk.config import PrinterConfig

    config = demo_config(tmp)
    return dataclasses.replace(config, printer=PrinterConfig(
        transport="file", path=str(tmp / "printer.bin"), profile="TM-T88V", width_mm=80))


def app_printer(printer_config):
    """The app's printer (`build_printer_supervisor`, as `kiosk run`), or `build_printer`
    on commits from before the printer worker."""
    import kiosk.wiring as wiring

    if hasattr(wiring, "build_printer_supervisor"):
        return wiring.build_printer_supervisor(printer_config), "build_printer_supervisor"
    return wiring.build_printer(printer_config), "build_printer"


def run_engine(sessions: int) -> dict:
    """Child process, no Kivy: the non-UI half of each session, 10,000 times."""
    from kiosk.services.issue_ticket import TicketService
    from kiosk.store.sqlite import SqliteStore

    with tempfile.TemporaryDirectory(prefix="kiosk-bench-rss-engine-") as tmp_name:
        tmp = Path(tmp_name)
        config = file_printer_config(tmp)
        clock = Clock()
        store = SqliteStore(tmp / "kiosk.sqlite3", terminal_id="bench")
        printer, _kind = app_printer(config.printer)
        tickets = TicketService(config, store, printer, clock=clock, min_interval_s=0)
        langs, ids = list(config.languages), [s.id for s in config.services]
        samples = [(0, rss_mib(), 0.0)]
        started = time.perf_counter()
        for done in range(1, sessions + 1):
            clock.now += SESSION_STEP
            issued = tickets.issue(ids[done % len(ids)], langs[done % len(langs)])
            if not tickets.print_ticket(issued).printed:
                raise RuntimeError("engine: not printed")
            if done in (100, 1000) or done % 1000 == 0:
                samples.append((done, rss_mib(), time.perf_counter() - started))
        printer.close()
        store.close()
    return {"samples": samples}


def run_ui(sessions: int, budget_s: float, finish_frames: bool = False,
           warmup: int = 100, profile: str | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-rss-") as tmp_name:
        tmp = Path(tmp_name)
        config = file_printer_config(tmp)
        from kiosk import kivy_env

        kivy_env.prepare(config.screen.width_px, config.screen.height_px, fullscreen=False,
                         headless=True)
        from kiosk.app import KioskApp, start_embedded, step
        from kiosk.services.issue_ticket import TicketService
        from kiosk.store.sqlite import SqliteStore

        clock = Clock()
        store = SqliteStore(tmp / "kiosk.sqlite3", terminal_id="bench")
        printer, printer_kind = app_printer(config.printer)
        tickets = TicketService(config, store, printer, clock=clock, min_interval_s=0)
        try:
            app = KioskApp(config, tickets, monotonic=Ticks(), printer=printer)
        except TypeError:  # commits before the printer worker: no printer argument
            app = KioskApp(config, tickets, monotonic=Ticks())
        app = start_embedded(app)
        language = app.root.get_screen("language")
        services = app.root.get_screen("services")
        ticket = app.root.get_screen("ticket")
        langs, ids = list(config.languages), [s.id for s in config.services]

        from kivy.core.text import LabelBase
        from kivy.core.window import Window

        flips = [0, 0.0]  # frames drawn, time of the last one
        # label texts laid out (a label's texture rendered: Kivy's core label measures and
        # wraps the text) and drawn (Pillow; when a frame first uses the new texture)
        renders = [0, 0]
        render = LabelBase.render

        def counted_render(label, real=False):
            renders[1 if real else 0] += 1
            return render(label, real)

        LabelBase.render = counted_render  # this process only: counts, changes nothing
        # words measured by Pillow (each a shaping of the word: Kivy's layout measures
        # every word it wraps)
        from PIL import ImageFont

        measured = [0]
        getbbox = ImageFont.FreeTypeFont.getbbox

        def counted_getbbox(font, *args, **kwargs):
            measured[0] += 1
            return getbbox(font, *args, **kwargs)

        ImageFont.FreeTypeFont.getbbox = counted_getbbox

        finish = None
        if finish_frames:
            from kivy.graphics.opengl import glFinish as finish

        def on_flip(*_args) -> None:
            if finish is not None:
                finish()  # rasterise it now, as a real display's buffer swap does
            flips[0] += 1
            flips[1] = time.perf_counter()

        Window.bind(on_flip=on_flip)

        def tap_to_frame(action) -> float:
            """Run a tap's handler, then frames until one is drawn: the visitor's wait."""
            seen, started = flips[0], time.perf_counter()
            action()
            deadline = started + 10
            while flips[0] == seen and time.perf_counter() < deadline:
                step(1)
            return flips[1] - started

        samples = [(0, rss_mib(), 0.0)]
        log(f"[rss] UI start: {samples[0][1]:.1f} MiB; up to {sessions} sessions or "
            f"{budget_s:.0f} s")
        threads_before = threading.active_count()
        started = time.perf_counter()
        done = 0
        taps: list[float] = []  # tap -> next drawn frame, every tap after the first 100
        cpu_from = None  # (process CPU, main thread CPU, sessions) at session 100
        profiler = None
        while done < sessions and time.perf_counter() - started < budget_s:
            clock.now += SESSION_STEP
            # tap: a language (all 12 in turn)
            wait = [tap_to_frame(lambda: language.choose(langs[done % len(langs)]))]
            # every third visitor wants larger text, every fourth high contrast (the
            # toggles' taps; reset_visit switches them off again)
            if done % 3 == 1:
                wait.append(tap_to_frame(app.toggle_large_text))
            if done % 4 == 2:
                wait.append(tap_to_frame(app.toggle_high_contrast))
            # tap: a service (all 6 in turn)
            wait.append(tap_to_frame(lambda: services.choose(ids[done % len(ids)], "open")))
            deadline = time.perf_counter() + 10
            while ticket.printed is None or ticket.number == "":
                step(1)
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"session {done}: no ticket within 10 s (screen "
                                       f"{app.root.current}, {services.message_reason!r})")
                time.sleep(0.0005)
            if not ticket.printed:
                raise RuntimeError(f"session {done}: ticket not printed")
            wait.append(tap_to_frame(app.reset_visit))            # tap: Finish
            done += 1
            if done > warmup:
                taps.extend(wait)
            if done == warmup:
                cpu_from = (time.process_time(), time.thread_time(), done, flips[0],
                            renders[0], renders[1], thread_cpu(), measured[0])
                if profile:
                    import cProfile

                    profiler = cProfile.Profile(time.thread_time)  # UI thread CPU, not waits
                    profiler.enable()
            if done % 100 == 0 or done == sessions:
                samples.append((done, rss_mib(), time.perf_counter() - started))
                if done % 1000 == 0 or done in (100, 500):
                    log(f"[rss] UI {done} sessions: {samples[-1][1]:.1f} MiB after "
                        f"{samples[-1][2]:.0f} s")
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        cpu = None
        if cpu_from is not None and done > cpu_from[2]:
            n = done - cpu_from[2]
            threads_now = thread_cpu()
            cpu = {"process_s": (time.process_time() - cpu_from[0]) / n,
                   "main_s": (time.thread_time() - cpu_from[1]) / n, "sessions": n,
                   "frames": (flips[0] - cpu_from[3]) / n,
                   "laid_out": (renders[0] - cpu_from[4]) / n,
                   "drawn": (renders[1] - cpu_from[5]) / n,
                   "measured": (measured[0] - cpu_from[7]) / n,
                   "threads": {name: (s - cpu_from[6].get(name, 0.0)) / n
                               for name, s in threads_now.items()
                               if s - cpu_from[6].get(name, 0.0) > 0}}
        Window.unbind(on_flip=on_flip)
        LabelBase.render = render
        ImageFont.FreeTypeFont.getbbox = getbbox
        if samples[-1][0] != done:
            samples.append((done, rss_mib(), time.perf_counter() - started))
        gc.collect()
        after_gc = rss_mib()
        result = {"samples": samples, "after_gc": after_gc, "cpu": cpu, "taps": taps,
                  "threads": (
            threads_before, threading.active_count()),
            "printed_bytes": (tmp / "printer.bin").stat().st_size, "printer": printer_kind,
            "extents": _extents_kept()}
        app.detach()
        printer.close()
        store.close()
    return result


def _extents_kept() -> str:
    """The kiosk's cache of measured words (kiosk.widgets.bidi_text), if it has one."""
    try:
        from kiosk.widgets.bidi_text import _extents
    except ImportError:
        return ""
    info = _extents.cache_info()
    return f"{info.currsize:,} of {info.maxsize:,} (hits {info.hits:,}, misses {info.misses:,})"


def growth(samples, start_n: int) -> tuple[float, float] | None:
    """(least-squares MiB growth per 1,000 sessions over the samples from start_n on,
    last RSS); None with fewer than 3 such samples."""
    points = [(n, r) for n, r, _ in samples if n >= start_n]
    if len(points) < 3:
        return None
    mean_n = sum(n for n, _ in points) / len(points)
    mean_r = sum(r for _, r in points) / len(points)
    var = sum((n - mean_n) ** 2 for n, _ in points)
    slope = sum((n - mean_n) * (r - mean_r) for n, r in points) / var
    return slope * 1000, samples[-1][1]


def summarize_ui(ui: dict, sessions: int, budget_s: float) -> dict:
    samples = ui["samples"]
    by_n = {n: r for n, r, _ in samples}
    done, final, elapsed = samples[-1]
    t100 = next((t for n, _r, t in samples if n == 100), None)
    at = ", ".join(f"{n:,}: {r:.1f}" for n, r, _ in samples
                   if n in (0, 100, 1000, 5000, 10000) or n == done)
    speed = (f"100 sessions took {t100:.0f} s" if t100 else "") + \
        f" ({elapsed / max(done, 1) * 1000:.0f} ms/session)"
    if done >= 10_000 and 1000 in by_n:
        grow = by_n[10_000] - by_n[1000]
        trend = growth([x for x in samples if x[0] <= 10_000], 1000)
        trend_txt = f"; least-squares trend 1k->10k {trend[0] * 9:+.1f} MiB" if trend else ""
        result = (f"{by_n[10_000]:.1f} MiB after 10,000 sessions, {grow:+.1f} MiB from "
                  f"1,000 to 10,000{trend_txt} (RSS MiB at {at}); {speed}")
        ok = by_n[10_000] <= RSS_LIMIT_MIB and grow <= GROWTH_LIMIT_MIB
        borderline = trend is not None and (trend[0] * 9 > GROWTH_LIMIT_MIB) == ok
        return {"result": result, "verdict": verdict(ok) + (" (trend disagrees)"
                                                             if borderline else "")}
    why = "the time budget" if done < sessions else "--sessions"
    ref = 1000 if done > 1000 else 200 if done >= 400 else 100
    g = growth(samples, ref)
    if g is None:
        return {"result": f"ran only {done:,} sessions: too few to say (RSS MiB at {at}); "
                          f"{speed}", "verdict": "not measured"}
    per_k, _last = g
    trend = max(per_k, 0.0)
    estimate = final + trend * (10_000 - done) / 1000
    result = (f"RAN ONLY {done:,} sessions (stopped by {why}; 10,000 not run); {speed}. "
              f"{final:.1f} MiB at {done:,}; from {ref:,} sessions on (least squares over "
              f"the samples every 100) {per_k:+.2f} MiB per 1,000; linear extrapolation of any upward "
              f"trend to 10,000: {estimate:.1f} MiB, 1k->10k {trend * 9:+.1f} MiB "
              f"(RSS MiB at {at})")
    ok = estimate <= RSS_LIMIT_MIB and trend * 9 <= GROWTH_LIMIT_MIB
    return {"result": result, "verdict": "not measured (extrapolation "
                                         f"{'within' if ok else 'outside'} target)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--budget-s", type=float, default=240.0)
    parser.add_argument("--engine-sessions", type=int, default=10_000)
    parser.add_argument("--mode", choices=("both", "ui", "engine", "engine-child"),
                        default="both")
    parser.add_argument("--finish-frames", action="store_true",
                        help="glFinish after every drawn frame: headless (SDL offscreen) "
                        "Mesa rasterises a frame only when something forces it (a texture "
                        "upload, a read-back), a real display's swap does every time")
    parser.add_argument("--warmup", type=int, default=100,
                        help="visits before CPU, frames and taps are counted")
    parser.add_argument("--profile", metavar="FILE",
                        help="cProfile the UI thread after the warm-up into FILE (pstats)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.mode == "engine-child":
        print(ENGINE_MARK + json.dumps(run_engine(args.engine_sessions)), flush=True)
        return

    rows, notes = [], []
    if args.mode in ("both", "engine"):
        log(f"[rss] engine child: {args.engine_sessions} sessions without UI")
        proc = subprocess.run([sys.executable, __file__, "--mode", "engine-child",
                               "--engine-sessions", str(args.engine_sessions)],
                              capture_output=True, text=True, timeout=900)
        line = next((x for x in proc.stdout.splitlines() if x.startswith(ENGINE_MARK)), None)
        if proc.returncode != 0 or line is None:
            raise RuntimeError(f"engine child failed: {proc.stderr[-2000:]}")
        eng = json.loads(line[len(ENGINE_MARK):])["samples"]
        by_n = {n: r for n, r, _ in eng}
        n_last, r_last, t_last = eng[-1]
        grow = r_last - by_n.get(1000, float("nan"))
        rows.append(row("4 RSS over visitor sessions", "no UI: `issue` + `print_ticket` to "
                        "the file, fresh process without Kivy (alternative)",
                        f"{r_last:.1f} MiB after {n_last:,} sessions, {grow:+.1f} MiB from "
                        f"1,000 to {n_last:,}; start {eng[0][1]:.1f} MiB; "
                        f"{t_last / n_last * 1000:.1f} ms/session"))
        notes.append("RSS no-UI samples (sessions: MiB @ s): " + "; ".join(
            f"{n:,}: {r:.1f} @ {t:.0f}" for n, r, t in eng))
        log(f"[rss] engine: {rows[-1]['result']}")
    if args.mode in ("both", "ui"):
        ui = run_ui(args.sessions, args.budget_s, args.finish_frames, args.warmup,
                    args.profile)
        summary = summarize_ui(ui, args.sessions, args.budget_s)
        samples = ui["samples"]
        rows.insert(0, row("4 RSS over visitor sessions", "kiosk app, full UI sessions "
                           "(language -> service -> ticket -> Finish; 12 languages in turn, "
                           "larger text every 3rd, high contrast every 4th), headless "
                           "1920x1080", summary["result"],
                           f"<= {RSS_LIMIT_MIB} MiB at 10k, growth <= {GROWTH_LIMIT_MIB} MiB "
                           "1k->10k", summary["verdict"]))
        cpu, taps = ui["cpu"], ui["taps"]
        if cpu is not None and taps:
            p99 = percentile(taps, 99)
            rows.insert(1, row(
                "4 visits: CPU per visit; tap -> next drawn frame", "kiosk app, the same "
                f"sessions after the first {args.warmup}" + (
                    ", every frame rasterised (glFinish)" if args.finish_frames else ""),
                f"CPU {cpu['process_s'] * 1000:.0f} ms per visit (process, Mesa's render "
                f"threads included; UI thread {cpu['main_s'] * 1000:.0f} ms; "
                "threads (live at the end, ms per visit): " + ", ".join(
                    f"{name} {ms * 1000:.0f}" for name, ms in sorted(
                        cpu["threads"].items(), key=lambda x: -x[1])) + "; "
                f"{cpu['frames']:.1f} frames drawn; label texts: {cpu['laid_out']:.1f} "
                f"laid out, {cpu['drawn']:.1f} drawn per visit; "
                f"{cpu['measured']:.0f} words measured by Pillow per visit; "
                f"{cpu['sessions']:,} visits); tap -> frame median "
                f"{median(taps) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max "
                f"{max(taps) * 1000:.1f} ms ({len(taps):,} taps)",
                f"CPU <= {CPU_LIMIT_S * 1000:.0f} ms, p99 <= {TAP_LIMIT_S * 1000:.0f} ms",
                verdict(cpu["process_s"] <= CPU_LIMIT_S and p99 <= TAP_LIMIT_S)))
        rows.insert(2, row("4 RSS over visitor sessions", "same UI process before its first "
                           "session (baseline)", f"{samples[0][1]:.1f} MiB; after the last "
                           f"session and gc.collect() {ui['after_gc']:.1f} MiB"))
        notes.append(f"RSS UI: printer from `{ui['printer']}` with a FileTransport; "
                     f"{samples[-1][0]:,} sessions, {ui['printed_bytes']:,} bytes "
                     f"printed to the file, threads before/after {ui['threads'][0]}/"
                     f"{ui['threads'][1]}; samples (sessions: MiB @ s): " + "; ".join(
                         f"{n:,}: {r:.1f} @ {t:.0f}" for n, r, t in samples
                         if n % 500 == 0 or n in (100, samples[-1][0])))
        if ui.get("extents"):
            notes.append(f"word extents kept at the end: {ui['extents']}")
    emit(rows, notes)


if __name__ == "__main__":
    main()
