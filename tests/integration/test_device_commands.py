"""`kiosk devices` and `kiosk print-test` tell an operator the truth about each device."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kiosk.devices.display.simulator import SimDisplay
from kiosk.devices.printer.preview import decode_text
from kiosk.devices.printer.simulator import SimPrinter
from tests.conftest import MINIMAL_CONFIG, write_config


def _config(tmp_path, printer: str, display: str | None = None) -> str:
    text = MINIMAL_CONFIG.replace('transport = "file"\npath = "{printer_path}"',
                                  f'transport = "serial"\ndevice = "{printer}"\n'
                                  "baudrate = 115200")
    if display:
        text += f'\n[[display]]\nid = "lobby"\ndevice = "{display}"\n'
    return str(write_config(tmp_path, text))


def _kiosk(*args):
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def sim(tmp_path):
    with SimPrinter(out_dir=tmp_path / "out", pty_link=tmp_path / "printer") as printer:
        yield printer


def test_devices_all_online(tmp_path, sim):
    with SimDisplay(pty_link=tmp_path / "display").start():
        config = _config(tmp_path, str(tmp_path / "printer"), str(tmp_path / "display"))
        result = _kiosk("devices", "--json", "--config", config)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    states = {(d["kind"], d["state"]) for d in report["devices"]}
    assert states == {("printer", "online"), ("display", "online")}


@pytest.mark.parametrize("fault,state", [("paper_out", "paper_out"),
                                         ("cover_open", "cover_open"),
                                         ("paper_near_end", "paper_near_end"),
                                         ("silent", "offline")])
def test_devices_reports_printer_faults(tmp_path, sim, fault, state):
    sim.set_fault(**{fault: True})
    result = _kiosk("devices", "--config", _config(tmp_path, str(tmp_path / "printer")))
    assert state.replace("_", " ") in result.stdout
    assert result.returncode == (0 if state == "paper_near_end" else 1)
    if result.returncode:
        assert result.stderr.count("\n") == 1 and "printer" in result.stderr


def test_devices_missing_display_exits_1_with_reason(tmp_path, sim):
    config = _config(tmp_path, str(tmp_path / "printer"), str(tmp_path / "no-display"))
    result = _kiosk("devices", "--config", config)
    assert result.returncode == 1
    assert "display lobby: offline" in result.stderr


def test_print_test_page(tmp_path, sim):
    result = _kiosk("print-test", "--config", _config(tmp_path, str(tmp_path / "printer")))
    assert result.returncode == 0, result.stderr
    assert "printer TM-T88V: online" in result.stdout
    assert sim.wait_for_jobs(1, 10)
    text = "\n".join(decode_text(sim.jobs[0]))
    assert "ÄÖÜ äöü ß €" in text and "İ ı Ğ ğ Ş ş" in text and "Ґ Є І Ї" in text
    assert b"\x1d(k" in sim.jobs[0] and b"\x1dkI" in sim.jobs[0]  # QR and barcode
    assert b"\x1dv0" in sim.jobs[0]  # Arabic and Persian lines as images


def test_print_test_without_printer(tmp_path):
    result = _kiosk("print-test", "--config", _config(tmp_path, str(tmp_path / "none")))
    assert result.returncode == 1
    assert result.stderr.startswith("kiosk: test page not printed:")
    assert "Traceback" not in result.stderr
