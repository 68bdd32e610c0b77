"""`kiosk ticket` end to end: config file, SQLite, ESC/POS over a pty to the printer
simulator, bytes parsed back."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kiosk.devices.printer.preview import decode_text
from kiosk.devices.printer.simulator import SimPrinter
from tests.conftest import MINIMAL_CONFIG, write_config


def _config(tmp_path, device: str, baud: int = 115200) -> str:
    text = MINIMAL_CONFIG.replace('transport = "file"\npath = "{printer_path}"',
                                  f'transport = "serial"\ndevice = "{device}"\n'
                                  f"baudrate = {baud}")
    return str(write_config(tmp_path, text))


def _kiosk(*args, env=None):
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True,
                          text=True, timeout=60, env=env)


@pytest.fixture
def printer(tmp_path):
    with SimPrinter(out_dir=tmp_path / "out", pty_link=tmp_path / "printer") as sim:
        yield sim


def test_ticket_printed_over_serial(tmp_path, printer):
    config = _config(tmp_path, str(tmp_path / "printer"))
    result = _kiosk("ticket", "anmeldung", "--lang", "de", "--json", "--config", config)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out == {"number": "A001", "service": "anmeldung", "people_ahead": 0,
                   "estimate_min": None, "printed": True, "print_error": None}
    assert printer.wait_for_jobs(1, timeout_s=20)
    lines = decode_text(printer.jobs[0])
    assert "A001" in lines
    assert "Bürgerbüro Test" in lines and "Anmeldung einer Wohnung" in lines
    assert "Wartezeit: noch nicht bekannt" in lines
    assert b"\x1dV" in printer.jobs[0]  # cut
    assert (tmp_path / "out" / "ticket-0001.png").exists()


def test_arabic_visitor_ticket_has_raster_lines(tmp_path, printer):
    config = _config(tmp_path, str(tmp_path / "printer"))
    result = _kiosk("ticket", "anmeldung", "--lang", "ar", "--config", config)
    assert result.returncode == 0, result.stderr
    assert printer.wait_for_jobs(1, timeout_s=20)
    assert b"\x1dv0" in printer.jobs[0]


def test_paper_out_issues_number_but_exits_1(tmp_path, printer):
    printer.set_fault(paper_out=True)
    config = _config(tmp_path, str(tmp_path / "printer"))
    result = _kiosk("ticket", "anmeldung", "--json", "--config", config)
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert out["number"] == "A001" and out["printed"] is False
    assert "paper out" in out["print_error"]
    assert "A001" in result.stderr and "not printed" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_printer_still_issues(tmp_path):
    config = _config(tmp_path, str(tmp_path / "nothing-here"))
    result = _kiosk("ticket", "anmeldung", "--config", config)
    assert result.returncode == 1 and "ticket A001" in result.stdout
    assert "not printed" in result.stderr and "Traceback" not in result.stderr


def test_unknown_service_lists_valid_ids(tmp_path):
    config = _config(tmp_path, "/dev/null")
    result = _kiosk("ticket", "passport", "--config", config)
    assert result.returncode == 2
    assert "anmeldung" in result.stderr and "ausweis" in result.stderr


def test_quota_reached_exits_1_with_reason(tmp_path, printer):
    config = _config(tmp_path, str(tmp_path / "printer"))
    for _ in range(2):
        assert _kiosk("ticket", "ausweis", "--config", config).returncode == 0
    result = _kiosk("ticket", "ausweis", "--json", "--config", config)
    assert result.returncode == 1 and "quota" in result.stderr
    assert json.loads(result.stdout)["number"] is None


def test_call_done_noshow(tmp_path):
    config = _config(tmp_path, str(tmp_path / "none"))
    for _ in range(2):
        _kiosk("ticket", "anmeldung", "--config", config)
    call = _kiosk("call", "--counter", "3", "anmeldung", "--config", config)
    assert call.returncode == 0 and "A001 -> counter 3" in call.stdout
    assert _kiosk("done", "A001", "--config", config).stdout.strip() == "A001: done"
    _kiosk("call", "--counter", "3", "--config", config)
    assert _kiosk("noshow", "A002", "--config", config).stdout.strip() == "A002: no_show"
    again = _kiosk("done", "A002", "--config", config)
    assert again.returncode == 1 and "no_show" in again.stderr
    empty = _kiosk("call", "--counter", "3", "--config", config)
    assert empty.returncode == 1 and "nobody is waiting" in empty.stderr
    named = _kiosk("call", "--counter", "Frau Muster", "--config", config)
    assert named.returncode == 2 and "is not a counter id" in named.stderr


def test_device_busy_when_another_process_holds_the_port(tmp_path, printer):
    import serial

    config = _config(tmp_path, str(tmp_path / "printer"))
    holder = serial.Serial(str(tmp_path / "printer"), exclusive=True)
    try:
        result = _kiosk("ticket", "anmeldung", "--json", "--config", config)
    finally:
        holder.close()
    assert result.returncode == 1
    assert "device busy" in json.loads(result.stdout)["print_error"]
