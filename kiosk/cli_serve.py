"""`kiosk serve`: the office server (uvicorn, one worker), its device tokens
(`kiosk serve token add|list|remove`) and moving a terminal's own queue onto it
(`kiosk serve import-sqlite`). Exit 0 / 1 operational (one line) / 2 config."""

from __future__ import annotations

import argparse
import errno
import logging
import socket
import sys


def add_serve_parser(sub, with_config) -> None:
    p = with_config(sub.add_parser("serve", help="the office server for terminals, "
                                                 "counters and boards"))
    p.add_argument("--host", help="address to listen on (default: [server] host)")
    p.add_argument("--port", type=int, help="port (default: [server] port)")
    p.set_defaults(func=cmd_serve)
    tokens = p.add_subparsers(dest="serve_command")
    t = tokens.add_parser("token", help="device tokens")
    tsub = t.add_subparsers(dest="token_command", required=True)

    def token_parser(name: str, help_text: str):
        q = tsub.add_parser(name, help=help_text)
        # SUPPRESS: `kiosk serve --config F token list` keeps F (a subparser's own
        # default would replace it with None)
        q.add_argument("--config", default=argparse.SUPPRESS,
                       help="configuration file (default: $KIOSK_CONFIG or "
                            "config/kiosk.toml)")
        return q
    a = token_parser("add", "a new token for a device, printed once")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=["terminal", "counter", "board"])
    a.set_defaults(func=cmd_token_add)
    token_parser("list", "the devices with a token").set_defaults(func=cmd_token_list)
    r = token_parser("remove", "revoke a device's token")
    r.add_argument("name")
    r.set_defaults(func=cmd_token_remove)
    m = tokens.add_parser(
        "import-sqlite", help="copy a terminal's own SQLite queue (today's tickets, "
                              "check-ins, bookings, statistics) into the server's "
                              "PostgreSQL store, once")
    m.add_argument("--from", dest="source", required=True, metavar="FILE",
                   help="the terminal's queue file (its kiosk stopped)")
    m.add_argument("--config", default=argparse.SUPPRESS,
                   help="the server's configuration file (default: $KIOSK_CONFIG or "
                        "config/kiosk.toml)")
    m.add_argument("--dry-run", action="store_true",
                   help="check and count, copy nothing")
    m.set_defaults(func=cmd_import_sqlite)


def _tokens(args):
    from kiosk.cli import _load
    from kiosk.server.auth import TokenFile, tokens_path

    return TokenFile(tokens_path(_load(args.config)))


def _failure(err):
    from kiosk.cli import Failure, UsageError
    from kiosk.server.auth import TokenFileError

    return Failure(str(err)) if isinstance(err, TokenFileError) else UsageError(str(err))


def cmd_token_add(args) -> int:
    from kiosk.server.auth import TokenFileError

    tokens = _tokens(args)
    try:
        token = tokens.add(args.name, args.role)
    except (ValueError, TokenFileError) as err:
        raise _failure(err) from err
    print(token)
    print(f"kiosk: token for {args.name} ({args.role}) saved as a hash in {tokens.path}; "
          f"it is shown only now", file=sys.stderr)
    return 0


def cmd_token_list(args) -> int:
    from kiosk.server.auth import TokenFileError

    try:
        entries = _tokens(args).entries()
    except TokenFileError as err:
        raise _failure(err) from err
    for e in entries:
        print(f"{e['name']}\t{e['role']}\t{e.get('created', '')}")
    return 0


def cmd_token_remove(args) -> int:
    from kiosk.cli import Failure
    from kiosk.server.auth import TokenFileError

    try:
        removed = _tokens(args).remove(args.name)
    except TokenFileError as err:
        raise _failure(err) from err
    if not removed:
        raise Failure(f"no device named {args.name!r}")
    print(f"removed {args.name}")
    return 0


