#!/usr/bin/env python3
"""Syntax and policy check for udev rules files, without udevadm or a device.

    python3 deploy/udev/check_rules.py [FILE ...]     (default: 60-kiosk.rules here)
    python3 deploy/udev/check_rules.py --self-test    (proves each check fires)

Checks every rule line: comma-separated KEY[{attr}]OP"value" pairs, known keys, match
keys only with ==/!=, assignment keys only with =, +=, -=, :=, {attr} present where the
key needs one, closed quotes, no trailing comma, every GOTO has its LABEL. Then this
project's policy: SYMLINK only with += (SYMLINK= would drop /dev/serial/by-id/... and
other links), every rule naming a /dev/kiosk-* device also sets GROUP="kiosk" and
MODE="0660", tty rules set ENV{ID_MM_DEVICE_IGNORE}="1", USB ids are 4 hex digits, and
all four kiosk names are defined. Exit 0 when clean, 1 with FILE:LINE: problem lines.

For udev's own parser and a match test against simulated devices, see simulate.sh.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

MATCH_ONLY = {"ACTION", "DEVPATH", "KERNEL", "KERNELS", "SUBSYSTEM", "SUBSYSTEMS", "DRIVER",
              "DRIVERS", "ATTRS", "TAGS", "TEST", "PROGRAM", "RESULT", "CONST"}
ASSIGN_ONLY = {"OWNER", "GROUP", "MODE", "SECLABEL", "RUN", "LABEL", "GOTO", "IMPORT",
               "OPTIONS"}
BOTH = {"NAME", "SYMLINK", "ATTR", "SYSCTL", "ENV", "TAG"}
NEEDS_ATTR = {"ATTR", "ATTRS", "SYSCTL", "ENV", "CONST", "SECLABEL", "IMPORT"}
MAY_HAVE_ATTR = NEEDS_ATTR | {"TEST", "RUN"}
MATCH_OPS = {"==", "!="}
ASSIGN_OPS = {"=", "+=", "-=", ":="}
EXPECTED_NAMES = {"kiosk-printer", "kiosk-display", "kiosk-scanner", "kiosk-scanner-hid"}

PAIR = re.compile(r'\s*([A-Z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*')


def parse(line: str) -> tuple[list[tuple[str, str | None, str, str]], str | None]:
    """The rule's (key, attr, op, value) pairs, or an error message."""
    pairs, pos = [], 0
    while True:
        m = PAIR.match(line, pos)
        if not m:
            return pairs, f"cannot parse at column {pos + 1}: {line[pos:pos + 30]!r}"
        pairs.append((m.group(1), m.group(2), m.group(3), m.group(4)))
        pos = m.end()
        if pos == len(line):
            return pairs, None
        if line[pos] != ",":
            return pairs, f"expected ',' at column {pos + 1}: {line[pos:pos + 30]!r}"
        pos += 1
        if not line[pos:].strip():
            return pairs, "trailing comma"


def rule_lines(text: str):
    """(first line number, logical line) for every rule; backslash continues a line."""
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        yield start, buffer + stripped
        buffer = ""
    if buffer:
        yield start, buffer


