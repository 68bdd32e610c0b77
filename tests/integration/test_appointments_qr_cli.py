"""`kiosk appointments qr`: the payload the booking side prints, or a QR image of it that
a scanner reads back; exit 2 for bad usage or a key file that cannot be used."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import zxingcpp
from PIL import Image

from kiosk.domain.appointment import BookingCode, CodeKind
from kiosk.domain.checkin_code import parse_code
from tests.conftest import MINIMAL_CONFIG, kiosk_env, write_config

NEW = "3c1f0a5e9b2d4c6f8a7e1b3d5f9c2a4e6b8d0f1a3c5e7092b4d6f8a1c3e5f709"
OLD = "a0b1c2d3e4f5061728394a5b6c7d8e9fa0b1c2d3e4f5061728394a5b6c7d8e9f"


def _config(tmp_path, keys=f"# newest first\n{NEW}\n{OLD}\n", mode=0o600,
            appointments='office_id = "bb-mitte"\nkey_file = "checkin.keys"\n'):
    path = tmp_path / "checkin.keys"
    path.write_text(keys, encoding="utf-8")
    os.chmod(path, mode)
    text = MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "printer.bin"))
    return str(write_config(tmp_path, text + "\n[appointments]\n" + appointments))


def _kiosk(*args):
    return subprocess.run([sys.executable, "-m", "kiosk", "appointments", *args],
                          capture_output=True, text=True, timeout=60, env=kiosk_env())


def test_prints_the_payload_signed_with_the_newest_key(tmp_path):
    result = _kiosk("qr", "55501234", "--config", _config(tmp_path))
    assert result.returncode == 0, result.stderr
    payload = result.stdout.strip()
    assert payload.startswith("KB1:BB-MITTE:55501234:")
    assert parse_code(payload, keys=[bytes.fromhex(NEW)], office_id="bb-mitte") == \
        BookingCode(CodeKind.SIGNED, "55501234", office="bb-mitte")
    assert result.stderr == ""


def test_png_decodes_to_the_same_payload_and_stays_small(tmp_path):
    config = _config(tmp_path)
    payload = _kiosk("qr", "55501234", "--config", config).stdout.strip()
    out = tmp_path / "code.png"
    result = _kiosk("qr", "55501234", "--png", str(out), "--config", config)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    image = Image.open(out)
    assert [code.text for code in zxingcpp.read_barcodes(image)] == [payload]
    # alphanumeric mode keeps it at QR version 2: 25 modules + 2 x 4 quiet zone, 10 px each
    assert image.size == (330, 330)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".qr-")] == []


@pytest.mark.parametrize("reference", ["123", "1234567890123", "12a4", "-1"])
def test_bad_reference_is_bad_usage(tmp_path, reference):
    result = _kiosk("qr", reference, "--config", _config(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == "kiosk: the booking reference must be 4 to 12 digits (0-9)"
    assert result.stdout == ""


def test_no_subcommand_and_unknown_option_are_bad_usage(tmp_path):
    assert _kiosk().returncode == 2
    assert _kiosk("qr", "1234", "--colour", "red").returncode == 2


def test_key_file_others_can_read_is_refused(tmp_path):
    config = _config(tmp_path, mode=0o644)
    result = _kiosk("qr", "55501234", "--config", config)
    assert result.returncode == 2
    keys = tmp_path / "checkin.keys"
    assert result.stderr.strip() == (
        f"{keys}: permissions 0644 are too open: the keys must be readable by the kiosk's "
        f"user only (chmod 600 {keys})")
    assert result.stdout == ""


def test_bad_key_line_is_file_and_line_and_never_the_key(tmp_path):
    config = _config(tmp_path, keys=f"# newest first\n{NEW}\n{OLD[:-2]}\n")
    result = _kiosk("qr", "55501234", "--config", config)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"{tmp_path / 'checkin.keys'}:3: key 2: not a key: 64 hex "
                                     f"digits expected, the line has 62")
    assert "Traceback" not in result.stderr


def test_missing_key_file_setting_and_bad_office_are_config_errors(tmp_path):
    result = _kiosk("qr", "55501234", "--config",
                    _config(tmp_path, appointments='office_id = "bb-mitte"\n'))
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        "kiosk.toml: appointments.key_file is not set: signed QR codes need the key file")
    result = _kiosk("qr", "55501234", "--config", _config(
        tmp_path, appointments='office_id = "Bürgerbüro Mitte"\nkey_file = "checkin.keys"\n'))
    assert result.returncode == 2
    assert "appointments.office_id: the office id must be 1 to 20 letters" in result.stderr
    assert "Traceback" not in result.stderr


def test_image_that_cannot_be_written_is_an_operational_failure(tmp_path):
    out = tmp_path / "no-such-folder" / "code.png"
    result = _kiosk("qr", "55501234", "--png", str(out), "--config", _config(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip() == \
        f"kiosk: {out}: cannot write the image: No such file or directory"
