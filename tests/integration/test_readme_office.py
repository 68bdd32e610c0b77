"""README "An office from scratch on PostgreSQL", command by command, against the tests'
own PostgreSQL server: the role and database, the DSN file, the server's config, the
device tokens, `kiosk serve`, a terminal on the http backend taking a test ticket, and
a counter calling and finishing it. Only what cannot be the same here is replaced:
/etc/kiosk by a temporary folder, the port, the proxy's URL, the password typed."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests

from tests.conftest import MINIMAL_CONFIG
from tests.server_process import free_port
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
TITLE = "### An office from scratch on PostgreSQL"
ROLE = "kiosk_office"
PASSWORD = "office-pw-in-test"  # typed at createuser's prompt (a throw-away server)
KINDS = ["sh", "sh", "toml", "sh", "sh", "sh", "toml", "sh", "sh"]


def readme_blocks() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(TITLE):]
    section = section[:section.index("\n## ")]
    return [(kind, textwrap.dedent(body)) for kind, body in
            re.findall(r"^ *```(\w+)\n(.*?)^ *```$", section, re.S | re.M)]


def test_the_readme_lists_the_steps_this_test_runs():
    blocks = readme_blocks()
    assert [kind for kind, _ in blocks] == KINDS
    assert blocks[0][1].startswith("createuser --pwprompt kiosk_office")
    assert blocks[4][1].strip() == "kiosk serve --config /etc/kiosk/server.toml"


class Shell:
    """Runs README blocks in bash (set -eu) with `kiosk` this checkout's CLI."""

    def __init__(self, etc: Path, port: int, url: str, env: dict) -> None:
        self.etc, self.port, self.url, self.env = etc, port, url, env

    def text(self, block: str) -> str:
        return (block.replace("/etc/kiosk", str(self.etc)).replace("8480", str(self.port))
                .replace("https://kiosk.office.example", self.url))

    def run(self, block: str, stdin: str = "", **env) -> str:
        script = (f'set -eu\nkiosk() {{ {shlex.quote(sys.executable)} -m kiosk "$@"; }}\n'
                  + self.text(block))
        # a session of its own: no terminal, so createuser reads the password from stdin
        done = subprocess.run(["bash", "-c", script], input=stdin, capture_output=True,
                              text=True, timeout=180, env=dict(self.env, **env),
                              start_new_session=True)
        assert done.returncode == 0, f"{script}\n{done.stdout}\n{done.stderr}"
        return done.stdout


def _drop(pg) -> None:
    import psycopg

    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {ROLE} WITH (FORCE)")
        conn.execute(f"DROP ROLE IF EXISTS {ROLE}")


@pytest.fixture
def pg(pg_server):
    _drop(pg_server)
    yield pg_server
    _drop(pg_server)


def test_an_office_set_up_from_the_readme(tmp_path, pg):
    blocks = [body for _, body in readme_blocks()]
    assert len(blocks) == len(KINDS)
    etc = tmp_path / "etc-kiosk"
    etc.mkdir(mode=0o700)
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), KIOSK_DATA_DIR=str(tmp_path / "server"))
    # the DSN names localhost without a port: libpq takes the port from PGPORT
    env.update(PGHOST=pg.socket_dir, PGPORT=str(pg.port), PGUSER="kiosk")
    sh = Shell(etc, port, f"http://127.0.0.1:{port}", env)
    printer = tmp_path / "printer.bin"
    base = MINIMAL_CONFIG.replace("{printer_path}", str(printer))

    sh.run(blocks[0], stdin=f"{PASSWORD}\n{PASSWORD}\n")          # 1. role, database
    sh.run(blocks[1].replace("PASSWORD", PASSWORD))                # 2. DSN file
    assert (etc / "pg-dsn").stat().st_mode & 0o777 == 0o600
    (etc / "server.toml").write_text(base + "\n" + sh.text(blocks[2]),  # 3. config
                                     encoding="utf-8")
    listed = sh.run(blocks[3])                                     # 4. tokens
    tokens = sorted(p.name for p in (etc / "tokens").iterdir())
    assert len(tokens) == 5 + 20 + 1 and all((etc / "tokens" / t).read_text().strip()
                                             for t in tokens)
    assert all(name in listed for name in ("terminal-5", "counter-20", "hall-tv"))

    serve = shlex.split(sh.text(blocks[4]).strip())                # 5. kiosk serve
    assert serve[:2] == ["kiosk", "serve"]
    log = open(tmp_path / "serve.log", "w+", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", *serve[1:]], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        def ready() -> bool:
            try:
                return requests.get(sh.url + "/openapi.json", timeout=2).status_code == 200
            except requests.RequestException:
                return proc.poll() is not None
        assert wait_for(ready, 60) and proc.poll() is None, \
            (tmp_path / "serve.log").read_text()
        queue = json.loads(sh.run(blocks[5]))
        assert [q["service"] for q in queue] == ["anmeldung", "ausweis"]

        # 6. a terminal: its token file, its [store], check-config and a test ticket
        token = etc / "server-token"
        token.write_text((etc / "tokens" / "terminal-1").read_text(), encoding="utf-8")
        token.chmod(0o600)
        (etc / "kiosk.toml").write_text(base + "\n" + sh.text(blocks[6]), encoding="utf-8")
        out = sh.run(blocks[7], KIOSK_DATA_DIR=str(tmp_path / "terminal"))
        number = re.search(r"\bA\d{3}\b", out)
        assert number and "offline" not in out.lower(), out
        assert number.group(0).encode() in printer.read_bytes()

        out = sh.run(blocks[8])                                    # 7. call and done
        decoder, answers, at, out = json.JSONDecoder(), [], 0, out.strip()
        while at < len(out):  # curl prints the answers one after the other
            answer, at = decoder.raw_decode(out, at)
            answers.append(answer)
        assert [(a["number"], a["counter"]) for a in answers] == [(number.group(0), "1")] * 2
        assert answers[1]["state"] == "done"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        log.close()
    assert proc.returncode == 0, (tmp_path / "serve.log").read_text()
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
