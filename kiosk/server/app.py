"""The office server's FastAPI application: the API /api/v1 over the shared store
(SQLite or PostgreSQL, from open_store), device tokens by role, JSON errors. Store calls
block, so every endpoint touching the store is a plain `def` (FastAPI's threadpool)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiosk.config import Config
from kiosk.domain.call_order import call_orders
from kiosk.domain.clock import business_day, utc_now
from kiosk.server import models as m
from kiosk.server.auth import Device, TokenFile, TokenFileError, WrongTokenLimiter, tokens_path
from kiosk.server.events import CallBus
from kiosk.server.idempotency import Idempotency
from kiosk.services.issue_ticket import Availability, TicketService
from kiosk.store.errors import StoreError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An answer other than success: status, stable code, words for a person."""

    def __init__(self, status: int, error: str, reason: str, detail=None,
                 headers: dict | None = None) -> None:
        super().__init__(reason)
        self.status, self.error, self.reason = status, error, reason
        self.detail, self.headers = detail, headers


def _body(error: str, reason: str, detail=None) -> dict:
    out = {"error": error, "reason": reason}
    if detail is not None:
        out["detail"] = detail
    return out


ERRORS = {401: {"model": m.ErrorBody}, 403: {"model": m.ErrorBody},
          429: {"model": m.ErrorBody}, 503: {"model": m.ErrorBody}}


class Server:
    """What the endpoints share: config, store, tokens, call bus, clock."""

    def __init__(self, config: Config, store, tokens: TokenFile, bus: CallBus,
                 clock: Callable[[], datetime], idempotency: Idempotency | None) -> None:
        self.config, self.store, self.tokens, self.bus = config, store, tokens, bus
        self.clock, self.idempotency = clock, idempotency
        self.limiter = WrongTokenLimiter()
        self._recalled: set[tuple[str, str]] = set()  # (day, number) last called again
        self._recall_lock = threading.Lock()
        self._checkin_parts = None  # (source, keys), built at the first check-in
        self._staff = None
        self._figures = _Figures(store)
        self.call_orders = call_orders(config.services)

    def staff_store(self):
        """The staff store, its settings read at most once a second: a closure by staff
        reaches the issuing within a second, and a request costs one query less."""
        if self._staff is None:
            from kiosk.wiring import staff_store

            self._staff = _CachedSettings(staff_store(self.store))
        return self._staff

    def terminal_store(self, terminal: str, request_key=None) -> "_TerminalStore":
        return _TerminalStore(self.store, terminal, self.config.store.offline_range[0],
                              self._figures, request_key, self.call_orders)

    def marked_recall(self, day, number: str, recall: bool) -> None:
        with self._recall_lock:
            (self._recalled.add if recall else self._recalled.discard)((str(day), number))
            if len(self._recalled) > 5000:  # yesterday's marks
                today = str(day)
                self._recalled = {k for k in self._recalled if k[0] == today}

    def is_recall(self, day, number: str) -> bool:
        with self._recall_lock:
            return (str(day), number) in self._recalled

    def check_in(self, terminal: str):
        """A check-in service for one request (its terminal's name on the ticket); the
        appointment source and keys are built once."""
        from kiosk.appointments.factory import build_source, load_keys
        from kiosk.services.check_in import CheckInService

        if self._checkin_parts is None:
            self._checkin_parts = (build_source(self.config, self.store),
                                   load_keys(self.config))
        source, keys = self._checkin_parts
        store = self.terminal_store(terminal)
        return CheckInService(self.config, store, source, None, clock=self.clock,
                              keys=keys, tickets=self.tickets(terminal))

    def queue_ops(self):
        from kiosk.services.queue_ops import QueueOperations

        return QueueOperations(self.config, self.store, clock=self.clock)

    def tickets(self, terminal: str, request_key=None):
        """A ticket service for one request: no printer (the terminal prints), no
        debounce (each request is one tap already debounced at its terminal), and the
        staff's closures for today. `request_key` (kiosk.store.issue_key.IssueKey): the
        issue keeps it in its own transaction, or raises IssuedBefore."""
        from kiosk.services.staff import StaffClosedTickets

        service = _ServerTickets(self.config, self.terminal_store(terminal, request_key),
                                 None, clock=self.clock, min_interval_s=0.0)
        return StaffClosedTickets(service, self.staff_store(), self.config)


class _ServerTickets(TicketService):
    """The store's issue refuses a full quota or the last number itself, in the same
    statement that issues (409 quota_reached either way): the reads that ask it first
    are left out of each request."""

    def queue_availability(self, service, now):
        return Availability.OPEN


