"""kiosk_issue (the office server's issue on PostgreSQL) reads no table whole, even when
its plans were made on just-emptied tables (kiosk/store/pg/004_issue_plans.sql): the
key lookup and the people-ahead count go by their indexes, so an issue's cost follows
the service's queue, not the day's tickets."""

from __future__ import annotations

from datetime import datetime, timezone

import psycopg
import pytest

from kiosk.domain.clock import business_day
from kiosk.store.issue_key import IssueKey

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)
DAY = business_day(NOW)
TABLES = ("ticket", "issue_key")


def _scans(dsn: str) -> dict[str, int]:
    """Sequential scans of the store's tables so far (a new connection: fresh figures)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        return dict(conn.execute(
            "SELECT relname, seq_scan FROM pg_stat_user_tables WHERE schemaname = "
            "current_schema() AND relname = ANY(%s)", (list(TABLES),)).fetchall())


def _flush(store) -> None:
    # the backend sends its table figures when it goes idle, at most once a second
    # unless told to: told here, on the pool's one connection
    store.read("test", lambda db: db.execute("SELECT pg_stat_force_next_flush()"))


def _issue(store, i: int):
    prefix = "AB"[i % 2]
    return store.issue_counted(f"s{prefix.lower()}", prefix, "de", NOW, DAY, None,
                               terminal="t1", below=900,
                               request_key=IssueKey("t1", f"key-{i}", "hash"))


@pytest.fixture
def one_connection_store(pg_dsn):
    from kiosk.store.postgres import PostgresStore

    store = PostgresStore(pg_dsn, pool_size=1)  # one backend: one plan cache
    yield store
    store.close()


def test_issues_after_the_tables_were_emptied_scan_no_table(one_connection_store, pg_dsn):
    """GIVEN a store whose tables were emptied and analyzed (as at a new database, or
    the bench's fresh day) and whose connection then issued enough for plpgsql to keep
    generic plans WHEN 40 more tickets are issued with keys THEN neither ticket nor
    issue_key was read by a sequential scan, and every count is right."""
    store = one_connection_store
    _issue(store, 0)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE ticket, ticket_counter, issue_key, checkin")
        conn.execute("VACUUM ANALYZE ticket")
        conn.execute("VACUUM ANALYZE issue_key")
        conn.execute("VACUUM ANALYZE ticket_counter")
    for i in range(1, 11):  # plpgsql's custom plans, then the generic one it keeps
        _issue(store, i)
    _flush(store)
    before = _scans(pg_dsn)
    aheads = [_issue(store, i)[1] for i in range(11, 51)]
    _flush(store)
    after = _scans(pg_dsn)
    assert {t: after[t] - before[t] for t in TABLES} == {t: 0 for t in TABLES}
    # 10 issued before, 5 per prefix; then each prefix's queue grows by one per turn
    assert aheads == [5 + i // 2 for i in range(40)]
