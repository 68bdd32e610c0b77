"""The validated configuration as frozen objects (what the rest of the kiosk reads)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.config_reader import Problem
from kiosk.config_intake import IntakeConfig
from kiosk.config_server import ServerConfig
from kiosk.config_staff import StaffConfig
from kiosk.domain.hours import OpeningHours


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
    # check-in rules for this service's appointments ([appointments] with this service's
    # [service.appointments] applied); None only in objects built by hand in tests
    appointments: "ServiceAppointments | None" = None

    def name(self, lang: str, fallback: str) -> str:
        return self.names.get(lang) or self.names.get(fallback) or self.id


CALL_ORDER_CLASSES = ("emergency", "appointment", "walk_in")


@dataclass(frozen=True)
class ServiceAppointments:
    """How this service checks in and calls appointments."""
    prefix: str                   # ticket prefix of checked-in appointments, e.g. "T"
    early_min: int = 30           # check-in opens this long before the slot
    late_min: int = 15            # and closes this long after it
    too_early: str = "refuse"     # refuse | check_in
    call_order: tuple[str, ...] = CALL_ORDER_CLASSES
    zms_request_ids: tuple[int, ...] = ()  # ZMS request (service) ids mapped to it


@dataclass(frozen=True)
class ZmsConfig:
    url: str                      # API base, e.g. https://host/terminvereinbarung/api/2
    api_key_file: str | None      # ZMS workstation auth key (header X-Authkey): arrivals
    scope_id: int | None          # our office's ZMS scope id
    connect_timeout_s: float = 2.0
    read_timeout_s: float = 3.0
    retries: int = 2


@dataclass(frozen=True)
class AppointmentsConfig:
    enabled: bool = False
    source: str = "embedded"      # embedded | zms
    office_id: str = ""           # the office column of imported bookings
    key_file: str | None = None   # HMAC keys of our QR codes, newest first
    zms: ZmsConfig | None = None


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
    backend: str = "sqlite"  # sqlite | postgres | http
    path: str | None = None  # sqlite (and the http backend's outbox): default in data dir
    # postgres: a file holding the libpq connection string (it may carry a password, so
    # it is a file of its own, readable by the kiosk's user only, never the config)
    dsn_file: str | None = None
    pool_size: int = 4
    # http: the office server (`kiosk serve`) and this terminal's device token
    url: str | None = None
    token_file: str | None = None
    timeout_s: float = 2.0
    retries: int = 2
    # server unreachable: issue from a reserved local range ("local_range") or tell the
    # visitor to ask at the desk ("ask_at_desk")
    offline: str = "ask_at_desk"
    offline_range: tuple[int, int] = (900, 999)  # sequence numbers, e.g. A900-A999


@dataclass(frozen=True)
class HealthConfig:
    bind: str = "127.0.0.1"
    port: int = 8470
    token_file: str | None = None
    stuck_after_s: float = 30.0  # UI heartbeat older than this: /health says ui_stuck


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
    appointments: AppointmentsConfig = AppointmentsConfig()
    staff: StaffConfig = StaffConfig()
    intake: IntakeConfig = IntakeConfig()
    server: ServerConfig = ServerConfig()
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    def service(self, service_id: str) -> ServiceConfig | None:
        return next((s for s in self.services if s.id == service_id), None)

    def hours_for(self, service: ServiceConfig) -> OpeningHours:
        return service.hours if service.hours is not None else self.hours
