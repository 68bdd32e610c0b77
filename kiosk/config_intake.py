"""The [intake] table: the Anmeldung intake at the terminal (the office's public keys
that finished intakes are sealed to, how long sealed intakes wait, where the statistics
go), validated with FILE:LINE errors like the rest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.config_reader import Reader

_KEYS = {"enabled", "public_key_files", "retention_days", "ticket_service",
         "postcodes", "late_after_days"}


@dataclass(frozen=True)
class IntakeConfig:
    enabled: bool = False
    # the office's X25519 public keys (files written by `kiosk intake keygen`); intakes
    # are sealed to the first; a second is allowed during a key change-over
    public_key_files: tuple[str, ...] = ()
    retention_days: int = 14            # a sealed intake not exported is deleted after
    ticket_service: str | None = None   # also issue a queue ticket of this service
    # postcodes of the municipality (others get a warning); empty: Stuttgart's list
    # shipped in kiosk/data/anmeldung-codelists.json
    postcodes: tuple[str, ...] = ()
    late_after_days: int = 14           # § 17 BMG: register within two weeks


def read_intake(r: Reader, data: Any, path: tuple, service_ids: set[str]) -> IntakeConfig:
    if data is None:
        return IntakeConfig()
    data = r.table(data, path, _KEYS)
    enabled = r.get(data, path, "enabled", bool, True)
    files = r.get(data, path, "public_key_files", list, [])
    if not all(isinstance(f, str) and f for f in files):
        r.error(path + ("public_key_files",), "must be a list of file names")
        files = []
    if len(files) > 2:
        r.error(path + ("public_key_files",), "at most two keys (the current one and, "
                "during a key change-over, the next)")
    if enabled and not files:
        r.error(path, "missing required key 'public_key_files' (write a key pair with "
                      "`kiosk intake keygen --out DIR` and give the .pub file)")
    retention = r.get(data, path, "retention_days", int, 14)
    if not 1 <= retention <= 90:
        r.error(path + ("retention_days",), "must be between 1 and 90 days")
        retention = 14
    ticket_service = r.get(data, path, "ticket_service", str, None)
    if ticket_service is not None and ticket_service not in service_ids:
        r.error(path + ("ticket_service",), f"no [[service]] with id {ticket_service!r}")
        ticket_service = None
    postcodes = r.get(data, path, "postcodes", list, [])
    if not all(isinstance(p, str) and p.isdigit() and len(p) == 5 for p in postcodes):
        r.error(path + ("postcodes",), 'must be a list of five-digit postcodes like '
                                       '["70173", "70174"]')
        postcodes = []
    late = r.get(data, path, "late_after_days", int, 14)
    if not 1 <= late <= 365:
        r.error(path + ("late_after_days",), "must be between 1 and 365 days")
        late = 14
    return IntakeConfig(enabled=enabled, public_key_files=tuple(files),
                        retention_days=retention, ticket_service=ticket_service,
                        postcodes=tuple(postcodes), late_after_days=late)
