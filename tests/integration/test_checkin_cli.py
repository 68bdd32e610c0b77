"""`kiosk checkin` end to end in a subprocess: a CSV imported with `kiosk appointments
import`, real SQLite, a file printer; every outcome with its stable code and exit 1,
exit 2 only for bad usage."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from kiosk.domain.clock import OFFICE_ZONE
from tests.conftest import MINIMAL_CONFIG, kiosk_env, write_config
from tests.midnight import skip_near_midnight

APPOINTMENTS = """
[appointments]
office_id = "bb-test"
early_min = 1
late_min = 1
"""


def _kiosk(*args, data_dir):
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True,
                          text=True, timeout=60, env=kiosk_env(KIOSK_DATA_DIR=str(data_dir)))


@pytest.fixture
def setup(tmp_path, data_dir):
    skip_near_midnight(10)
    now = datetime.now(timezone.utc).astimezone(OFFICE_ZONE)
    printer = tmp_path / "printer.bin"
    config = write_config(tmp_path, MINIMAL_CONFIG.replace("{printer_path}", str(printer))
                          + APPOINTMENTS)

    def at(minutes):
        return (now + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")
    rows = ["reference,service,office,start,duration,status,priority_rank",
            f"100001,anmeldung,bb-test,{at(0)},15,confirmed,",
            f"100002,anmeldung,bb-test,{at(5)},15,confirmed,",
            f"100003,anmeldung,bb-test,{at(-5)},15,confirmed,",
            f"100004,anmeldung,bb-test,{at(24 * 60)},15,confirmed,",
            f"100005,anmeldung,bb-sued,{at(0)},15,confirmed,",
            f"100006,anmeldung,bb-test,{at(0)},15,cancelled,",
            f"100007,ausweis,bb-test,{at(0)},15,confirmed,1"]
    csv = tmp_path / "bookings.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = _kiosk("appointments", "import", str(csv), "--config", str(config),
                    data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return config, printer, data_dir


def _checkin(setup, payload, *extra):
    config, _, data_dir = setup
    result = _kiosk("checkin", payload, "--json", "--config", str(config), *extra,
                    data_dir=data_dir)
    return result, json.loads(result.stdout) if result.stdout else None


KEYS = {"number", "service", "slot", "people_ahead", "estimate_min", "printed",
        "print_error", "outcome", "reason"}


def test_checked_in_printed_then_already_checked_in(setup):
    result, out = _checkin(setup, "100001")
    assert result.returncode == 0, result.stderr
    assert set(out) == KEYS
    assert out["outcome"] == "checked_in" and out["number"] == "T001"
    assert out["printed"] is True and out["print_error"] is None
    slot = datetime.fromisoformat(out["slot"])
    assert slot.strftime("%H:%M").encode() in setup[1].read_bytes()  # the slot line
    size = setup[1].stat().st_size
    result, out = _checkin(setup, "100001", "--lang", "en")
    assert result.returncode == 1
    assert out["outcome"] == "already_checked_in" and out["number"] == "T001"
    assert "T001" in out["reason"] and out["printed"] is False
    assert setup[1].stat().st_size == size  # nothing new printed
    assert result.stderr.strip() == "kiosk: not checked in: already_checked_in (number T001)"


@pytest.mark.parametrize("payload, outcome", [
    ("100002", "too_early"),
    ("100003", "too_late"),
    ("100004", "wrong_day"),
    ("100005", "wrong_office"),
    ("100006", "cancelled"),
    ("999999", "unknown"),
    ("WIFI:T:WPA;S:Cafe-Gast;P:geheim123;;", "not_a_booking"),
    ("M1MUSTERMANN/ERIKA    EABC123 STRFRALH 0400 328Y012A0001 100", "not_a_booking"),
    ("https://example.com/some/page", "not_a_booking"),
])
def test_every_refusal_exits_1_with_its_outcome(setup, payload, outcome):
    result, out = _checkin(setup, payload, "--lang", "de")
    assert result.returncode == 1, result.stderr
    assert out["outcome"] == outcome and out["number"] is None and out["printed"] is False
    assert out["reason"] and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"kiosk: not checked in: {outcome}"
    # nothing the scanner sent is echoed back
    assert payload not in result.stdout + result.stderr or payload.isdigit()
    assert "geheim123" not in result.stdout + result.stderr
    assert setup[1].exists() is False or setup[1].stat().st_size == 0


def test_an_emergency_case_is_called_first(setup):
    config, _, data_dir = setup
    walk_in = _kiosk("ticket", "ausweis", "--config", str(config), data_dir=data_dir)
    assert walk_in.returncode == 0, walk_in.stderr
    result, out = _checkin(setup, "100007")
    assert result.returncode == 0 and out["people_ahead"] == 0
    called = _kiosk("call", "--counter", "3", "ausweis", "--config", str(config),
                    data_dir=data_dir)
    assert called.stdout.strip() == f"{out['number']} -> counter 3"


def test_text_output(setup):
    config, _, data_dir = setup
    result = _kiosk("checkin", "100001", "--lang", "en", "--config", str(config),
                    data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert "T001" in result.stdout and "printed" in result.stdout


def test_check_in_switched_off_is_not_available(tmp_path, data_dir):
    config = write_config(tmp_path, MINIMAL_CONFIG.replace(
        "{printer_path}", str(tmp_path / "p.bin")) + APPOINTMENTS + "enabled = false\n")
    result = _kiosk("checkin", "100001", "--json", "--config", str(config), data_dir=data_dir)
    assert result.returncode == 1
    assert json.loads(result.stdout)["outcome"] == "not_available"


@pytest.mark.parametrize("args", [(), ("100001", "--bogus"), ("100001", "--lang", "xx")])
def test_bad_usage_exits_2(setup, args):
    config, _, data_dir = setup
    result = _kiosk("checkin", *args, "--config", str(config), data_dir=data_dir)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
