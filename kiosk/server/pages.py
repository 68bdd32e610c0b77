"""The staff counter page (/counter) and the waiting-area TV board (/board) of `kiosk
serve`: HTML in the server's default language, their JavaScript and style under /static,
and the board's sign-in that trades its token for an HttpOnly cookie (an EventSource
cannot send an Authorization header)."""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from typing import Annotated

from fastapi import Body, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from kiosk.i18n import is_rtl
from kiosk.server.app import ApiError, Server
from kiosk.server.auth import Device
from kiosk.server.page_texts import BOARD, COUNTER, texts

# The cookie is sent only to the read-only call list and stream (its path), holds a board
# token (read-only role) and the API takes it only on GET there: a page elsewhere
# cannot make a browser act with it.
BOARD_COOKIE = "kiosk_board"
COOKIE_PATH = "/api/v1/calls"
COOKIE_AGE_S = 400 * 24 * 3600  # the longest a browser keeps one; a TV stays signed in

def board_cookie(request: Request) -> str:
    """The board's token from its cookie, only on GET of the call list or stream."""
    if request.method != "GET" or request.url.path not in (COOKIE_PATH,
                                                           COOKIE_PATH + "/stream"):
        return ""
    return request.cookies.get(BOARD_COOKIE, "")


_HEADERS = {
    # scripts and styles only from this server, nothing inline, no framing
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
_SLOT = re.compile(r"\{\{(\w+)\}\}")
# a line "{{> head.html}}" stands for that template (one level: the pages share a head)
_INCLUDE = re.compile(r"\{\{>\s*([\w.-]+)\s*\}\}\n")


def _template(name: str) -> str:
    return _INCLUDE.sub(lambda m: _read(m.group(1)), _read(name))


def _read(name: str) -> str:
    return resources.files("kiosk.server").joinpath("templates", name).read_text("utf-8")


def _data_block(data) -> str:
    # a JSON data block inside <script type="application/json">: "<" escaped, so no
    # value can close the element
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


def render(name: str, words: dict[str, str], language: str, data: dict) -> str:
    """The template (with its includes) with {{key}} replaced by the escaped word,
    {{lang}}, {{dir}}, {{page}} (the template's name without .html: its script is
    /static/<page>.js) and {{data}} (the page's settings and words for its script)."""
    values = {k: html.escape(v) for k, v in words.items()}
    values.update(lang=html.escape(language), dir="rtl" if is_rtl(language) else "ltr",
                  page=name.removesuffix(".html"),
                  data=_data_block({**data, "texts": words}))
    return _SLOT.sub(lambda m: values[m.group(1)], _template(name))


def add_pages(app: FastAPI, server: Server, role) -> None:
    static = resources.files("kiosk.server").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    language = server.config.default_language

    @app.get("/counter", response_class=HTMLResponse, include_in_schema=False)
    def counter_page():
        services = [{"id": s.id, "name": s.name(language, "en")}
                    for s in server.config.services if s.enabled]
        page = render("counter.html", texts(COUNTER, language), language,
                      {"services": services})
        return HTMLResponse(page, headers=_HEADERS)

    @app.get("/board", response_class=HTMLResponse, include_in_schema=False)
    def board_page():
        page = render("board.html", texts(BOARD, language), language,
                      {"calls": server.config.server.board_calls,
                       "chime": server.config.server.board_chime})
        return HTMLResponse(page, headers=_HEADERS)

    @app.get("/counter/me", include_in_schema=False)
    def counter_me(dev: Device = Depends(role("counter"))):
        """Who the counter page's token belongs to (its sign-in check)."""
        return {"name": dev.name, "role": dev.role}

    @app.post("/board/session", status_code=204, include_in_schema=False)
    def board_sign_in(request: Request, token: Annotated[str, Body(embed=True,
                                                                   max_length=200)]):
        """The board token (from the page's #token= fragment, never a logged URL) for an
        HttpOnly cookie the call list and stream accept."""
        client = request.client.host if request.client else "?"
        if server.limiter.blocked_for(client):
            raise ApiError(429, "too_many_wrong_tokens", "too many wrong tokens from this "
                           "address; try again later")
        found = server.tokens.device(token.strip())
        if found is None:
            server.limiter.wrong(client)
            raise ApiError(401, "unauthorized", "this device token is not known here")
        if found.role != "board":  # the cookie carries a board's rights, no more
            raise ApiError(403, "forbidden", f"a {found.role} token does not sign in a "
                           f"board; make one with --role board")
        response = Response(status_code=204)
        response.set_cookie(BOARD_COOKIE, token.strip(), max_age=COOKIE_AGE_S,
                            path=COOKIE_PATH, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    @app.delete("/board/session", status_code=204, include_in_schema=False)
    def board_sign_out():
        response = Response(status_code=204)
        response.delete_cookie(BOARD_COOKIE, path=COOKIE_PATH)
        return response