def check_text(text: str, name: str, expect_names: bool = True) -> list[str]:
    problems: list[str] = []
    gotos: list[tuple[int, str]] = []
    labels: set[str] = set()
    names: set[str] = set()
    for number, line in rule_lines(text):
        def bad(message: str) -> None:
            problems.append(f"{name}:{number}: {message}")

        pairs, error = parse(line)
        if error:
            bad(error)
            continue
        keys = {}
        for key, attr, op, value in pairs:
            if key not in MATCH_ONLY | ASSIGN_ONLY | BOTH:
                bad(f"unknown key {key}")
                continue
            if key in MATCH_ONLY and op not in MATCH_OPS:
                bad(f"{key} is a match key: use == or !=, not {op}")
            if key in ASSIGN_ONLY and op not in ASSIGN_OPS:
                bad(f"{key} is an assignment: use =, +=, -= or :=, not {op}")
            if key in ("LABEL", "GOTO") and op != "=":
                bad(f"{key} takes =, not {op}")
            if key in NEEDS_ATTR and not attr:
                bad(f"{key} needs {{name}}")
            if attr is not None and key not in MAY_HAVE_ATTR:
                bad(f"{key} takes no {{{attr}}}")
            if attr is not None and not re.fullmatch(r"[A-Za-z0-9_./*?\[\]:-]+", attr):
                bad(f"{key}{{{attr}}}: not a plain attribute or variable name")
            if attr in ("idVendor", "idProduct") and not re.fullmatch(r"[0-9a-f]{4}", value):
                bad(f"{key}{{{attr}}} must be 4 lowercase hex digits, not {value!r}")
            if key == "GOTO":
                gotos.append((number, value))
            if key == "LABEL":
                labels.add(value)
            keys.setdefault(key if attr is None else f"{key}{{{attr}}}", []).append((op, value))
        for op, value in keys.get("SYMLINK", []):
            if op in ASSIGN_OPS and value.startswith("kiosk-"):
                if op != "+=":
                    bad(f'SYMLINK{op}"{value}" replaces the other links: use +=')
                names.add(value)
                if ("=", "kiosk") not in keys.get("GROUP", []):
                    bad(f'{value}: missing GROUP="kiosk"')
                if ("=", "0660") not in keys.get("MODE", []):
                    bad(f'{value}: missing MODE="0660"')
                if (("==", "tty") in keys.get("SUBSYSTEM", [])
                        and ("=", "1") not in keys.get("ENV{ID_MM_DEVICE_IGNORE}", [])):
                    bad(f'{value}: serial port without ENV{{ID_MM_DEVICE_IGNORE}}="1"')
    for number, target in gotos:
        if target not in labels:
            problems.append(f'{name}:{number}: GOTO="{target}" has no LABEL')
    if expect_names:
        for missing in sorted(EXPECTED_NAMES - names):
            problems.append(f"{name}: no rule creates /dev/{missing}")
    return problems


def self_test() -> int:
    good = ('SUBSYSTEM=="tty", ATTRS{idVendor}=="0403", SYMLINK+="kiosk-display", '
            'GROUP="kiosk", MODE="0660", ENV{ID_MM_DEVICE_IGNORE}="1"')
    assert check_text(good, "t", expect_names=False) == [], check_text(good, "t", False)
    bad_lines = {
        'KERNEL="lp0", GROUP="kiosk"': "match key",
        'SUBSYSTEM=="usb", GROUP=="kiosk"': "assignment",
        'SUBSYSTEM=="usb", GROUP="kiosk",': "trailing comma",
        'SUBSYSTEM=="usb" GROUP="kiosk"': "expected ','",
        'SUBSYSTEM=="usb", GROUP="kiosk': "cannot parse",
        'SUBSYTEM=="usb"': "unknown key",
        'ENV=="1"': "needs {name}",
        'KERNEL{x}=="lp0"': "takes no",
        'ENV{ATTRS{idVendor}=="0c2e"': "not a plain",
        'ATTRS{idVendor}=="4b8"': "4 lowercase hex",
        'GOTO="nowhere"': "has no LABEL",
        good.replace("SYMLINK+=", "SYMLINK="): "use +=",
        good.replace(', GROUP="kiosk"', ""): 'GROUP="kiosk"',
        good.replace(', MODE="0660"', ""): 'MODE="0660"',
        good.replace(', ENV{ID_MM_DEVICE_IGNORE}="1"', ""): "ID_MM_DEVICE_IGNORE",
    }
    for line, expected in bad_lines.items():
        found = check_text(line, "t", expect_names=False)
        assert any(expected in p for p in found), (line, expected, found)
    assert any("kiosk-printer" in p for p in check_text(good, "t"))
    continued = good.replace('", GROUP', '", \\\n  GROUP')
    assert check_text(continued, "t", expect_names=False) == []
    print(f"self-test: {len(bad_lines) + 3} cases OK")
    return 0


def main(argv: list[str]) -> int:
    if argv == ["--self-test"]:
        return self_test()
    files = [Path(a) for a in argv] or [Path(__file__).with_name("60-kiosk.rules")]
    problems = []
    for path in files:
        problems += check_text(path.read_text(encoding="utf-8"), str(path))
    for problem in problems:
        print(problem)
    if not problems:
        count = sum(len(list(rule_lines(p.read_text(encoding="utf-8")))) for p in files)
        print(f"{', '.join(map(str, files))}: {count} rules OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
