"""The line finder: keys and headers in multi-line strings are text, arrays of tables
have a line of their own."""

from __future__ import annotations

import tomllib

import pytest

from kiosk.toml_lines import LineIndex

CASES = [
    ("basic multi-line string",
     'office = """\ndevice = "x"\n[printer]\n"""\n[printer]\ndevice = "real"\n'),
    ("literal multi-line string",
     "office = '''\ndevice = 'x'\n[printer]\n'''\n[printer]\ndevice = \"real\"\n"),
    ("escaped quotes inside",
     'office = """a \\""" \ndevice = 1\n[printer]\n"""\n[printer]\ndevice = "real"\n'),
    ("string ending in extra quotes",
     'office = """\ndevice = 1\n[printer]\n""""\n[printer]\ndevice = "real"\n'),
    ("quotes in a comment and a one-line string",
     'a = """one line"""  # """\nb = "\'\'\'"\n[printer]\ndevice = "real"\n'),
]


@pytest.mark.parametrize("text", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_keys_in_multiline_strings_are_not_keys(text):
    data = tomllib.loads(text)  # the cases are valid TOML
    assert data["printer"]["device"] == "real"
    lines = text.splitlines()
    index = LineIndex(text)
    assert index.line_of(("printer", "device")) == lines.index('device = "real"') + 1
    assert index.line_of(("printer",)) == len(lines) - 1
    assert index.line_of(("device",)) == 1  # no top-level key "device": the file


def test_array_of_tables_has_the_line_of_its_first_header():
    text = 'a = 1\n\n[[servcie]]\nid = "x"\n\n[[servcie]]\nid = "y"\n'
    index = LineIndex(text)
    assert index.line_of(("servcie",)) == 3
    assert index.line_of(("servcie", 1, "id")) == 7


def test_path_at_a_line():
    text = '[terminal]\noffice = "x"\n\n[[service]]\nprefix = "A"\n'
    index = LineIndex(text)
    assert index.path_at(2) == ("terminal", "office")
    assert index.path_at(5) == ("service", 0, "prefix")
    assert index.path_at(3) is None


def test_simple_string_of_a_key():
    text = '[[service]]\nid = "anmeldung"  # comment\n[[service]]\nid = \'ausweis\'\n' \
           '[[service]]\nid = "a\\"b"\n'
    index = LineIndex(text)
    assert index.simple_string(("service", 0, "id")) == "anmeldung"
    assert index.simple_string(("service", 1, "id")) == "ausweis"
    assert index.simple_string(("service", 2, "id")) is None  # escapes: not "simple"
    assert index.simple_string(("service", 3, "id")) is None
