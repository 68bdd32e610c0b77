"""The key file of our signed QR codes: read newest first, every bad line named as
FILE:LINE without quoting it, refused when others may read it."""

from __future__ import annotations

import os

import pytest

from kiosk.appointments.keys import (MAX_FILE_BYTES, MAX_KEYS, KeyFileError, key_file_path,
                                     load_keys, load_office_keys)
from kiosk.config import load_config
from kiosk.config_reader import ConfigError
from tests.conftest import MINIMAL_CONFIG, write_config

NEW = "3c1f0a5e9b2d4c6f8a7e1b3d5f9c2a4e6b8d0f1a3c5e7092b4d6f8a1c3e5f709"
OLD = "A0B1C2D3E4F5061728394A5B6C7D8E9FA0B1C2D3E4F5061728394A5B6C7D8E9F"


def key_file(tmp_path, text, mode=0o600, name="checkin.keys"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def problems(path):
    with pytest.raises(KeyFileError) as caught:
        load_keys(path)
    return str(caught.value)


def test_keys_in_file_order_with_comments_and_blank_lines(tmp_path):
    path = key_file(tmp_path, f"# Schlüssel ab Dezember 2026\n{NEW}  # new\n\n  {OLD}\n")
    assert load_keys(path) == (bytes.fromhex(NEW), bytes.fromhex(OLD))


def test_windows_line_ends_and_byte_order_mark(tmp_path):
    path = tmp_path / "checkin.keys"
    path.write_bytes(b"\xef\xbb\xbf" + f"{NEW}\r\n{OLD}\r\n".encode())
    os.chmod(path, 0o600)
    assert load_keys(path) == (bytes.fromhex(NEW), bytes.fromhex(OLD))


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o606])
def test_file_others_may_read_is_refused_like_ssh_does(tmp_path, mode):
    path = key_file(tmp_path, NEW + "\n", mode)
    message = problems(path)
    assert message == (f"{path}: permissions {mode:04o} are too open: the keys must be "
                       f"readable by the kiosk's user only (chmod 600 {path})")


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_owner_only_file_is_read(tmp_path, mode):
    assert load_keys(key_file(tmp_path, NEW + "\n", mode)) == (bytes.fromhex(NEW),)


@pytest.mark.parametrize("line,message", [
    (NEW[:-1], "key 2: not a key: 64 hex digits expected, the line has 63"),
    (NEW + "0", "key 2: not a key: 64 hex digits expected, the line has 65"),
    (NEW[:-1] + "g", "key 2: not a key: only the hex digits 0-9 and a-f may appear (64 of them)"),
    ("key = " + NEW, "key 2: not a key: only the hex digits 0-9 and a-f may appear"),
    (OLD.lower(), "key 2: the same key as line 2; remove one"),
    ("0" * 64, "key 2: all zeros: not a secret"),
])
def test_bad_line_is_named_by_file_and_line_without_quoting_it(tmp_path, line, message):
    path = key_file(tmp_path, f"# keys\n{OLD}\n{line}\n")
    text = problems(path)
    assert text.startswith(f"{path}:3: {message}"), text
    assert NEW[:20].lower() not in text.lower() and OLD[:20].lower() not in text.lower()


def test_every_bad_line_is_reported(tmp_path):
    path = key_file(tmp_path, f"{NEW}\nxyz\n{OLD}\n123\n")
    lines = problems(path).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [f"{path}:2", f"{path}:4"]


def test_more_than_a_few_keys_is_refused(tmp_path):
    keys = [f"{i + 1:02x}" * 32 for i in range(MAX_KEYS + 1)]
    path = key_file(tmp_path, "\n".join(keys) + "\n")
    assert problems(path) == (f"{path}:{MAX_KEYS + 1}: key {MAX_KEYS + 1}: more than "
                              f"{MAX_KEYS} keys; keep the newest first and remove keys that "
                              f"no booking uses any more")
    assert len(load_keys(key_file(tmp_path, "\n".join(keys[:MAX_KEYS]), name="ok"))) == MAX_KEYS


@pytest.mark.parametrize("text", ["", "# only a comment\n\n"])
def test_file_without_a_key_is_refused(tmp_path, text):
    path = key_file(tmp_path, text)
    assert problems(path).startswith(f"{path}: no key in the file")


def test_missing_file_and_directory_and_huge_file(tmp_path):
    assert problems(tmp_path / "nothing.keys") == \
        f"{tmp_path / 'nothing.keys'}: cannot read the key file: No such file or directory"
    folder = tmp_path / "folder"
    folder.mkdir(mode=0o700)
    assert problems(folder) == f"{folder}: not a regular file"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    assert problems(fifo) == f"{fifo}: not a regular file"  # and no hang waiting for a writer
    big = key_file(tmp_path, "#" * (MAX_FILE_BYTES + 1), name="big")
    assert problems(big) == f"{big}: larger than 16 KiB; a key file holds a few lines"


def test_not_utf8(tmp_path):
    path = tmp_path / "checkin.keys"
    path.write_bytes(f"{NEW}\n# \xfcber\n".encode("latin-1"))
    os.chmod(path, 0o600)
    assert problems(path) == f"{path}: not UTF-8 (at line 2); a key file is plain text"


def test_key_file_error_is_a_config_error():
    # so every command reports it like a configuration problem (exit 2)
    assert issubclass(KeyFileError, ConfigError)


def test_relative_key_file_is_taken_from_the_config_folder(tmp_path):
    (tmp_path / "etc").mkdir()
    config_path = write_config(tmp_path / "etc", MINIMAL_CONFIG.replace(
        "{printer_path}", str(tmp_path / "p.bin")) + '\n[appointments]\noffice_id = "bb-mitte"'
        '\nkey_file = "checkin.keys"\n')
    key_file(tmp_path / "etc", NEW + "\n")
    config = load_config(config_path)
    assert key_file_path(config) == tmp_path / "etc" / "checkin.keys"
    assert load_office_keys(config) == (bytes.fromhex(NEW),)


def test_no_key_file_configured_means_no_keys(config):
    assert key_file_path(config) is None
    assert load_office_keys(config) == ()
