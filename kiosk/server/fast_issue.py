"""The office server's busiest request, an ordinary POST /api/v1/tickets (a terminal's
token, a JSON body the model takes), answered ahead of FastAPI's routing by the route's
own endpoint function: the same answers without the router's, the dependency
resolution's and the exception middleware's cost per ticket. Anything else (no token, a
wrong one, another role, a body the model refuses, ...) goes on to the FastAPI route,
which answers it as always; the OpenAPI schema is the route's."""

from __future__ import annotations

import json

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from kiosk.server import models as m
from kiosk.server.app import ApiError, api_error_answer, store_error_answer
from kiosk.server.auth import TokenFileError
from kiosk.server.idempotency import MAX_KEY
from kiosk.store.errors import StoreError

PATH = "/api/v1/tickets"
MAX_BODY = 4096  # a ticket request is ~50 bytes; a larger one takes the long way
_HEADERS = (b"authorization", b"content-type", b"idempotency-key")


class IssueFastPath:
    """Pure ASGI middleware (no BaseHTTPMiddleware: that would cost more than it
    saves). `answer(server, body, device, idempotency_key)` -> a Response, raising
    ApiError or StoreError as the route's endpoint does."""

    def __init__(self, app, server, answer) -> None:
        self.app, self.server, self.answer = app, server, answer
        self.served = 0  # requests answered here (the tests check it is taken)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST" \
                or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        found: dict[bytes, bytes] = {}
        plain = True
        for name, value in scope["headers"]:
            if name in _HEADERS:
                plain = plain and name not in found  # twice: the route decides
                found[name] = value
        messages, body = await _read_body(receive)
        checked = self._checked(scope, found, body) if plain and body is not None else None
        if checked is None:
            await self.app(scope, _replay(messages, receive), send)
            return
        request, device, key = checked
        try:
            response = await run_in_threadpool(self.answer, self.server, request, device,
                                               key)
        except ApiError as err:
            response = api_error_answer(err)
        except StoreError as err:
            response = store_error_answer(err, PATH)
        self.served += 1
        await response(scope, receive, send)

    def _checked(self, scope, headers: dict[bytes, bytes], body: bytes):
        """(TicketRequest, Device, Idempotency-Key or None) when the route would take
        the request as it is; None for everything it answers otherwise."""
        server = self.server
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1") \
            .partition(" ")
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        key = headers.get(b"idempotency-key")
        if scheme.lower() != "bearer" or not token.strip() or \
                content_type.split(";", 1)[0].strip().lower() != "application/json":
            return None
        if key is not None:
            key = key.decode("latin-1")
            if len(key) > MAX_KEY:
                return None
        client = scope.get("client")
        if server.limiter.blocked_for(client[0] if client else "?"):
            return None
        try:
            device = server.tokens.device(token.strip())
        except TokenFileError:
            return None
        if device is None or device.role != "terminal":
            return None
        try:
            # as FastAPI does: json.loads of the bytes, then the model from the dict
            data = json.loads(body)
        except Exception:  # noqa: BLE001 - bad JSON, bad UTF-8, nested too deep: the route
            return None
        try:
            request = m.TicketRequest.model_validate(data)
        except ValidationError:
            return None
        return request, device, key


async def _read_body(receive) -> tuple[list[dict], bytes | None]:
    """The request's messages as received, and its body (None when it is larger than
    MAX_BODY or the client went away: the route answers that)."""
    messages, size = [], 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        size += len(message.get("body", b""))
        if size > MAX_BODY:
            return messages, None
        if not message.get("more_body", False):
            break
    if len(messages) == 1:
        return messages, messages[0].get("body", b"") or None
    return messages, b"".join(x.get("body", b"") for x in messages) or None


def _replay(messages: list[dict], receive):
    """A receive that gives the messages read already, then the client's next ones."""
    pending = list(messages)

    async def replayed():
        if pending:
            return pending.pop(0)
        return await receive()
    return replayed
