"""A throw-away PostgreSQL server for the tests and benches: initdb into a temporary
folder, a free TCP port on 127.0.0.1 and a Unix socket in that folder, fsync on.

PostgreSQL refuses to run as root, and CI runs as root: then initdb and postgres run as
the unprivileged system user `kiosk-pg` (created with useradd when missing; when that is
not possible, `nobody`), which owns the temporary folder. The folder is made with
tempfile.mkdtemp (directly under /tmp, which every user can traverse; pytest's own tmp
folders are private to root). Local (socket) connections are trusted; TCP needs the
password, so tests can check what a wrong one gives.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "kiosk"
PASSWORD = "test-secret-pw"  # a throw-away server on 127.0.0.1 for one test session
UNPRIVILEGED_USER = "kiosk-pg"
START_TIMEOUT_S = 60  # a busy CI machine; pg_ctl -w waits at most this long


class Unavailable(Exception):
    """The PostgreSQL binaries are not installed."""


def find_bindir() -> Path:
    """The folder with initdb and pg_ctl: $KIOSK_PG_BINDIR alone when set, else the
    newest /usr/lib/postgresql/<version>/bin (Debian's layout), else initdb on PATH."""
    explicit = os.environ.get("KIOSK_PG_BINDIR")
    if explicit:
        if (Path(explicit) / "initdb").is_file() and (Path(explicit) / "pg_ctl").is_file():
            return Path(explicit)
        raise Unavailable(f"KIOSK_PG_BINDIR={explicit} holds no initdb and pg_ctl")
    candidates = []
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                      key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit()
                      else 0, reverse=True)
    candidates += [Path(p) for p in versions]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise Unavailable("PostgreSQL server binaries (initdb, pg_ctl) not found in "
                      "/usr/lib/postgresql/*/bin or on PATH: install Debian's `postgresql` "
                      "(scripts/setup test does) or set KIOSK_PG_BINDIR")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unprivileged_user() -> pwd.struct_passwd:
    """kiosk-pg, created as a system user without a home or shell when missing; nobody
    when it cannot be created (no useradd)."""
    try:
        return pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    if os.path.exists(useradd):
        done = subprocess.run([useradd, "--system", "--no-create-home", "--shell",
                               "/usr/sbin/nologin", UNPRIVILEGED_USER],
                              capture_output=True, text=True)
        if done.returncode in (0, 9):  # 9: created meanwhile by another session
            return pwd.getpwnam(UNPRIVILEGED_USER)
    return pwd.getpwnam("nobody")


@dataclass
class PgServer:
    folder: Path
    port: int
    bindir: Path
    user: pwd.struct_passwd | None  # who runs it when we are root; None: ourselves

    @property
    def socket_dir(self) -> str:
        return str(self.folder)

    def dsn(self, dbname: str = "postgres", options: str | None = None) -> str:
        """libpq keyword DSN over the Unix socket (trusted, no password)."""
        text = f"host={self.folder} port={self.port} user={SUPERUSER} dbname={dbname}"
        if options:
            text += f" options='{options}'"
        return text

    def tcp_dsn(self, dbname: str = "postgres", password: str = PASSWORD) -> str:
        return (f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{self.port}/{dbname}")

    def _run(self, args: list[str], **kwargs) -> subprocess.CompletedProcess:
        extra = {}
        if self.user is not None:
            extra = dict(user=self.user.pw_uid, group=self.user.pw_gid, extra_groups=[])
        env = dict(os.environ, LC_ALL="C", LANG="C")
        return subprocess.run(args, capture_output=True, text=True, env=env,
                              cwd=self.folder, **extra, **kwargs)

    def start(self) -> "PgServer":
        data = self.folder / "data"
        pwfile = self.folder / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.user is not None:
            os.chown(pwfile, self.user.pw_uid, self.user.pw_gid)
        done = self._run([str(self.bindir / "initdb"), "-D", str(data), "-U", SUPERUSER,
                          "--pwfile", str(pwfile), "--auth-local=trust",
                          "--auth-host=scram-sha-256", "-E", "UTF8", "--no-instructions"])
        pwfile.unlink()
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr.strip()[-500:]}")
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   f"-c fsync=on -c max_connections=120 -c shared_buffers=64MB")
        done = self._run([str(self.bindir / "pg_ctl"), "-D", str(data), "-l",
                          str(self.folder / "server.log"), "-o", options, "-w", "-t",
                          str(START_TIMEOUT_S), "start"])
        if done.returncode:
            log = (self.folder / "server.log")
            tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {done.stderr.strip()} {tail}")
        return self

    def stop(self) -> None:
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m",
                   "fast", "-w", "stop"])
        shutil.rmtree(self.folder, ignore_errors=True)


def start_server() -> PgServer:
    """A started server in a new temporary folder; Unavailable without the binaries,
    RuntimeError when it does not start."""
    bindir = find_bindir()
    folder = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
    user = None
    if os.geteuid() == 0:
        user = _unprivileged_user()
        os.chown(folder, user.pw_uid, user.pw_gid)
    server = PgServer(folder, free_port(), bindir, user)
    try:
        return server.start()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")
