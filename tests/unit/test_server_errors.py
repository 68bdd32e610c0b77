"""The office server's answers to the unexpected, in process (the one place a route
that raises can be put in): a 500 with a stable code as JSON, logged with the type and
place but without the exception's message (which may quote what a visitor sent)."""

from __future__ import annotations

import logging

from fastapi.testclient import TestClient

from kiosk.server.app import create_app
from kiosk.server.auth import TokenFile
from kiosk.server.idempotency import Idempotency


def test_unexpected_exception_is_a_json_500_without_its_message(tmp_path, config, store,
                                                                caplog):
    app = create_app(config, store, tokens=TokenFile(tmp_path / "t.json"),
                     idempotency=Idempotency(tmp_path / "i.sqlite3"))

    @app.get("/boom")
    def boom():
        raise RuntimeError("Erika Mustermann 1964-08-12")

    with caplog.at_level(logging.ERROR):
        r = TestClient(app).get("/boom")
    assert r.status_code == 500
    assert r.json() == {"error": "internal_error", "reason": "the server failed; the error "
                                                            "is logged"}
    assert "internal_error: RuntimeError on GET /boom at" in caplog.text
    assert "Mustermann" not in caplog.text


def test_store_fault_is_503_store_unavailable(tmp_path, config, store):
    tokens = TokenFile(tmp_path / "t.json")
    token = tokens.add("t1", "terminal")
    app = create_app(config, store, tokens=tokens,
                     idempotency=Idempotency(tmp_path / "i.sqlite3"))
    store.close()  # every store call now fails as a StoreError
    r = TestClient(app).post("/api/v1/tickets", json={"service": "anmeldung",
                                                      "language": "de"},
                             headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 503 and r.json()["error"] == "store_unavailable"
