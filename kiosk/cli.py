"""The `kiosk` command. Every subcommand calls the same services as the touchscreen.
Exit codes: 0 done, 1 operational failure (one-line reason), 2 bad usage or config."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from kiosk.cli_appointments import add_appointments_parser
from kiosk.config import (Config, ConfigError, default_config_path, load_config,
                          load_default_config)
from kiosk.paths import config_resource
from kiosk.store.errors import StoreError


class UsageError(Exception):
    """Bad usage: exit 2 with the message."""


class Failure(Exception):
    """Operational failure: exit 1 with a one-line reason."""


def _load(path: str | None) -> Config:
    config = load_config(Path(path)) if path else load_default_config()
    for warning in config.warnings:
        print(warning, file=sys.stderr)
    return config


def cmd_check_config(args) -> int:
    path = Path(args.file) if args.file else default_config_path()
    config = load_config(path) if args.file else load_default_config()
    for warning in config.warnings:
        print(warning)
    print(f"{path}: OK")
    print(f"  terminal {config.terminal_id} at {config.office}")
    print(f"  languages: {', '.join(config.languages)} (default {config.default_language})")
    print(f"  idle reset after {config.idle_timeout_s} s, warning {config.idle_warning_s} s")
    print(f"  opening hours: {config.hours.describe()}"
          + (" (no [hours] table)" if config.hours.always_open else ""))
    for service in config.services:
        extra = [] if service.enabled else ["disabled"]
        if service.daily_quota:
            extra.append(f"quota {service.daily_quota}/day")
        if service.hours is not None:
            extra.append(f"own hours: {service.hours.describe()}")
        suffix = f" ({', '.join(extra)})" if extra else ""
        print(f"  service {service.prefix} {service.id}: "
              f"{service.name(config.default_language, config.default_language)}{suffix}")
    if config.store.backend == "http":
        st = config.store
        first, last = st.offline_range
        offline = f"numbers {first:03d}-{last:03d} of each prefix" \
            if st.offline == "local_range" else "ask at the desk"
        print(f"  store: office server {st.url}, token {st.token_file}; when it cannot be "
              f"reached: {offline}")
    p = config.printer
    where = {"serial": p.device, "lp": p.device, "file": p.path, "network": p.host,
             "usb": f"{p.vendor_id}:{p.product_id}"}.get(p.transport)
    print(f"  printer {p.transport} {where} profile {p.profile}")
    for display in config.displays:
        print(f"  display {display.id}: {display.framing} on {display.device}")
    return 0


def cmd_ticket(args) -> int:
    config = _load(args.config)
    if config.service(args.service) is None:
        valid = ", ".join(s.id for s in config.services)
        raise UsageError(f"unknown service {args.service!r}; valid services: {valid}")
    lang = args.lang or config.default_language
    if lang not in config.languages:
        raise UsageError(f"language {lang!r} is not offered; offered: "
                         f"{', '.join(config.languages)}")
    # this command reports print and record failures itself, in one line on stderr
    service_logs = [logging.getLogger(name) for name in
                    ("kiosk.services.issue_ticket", "kiosk.services.remote")]
    levels = [one.level for one in service_logs]
    for one in service_logs:
        if not one.isEnabledFor(logging.DEBUG):
            one.setLevel(logging.CRITICAL)
    try:
        return _issue_and_print(args, lang, config)
    finally:
        for one, level in zip(service_logs, levels):
            one.setLevel(level)


def _issue_and_print(args, lang: str, config: Config) -> int:
    from kiosk.services.issue_ticket import Refusal, Refused
    from kiosk.store.errors import StoreError
    from kiosk.wiring import ticket_service

    try:
        service = ticket_service(config)
        issued = service.issue(args.service, lang)
    except Refused as err:
        if err.reason is Refusal.UNKNOWN_SERVICE:
            raise UsageError(err.detail) from err
        _no_ticket_json(args, err.reason.value, err.detail)
        raise Failure(err.detail) from err
    except StoreError as err:
        _no_ticket_json(args, "store_error", str(err))
        raise
    result = _print_issued(service, issued)
    if args.json:
        print(json.dumps({
            "number": issued.ticket.number, "service": issued.service.id,
            "people_ahead": issued.people_ahead, "estimate_min": issued.estimate.minutes,
            "printed": result.printed, "print_error": result.error}, ensure_ascii=False))
    else:
        estimate = "unknown" if issued.estimate.minutes is None else \
            f"about {issued.estimate.minutes} min"
        print(f"ticket {issued.ticket.number} for {issued.service.id}")
        ahead = "unknown" if issued.people_ahead is None else issued.people_ahead
        print(f"people ahead: {ahead}")
        print(f"estimated wait: {estimate}")
        print("printed" if result.printed else f"not printed: {result.error}")
    number = issued.ticket.number
    if getattr(issued, "offline", False):
        print(_line(f"kiosk: warning: the office server cannot be reached: {number} is "
                    f"from this terminal's reserved range; the terminal app sends it to the "
                    f"server when it is back"), file=sys.stderr)
    unrecorded = "" if result.record_error is None else \
        f" (the print result could not be recorded: {result.record_error})"
    if not result.printed:
        print(_line(f"kiosk: ticket {number} issued but not printed: {result.error}"
                    f"{unrecorded}"), file=sys.stderr)
        return 1
    if unrecorded:
        print(_line(f"kiosk: warning: ticket {number} printed, but the print result could "
                    f"not be recorded: {result.record_error}"), file=sys.stderr)
    return 0


def _no_ticket_json(args, code: str, reason: str) -> None:
    if args.json:
        print(json.dumps({"number": None, "service": args.service, "people_ahead": None,
                          "estimate_min": None, "printed": False, "print_error": None,
                          "error": code, "reason": reason}, ensure_ascii=False))


def _print_issued(service, issued):
    """The print result; a number once issued is reported whatever printing does."""
    from kiosk.services.issue_ticket import PrintReport

    try:
        return service.print_ticket(issued)
    except Exception as err:  # noqa: BLE001 - print_ticket should not raise; if it does,
        # the number must still reach the person who asked for it
        return PrintReport(False, _line(f"printing failed: {type(err).__name__}: {err}"))


def _line(text: str) -> str:
    """One line for stderr or a JSON field, whatever an exception's text held."""
    return " ".join(str(text).split())


