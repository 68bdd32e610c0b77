"""Composition root: builds the store, devices and services from a Config. The app and
the CLI both call this, so a tap and a command take the same path."""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.config import Config, DisplayConfig, PrinterConfig, ScannerConfig
from kiosk.paths import data_dir


def store_path(config: Config) -> Path:
    return Path(config.store.path) if config.store.path else data_dir() / "kiosk.sqlite3"


def open_store(config: Config):
    """The queue store; StoreError (one line: which file, what to do) when the data
    folder or the file cannot be created, read or written."""
    from kiosk.store.errors import StoreError
    from kiosk.store.sqlite import SqliteStore

    try:
        path = store_path(config)
    except OSError as err:
        where = err.filename or "the data folder"
        raise StoreError(f"cannot create the data folder {where}: "
                         f"{err.strerror or err}; set KIOSK_DATA_DIR or [store] path to a "
                         f"folder the kiosk's user can write", kind="cannot_open") from err
    if config.store.backend == "postgres":
        return _postgres_store(config)
    if config.store.backend not in ("sqlite", "http"):
        raise StoreError(f"[store] backend {config.store.backend!r} is not available in "
                         f"this version: use \"sqlite\", \"postgres\" or \"http\"",
                         kind="cannot_open")
    # "http": this is the terminal's own file (staff, counts); the queue is the
    # server's, reached through server_link()
    return SqliteStore(path, terminal_id=config.terminal_id)


def _postgres_store(config: Config):
    """PostgresStore over the connection string in [store] dsn_file (a file of its own:
    it may hold the password)."""
    from kiosk.store.errors import StoreError
    from kiosk.store.postgres import PostgresStore

    dsn_file = Path(config.store.dsn_file)
    try:
        dsn = dsn_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or type(err).__name__
        raise StoreError(f"cannot read the [store] dsn_file {dsn_file}: {reason}",
                         kind="cannot_open") from err
    if not dsn:
        raise StoreError(f"the [store] dsn_file {dsn_file} is empty: write the PostgreSQL "
                         f"connection string into it", kind="cannot_open")
    return PostgresStore(dsn, terminal_id=config.terminal_id,
                         pool_size=config.store.pool_size,
                         timeout_s=max(config.store.timeout_s, 5.0))


def staff_store(store):
    """The staff settings and audit over the queue store, for either engine."""
    # by its attribute, not isinstance: a SQLite terminal never imports psycopg
    if getattr(store, "engine", "sqlite") == "postgres":
        from kiosk.store.staff_postgres import PostgresStaffStore

        return PostgresStaffStore(store)
    from kiosk.store.staff_sqlite import StaffStore

    return StaffStore(store)


def outbox_path(config: Config) -> Path:
    """The outbox's own SQLite file beside the store's (its tables stay out of the
    store's versioned schema)."""
    path = store_path(config)
    return path.with_name(path.stem + "-outbox.sqlite3")


class ServerLink:
    """[store] backend "http": the client of the office server and the local outbox
    (in the terminal's SQLite file) with its replay worker (start_replay())."""

    def __init__(self, config: Config) -> None:
        from kiosk.store.http import ServerClient
        from kiosk.store.outbox import Outbox

        self.client = ServerClient.from_config(config.store)
        self.outbox = Outbox(outbox_path(config))
        self.replay = None

    def start_replay(self, **kwargs) -> "ServerLink":
        from kiosk.store.replay import ReplayWorker

        self.replay = ReplayWorker(self.outbox, self.client, **kwargs).start()
        return self

    def snapshot(self) -> dict:
        """For the health snapshot: the link, no personal data."""
        age = self.outbox.oldest_age_s()
        return {"reachable": self.client.reachable, "outbox": self.outbox.length(),
                "outbox_oldest_s": None if age is None else round(age, 1),
                "outbox_rejected": self.outbox.rejected_count()}

    def close(self) -> None:
        if self.replay is not None:
            self.replay.close()
        self.outbox.close()


