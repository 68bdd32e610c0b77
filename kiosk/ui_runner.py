"""Start the touchscreen app, or render one screen to PNG, after preparing Kivy's
environment (which must happen before Kivy is imported, so Kivy is imported here only
inside functions, through kiosk.app)."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from kiosk import kivy_env
from kiosk.config import Config

SCREENS = ("language", "services", "ticket", "checkin_scan", "checkin_keypad",
           "checkin_result", "staff_pin", "staff_menu", "out_of_service",
           "intake_bring", "intake_privacy", "intake_household", "intake_person",
           "intake_review", "intake_receipt")
_COMMON = {"large_text", "high_contrast", "idle_warning"}
STATE_KEYS = {
    "language": _COMMON | {"printer_ok", "checkin", "notice"},
    "services": _COMMON | {"message", "printer_ok", "checkin", "intake", "closed"},
    "ticket": _COMMON | {"number", "service", "people_ahead", "estimate_min", "printed"},
    "checkin_scan": _COMMON,
    "checkin_keypad": _COMMON | {"code"},
    "checkin_result": _COMMON | {"outcome", "refusal", "number", "service", "people_ahead",
                                 "estimate_min", "printed"},
    # staff screens show the terminal's default language, whatever --lang says
    "staff_pin": {"large_text", "high_contrast", "digits", "locked_s"},
    "staff_menu": {"large_text", "high_contrast", "printer", "figures", "closed"},
    "out_of_service": {"large_text", "high_contrast"},
    "intake_bring": _COMMON | {"confirm_cancel"},
    "intake_privacy": _COMMON | {"consent", "confirm_cancel"},
    "intake_household": _COMMON | {"filled", "arrival", "problems", "confirm_cancel",
                                   "typing"},
    "intake_person": _COMMON | {"filled", "persons", "person", "married", "problems",
                                "confirm_cancel", "typing"},
    "intake_review": _COMMON | {"persons", "sending", "problems"},
    "intake_receipt": _COMMON | {"printed"},
}
# Invented data for the intake's screenshots (obviously placeholder people).
_INTAKE_HOUSEHOLD = {"household.move_in#day": "1", "household.move_in#month": "12",
                     "household.move_in#year": "2026",
                     "household.address.street": "Musterstraße",
                     "household.address.house_number": "14/1",
                     "household.address.flat": "3. OG links",
                     "household.address.postcode": "70173",
                     "household.address.city": "Stuttgart",
                     "household.residence_type": "0", "household.arrival": "abroad",
                     "household.previous_country": "GR",
                     "household.landlord_confirmation": "yes"}
_INTAKE_PERSONS = (
    {"surname": "Mustermann", "first_names": "Erika Testperson", "birth_date#day": "",
     "birth_date#month": "", "birth_date#year": "1980", "birth_place": "Musterstadt",
     "birth_country": "GR", "sex": "w", "nationalities": "GR", "marital_status": "VH",
     "marriage_date#day": "1", "marriage_date#month": "6", "marriage_date#year": "2005",
     "marriage_place": "Musterstadt", "religion": "oa", "document.kind": "09",
     "document.number": "T0000000", "document.authority": "Musterbehörde",
     "document.issued#day": "2", "document.issued#month": "1",
     "document.issued#year": "2020",
     "document.expires#day": "1", "document.expires#month": "1",
     "document.expires#year": "2030"},
    {"surname": "Mustermann", "first_names": "Max", "birth_date#day": "2",
     "birth_date#month": "3", "birth_date#year": "1979", "birth_place": "Musterstadt",
     "birth_country": "GR", "sex": "m", "nationalities": "GR", "marital_status": "VH",
     "religion": "oa", "document.kind": "09", "document.number": "T0000001"},
)


def _flag(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "on")


def screen_for(config: Config, size: tuple[int, int] | None,
               size_mm: tuple[float, float] | None):
    """The physical screen a screenshot is rendered for: the configured one, at another
    resolution (turned to portrait when the size is portrait) or another size in mm."""
    geometry = config.screen
    if size:
        width_mm, height_mm = geometry.width_mm, geometry.height_mm
        if (size[1] > size[0]) != (geometry.height_px > geometry.width_px):
            width_mm, height_mm = height_mm, width_mm  # the same screen, turned
        geometry = dataclasses.replace(geometry, width_px=size[0], height_px=size[1],
                                       width_mm=width_mm, height_mm=height_mm)
    if size_mm:
        geometry = dataclasses.replace(geometry, width_mm=size_mm[0], height_mm=size_mm[1])
    return geometry


def frozen_clock(value: float = 1_000_000.0):
    """A monotonic clock that stands still: a screenshot's idle state cannot drift."""
    return lambda: value


