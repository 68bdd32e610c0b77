"""The device and backend tables of the configuration: [printer], [store], [health],
[[display]] and [scanner], each validated with precise FILE:LINE errors."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from kiosk.config_format import read_template
from kiosk.config_model import (DisplayConfig, HealthConfig, PrinterConfig, ScannerConfig,
                                StoreConfig)
from kiosk.config_reader import Reader

TRANSPORTS = ("serial", "usb", "lp", "network", "file")
FLOW_CONTROLS = ("none", "rtscts", "dsrdtr")
STORE_BACKENDS = ("sqlite", "postgres", "http")
OFFLINE_MODES = ("local_range", "ask_at_desk")
DISPLAY_FRAMINGS = ("alpha", "line")
SCANNER_TRANSPORTS = ("serial", "hid")
SCANNER_LAYOUTS = ("de", "us")


def read_printer(r: Reader, data: Any, path: tuple) -> PrinterConfig:
    if data is None:
        r.error(path, "missing table [printer]")
        return PrinterConfig(transport="file", path="/dev/null")
    known = {"transport", "device", "baudrate", "parity", "flow_control", "vendor_id",
             "product_id",
             "host", "port", "path", "profile", "width_mm", "qr", "timeout_s"}
    data = r.table(data, path, known)
    transport = r.get(data, path, "transport", str, "file", required=True)
    if transport not in TRANSPORTS:
        r.error(path + ("transport",), f"must be one of {', '.join(TRANSPORTS)}, got "
                f"{transport!r}")
    needs = {"serial": ("device",), "lp": ("device",), "usb": ("vendor_id", "product_id"),
             "network": ("host",), "file": ("path",)}.get(transport, ())
    for key in needs:
        if key not in data:
            r.error(path, f"transport {transport!r} needs the key '{key}'")
    if transport == "serial":
        check_serial_url(r, path + ("device",), data.get("device"))
    flow = r.get(data, path, "flow_control", str, "none")
    if flow not in FLOW_CONTROLS:
        r.error(path + ("flow_control",), f"must be one of {', '.join(FLOW_CONTROLS)}")
    parity = r.get(data, path, "parity", str, "N")
    if parity not in ("N", "E", "O"):
        r.error(path + ("parity",), "must be N, E or O")
    baudrate = r.get(data, path, "baudrate", int, 9600)
    if baudrate not in (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400):
        r.error(path + ("baudrate",), f"unusual baud rate {baudrate}")
    width = r.get(data, path, "width_mm", int, None)
    if width is not None and width not in (58, 80):
        r.error(path + ("width_mm",), "must be 58 or 80")
    timeout = r.get(data, path, "timeout_s", (int, float), 5.0)
    if not 0.1 <= timeout <= 60:
        r.error(path + ("timeout_s",), "must be between 0.1 and 60 seconds")
    from kiosk.devices.printer.profiles import PROFILES  # data only, no device I/O

    profile = r.get(data, path, "profile", str, "TM-T88V")
    if profile not in PROFILES:
        r.error(path + ("profile",), f"unknown profile {profile!r} (known: "
                f"{', '.join(sorted(PROFILES))})")
    return PrinterConfig(
        transport=transport, device=r.get(data, path, "device", str), baudrate=baudrate,
        parity=parity, flow_control=flow, vendor_id=r.get(data, path, "vendor_id", int),
        product_id=r.get(data, path, "product_id", int), host=r.get(data, path, "host", str),
        port=r.get(data, path, "port", int, 9100), path=r.get(data, path, "path", str),
        profile=profile, width_mm=width, qr=r.get(data, path, "qr", bool, True),
        timeout_s=float(timeout),
    )


def read_store(r: Reader, data: Any, path: tuple) -> StoreConfig:
    data = r.table(data, path, {"backend", "path", "dsn_file", "pool_size", "url",
                                "token_file", "timeout_s", "retries", "offline",
                                "offline_range"})
    backend = r.get(data, path, "backend", str, "sqlite")
    if backend not in STORE_BACKENDS:
        r.error(path + ("backend",), f"must be one of {', '.join(STORE_BACKENDS)}")
    dsn_file = r.get(data, path, "dsn_file", str)
    if backend == "postgres" and not dsn_file:
        r.error(path, "missing required key 'dsn_file' (a file with the PostgreSQL "
                      "connection string, e.g. postgresql://kiosk@db/kiosk)")
    pool_size = r.get(data, path, "pool_size", int, 4)
    if not 1 <= pool_size <= 64:
        r.error(path + ("pool_size",), "must be between 1 and 64")
        pool_size = 4
    url = r.get(data, path, "url", str)
    token_file = r.get(data, path, "token_file", str)
    if backend == "http":
        if not url:
            r.error(path, "missing required key 'url' (the office server, e.g. "
                          "https://kiosk-server.example:8480)")
        elif not url.startswith(("http://", "https://")):
            r.error(path + ("url",), "must start with http:// or https://")
        if not token_file:
            r.error(path, "missing required key 'token_file' (this terminal's token, "
                          "from `kiosk serve token add NAME --role terminal`)")
    timeout = r.get(data, path, "timeout_s", (int, float), 2.0)
    if not 0.2 <= timeout <= 30:
        r.error(path + ("timeout_s",), "must be between 0.2 and 30 seconds")
        timeout = 2.0
    retries = r.get(data, path, "retries", int, 2)
    if not 0 <= retries <= 5:
        r.error(path + ("retries",), "must be between 0 and 5")
        retries = 2
    offline = r.get(data, path, "offline", str, "ask_at_desk")
    if offline not in OFFLINE_MODES:
        r.error(path + ("offline",), f"must be one of {', '.join(OFFLINE_MODES)}")
        offline = "ask_at_desk"
    offline_range = _number_range(r, data, path)
    return StoreConfig(backend=backend, path=r.get(data, path, "path", str),
                       dsn_file=dsn_file, pool_size=pool_size, url=url,
                       token_file=token_file, timeout_s=float(timeout), retries=retries,
                       offline=offline, offline_range=offline_range)


def _number_range(r: Reader, data: Any, path: tuple) -> tuple[int, int]:
    text = r.get(data, path, "offline_range", str, "900-999")
    match = re.fullmatch(r"(\d{1,3})-(\d{1,3})", text.strip())
    if not match or not 1 <= int(match[1]) <= int(match[2]) <= 999:
        r.error(path + ("offline_range",), 'must be two sequence numbers like "900-999" '
                                           '(1 to 999, the first not above the second)')
        return (900, 999)
    return (int(match[1]), int(match[2]))


def read_health(r: Reader, data: Any, path: tuple) -> HealthConfig:
    data = r.table(data, path, {"bind", "port", "token_file", "stuck_after_s"})
    port = r.get(data, path, "port", int, 8470)
    if not 1 <= port <= 65535:
        r.error(path + ("port",), "must be between 1 and 65535")
    stuck = r.get(data, path, "stuck_after_s", (int, float), 30)
    # below the 5 s snapshot refresh a busy moment would read as stuck; above 10 min
    # nobody would wait that long in front of a frozen screen
    if not 5 <= stuck <= 600:
        r.error(path + ("stuck_after_s",), "must be between 5 and 600 seconds")
        stuck = 30
    return HealthConfig(bind=r.get(data, path, "bind", str, "127.0.0.1"), port=port,
                        token_file=r.get(data, path, "token_file", str),
                        stuck_after_s=float(stuck))


def read_displays(r: Reader, data: Any) -> list[DisplayConfig]:
    if not isinstance(data, list):
        r.error(("display",), "use [[display]] (an array of tables)")
        return []
    displays = []
    known = {"id", "device", "framing", "baudrate", "address", "width", "lines", "encoding",
             "max_calls", "counter_format", "parity", "chime_command"}
    for i, raw in enumerate(data):
        path = ("display", i)
        raw = r.table(raw, path, known)
        framing = r.get(raw, path, "framing", str, "alpha")
        if framing not in DISPLAY_FRAMINGS:
            r.error(path + ("framing",), f"must be one of {', '.join(DISPLAY_FRAMINGS)}")
        address = r.get(raw, path, "address", str, "00")
        if not re.fullmatch(r"[0-9A-F]{2}", address):
            r.error(path + ("address",), "must be two uppercase hex digits, e.g. \"00\"")
        encoding = r.get(raw, path, "encoding", str, "cp437")
        try:
            "x".encode(encoding)
        except LookupError:
            r.error(path + ("encoding",), f"unknown encoding {encoding!r}")
        counter_format = read_template(r, raw, path, "counter_format", "Schalter {counter}")
        parity = r.get(raw, path, "parity", str, "N")
        if parity not in ("N", "E", "O"):
            r.error(path + ("parity",), "must be N, E or O")
        chime = r.get(raw, path, "chime_command", list, [])
        if not all(isinstance(part, str) for part in chime):
            r.error(path + ("chime_command",), "must be a list of strings (program and "
                    "arguments)")
            chime = []
        max_calls = r.get(raw, path, "max_calls", int, 3)
        if not 1 <= max_calls <= 10:
            r.error(path + ("max_calls",), "must be between 1 and 10")
            max_calls = 3
        check_serial_url(r, path + ("device",), raw.get("device"))
        displays.append(DisplayConfig(
            id=r.get(raw, path, "id", str, f"display-{i}"),
            device=r.get(raw, path, "device", str, "", required=True), framing=framing,
            baudrate=r.get(raw, path, "baudrate", int, 9600), address=address,
            width=r.get(raw, path, "width", int, 20), lines=r.get(raw, path, "lines", int, 2),
            encoding=encoding, max_calls=max_calls, counter_format=counter_format,
            parity=parity, chime_command=tuple(chime)))
    return displays


def read_scanner(r: Reader, data: Any, path: tuple) -> ScannerConfig | None:
    data = r.table(data, path, {"transport", "device", "baudrate", "terminator", "layout",
                                "max_length"})
    transport = r.get(data, path, "transport", str, "serial", required=True)
    if transport not in SCANNER_TRANSPORTS:
        r.error(path + ("transport",), f"must be one of {', '.join(SCANNER_TRANSPORTS)}")
    layout = r.get(data, path, "layout", str, "de")
    if layout not in SCANNER_LAYOUTS:
        r.error(path + ("layout",), f"must be one of {', '.join(SCANNER_LAYOUTS)}")
    terminator = r.get(data, path, "terminator", str, "\r")
    if terminator not in ("\r", "\n", "\r\n", "\t"):
        r.error(path + ("terminator",), 'must be "\\r", "\\n", "\\r\\n" or "\\t"')
    max_length = r.get(data, path, "max_length", int, 512)
    if not 16 <= max_length <= 4096:
        r.error(path + ("max_length",), "must be between 16 and 4096")
    if transport == "serial":
        check_serial_url(r, path + ("device",), data.get("device"))
    return ScannerConfig(transport=transport, device=r.get(data, path, "device", str, "",
                                                           required=True),
                         baudrate=r.get(data, path, "baudrate", int, 9600),
                         terminator=terminator, layout=layout, max_length=max_length)


def check_serial_url(r: Reader, path: tuple, device: Any) -> None:
    """A device given as a URL must use a scheme pyserial's serial_for_url can open: a
    misspelt one ("sokcet://") would otherwise only show at run time as offline."""
    if not isinstance(device, str) or "://" not in device:
        return  # a device path such as /dev/kiosk-printer
    scheme = device.split("://", 1)[0].lower()
    usable, unusable = pyserial_url_schemes()
    if scheme in usable:
        return
    if scheme in unusable:
        r.error(path, f"URL scheme '{scheme}://' cannot be used here: {unusable[scheme]}")
        return
    import difflib  # only for a mistake: not on every start's path (issue 9 item 3)

    close = difflib.get_close_matches(scheme, usable, n=1)
    hint = f"did you mean '{close[0]}://'? " if close else ""
    r.error(path, f"unknown URL scheme '{scheme}://': {hint}(pyserial knows "
            f"{', '.join(s + '://' for s in usable)}, or give a device path)")


@lru_cache(maxsize=1)
def pyserial_url_schemes() -> tuple[tuple[str, ...], dict[str, str]]:
    """(schemes serial_for_url can open, {scheme: why not} for handlers that fail to
    import). Found as serial_for_url finds them: a module protocol_<scheme> in one of
    serial.protocol_handler_packages."""
    import importlib
    import pkgutil

    import serial

    usable: set[str] = set()
    unusable: dict[str, str] = {}
    for package in serial.protocol_handler_packages:
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
            if not info.name.startswith("protocol_"):
                continue
            scheme = info.name[len("protocol_"):]
            try:
                importlib.import_module(f"{package}.{info.name}")
            except ImportError as err:  # e.g. cp2110:// without the hid module
                unusable.setdefault(scheme, str(err))
            else:
                usable.add(scheme)
    return tuple(sorted(usable)), {k: v for k, v in unusable.items() if k not in usable}
