"""The two bounded file reads (kiosk.paths.read_bounded): the intake JSON of `kiosk intake
submit` and the intake key files. Each says what is wrong with the file in its own
words: a folder, a file too large, a file the system will not read (JSON: exit 1, the
rest exit 2)."""

from __future__ import annotations

import pytest

from kiosk.services.intake_seal import KeyFileError, load_private_key, load_public_keys
from tests.integration.test_intake_cli import config_file, office, run  # noqa: F401


def _cases(tmp_path):
    big = tmp_path / "big"
    big.write_bytes(b" " * 1_000_001)  # one byte more than an intake file may have
    plain = tmp_path / "plain"
    plain.write_text("x", encoding="utf-8")
    return {"folder": tmp_path, "too_large": big,
            "unreadable": plain / "below-a-file"}  # ENOTDIR: an OSError of its own


@pytest.mark.parametrize("kind, code, message", [
    ("folder", 2, "is a folder, not a JSON file"),
    ("too_large", 2, "larger than 1000000 bytes; not an intake"),
    ("unreadable", 1, "cannot be read (Not a directory)"),
])
def test_intake_json_that_cannot_be_read(tmp_path, config_file, capsys,  # noqa: F811
                                         kind, code, message):
    path = _cases(tmp_path)[kind]
    got, out, err = run(capsys, "intake", "submit", str(path), "--config",
                        str(config_file))
    assert (got, out, err) == (code, "", f"kiosk: {path}: {message}\n")


@pytest.mark.parametrize("kind, message", [
    ("folder", "is a folder, not a key file"),
    ("too_large", "too large for a key file"),
    ("unreadable", "cannot be read (Not a directory)"),
])
def test_key_file_that_cannot_be_read(tmp_path, kind, message):
    path = _cases(tmp_path)[kind]
    for load in (lambda p: load_public_keys([p]), load_private_key):
        with pytest.raises(KeyFileError) as caught:
            load(path)
        assert str(caught.value) == f"{path}: {message}"
