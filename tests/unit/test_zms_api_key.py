"""The ZMS key file: read only when nobody else may read it, the key never in a message;
and the source built from the configuration."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from kiosk.appointments.api_key import ApiKeyError, read_api_key
from kiosk.appointments.zms import AUTH_HEADER, zms_source
from kiosk.config import load_config

KEY = "0123456789abcdef0123456789abcdef"
EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "kiosk.example.toml"


def key_file(tmp_path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "zms-api-key"
    path.write_text(text, encoding="ascii")
    os.chmod(path, mode)
    return path


def test_reads_the_first_key_line(tmp_path):
    assert read_api_key(key_file(tmp_path, f"# ZMS workstation key\n\n  {KEY}  \nold\n")) == KEY


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o666])
def test_world_readable_file_is_refused(tmp_path, mode):
    path = key_file(tmp_path, KEY + "\n", mode)
    with pytest.raises(ApiKeyError, match="readable by everyone") as caught:
        read_api_key(path)
    assert KEY not in str(caught.value) and str(path) in str(caught.value)


def test_group_readable_file_is_accepted(tmp_path):
    # a group the operator chose (the kiosk's service group) may read it
    assert read_api_key(key_file(tmp_path, KEY, 0o640)) == KEY


@pytest.mark.parametrize("text, fragment", [
    ("", "holds no key"), ("# only a comment\n\n", "holds no key"),
    ("key with spaces\n", "without spaces"), ("x" * 600, "at most"),
])
def test_unusable_contents(tmp_path, text, fragment):
    with pytest.raises(ApiKeyError, match=fragment):
        read_api_key(key_file(tmp_path, text))


def test_not_ascii(tmp_path):
    path = tmp_path / "zms-api-key"
    path.write_bytes("schlüssel\n".encode())
    os.chmod(path, 0o600)
    with pytest.raises(ApiKeyError, match="ASCII"):
        read_api_key(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ApiKeyError, match="no such file"):
        read_api_key(tmp_path / "absent")
    with pytest.raises(ApiKeyError, match="not a regular file"):
        read_api_key(tmp_path)


def test_source_from_the_example_configuration(tmp_path):
    config = load_config(EXAMPLE)
    zms = dataclasses.replace(config.appointments.zms,
                              api_key_file=str(key_file(tmp_path, KEY)))
    config = dataclasses.replace(config, appointments=dataclasses.replace(
        config.appointments, zms=zms))
    source = zms_source(config)
    try:
        assert source.service_map == {120703: next(
            s.id for s in config.services
            if s.appointments and 120703 in s.appointments.zms_request_ids)}
        assert source.office_id == config.appointments.office_id
        assert source.config.scope_id == 141
        assert source._api_key == KEY and AUTH_HEADER == "X-Authkey"
    finally:
        source.close()


def test_source_refuses_a_world_readable_key_file(tmp_path):
    config = load_config(EXAMPLE)
    zms = dataclasses.replace(config.appointments.zms,
                              api_key_file=str(key_file(tmp_path, KEY, 0o644)))
    config = dataclasses.replace(config, appointments=dataclasses.replace(
        config.appointments, zms=zms))
    with pytest.raises(ApiKeyError):
        zms_source(config)
