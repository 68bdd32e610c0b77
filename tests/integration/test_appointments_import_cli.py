"""`kiosk appointments import` in a subprocess: bad rows listed and skipped with exit 1,
the good ones imported; a re-import changes nothing; a bad header imports nothing."""

from __future__ import annotations

import subprocess
import sys

from kiosk.store.sqlite import SqliteStore
from tests.conftest import MINIMAL_CONFIG, kiosk_env, write_config

APPOINTMENTS = '\n[appointments]\noffice_id = "bb-test"\n'
GOOD = ("reference,service,office,start,duration,status\n"
        "204517,anmeldung,bb-test,2026-11-24T10:30,15,confirmed\n")


def _import(tmp_path, csv_text):
    config = write_config(tmp_path, MINIMAL_CONFIG.replace(
        "{printer_path}", str(tmp_path / "p.bin")) + APPOINTMENTS)
    csv = tmp_path / "b.csv"
    csv.write_text(csv_text, encoding="utf-8")
    return csv, subprocess.run(
        [sys.executable, "-m", "kiosk", "appointments", "import", str(csv), "--config",
         str(config)], capture_output=True, text=True, timeout=60,
        env=kiosk_env(KIOSK_DATA_DIR=str(tmp_path / "data")))


def _store(tmp_path):
    return SqliteStore(tmp_path / "data" / "kiosk.sqlite3")


def test_good_file_then_idempotent_reimport(tmp_path):
    _, first = _import(tmp_path, GOOD)
    assert first.returncode == 0, first.stderr
    assert "1 added" in first.stdout
    _, again = _import(tmp_path, GOOD)
    assert again.returncode == 0 and "0 added, 0 updated, 1 unchanged" in again.stdout


def test_bad_rows_skipped_good_rows_imported_exit_1(tmp_path):
    csv, result = _import(tmp_path, GOOD + "204518,anmeldung,bb-test,morgen,15,confirmed\n")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"{csv}:3: start: ")
    assert lines[-1].startswith("kiosk: 1 bad row(s)") and "Traceback" not in result.stderr
    store = _store(tmp_path)
    try:
        assert store.find_booking("204517") is not None
        assert store.find_booking("204518") is None
    finally:
        store.close()


def test_bad_header_imports_nothing(tmp_path):
    csv, result = _import(tmp_path, GOOD.replace("reference,", "ref,"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"kiosk: {csv}:1: header: ")
    assert "nothing imported" in result.stderr and len(result.stderr.splitlines()) == 1