def render_screenshot(config: Config, screen: str, lang: str, out: Path,
                      size: tuple[int, int] | None, state: dict[str, str],
                      size_mm: tuple[float, float] | None = None) -> Path:
    """Render SCREEN in LANG headless with real pixels; `state` as in ARCHITECTURE.md."""
    if screen not in SCREENS:
        raise KeyError(f"unknown screen {screen!r}; screens: {', '.join(SCREENS)}")
    unknown = set(state) - STATE_KEYS[screen]
    if unknown:
        raise KeyError(f"unknown state key(s) {', '.join(sorted(unknown))} for {screen!r}; "
                       f"known: {', '.join(sorted(STATE_KEYS[screen]))}")
    check_state_values(screen, state)  # before an app exists: a bad value leaves none
    config = dataclasses.replace(config, screen=screen_for(config, size, size_mm))
    kivy_env.prepare(config.screen.width_px, config.screen.height_px, fullscreen=False,
                     headless=True)
    from kiosk.app import KioskApp, export_png, start_embedded
    from kiosk.services.issue_ticket import TicketService
    from kiosk.store.sqlite import SqliteStore

    with tempfile.TemporaryDirectory(prefix="kiosk-shot-") as tmp:
        store = SqliteStore(Path(tmp) / "shot.sqlite3", terminal_id=config.terminal_id)
        try:
            app = KioskApp(config, TicketService(config, store, None),
                           monotonic=frozen_clock(), build_ahead=False)
            start_embedded(app)
            try:
                apply_state(app, screen, lang, state)
                return export_png(app, out)
            finally:
                app.detach()
        finally:
            store.close()


def apply_state(app, screen: str, lang: str, state: dict[str, str]) -> None:
    app.check_in.preview = True  # a picture of the screens needs no check-in service
    if _flag(state.get("checkin", "false")):  # the entry shows without [appointments]
        appointments = dataclasses.replace(app.kiosk_config.appointments, enabled=True)
        app.kiosk_config = dataclasses.replace(app.kiosk_config, appointments=appointments)
    if _flag(state.get("intake", "false")):  # the entry shows without [intake] keys
        app.kiosk_config = dataclasses.replace(
            app.kiosk_config, intake=dataclasses.replace(app.kiosk_config.intake,
                                                         enabled=True))
        app.intake.preview = True
    app.set_language(lang)
    if _flag(state.get("large_text", "false")):
        app.toggle_large_text()
    if _flag(state.get("high_contrast", "false")):
        app.toggle_high_contrast()
    if screen == "ticket":
        service = state.get("service", app.kiosk_config.services[0].id)
        printed = state.get("printed", "true").lower()
        estimate = state.get("estimate_min", "")
        app.root.get_screen("ticket").show_ticket(
            number=state.get("number", "A017"), service=service,
            people_ahead=int(state.get("people_ahead", "3")),
            estimate_min=int(estimate) if estimate.isdigit() else None,
            printed=None if printed == "pending" else _flag(printed))
    elif screen == "services":
        services = app.root.get_screen("services")
        message = state.get("message", "")
        services.message_reason = message
        # a closed office shows closed buttons too, not only the message
        services.forced_state = message if message in ("closed", "quota_reached",
                                                       "exhausted", "disabled") else ""
    elif screen.startswith("checkin_"):
        screen = apply_checkin_state(app, screen, state)
    elif screen.startswith("intake_"):
        apply_intake_state(app, screen, state)
    _staff_state(app, screen, state)
    app.printer_ok = _flag(state.get("printer_ok", "true"))
    app.root.show(screen)
    if state.get("idle_warning"):
        seconds = int(state["idle_warning"])
        # the idle check runs on the clock; make it agree with the requested state, or
        # its next tick would take the warning away again
        app.last_activity = app.monotonic() - (app.kiosk_config.idle_timeout_s - seconds)
        app.root.show_idle_warning(seconds, sound=False)  # a picture makes no sound


