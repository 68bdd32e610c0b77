"""The seam that picks the appointment source named in [appointments] source, and reads
the keys our QR codes are signed with. The app and the CLI both build through here."""

from __future__ import annotations

import re
from pathlib import Path

from kiosk.config import Config

_HEX_KEY = re.compile(r"^[0-9a-fA-F]{64}$")


def build_source(config: Config, store):
    """embedded: the terminal's store; zms: the booking system's HTTP API."""
    if config.appointments.source == "zms":
        from kiosk.appointments.zms import zms_source  # ApiKeyError: key file unusable

        return zms_source(config)
    from kiosk.appointments.embedded import EmbeddedSource

    return EmbeddedSource(store)


def load_keys(config: Config) -> tuple[bytes, ...]:
    """The HMAC keys of [appointments] key_file, newest first ('#' comments); none
    without a key file. OSError, ValueError or ConfigError (with the line) when it
    cannot be used."""
    try:
        # the codes helper's reader (permissions, FILE:LINE problems as ConfigError)
        from kiosk.appointments.keys import load_office_keys
    except ImportError:
        load_office_keys = None
    if load_office_keys is not None:
        return tuple(load_office_keys(config))
    path = config.appointments.key_file
    return tuple(_read_key_file(Path(path))) if path else ()


def _read_key_file(path: Path) -> list[bytes]:
    keys = []
    for number, line in enumerate(path.read_text(encoding="ascii").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if not _HEX_KEY.match(line):
            raise ValueError(f"{path}:{number}: not a key of 64 hex digits")
        keys.append(bytes.fromhex(line))
    return keys
