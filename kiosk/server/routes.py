"""The endpoints of /api/v1. Plain `def` functions: FastAPI runs them in its
threadpool, so a store call that waits never holds up the event loop (the SSE stream
is the one `async def`: it only waits on the call bus)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date, timedelta
from typing import Annotated

from fastapi import Body, Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from kiosk.server import models as m
from kiosk.server.app import ERRORS, ApiError, Server, today
from kiosk.server.auth import Device
from kiosk.server.idempotency import MAX_KEY, KeyReused

API = "/api/v1"
MAX_STAT_DAYS = 366

CounterId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,16}$",
                                description="the counter's id as on the sign: 3, B12")]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=MAX_KEY,
                                       description="a retry with the same key gets the "
                                                   "first answer")]


def _error(status: int) -> dict:
    return {status: {"model": m.ErrorBody}}


def _call(ticket, called_at, recall: bool = False) -> dict:
    return {"number": ticket.number, "service": ticket.service, "counter": ticket.counter,
            "called_at": called_at.isoformat(), "recall": recall}


def _arrived_in_range(arrived_at, now) -> None:
    """422 for an arrived_at a terminal cannot have recorded: too far ahead of the
    server's clock, or older than a replayed check-in can be."""
    if arrived_at is None:
        return
    if arrived_at > now + m.ARRIVED_SKEW:
        ahead = int((arrived_at - now).total_seconds())
        raise ApiError(422, "invalid_request", f"arrived_at is {ahead} s ahead of the "
                       f"server's clock (at most {int(m.ARRIVED_SKEW.total_seconds())} s): "
                       f"check the terminal's clock",
                       [{"loc": "body.arrived_at", "msg": "in the future"}])
    if arrived_at < now - m.ARRIVED_MAX_AGE:
        hours = int(m.ARRIVED_MAX_AGE.total_seconds() // 3600)
        raise ApiError(422, "invalid_request", f"arrived_at is more than {hours} h ago: "
                       f"a check-in that old is not taken",
                       [{"loc": "body.arrived_at", "msg": f"older than {hours} h"}])


def _issued(t, estimate, headers: dict | None = None) -> JSONResponse:
    """201 with the ticket (TicketIssued), built by hand: the model's validation and
    jsonable_encoder cost more than the issue's own Python."""
    return JSONResponse({"number": t.number, "service": t.service,
                         "people_ahead": estimate.people_ahead,
                         "estimate_min": estimate.minutes,
                         "issued_at": t.issued_at.isoformat(),
                         "business_day": t.business_day.isoformat()}, 201, headers=headers)


def issue_answer(server: Server, body: m.TicketRequest, dev: Device,
                 idempotency_key: str | None) -> JSONResponse:
    """POST /api/v1/tickets once the token and the body are checked: the route's and
    the fast path's (kiosk.server.fast_issue) one endpoint. Blocks on the store."""
    from kiosk.services.issue_ticket import Refusal, Refused
    from kiosk.store.issue_key import IssuedBefore, IssueKey

    request_key = None
    if idempotency_key is not None:
        key = idempotency_key.strip()
        if not key:
            raise ApiError(422, "invalid_request", "Idempotency-Key must not be empty")
        request_key = IssueKey(dev.name, key, server.idempotency.request_id(
            "POST tickets", {"service": body.service, "language": body.language}))
    tickets = server.tickets(dev.name, request_key)
    try:
        issued = tickets.issue(body.service, body.language)
    except Refused as err:
        # refused before the store was asked: a key kept for another request is
        # still the client's error to hear about
        if request_key is not None and server.store.kept_request(
                dev.name, request_key.key) not in (None, request_key.request):
            raise ApiError(422, "idempotency_key_reused", "this Idempotency-Key was "
                           "used for a different request") from err
        code = {Refusal.UNKNOWN_SERVICE: "unknown_service",
                Refusal.QUOTA_REACHED: "quota_reached",
                Refusal.EXHAUSTED: "quota_reached"}.get(err.reason, "service_closed")
        raise ApiError(409, code, err.detail) from err
    except IssuedBefore as before:
        if before.request != request_key.request or before.ticket is None:
            raise ApiError(422, "idempotency_key_reused", "this Idempotency-Key was "
                           "used for a different request") from before
        return _issued(before.ticket, tickets.estimate(before.ticket, server.clock()),
                       {"Idempotent-Replayed": "true"})
    return _issued(issued.ticket, issued.estimate)


def add_routes(app: FastAPI, server: Server, role) -> None:
    terminal = role("terminal")
    counter = role("counter")
    viewer = role("board", "counter")
    anyone = role("terminal", "counter", "board")

    def once(dev: Device, key: str | None, what: str, body, work) -> JSONResponse:
        """work() -> (status, body) at most once per device and Idempotency-Key."""
        if key is None:
            status, out = work()
            return JSONResponse(jsonable_encoder(out), status)
        key = key.strip()
        if not key:
            raise ApiError(422, "invalid_request", "Idempotency-Key must not be empty")
        request = server.idempotency.request_id(what, jsonable_encoder(body))

        def answer():
            try:
                status, out = work()
            except ApiError as err:  # a refusal is the first answer too (not a 5xx)
                if err.status >= 500:
                    raise
                return err.status, {"error": err.error, "reason": err.reason}
            return status, jsonable_encoder(out)
        try:
            status, out, replayed = server.idempotency.run(dev.name, key, request, answer)
        except KeyReused as err:
            raise ApiError(422, "idempotency_key_reused", "this Idempotency-Key was used "
                           "for a different request") from err
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        return JSONResponse(out, status, headers=headers)

    # -- terminals -----------------------------------------------------------------

    @app.post(f"{API}/tickets", status_code=201, response_model=m.TicketIssued,
              responses={**ERRORS, **_error(409), **_error(422)}, tags=["terminal"])
    def issue_ticket(body: m.TicketRequest, dev: Device = Depends(terminal),
                     idempotency_key: IdemKey = None):
        """A walk-in ticket; 409 quota_reached | service_closed | unknown_service. A
        retry with the same Idempotency-Key gets the first ticket (its people ahead and
        estimate as now), whenever the first answer was lost: the key is kept in the
        issue's own transaction."""
        return issue_answer(server, body, dev, idempotency_key)

    @app.post(f"{API}/tickets/offline", status_code=201,
              response_model=m.OfflineTicketAdopted,
              responses={**ERRORS, **_error(409), **_error(422)}, tags=["terminal"])
    def adopt_offline(body: m.OfflineTicketRequest, dev: Device = Depends(terminal),
                      idempotency_key: IdemKey = None):
        """A ticket issued offline from the terminal's reserved range joins the queue
        of its day; 409 number_taken when that day has the number."""
        from kiosk.store.errors import NumberTaken

        service = server.config.service(body.service)
        if service is None:
            raise ApiError(422, "unknown_service", f"unknown service {body.service!r}")
        if body.number[0] != service.prefix:
            raise ApiError(422, "invalid_request", f"{body.number} is not a number of "
                           f"{body.service} (prefix {service.prefix})")
        if body.issued_at.tzinfo is None:
            raise ApiError(422, "invalid_request", "issued_at needs its time zone")
        lang = body.language if body.language in server.config.languages \
            else server.config.default_language

        def work():
            try:
                t = server.store.adopt_offline(body.number, body.service, lang,
                                               body.issued_at, dev.name)
            except NumberTaken as err:
                raise ApiError(409, "number_taken", str(err)) from err
            return 201, {"number": t.number, "service": t.service,
                         "business_day": t.business_day}
        return once(dev, idempotency_key, "POST tickets/offline", body, work)

    @app.post(f"{API}/checkins", response_model=m.CheckInAnswer,
              responses={**ERRORS, **_error(422)}, tags=["terminal"])
    def check_in(body: m.CheckInRequest, dev: Device = Depends(terminal),
                 idempotency_key: IdemKey = None):
        """Check in an appointment (a scanned code, or the typed number with
        typed=true); every refusal is a 200 with its outcome, as `kiosk checkin
        --json`."""
        from kiosk.domain.clock import local
        from kiosk.services.check_in_result import CheckInOutcome, CheckInResult
        from kiosk.services.check_in_text import reason_text

        lang = body.language if body.language in server.config.languages \
            else server.config.default_language
        _arrived_in_range(body.arrived_at, server.clock())

        def work():
            if server.config.appointments.enabled:
                result = server.check_in(dev.name).check_in(
                    body.code, lang, typed=body.typed, arrived_at=body.arrived_at)
            else:
                result = CheckInResult(CheckInOutcome.NOT_AVAILABLE)
            return 200, {"outcome": result.outcome.value, "number": result.number,
                         "service": result.service,
                         "slot": local(result.slot).isoformat() if result.slot else None,
                         "people_ahead": result.people_ahead,
                         "estimate_min": result.estimate_min,
                         "reason": reason_text(result, lang)}
        # the request without arrived_at: a terminal's outbox replays the check-in it
        # first tried online (without it) under the same key, and gets the first answer
        return once(dev, idempotency_key, "POST checkins",
                    jsonable_encoder(body, exclude={"arrived_at"}), work)

    @app.post(f"{API}/intakes", status_code=201, response_model=m.IntakeCreated,
              responses={**ERRORS, **_error(409), **_error(422)}, tags=["terminal"])
    def put_intake(body: m.IntakeRequest, dev: Device = Depends(terminal),
                   idempotency_key: IdemKey = None):
        """A sealed intake (the server cannot open it); the same reference and blob
        again is answered 201 as the first time, another blob under it 409."""
        try:
            sealed = base64.b64decode(body.sealed, validate=True)
        except (binascii.Error, ValueError) as err:
            raise ApiError(422, "invalid_request", "sealed: not base64",
                           [{"loc": "body.sealed", "msg": "not base64"}]) from err

        def work():
            kept = server.store.sealed(body.reference)
            if kept is None:
                server.store.put_sealed(body.reference, sealed, body.key_id, server.clock())
            elif kept != (sealed, body.key_id):
                raise ApiError(409, "reference_taken", "another intake has this reference")
            return 201, {"reference": body.reference}
        return once(dev, idempotency_key, "POST intakes", body, work)

    # -- counters ------------------------------------------------------------------

    @app.get(f"{API}/intakes/{{reference}}", response_model=m.IntakeSealed,
             responses={**ERRORS, **_error(404)}, tags=["counter"])
    def get_intake(reference: Annotated[str, Path(max_length=64)],
                   dev: Device = Depends(counter)):
        found = server.store.sealed_intake(reference)
        if found is None:
            raise ApiError(404, "not_found", "no sealed intake with this reference (already "
                           "exported and deleted, or purged)")
        blob, key_id, created_at = found
        return {"reference": reference, "key_id": key_id,
                "sealed": base64.b64encode(blob).decode("ascii"), "created_at": created_at}

    @app.delete(f"{API}/intakes/{{reference}}", status_code=204,
                responses={**ERRORS, **_error(404)}, tags=["counter"])
    def delete_intake(reference: Annotated[str, Path(max_length=64)],
                      dev: Device = Depends(counter)):
        if not server.store.delete_sealed(reference):
            raise ApiError(404, "not_found", "no sealed intake with this reference")
        return Response(status_code=204)

    @app.post(f"{API}/counters/{{counter_id}}/call", response_model=m.Call,
              responses={**ERRORS, **_error(404), **_error(409), **_error(422)},
              tags=["counter"])
    def call(counter_id: CounterId, body: Annotated[m.CallRequest | None, Body()] = None,
             dev: Device = Depends(counter), idempotency_key: IdemKey = None):
        """The next waiting ticket of `services` (all when left out) in the calling
        order, or the given `number`; 404 nobody_waiting."""
        from kiosk.store.errors import TicketNotFound, TransitionRefused

        body = body or m.CallRequest()

        def work():
            if body.number is not None:
                now = server.clock()
                try:
                    ticket = server.store.call_number(counter_id, body.number, now,
                                                      today(server))
                except TicketNotFound as err:
                    raise ApiError(404, "not_found", str(err)) from err
                except TransitionRefused as err:
                    raise ApiError(409, "not_waiting", str(err)) from err
            else:
                try:
                    ticket = server.queue_ops().call_next(counter_id, body.services)
                except ValueError as err:
                    raise ApiError(422, "unknown_service", str(err)) from err
                if ticket is None:
                    raise ApiError(404, "nobody_waiting", "nobody is waiting")
            return 200, _announce(server, ticket, recall=False)
        return once(dev, idempotency_key, f"POST call {counter_id}", body, work)

    @app.post(f"{API}/counters/{{counter_id}}/recall", response_model=m.Call,
              responses={**ERRORS, **_error(404)}, tags=["counter"])
    def recall(counter_id: CounterId, dev: Device = Depends(counter)):
        """The counter's current call shown and announced again."""
        ticket = server.store.recall(counter_id, server.clock(), today(server))
        if ticket is None:
            raise ApiError(404, "no_current_call", f"counter {counter_id} has no current "
                           f"call")
        return _announce(server, ticket, recall=True)

    def finish(counter_id: str, body: m.FinishRequest | None, to) -> dict:
        from kiosk.store.errors import TicketNotFound, TransitionRefused

        if body is not None and body.number is not None:
            ops = server.queue_ops()
            try:
                ticket = ops.done(body.number) if to.value == "done" \
                    else ops.no_show(body.number)
            except TicketNotFound as err:
                raise ApiError(404, "not_found", str(err)) from err
            except TransitionRefused as err:
                raise ApiError(409, "not_called", str(err)) from err
        else:
            ticket = server.store.finish_current(counter_id, to, server.clock(),
                                                 today(server))
            if ticket is None:
                raise ApiError(404, "no_current_call", f"counter {counter_id} has no "
                               f"current call")
        return {"number": ticket.number, "service": ticket.service,
                "counter": ticket.counter, "state": ticket.state.value}

    @app.post(f"{API}/counters/{{counter_id}}/done", response_model=m.Finished,
              responses={**ERRORS, **_error(404), **_error(409)}, tags=["counter"])
    def done(counter_id: CounterId, body: Annotated[m.FinishRequest | None, Body()] = None,
             dev: Device = Depends(counter)):
        """The given called ticket, else the counter's current call, is done."""
        from kiosk.domain.ticket import TicketState

        return finish(counter_id, body, TicketState.DONE)

    @app.post(f"{API}/counters/{{counter_id}}/noshow", response_model=m.Finished,
              responses={**ERRORS, **_error(404), **_error(409)}, tags=["counter"])
    def no_show(counter_id: CounterId,
                body: Annotated[m.FinishRequest | None, Body()] = None,
                dev: Device = Depends(counter)):
        """The given called ticket, else the counter's current call, did not come."""
        from kiosk.domain.ticket import TicketState

        return finish(counter_id, body, TicketState.NO_SHOW)

    @app.get(f"{API}/statistics.csv", response_class=Response,
             responses={**ERRORS, **_error(422),
                        200: {"content": {"text/csv": {}}, "description": "per day and "
                              "service: counts and the median wait, nothing personal"}},
             tags=["counter"])
    def statistics(first: Annotated[date | None, Query(alias="from")] = None,
                   last: Annotated[date | None, Query(alias="to")] = None,
                   dev: Device = Depends(counter)):
        from kiosk.server.statistics import statistics_csv

        last = last or today(server)
        first = first or last
        if first > last or last - first > timedelta(days=MAX_STAT_DAYS):
            raise ApiError(422, "invalid_request", f"from must not be after to, and at most "
                           f"{MAX_STAT_DAYS} days before it")
        text = statistics_csv(server.store, first, last)
        return Response(text, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="kiosk-{first}-{last}.csv"'})

    # -- everyone ------------------------------------------------------------------

    @app.get(f"{API}/calls", response_model=list[m.CallEvent], responses=ERRORS,
             tags=["board"])
    def calls(limit: int = Query(10, ge=1, le=100), dev: Device = Depends(anyone)):
        """The current calls, newest first."""
        day = today(server)
        return [_call(t, at, server.is_recall(day, t.number))
                for t, at in server.store.recent_calls_at(day, limit)]

    @app.get(f"{API}/calls/stream", responses={**ERRORS, 200: {
        "content": {"text/event-stream": {}},
        "description": "event 'call' with a CallEvent as data; ':ping' comments"}},
        tags=["board"])
    async def call_stream(request: Request, dev: Device = Depends(viewer)):
        """Server-sent events: each call and recall as it happens."""
        from sse_starlette.sse import EventSourceResponse

        async def events():
            async for event in server.bus.subscribe():
                if await request.is_disconnected():
                    break
                yield {"event": "call", "data": json.dumps(event)}
        return EventSourceResponse(events(), ping=15)

    @app.get(f"{API}/queue", response_model=list[m.QueueState], responses=ERRORS,
             tags=["board"])
    def queue(dev: Device = Depends(anyone)):
        """Waiting tickets, the estimate for a newcomer and open or not, per service."""
        return queue_states(server)


def _announce(server: Server, ticket, recall: bool) -> dict:
    """The call as answered and as published on the bus (boards, signs)."""
    now = server.clock()
    server.marked_recall(ticket.business_day, ticket.number, recall)
    event = _call(ticket, now, recall)
    server.bus.publish(event)
    return event


def queue_states(server: Server) -> list[dict]:
    from kiosk.domain.estimate import ACTIVE_WINDOW_S, estimate_wait
    from kiosk.services.issue_ticket import Availability, TicketService
    from kiosk.services.staff import read_settings

    now = server.clock()
    day = today(server)
    config, store = server.config, server.store
    closed = read_settings(server.staff_store().settings(),
                           {s.id for s in config.services}, day).closed
    # the plain service: its queue_availability reads the quota and the last number
    tickets = TicketService(config, store, None, clock=server.clock)
    out = []
    for service in config.services:
        waiting = store.waiting_count(service.id, day)
        counters = store.active_counters(service.id, now - timedelta(seconds=ACTIVE_WINDOW_S))
        estimate = estimate_wait(waiting, counters, store.service_times_s(service.id, day))
        is_open = service.id not in closed and \
            tickets.availability(service, now) is Availability.OPEN
        out.append({"service": service.id, "waiting": waiting,
                    "estimate_min": estimate.minutes, "open": is_open})
    return out
