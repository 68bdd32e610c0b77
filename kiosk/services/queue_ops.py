"""What a counter does with the queue: call the next ticket, mark it done or no-show.
Used by `kiosk call/done/noshow` now and by the counter UI and office server later."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from kiosk.config import Config
from kiosk.domain.clock import business_day, utc_now
from kiosk.domain.ticket import Ticket, TicketState
from kiosk.services.ports import QueueStore


class QueueOperations:
    def __init__(self, config: Config, store: QueueStore,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.config, self.store, self.clock = config, store, clock

    def call_next(self, counter: str, service_ids: list[str] | None = None) -> Ticket | None:
        """Call the oldest waiting ticket of the services (all of them when none given)."""
        unknown = [s for s in service_ids or [] if self.config.service(s) is None]
        if unknown:
            raise ValueError(f"unknown service {unknown[0]!r}; valid: "
                             f"{', '.join(s.id for s in self.config.services)}")
        services = service_ids or [s.id for s in self.config.services]
        now = self.clock()
        return self.store.call_next(counter, services, now, business_day(now))

    def done(self, number: str) -> Ticket:
        now = self.clock()
        return self.store.finish(number, TicketState.DONE, now, business_day(now))

    def no_show(self, number: str) -> Ticket:
        now = self.clock()
        return self.store.finish(number, TicketState.NO_SHOW, now, business_day(now))

    def recent_calls(self, limit: int = 5) -> list[Ticket]:
        return self.store.recent_calls(business_day(self.clock()), limit)
