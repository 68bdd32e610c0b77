"""Raw SQL for the store tests on either engine (SQLite's ? placeholders are turned into
psycopg's %s on PostgreSQL), and tickets written directly for the tests that need many."""

from __future__ import annotations

from datetime import date, datetime


def is_postgres(store) -> bool:
    return getattr(store, "engine", "sqlite") == "postgres"


def _sql(store, sql: str) -> str:
    return sql.replace("?", "%s") if is_postgres(store) else sql


def rows(store, sql: str, params: tuple = ()) -> list[tuple]:
    return [tuple(r) for r in store.read("test", lambda db: db.execute(
        _sql(store, sql), params).fetchall())]


def execute(store, sql: str, params: tuple = ()) -> None:
    store.write("test", lambda db: db.execute(_sql(store, sql), params))


def preissue(store, day: date, prefix: str, service: str, count: int, at: datetime,
             terminal: str = "t1") -> None:
    """Walk-in tickets 1..count of the day and prefix, written in one transaction (on
    PostgreSQL with the day's counter row the issuing statement bumps)."""
    values = [(day if is_postgres(store) else day.isoformat(), service, prefix, seq,
               f"{prefix}{seq:03d}", f"ref{seq:09d}", terminal, "de",
               at if is_postgres(store) else at.isoformat(), "waiting")
              for seq in range(1, count + 1)]
    insert = _sql(store, "INSERT INTO ticket (business_day, service, prefix, seq, number, "
                         "reference, terminal, lang, issued_at, state) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?)")

    def work(db):
        if is_postgres(store):
            with db.cursor() as cur:
                cur.executemany(insert, values)
            db.execute("INSERT INTO ticket_counter (business_day, prefix, last_seq, walk_ins) "
                       "VALUES (%s, %s, %s, %s)", (day, prefix, count, count))
        else:
            db.executemany(insert, values)
    store.write("test", work)


def open_store_at(engine: str, where: str, terminal_id: str = "t1"):
    """A queue store on `where` (a SQLite file's path, or a PostgreSQL DSN); a plain
    function, so spawned processes can open the same store as the test."""
    if engine == "postgres":
        from kiosk.store.postgres import PostgresStore

        return PostgresStore(where, terminal_id=terminal_id)
    from kiosk.store.sqlite import SqliteStore

    return SqliteStore(where, terminal_id=terminal_id)
