"""Shared fixtures: a data dir per test, the demo configuration, a fixed clock."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("KIOSK_DATA_DIR", str(path))
    return path


class FakeClock:
    """A clock tests move by hand (the domain never reads the real time)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        from datetime import timedelta

        self.now = self.now + timedelta(**delta)


class Wall:
    """A wall clock (time.time) the test moves by hand: staff lockouts run on it."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture
def clock() -> FakeClock:
    # a Tuesday morning in Stuttgart (09:00 CET)
    return FakeClock(datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc))


def write_config(tmp_path: Path, text: str, name: str = "kiosk.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL_CONFIG = """\
[terminal]
id = "test-01"
office = "Bürgerbüro Test"
languages = ["de", "en", "ar"]
default_language = "de"

[[service]]
id = "anmeldung"
prefix = "A"
names = { de = "Anmeldung einer Wohnung", en = "Address registration", ar = "تسجيل السكن" }

[[service]]
id = "ausweis"
prefix = "P"
names = { de = "Personalausweis", en = "ID card", ar = "بطاقة الهوية" }
daily_quota = 2

[printer]
transport = "file"
path = "{printer_path}"
profile = "TM-T88V"
"""


@pytest.fixture
def config_file(tmp_path) -> Path:
    return write_config(tmp_path, MINIMAL_CONFIG.replace("{printer_path}",
                                                         str(tmp_path / "printer.bin")))


@pytest.fixture
def config(config_file):
    from kiosk.config import load_config

    return load_config(config_file)


@pytest.fixture
def store(tmp_path, config):
    """A queue store on a fresh file, for the config's terminal."""
    from kiosk.store.sqlite import SqliteStore

    s = SqliteStore(tmp_path / "q.sqlite3", terminal_id=config.terminal_id)
    yield s
    s.close()


def kiosk_env(**extra) -> dict:
    env = dict(os.environ)
    env.update(extra)
    return env


# -- PostgreSQL: one server per test session (tests/pg_server.py) ----------------------

@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL server for the whole session, stopped at its end. Skipped when
    the binaries are missing, except in CI (CI=true), where that is a failure."""
    from tests.pg_server import Unavailable, in_ci, start_server

    try:
        server = start_server()
    except Unavailable as err:
        if in_ci():
            pytest.fail(f"CI=true but {err}")
        pytest.skip(str(err))
    yield server
    server.stop()


_schemas = iter(range(1, 1_000_000))


@pytest.fixture
def pg_dsn(pg_server):
    """A DSN whose search_path is a new, empty schema of its own: a fresh store per test
    without a new database (which costs a checkpoint)."""
    import psycopg

    name = f"t{next(_schemas)}_{os.getpid()}"
    with psycopg.connect(pg_server.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    yield pg_server.dsn(options=f"-csearch_path={name}")
    with psycopg.connect(pg_server.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def open_engine_store(request, tmp_path):
    """Opens queue stores on both engines, all on one place: a SQLite file, or a fresh
    schema on the session's PostgreSQL server (so two stores are two terminals sharing
    one queue). Call it with a terminal id; every store opened is closed at the end."""
    opened = []

    if request.param == "sqlite":
        from kiosk.store.sqlite import SqliteStore

        def make(terminal_id: str = "t1"):
            opened.append(SqliteStore(tmp_path / "q.sqlite3", terminal_id=terminal_id))
            return opened[-1]
    else:
        from kiosk.store.postgres import PostgresStore

        dsn = request.getfixturevalue("pg_dsn")

        def make(terminal_id: str = "t1"):
            opened.append(PostgresStore(dsn, terminal_id=terminal_id))
            return opened[-1]
    make.engine = request.param
    yield make
    for store in opened:
        store.close()


@pytest.fixture
def engine_store(open_engine_store):
    """The queue store (terminal "t1") on each engine in turn."""
    return open_engine_store("t1")


@pytest.fixture(params=["sqlite", "postgres"])
def engine_place(request, tmp_path):
    """(engine, where) for tests that open the store in several processes: a SQLite
    file's path, or the DSN of a fresh schema on the session's PostgreSQL server
    (tests/store_sql.py open_store_at opens it)."""
    if request.param == "sqlite":
        return "sqlite", str(tmp_path / "shared.sqlite3")
    return "postgres", request.getfixturevalue("pg_dsn")


# -- order: the longest tests first ------------------------------------------------------

# Modules with tests of 10 s and more (the layout sweep's cases: about a minute each), run
# first and in this order. pytest-xdist's worksteal hands each worker a stretch of the
# collection and lets an idle worker take from the END of another's queue: a long test
# late in the order runs last on one worker while the others wait (the sweep's cases,
# collected in the middle, set the suite's wall time that way). Each module stays in one
# piece, so a module-scoped fixture (the sweep's app) is built once per worker.
LONGEST_FIRST = (
    "tests/ui/test_layout_sweep.py",
    "tests/ui/test_intake_flow.py",
    "tests/ui/test_intake_fields.py",
    "tests/ui/test_intake_widgets.py",
    "tests/integration/test_counter_board_browser.py",
    "tests/integration/test_demo_office.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {path: n for n, path in enumerate(LONGEST_FIRST)}
    # sorted() is stable: within a module and among the rest, the order stays the same
    items[:] = sorted(items, key=lambda item: rank.get(item.nodeid.split("::")[0],
                                                       len(LONGEST_FIRST)))
