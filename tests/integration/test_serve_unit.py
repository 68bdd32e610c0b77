"""deploy/systemd/kiosk-serve.service: systemd itself finds nothing to object to
(`systemd-analyze verify`, where this machine has it), and the unit's own command line and
environment start a real `kiosk serve` that answers with the tokens of the unit's data
dir, stop with exit 0 on SIGTERM, and end with the exit codes the unit's restart rules
expect (2 for a bad config: not restarted; 1 for a port in use: restarted)."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import MINIMAL_CONFIG
from tests.server_process import free_port
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "systemd" / "kiosk-serve.service"
INSTALLED = "/opt/kiosk/.venv/bin/kiosk"   # deploy/README.md section 2


def unit_entries(text: str) -> list[tuple[str, str, str]]:
    """(section, key, value) in file order; keys may repeat, as systemd allows."""
    entries, section = [], ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def values(section: str, key: str) -> list[str]:
    return [v for s, k, v in unit_entries(UNIT.read_text(encoding="utf-8"))
            if s == section and k == key]


def environment() -> dict[str, str]:
    env = {}
    for value in values("Service", "Environment"):
        for item in shlex.split(value):
            name, _, val = item.partition("=")
            env[name] = val
    return env


def test_the_unit_runs_the_installed_kiosk_serve_sandboxed():
    command = shlex.split(values("Service", "ExecStart")[0])
    assert command[:2] == [INSTALLED, "serve"]
    config = command[command.index("--config") + 1]
    env = environment()
    assert env["KIOSK_CONFIG"] == config
    data = env["KIOSK_DATA_DIR"]
    assert values("Service", "User") == ["kiosk"]
    assert values("Service", "Restart") == ["on-failure"]
    assert values("Service", "RestartPreventExitStatus") == ["2"]
    assert values("Service", "ProtectSystem") == ["strict"]
    assert values("Service", "NoNewPrivileges") == ["yes"]
    assert values("Service", "PrivateTmp") == ["yes"]
    # the data dir is the one place it may write: the one systemd creates for it
    assert values("Service", "ReadWritePaths") == [data]
    assert ["/var/lib/" + d for d in values("Service", "StateDirectory")] == [data]
    assert values("Service", "WorkingDirectory") == [data]
    assert "postgresql.service" in " ".join(values("Unit", "After")).split()
    assert values("Install", "WantedBy") == ["multi-user.target"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed here")
def test_systemd_analyze_verify_finds_nothing(tmp_path):
    """The unit as installed, but for the program path (verify checks that it is an
    executable): this checkout's Python running the kiosk package."""
    text = UNIT.read_text(encoding="utf-8").replace(
        INSTALLED, f"{shlex.quote(sys.executable)} -m kiosk")
    unit = tmp_path / "kiosk-serve.service"
    unit.write_text(text, encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    # unknown keys and bad values are only warnings (exit 0): any output is a finding
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), done.stderr


class UnitRun:
    """The unit's ExecStart and Environment=, with its two paths in a temporary folder:
    /etc/kiosk/server.toml (a config with a free port) and /var/lib/kiosk."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "var-lib-kiosk"
        self.config = folder / "server.toml"
        self.port = free_port()
        self.write_config(MINIMAL_CONFIG.replace("{printer_path}", str(folder / "p.bin"))
                          + f'\n[server]\nhost = "127.0.0.1"\nport = {self.port}\n')
        self.env = dict(os.environ, PYTHONPATH=str(ROOT))
        for name, value in environment().items():
            self.env[name] = self.path(value)

    def write_config(self, text: str) -> None:
        self.config.write_text(text, encoding="utf-8")

    def path(self, value: str) -> str:
        return (value.replace("/etc/kiosk/server.toml", str(self.config))
                .replace("/var/lib/kiosk", str(self.data)))

    def argv(self) -> list[str]:
        command = shlex.split(values("Service", "ExecStart")[0])
        assert command[0] == INSTALLED
        return [sys.executable, "-m", "kiosk", *(self.path(a) for a in command[1:])]

    def start(self) -> subprocess.Popen:
        self.data.mkdir(exist_ok=True)  # StateDirectory=
        self.log = open(self.folder / "serve.log", "w+", encoding="utf-8")
        return subprocess.Popen(self.argv(), stdout=self.log, stderr=subprocess.STDOUT,
                                env=self.env, cwd=self.data)

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True,
                              text=True, timeout=60, env=self.env)


def _stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # systemd's KillSignal= default
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
    return proc.returncode


def test_the_units_command_line_serves_and_stops_cleanly(tmp_path):
    run = UnitRun(tmp_path)
    # a token made as the operator does (the same KIOSK_DATA_DIR as the unit's)
    added = run.run("serve", "token", "add", "hall-tv", "--role", "board",
                    "--config", str(run.config))
    assert added.returncode == 0, added.stderr
    proc = run.start()
    try:
        url = f"http://127.0.0.1:{run.port}/api/v1/queue"

        def answers() -> bool:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                return requests.get(url, timeout=2, headers={
                    "Authorization": f"Bearer {added.stdout.strip()}"}).status_code == 200
            except requests.RequestException:
                return False
        assert wait_for(answers, 60), (tmp_path / "serve.log").read_text()
    finally:
        code = _stop(proc)
    assert code == 0, (tmp_path / "serve.log").read_text()
    # what it wrote, it wrote into the unit's data dir
    assert (run.data / "server-tokens.json").exists()


def test_a_bad_config_is_exit_2_which_the_unit_does_not_restart(tmp_path):
    run = UnitRun(tmp_path)
    run.write_config(run.config.read_text(encoding="utf-8") + "\n[server]\nport = 80\n")
    proc = run.start()
    assert proc.wait(timeout=60) == 2
    assert values("Service", "RestartPreventExitStatus") == ["2"]


def test_a_port_in_use_is_exit_1_which_the_unit_restarts(tmp_path):
    import socket

    run = UnitRun(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", run.port))
        taken.listen()
        proc = run.start()
        assert proc.wait(timeout=60) == 1
    assert "in use" in (tmp_path / "serve.log").read_text()
    assert values("Service", "Restart") == ["on-failure"]
