"""The [server] table: how `kiosk serve` (the office server for several terminals,
counters and call-up boards) listens and where it keeps the device tokens' hashes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.config_reader import Reader


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8480
    tokens_file: str | None = None   # None: <data dir>/server-tokens.json
    board_chime: bool = True         # the web board plays a chime on a new call
    board_calls: int = 8             # calls the web board lists


def read_server(r: Reader, data: Any, path: tuple) -> ServerConfig:
    if data is None:
        return ServerConfig()
    data = r.table(data, path, {"host", "port", "tokens_file", "board_chime", "board_calls"})
    port = r.get(data, path, "port", int, 8480)
    if not 1 <= port <= 65535:
        r.error(path + ("port",), "must be between 1 and 65535")
        port = 8480
    calls = r.get(data, path, "board_calls", int, 8)
    if not 1 <= calls <= 30:
        r.error(path + ("board_calls",), "must be between 1 and 30")
        calls = 8
    tokens_file = r.get(data, path, "tokens_file", str)
    if tokens_file == "":
        r.error(path + ("tokens_file",), "must not be empty (leave it out for the default)")
        tokens_file = None
    return ServerConfig(host=r.get(data, path, "host", str, "127.0.0.1"), port=port,
                        tokens_file=tokens_file,
                        board_chime=r.get(data, path, "board_chime", bool, True),
                        board_calls=calls)
