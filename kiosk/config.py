"""Load the TOML configuration into frozen, validated objects. Every problem is
reported as FILE:LINE: key: what is wrong, all of them at once. Device and backend
tables are read in config_devices, the objects live in config_model."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from kiosk.config_devices import (read_displays, read_health, read_printer, read_scanner,
                                  read_store)
from kiosk.config_model import (Config, DisplayConfig, HealthConfig,  # noqa: F401
                                PrinterConfig, ScannerConfig, ScreenGeometry,
                                ServiceConfig, StoreConfig)
from kiosk.config_reader import ConfigError, Problem, Reader  # noqa: F401
from kiosk.domain.hours import WEEKDAYS, OpeningHours, parse_range
from kiosk.i18n import LANGUAGES
from kiosk.toml_lines import LineIndex


def default_config_path() -> Path:
    env = os.environ.get("KIOSK_CONFIG")
    return Path(env) if env else Path("config/kiosk.toml")


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
    r = Reader(file, index, problems)
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
    printer = read_printer(r, data.get("printer"), ("printer",))
    store = read_store(r, data.get("store", {}), ("store",))
    health = read_health(r, data.get("health", {}), ("health",))
    displays = read_displays(r, data.get("display", []))
    scanner = read_scanner(r, data["scanner"], ("scanner",)) if "scanner" in data else None

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


def _screen(r: Reader, data: Any, path: tuple) -> ScreenGeometry:
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


def _hours(r: Reader, data: Any, path: tuple) -> OpeningHours:
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


def _services(r: Reader, data: Any, default_language: str) -> list[ServiceConfig]:
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


def _lang_table(r: Reader, raw: dict, path: tuple, key: str,
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