def cmd_checkin(args) -> int:
    """Check in exactly as the screen does: exit 0 checked in (and printed), 1 for every
    refusal with its outcome code, the reason in the visitor's language on stdout."""
    from kiosk.appointments.api_key import ApiKeyError
    from kiosk.domain.checkin_code import typed_state
    from kiosk.domain.clock import local
    from kiosk.services.check_in_result import CheckInOutcome, CheckInResult
    from kiosk.services.check_in_text import reason_text
    from kiosk.wiring import check_in_service

    config = _load(args.config)
    lang = args.lang or config.default_language
    if lang not in config.languages:
        raise UsageError(f"language {lang!r} is not offered; offered: "
                         f"{', '.join(config.languages)}")
    # this command reports what went wrong itself, in one line on stderr
    quiet = [logging.getLogger(n) for n in ("kiosk.services.check_in",
                                            "kiosk.services.issue_ticket",
                                            "kiosk.services.remote")]
    levels = [q.level for q in quiet]
    for q in quiet:
        if not q.isEnabledFor(logging.DEBUG):
            q.setLevel(logging.CRITICAL)
    try:
        if not config.appointments.enabled:
            result, service = CheckInResult(CheckInOutcome.NOT_AVAILABLE), None
        else:
            try:
                service = check_in_service(config)
            except ApiKeyError as err:  # the configured ZMS key file cannot be used
                raise UsageError(str(err)) from err
            # digits only: the appointment number, as typed on the keypad
            typed = typed_state(args.payload) == "valid"
            result = service.check_in(args.payload, lang, typed=typed)
        report = _print_issued(service, result) if result.ok else None
    finally:
        for q, level in zip(quiet, levels):
            q.setLevel(level)
    reason = reason_text(result, lang)
    slot = local(result.slot).isoformat(timespec="minutes") if result.slot else None
    printed = bool(report and report.printed)
    print_error = report.error if report and not report.printed else None
    if args.json:
        print(json.dumps({
            "number": result.number, "service": result.service, "slot": slot,
            "people_ahead": result.people_ahead, "estimate_min": result.estimate_min,
            "printed": printed, "print_error": print_error,
            "outcome": result.outcome.value, "reason": reason}, ensure_ascii=False))
    else:
        print(reason)
        if result.ok:
            print(f"ticket {result.number} for {result.service}, slot "
                  f"{local(result.slot).strftime('%H:%M')}")
            print("printed" if printed else f"not printed: {print_error}")
    if not result.ok:
        held = f" (number {result.number})" if result.number else ""
        print(f"kiosk: not checked in: {result.outcome.value}{held}", file=sys.stderr)
        return 1
    if not printed:
        print(_line(f"kiosk: {result.number} checked in but not printed: {print_error}"),
              file=sys.stderr)
        return 1
    return 0