def apply_intake_state(app, screen: str, state: dict[str, str]) -> None:
    """The intake's draft filled with invented people as the state asks."""
    intake_config = dataclasses.replace(app.kiosk_config.intake, enabled=True)
    app.kiosk_config = dataclasses.replace(app.kiosk_config, intake=intake_config)
    intake = app.intake
    intake.preview = True
    intake.open()
    from kiosk.domain.intake import Person

    default = "2" if screen in ("intake_person", "intake_review") else "1"
    persons = max(1, min(len(_INTAKE_PERSONS), int(state.get("persons", default) or 1)))
    while len(intake.draft.persons) < persons:  # added without going to their page
        intake.draft.persons.append(Person())
    filled = screen in ("intake_household", "intake_person", "intake_review") and \
        _flag(state.get("filled", "true"))
    if filled:
        for key, value in _INTAKE_HOUSEHOLD.items():
            path, _, part = key.partition("#")
            intake.set_raw(path, part, value)
        if state.get("arrival"):
            intake.set_raw("household.arrival", "", state["arrival"])
        for index in range(persons):
            values = dict(_INTAKE_PERSONS[index])
            if "married" in state and not _flag(state["married"]):
                values["marital_status"] = "LD"
            for key, value in values.items():
                path, _, part = key.partition("#")
                intake.set_raw(f"persons[{index}].{path}", part, value)
        intake.draft.entitled_for_others = persons > 1
    intake.consent = _flag(state.get("consent", "false"))
    intake.person = max(0, min(persons - 1, int(state.get("person", "1") or 1) - 1))
    intake.step = screen
    root = app.root
    shown = root.get_screen(screen)
    if screen == "intake_receipt":
        from kiosk.domain.intake_reference import new_reference

        intake.reference = new_reference(bytes(range(32)))
        printed = state.get("printed", "true").lower()
        intake.printed = None if printed == "pending" else _flag(printed)
        return
    root.show(screen)
    if _flag(state.get("confirm_cancel", "false")):
        shown.cancel_tapped()
    if _flag(state.get("problems", "false")):
        shown.next_tapped()
        root.show(screen)  # a step without problems went on: stay for the picture
    if state.get("typing"):  # typing=PATH: that field has the keyboard
        field = next((f for f in shown.fields if f.path == state["typing"]), None)
        if field is None or not field.key_fields():
            raise KeyError(f"no field {state['typing']!r} to type in on {screen!r}")
        shown._entry_tapped(field.key_fields()[0])
    if screen == "intake_review" and _flag(state.get("sending", "false")):
        shown.show_sending()


def check_state_values(screen: str, state: dict[str, str]) -> None:
    """KeyError (a usage error) for a check-in outcome or code kind that does not exist."""
    if screen != "checkin_result":
        return
    from kiosk.domain.appointment import CodeRefusal
    from kiosk.services.check_in_result import CheckInOutcome

    outcomes = ["checking"] + [o.value for o in CheckInOutcome]
    refusals = [r.value for r in CodeRefusal]
    if state.get("outcome", "checked_in") not in outcomes or \
            state.get("refusal", refusals[0]) not in refusals:
        raise KeyError(f"unknown outcome or refusal; outcomes: {', '.join(outcomes)}; "
                       f"refusals: {', '.join(refusals)}")


