"""Configuration: every bad file gets FILE:LINE, the key and what is wrong."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from kiosk.config import ConfigError, load_config
from tests.conftest import MINIMAL_CONFIG, write_config

BASE = MINIMAL_CONFIG.replace("{printer_path}", "/tmp/kiosk-test-printer.bin")


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in config")


def _display(counter_format: str):
    return lambda t: t + ('\n[[display]]\nid = "lobby"\ndevice = "/dev/null"\n'
                          f'counter_format = "{counter_format}"\n')


# (name, change to the base config, line containing this text, key, message fragment)
BAD = [
    ("unknown key", lambda t: t.replace('office = "Bürgerbüro Test"',
                                        'office = "Bürgerbüro Test"\ncolour = "blue"'),
     "colour =", "terminal.colour", "unknown key"),
    ("wrong type", lambda t: t.replace("daily_quota = 2", 'daily_quota = "two"'),
     'daily_quota = "two"', 'service "ausweis": daily_quota', "must be an integer"),
    ("duplicate id", lambda t: t.replace('id = "ausweis"', 'id = "anmeldung"'),
     'id = "anmeldung"\nprefix = "P"', 'service "anmeldung" (#2): id', "duplicate service id"),
    ("duplicate prefix", lambda t: t.replace('prefix = "P"', 'prefix = "A"'),
     'prefix = "A"\nnames = { de = "Personalausweis"', 'service "ausweis": prefix',
     "duplicate prefix"),
    ("unknown language", lambda t: t.replace('["de", "en", "ar"]', '["de", "en", "xx"]'),
     "languages =", "terminal.languages", "unknown language 'xx'"),
    ("impossible hours", lambda t: t + '\n[hours]\nmon = ["12:00-08:00"]\n',
     'mon = ["12:00-08:00"]', "hours.mon", "ends before it starts"),
    ("bad prefix", lambda t: t.replace('prefix = "P"', 'prefix = "PP"'),
     'prefix = "PP"', 'service "ausweis": prefix', "one capital letter"),
    ("unknown transport", lambda t: t.replace('transport = "file"', 'transport = "bluetooth"'),
     'transport = "bluetooth"', "printer.transport", "must be one of"),
    ("missing key", lambda t: t.replace('office = "Bürgerbüro Test"\n', ""),
     "[terminal]", "terminal", "missing required key 'office'"),
    ("boolean is no number", lambda t: t.replace("daily_quota = 2", "daily_quota = true"),
     "daily_quota = true", 'service "ausweis": daily_quota', "must be an integer"),
    ("short idle warning", lambda t: t.replace('default_language = "de"',
                                               'default_language = "de"\nidle_warning_s = 5'),
     "idle_warning_s = 5", "terminal.idle_warning_s", "at least 20 seconds"),
    ("unknown profile", lambda t: t.replace('profile = "TM-T88V"', 'profile = "TM-X"'),
     'profile = "TM-X"', "printer.profile", "unknown profile"),
    ("default not offered", lambda t: t.replace('default_language = "de"',
                                                'default_language = "tr"'),
     'default_language = "tr"', "terminal.default_language", "not in languages"),
    # issue 7, item 3: templates from the config are bounded
    ("huge field width", _display("{counter:>300000000}"), "counter_format =",
     "display[0].counter_format", "field width 300000000 is too large (at most 40)"),
    ("huge precision", _display("{counter:.99999999}"), "counter_format =",
     "display[0].counter_format", "field precision 99999999 is too large (at most 40)"),
    ("attribute in template", _display("{counter.__class__}"), "counter_format =",
     "display[0].counter_format", "may only use the placeholder {counter}"),
    ("nested width", _display("{counter:>{counter}}"), "counter_format =",
     "display[0].counter_format", "nested placeholders are not allowed"),
    # issue 7, item 14: messages staff understand
    ("misspelt table", lambda t: t.replace("[printer]", "[printre]"),
     "[printre]", "printre", "unknown table [printre]; did you mean [printer]?"),
    ("misspelt array of tables", lambda t: t.replace('[[service]]\nid = "ausweis"',
                                                     '[[servcie]]\nid = "ausweis"'),
     "[[servcie]]", "servcie", "unknown table [[servcie]]; did you mean [[service]]?"),
    ("misspelt key", lambda t: t.replace("daily_quota = 2", "daily_qouta = 2"),
     "daily_qouta", 'service "ausweis": daily_qouta', "did you mean 'daily_quota'?"),
    ("misspelt language code", lambda t: t.replace('["de", "en", "ar"]', '["de", "en", "ua"]'),
     "languages =", "terminal.languages", "unknown language 'ua'; did you mean 'uk'?"),
    ("swapped language code", lambda t: t.replace('ar = "بطاقة', 'ra = "بطاقة'),
     'ra = "بطاقة', 'service "ausweis": names.ra',
     "unknown language 'ra'; did you mean 'ar'?"),
    ("language that is no string", lambda t: t.replace('["de", "en", "ar"]',
                                                       '["de", ["en"], "ar"]'),
     "languages =", "terminal.languages", "must be a list of language codes"),
    ("typographic quotes", lambda t: t.replace('prefix = "P"', "prefix = \u201eP\u201c"),
     "prefix = \u201e", 'service "ausweis": prefix',
     'not valid TOML: Invalid value (at line 14, column 10); use straight quotes " instead '
     'of typographic quotes'),
    ("key in a multi-line string", lambda t: t.replace(
        'office = "Bürgerbüro Test"',
        'office = """Bürgerbüro Test\ncolour = "not a key"\n"""\ncolour = "blue"'),
     'colour = "blue"', "terminal.colour", "unknown key"),
    ("header in a multi-line literal string", lambda t: t.replace(
        'office = "Bürgerbüro Test"',
        "office = '''Bürgerbüro\n[[service]]\nTest'''\ncolour = 'blue'"),
     "colour = 'blue'", "terminal.colour", "unknown key"),
]


def _exact_line(text: str, needle: str) -> int:
    if "\n" in needle:
        return text[:text.index(needle)].count("\n") + 1
    return _line_of(text, needle)


@pytest.mark.parametrize("name,change,needle,key,fragment", BAD, ids=[b[0] for b in BAD])
def test_bad_config_names_file_line_and_key(tmp_path, name, change, needle, key, fragment):
    """GIVEN a config with one mistake WHEN loaded THEN the error says FILE:LINE: key: why."""
    text = change(BASE)
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    line = _exact_line(text, needle)
    expected = f"{path}:{line}: {key}: "
    messages = [str(p) for p in caught.value.problems]
    assert any(m.startswith(expected) and fragment in m for m in messages), messages


def test_invalid_toml_names_the_line(tmp_path):
    path = write_config(tmp_path, BASE.replace('id = "test-01"', 'id = test-01'))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}:2: ")


def test_string_that_never_ends_names_the_line_it_starts_on(tmp_path):
    text = BASE.replace('office = "Bürgerbüro Test"', 'office = """Bürgerbüro Test')
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}:3: terminal.office: not valid TOML: ")