class _Kept:
    """Values read again after `ttl_s`, one reader at a time per key: while a value is
    being read again, the other requests take the one kept (older than `ttl_s` by at
    most that read's time) instead of all asking the store at once -- at saturation
    every worker thread found the value expired at the same moment and read it too."""

    def __init__(self, ttl_s: float, monotonic=time.monotonic) -> None:
        self.ttl_s, self.monotonic = ttl_s, monotonic
        self._lock = threading.Lock()
        self._kept: dict[object, tuple[float, object]] = {}
        self._reading: set = set()

    def get(self, key, read):
        now = self.monotonic()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and (now - kept[0] < self.ttl_s or key in self._reading):
                return kept[1]
            self._reading.add(key)
        try:
            value = read()
        finally:
            with self._lock:
                self._reading.discard(key)
        with self._lock:
            if len(self._kept) > 1000:  # services x days: old days go
                self._kept.clear()
            self._kept[key] = (now, value)
        return value


class _CachedSettings:
    """A staff store whose settings() is read again after `ttl_s`."""

    def __init__(self, staff, ttl_s: float = 1.0, monotonic=time.monotonic) -> None:
        self._staff = staff
        self._kept = _Kept(ttl_s, monotonic)

    def __getattr__(self, name: str):
        return getattr(self._staff, name)

    def settings(self):
        return self._kept.get("settings", self._staff.settings)


class _Figures:
    """The estimate's slow-moving inputs per service (counters active in the last
    minutes, today's service times), read again after `ttl_s`: each issue then asks the
    store for the people ahead only."""

    def __init__(self, store, ttl_s: float = 5.0, monotonic=time.monotonic) -> None:
        self.store = store
        self._kept = _Kept(ttl_s, monotonic)

    def get(self, key: tuple, read):
        return self._kept.get(key, read)


class _TerminalStore:
    """The store as one terminal's requests use it: its tickets carry the terminal's
    name (the token's), not the server's, and online numbers stay below the offline
    ranges the terminals keep for a network cut ([store] offline_range of the
    server's config: from its first number on). An issue brings the new ticket's people
    ahead along (issue_counted: one round trip on PostgreSQL), which the estimate then
    takes instead of asking again."""

    def __init__(self, store, terminal: str, reserved_from: int,
                 figures: "_Figures", request_key=None, orders=None) -> None:
        self._store, self._terminal, self._below = store, terminal, reserved_from
        self._figures, self._request_key, self._orders = figures, request_key, orders
        self._counted = None  # (ticket id, now, people ahead) of this request's issue

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def issue(self, service, prefix, lang, now, day, daily_quota):
        ticket, ahead = self._store.issue_counted(
            service, prefix, lang, now, day, daily_quota, terminal=self._terminal,
            below=self._below, request_key=self._request_key, call_orders=self._orders)
        self._counted = (ticket.id, now, ahead)
        return ticket

    def people_ahead(self, ticket, now=None, call_orders=None):
        if self._counted is not None and self._counted[:2] == (ticket.id, now) and \
                call_orders == self._orders:
            return self._counted[2]
        return self._store.people_ahead(ticket, now, call_orders)

    def check_in(self, *args, **kwargs):
        return self._store.check_in(*args, terminal=self._terminal, **kwargs)

    def active_counters(self, service: str, since):
        return self._figures.get(("counters", service),
                                 lambda: self._store.active_counters(service, since))

    def service_times_s(self, service: str, day):
        return self._figures.get(("times", service, day),
                                 lambda: self._store.service_times_s(service, day))


