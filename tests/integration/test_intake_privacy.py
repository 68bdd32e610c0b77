"""Nothing readable stays on the terminal: after intakes taken on the screens' path
(statistics, a refused one, a receipt printed to the spool file, debug logging) and by
`kiosk intake submit`, every file under the data folder (SQLite file, WAL, spool, logs)
is searched for every name, birth date and document number used: zero hits, before and
after the counter's export, after which the sealed rows are gone too."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from kiosk.config import load_config
from kiosk.domain.clock import business_day, utc_now
from kiosk.domain.intake_json import to_dict
from kiosk.domain.intake_reference import normalize
from kiosk.services.intake import IntakeService
from kiosk.services.intake_seal import write_keypair
from kiosk.store.sqlite import SqliteStore
from kiosk.wiring import build_printer
from tests.conftest import MINIMAL_CONFIG, kiosk_env, write_config
from tests.intake_people import SECRETS, two_persons


def hits(folder: Path) -> list[tuple[str, str]]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for secret in SECRETS:
            for encoded in (secret.encode("utf-8"), secret.encode("utf-16-le")):
                if encoded in data:
                    found.append((path.name, secret))
    return found


def test_no_personal_data_in_the_data_folder_before_and_after_export(tmp_path, data_dir):
    import json

    office = tmp_path / "office"  # the office's side: outside the terminal's data folder
    private, public = write_keypair(office)
    (data_dir / "spool").mkdir(parents=True)
    (data_dir / "logs").mkdir()
    config_path = write_config(tmp_path, MINIMAL_CONFIG.replace(
        "{printer_path}", str(data_dir / "spool" / "printer.bin"))
        + f'\n[intake]\npublic_key_files = ["{public}"]\nticket_service = "anmeldung"\n')
    config = load_config(config_path)
    log_file = data_dir / "logs" / "kiosk.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    store = SqliteStore(data_dir / "kiosk.sqlite3", terminal_id=config.terminal_id)
    try:
        service = IntakeService(config, store, build_printer(config.printer))
        today = business_day(utc_now())
        service.started("de")
        refused = two_persons(today)
        refused.persons[0].birth_date = None
        assert not service.submit(refused).accepted
        service.abandoned("intake_review", 300.0)
        service.started("ar")
        result = service.submit(two_persons(today, lang="ar"))
        assert result.accepted and result.ticket is not None
        assert service.print_receipt(result, "ar").printed
        # the same through the CLI, its debug output into the data folder's log
        intake_json = tmp_path / "in" / "intake.json"
        intake_json.parent.mkdir()
        intake_json.write_text(json.dumps(to_dict(two_persons(today)), ensure_ascii=False),
                               encoding="utf-8")
        with open(data_dir / "logs" / "cli.log", "ab") as cli_log:
            done = subprocess.run(
                [sys.executable, "-m", "kiosk", "intake", "submit", str(intake_json),
                 "--config", str(config_path)], stdout=subprocess.PIPE, stderr=cli_log,
                timeout=120, env=kiosk_env(KIOSK_DATA_DIR=str(data_dir),
                                           KIOSK_LOG_LEVEL="DEBUG"))
        assert done.returncode == 0
        cli_reference = normalize(done.stdout.decode().strip())
        handler.flush()
        # the search is not vacuous: every kind of file is there and holds something
        names = {p.name for p in data_dir.rglob("*") if p.is_file()}
        assert {"kiosk.sqlite3", "kiosk.sqlite3-wal", "printer.bin", "kiosk.log",
                "cli.log"} <= names, names
        assert (data_dir / "spool" / "printer.bin").stat().st_size > 500
        assert result.reference in log_file.read_text(encoding="utf-8")
        assert store.sealed_count() == 2
        assert hits(data_dir) == []

        for reference, fmt in ((result.reference, "json"), (cli_reference, "pdf")):
            export = subprocess.run(
                [sys.executable, "-m", "kiosk", "intake", "export", reference, "--key",
                 str(private), "--format", fmt, "--store", str(data_dir / "kiosk.sqlite3"),
                 "--out", str(office / f"{reference}.{fmt}")], capture_output=True,
                timeout=120, env=kiosk_env(KIOSK_DATA_DIR=str(data_dir)))
            assert export.returncode == 0, export.stderr
        assert store.sealed_count() == 0
        assert hits(data_dir) == []
        assert hits(office)  # the counter's JSON does hold the names: the search works
    finally:
        store.close()
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    assert hits(data_dir) == []
