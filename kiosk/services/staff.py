"""Staff mode's use cases: the PIN (argon2id hash in a 0600 file) with its lockout, the
audit log, and what staff change for visitors (a service closed for today with a prepared
message, today's notice, out of service), kept in the store and validated on read."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable

from kiosk.domain.clock import business_day, utc_now
from kiosk.domain.staff_lockout import Lockout, after_failure, after_success
from kiosk.domain.staff_pin import pin_problem
from kiosk.domain.staff_today import in_force
from kiosk.paths import PRIVATE_FILE_MODE, data_dir, make_private_dir
from kiosk.services.staff_texts import NOTICES, SERVICE_MESSAGES

log = logging.getLogger(__name__)

LOCKOUT_KEY = "lockout"
NOTICE_KEY = "notice"
OUT_OF_SERVICE_KEY = "out_of_service"
SERVICE_PREFIX = "service:"


class PinRefused(ValueError):
    """The PIN breaks the policy; the message says why (English, for the operator)."""


def pin_path(config) -> Path:
    return Path(config.staff.pin_file) if config.staff.pin_file else data_dir() / "staff-pin"


class PinFile:
    """The staff PIN as an argon2id hash; the PIN itself is never written anywhere."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.is_file()

    def set(self, pin: str) -> None:
        problem = pin_problem(pin)
        if problem:
            raise PinRefused(problem)
        from argon2 import PasswordHasher  # argon2id is its default type

        encoded = PasswordHasher().hash(pin)
        make_private_dir(self.path.parent)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
        try:
            os.fchmod(fd, PRIVATE_FILE_MODE)
            os.write(fd, (encoded + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)  # a crash leaves the old hash or the new one, whole

    def verify(self, pin: str) -> bool:
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            encoded = self.path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as err:
            log.error("staff PIN file %s cannot be read: %s", self.path,
                      getattr(err, "strerror", None) or type(err).__name__)
            return False
        try:
            return PasswordHasher().verify(encoded, pin)
        except (VerificationError, InvalidHashError):
            return False


@dataclass(frozen=True)
class UnlockResult:
    ok: bool
    wait_s: float = 0.0  # > 0: locked, try again after this many seconds
    no_pin: bool = False  # no PIN has been set on this terminal


@dataclass(frozen=True)
class StaffSettings:
    """What staff have set, as far as it is still in force today."""

    closed: dict[str, str] = field(default_factory=dict)  # service id -> message id
    notice: str | None = None  # a NOTICES id
    out_of_service: bool = False


def read_settings(raw: dict, service_ids, today: date) -> StaffSettings:
    """The stored settings validated like the config: unknown services or message and
    notice ids (a config or an update removed them) are ignored with a log line."""
    closed: dict[str, str] = {}
    notice = None
    out = False
    for key, (value, for_day) in raw.items():
        if key.startswith(SERVICE_PREFIX):
            sid = key[len(SERVICE_PREFIX):]
            if sid not in service_ids:
                log.warning("staff setting for unknown service %r ignored", sid)
            elif not isinstance(value, str) or value not in SERVICE_MESSAGES:
                log.warning("staff setting for service %r: unknown message %r ignored",
                            sid, value)
            elif in_force(for_day, today):
                closed[sid] = value
        elif key == NOTICE_KEY:
            if not isinstance(value, str) or value not in NOTICES:
                log.warning("staff notice %r unknown: ignored", value)
            elif in_force(for_day, today):
                notice = value
        elif key == OUT_OF_SERVICE_KEY:
            out = value is True
    return StaffSettings(closed, notice, out)


class StaffService:
    def __init__(self, config, staff_store, pin: PinFile, printer=None, tickets=None,
                 clock: Callable[[], datetime] = utc_now,
                 wall: Callable[[], float] = time.time, displays=(), scanner=None) -> None:
        self.config = config
        self.store = staff_store  # store.staff_sqlite.StaffStore
        self.pin = pin
        self.printer = printer
        self.tickets = tickets
        self.clock = clock
        self.wall = wall  # epoch seconds: a lock outlives a restart
        self.displays = list(displays)
        self.scanner = scanner  # the [scanner] worker, None when there is none

    def today(self) -> date:
        return business_day(self.clock())

    # -- audit ---------------------------------------------------------------------

    def audit(self, action: str, detail: str | None = None) -> None:
        """One line in the audit log: time, action, terminal (and an id such as a
        service); never a PIN."""
        self.store.audit(self.clock(), action, self.config.terminal_id, detail)

    # -- PIN -----------------------------------------------------------------------

    def lockout(self) -> Lockout:
        value = self.store.settings().get(LOCKOUT_KEY)
        return Lockout.from_dict(value[0]) if value else Lockout()

    def unlock(self, pin: str) -> UnlockResult:
        now = self.wall()
        state = self.lockout()
        if state.locked(now):
            return UnlockResult(False, state.remaining_s(now))
        if not self.pin.exists():
            self.audit("entry_refused_no_pin")
            return UnlockResult(False, no_pin=True)
        if self.pin.verify(pin):
            if state != after_success():
                self.store.put(LOCKOUT_KEY, after_success().as_dict(), None, self.clock())
            self.audit("entry")
            return UnlockResult(True)
        state = after_failure(state, now)
        self.store.put(LOCKOUT_KEY, state.as_dict(), None, self.clock())
        self.audit("entry_failed")
        if state.locked(now):
            self.audit("lockout", f"{int(state.remaining_s(now))}s")
            return UnlockResult(False, state.remaining_s(now))
        return UnlockResult(False)

    def set_pin(self, pin: str) -> None:
        self.pin.set(pin)
        self.audit("pin_changed")

    # -- settings --------------------------------------------------------------------

    def settings(self) -> StaffSettings:
        ids = {s.id for s in self.config.services}
        return read_settings(self.store.settings(), ids, self.today())

    def close_service(self, service_id: str, message_id: str) -> None:
        if self.config.service(service_id) is None or message_id not in SERVICE_MESSAGES:
            raise ValueError(f"unknown service {service_id!r} or message {message_id!r}")
        self.store.put(SERVICE_PREFIX + service_id, message_id, self.today(), self.clock())
        self.audit("service_closed", f"{service_id} {message_id}")

    def open_service(self, service_id: str) -> None:
        self.store.delete(SERVICE_PREFIX + service_id)
        self.audit("service_opened", service_id)

    def set_notice(self, notice_id: str | None) -> None:
        if notice_id is None:
            self.store.delete(NOTICE_KEY)
            self.audit("notice_cleared")
            return
        if notice_id not in NOTICES:
            raise ValueError(f"unknown notice {notice_id!r}")
        self.store.put(NOTICE_KEY, notice_id, self.today(), self.clock())
        self.audit("notice_set", notice_id)

    def set_out_of_service(self, out: bool) -> None:
        if out:
            self.store.put(OUT_OF_SERVICE_KEY, True, None, self.clock())
        else:
            self.store.delete(OUT_OF_SERVICE_KEY)
        self.audit("out_of_service" if out else "back_in_service")

    # -- functions -------------------------------------------------------------------

    def figures(self) -> dict:
        day = self.today()
        figures = self.store.figures(day)
        checkins: dict[str, int] = {}
        for _service, outcome, count in self.store.store.checkin_stats(day):
            checkins[outcome] = checkins.get(outcome, 0) + count
        figures["checkins"] = checkins
        # intakes by event (started / finished / abandoned), counts only
        intakes: dict[str, int] = {}
        for event, _step, _persons, count, _mean_s in self.store.store.intake_stats(day):
            intakes[event] = intakes.get(event, 0) + count
        figures["intakes"] = intakes
        self.audit("figures_viewed")
        return figures

    def device_views(self) -> list[dict]:
        """kind, name, state (health.snapshot.DeviceView's states) and cause of each of
        the terminal's devices, as their workers last saw them (no device I/O here)."""
        views = []
        if self.printer is not None:
            status = self.printer.status
            views.append({"kind": "printer", "name": self.config.printer.profile,
                          "state": status.state.value, "cause": status.cause})
        for display, conf in zip(self.displays, self.config.displays):
            state, cause = display.reading()
            views.append({"kind": "display", "name": conf.id, "state": state.value,
                          "cause": cause or ""})
        if self.scanner is not None:
            state, cause = self.scanner.reading()
            views.append({"kind": "scanner", "name": self.config.scanner.transport,
                          "state": state.value, "cause": cause or ""})
        self.audit("status_viewed")
        return views

    def test_print(self):
        """The test page of `kiosk print-test`, through the app's printer worker."""
        from kiosk.services.device_check import test_page

        self.audit("test_print")
        if self.printer is None:
            return None
        profile = getattr(self.printer, "profile", None)
        columns = profile.dots_per_line // 12 if profile is not None else 42
        page = test_page(self.config.office, self.config.terminal_id, columns, self.clock())
        return self.printer.print_document(page)

    def paper_replaced(self) -> str | None:
        """Staff put in a new roll: the printer worker reads the status now (not at its
        next poll), so the visitors' "printer not working" notice goes as soon as the
        printer reports paper. The state the printer then reports (a PrinterState
        value), None without a printer worker; audited with that state."""
        self.store.put("paper_replaced", self.clock().isoformat(), None, self.clock())
        probe = getattr(self.printer, "probe", None)
        state = probe().state.value if probe is not None else None
        self.audit("paper_replaced", state or "no_printer")
        return state

    def reprint_last(self):
        """Print this terminal's last ticket of the day again; None when there is none."""
        from kiosk.services.issue_ticket import IssuedTicket

        ticket_id = self.store.last_ticket_id(self.config.terminal_id, self.today())
        ticket = self.store.store.ticket(ticket_id) if ticket_id is not None else None
        service = self.config.service(ticket.service) if ticket is not None else None
        if ticket is None or service is None or self.tickets is None:
            self.audit("reprint_none")
            return None
        self.audit("reprint", ticket.number)
        estimate = self.tickets.estimate(ticket, self.clock())
        return self.tickets.print_ticket(IssuedTicket(ticket, service, estimate))


class StaffClosedTickets:
    """The ticket service as staff left it: a service closed for today is refused with
    the staff's prepared message, read from the store when a ticket is asked for (in the
    issuing worker or the CLI, never on the UI thread). Everything else passes through."""

    def __init__(self, tickets, staff_store, config) -> None:
        self._tickets, self._staff_store, self._config = tickets, staff_store, config

    def __getattr__(self, name: str):
        return getattr(self._tickets, name)

    def __setattr__(self, name: str, value) -> None:
        # a setting such as min_interval_s belongs to the service underneath
        if name.startswith("_"):
            super().__setattr__(name, value)
        else:
            setattr(self._tickets, name, value)

    def issue(self, service_id: str, lang: str):
        from kiosk.services.issue_ticket import Refusal, Refused

        today = business_day(self._tickets.clock())
        settings = read_settings(self._staff_store.settings(),
                                 {s.id for s in self._config.services}, today)
        message_id = settings.closed.get(service_id)
        if message_id is not None:
            err = Refused(Refusal.STAFF_CLOSED, f"closed by staff for today: "
                          f"{SERVICE_MESSAGES[message_id]}")
            err.message_id = message_id  # the screens show the prepared message
            raise err
        return self._tickets.issue(service_id, lang)
