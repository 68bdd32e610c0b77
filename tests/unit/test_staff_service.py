"""Staff use cases on a real SQLite file: PIN hash, lockout that survives a restart,
the audit log without the PIN, settings for today validated on read (the lockout and the
settings on both engines: SQLite and a real PostgreSQL server)."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys

import pytest

from kiosk.services.staff import PinFile, PinRefused, StaffService
from kiosk.store.sqlite import SqliteStore
from kiosk.store.staff_sqlite import StaffStore
from tests.conftest import kiosk_env

PIN = "482913"


def _service(tmp_path, config, clock, wall, store=None):
    from kiosk.wiring import staff_store

    store = store or SqliteStore(tmp_path / "q.sqlite3", terminal_id=config.terminal_id)
    return StaffService(config, staff_store(store), PinFile(tmp_path / "data" / "staff-pin"),
                        clock=clock, wall=wall)


def test_pin_is_stored_as_argon2id_only_and_checked(tmp_path, config, clock, wall):
    staff = _service(tmp_path, config, clock, wall)
    staff.set_pin(PIN)
    text = staff.pin.path.read_text()
    assert text.startswith("$argon2id$") and PIN not in text
    assert stat.S_IMODE(os.stat(staff.pin.path).st_mode) == 0o600
    assert staff.unlock(PIN).ok
    assert not staff.unlock("482914").ok
    with pytest.raises(PinRefused):
        staff.set_pin("1111")


def test_no_pin_set_refuses_entry(tmp_path, config, clock, wall):
    result = _service(tmp_path, config, clock, wall).unlock("4829")
    assert not result.ok and result.no_pin


def test_five_wrong_pins_lock_even_after_a_restart(tmp_path, config, clock, wall,
                                                   open_engine_store):
    staff = _service(tmp_path, config, clock, wall, open_engine_store(config.terminal_id))
    staff.set_pin(PIN)
    results = [staff.unlock("000111") for _ in range(5)]
    assert [r.wait_s for r in results] == [0, 0, 0, 0, 30]
    staff.store.store.close()
    # a restart: a new store connection, the same file or database
    staff = _service(tmp_path, config, clock, wall, open_engine_store(config.terminal_id))
    locked = staff.unlock(PIN)
    assert not locked.ok and locked.wait_s == 30  # even the right PIN waits
    wall.now += 30
    assert staff.unlock(PIN).ok
    actions = [a for _at, a, _t, _d in staff.store.audit_entries()]
    assert actions == ["pin_changed"] + ["entry_failed"] * 5 + ["lockout", "entry"]


def test_the_pin_is_never_in_the_data_dir_or_the_logs(tmp_path, config, clock, wall,
                                                      caplog):
    caplog.set_level(logging.DEBUG)
    staff = _service(tmp_path, config, clock, wall)
    staff.set_pin(PIN)
    staff.unlock("739104")
    staff.unlock(PIN)
    staff.store.store.close()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert PIN.encode() not in path.read_bytes(), path
            assert b"739104" not in path.read_bytes(), path
    assert PIN not in caplog.text and "739104" not in caplog.text


def test_settings_are_for_today_and_validated_on_read(tmp_path, config, clock, wall, caplog,
                                                     engine_store):
    staff = _service(tmp_path, config, clock, wall, engine_store)
    staff.close_service("ausweis", "closed_today")
    staff.set_notice("card_only")
    staff.set_out_of_service(True)
    settings = staff.settings()
    assert settings.closed == {"ausweis": "closed_today"}
    assert settings.notice == "card_only" and settings.out_of_service
    # an entry for a service the config no longer has, a message an update removed
    staff.store.put("service:gone", "closed_today", staff.today(), clock())
    staff.store.put("service:anmeldung", "no_such_message", staff.today(), clock())
    staff.store.put("notice", "no_such_notice", staff.today(), clock())
    with caplog.at_level(logging.WARNING):
        settings = staff.settings()
    assert settings.closed == {"ausweis": "closed_today"} and settings.notice is None
    assert "gone" in caplog.text and "no_such_notice" in caplog.text
    staff.set_notice("card_only")
    clock.advance(days=1)  # the next business day: "for today" has lapsed
    settings = staff.settings()
    assert settings.closed == {} and settings.notice is None
    assert settings.out_of_service  # out of service lasts until staff end it


def test_set_pin_cli_reads_stdin_refuses_trivial_and_audit_lists_without_pin(
        tmp_path, config_file, data_dir):
    env = kiosk_env()

    def kiosk(*args, stdin=""):
        return subprocess.run([sys.executable, "-m", "kiosk", "staff", *args,
                               "--config", str(config_file)], input=stdin,
                              capture_output=True, text=True, timeout=60, env=env)

    bad = kiosk("set-pin", stdin="1234\n")
    assert bad.returncode == 2 and "run of digits" in bad.stderr
    assert "Traceback" not in bad.stderr and not (data_dir / "staff-pin").exists()
    good = kiosk("set-pin", stdin=PIN + "\n")
    assert good.returncode == 0, good.stderr
    assert (data_dir / "staff-pin").read_text().startswith("$argon2id$")
    audit = kiosk("audit")
    assert audit.returncode == 0 and "test-01 pin_changed" in audit.stdout
    for out in (good.stdout, good.stderr, audit.stdout):
        assert PIN not in out


def test_kiosk_ticket_refuses_a_service_staff_closed_for_today(tmp_path, config_file, data_dir):
    import json

    from kiosk.config import load_config
    from kiosk.wiring import staff_service

    config = load_config(config_file)
    staff = staff_service(config)
    staff.close_service("ausweis", "appointment_only")
    staff.store.store.close()
    result = subprocess.run([sys.executable, "-m", "kiosk", "ticket", "ausweis", "--json",
                             "--config", str(config_file)], capture_output=True, text=True,
                            timeout=60, env=kiosk_env())
    assert result.returncode == 1, result.stderr
    out = json.loads(result.stdout)
    assert out["number"] is None and out["error"] == "staff_closed"
    assert "appointment" in out["reason"] and "Traceback" not in result.stderr
    other = subprocess.run([sys.executable, "-m", "kiosk", "ticket", "anmeldung",
                            "--config", str(config_file)], capture_output=True, text=True,
                           timeout=60, env=kiosk_env())
    assert other.returncode == 0, other.stderr


def test_the_device_status_includes_the_scanner(tmp_path, config, clock, wall):
    """The [scanner] worker's state is in the staff status like the printer's: here a
    serial scanner whose device is not plugged in."""
    import dataclasses

    from kiosk.config_model import ScannerConfig
    from kiosk.devices.scanner.serial_scanner import SerialScanner
    from tests.waiting import wait_for

    missing = tmp_path / "no-scanner"
    config = dataclasses.replace(config, scanner=ScannerConfig("serial", str(missing)))
    store = SqliteStore(tmp_path / "q.sqlite3", terminal_id=config.terminal_id)
    scanner = SerialScanner(str(missing), name="scanner").start()
    try:
        assert wait_for(lambda: scanner.last_error is not None, 20)
        service = StaffService(config, StaffStore(store),
                               PinFile(tmp_path / "data" / "staff-pin"), clock=clock,
                               wall=wall, scanner=scanner)
        views = service.device_views()
        assert [(v["kind"], v["name"], v["state"]) for v in views] == \
            [("scanner", "serial", "offline")]
        assert views[0]["cause"]
    finally:
        scanner.close()
        store.close()