def _queue(args):
    from kiosk.services.queue_ops import QueueOperations
    from kiosk.wiring import open_store

    config = _load(args.config)
    return QueueOperations(config, open_store(config))


def cmd_call(args) -> int:
    queue = _queue(args)
    try:
        ticket = queue.call_next(str(args.counter), [args.service] if args.service else None)
    except ValueError as err:
        raise UsageError(str(err)) from err
    if ticket is None:
        raise Failure("nobody is waiting" + (f" for {args.service}" if args.service else ""))
    print(f"{ticket.number} -> counter {ticket.counter}")
    return 0


def _finish(args, method: str) -> int:
    from kiosk.store.errors import TicketNotFound, TransitionRefused

    queue = _queue(args)
    try:
        ticket = getattr(queue, method)(args.number)
    except ValueError as err:
        raise UsageError(str(err)) from err
    except (TicketNotFound, TransitionRefused) as err:
        raise Failure(str(err)) from err
    print(f"{ticket.number}: {ticket.state.value}")
    return 0


def cmd_devices(args) -> int:
    from kiosk.device_probes import configured_probes, running_kiosk
    from kiosk.services.device_check import probe_all

    # a device the running kiosk holds is reported as the kiosk itself sees it
    reports = probe_all(configured_probes(_load(args.config)), running=running_kiosk)
    if args.json:
        print(json.dumps({"ok": all(r.ok for r in reports),
                          "devices": [r.as_dict() for r in reports]}, ensure_ascii=False))
    else:
        for report in reports:
            print(report.line())
    bad = [r for r in reports if not r.ok]
    if bad:
        print(f"kiosk: {bad[0].reason()}", file=sys.stderr)
        return 1
    return 0


