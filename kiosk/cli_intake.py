"""`kiosk intake ...`: the Anmeldung intake's commands. `keygen` writes the office's key
pair, `submit` seals a JSON intake through the same service as the screens, `export`
(the counter side, with the private key) opens one and deletes it, `purge` applies the
retention. Registered by kiosk/cli.py; no traceback ever reaches the output."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from kiosk.paths import UnreadableFile, read_bounded, write_file_atomically

_MAX_JSON = 1_000_000  # an intake of ten persons is ~10 KB
_JSON_REASONS = {"folder": "is a folder, not a JSON file",
                 "too_large": f"larger than {_MAX_JSON} bytes; not an intake"}

# model path (kiosk/domain/intake_rules.py Problem.path) -> JSON form (docs/intake-json.md)
_JSON_NAMES = {
    "household": "haushalt", "persons": "personen", "entitled_for_others":
    "berechtigung_23_4", "lang": "sprache", "move_in": "einzugsdatum", "address": "anschrift",
    "residence_type": "wohnungsstatus", "previous_address": "bisherige_anschrift",
    "previous_country": "zuzug_aus_staat", "landlord_confirmation":
    "wohnungsgeberbestaetigung", "street": "strasse", "house_number": "hausnummer",
    "flat": "zusatz", "postcode": "postleitzahl", "city": "wohnort",
    "surname": "familienname", "birth_name": "geburtsname", "first_names": "vornamen",
    "everyday_name": "rufname", "doctoral_degree": "doktorgrad",
    "religious_name": "ordensname_kuenstlername", "birth_date": "geburtsdatum",
    "birth_place": "geburtsort", "birth_country": "geburtsstaat", "sex": "geschlecht",
    "nationalities": "staatsangehoerigkeiten", "marital_status": "familienstand",
    "marriage_date": "eheschliessung.datum", "marriage_place": "eheschliessung.ort",
    "religion": "religion", "document": "ausweisdokument", "kind": "art",
    "number": "seriennummer", "authority": "behoerde", "issued": "ausstellungsdatum",
    "expires": "gueltig_bis", "representatives": "gesetzliche_vertreter",
}
_SEGMENT = re.compile(r"^([a-z_]+)((?:\[\d+\])*)$")


def json_path(model_path: str) -> str:
    """"persons[1].nationalities" -> "$.personen[1].staatsangehoerigkeiten"."""
    out = []
    for segment in model_path.split("."):
        m = _SEGMENT.match(segment)
        if m is None:
            out.append(segment)
            continue
        out.append(_JSON_NAMES.get(m.group(1), m.group(1)) + m.group(2))
    return "$" + ("." + ".".join(out) if out else "")


def _problem_message(problem) -> str:
    """The rules' English text for the problem (kiosk/services/intake_text.py)."""
    from kiosk.services.intake_text import problem_text

    return problem_text(problem, "en")


def add_intake_parser(sub, with_config) -> None:
    parser = sub.add_parser("intake", help="Anmeldung intakes: keys, submit, counter "
                                           "export, retention purge")
    commands = parser.add_subparsers(dest="intake_command", metavar="COMMAND", required=True)

    p = commands.add_parser("keygen", help="write the office's key pair (intake.key, "
                                           "intake.pub) into DIR")
    p.add_argument("--out", required=True, metavar="DIR")
    p.set_defaults(func=cmd_keygen)

    p = with_config(commands.add_parser(
        "submit", help="seal an intake from a JSON file (docs/intake-json.md), as the "
                       "screens do; prints the reference"))
    p.add_argument("file", metavar="FILE.json")
    p.add_argument("--json", action="store_true", help="the result as JSON on stdout")
    p.add_argument("--strict", action="store_true",
                   help="refuse plausibility warnings instead of accepting them")
    p.set_defaults(func=cmd_submit)

    p = with_config(commands.add_parser(
        "export", help="(counter) open a sealed intake with the private key, write it "
                       "as JSON or PDF, then delete it from the store"))
    p.add_argument("reference", metavar="REF")
    p.add_argument("--key", required=True, metavar="PRIVATE_KEY_FILE")
    p.add_argument("--format", required=True, choices=["json", "pdf"])
    p.add_argument("--store", metavar="PATH", help="the SQLite store file (default: the "
                                                   "configuration's store)")
    p.add_argument("--out", metavar="F", help="output file (default: REF.json / REF.pdf "
                                              "in the current folder)")
    p.set_defaults(func=cmd_export)

    p = with_config(commands.add_parser(
        "purge", help="delete sealed intakes older than [intake] retention_days"))
    p.set_defaults(func=cmd_purge)


