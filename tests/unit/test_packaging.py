"""Packaging metadata stays in the form current setuptools accepts: the licence as an
SPDX expression (the `{ text = ... }` table stops working on 2027-02-18, setuptools warns),
which needs setuptools >= 77 in the build system."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_license_is_an_spdx_string_with_a_setuptools_that_reads_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "EUPL-1.2"
    setuptools = [r for r in project["build-system"]["requires"] if r.startswith("setuptools")]
    minimum = re.fullmatch(r"setuptools>=(\d+)(\.\d+)*", setuptools[0])
    assert minimum and int(minimum.group(1)) >= 77