def apply_checkin_state(app, screen: str, state: dict[str, str]) -> str:
    """Put a check-in screen into the state asked for; the name of the screen to show
    (a check-in that gave a ticket is shown on the check-in ticket screen)."""
    from datetime import datetime, time, timedelta

    from kiosk.domain.appointment import CodeRefusal
    from kiosk.domain.clock import OFFICE_ZONE
    from kiosk.services.check_in_result import CheckInOutcome, CheckInResult

    root = app.root
    if screen == "checkin_keypad":
        keypad = root.get_screen(screen)
        keypad.digits = state.get("code", "")
        return screen
    if screen != "checkin_result":
        return screen
    outcome = state.get("outcome", "checked_in")
    if outcome == "checking":
        root.get_screen(screen).show_checking()
        return screen
    check_state_values(screen, state)
    kind = CheckInOutcome(outcome)
    refusal = CodeRefusal(state["refusal"]) if "refusal" in state else (
        CodeRefusal.WIFI if kind is CheckInOutcome.NOT_A_BOOKING else None)
    slot = datetime.combine(datetime.now(OFFICE_ZONE).date(), time(10, 30), OFFICE_ZONE)
    estimate = state.get("estimate_min", "")
    ticket = kind in (CheckInOutcome.CHECKED_IN, CheckInOutcome.ALREADY_CHECKED_IN)
    result = CheckInResult(
        kind, service=state.get("service", app.kiosk_config.services[0].id), slot=slot,
        number=state.get("number", "T012") if ticket else None,
        people_ahead=int(state.get("people_ahead", "2")) if ticket else None,
        estimate_min=int(estimate) if estimate.isdigit() else None,
        come_back_at=slot - timedelta(minutes=30) if kind is CheckInOutcome.TOO_EARLY
        else None, refusal=refusal)
    if not ticket:
        root.get_screen(screen).show_result(result)
        return screen
    shown = root.get_screen("checkin_ticket")
    shown.show_result(result)
    printed = state.get("printed", "true").lower()
    if kind is CheckInOutcome.CHECKED_IN and printed != "pending":
        shown.show_print_result(_flag(printed))
    return "checkin_ticket"


def _staff_state(app, screen: str, state: dict[str, str]) -> None:
    """Staff settings and staff screens as the state asks (no store, no PIN)."""
    from kiosk.services.staff import StaffSettings
    from kiosk.services.staff_texts import NOTICES, SERVICE_MESSAGES

    notice = state.get("notice") or None
    if notice is not None and notice not in NOTICES:
        raise KeyError(f"unknown notice {notice!r}; notices: {', '.join(NOTICES)}")
    closed = {}
    if state.get("closed"):  # closed=SERVICE:MESSAGE
        service, _, message = state["closed"].partition(":")
        if message not in SERVICE_MESSAGES:
            raise KeyError(f"unknown message {message!r}; messages: "
                           f"{', '.join(SERVICE_MESSAGES)}")
        closed[service] = message
    app.staff.settings = StaffSettings(closed=closed, notice=notice,
                                       out_of_service=screen == "out_of_service")
    if screen in ("staff_pin", "staff_menu"):
        app.set_language(app.kiosk_config.default_language)
    if screen == "staff_pin":
        pad = app.root.get_screen("staff_pin")
        pad.clear()
        pad.digits = "0" * min(12, int(state.get("digits", "4") or 0))
        locked = int(state.get("locked_s", "0") or 0)
        if locked:
            from types import SimpleNamespace

            pad.show_refusal(SimpleNamespace(ok=False, no_pin=False, wait_s=locked))
    elif screen == "staff_menu":
        menu = app.root.get_screen("staff_menu")
        menu.clear()
        menu.status = [{"kind": "printer", "name": app.kiosk_config.printer.profile,
                        "state": state.get("printer", "paper_near_end"), "cause": ""}]
        menu.status += [{"kind": "display", "name": d.id, "state": "online", "cause": ""}
                        for d in app.kiosk_config.displays]
        if _flag(state.get("figures", "true")):
            services = app.kiosk_config.services
            menu.figures = {"tickets": {s.id: 10 + i for i, s in enumerate(services)},
                            "checkins": {"checked_in_on_time": 7,
                                         "refused_too_early": 2, "no_show": 1},
                            "print_failures": 1,
                            "median_wait_min": 23,
                            # the line the intake statistics will fill (schema v7)
                            "intakes": {"registered": 4}}


def run_app(config: Config, windowed: bool = False) -> int:
    """The touchscreen app; this process owns the printer, displays and scanner."""
    from kiosk.wiring import Terminal

    headless = not kivy_env.has_display()
    kivy_env.prepare(config.screen.width_px, config.screen.height_px,
                     fullscreen=not windowed, headless=headless)
    from kiosk.app import KioskApp

    terminal = Terminal(config)
    try:
        terminal.start_health_server()
        app = KioskApp(config, terminal.tickets, printer=terminal.printer,
                       check_in=terminal.checkin, scans=terminal.scans,
                       staff=terminal.staff, intake=terminal.intake)
        app.run()
    finally:
        terminal.close()
    return app.exit_code