# -- keygen ------------------------------------------------------------------------------

def cmd_keygen(args) -> int:
    from kiosk.cli import UsageError
    from kiosk.services.intake_seal import (KeyFileError, load_private_key, private_key_id,
                                            write_keypair)

    try:
        private, public = write_keypair(Path(args.out))
    except KeyFileError as err:
        raise UsageError(str(err)) from None
    print(f"private key: {private} (mode 0600; keep it at the office, never on a terminal; "
          f"back it up offline, two copies)")
    print(f"public key:  {public} (give this file to the terminals: [intake] "
          f"public_key_files)")
    print(f"key id:      {private_key_id(load_private_key(private))}")
    return 0


# -- submit ------------------------------------------------------------------------------

def _read_json(path: Path):
    """The parsed file; UsageError with FILE:LINE: for what cannot be read."""
    from kiosk.cli import Failure, UsageError

    try:
        raw = read_bounded(path, _MAX_JSON)
    except UnreadableFile as err:
        # the file named is wrong (2), unless the system would not let it be read (1)
        error = Failure if err.kind == "unreadable" else UsageError
        raise error(f"{path}: {_JSON_REASONS.get(err.kind, err.reason)}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UsageError(f"{path}: not UTF-8 text (byte {err.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise UsageError(f"{path}:{err.lineno}: not valid JSON: {err.msg} "
                         f"(column {err.colno})") from None
    except RecursionError:
        raise UsageError(f"{path}: nested too deeply; not an intake") from None


def cmd_submit(args) -> int:
    from kiosk.cli import UsageError, _load
    from kiosk.domain.intake_json import IntakeJsonError, from_dict
    from kiosk.domain.intake_reference import display
    from kiosk.services.intake import IntakeService, IntakeUnavailable
    from kiosk.wiring import open_store

    path = Path(args.file)
    config = _load(args.config)
    data = _read_json(path)
    try:
        intake = from_dict(data)
    except IntakeJsonError as err:
        for where, message in err.problems:
            print(f"{path}: {where}: {message}", file=sys.stderr)
        return 2
    store = open_store(config)
    try:
        service = IntakeService(config, store, printer=None, queue_ticket=False)
        problems = service.check(intake)
        # accepted as a visitor acknowledges them on the review screen (unless --strict)
        acknowledged = frozenset(p.key for p in problems if p.warning)
        try:
            result = service.submit(intake, acknowledged, strict=args.strict)
        except IntakeUnavailable as err:
            raise UsageError(str(err)) from None
    finally:
        store.close()
    listed = [{"path": json_path(p.path), "code": p.code, "warning": p.warning,
               "message": _problem_message(p)} for p in result.problems]
    if args.json:
        print(json.dumps({"reference": result.reference,
                          "display": display(result.reference) if result.reference else None,
                          "problems": listed}, ensure_ascii=False))
    for item in listed:
        kind = "warning" if item["warning"] else "error"
        print(f"{path}: {item['path']}: {kind}: {item['message']}", file=sys.stderr)
    if not result.accepted:
        print(f"{path}: refused ({sum(not i['warning'] for i in listed)} error(s), "
              f"{sum(i['warning'] for i in listed)} warning(s)"
              + (" with --strict" if args.strict else "") + "); nothing stored",
              file=sys.stderr)
        return 2
    if not args.json:
        print(display(result.reference))
    return 0


# -- export ------------------------------------------------------------------------------

def _open_store(args):
    """--store PATH (must exist: a typo must not create an empty store), else the
    configuration's store."""
    from kiosk.cli import UsageError, _load
    from kiosk.wiring import open_store

    if args.store:
        from kiosk.store.sqlite import SqliteStore

        path = Path(args.store)
        if not path.is_file():
            raise UsageError(f"{path}: no such store file")
        return SqliteStore(path, terminal_id="counter")
    return open_store(_load(args.config))


def _write_out(path: Path, data: bytes) -> None:
    """Written to a private temporary file beside it, flushed to disk (the folder too),
    then renamed: the output is complete before the sealed intake is deleted."""
    write_file_atomically(path, data, 0o600, sync_folder=True)


def cmd_export(args) -> int:
    from datetime import datetime

    from kiosk.cli import Failure, UsageError
    from kiosk.domain.intake_json import IntakeJsonError, from_dict
    from kiosk.domain.intake_reference import display, normalize
    from kiosk.services.intake import ENVELOPE
    from kiosk.services.intake_export import ExportMeta, export_json, export_pdf
    from kiosk.services.intake_seal import (KeyFileError, WrongKey, load_private_key,
                                            private_key_id, unseal)

    reference = normalize(args.reference)
    if reference is None:
        raise UsageError(f"{args.reference!r} is not an intake reference (10 characters; "
                         f"check for a typo: the last one is a check character)")
    try:
        private = load_private_key(args.key)
    except KeyFileError as err:
        raise UsageError(str(err)) from None
    out = Path(args.out) if args.out else Path(f"{reference}.{args.format}")
    if out.exists():  # an earlier export of another intake is not overwritten
        raise UsageError(f"{out}: already exists; choose another --out")
    store = _open_store(args)
    try:
        row = store.sealed(reference)
        if row is None:
            raise Failure(f"no sealed intake {display(reference)} in {store.path} (exported "
                          f"already, or deleted after the retention period)")
        blob, key_id = row
        mine = private_key_id(private)
        if key_id != mine:
            raise Failure(f"intake {reference} is sealed to key {key_id}, but {args.key} "
                          f"is key {mine}; use that key; nothing deleted")
        try:
            plain = unseal(blob, private)
        except WrongKey as err:
            raise Failure(f"intake {reference}: {err}; nothing deleted") from None
        try:
            sealed = json.loads(plain.decode("utf-8"))
            if sealed.get("envelope") != ENVELOPE or sealed.get("reference") != reference:
                raise ValueError("envelope")
            intake = from_dict(sealed["intake"])
            meta = ExportMeta(reference=reference,
                              sealed_at=datetime.fromisoformat(sealed["sealed_at"]),
                              terminal=str(sealed["terminal"]),
                              office=str(sealed.get("office") or ""))
        except (ValueError, KeyError, TypeError, AttributeError, IntakeJsonError):
            # no detail: the message could quote the intake's contents
            raise Failure(f"intake {reference} opened, but its contents are not an intake "
                          f"this kiosk version reads; nothing deleted") from None
        data = (export_json if args.format == "json" else export_pdf)(intake, meta)
        _write_out(out, data)
        store.delete_sealed(reference)
    finally:
        store.close()
    print(f"{display(reference)}: written to {out}; the sealed intake is deleted from the "
          f"store")
    return 0


# -- purge -------------------------------------------------------------------------------

def cmd_purge(args) -> int:
    from kiosk.cli import _load
    from kiosk.services.intake import IntakeService
    from kiosk.wiring import open_store

    config = _load(args.config)
    store = open_store(config)
    try:
        count = IntakeService(config, store, printer=None, queue_ticket=False).purge()
    finally:
        store.close()
    print(f"purged {count} sealed intake(s) older than {config.intake.retention_days} days")
    return 0
