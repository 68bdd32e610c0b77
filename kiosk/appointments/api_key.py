"""Reading a secret the kiosk sends to a booking system (the ZMS X-Authkey) from a file
that only the kiosk user may read; the secret itself never reaches a log or a message."""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_KEY_LENGTH = 512  # far above any real key; a larger file is the wrong file


class ApiKeyError(Exception):
    """The key file cannot be used. One line for operators; names the file, never the key."""


def read_api_key(path: str | os.PathLike) -> str:
    """The first line of the file that is neither empty nor a '#' comment.
    Refused when everyone may read the file: the key would be as good as public."""
    file = Path(path)
    try:
        mode = file.stat().st_mode
        if not stat.S_ISREG(mode):
            raise ApiKeyError(f"{file}: not a regular file")
        if mode & stat.S_IROTH:
            raise ApiKeyError(f"{file}: readable by everyone; allow only the kiosk user "
                              f"(chmod 600 {file})")
        with file.open("rb") as handle:
            raw = handle.read(MAX_KEY_LENGTH * 4 + 1)
    except FileNotFoundError:
        raise ApiKeyError(f"{file}: no such file") from None
    except PermissionError:
        raise ApiKeyError(f"{file}: not readable by the kiosk user") from None
    except OSError as exc:
        raise ApiKeyError(f"{file}: cannot be read ({exc.strerror or 'error'})") from None
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise ApiKeyError(f"{file}: the key must be plain ASCII") from None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        # printable ASCII without spaces: anything else cannot travel in an HTTP header
        if len(line) > MAX_KEY_LENGTH or not all(33 <= ord(c) <= 126 for c in line):
            raise ApiKeyError(f"{file}: the key line must be at most {MAX_KEY_LENGTH} "
                              f"printable characters without spaces")
        return line
    raise ApiKeyError(f"{file}: holds no key (only empty or '#' lines)")
