"""Probe functions for `kiosk devices`: open each configured device briefly, ask what
it can tell, close it. A device another process holds is HELD: the running kiosk's
state snapshot (`running_kiosk`) then answers for it."""

from __future__ import annotations

import os

from kiosk.config import Config, DisplayConfig, PrinterConfig, ScannerConfig
from kiosk.services.device_check import HELD


def printer_where(p: PrinterConfig) -> str:
    return {"serial": p.device, "lp": p.device, "file": p.path,
            "network": f"{p.host}:{p.port}",
            "usb": f"{p.vendor_id or 0:04x}:{p.product_id or 0:04x}"}.get(p.transport, "?")


def probe_printer(printer: PrinterConfig):
    from kiosk.devices.printer.driver import ask_status
    from kiosk.devices.printer.transports import DeviceBusy, TransportError
    from kiosk.wiring import build_transport

    def probe() -> tuple[str, str]:
        transport = build_transport(printer)
        try:
            if printer.transport == "file":
                transport.write(b"")  # the file must be writable
            try:
                status = transport.status()
            except DeviceBusy as err:  # another process has it open: not a fault
                return HELD, err.reason
            except TransportError:
                status = None
            if status is None:
                status = ask_status(transport)  # its wording for silence and unreachable
        finally:
            transport.close()
        return status.state.value, status.cause
    return probe


def _probe_serial(url: str, baudrate: int, what: str):
    def probe() -> tuple[str, str]:
        import serial

        options = {"baudrate": baudrate, "timeout": 0}
        if "://" not in url:
            options["exclusive"] = True  # a port the running kiosk holds shows as busy
        try:
            port = serial.serial_for_url(url, **options)
        except serial.SerialException as err:
            text = str(err)
            if "exclusively lock" in text:
                return HELD, "device busy"
            return "offline", text.splitlines()[0][:120]
        port.close()
        return "online", f"port opens; {what}"
    return probe


def probe_display(display: DisplayConfig):
    return _probe_serial(display.device, display.baudrate, "signs do not report status")


def probe_scanner(scanner: ScannerConfig):
    if scanner.transport == "serial":
        return _probe_serial(scanner.device, scanner.baudrate, "waiting for scans")

    def probe() -> tuple[str, str]:
        if not os.path.exists(scanner.device):
            return "offline", f"{scanner.device} does not exist"
        if not os.access(scanner.device, os.R_OK):
            return "error", "no read permission (add the user to the input group)"
        try:
            import evdev  # noqa: F401
        except ImportError:
            return "error", "python evdev not installed (pip install 'kiosk[scanner]')"
        return "online", "input device readable"
    return probe


def configured_probes(config: Config):
    probes = [("printer", config.printer.profile, printer_where(config.printer),
               probe_printer(config.printer))]
    probes += [("display", d.id, d.device, probe_display(d)) for d in config.displays]
    if config.scanner is not None:
        probes.append(("scanner", config.scanner.transport, config.scanner.device,
                       probe_scanner(config.scanner)))
    return probes


def running_kiosk():
    """The state snapshot of the kiosk running on this data dir, judged fresh or not."""
    from kiosk.domain.clock import utc_now
    from kiosk.health.state_file import KioskView, read_view, state_path
    from kiosk.paths import data_dir

    try:
        folder = data_dir()
    except OSError as err:
        return KioskView(None, f"no data dir to read the kiosk's state from "
                               f"({err.strerror or type(err).__name__})")
    return read_view(state_path(folder), utc_now())
