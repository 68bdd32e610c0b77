"""`kiosk devices` and `kiosk print-test` tell an operator the truth about each device."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta

import pytest
import serial

from kiosk.config import load_config
from kiosk.devices.display.simulator import SimDisplay
from kiosk.devices.printer.preview import decode_text
from kiosk.devices.printer.simulator import SimPrinter
from kiosk.domain.clock import utc_now
from kiosk.health.snapshot import DeviceView, Snapshot
from kiosk.health.state_file import state_path, write_atomic
from kiosk.wiring import Terminal
from tests.conftest import MINIMAL_CONFIG, write_config
from tests.waiting import wait_for


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


def test_devices_missing_printer_is_offline_with_the_reason(tmp_path):
    result = _kiosk("devices", "--json", "--config", _config(tmp_path, str(tmp_path / "none")))
    assert result.returncode == 1
    (printer,) = json.loads(result.stdout)["devices"]
    assert printer["state"] == "offline" and printer["cause"].startswith("cannot open")
    assert "Traceback" not in result.stderr


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


# -- while the kiosk runs: a device it holds is reported as the kiosk sees it ----------


def _snapshot(data_dir) -> dict:
    try:
        return json.loads(state_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _state_of(data_dir, kind: str) -> str | None:
    devices = _snapshot(data_dir).get("devices", [])
    return next((d["state"] for d in devices if d["kind"] == kind), None)


@pytest.fixture
def running_kiosk(tmp_path, sim, data_dir):
    """The app's own Terminal (printer worker, display worker, state writer) on the
    simulators, in this process: the CLI below is a second process, as in a lobby."""
    with SimDisplay(pty_link=tmp_path / "display").start():
        config_file = _config(tmp_path, str(tmp_path / "printer"), str(tmp_path / "display"))
        terminal = Terminal(load_config(config_file))
        try:
            assert wait_for(lambda: _state_of(data_dir, "printer") == "online"
                            and _state_of(data_dir, "display") == "online", 20)
            yield config_file
        finally:
            terminal.close()


def test_devices_while_the_kiosk_runs_reports_its_own_view(running_kiosk, sim, data_dir):
    """GIVEN the kiosk holds printer and display WHEN `kiosk devices` runs THEN both are
    reported from the kiosk's snapshot, exit 0 (was: printer 'offline (device busy)',
    exit 1); WHEN the paper runs out THEN exit 1 with 'paper out'."""
    result = _kiosk("devices", "--json", "--config", running_kiosk)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    source = f"running kiosk (pid {os.getpid()})"
    assert {(d["kind"], d["state"], d["source"]) for d in report["devices"]} == {
        ("printer", "online", source), ("display", "online", source)}
    assert report["ok"] is True

    sim.set_fault(paper_out=True)
    assert wait_for(lambda: _state_of(data_dir, "printer") == "paper_out", 20)
    result = _kiosk("devices", "--json", "--config", running_kiosk)
    assert result.returncode == 1
    printer = next(d for d in json.loads(result.stdout)["devices"] if d["kind"] == "printer")
    assert (printer["state"], printer["source"]) == ("paper_out", source)
    assert result.stderr.count("\n") == 1 and "paper out" in result.stderr
    assert source in result.stderr and "Traceback" not in result.stderr


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return int(child.stdout)


@pytest.mark.parametrize("case", ["dead pid", "not written for a minute"])
def test_held_devices_with_a_stale_state_file_are_not_vouched_for(tmp_path, sim, data_dir,
                                                                     case):
    """Another process holds both devices and the state file says all is well, but its
    writer is dead or silent: exit 1 'held by another process; ... stale', both kinds."""
    config_file = _config(tmp_path, str(tmp_path / "printer"), str(tmp_path / "display"))
    now = utc_now()
    devices = tuple(DeviceView(kind, name, str(tmp_path / link), "online", "", now)
                    for kind, name, link in (("printer", "TM-T88V", "printer"),
                                             ("display", "lobby", "display")))
    snapshot = Snapshot("test-01", os.getpid(), now, now, 1.0, devices)
    if case == "dead pid":
        snapshot = replace(snapshot, pid=_dead_pid())
    else:
        snapshot = replace(snapshot, written_at=now - timedelta(minutes=1))
    data_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(state_path(data_dir), snapshot.to_json())
    with SimDisplay(pty_link=tmp_path / "display").start():
        held = [serial.Serial(str(tmp_path / name), exclusive=True)
                for name in ("printer", "display")]
        try:
            result = _kiosk("devices", "--json", "--config", config_file)
        finally:
            for port in held:
                port.close()
    assert result.returncode == 1
    devices = json.loads(result.stdout)["devices"]
    assert [d["state"] for d in devices] == ["error", "error"]
    for device in devices:
        assert device["cause"].startswith(
            "held by another process; the kiosk's state file is stale"), device
        assert device["source"] == "probe"
    assert result.stderr.count("\n") == 1 and "stale" in result.stderr


def test_a_device_nobody_holds_is_probed_even_with_a_fresh_state_file(tmp_path, sim,
                                                                        data_dir):
    """The snapshot only speaks for devices the kiosk holds: a free printer is asked."""
    now = utc_now()
    view = DeviceView("printer", "TM-T88V", str(tmp_path / "printer"), "online", "", now)
    data_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(state_path(data_dir),
                 Snapshot("test-01", os.getpid(), now, now, 60.0, (view,)).to_json())
    sim.set_fault(paper_out=True)
    result = _kiosk("devices", "--json", "--config", _config(tmp_path, str(tmp_path / "printer")))
    assert result.returncode == 1
    (printer,) = json.loads(result.stdout)["devices"]
    assert (printer["state"], printer["source"]) == ("paper_out", "probe")
