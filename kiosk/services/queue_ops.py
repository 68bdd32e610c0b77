"""What a counter does with the queue: call the next ticket, mark it done or no-show.
Used by `kiosk call/done/noshow` now and by the counter UI and office server later.
Store faults leave as StoreError."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Callable

from kiosk.config import Config
from kiosk.domain.call_order import call_orders
from kiosk.domain.clock import business_day, utc_now
from kiosk.domain.ticket import Ticket, TicketState
from kiosk.services.ports import QueueStore
from kiosk.store.errors import store_faults


_COUNTER = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class QueueOperations:
    def __init__(self, config: Config, store: QueueStore,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.config, self.store, self.clock = config, store, clock

    def call_next(self, counter: str, service_ids: list[str] | None = None) -> Ticket | None:
        """Call the next waiting ticket of the services (all of them when none given) in
        the calling order of kiosk/domain/call_order.py."""
        if not _COUNTER.match(counter):
            # the counter is stored and shown on the sign: an id like 3 or B12, never a
            # member of staff's name
            shown = counter if len(counter) <= 20 else counter[:20] + "..."
            raise ValueError(f"counter {shown!r} is not a counter id (letters, digits, "
                             f"- or _, at most 16)")
        unknown = [s for s in service_ids or [] if self.config.service(s) is None]
        if unknown:
            raise ValueError(f"unknown service {unknown[0]!r}; valid: "
                             f"{', '.join(s.id for s in self.config.services)}")
        services = service_ids or [s.id for s in self.config.services]
        now = self.clock()
        with store_faults("calling the next ticket"):
            if self.config.appointments.enabled:
                # bookings whose window closed without a check-in become no-shows
                self.store.mark_no_shows(now, {s.id: s.appointments.late_min
                                               for s in self.config.services
                                               if s.appointments is not None})
            # the documented order: emergency cases, begun slots, walk-ins (per service)
            return self.store.call_next(counter, services, now, business_day(now),
                                        call_orders(self.config.services))

    def done(self, number: str) -> Ticket:
        return self._finish(number, TicketState.DONE)

    def no_show(self, number: str) -> Ticket:
        return self._finish(number, TicketState.NO_SHOW)

    def _finish(self, number: str, to: TicketState) -> Ticket:
        now = self.clock()
        with store_faults("finishing a ticket"):
            return self.store.finish(number, to, now, business_day(now))

    def recent_calls(self, limit: int = 5) -> list[Ticket]:
        with store_faults("reading the calls"):
            return self.store.recent_calls(business_day(self.clock()), limit)
