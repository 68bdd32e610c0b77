"""The [appointments] table, its [appointments.zms] part and each service's
[service.appointments] overrides, validated with FILE:LINE errors like the rest."""

from __future__ import annotations

import re
from typing import Any

from kiosk.config_model import (CALL_ORDER_CLASSES, AppointmentsConfig, ServiceAppointments,
                                ZmsConfig)
from kiosk.config_reader import Reader

SOURCES = ("embedded", "zms")
TOO_EARLY = ("refuse", "check_in")
_RULE_KEYS = {"prefix", "early_min", "late_min", "too_early", "call_order"}


def read_appointments(r: Reader, data: Any, path: tuple) -> tuple[AppointmentsConfig, dict]:
    """The table and the defaults every service starts from (a dict of rule values)."""
    if data is None:
        return AppointmentsConfig(), _rules(r, {}, path, {})
    data = r.table(data, path, {"enabled", "source", "office_id", "key_file", "zms"}
                   | _RULE_KEYS)
    enabled = r.get(data, path, "enabled", bool, True)
    source = r.get(data, path, "source", str, "embedded")
    if source not in SOURCES:
        r.error(path + ("source",), f"must be one of {', '.join(SOURCES)}, got {source!r}")
    office_id = r.get(data, path, "office_id", str, "")
    if source == "embedded" and enabled and not office_id:
        r.error(path, "missing required key 'office_id' (the office column of the "
                      "imported bookings)")
    zms = None
    if source == "zms" or "zms" in data:
        zms = _zms(r, data.get("zms"), path + ("zms",))
    defaults = _rules(r, {k: v for k, v in data.items() if k in _RULE_KEYS}, path, {})
    config = AppointmentsConfig(enabled=enabled, source=source, office_id=office_id,
                                key_file=r.get(data, path, "key_file", str), zms=zms)
    return config, defaults


def read_service_appointments(r: Reader, data: Any, path: tuple, defaults: dict,
                              service_prefix: str) -> ServiceAppointments:
    """One service's rules: the [appointments] defaults with its own overrides."""
    data = r.table(data if data is not None else {}, path, _RULE_KEYS | {"zms_request_ids"})
    rules = _rules(r, data, path, defaults)
    ids = r.get(data, path, "zms_request_ids", list, [])
    if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
        r.error(path + ("zms_request_ids",), "must be a list of positive whole numbers")
        ids = []
    prefix = rules.pop("prefix")
    if prefix == service_prefix:
        r.error(path + ("prefix",) if "prefix" in data else path,
                f"appointment tickets need a prefix of their own, not the walk-in "
                f"prefix {prefix!r}")
    return ServiceAppointments(prefix=prefix, zms_request_ids=tuple(ids), **rules)


def _rules(r: Reader, data: dict, path: tuple, defaults: dict) -> dict:
    prefix = r.get(data, path, "prefix", str, defaults.get("prefix", "T"))
    if not re.fullmatch(r"[A-Z]", prefix):
        r.error(path + ("prefix",), f"must be one capital letter A-Z, got {prefix!r}")
        prefix = defaults.get("prefix", "T")
    values: dict[str, Any] = {"prefix": prefix}
    for key, default, top in (("early_min", 30, 240), ("late_min", 15, 120)):
        value = r.get(data, path, key, int, defaults.get(key, default))
        if not 0 <= value <= top:
            r.error(path + (key,), f"must be between 0 and {top} minutes")
            value = defaults.get(key, default)
        values[key] = value
    too_early = r.get(data, path, "too_early", str, defaults.get("too_early", "refuse"))
    if too_early not in TOO_EARLY:
        r.error(path + ("too_early",), f"must be one of {', '.join(TOO_EARLY)}")
        too_early = "refuse"
    values["too_early"] = too_early
    order = r.get(data, path, "call_order", list,
                  list(defaults.get("call_order", CALL_ORDER_CLASSES)))
    if sorted(map(str, order)) != sorted(CALL_ORDER_CLASSES):
        r.error(path + ("call_order",), f"must name each of {', '.join(CALL_ORDER_CLASSES)} "
                f"once, in the order they are called")
        order = list(defaults.get("call_order", CALL_ORDER_CLASSES))
    values["call_order"] = tuple(order)
    return values


def _zms(r: Reader, data: Any, path: tuple) -> ZmsConfig | None:
    if data is None:
        r.error(path[:-1], "source \"zms\" needs a table [appointments.zms] with its url")
        return None
    data = r.table(data, path, {"url", "api_key_file", "scope_id", "connect_timeout_s",
                                "read_timeout_s", "retries"})
    url = r.get(data, path, "url", str, "", required=True)
    if url and not re.match(r"https?://[^\s/]+", url):
        r.error(path + ("url",), "must start with https:// (or http:// on a closed network)")
    scope = r.get(data, path, "scope_id", int, None)
    timeouts = {}
    for key, default in (("connect_timeout_s", 2.0), ("read_timeout_s", 3.0)):
        value = r.get(data, path, key, (int, float), default)
        if not 0.1 <= value <= 30:
            r.error(path + (key,), "must be between 0.1 and 30 seconds")
            value = default
        timeouts[key] = float(value)
    retries = r.get(data, path, "retries", int, 2)
    if not 0 <= retries <= 5:
        r.error(path + ("retries",), "must be between 0 and 5")
        retries = 2
    return ZmsConfig(url=url.rstrip("/"), api_key_file=r.get(data, path, "api_key_file", str),
                     scope_id=scope, retries=retries, **timeouts)
