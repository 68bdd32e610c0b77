"""The [store] keys of the shared backends and the [server] table: defaults, the
required keys of each backend and range errors at their line; a backend this version
cannot open is refused instead of falling back to a local file."""

from __future__ import annotations

import pytest

from kiosk.config import ConfigError, load_config
from kiosk.store.errors import StoreError
from kiosk.wiring import ticket_service
from tests.conftest import MINIMAL_CONFIG, write_config

BASE = MINIMAL_CONFIG.replace("{printer_path}", "/tmp/kiosk-test-printer.bin")


def _load(tmp_path, extra: str):
    return load_config(write_config(tmp_path, BASE + extra))


def _errors(tmp_path, extra: str) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, extra)
    return str(caught.value)


def test_defaults_without_the_tables(tmp_path):
    config = _load(tmp_path, "")
    assert config.store.backend == "sqlite"
    assert config.store.offline == "ask_at_desk"
    assert config.store.offline_range == (900, 999)
    assert config.server.port == 8480 and config.server.host == "127.0.0.1"


def test_http_backend_reads_every_key(tmp_path):
    config = _load(tmp_path, '\n[store]\nbackend = "http"\nurl = "http://server:8480"\n'
                             'token_file = "/etc/kiosk/t"\ntimeout_s = 1.5\nretries = 0\n'
                             'offline = "local_range"\noffline_range = "950-999"\n')
    store = config.store
    assert (store.url, store.token_file, store.timeout_s, store.retries, store.offline,
            store.offline_range) == ("http://server:8480", "/etc/kiosk/t", 1.5, 0,
                                     "local_range", (950, 999))


@pytest.mark.parametrize("extra,expected", [
    ('\n[store]\nbackend = "postgres"\n', "missing required key 'dsn_file'"),
    ('\n[store]\nbackend = "http"\ntoken_file = "t"\n', "missing required key 'url'"),
    ('\n[store]\nbackend = "http"\nurl = "server:8480"\ntoken_file = "t"\n',
     "store.url: must start with http:// or https://"),
    ('\n[store]\nbackend = "http"\nurl = "http://s"\n', "missing required key 'token_file'"),
    ('\n[store]\noffline_range = "999-900"\n', "store.offline_range: must be two"),
    ('\n[store]\noffline = "guess"\n', "store.offline: must be one of"),
    ('\n[store]\npool_size = 0\n', "store.pool_size: must be between 1 and 64"),
    ('\n[server]\nport = 0\n', "server.port: must be between 1 and 65535"),
    ('\n[server]\nboard_calls = 99\n', "server.board_calls: must be between 1 and 30"),
    ('\n[server]\nlisten = "x"\n', "server.listen"),
])
def test_bad_values_are_named_with_their_key(tmp_path, extra, expected):
    assert expected in _errors(tmp_path, extra)


def test_the_http_backend_without_its_token_is_refused_not_run_locally(tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))
    config = _load(tmp_path, '\n[store]\nbackend = "http"\nurl = "http://server:8480"\n'
                             'token_file = "/nonexistent"\n')
    with pytest.raises(StoreError, match="cannot read the server token file /nonexistent"):
        ticket_service(config)  # never a number from a local queue the office never sees