def create_app(config: Config, store, tokens: TokenFile | None = None,
               bus: CallBus | None = None, clock: Callable[[], datetime] = utc_now,
               idempotency: Idempotency | None = None, fast_issue: bool = True) -> FastAPI:
    """The app over an open store; tokens from [server] tokens_file and the kept
    Idempotency-Key answers in the data dir unless given. `fast_issue`: an ordinary
    POST /api/v1/tickets is answered ahead of FastAPI's routing (kiosk.server.fast_issue;
    False: by the route alone, as the tests compare)."""
    if idempotency is None:
        from kiosk.paths import data_dir

        idempotency = Idempotency(data_dir() / "server-requests.sqlite3")
    server = Server(config, store, tokens or TokenFile(tokens_path(config)),
                    bus or CallBus(), clock, idempotency)
    app = FastAPI(title="kiosk office server", version="1",
                  description="Tickets, check-ins, sealed intakes, counter calls and boards "
                              "of one office. Authorization: Bearer <device token>.")
    app.state.server = server
    _install_errors(app)

    # async (on the event loop, no threadpool hop per request): a hash and a lookup in
    # memory (TokenFile looks at the file at most once a second for a known token)
    async def device(request: Request) -> Device:
        client = request.client.host if request.client else "?"
        wait = server.limiter.blocked_for(client)
        if wait:
            raise ApiError(429, "too_many_wrong_tokens",
                           "too many wrong tokens from this address; try again later",
                           headers={"Retry-After": str(int(wait + 0.999))})
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            # the TV board's cookie (pages.py): its EventSource cannot send a header;
            # taken only where the browser sends it, on the read-only call list
            from kiosk.server.pages import board_cookie

            scheme, token = "bearer", board_cookie(request)
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", "a device token is needed "
                           "(Authorization: Bearer <token>)",
                           headers={"WWW-Authenticate": "Bearer"})
        try:
            found = server.tokens.device(token.strip())
        except TokenFileError as err:
            log.error("tokens file: %s", err)
            raise ApiError(503, "tokens_unavailable", "the server cannot read its device "
                           "tokens; tell IT") from err
        if found is None:
            server.limiter.wrong(client)
            raise ApiError(401, "unauthorized", "this device token is not known here",
                           headers={"WWW-Authenticate": "Bearer"})
        return found

    def role(*allowed: str):
        # one dependency, not a role check depending on `device`: FastAPI's resolution
        # of each dependency level costs more per request than the check itself
        async def check(request: Request) -> Device:
            dev = await device(request)
            if dev.role not in allowed:
                raise ApiError(403, "forbidden", f"a {dev.role} may not do this "
                               f"(needs: {', '.join(allowed)})")
            return dev
        return check

    app.state.role = role
    from kiosk.server import routes

    routes.add_routes(app, server, role)
    from kiosk.server import pages, signs

    pages.add_pages(app, server, role)
    signs.attach(app, server)
    if fast_issue:
        from kiosk.server.fast_issue import IssueFastPath

        # added before _Unexpected, so inside it: an exception the fast path does not
        # answer itself becomes the logged 500 of any route
        app.add_middleware(IssueFastPath, server=server, answer=routes.issue_answer)
    app.add_middleware(_Unexpected)
    return app


def api_error_answer(err: ApiError) -> JSONResponse:
    return JSONResponse(_body(err.error, err.reason, err.detail), err.status,
                        headers=err.headers)


def store_error_answer(err: StoreError, path: str) -> JSONResponse:
    log.error("store: %s (%s)", err.kind, path)
    return JSONResponse(_body("store_unavailable", "the queue cannot be read or written "
                              "now; try again"), 503)


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, err: ApiError):
        return api_error_answer(err)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError):
        detail = [{"loc": ".".join(str(p) for p in e.get("loc", ())),
                   "msg": str(e.get("msg", ""))} for e in err.errors()]
        return JSONResponse(_body("invalid_request", "the request is not valid: "
                                  + "; ".join(f"{d['loc']}: {d['msg']}" for d in detail[:3]),
                                  detail), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(err.status_code,
                                                                 f"http_{err.status_code}")
        return JSONResponse(_body(code, str(err.detail)), err.status_code,
                            headers=getattr(err, "headers", None))

    @app.exception_handler(StoreError)
    async def store_error(request: Request, err: StoreError):
        return store_error_answer(err, request.url.path)



class _Unexpected:
    """Any other exception: 500 {"error": "internal_error"} and one log line with the
    exception's type, the route and where in our code -- not its message, which may
    quote what a visitor sent. (Starlette's own handler would re-raise it to uvicorn,
    which logs the whole traceback with the message.)"""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as err:  # noqa: BLE001 - the last line of defence
            route = scope.get("route")
            log.error("internal_error: %s on %s %s at %s", type(err).__name__,
                      scope.get("method"), getattr(route, "path", "?"), _where(err))
            if not started:
                await JSONResponse(_body("internal_error", "the server failed; the error "
                                         "is logged"), 500)(scope, receive, send)


def _where(err: BaseException) -> str:
    """file:line of the innermost frame in the kiosk package (code, never data)."""
    import traceback

    spot = "?"
    for frame in traceback.extract_tb(err.__traceback__):
        if "/kiosk/" in frame.filename:
            spot = f"{frame.filename.rsplit('/kiosk/', 1)[1]}:{frame.lineno}"
    return spot


def today(server: Server):
    return business_day(server.clock())
