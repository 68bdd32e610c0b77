"""The endpoints of /api/v1. Plain `def` functions: FastAPI runs them in its
threadpool, so a store call that waits never holds up the event loop."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Query

from kiosk.server import models as m
from kiosk.server.app import ERRORS, ApiError, Server
from kiosk.server.auth import Device

API = "/api/v1"


def _call(ticket, called_at, recall: bool = False) -> dict:
    return {"number": ticket.number, "service": ticket.service, "counter": ticket.counter,
            "called_at": called_at.isoformat(), "recall": recall}


def add_routes(app: FastAPI, server: Server, role) -> None:
    terminal = role("terminal")
    counter = role("counter")
    anyone = role("terminal", "counter", "board")

    @app.post(f"{API}/tickets", status_code=201, response_model=m.TicketIssued,
              responses={**ERRORS, 409: {"model": m.ErrorBody}})
    def issue_ticket(body: m.TicketRequest, dev: Device = Depends(terminal)):
        from kiosk.services.issue_ticket import Refusal, Refused

        try:
            issued = server.tickets(dev.name).issue(body.service, body.language)
        except Refused as err:
            code = {Refusal.UNKNOWN_SERVICE: "unknown_service",
                    Refusal.QUOTA_REACHED: "quota_reached",
                    Refusal.EXHAUSTED: "quota_reached"}.get(err.reason, "service_closed")
            raise ApiError(409, code, err.detail) from err
        t = issued.ticket
        return {"number": t.number, "service": t.service,
                "people_ahead": issued.estimate.people_ahead,
                "estimate_min": issued.estimate.minutes, "issued_at": t.issued_at,
                "business_day": t.business_day}

    @app.post(f"{API}/counters/{{counter_id}}/call", response_model=m.Call,
              responses={**ERRORS, 404: {"model": m.ErrorBody}})
    def call(counter_id: str, body: m.CallRequest | None = None,
             dev: Device = Depends(counter)):
        body = body or m.CallRequest()
        try:
            ticket = server.queue_ops().call_next(counter_id, body.services)
        except ValueError as err:
            raise ApiError(422, "invalid_request", str(err)) from err
        if ticket is None:
            raise ApiError(404, "nobody_waiting", "nobody is waiting")
        event = _call(ticket, server.clock())
        server.bus.publish(event)
        return event

    @app.get(f"{API}/calls", response_model=list[m.CallEvent], responses=ERRORS)
    def calls(limit: int = Query(10, ge=1, le=100), dev: Device = Depends(anyone)):
        tickets = server.queue_ops().recent_calls(limit)
        return [_call(t, t.issued_at) for t in tickets]