def server_link(config: Config) -> ServerLink | None:
    """The link for backend "http", else None; StoreError when the token file or the
    outbox cannot be used."""
    return ServerLink(config) if config.store.backend == "http" else None


def build_transport(printer: PrinterConfig):
    """The transport named in the config; nothing is opened until first use."""
    if printer.transport == "serial":
        from kiosk.devices.printer.transports import SerialTransport

        return SerialTransport(printer.device, printer.baudrate, printer.flow_control,
                               printer.timeout_s, printer.parity)
    if printer.transport == "usb":
        from kiosk.devices.printer.usb_transport import UsbTransport

        return UsbTransport(printer.vendor_id, printer.product_id, printer.timeout_s)
    if printer.transport == "lp":
        from kiosk.devices.printer.lp_transport import LpTransport

        return LpTransport(printer.device, printer.timeout_s)
    if printer.transport == "network":
        from kiosk.devices.printer.net_transport import NetworkTransport

        return NetworkTransport(printer.host, printer.port, write_timeout_s=printer.timeout_s)
    from kiosk.devices.printer.transports import FileTransport

    return FileTransport(printer.path)


def printer_profile(printer: PrinterConfig):
    from kiosk.devices.printer.profiles import PROFILES

    return PROFILES[printer.profile].with_width(printer.width_mm)


def build_printer(printer: PrinterConfig):
    """Synchronous printer for one-shot commands."""
    from kiosk.devices.printer.driver import TicketPrinter

    return TicketPrinter(build_transport(printer), printer_profile(printer))


def build_printer_supervisor(printer: PrinterConfig):
    """The app's printer: its own worker, status polling and reconnect."""
    from kiosk.devices.printer.supervisor import PrinterSupervisor

    return PrinterSupervisor(build_transport(printer), printer_profile(printer)).start()


def ticket_service(config: Config, store=None, printer=None, link=None, **kwargs):
    from kiosk.services.issue_ticket import TicketService

    store = store if store is not None else open_store(config)
    printer = printer if printer is not None else build_printer(config.printer)
    from kiosk.services.staff import StaffClosedTickets

    link = link if link is not None else server_link(config)
    if link is not None:
        from kiosk.services.remote import RemoteTicketService

        tickets = RemoteTicketService(config, link.client, link.outbox, printer, store,
                                      **kwargs)
    else:
        tickets = TicketService(config, store, printer, **kwargs)
    # services staff closed for today are refused, by the touchscreen and the CLI alike
    return StaffClosedTickets(tickets, staff_store(store), config)


def check_in_service(config: Config, store=None, printer=None, tickets=None, keys=None,
                     **kwargs):
    """The check-in service over the configured appointment source; it prints and offers
    walk-ins through `tickets` (the terminal's TicketService) so both share one path.
    OSError/ValueError when the key file (read when `keys` is None) cannot be used."""
    from kiosk.appointments.factory import build_source, load_keys
    from kiosk.services.check_in import CheckInService

    store = store if store is not None else open_store(config)
    link = kwargs.pop("link", None) or server_link(config)
    if tickets is None:
        tickets = ticket_service(config, store, printer, link=link, **kwargs)
    if link is not None:
        from kiosk.services.remote import RemoteCheckIn

        return RemoteCheckIn(config, link.client, link.outbox, tickets)
    return CheckInService(config, store, build_source(config, store), tickets.printer,
                          clock=tickets.clock,
                          keys=load_keys(config) if keys is None else keys, tickets=tickets)


def build_display(display: DisplayConfig):
    """A started worker for one call-up sign (Alpha protocol or plain lines)."""
    from kiosk.devices.display.alpha import AlphaCodec
    from kiosk.devices.display.line import LineCodec
    from kiosk.devices.display.supervisor import DisplaySupervisor

    if display.framing == "alpha":
        codec = AlphaCodec(address=display.address, max_calls=display.max_calls)
    else:
        codec = LineCodec(width=display.width, lines=display.lines, encoding=display.encoding,
                          max_calls=display.max_calls)
    return DisplaySupervisor(display.device, codec, baudrate=display.baudrate,
                             parity=display.parity, name=f"display {display.id}",
                             chime_command=display.chime_command or None).start()


