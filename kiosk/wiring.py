"""Composition root: builds the store, devices and services from a Config. The app and
the CLI both call this, so a tap and a command take the same path."""

from __future__ import annotations

from pathlib import Path

from kiosk.config import Config, PrinterConfig
from kiosk.paths import data_dir


def store_path(config: Config) -> Path:
    return Path(config.store.path) if config.store.path else data_dir() / "kiosk.sqlite3"


def open_store(config: Config):
    from kiosk.store.sqlite import SqliteStore

    return SqliteStore(store_path(config), terminal_id=config.terminal_id)


def build_printer(printer: PrinterConfig):
    from kiosk.devices.printer.driver import TicketPrinter
    from kiosk.devices.printer.profiles import PROFILES
    from kiosk.devices.printer.transports import FileTransport, SerialTransport

    profile = PROFILES[printer.profile].with_width(printer.width_mm)
    if printer.transport == "serial":
        transport = SerialTransport(printer.device, printer.baudrate, printer.flow_control,
                                    printer.timeout_s)
    elif printer.transport == "file":
        transport = FileTransport(printer.path)
    else:
        transport = _unsupported(printer.transport)
    return TicketPrinter(transport, profile)


def _unsupported(name: str):
    from kiosk.devices.printer.transports import TransportError

    class Unsupported:
        description = f"{name} (not available in this version)"

        def write(self, data: bytes) -> None:
            raise TransportError(f"transport {name!r} is not available in this version")

        def status(self):
            raise TransportError(f"transport {name!r} is not available in this version")

        def close(self) -> None:
            pass

    return Unsupported()


def ticket_service(config: Config, store=None, printer=None, **kwargs):
    from kiosk.services.issue_ticket import TicketService

    store = store if store is not None else open_store(config)
    printer = printer if printer is not None else build_printer(config.printer)
    return TicketService(config, store, printer, **kwargs)
