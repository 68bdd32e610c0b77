"""Device tokens of the office server: the tokens file keeps each device's name, role,
the SHA-256 of its token and when it was made (never the token); a request's token is
looked up by its SHA-256, and a client sending wrong tokens is slowed down (429)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

log = logging.getLogger(__name__)

ROLES = ("terminal", "counter", "board")
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


class TokenFileError(Exception):
    """The tokens file cannot be read or written (one line: which file, what to do)."""


@dataclass(frozen=True)
class Device:
    name: str
    role: str


def tokens_path(config) -> Path:
    from kiosk.paths import data_dir

    return Path(config.server.tokens_file) if config.server.tokens_file \
        else data_dir() / "server-tokens.json"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name: str) -> str:
    if not 1 <= len(name) <= 32 or not set(name) <= _NAME_CHARS:
        raise ValueError(f"device name {name[:40]!r} must be 1-32 letters, digits, '-', "
                         f"'_' or '.'")
    return name


class TokenFile:
    """The tokens file, read again whenever it changed on disk: `kiosk serve token add`
    on a running server takes effect at the next request, a `token remove` within
    `check_s` (the file is looked at, one stat, at most that often for a known token;
    an unknown token always looks, so a new one is never refused)."""

    def __init__(self, path: Path, check_s: float = 1.0, monotonic=time.monotonic) -> None:
        self.path = Path(path)
        self.check_s, self.monotonic = check_s, monotonic
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._entries: list[dict] = []
        self._by_digest: dict[str, Device] = {}
        self._looked_at = float("-inf")

    # -- reading -------------------------------------------------------------------

    def entries(self) -> list[dict]:
        with self._lock:
            self._refresh()
            return list(self._entries)

    def _refresh(self) -> None:
        """Reads the file again when it changed (inode, mtime, size); holds the lock."""
        self._looked_at = self.monotonic()
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._entries, self._by_digest = None, [], {}
            return
        except OSError as err:
            raise TokenFileError(f"{self.path}: {err.strerror or err}") from err
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            entries = self._read()
            by_digest: dict[str, Device] = {}
            for e in entries:  # the first entry with a hash holds it, as before
                by_digest.setdefault(str(e["sha256"]), Device(str(e["name"]), str(e["role"])))
            self._by_digest = by_digest
            self._entries, self._stamp = entries, stamp

    def _read(self) -> list[dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except OSError as err:
            raise TokenFileError(f"{self.path}: {err.strerror or err}") from err
        except ValueError as err:
            raise TokenFileError(f"{self.path}: not a tokens file ({err}); remove it and "
                                 f"add the tokens again") from err
        tokens = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(tokens, list) or not all(
                isinstance(t, dict) and {"name", "role", "sha256"} <= t.keys()
                for t in tokens):
            raise TokenFileError(f"{self.path}: not a tokens file (expected "
                                 f"{{\"tokens\": [{{name, role, sha256, created}}]}})")
        return tokens

    def device(self, token: str) -> Device | None:
        """The device holding this token, or None. Looked up by the token's SHA-256 in
        memory: timing can tell at most something about the hash of what was sent,
        which is no help in finding a token (a 256-bit random one)."""
        digest = _digest(token)
        with self._lock:
            if self.monotonic() - self._looked_at >= self.check_s:
                self._refresh()
            found = self._by_digest.get(digest)
            if found is None:  # perhaps added a moment ago: look at the file now
                self._refresh()
                found = self._by_digest.get(digest)
            return found

    # -- writing (the CLI) ---------------------------------------------------------

    def add(self, name: str, role: str) -> str:
        """A new random token for the device (printed once by the CLI); ValueError for
        a bad name or role or a name already present."""
        check_name(name)
        if role not in ROLES:
            raise ValueError(f"role {role!r} is not one of {', '.join(ROLES)}")
        entries = self.entries()
        if any(e["name"] == name for e in entries):
            raise ValueError(f"a device named {name!r} exists; remove it first")
        token = secrets.token_urlsafe(32)
        entries.append({"name": name, "role": role, "sha256": _digest(token),
                        "created": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        self._write(entries)
        return token

    def remove(self, name: str) -> bool:
        entries = self.entries()
        kept = [e for e in entries if e["name"] != name]
        if len(kept) == len(entries):
            return False
        self._write(kept)
        return True

    def _write(self, entries: list[dict]) -> None:
        # written whole to a 0600 file beside it, then renamed: never a half file
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"tokens": entries}, f, indent=2)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except OSError as err:
            raise TokenFileError(f"{self.path}: {err.strerror or err}") from err
        with self._lock:
            self._stamp, self._looked_at = None, float("-inf")


class WrongTokenLimiter:
    """Counts wrong tokens; a client that sent `limit` of them within `window_s` is
    answered 429 until the window has passed (guessing a 256-bit token is hopeless, but
    a misconfigured device hammering the server should show up and not cost CPU)."""

    def __init__(self, limit: int = 20, window_s: float = 60.0,
                 monotonic=time.monotonic) -> None:
        self.limit, self.window_s, self.monotonic = limit, window_s, monotonic
        self.total = 0
        self._lock = threading.Lock()
        self._seen: dict[str, list[float]] = {}

    def blocked_for(self, client: str) -> float:
        """Seconds the client must wait (0: not blocked)."""
        if client not in self._seen:  # every device with a good token: no lock, no list
            return 0.0
        now = self.monotonic()
        with self._lock:
            times = [t for t in self._seen.get(client, ()) if now - t < self.window_s]
            if times:
                self._seen[client] = times
            else:
                self._seen.pop(client, None)
            if len(times) >= self.limit:
                return max(1.0, self.window_s - (now - times[0]))
            return 0.0

    def wrong(self, client: str) -> None:
        with self._lock:
            self.total += 1
            self._seen.setdefault(client, []).append(self.monotonic())
            if len(self._seen) > 10_000:  # many addresses: forget the oldest
                self._seen.pop(next(iter(self._seen)))
            total = self.total
        # counts only: neither the token nor the address is personal data we keep
        log.warning("wrong device token (%d since start)", total)
