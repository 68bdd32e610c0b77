"""`kiosk serve` as an operator meets it: device tokens added, listed and removed (on a
running server too), the port taken, a bad config, wrong tokens slowed down, an
Idempotency-Key answer kept across a crash of the server."""

from __future__ import annotations

import os
import socket
import stat

import requests

from tests.conftest import MINIMAL_CONFIG
from tests.server_process import ServerProcess

API = "/api/v1"


def test_tokens_add_list_remove_on_a_running_server(tmp_path):
    with ServerProcess(tmp_path, roles=("terminal",)) as srv:
        token = srv.tokens["terminal"]
        path = srv.data / "server-tokens.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert token not in path.read_text()  # only its hash
        listed = srv.kiosk("serve", "token", "list", "--config", str(srv.config))
        assert listed.returncode == 0 and listed.stdout.startswith("test-terminal\tterminal\t")
        assert token not in listed.stdout
        again = srv.kiosk("serve", "token", "add", "test-terminal", "--role", "board",
                          "--config", str(srv.config))
        assert again.returncode == 2 and "exists" in again.stderr
        bad = srv.kiosk("serve", "token", "add", "x", "--role", "admin",
                        "--config", str(srv.config))
        assert bad.returncode == 2 and "Traceback" not in bad.stderr
        url = srv.url + API + "/calls"
        board = srv.add_token("hall-tv", "board")  # taken up without a restart
        assert requests.get(url, headers={"Authorization": f"Bearer {board}"},
                            timeout=20).status_code == 200
        gone = srv.kiosk("serve", "token", "remove", "hall-tv", "--config", str(srv.config))
        assert gone.returncode == 0
        assert requests.get(url, headers={"Authorization": f"Bearer {board}"},
                            timeout=20).status_code == 401
        missing = srv.kiosk("serve", "token", "remove", "hall-tv", "--config",
                            str(srv.config))
        assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert srv.proc.returncode == 0  # SIGTERM: a clean stop, store closed


def test_port_in_use_exits_1_and_bad_config_exits_2(tmp_path):
    srv = ServerProcess(tmp_path, roles=())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = srv.kiosk("serve", "--config", str(srv.config), "--host", "127.0.0.1",
                        "--port", str(port))
    assert out.returncode == 1
    assert out.stderr.strip().endswith("choose another with --port or [server] port")
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    srv.config.write_text(MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "p"))
                          + "\n[server]\nport = 70000\n", encoding="utf-8")
    out = srv.kiosk("serve", "--config", str(srv.config))
    assert out.returncode == 2
    assert out.stderr.strip().startswith(f"{srv.config}:") and \
        out.stderr.strip().endswith("server.port: must be between 1 and 65535")


def test_wrong_tokens_are_answered_429_after_twenty(tmp_path):
    with ServerProcess(tmp_path, roles=("board",)) as srv:
        url = srv.url + API + "/calls"
        wrong = [requests.get(url, headers={"Authorization": f"Bearer guess{i}"},
                              timeout=20).status_code for i in range(20)]
        assert wrong == [401] * 20
        r = requests.get(url, headers=srv.headers("board"), timeout=20)
        assert r.status_code == 429 and r.json()["error"] == "too_many_wrong_tokens"
        assert int(r.headers["Retry-After"]) >= 1
        assert "wrong device token (20 since start)" in srv.output()
        assert "guess" not in srv.output()


def test_idempotent_answer_survives_a_crash(tmp_path):
    srv = ServerProcess(tmp_path, roles=("terminal",))
    body = {"service": "anmeldung", "language": "de"}
    headers = srv.headers("terminal", **{"Idempotency-Key": "b9d3c0e2-crash"})
    with srv:
        first = requests.post(srv.url + API + "/tickets", json=body, headers=headers,
                              timeout=20)
        assert first.status_code == 201
        srv.kill()
        srv.start()
        again = requests.post(srv.url + API + "/tickets", json=body, headers=headers,
                              timeout=20)
        assert again.status_code == 201 and again.json() == first.json()
        nxt = requests.post(srv.url + API + "/tickets", json=body,
                            headers=srv.headers("terminal"), timeout=20).json()
        assert nxt["number"] == "A002"
    assert stat.S_IMODE(os.stat(srv.data / "server-requests.sqlite3").st_mode) == 0o600