def test_all_errors_reported_at_once(tmp_path):
    text = BASE.replace('prefix = "P"', 'prefix = "A"').replace("daily_quota = 2",
                                                                "daily_quota = 0")
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, text))
    assert len(caught.value.problems) >= 2


def test_missing_translation_is_a_warning_not_an_error(tmp_path):
    text = BASE.replace(', ar = "بطاقة الهوية"', "")
    config = load_config(write_config(tmp_path, text))
    assert [str(w) for w in config.warnings] and "no name for ar" in str(config.warnings[0])
    assert config.service("ausweis").name("ar", "de") == "Personalausweis"


def test_example_and_demo_configs_are_valid():
    from kiosk.paths import config_resource

    for name in ("kiosk.example.toml", "demo.toml"):
        config = load_config(config_resource(name))
        assert config.services


def test_example_config_documents_every_key():
    """Every key and table the loader accepts appears in the example config."""
    import kiosk.config as module
    import kiosk.config_appointments as appointments
    import kiosk.config_devices as devices
    from kiosk.paths import config_resource

    text = config_resource("kiosk.example.toml").read_text(encoding="utf-8")
    source = "".join(open(m.__file__, encoding="utf-8").read() for m in (module, devices,
                                                                       appointments))
    known = set()
    for found in re.findall(r"r\.table\([^{]*\{([^}]*)\}", source):
        known |= set(re.findall(r'"([a-z_]+)"', found))
    for found in re.findall(r"(?:known|_KEYS) = \{([^}]*)\}", source):
        known |= set(re.findall(r'"([a-z_]+)"', found))
    assert len(known) > 30
    missing = sorted(k for k in known
                     if not re.search(rf"(^|[\s{{,#]){k}\s*=|^\[\[?([a-z_]+\.)?{k}\]\]?$", text, re.M))
    assert not missing, f"undocumented keys: {missing}"


def test_check_config_cli_exit_codes(tmp_path):
    good = write_config(tmp_path, BASE, "good.toml")
    bad = write_config(tmp_path, BASE.replace('prefix = "P"', 'prefix = "A"'), "bad.toml")
    ok = subprocess.run([sys.executable, "-m", "kiosk", "check-config", str(good)],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "OK" in ok.stdout
    failed = subprocess.run([sys.executable, "-m", "kiosk", "check-config", str(bad)],
                            capture_output=True, text=True)
    assert failed.returncode == 2
    assert f"{bad}:" in failed.stderr and 'service "ausweis": prefix' in failed.stderr
    assert "Traceback" not in failed.stderr
