"""`kiosk serve` as an operator meets it: device tokens added, listed and removed (on a
running server too), the port taken, a bad config, wrong tokens slowed down, an
Idempotency-Key answer kept across a crash of the server."""

from __future__ import annotations

import os
import socket
import stat
import time

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
        # --config before the subcommand counts too (it was replaced by the default)
        before = srv.kiosk("serve", "--config", str(srv.config), "token", "list")
        assert before.returncode == 0 and before.stdout == listed.stdout
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
        # the server looks at the file at most once a second for a known token
        deadline = time.monotonic() + 20
        while requests.get(url, headers={"Authorization": f"Bearer {board}"},
                           timeout=20).status_code != 401:
            assert time.monotonic() < deadline, "a removed token still works"
            time.sleep(0.2)
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
    # the devices behind a reverse proxy on this machine: counted per forwarded address
    proxy = {"X-Forwarded-For": "10.0.0.5"}
    with ServerProcess(tmp_path, roles=("board",)) as srv:
        url = srv.url + API + "/calls"
        wrong = [requests.get(url, headers={"Authorization": f"Bearer guess{i}", **proxy},
                              timeout=20).status_code for i in range(20)]
        assert wrong == [401] * 20
        r = requests.get(url, headers=srv.headers("board", **proxy), timeout=20)
        assert r.status_code == 429 and r.json()["error"] == "too_many_wrong_tokens"
        assert int(r.headers["Retry-After"]) >= 1
        other = requests.get(url, headers=srv.headers("board", **{
            "X-Forwarded-For": "10.0.0.6"}), timeout=20)
        assert other.status_code == 200
        assert "wrong device token (20 since start)" in srv.output()
        assert "guess" not in srv.output() and "10.0.0.5" not in srv.output()


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


def test_sealed_intakes_past_retention_are_purged_by_the_server(tmp_path):
    import time
    from datetime import datetime, timedelta, timezone

    from kiosk.store.sqlite import SqliteStore

    srv = ServerProcess(tmp_path, roles=("counter",))
    store = SqliteStore(srv.data / "kiosk.sqlite3")
    now = datetime.now(timezone.utc)
    store.put_sealed("OLDREF01", b"old", "k1", now - timedelta(days=15))  # default 14
    store.put_sealed("NEWREF01", b"new", "k1", now - timedelta(days=13))
    store.close()
    with srv:
        url = srv.url + API + "/intakes/"
        deadline = time.monotonic() + 30
        while requests.get(url + "OLDREF01", headers=srv.headers("counter"),
                           timeout=20).status_code != 404:
            assert time.monotonic() < deadline, "the expired intake is still there"
            time.sleep(0.1)
        assert requests.get(url + "NEWREF01", headers=srv.headers("counter"),
                            timeout=20).status_code == 200
        assert "purged 1 sealed intakes older than 14 days" in srv.output()


def test_a_service_closed_by_staff_is_refused_by_the_server(tmp_path, monkeypatch):
    import time

    from kiosk.config import load_config
    from kiosk.services.staff_texts import SERVICE_MESSAGES
    from kiosk.wiring import open_store, staff_service

    with ServerProcess(tmp_path, roles=("terminal",)) as srv:
        url, body = srv.url + API + "/tickets", {"service": "anmeldung", "language": "de"}
        assert requests.post(url, json=body, headers=srv.headers("terminal"),
                             timeout=20).status_code == 201
        monkeypatch.setenv("KIOSK_DATA_DIR", str(srv.data))
        config = load_config(srv.config)
        store = open_store(config)
        try:
            staff_service(config, store).close_service("anmeldung", next(iter(
                SERVICE_MESSAGES)))
        finally:
            store.close()
        deadline = time.monotonic() + 30  # the server reads the settings once a second
        while True:
            r = requests.post(url, json=body, headers=srv.headers("terminal"), timeout=20)
            if r.status_code == 409:
                break
            assert r.status_code == 201 and time.monotonic() < deadline
            time.sleep(0.2)
        assert r.json()["error"] == "service_closed" and "closed by staff" in \
            r.json()["reason"]
