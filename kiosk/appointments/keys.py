"""The key file of our signed QR codes: one 64-hex-digit HMAC key per line, newest first,
'#' comments. Refused like ssh refuses a private key when others may read it; problems
are reported as FILE:LINE without ever quoting a line (it may be a key)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from kiosk.config_model import Config
from kiosk.config_reader import ConfigError, Problem

MAX_KEYS = 4              # two during a change-over; more means old keys were left behind
MAX_FILE_BYTES = 16 * 1024
_KEY = re.compile(r"[0-9A-Fa-f]{64}")
_HEX = re.compile(r"[0-9A-Fa-f]*")


class KeyFileError(ConfigError):
    """The key file cannot be used: `problems` says where (exit 2, like the config)."""


def key_file_path(config: Config) -> Path | None:
    """[appointments] key_file, a relative path taken from the configuration's folder."""
    name = config.appointments.key_file
    if not name:
        return None
    path = Path(name).expanduser()
    return path if path.is_absolute() else Path(config.source).parent / path


def load_office_keys(config: Config) -> tuple[bytes, ...]:
    """The keys named by the configuration; none when it names no key file."""
    path = key_file_path(config)
    return () if path is None else load_keys(path)


def load_keys(path: str | Path) -> tuple[bytes, ...]:
    """The keys in file order (newest first). Raises KeyFileError."""
    file = str(path)
    raw = _read_private(file)
    if raw.startswith(b"\xef\xbb\xbf"):  # the byte order mark some Windows editors write
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")  # comments may be in any language
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise KeyFileError([Problem(file, None, None, f"not UTF-8 (at line {line}); a key "
                                    f"file is plain text")]) from None
    keys: list[bytes] = []
    first_line: dict[bytes, int] = {}
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        label = f"key {len(keys) + 1}"
        if not _KEY.fullmatch(value):
            problems.append(Problem(file, number, label, _why_not_a_key(value)))
            keys.append(b"")  # keeps the numbering of the keys that follow
            continue
        key = bytes.fromhex(value)
        if key in first_line:
            problems.append(Problem(file, number, label,
                                    f"the same key as line {first_line[key]}; remove one"))
        elif not any(key):
            problems.append(Problem(file, number, label, "all zeros: not a secret; make a "
                                    "key with `openssl rand -hex 32`"))
        first_line.setdefault(key, number)
        keys.append(key)
        if len(keys) == MAX_KEYS + 1:
            problems.append(Problem(file, number, label,
                                    f"more than {MAX_KEYS} keys; keep the newest first and "
                                    f"remove keys that no booking uses any more"))
    if not keys and not problems:
        problems.append(Problem(file, None, None, "no key in the file (one key per line: "
                                "64 hex digits, e.g. from `openssl rand -hex 32`)"))
    if problems:
        raise KeyFileError(problems)
    return tuple(keys)


def _read_private(file: str) -> bytes:
    """The file's bytes, after checking on the opened file that only its owner may read it."""
    try:
        # O_NONBLOCK: a FIFO named by mistake must not hang the start (no effect on files)
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise KeyFileError([Problem(file, None, None, f"cannot read the key file: "
                                    f"{err.strerror or err}")]) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyFileError([Problem(file, None, None, "not a regular file")])
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise KeyFileError([Problem(
                file, None, None, f"permissions {mode:04o} are too open: the keys must be "
                f"readable by the kiosk's user only (chmod 600 {file})")])
        raw = b""
        while len(raw) <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - len(raw))
            if not chunk:
                break
            raw += chunk
    except OSError as err:
        raise KeyFileError([Problem(file, None, None, f"cannot read the key file: "
                                    f"{err.strerror or err}")]) from None
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        raise KeyFileError([Problem(file, None, None, f"larger than {MAX_FILE_BYTES // 1024} "
                                    f"KiB; a key file holds a few lines")])
    return raw


def _why_not_a_key(value: str) -> str:
    # the line itself is never quoted: it may be a key with a typo
    if not _HEX.fullmatch(value):
        return "not a key: only the hex digits 0-9 and a-f may appear (64 of them)"
    return f"not a key: 64 hex digits expected, the line has {len(value)}"
