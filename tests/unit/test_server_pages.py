"""The counter page and the TV board as the server serves them (in process): the pages in
the server's default language with their words escaped, and the board's sign-in, whose
cookie is a board's, sent only to the call list and taken by the API only there, on GET."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from kiosk.server.app import create_app
from kiosk.server.auth import TokenFile
from kiosk.server.idempotency import Idempotency
from kiosk.server.pages import BOARD_COOKIE, render


@pytest.fixture
def server(tmp_path, config, store):
    tokens = TokenFile(tmp_path / "t.json")
    made = {role: tokens.add(f"dev-{role}", role) for role in ("terminal", "counter", "board")}
    app = create_app(config, store, tokens=tokens,
                     idempotency=Idempotency(tmp_path / "i.sqlite3"))
    return TestClient(app), made


def _data(page: str) -> dict:
    block = re.search(r'<script type="application/json" id="page-data">(.*?)</script>',
                      page, re.S)
    return json.loads(block.group(1))


def test_pages_in_the_default_language_with_settings(server, config):
    client, _ = server
    counter = client.get("/counter")
    assert counter.status_code == 200
    assert '<html lang="de" dir="ltr">' in counter.text
    assert "{{" not in counter.text
    assert "script-src 'self'" in counter.headers["content-security-policy"]
    data = _data(counter.text)
    assert data["services"][0] == {"id": "anmeldung", "name": "Anmeldung einer Wohnung"}
    assert data["texts"]["call_next"]
    board = _data(client.get("/board").text)
    assert board["calls"] == config.server.board_calls
    assert board["chime"] is config.server.board_chime
    assert client.get("/static/board.js").status_code == 200


def test_words_cannot_break_out_of_the_page():
    words = {"title": "</title><script>x()</script>", "token": "a&b"}
    page = render("counter.html", {**{k: k for k in (
        "sign_in", "counter", "services", "call_next", "recall", "no_show", "done",
        "sign_out", "current", "no_current", "service", "waiting")}, **words}, "de",
        {"services": [{"id": "x", "name": "</script><script>alert(1)</script>"}]})
    assert "<script>x()" not in page and "&lt;/title&gt;" in page and "a&amp;b" in page
    assert "</script><script>alert(1)" not in page
    assert _data(page)["services"][0]["name"] == "</script><script>alert(1)</script>"


def test_board_sign_in_sets_a_narrow_http_only_cookie(server):
    client, tokens = server
    assert client.post("/board/session", json={"token": "wrong"}).status_code == 401
    for role in ("terminal", "counter"):  # only a board's token becomes a board cookie
        assert client.post("/board/session", json={"token": tokens[role]}).status_code == 403
    r = client.post("/board/session", json={"token": tokens["board"]})
    assert r.status_code == 204
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{BOARD_COOKIE}=")
    for part in ("HttpOnly", "Path=/api/v1/calls", "SameSite=strict"):
        assert part in cookie
    out = client.delete("/board/session")
    assert out.status_code == 204 and "Max-Age=0" in out.headers["set-cookie"]


def test_the_cookie_counts_only_on_get_of_the_call_list(server):
    client, tokens = server
    client.cookies.clear()

    def cookie(role):
        return {"Cookie": f"{BOARD_COOKIE}={tokens[role]}"}

    assert client.get("/api/v1/calls", headers=cookie("board")).status_code == 200
    assert client.get("/api/v1/calls").status_code == 401
    # elsewhere, or to act, the cookie is no token at all (even a counter's, put there
    # by hand): a page on another site cannot make a signed-in browser call someone
    assert client.get("/api/v1/queue", headers=cookie("board")).status_code == 401
    assert client.get("/api/v1/statistics.csv", headers=cookie("counter")).status_code == 401
    r = client.post("/api/v1/counters/3/call", json={}, headers=cookie("counter"))
    assert r.status_code == 401


def test_counter_page_sign_in_check_needs_a_counter(server):
    client, tokens = server
    me = client.get("/counter/me", headers={"Authorization": f"Bearer {tokens['counter']}"})
    assert me.json() == {"name": "dev-counter", "role": "counter"}
    assert client.get("/counter/me", headers={
        "Authorization": f"Bearer {tokens['board']}"}).status_code == 403