def cmd_print_test(args) -> int:
    from kiosk.domain.clock import utc_now
    from kiosk.services.device_check import test_page
    from kiosk.wiring import build_printer

    config = _load(args.config)
    printer = build_printer(config.printer)
    try:
        page = test_page(config.office, config.terminal_id,
                         printer.profile.dots_per_line // 12, utc_now())
        result = printer.print_document(page)
        status = printer.status()
    finally:
        printer.close()
    cause = f" ({status.cause})" if status.cause else ""
    print(f"printer {config.printer.profile}: {status.state.value.replace('_', ' ')}{cause}")
    if not result.printed:
        raise Failure(f"test page not printed: {result.error}")
    print(f"test page printed ({result.bytes_sent} bytes)")
    return 0


def cmd_screenshot(args) -> int:
    from kiosk.ui_runner import render_screenshot

    # found like every other command's; only when none is there, the demo's
    if args.config or os.environ.get("KIOSK_CONFIG") or default_config_path().is_file():
        config = _load(args.config)
    else:
        config = load_config(config_resource("demo.toml"))
    state = {}
    for item in args.state or []:
        if "=" not in item:
            raise UsageError(f"--state takes KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        state[key] = value
    size = None
    if args.size:
        try:
            width, height = (int(v) for v in args.size.lower().split("x"))
        except ValueError as err:
            raise UsageError(f"--size takes WIDTHxHEIGHT, got {args.size!r}") from err
        size = (width, height)
    size_mm = None
    if args.screen_mm:
        try:
            size_mm = tuple(float(v) for v in args.screen_mm.lower().split("x"))
            if len(size_mm) != 2 or min(size_mm) <= 0:
                raise ValueError
        except ValueError as err:
            raise UsageError(f"--screen-mm takes WIDTHxHEIGHT in mm, got "
                             f"{args.screen_mm!r}") from err
    if args.lang not in config.languages:
        raise UsageError(f"language {args.lang!r} is not offered; offered: "
                         f"{', '.join(config.languages)}")
    try:
        out = render_screenshot(config, args.screen, args.lang, Path(args.out), size, state,
                                size_mm)
    except KeyError as err:
        raise UsageError(str(err.args[0])) from err
    print(out)
    return 0


def cmd_health(args) -> int:
    from kiosk.health.client import default_url, run

    if args.url:
        if not args.url.startswith(("http://", "https://")):
            raise UsageError(f"--url must start with http:// or https://, got {args.url!r}")
        return run(args.url)
    health = _load(args.config).health
    return run(default_url(health.bind, health.port))


def cmd_run(args) -> int:
    from kiosk.ui_runner import run_app

    return run_app(_load(args.config), windowed=args.windowed)


def cmd_demo(args) -> int:
    if args.office_walk:
        from kiosk.demo_office import walk_one_visit

        return walk_one_visit(Path(args.office_walk))
    if args.office:
        from kiosk.demo_office import run_office_demo

        return run_office_demo(Path(args.out) if args.out else None,
                               windowed=not args.fullscreen,
                               dsn_file=Path(args.dsn_file) if args.dsn_file else None)
    if args.dsn_file:
        print("kiosk demo: --dsn-file needs --office", file=sys.stderr)
        return 2
    from kiosk.demo import run_demo

    return run_demo(Path(args.out) if args.out else None, windowed=not args.fullscreen)


def cmd_simulate(args) -> int:
    if args.device == "printer":
        from kiosk.devices.printer.simulator import run_simulator_cli

        out = Path(args.out) if args.out else Path.cwd() / "printer-out"
        return run_simulator_cli(Path(args.pty_link), out, args.baudrate, tuple(args.fault))
    from kiosk.devices.display.simulator import run_display_simulator_cli

    return run_display_simulator_cli(Path(args.pty_link), Path(args.out) if args.out else None,
                                     args.framing)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Self-service terminal.")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="debug logging, including Kivy's start-up lines")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_config(p):
        p.add_argument("--config", help="configuration file (default: $KIOSK_CONFIG or "
                                        "config/kiosk.toml)")
        return p

    p = with_config(sub.add_parser("run", help="the touchscreen app"))
    p.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="the app with a simulated printer and demo config")
    p.add_argument("--out", help="folder for tickets and screenshots")
    p.add_argument("--fullscreen", action="store_true",
                   help="full screen like a terminal (Escape will not leave it); "
                        "default: a window you can close")
    p.add_argument("--office", action="store_true",
                   help="an office server, two terminals, the counter page and the TV "
                        "board on this machine")
    p.add_argument("--dsn-file", metavar="FILE",
                   help="with --office: the server's queue in PostgreSQL, the connection "
                        "string in FILE (as [store] dsn_file); default: SQLite")
    p.add_argument("--office-walk", metavar="CONFIG", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("check-config", help="validate a configuration")
    p.add_argument("file", nargs="?")
    p.set_defaults(func=cmd_check_config)

    p = with_config(sub.add_parser("ticket", help="issue a walk-in ticket"))
    p.add_argument("service")
    p.add_argument("--lang")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ticket)

    p = with_config(sub.add_parser("checkin", help="check in with a booking code, as at "
                                                   "the screen"))
    p.add_argument("payload", help="the scanned code (QR payload, ZMS link) or the "
                                   "appointment number")
    p.add_argument("--lang")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_checkin)

    p = with_config(sub.add_parser("call", help="a counter calls the next ticket"))
    p.add_argument("--counter", required=True)
    p.add_argument("service", nargs="?")
    p.set_defaults(func=cmd_call)
    for name, method in (("done", "done"), ("noshow", "no_show")):
        p = with_config(sub.add_parser(name, help=f"mark a called ticket {name}"))
        p.add_argument("number")
        p.set_defaults(func=lambda a, m=method: _finish(a, m))

    p = with_config(sub.add_parser("devices", help="probe every configured device"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_devices)

    p = with_config(sub.add_parser("health", help="ask the IT health endpoint: exit 0 "
                                                  "only when the terminal is ok"))
    p.add_argument("--url", help="the endpoint's /health URL (default: from [health] "
                                 "bind and port)")
    p.set_defaults(func=cmd_health)

    p = with_config(sub.add_parser("print-test", help="print a test page, report status"))
    p.set_defaults(func=cmd_print_test)

    p = sub.add_parser("screenshot", help="render one screen headless to PNG")
    p.add_argument("screen")
    p.add_argument("--lang", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--size", help="WIDTHxHEIGHT in pixels (default: the config's screen)")
    p.add_argument("--state", nargs="*", help="KEY=VALUE pairs the screen shows")
    p.add_argument("--screen-mm", help="WIDTHxHEIGHT of the screen in mm (default: the "
                                       "config's screen, turned for a portrait --size)")
    p.add_argument("--config", help="configuration file (default: $KIOSK_CONFIG, else "
                                    "config/kiosk.toml, else the demo configuration)")
    p.set_defaults(func=cmd_screenshot)

    p = sub.add_parser("simulate", help="device simulators for demo and tests")
    p.add_argument("device", choices=["printer", "display"])
    p.add_argument("--pty-link", required=True)
    p.add_argument("--out")
    p.add_argument("--baudrate", type=int, default=115200)
    p.add_argument("--framing", choices=["alpha", "line"], default="alpha")
    p.add_argument("--fault", action="append", default=[],
                   # the simulator's FAULT_NAMES, listed here so --help needs no import
                   choices=["paper_near_end", "paper_out", "cover_open", "cutter_error",
                            "silent", "wrong_baud"],
                   help="printer: start with this fault (repeatable); switch faults on "
                        "stdin while running")
    p.set_defaults(func=cmd_simulate)

    add_appointments_parser(sub, with_config)
    from kiosk.cli_staff import add_staff_parser

    add_staff_parser(sub, with_config)
    from kiosk.cli_intake import add_intake_parser

    add_intake_parser(sub, with_config)
    from kiosk.cli_serve import add_serve_parser

    add_serve_parser(sub, with_config)
    return parser


class _QuietKivy(logging.Filter):
    """Drops Kivy's records below WARNING (its start-up chatter: versions, GL, providers).

    A filter on the handler, not a logger level: importing Kivy resets the 'kivy'
    logger's level from its own config, which would undo a setLevel made before."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not (
            record.name == "kivy" or record.name.startswith("kivy."))


def _setup_logging(command: str, verbose: bool = False) -> None:
    """Logs go to stderr (the journal under systemd): ids, counts and states only."""
    default = "INFO" if command in ("run", "demo", "simulate") or verbose else "WARNING"
    level = os.environ.get("KIOSK_LOG_LEVEL", "DEBUG" if verbose else default).upper()
    logging.basicConfig(level=getattr(logging, level, logging.INFO),
                        format="%(levelname)s %(name)s: %(message)s")
    if not verbose:
        for handler in logging.getLogger().handlers:
            handler.addFilter(_QuietKivy())


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.command, args.verbose)
    try:
        return args.func(args)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    except UsageError as err:
        print(f"kiosk: {err}", file=sys.stderr)
        return 2
    except Failure as err:
        print(_line(f"kiosk: {err}"), file=sys.stderr)
        return 1
    except StoreError as err:
        print(_line(f"kiosk: {err}"), file=sys.stderr)
        return 1
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        print(_line(f"kiosk: {where}{err.strerror or err}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # noqa: BLE001 - never a traceback in CLI output
        logging.getLogger("kiosk.cli").debug("unexpected error", exc_info=True)
        print(_line(f"kiosk: unexpected error ({type(err).__name__}: {err}); run with "
                    f"KIOSK_LOG_LEVEL=DEBUG for details"), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