def cmd_import_sqlite(args) -> int:
    from pathlib import Path

    from kiosk.cli import Failure, UsageError, _load
    from kiosk.domain.clock import business_day, utc_now
    from kiosk.services.staff import NOTICE_KEY, SERVICE_PREFIX
    from kiosk.store.errors import StoreError
    from kiosk.store.import_sqlite import ImportRefused, import_sqlite
    from kiosk.wiring import open_store

    config = _load(args.config)
    if config.store.backend != "postgres":
        raise UsageError(f"import-sqlite copies into the server's PostgreSQL store, but "
                         f"[store] backend is {config.store.backend!r}")
    source = Path(args.source)
    now = utc_now()
    try:
        store = open_store(config)
    except StoreError as err:
        raise Failure(str(err)) from err
    try:
        # closed services and the notice are the office's; the PIN lockout and "out of
        # service" belong to the terminal and stay there
        report = import_sqlite(source, store, now, business_day(now), dry_run=args.dry_run,
                               setting_keys=lambda k: k.startswith(SERVICE_PREFIX)
                               or k == NOTICE_KEY)
    except (ImportRefused, StoreError) as err:
        raise Failure(str(err)) from err
    finally:
        store.close()
    if report.already:
        print(f"{source}: copied to the server before (file {report.source_id}); "
              f"nothing copied again")
        return 0
    verb = "would copy" if report.dry_run else "copied"
    print(f"{source}: {verb} {report.tickets} tickets of {report.day} "
          f"({', '.join(report.prefixes) or 'no prefix'}), {report.checkins} check-ins, "
          f"{report.bookings} bookings, {report.stat_rows} statistics rows, "
          f"{report.settings} staff settings")
    if report.sealed_left:
        print(f"kiosk: {report.sealed_left} sealed intakes stay in {source} (never "
              f"copied): export them from it with `kiosk intake export REF --store {source}`",
              file=sys.stderr)
    return 0


def listening_socket(host: str, port: int) -> socket.socket:
    """The bound server socket uvicorn is given. IPPROTO_TCP, not 0: asyncio sets
    TCP_NODELAY only on connections of sockets that say TCP; without it each answer sent
    in two writes waited ~40 ms for the client's delayed ACK (Nagle)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _intake_purge(config, store):
    """The daily retention purge of the sealed intakes the terminals sent here (the
    server's [intake] retention_days), whether or not the server's own [intake] is on."""
    from datetime import timedelta

    from kiosk.domain.clock import utc_now
    from kiosk.services.intake_purge import DailyPurge

    def purge() -> int:
        count = store.purge_sealed(utc_now() - timedelta(days=config.intake.retention_days))
        if count:
            logging.getLogger(__name__).warning(
                "purged %d sealed intakes older than %d days", count,
                config.intake.retention_days)
        return count
    started = DailyPurge(purge)
    started.start()
    return started


def _uvicorn_server(config):
    """uvicorn's Server, except that a stop by SIGTERM/SIGINT ends in exit 0 after the
    store is closed (uvicorn raises the signal again after its graceful shutdown, which
    would end the process before our cleanup)."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            super().handle_exit(sig, frame)
            self._captured_signals.clear()
    return Server(config)


def cmd_serve(args) -> int:
    from kiosk.cli import Failure, UsageError, _load

    config = _load(args.config)
    host = args.host or config.server.host
    port = config.server.port if args.port is None else args.port
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port}: must be between 0 and 65535")
    # bind first: a port in use is a one-line failure, not a uvicorn traceback
    try:
        sock = listening_socket(host, port)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise Failure(f"port {port} on {host} is in use (another kiosk serve?); "
                          f"choose another with --port or [server] port") from err
        raise Failure(f"cannot listen on {host}:{port}: {err.strerror or err}") from err
    import uvicorn

    from kiosk.server.app import create_app
    from kiosk.wiring import open_store

    store = open_store(config)
    app = purge = None
    try:
        app = create_app(config, store)
        purge = _intake_purge(config, store)
        uv = uvicorn.Config(app, workers=1, log_level="warning", access_log=False,
                            lifespan="on")
        server = _uvicorn_server(uv)
        print(f"kiosk serve: listening on http://{host}:{sock.getsockname()[1]}",
              file=sys.stderr, flush=True)
        server.run(sockets=[sock])
    finally:
        if purge is not None:
            purge.stop()
        if app is not None:
            app.state.server.idempotency.close()
        store.close()
    return 0
