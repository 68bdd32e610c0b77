"""PostgresStore offers every public method of SqliteStore (its queue, check-in, intake
and companion seam) with the same parameters, and PostgresStaffStore every method of
StaffStore: code written against one engine runs on the other."""

from __future__ import annotations

import inspect

from kiosk.store.postgres import PostgresStore
from kiosk.store.sqlite import SqliteStore
from kiosk.store.staff_postgres import PostgresStaffStore
from kiosk.store.staff_sqlite import StaffStore


def _public(cls) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in inspect.getmembers(cls)
            if not name.startswith("_") and callable(member)}


def test_the_postgres_store_has_the_sqlite_stores_methods_and_parameters():
    sqlite, postgres = _public(SqliteStore), _public(PostgresStore)
    missing = sorted(set(sqlite) - set(postgres))
    assert not missing, missing
    differ = {name: (str(sqlite[name]), str(postgres[name])) for name in sqlite
              if list(sqlite[name].parameters) != list(postgres[name].parameters)}
    assert not differ, differ


def test_the_postgres_staff_store_has_the_staff_stores_methods():
    sqlite, postgres = _public(StaffStore), _public(PostgresStaffStore)
    assert set(sqlite) <= set(postgres), sorted(set(sqlite) - set(postgres))
    assert all(list(sqlite[n].parameters) == list(postgres[n].parameters) for n in sqlite)
