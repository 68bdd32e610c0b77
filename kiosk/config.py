"""Load the TOML configuration into frozen, validated objects. Every problem is
reported as FILE:LINE: key: what is wrong, all of them at once."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.domain.hours import WEEKDAYS, OpeningHours, parse_range
from kiosk.i18n import LANGUAGES
from kiosk.toml_lines import LineIndex

TRANSPORTS = ("serial", "usb", "lp", "network", "file")
FLOW_CONTROLS = ("none", "rtscts", "dsrdtr")
STORE_BACKENDS = ("sqlite",)
DISPLAY_FRAMINGS = ("alpha", "line")
SCANNER_TRANSPORTS = ("serial", "hid")
SCANNER_LAYOUTS = ("de", "us")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    key: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        return f"{self.file}:{self.line}: {kind}{self.key}: {self.message}"


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class ScreenGeometry:
    width_mm: float
    height_mm: float
    width_px: int
    height_px: int

    @property
    def px_per_mm(self) -> float:
        return self.width_px / self.width_mm


@dataclass(frozen=True)
class ServiceConfig:
    id: str
    prefix: str
    names: dict[str, str]
    group: dict[str, str] | None
    enabled: bool
    daily_quota: int | None
    hours: OpeningHours | None  # None: the office hours apply

    def name(self, lang: str, fallback: str) -> str:
        return self.names.get(lang) or self.names.get(fallback) or self.id


@dataclass(frozen=True)
class PrinterConfig:
    transport: str
    device: str | None = None
    baudrate: int = 9600
    parity: str = "N"
    flow_control: str = "none"
    vendor_id: int | None = None
    product_id: int | None = None
    host: str | None = None
    port: int = 9100
    path: str | None = None
    profile: str = "TM-T88V"
    width_mm: int | None = None
    qr: bool = True
    timeout_s: float = 5.0


@dataclass(frozen=True)
class DisplayConfig:
    id: str
    device: str
    framing: str = "alpha"
    baudrate: int = 9600
    address: str = "00"
    width: int = 20
    lines: int = 2
    encoding: str = "cp437"
    max_calls: int = 3
    counter_format: str = "Schalter {counter}"
    parity: str = "N"
    chime_command: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScannerConfig:
    transport: str  # serial | hid
    device: str
    baudrate: int = 9600
    terminator: str = "\r"
    layout: str = "de"
    max_length: int = 512


@dataclass(frozen=True)
class StoreConfig:
    backend: str = "sqlite"
    path: str | None = None  # default: $KIOSK_DATA_DIR/kiosk.sqlite3


@dataclass(frozen=True)
class HealthConfig:
    bind: str = "127.0.0.1"
    port: int = 8470
    token_file: str | None = None


@dataclass(frozen=True)
class Config:
    source: str
    terminal_id: str
    office: str
    languages: tuple[str, ...]
    default_language: str
    idle_timeout_s: int
    idle_warning_s: int
    screen: ScreenGeometry
    hours: OpeningHours
    services: tuple[ServiceConfig, ...]
    printer: PrinterConfig
    store: StoreConfig
    health: HealthConfig
    displays: tuple[DisplayConfig, ...] = ()
    scanner: ScannerConfig | None = None
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    def service(self, service_id: str) -> ServiceConfig | None:
        return next((s for s in self.services if s.id == service_id), None)

    def hours_for(self, service: ServiceConfig) -> OpeningHours:
        return service.hours if service.hours is not None else self.hours


def default_config_path() -> Path:
    env = os.environ.get("KIOSK_CONFIG")
    return Path(env) if env else Path("config/kiosk.toml")


class _Reader:
    """Reads one table, recording problems with their lines; unknown keys are errors."""

    def __init__(self, file: str, index: LineIndex, problems: list[Problem]) -> None:
        self.file, self.index, self.problems = file, index, problems

    def error(self, path: tuple, message: str, warning: bool = False) -> None:
        key = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in path)
        key = key.replace(".[", "[")
        self.problems.append(Problem(self.file, self.index.line_of(path), key, message, warning))

    def table(self, data: Any, path: tuple, known: set[str]) -> dict:
        if not isinstance(data, dict):
            self.error(path, "must be a table")
            return {}
        for key in data:
            if key not in known:
                hint = f" (known keys: {', '.join(sorted(known))})"
                self.error(path + (key,), "unknown key" + hint)
        return data

    def get(self, data: dict, path: tuple, key: str, kind: type | tuple, default: Any = ...,
            required: bool = False) -> Any:
        if key not in data:
            if required:
                self.error(path, f"missing required key '{key}'")
            return None if default is ... else default
        value = data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # bool is an int in Python; TOML true must not pass as a number
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        else:
            ok = isinstance(value, kinds)
        if not ok:
            names = " or ".join(_type_name(k) for k in kinds)
            self.error(path + (key,), f"must be {names}, got {_type_name(type(value))} {value!r}")
            return None if default is ... else default
        return value


def _type_name(kind: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false",
            list: "a list", dict: "a table"}.get(kind, kind.__name__)


def load_config(path: str | Path) -> Config:
    """Parse and validate; raise ConfigError naming FILE:LINE for every problem."""
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError([Problem(file, 0, "-", f"cannot read file: {err.strerror}")]) from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"line (\d+)", str(err))
        line = int(match.group(1)) if match else 1
        raise ConfigError([Problem(file, line, "-", f"not valid TOML: {err}")]) from err
    return parse_config(data, file, LineIndex(text))


def parse_config(data: dict, file: str, index: LineIndex) -> Config:
    problems: list[Problem] = []
    r = _Reader(file, index, problems)
    r.table(data, (), {"terminal", "hours", "service", "printer", "store", "health", "display",
                       "scanner"})

    term = r.table(data.get("terminal", {}), ("terminal",),
                   {"id", "office", "languages", "default_language", "idle_timeout_s",
                    "idle_warning_s", "screen"})
    if "terminal" not in data:
        r.error(("terminal",), "missing table [terminal]")
    tp = ("terminal",)
    terminal_id = r.get(term, tp, "id", str, "", required=True)
    if terminal_id and not re.fullmatch(r"[a-z0-9][a-z0-9\-]{0,39}", terminal_id):
        r.error(tp + ("id",), "use lowercase letters, digits and '-' (max 40)")
    office = r.get(term, tp, "office", str, "", required=True)
    languages = r.get(term, tp, "languages", list, ["de"], required=True) or ["de"]
    for i, lang in enumerate(languages):
        if lang not in LANGUAGES:
            r.error(tp + ("languages",), f"unknown language {lang!r} (available: "
                    f"{', '.join(LANGUAGES)})")
    if len(set(languages)) != len(languages):
        r.error(tp + ("languages",), "a language is listed twice")
    languages = [lang for lang in languages if lang in LANGUAGES] or ["de"]
    default_language = r.get(term, tp, "default_language", str, languages[0])
    if default_language not in languages:
        r.error(tp + ("default_language",), f"{default_language!r} is not in languages")
        default_language = languages[0]
    idle_timeout_s = r.get(term, tp, "idle_timeout_s", int, 90)
    idle_warning_s = r.get(term, tp, "idle_warning_s", int, 30)
    if idle_warning_s < 20:
        r.error(tp + ("idle_warning_s",), "must be at least 20 seconds (EN 301 549)")
    if idle_timeout_s < idle_warning_s + 10:
        r.error(tp + ("idle_timeout_s",), "must be at least idle_warning_s + 10 seconds")
    screen = _screen(r, term.get("screen", {}), tp + ("screen",))

    hours = _hours(r, data.get("hours", {}), ("hours",))
    services = _services(r, data.get("service", []), default_language)
    printer = _printer(r, data.get("printer"), ("printer",))
    store = _store(r, data.get("store", {}), ("store",))
    health = _health(r, data.get("health", {}), ("health",))
    displays = _displays(r, data.get("display", []))
    scanner = _scanner(r, data["scanner"], ("scanner",)) if "scanner" in data else None

    for position, service in enumerate(services):
        missing = [lang for lang in languages if lang not in service.names]
        if missing and service.names:
            r.error(("service", position, "names"), f"no name for {', '.join(missing)}; "
                    f"the {default_language!r} name is shown", warning=True)

    errors = [p for p in problems if not p.warning]
    if errors:
        raise ConfigError(errors)
    return Config(
        source=file, terminal_id=terminal_id, office=office, languages=tuple(languages),
        default_language=default_language, idle_timeout_s=idle_timeout_s,
        idle_warning_s=idle_warning_s, screen=screen, hours=hours, services=tuple(services),
        printer=printer, store=store, health=health, displays=tuple(displays), scanner=scanner,
        warnings=tuple(p for p in problems if p.warning),
    )


def _screen(r: _Reader, data: Any, path: tuple) -> ScreenGeometry:
    data = r.table(data, path, {"width_mm", "height_mm", "width_px", "height_px"})
    values = {}
    for key, default in (("width_mm", 477.0), ("height_mm", 268.0)):
        value = r.get(data, path, key, (int, float), default)
        if value <= 0:
            r.error(path + (key,), "must be greater than 0")
            value = default
        values[key] = float(value)
    for key, default in (("width_px", 1920), ("height_px", 1080)):
        value = r.get(data, path, key, int, default)
        if value < 320:
            r.error(path + (key,), "must be at least 320 pixels")
            value = default
        values[key] = value
    return ScreenGeometry(**values)


def _hours(r: _Reader, data: Any, path: tuple) -> OpeningHours:
    data = r.table(data, path, set(WEEKDAYS))
    days: dict[str, tuple] = {}
    for day in WEEKDAYS:
        ranges = r.get(data, path, day, list, [])
        parsed = []
        for text in ranges:
            if not isinstance(text, str):
                r.error(path + (day,), f"each range must be a string like \"07:30-12:00\", "
                        f"got {text!r}")
                continue
            try:
                parsed.append(parse_range(text))
            except ValueError as err:
                r.error(path + (day,), str(err))
        parsed.sort()
        for earlier, later in zip(parsed, parsed[1:]):
            if later[0] < earlier[1]:
                r.error(path + (day,), "opening ranges overlap")
        days[day] = tuple(parsed)
    return OpeningHours(days)


def _services(r: _Reader, data: Any, default_language: str) -> list[ServiceConfig]:
    if not isinstance(data, list) or not data:
        r.error(("service",), "at least one [[service]] is required")
        return []
    services: list[ServiceConfig] = []
    seen_ids: dict[str, int] = {}
    seen_prefixes: dict[str, int] = {}
    known = {"id", "prefix", "names", "group", "enabled", "daily_quota", "hours"}
    for i, raw in enumerate(data):
        path = ("service", i)
        raw = r.table(raw, path, known)
        sid = r.get(raw, path, "id", str, f"service-{i}", required=True)
        if not re.fullmatch(r"[a-z0-9][a-z0-9_\-]{0,39}", sid):
            r.error(path + ("id",), "use lowercase letters, digits, '-' and '_'")
        if sid in seen_ids:
            r.error(path + ("id",), f"duplicate service id {sid!r} (also service "
                    f"#{seen_ids[sid] + 1})")
        seen_ids.setdefault(sid, i)
        prefix = r.get(raw, path, "prefix", str, "?", required=True)
        if not re.fullmatch(r"[A-Z]", prefix):
            r.error(path + ("prefix",), f"must be one capital letter A-Z, got {prefix!r}")
        elif prefix in seen_prefixes:
            r.error(path + ("prefix",), f"duplicate prefix {prefix!r} (also service "
                    f"#{seen_prefixes[prefix] + 1})")
        seen_prefixes.setdefault(prefix, i)
        names = _lang_table(r, raw, path, "names", required=True) or {}
        if names and default_language not in names:
            r.error(path + ("names",), f"needs a name in the default language "
                    f"{default_language!r}")
        group = None
        if "group" in raw:
            if isinstance(raw["group"], str):
                group = {default_language: raw["group"]}
            else:
                group = _lang_table(r, raw, path, "group")
        enabled = r.get(raw, path, "enabled", bool, True)
        quota = r.get(raw, path, "daily_quota", int, None)
        if quota is not None and not 1 <= quota <= 999:
            r.error(path + ("daily_quota",), "must be between 1 and 999 (3-digit numbers)")
            quota = None
        hours = _hours(r, raw["hours"], path + ("hours",)) if "hours" in raw else None
        services.append(ServiceConfig(sid, prefix, names, group, enabled, quota, hours))
    return services


def _lang_table(r: _Reader, raw: dict, path: tuple, key: str,
                required: bool = False) -> dict[str, str] | None:
    table = r.get(raw, path, key, dict, None, required=required)
    if table is None:
        return None
    result = {}
    for lang, text in table.items():
        if lang not in LANGUAGES:
            r.error(path + (key, lang), f"unknown language {lang!r}")
        elif not isinstance(text, str) or not text.strip():
            r.error(path + (key, lang), "must be a non-empty string")
        else:
            result[lang] = text
    return result


def _printer(r: _Reader, data: Any, path: tuple) -> PrinterConfig:
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


def _store(r: _Reader, data: Any, path: tuple) -> StoreConfig:
    data = r.table(data, path, {"backend", "path"})
    backend = r.get(data, path, "backend", str, "sqlite")
    if backend not in STORE_BACKENDS:
        r.error(path + ("backend",), f"must be one of {', '.join(STORE_BACKENDS)}")
    return StoreConfig(backend=backend, path=r.get(data, path, "path", str))


def _health(r: _Reader, data: Any, path: tuple) -> HealthConfig:
    data = r.table(data, path, {"bind", "port", "token_file"})
    port = r.get(data, path, "port", int, 8470)
    if not 1 <= port <= 65535:
        r.error(path + ("port",), "must be between 1 and 65535")
    return HealthConfig(bind=r.get(data, path, "bind", str, "127.0.0.1"), port=port,
                        token_file=r.get(data, path, "token_file", str))


def _displays(r: _Reader, data: Any) -> list[DisplayConfig]:
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
        counter_format = r.get(raw, path, "counter_format", str, "Schalter {counter}")
        try:
            counter_format.format(counter="3")
        except (KeyError, IndexError, ValueError):
            r.error(path + ("counter_format",), "may only use the placeholder {counter}")
            counter_format = "Schalter {counter}"
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
        displays.append(DisplayConfig(
            id=r.get(raw, path, "id", str, f"display-{i}"),
            device=r.get(raw, path, "device", str, "", required=True), framing=framing,
            baudrate=r.get(raw, path, "baudrate", int, 9600), address=address,
            width=r.get(raw, path, "width", int, 20), lines=r.get(raw, path, "lines", int, 2),
            encoding=encoding, max_calls=max_calls, counter_format=counter_format,
            parity=parity, chime_command=tuple(chime)))
    return displays


def _scanner(r: _Reader, data: Any, path: tuple) -> ScannerConfig | None:
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
    return ScannerConfig(transport=transport, device=r.get(data, path, "device", str, "",
                                                           required=True),
                         baudrate=r.get(data, path, "baudrate", int, 9600),
                         terminator=terminator, layout=layout, max_length=max_length)
