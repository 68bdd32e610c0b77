"""Load the TOML configuration into frozen, validated objects. Every problem is
reported as FILE:LINE: key: what is wrong, all of them at once. Device and backend
tables are read in config_devices, the objects live in config_model."""

from __future__ import annotations

import codecs
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from kiosk.config_appointments import read_appointments, read_service_appointments
from kiosk.config_devices import (read_displays, read_health, read_printer, read_scanner,
                                  read_store)
from kiosk.config_model import (Config, DisplayConfig, HealthConfig,  # noqa: F401
                                PrinterConfig, ScannerConfig, ScreenGeometry,
                                ServiceConfig, StoreConfig)
from kiosk.config_reader import (ConfigError, Problem, Reader,  # noqa: F401
                                 did_you_mean, key_label)
from kiosk.config_intake import read_intake
from kiosk.config_server import read_server
from kiosk.config_staff import read_staff
from kiosk.domain.hours import WEEKDAYS, OpeningHours, parse_range
from kiosk.i18n import LANGUAGES
from kiosk.screen_fit import screen_warning
from kiosk.toml_lines import LineIndex


def default_config_path() -> Path:
    env = os.environ.get("KIOSK_CONFIG")
    return Path(env) if env else Path("config/kiosk.toml")


def load_default_config() -> Config:
    """The configuration named by $KIOSK_CONFIG, else config/kiosk.toml; when that file
    is missing, say which file was looked for and how to start."""
    path = default_config_path()
    if not path.exists():
        from kiosk.paths import config_resource

        example = Path("config/kiosk.example.toml")
        if not example.exists():  # not started in the source tree: the installed copy
            example = config_resource("kiosk.example.toml")
        start = f"copy {example} to {path}, or pass --config FILE / set KIOSK_CONFIG"
        if os.environ.get("KIOSK_CONFIG"):
            message = f"no such file (named by KIOSK_CONFIG); to start, {start}"
        else:
            message = (f"no configuration file (looked for {path.absolute()}: the default "
                       f"without --config or KIOSK_CONFIG); to start, {start}")
        raise ConfigError([Problem(str(path), None, None, message)])
    return load_config(path)


# Quotes a word processor or a mail program puts in; TOML only knows " and '.
_TYPOGRAPHIC_QUOTES = "\u201c\u201d\u201e\u201f\u2018\u2019\u201a\u201b\u00ab\u00bb\u2039\u203a"


