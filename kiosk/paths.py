"""Where the kiosk finds its resources (catalogs, example configs) and keeps its data.
Folders and files it creates for data are private (0700/0600) whatever the umask."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def resource_dir(name: str) -> Path:
    """kiosk/<name> in an installed wheel, else <source tree>/<name> (editable install)."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    return _PACKAGE / name


def config_resource(filename: str) -> Path:
    return resource_dir("config") / filename


def make_private_dir(path: Path) -> Path:
    """Create the folder and its missing parents 0700. An existing folder keeps its mode
    (an operator may have chosen 0750 for a group). Raises OSError when it cannot."""
    path = Path(path)
    missing = []
    probe = path
    while not os.path.lexists(probe) and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            continue  # another process was quicker; its mode is its own
        os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode is masked by the umask
    if not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "exists but is not a folder", str(path))
    return path


def create_private_file(path: Path) -> bool:
    """Create an empty file 0600 unless it exists; True when it was created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)  # the umask may have taken owner bits too
    finally:
        os.close(fd)
    return True


def data_dir() -> Path:
    """$KIOSK_DATA_DIR, else the platform's user data directory; never next to the code.
    Created 0700; raises OSError when it cannot be created."""
    env = os.environ.get("KIOSK_DATA_DIR")
    if env:
        path = Path(env)
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("kiosk", appauthor=False))
    return make_private_dir(path)


def write_file_atomically(path: Path, data: bytes, mode: int,
                          sync_folder: bool = False) -> None:
    """Temp file in the same folder, fsync, then os.replace over the old file: a reader
    sees the old or the new file, never a half-written one. `sync_folder` also fsyncs
    the folder, so the rename itself survives a power cut (worth it for a one-off
    output, not for a file rewritten every few seconds)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600 whatever the umask: set it explicitly
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if sync_folder:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class UnreadableFile(Exception):
    """What read_bounded could not read: `kind` is "missing", "folder", "too_large" or
    "unreadable"; `reason` says it in a few words (callers put their own for a folder
    or a file too large, and choose their error type)."""

    def __init__(self, path: Path, kind: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.kind, self.reason = path, kind, reason


def read_bounded(path: Path, limit: int) -> bytes:
    """The file's bytes, at most `limit` of them: a larger file is refused without
    reading it all (it is not what the caller expects, and could fill the memory)."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise UnreadableFile(path, "missing", "no such file") from None
    except IsADirectoryError:
        raise UnreadableFile(path, "folder", "is a folder") from None
    except OSError as err:
        raise UnreadableFile(path, "unreadable", f"cannot be read ({err.strerror})") from None
    if len(data) > limit:
        raise UnreadableFile(path, "too_large", f"larger than {limit} bytes")
    return data
