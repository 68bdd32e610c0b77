"""Config files as offices really save them (Windows-1252, a BOM, UTF-16) and a missing
default config: one clear line and exit 2 from every command that loads the config."""

from __future__ import annotations

import codecs
import re
import subprocess
import sys

import pytest

from kiosk.cli import main
from kiosk.config import ConfigError, load_config
from tests.conftest import MINIMAL_CONFIG, write_config

BASE = MINIMAL_CONFIG.replace("{printer_path}", "/tmp/kiosk-test-printer.bin")
# The same config without the Arabic names, so that Windows-1252 can hold all of it.
LATIN = re.sub(r', ar = "[^"]*"', "", BASE).replace('["de", "en", "ar"]', '["de", "en"]')

# Commands that read the configuration (screenshot and demo fall back to the demo config).
CONFIG_COMMANDS = [["check-config"], ["ticket", "anmeldung"], ["call", "--counter", "1"],
                   ["done", "A001"], ["noshow", "A001"], ["devices"], ["print-test"], ["run"]]


def _with_file(command: list[str], path) -> list[str]:
    return command + [str(path)] if command == ["check-config"] else \
        command + ["--config", str(path)]


def test_windows_1252_config_is_explained(tmp_path):
    """GIVEN a config saved as Windows-1252 (ü is byte 0xfc on line 3) WHEN loaded
    THEN one line names the file, the byte and the line, and says to save it as UTF-8."""
    path = tmp_path / "kiosk.toml"
    path.write_bytes(LATIN.encode("cp1252"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (f"{path}: not UTF-8 (byte 0xfc at line 3); saved as "
                                 f"Windows-1252? save it as UTF-8")


@pytest.mark.parametrize("command", CONFIG_COMMANDS, ids=lambda c: c[0])
def test_windows_1252_config_exits_2_from_every_command(tmp_path, capsys, command):
    path = tmp_path / "kiosk.toml"
    path.write_bytes(LATIN.encode("cp1252"))
    assert main(_with_file(command, path)) == 2
    err = capsys.readouterr().err
    assert err == f"{path}: not UTF-8 (byte 0xfc at line 3); saved as Windows-1252? save " \
                  f"it as UTF-8\n"


def test_windows_1252_config_gives_no_traceback(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_bytes(LATIN.encode("cp1252"))
    done = subprocess.run([sys.executable, "-m", "kiosk", "check-config", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "not UTF-8 (byte 0xfc at line 3)" in done.stderr


def test_utf16_config_is_explained(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_bytes(codecs.BOM_UTF16_LE + BASE.encode("utf-16-le"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f'{path}: not UTF-8 but UTF-16 (Notepad calls it "Unicode"); ' \
                                f"save it as UTF-8"


def test_utf8_bom_is_accepted_and_lines_stay_right(tmp_path):
    """GIVEN a UTF-8 config with a byte order mark (Windows Notepad) THEN it loads, and an
    error in it still names the right line."""
    path = tmp_path / "kiosk.toml"
    path.write_bytes(codecs.BOM_UTF8 + BASE.encode("utf-8"))
    assert load_config(path).office == "Bürgerbüro Test"
    bad = BASE.replace('prefix = "P"', 'prefix = "PP"')
    path.write_bytes(codecs.BOM_UTF8 + bad.encode("utf-8"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    line = bad.splitlines().index('prefix = "PP"') + 1
    assert str(caught.value).startswith(f'{path}:{line}: service "ausweis": prefix: ')


@pytest.mark.parametrize("command", CONFIG_COMMANDS, ids=lambda c: c[0])
def test_missing_default_config_says_what_to_do(tmp_path, monkeypatch, capsys, command):
    """GIVEN no --config, no KIOSK_CONFIG and no config/kiosk.toml WHEN a command runs
    THEN it names the file it looked for and how to start, exit 2, no ':0: -:' noise."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith("config/kiosk.toml: no configuration file (looked for "
                          f"{tmp_path / 'config' / 'kiosk.toml'}")
    assert "kiosk.example.toml to config/kiosk.toml, or pass --config FILE / set " \
           "KIOSK_CONFIG\n" in err
    assert ":0:" not in err and " -: " not in err and err.count("\n") == 1


def test_missing_config_named_by_environment(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "nowhere.toml"
    monkeypatch.setenv("KIOSK_CONFIG", str(missing))
    assert main(["ticket", "anmeldung"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{missing}: no such file (named by KIOSK_CONFIG); to start, copy ")
    assert ":0:" not in err


def test_missing_explicit_config(tmp_path, capsys):
    missing = tmp_path / "nowhere.toml"
    assert main(["check-config", str(missing)]) == 2
    assert capsys.readouterr().err == f"{missing}: cannot read file: No such file or " \
                                      f"directory\n"


def test_default_config_is_found(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    (tmp_path / "config").mkdir()
    write_config(tmp_path / "config", BASE)
    assert main(["check-config"]) == 0
    assert "config/kiosk.toml: OK" in capsys.readouterr().out


def test_bad_config_exits_2_from_every_command(tmp_path, capsys):
    path = write_config(tmp_path, BASE.replace("daily_quota = 2", "daily_qouta = 2"))
    line = BASE.splitlines().index("daily_quota = 2") + 1
    for command in CONFIG_COMMANDS:
        assert main(_with_file(command, path)) == 2, command
        assert capsys.readouterr().err == (
            f"{path}:{line}: service \"ausweis\": daily_qouta: unknown key; did you mean "
            f"'daily_quota'?\n"), command