def load_config(path: str | Path) -> Config:
    """Parse and validate; raise ConfigError naming FILE:LINE for every problem."""
    path = Path(path)
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        reason = err.strerror or str(err)
        raise ConfigError([Problem(file, None, None, f"cannot read file: {reason}")]) from err
    text = _decode(raw, file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError([_syntax_problem(err, text, file)]) from err
    return parse_config(data, file, LineIndex(text))


def _decode(raw: bytes, file: str) -> str:
    """The file as text: UTF-8, with or without the byte order mark Windows editors add."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ConfigError([Problem(file, None, None, "not UTF-8 but UTF-16 (Notepad calls "
                                   "it \"Unicode\"); save it as UTF-8")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise ConfigError([Problem(
            file, None, None, f"not UTF-8 (byte 0x{raw[err.start]:02x} at line {line}); "
            f"saved as Windows-1252? save it as UTF-8")]) from None


def _syntax_problem(err: tomllib.TOMLDecodeError, text: str, file: str) -> Problem:
    index = LineIndex(text)
    match = re.search(r"line (\d+)", str(err))
    if match:
        line = int(match.group(1))
    else:  # "at end of document": where the string that never ends began, else the end
        line = index.unclosed_string_line or max(1, len(text.splitlines()))
    path = index.path_at(line)
    labels = {}
    if path and len(path) >= 2 and path[0] == "service":  # name the service by its id
        sid = index.simple_string(path[:2] + ("id",))
        if sid:
            labels[path[:2]] = f'service "{sid[:40]}"'
    message = f"not valid TOML: {err}"
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    if any(q in source for q in _TYPOGRAPHIC_QUOTES):
        message += "; use straight quotes \" instead of typographic quotes"
    return Problem(file, line, key_label(path, labels) if path else "-", message)


def parse_config(data: dict, file: str, index: LineIndex) -> Config:
    problems: list[Problem] = []
    r = Reader(file, index, problems)
    r.table(data, (), {"terminal", "hours", "service", "printer", "store", "health", "display",
                       "scanner", "appointments", "staff", "intake", "server"})

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
    if not all(isinstance(lang, str) for lang in languages):
        r.error(tp + ("languages",), 'must be a list of language codes like ["de", "en"]')
        languages = [lang for lang in languages if isinstance(lang, str)] or ["de"]
    for lang in languages:
        if lang not in LANGUAGES:
            r.error(tp + ("languages",), f"unknown language {lang!r}" + (
                _language_hint(lang) or f" (available: {', '.join(LANGUAGES)})"))
    if len(set(languages)) != len(languages):
        r.error(tp + ("languages",), "a language is listed twice")
    languages = [lang for lang in languages if lang in LANGUAGES] or ["de"]
    default_language = r.get(term, tp, "default_language", str, languages[0])
    if default_language not in languages:
        r.error(tp + ("default_language",), f"{default_language!r} is not in languages"
                + _language_hint(default_language, languages))
        default_language = languages[0]
    idle_timeout_s = r.get(term, tp, "idle_timeout_s", int, 90)
    idle_warning_s = r.get(term, tp, "idle_warning_s", int, 30)
    if idle_warning_s < 20:
        r.error(tp + ("idle_warning_s",), "must be at least 20 seconds (EN 301 549)")
    if idle_timeout_s < idle_warning_s + 10:
        r.error(tp + ("idle_timeout_s",), "must be at least idle_warning_s + 10 seconds")
    screen = _screen(r, term.get("screen", {}), tp + ("screen",))

    # No [hours] at all: always open (documented). An [hours] table without any range
    # means closed every day, and check-config says so.
    hours = (_hours(r, data["hours"], ("hours",), "office") if "hours" in data
             else OpeningHours.around_the_clock())
    appointments, rules = read_appointments(r, data.get("appointments"), ("appointments",))
    services = _services(r, data.get("service", []), default_language, rules)
    printer = read_printer(r, data.get("printer"), ("printer",))
    store = read_store(r, data.get("store", {}), ("store",))
    health = read_health(r, data.get("health", {}), ("health",))
    displays = read_displays(r, data.get("display", []))
    scanner = read_scanner(r, data["scanner"], ("scanner",)) if "scanner" in data else None
    staff = read_staff(r, data.get("staff", {}), ("staff",))
    intake = read_intake(r, data.get("intake"), ("intake",), {s.id for s in services})
    server = read_server(r, data.get("server"), ("server",))

    walk_in_prefixes = {s.prefix: s.id for s in services}
    for position, service in enumerate(services):
        other = walk_in_prefixes.get(service.appointments.prefix)
        if other is not None and other != service.id:
            r.error(("service", position, "appointments"), f"appointment prefix "
                    f"{service.appointments.prefix!r} is the walk-in prefix of service "
                    f"{other!r}: numbers would collide")
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
        appointments=appointments, staff=staff, intake=intake, server=server,
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
    geometry = ScreenGeometry(**values)
    too_small = screen_warning(geometry.width_mm, geometry.height_mm, geometry.width_px,
                               geometry.height_px)
    if too_small:
        r.error(path, too_small, warning=True)
    return geometry


_NEVER_OPEN = {
    "office": "the office is never open: [hours] has no opening range on any day, so "
              "services without their own hours never issue tickets (leave out [hours] "
              "to be open around the clock)",
    "service": "this service is never open: its hours have no opening range on any day, "
               "so it never issues tickets (leave out its hours to use the office hours)",
}


def _hours(r: Reader, data: Any, path: tuple, whose: str) -> OpeningHours:
    problems_before = len(r.problems)
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
    hours = OpeningHours(days)
    # warn only about a table written empty, not one emptied by the errors above
    if hours.always_closed and len(r.problems) == problems_before:
        r.error(path, _NEVER_OPEN[whose], warning=True)
    return hours


def _services(r: Reader, data: Any, default_language: str,
              rules: dict) -> list[ServiceConfig]:
    if not isinstance(data, list) or not data:
        r.error(("service",), "at least one [[service]] is required")
        return []
    services: list[ServiceConfig] = []
    seen_ids: dict[str, int] = {}
    seen_prefixes: dict[str, int] = {}
    known = {"id", "prefix", "names", "group", "enabled", "daily_quota", "hours",
             "appointments"}
    # Messages name a service by its id, which staff know, rather than its position.
    ids = [raw.get("id") if isinstance(raw, dict) else None for raw in data]
    for i, sid in enumerate(ids):
        if isinstance(sid, str) and sid.strip():
            twice = f" (#{i + 1})" if ids.count(sid) > 1 else ""
            shown = sid if len(sid) <= 40 else sid[:40] + "..."
            r.labels[("service", i)] = f'service "{shown}"{twice}'
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
        hours = (_hours(r, raw["hours"], path + ("hours",), "service")
                 if "hours" in raw else None)
        appointments = read_service_appointments(r, raw.get("appointments"),
                                                 path + ("appointments",), rules, prefix)
        services.append(ServiceConfig(sid, prefix, names, group, enabled, quota, hours,
                                      appointments))
    return services


def _lang_table(r: Reader, raw: dict, path: tuple, key: str,
                required: bool = False) -> dict[str, str] | None:
    table = r.get(raw, path, key, dict, None, required=required)
    if table is None:
        return None
    result = {}
    for lang, text in table.items():
        if lang not in LANGUAGES:
            r.error(path + (key, lang), f"unknown language {lang!r}" + _language_hint(lang))
        elif not isinstance(text, str) or not text.strip():
            r.error(path + (key, lang), "must be a non-empty string")
        else:
            result[lang] = text
    return result


# Codes and names people write for the languages we offer, which are ISO 639-1 codes.
_LANGUAGE_ALIASES = {
    "ua": "uk", "ukr": "uk", "ukrainian": "uk", "gr": "el", "gre": "el", "ell": "el",
    "greek": "el", "ger": "de", "deu": "de", "german": "de", "deutsch": "de", "eng": "en",
    "english": "en", "tur": "tr", "turkish": "tr", "ara": "ar", "arabic": "ar",
    "per": "fa", "fas": "fa", "ir": "fa", "persian": "fa", "farsi": "fa", "dari": "fa",
    "rus": "ru", "russian": "ru", "rum": "ro", "ron": "ro", "romanian": "ro", "hrv": "hr",
    "cro": "hr", "croatian": "hr", "ita": "it", "italian": "it", "pol": "pl", "polish": "pl",
}


def _language_hint(lang: Any, offered=None) -> str:
    """ "; did you mean 'uk'?" for a near-miss language code such as "ua" or "de-DE"."""
    if not isinstance(lang, str):
        return ""
    offered = list(offered if offered is not None else LANGUAGES)
    word = lang.strip().lower().replace("_", "-")
    guess = _LANGUAGE_ALIASES.get(word) or word.split("-")[0]
    if guess not in offered:  # two swapped letters ("ra"), too short for difflib
        guess = next((code for code in offered if sorted(code) == sorted(word)), guess)
    if guess in offered:
        return f"; did you mean {guess!r}?"
    return did_you_mean(word, offered)