def build_scanner(scanner: ScannerConfig, on_scan):
    """A started worker for the [scanner]; its scans go to `on_scan` on its own thread."""
    if scanner.transport == "serial":
        from kiosk.devices.scanner.serial_scanner import SerialScanner

        return SerialScanner(scanner.device, baudrate=scanner.baudrate,
                             terminator=scanner.terminator.encode("ascii"),
                             max_length=scanner.max_length, on_scan=on_scan).start()
    from kiosk.devices.scanner.hid_scanner import HidScanner

    return HidScanner(scanner.device, layout=scanner.layout, max_length=scanner.max_length,
                      on_scan=on_scan).start()


def build_callup_feed(config: Config, store, displays):
    """Feed the recorded calls to the started display workers (same order as config)."""
    from kiosk.devices.display.calls import Call
    from kiosk.services.callup import CallupFeed

    entries = [(worker, cfg.max_calls, cfg.counter_format)
               for worker, cfg in zip(displays, config.displays)]
    return CallupFeed(store, entries, Call).start()


def config_hash(config: Config) -> str:
    """First 12 hex digits of the SHA-256 of the config file's bytes ("" when unreadable):
    tells IT which terminals run the same configuration."""
    import hashlib

    try:
        return hashlib.sha256(Path(config.source).read_bytes()).hexdigest()[:12]
    except (OSError, TypeError):
        return ""


def build_state_writer(config: Config, store, printer, displays, link=None):
    """The started writer of the state snapshot (data dir), fed by the app's own workers."""
    from kiosk import __version__
    from kiosk.device_probes import printer_where
    from kiosk.health.state_file import state_path
    from kiosk.health.writer import SnapshotWriter, WatchedDevice

    def printer_state():
        status = printer.status  # one read: state and cause belong together
        return status.state.value, status.cause

    def display_state(worker):
        state, error = worker.reading()  # one read: state and cause belong together
        return state.value, "" if state.value == "online" else error or ""

    watched = [WatchedDevice("printer", config.printer.profile, printer_where(config.printer),
                             printer_state, printer.add_listener)]
    watched += [WatchedDevice("display", cfg.id, cfg.device,
                              lambda w=worker: display_state(w), worker.add_listener)
                for worker, cfg in zip(displays, config.displays)]
    def open_now(service_id, now):
        service = config.service(service_id)
        return service.enabled and config.hours_for(service).is_open(now)

    # backend "http": the queue and the day's figures are the server's; the local file
    # would say 0 (the process's own counts stand instead, the queues are unknown here)
    return SnapshotWriter(state_path(data_dir()), config.terminal_id, watched,
                          store if link is None else None,
                          [s.id for s in config.services],
                          lambda: (printer.jobs_printed, printer.jobs_failed),
                          open_now=open_now, store_file=getattr(store, "path", None),
                          version=__version__, config_hash=config_hash(config),
                          server_link=link.snapshot if link is not None else None).start()


def build_health_server(config: Config):
    """The IT health endpoint as a started child process (kiosk/health/process.py)."""
    from kiosk.health.process import ServerProcess, server_argv
    from kiosk.health.state_file import state_path

    h = config.health
    return ServerProcess(server_argv(state_path(data_dir()), h.bind, h.port, h.token_file,
                                     h.stuck_after_s)).start()


def _keys_or_none(config: Config) -> tuple[bytes, ...]:
    """The app starts without the QR keys rather than not at all: typed codes and ZMS
    links still work, signed codes are refused (logged for the operator)."""
    from kiosk.appointments.factory import load_keys
    from kiosk.config import ConfigError

    try:
        return load_keys(config)
    except (OSError, ValueError, ConfigError) as err:
        logging.getLogger(__name__).error("check-in: key file not usable, signed QR codes "
                                          "are refused: %s", err)
        return ()


