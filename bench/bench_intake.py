"""Issue 12: sealing and storing one Anmeldung intake, and RSS over 1,000 intakes.

What: `IntakeService.submit` (validate with the rules, JSON envelope, PyNaCl SealedBox to
the office's X25519 key, `SqliteStore.put_sealed` in its own IMMEDIATE transaction with
synced to disk before it returns, the statistics row) for a two-person intake, p50/p99 over --runs
submits on a temporary store; and its sealing + storing step alone.

Against, in the same run: the obvious alternative without encryption (the same JSON
stored as the row, same store and transaction), so the row says what sealing costs; and,
for information, the seal alone with a fresh SealedBox per call (shipped) vs one
SealedBox kept for all calls.

For information: the receipt's bytes (German, Arabic, Persian; the Arabic-script lines
are raster images) and their wire time.

RSS: VmRSS after the first intake (everything imported, store open) and after --intakes
intakes through `submit` in this process. Target: growth <= 5 MiB over 1,000 intakes.
Run: .venv/bin/python bench/bench_intake.py [--runs N] [--intakes N] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from _common import demo_config, emit, log, median, percentile, row, verdict

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
GROWTH_LIMIT_MIB = 5.0


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def sample_intake():
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.intake_people import two_persons

    return two_persons(NOW.date())


def translated(lang: str) -> bool:
    from kiosk.i18n import gettext_for
    from kiosk.services.intake_receipt import TITLE

    return gettext_for(lang)(TITLE) != TITLE


def stats(times: list[float]) -> str:
    return (f"p50 {median(times) * 1000:.2f} ms, p99 {percentile(times, 99) * 1000:.2f} ms, "
            f"max {max(times) * 1000:.2f} ms ({len(times)} runs)")


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--intakes", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import nacl.public

    from kiosk.config_intake import IntakeConfig
    from kiosk.domain.intake_json import to_dict
    from kiosk.domain.intake_reference import new_reference
    from kiosk.services.intake import IntakeService, envelope
    from kiosk.services.intake_seal import load_public_keys, seal, write_keypair
    from kiosk.store.sqlite import SqliteStore

    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-intake-") as tmp_name:
        tmp = Path(tmp_name)
        _, public = write_keypair(tmp / "office")
        config = dataclasses.replace(demo_config(tmp), intake=IntakeConfig(
            enabled=True, public_key_files=(str(public),)))
        store = SqliteStore(tmp / "intake.sqlite3", terminal_id="bench")
        service = IntakeService(config, store, None, clock=lambda: NOW, queue_ticket=False)
        intake = sample_intake()
        [key] = load_public_keys([public])
        plain = envelope(intake, "X" * 10, NOW, "bench")
        notes.append(f"two-person intake: {len(plain)} B of JSON, "
                     f"{len(seal(plain, key))} B sealed")

        def submit():
            assert service.submit(intake).accepted

        submit()  # warm: imports, keys read, statements prepared
        rss_first = rss_mib()
        log(f"[intake] {args.runs} submits")
        t_submit = timed(submit, args.runs)
        rows.append(row("issue 12: seal + store one intake", "kiosk `IntakeService.submit` "
                        "(validate, seal, store FULL, statistics)", stats(t_submit)))

        counter = iter(range(10 ** 9))

        def seal_and_store():
            ref = new_reference(next(counter).to_bytes(8, "big"))
            store.put_sealed(ref, seal(envelope(intake, ref, NOW, "bench"), key),
                             key.key_id, NOW)

        def plain_row():
            ref = new_reference((10 ** 8 + next(counter)).to_bytes(8, "big"))
            data = json.dumps(to_dict(intake), ensure_ascii=False).encode()
            store.put_sealed(ref, data, "plain", NOW)

        # interleaved, so both see the same file size and machine load
        t_seal_store, t_plain = [], []
        for _ in range(args.runs):
            t_seal_store += timed(seal_and_store, 1)
            t_plain += timed(plain_row, 1)
        rows.append(row("issue 12: seal + store one intake", "kiosk seal + `put_sealed` "
                        "(no validation, no statistics)", stats(t_seal_store)))
        rows.append(row("issue 12: seal + store one intake", "plain JSON row, same store "
                        "(no encryption: the alternative)", stats(t_plain)
                        + f"; sealing adds "
                        f"{(median(t_seal_store) - median(t_plain)) * 1000:+.2f} ms at p50"))

        box = nacl.public.SealedBox(key.key)
        t_fresh = timed(lambda: seal(plain, key), args.runs * 3)
        t_kept = timed(lambda: box.encrypt(plain), args.runs * 3)
        rows.append(row("issue 12: seal alone (info)", "fresh SealedBox per call (shipped)",
                        stats(t_fresh)))
        rows.append(row("issue 12: seal alone (info)", "one SealedBox kept", stats(t_kept)))

        log(f"[intake] RSS over {args.intakes} intakes")
        for done in range(1, args.intakes):  # the first one was the warm-up
            submit()
        gc.collect()
        # the intakes submitted in the timing loops count too
        total = 1 + args.runs + args.intakes - 1
        rss_end = rss_mib()
        growth = rss_end - rss_first
        rows.append(row("issue 12: RSS over intakes", f"{total} submits in one process",
                        f"{rss_first:.1f} MiB after the first, {rss_end:.1f} MiB after "
                        f"{total}: growth {growth:+.1f} MiB",
                        f"growth <= {GROWTH_LIMIT_MIB:g} MiB",
                        verdict(growth <= GROWTH_LIMIT_MIB)))
        # after the RSS samples: rendering imports the printer code and its fonts
        from kiosk.devices.printer.profiles import PROFILES
        from kiosk.devices.printer.render import render_document

        for lang in ("de", "ar", "fa"):
            doc = service.receipt(service.submit(intake), lang)
            size = len(render_document(doc, PROFILES["TM-T88V"]))
            rows.append(row("issue 12: receipt bytes (info)", f"{lang} receipt, no ticket"
                            + ("" if translated(lang) else " (strings not yet in the "
                               "catalog: English lines)"),
                            f"{size:,} B: {size * 10 / 9600:.2f} s at 9600 baud, "
                            f"{size * 10 / 115200 * 1000:.0f} ms at 115200"))
        notes.append(f"sealed intakes in the store at the end: {store.sealed_count()}")
        store.close()
    emit(rows, notes)


if __name__ == "__main__":
    main()
