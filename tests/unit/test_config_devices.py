"""check-config rejects a device URL whose scheme pyserial does not know (issue 7,
item 4): `sokcet://` is reported at its line instead of a printer that is silently
offline (or, before, a dead printer worker)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kiosk.config import ConfigError, load_config
from kiosk.config_devices import pyserial_url_schemes
from tests.conftest import MINIMAL_CONFIG, ROOT, kiosk_env, write_config

BASE = MINIMAL_CONFIG.replace("{printer_path}", "/tmp/kiosk-test-printer.bin")
SERIAL_PRINTER = BASE.replace('transport = "file"\npath = "/tmp/kiosk-test-printer.bin"',
                              'transport = "serial"\ndevice = "{device}"')
DISPLAY = '\n[[display]]\nid = "lobby"\ndevice = "{device}"\n'
SCANNER = '\n[scanner]\ntransport = "serial"\ndevice = "{device}"\n'


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


CASES = [
    ("printer", SERIAL_PRINTER, "printer.device"),
    ("display", BASE + DISPLAY, "display[0].device"),
    ("scanner", BASE + SCANNER, "scanner.device"),
]


@pytest.mark.parametrize("table,template,key", CASES, ids=[c[0] for c in CASES])
def test_a_misspelt_url_scheme_is_reported_at_its_line(tmp_path, table, template, key):
    text = template.replace("{device}", "sokcet://192.0.2.7:9100")
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    expected = f"{path}:{_line_of(text, 'sokcet://')}: {key}: unknown URL scheme 'sokcet://'"
    messages = [str(p) for p in caught.value.problems]
    assert any(m.startswith(expected) and "did you mean 'socket://'?" in m
               for m in messages), messages


@pytest.mark.parametrize("table,template,key", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("device", ["socket://192.0.2.7:9100", "RFC2217://host:2217",
                                    "spy:///dev/ttyUSB0", "/dev/kiosk-device"])
def test_known_schemes_and_device_paths_pass(tmp_path, table, template, key, device):
    load_config(write_config(tmp_path, template.replace("{device}", device)))


def test_the_known_schemes_are_what_serial_for_url_accepts():
    import serial

    usable, unusable = pyserial_url_schemes()
    assert {"socket", "rfc2217", "loop", "spy", "hwgrep", "alt"} <= set(usable)
    for scheme in usable:
        try:
            serial.serial_for_url(f"{scheme}://x", do_not_open=True)
        except (ValueError, serial.SerialException) as err:  # a handler may dislike "x"
            assert "not known" not in str(err), scheme
    for scheme in unusable:
        with pytest.raises(ValueError, match="not known"):
            serial.serial_for_url(f"{scheme}://x", do_not_open=True)
    with pytest.raises(ValueError, match="not known"):
        serial.serial_for_url("sokcet://x", do_not_open=True)


def test_a_scheme_whose_handler_cannot_load_says_why(tmp_path):
    usable, unusable = pyserial_url_schemes()
    if not unusable:
        pytest.skip("every pyserial URL handler loads here")
    scheme, why = next(iter(unusable.items()))
    text = SERIAL_PRINTER.replace("{device}", f"{scheme}://0001:0002:00")
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"printer.device: URL scheme '{scheme}://' cannot be used here: {why}" \
        in str(caught.value)


def test_check_config_exits_2_with_file_line_key(tmp_path):
    text = SERIAL_PRINTER.replace("{device}", "sokcet://192.0.2.7:9100")
    path = write_config(tmp_path, text)
    out = subprocess.run([sys.executable, "-m", "kiosk", "check-config", str(path)],
                         capture_output=True, text=True, cwd=ROOT, env=kiosk_env(), timeout=60)
    assert out.returncode == 2
    assert f"{path}:{_line_of(text, 'sokcet://')}: printer.device: unknown URL scheme" \
        in out.stderr
    assert "Traceback" not in out.stderr + out.stdout
