"""POST /api/v1/tickets answered ahead of FastAPI's routing (kiosk.server.fast_issue)
gives exactly the answers of the FastAPI route: the same requests, each app on a store
of its own, compared status, JSON and the replay header; the ordinary ones are taken by
the fast path, the others left to the route."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from kiosk.server.app import create_app
from kiosk.server.auth import TokenFile
from kiosk.server.fast_issue import IssueFastPath
from kiosk.server.idempotency import MAX_KEY, Idempotency
from kiosk.store.sqlite import SqliteStore

URL = "/api/v1/tickets"
OK = {"service": "anmeldung", "language": "de"}


def _app(tmp_path, name, config, clock, fast, tokens):
    store = SqliteStore(tmp_path / f"{name}.sqlite3", terminal_id=config.terminal_id)
    app = create_app(config, store, tokens=tokens, clock=clock, fast_issue=fast,
                     idempotency=Idempotency(tmp_path / f"{name}-i.sqlite3"))
    return app, store


def _fast_path(app) -> IssueFastPath | None:
    layer = app.middleware_stack
    while layer is not None and not isinstance(layer, IssueFastPath):
        layer = getattr(layer, "app", None)
    return layer


def _requests(terminal: str, counter: str) -> list[tuple[str, dict, object, bool]]:
    """(what, headers, body (dict: JSON, bytes: raw), taken by the fast path)"""
    auth = {"Authorization": f"Bearer {terminal}"}
    return [
        ("ordinary", auth, OK, True),
        ("in English", auth, {"service": "anmeldung", "language": "en"}, True),
        ("unknown language", auth, {"service": "anmeldung", "language": "xx"}, True),
        ("with a key", {**auth, "Idempotency-Key": "k1"}, OK, True),
        ("the key again", {**auth, "Idempotency-Key": "k1"}, OK, True),
        ("the key, another body", {**auth, "Idempotency-Key": "k1"},
         {"service": "ausweis", "language": "de"}, True),
        ("an empty key", {**auth, "Idempotency-Key": "  "}, OK, True),
        ("a key too long", {**auth, "Idempotency-Key": "k" * (MAX_KEY + 1)}, OK, False),
        ("quota 1", auth, {"service": "ausweis", "language": "de"}, True),
        ("quota 2", auth, {"service": "ausweis", "language": "de"}, True),
        ("quota reached", auth, {"service": "ausweis", "language": "de"}, True),
        ("unknown service", auth, {"service": "nope", "language": "de"}, True),
        ("no token", {}, OK, False),
        ("not bearer", {"Authorization": f"Basic {terminal}"}, OK, False),
        ("wrong token", {"Authorization": "Bearer nope"}, OK, False),
        ("a counter's token", {"Authorization": f"Bearer {counter}"}, OK, False),
        ("extra field", auth, {**OK, "name": "x"}, False),
        ("missing field", auth, {"service": "anmeldung"}, False),
        ("too long a service", auth, {"service": "s" * 33, "language": "de"}, False),
        ("not an object", auth, [OK], False),
        ("bad JSON", {**auth, "Content-Type": "application/json"}, b'{"service": ', False),
        ("bad UTF-8", {**auth, "Content-Type": "application/json"}, b'{"service": "\xff"}',
         False),
        ("nested too deep", {**auth, "Content-Type": "application/json"},
         b"[" * 3000 + b"]" * 3000, False),
        ("empty body", {**auth, "Content-Type": "application/json"}, b"", False),
        ("text/plain", {**auth, "Content-Type": "text/plain"}, b'{"service": "anmeldung", '
         b'"language": "de"}', False),
        ("json with charset", {**auth, "Content-Type": "application/json; charset=utf-8"},
         b'{"service": "anmeldung", "language": "de"}', True),
        ("a large body", {**auth, "Content-Type": "application/json"},
         b'{"service": "anmeldung", "language": "de"' + b" " * 5000 + b"}", False),
    ]


def test_fast_path_answers_as_the_route(tmp_path, config, clock):
    tokens = TokenFile(tmp_path / "t.json")
    terminal, counter = tokens.add("t1", "terminal"), tokens.add("c1", "counter")
    fast_app, fast_store = _app(tmp_path, "fast", config, clock, True, tokens)
    route_app, route_store = _app(tmp_path, "route", config, clock, False, tokens)
    try:
        with TestClient(fast_app) as fast, TestClient(route_app) as route:
            taken = 0
            for what, headers, body, ordinary in _requests(terminal, counter):
                before = _fast_path(fast_app).served
                answers = []
                for client in (fast, route):
                    if isinstance(body, bytes):
                        r = client.post(URL, content=body, headers=headers)
                    else:
                        r = client.post(URL, json=body, headers=headers)
                    answers.append((r.status_code, r.json(), r.headers.get("content-type"),
                                    r.headers.get("Idempotent-Replayed"),
                                    r.headers.get("WWW-Authenticate")))
                assert answers[0] == answers[1], what
                assert _fast_path(fast_app).served - before == int(ordinary), what
                taken += ordinary
            assert _fast_path(route_app) is None
            assert taken == _fast_path(fast_app).served > 10
    finally:
        fast_store.close()
        route_store.close()


@pytest.mark.parametrize("fast", [True, False])
def test_unexpected_exception_in_the_issue_is_a_json_500(tmp_path, config, store, caplog,
                                                        monkeypatch, fast):
    import kiosk.server.routes as routes

    def boom(*args):
        raise RuntimeError("Erika Mustermann 1964-08-12")

    monkeypatch.setattr(routes, "issue_answer", boom)
    tokens = TokenFile(tmp_path / "t.json")
    token = tokens.add("t1", "terminal")
    app = create_app(config, store, tokens=tokens, fast_issue=fast,
                     idempotency=Idempotency(tmp_path / "i.sqlite3"))
    with caplog.at_level(logging.ERROR):
        r = TestClient(app).post(URL, json=OK, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 500 and r.json()["error"] == "internal_error"
    assert "internal_error: RuntimeError on POST" in caplog.text
    assert "Mustermann" not in caplog.text