class Terminal:
    """Everything the touchscreen process owns: store, printer worker, displays, feed."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = open_store(config)
        self.link = server_link(config)  # backend "http": the office server and outbox
        self.printer = build_printer_supervisor(config.printer)
        self.displays = [build_display(d) for d in config.displays]
        self.feed = build_callup_feed(config, self.store, self.displays) \
            if self.displays else None
        self.state = build_state_writer(config, self.store, self.printer, self.displays,
                                        self.link)
        if self.link is not None:
            self.link.start_replay()  # what waits from before (a crash, the CLI) goes now
        from kiosk.health.counting import CountingCheckIn, CountingTickets

        self.tickets = CountingTickets(ticket_service(config, self.store, self.printer,
                                                      link=self.link), self.state.count)
        # None when [appointments] is absent or switched off: no check-in on the screens
        self.checkin = None
        if config.appointments.enabled:
            try:
                self.checkin = CountingCheckIn(
                    check_in_service(config, self.store, tickets=self.tickets, link=self.link,
                                     keys=_keys_or_none(config)), self.state.count)
            except Exception as err:  # noqa: BLE001 - walk-ins must work without check-in
                # e.g. the ZMS key file is unusable: check-in is not offered, and says why
                logging.getLogger(__name__).error("check-in not available: %s", err)
        # scans go to the app once it listens (screens/check_in.py); none before
        from kiosk.devices.scanner.handoff import ScanHandoff

        self.scans = ScanHandoff()
        self.scanner = build_scanner(config.scanner, self.scans) \
            if config.scanner is not None else None
        self.health = None  # the endpoint process: start_health_server() (kiosk run)
        self.staff = staff_service(config, self.store, self.printer, self.tickets,
                                   self.displays, self.scanner)
        # the Anmeldung intake (None when [intake] is off) and its daily retention purge
        self.intake = self.intake_purge = None
        if config.intake.enabled:
            from kiosk.services.intake import IntakeService
            from kiosk.services.intake_purge import DailyPurge

            if self.link is not None:
                from kiosk.services.remote import RemoteIntakeService, RemoteIntakeStore

                self.intake = RemoteIntakeService(
                    config, RemoteIntakeStore(self.store, self.link.client, self.link.outbox),
                    self.printer, tickets=self.tickets)
            else:
                self.intake = IntakeService(config, self.store, self.printer,
                                            tickets=self.tickets)
            try:
                self.intake.public_keys()  # a bad key file is named at start, not later
            except Exception as err:  # noqa: BLE001 - the queue must work without intake
                logging.getLogger(__name__).error("intake not available: %s", err)
                self.intake = None
            # the purge runs even without a usable key: intakes already stored expire
            self.intake_purge = DailyPurge(IntakeService(
                config, self.store, None, queue_ticket=False).purge)
            self.intake_purge.start()

    def start_health_server(self) -> None:
        self.health = build_health_server(self.config)

    def close(self) -> None:
        if self.intake_purge is not None:
            self.intake_purge.stop()
        if self.health is not None:
            self.health.close()
        self.state.close()  # first: devices closing down are not news for monitoring
        if self.feed is not None:
            self.feed.close()
        if self.scanner is not None:
            self.scanner.close()
        for display in self.displays:
            display.close()
        self.printer.close()
        if self.link is not None:
            self.link.close()
        self.store.close()


def staff_service(config: Config, store=None, printer=None, tickets=None, displays=(),
                  scanner=None):
    """Staff mode's use cases on the given (or a newly opened) store."""
    from kiosk.services.staff import PinFile, StaffService, pin_path

    store = store if store is not None else open_store(config)
    return StaffService(config, staff_store(store), PinFile(pin_path(config)), printer,
                        tickets, displays=displays, scanner=scanner)
