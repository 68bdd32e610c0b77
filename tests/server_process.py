"""Starts a real `kiosk serve` for tests: a child process on a free port with its own
data dir, config and one device token of each role; waits until it answers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import MINIMAL_CONFIG

ROOT = Path(__file__).resolve().parent.parent


def engine_store_toml(engine: str, folder: Path, request) -> str:
    """The [store] table for a server on `engine`: "" (SQLite in the data dir) or a new
    database on the session's PostgreSQL server (the pg_server fixture) with a dsn_file."""
    if engine == "sqlite":
        return ""
    import uuid

    import psycopg

    pg = request.getfixturevalue("pg_server")
    name = f"serve_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    dsn_file = Path(folder) / "pg-dsn"
    dsn_file.write_text(pg.dsn(name), encoding="utf-8")
    dsn_file.chmod(0o600)
    return f'\n[store]\nbackend = "postgres"\ndsn_file = "{dsn_file}"\n'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`with ServerProcess(tmp_path) as srv:` srv.url, srv.tokens[role],
    srv.headers(role), srv.kill(), srv.start() again on the same data."""

    def __init__(self, folder: Path, config_text: str | None = None,
                 env: dict | None = None, roles=("terminal", "counter", "board"),
                 faults: str | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.data = self.folder / "server-data"
        self.config = self.folder / "server.toml"
        text = config_text if config_text is not None else MINIMAL_CONFIG
        self.config.write_text(text.replace("{printer_path}",
                                            str(self.folder / "printer.bin")),
                               encoding="utf-8")
        self.env = dict(os.environ, KIOSK_DATA_DIR=str(self.data), PYTHONPATH=str(ROOT),
                        **(env or {}))
        self.faults = faults  # tests/faults.py FAULT[,FAULT] for the next start()
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.tokens = {role: self.add_token(f"test-{role}", role) for role in roles}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_token(self, name: str, role: str) -> str:
        out = self.kiosk("serve", "token", "add", name, "--role", role,
                         "--config", str(self.config))
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    def kiosk(self, *args, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True,
                              text=True, timeout=timeout, env=self.env)

    def headers(self, role: str, **extra) -> dict:
        return {"Authorization": f"Bearer {self.tokens[role]}", **extra}

    def start(self, timeout_s: float = 60) -> "ServerProcess":
        for _ in range(5):  # another process may take the free port before we bind it
            self.port = free_port()
            self.log = open(self.folder / f"serve-{self.port}.log", "w+", encoding="utf-8")
            run = ["-m", "tests.faults", self.faults, "--"] if self.faults else ["-m", "kiosk"]
            self.proc = subprocess.Popen(
                [sys.executable, *run, "serve", "--config", str(self.config),
                 "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
            if self._wait_ready(timeout_s):
                return self
            if "in use" not in self.output():
                break
        raise AssertionError(f"kiosk serve did not start:\n{self.output()}")

    def _wait_ready(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if requests.get(self.url + "/openapi.json", timeout=2).status_code == 200:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.1)
        return False

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return (self.folder / f"serve-{self.port}.log").read_text(encoding="utf-8")

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self.log.close()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL, as a crash: nothing is flushed or closed."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=20)

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
