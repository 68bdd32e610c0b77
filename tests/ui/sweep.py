"""The layout sweep's matrix and how to put one app into each case, in place (window
size, physical screen, language, text size, state) so one app serves every case.
Used by tests/ui/test_layout_sweep.py (geometry only) and scripts/layout_sweep (PNGs)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from kiosk.config import load_config
from kiosk.domain.hours import OpeningHours, parse_range
from kiosk.i18n import LANGUAGES
from kiosk.paths import config_resource

# (name, px, mm): the smallest landscape screen, the common one, and the common one turned
SCREENS = [
    ("10in-1280x800", (1280, 800), (217.0, 136.0)),
    ("21in-1920x1080", (1920, 1080), (477.0, 268.0)),
    ("21in-portrait-1080x1920", (1080, 1920), (268.0, 477.0)),
]
LANGS = list(LANGUAGES)
STATES = ["language", "language-printer-down", "services", "services-refused",
          "services-both-entries",
          "ticket-estimate", "ticket-print-failed", "idle-warning", "checkin-scan",
          "checkin-keypad", "checkin-checking", "checkin-too-late", "checkin-too-early",
          "checkin-not-a-booking", "checkin-ticket", "checkin-already",
          "language-notice", "staff-pin", "staff-menu", "out-of-service",
          "intake-bring", "intake-privacy", "intake-household", "intake-person",
          "intake-review", "intake-receipt"]
# the intake's steps as the sweep shows them (ui_runner states, invented people)
INTAKE_STATES = {
    "intake-bring": ("intake_bring", {}),
    "intake-privacy": ("intake_privacy", {}),
    "intake-household": ("intake_household", {}),
    "intake-household-typing": ("intake_household", {"typing": "household.address.street"}),
    "intake-person": ("intake_person", {}),
    "intake-person-typing": ("intake_person", {"typing": "first_names"}),
    "intake-review": ("intake_review", {}),
    "intake-receipt": ("intake_receipt", {}),
}
# check-in states shown on the check-in ticket screen (the number's checks apply)
CHECKIN_TICKET_STATES = ("checkin-ticket", "checkin-already")
LONG_SERVICE = "anmeldung"
# a Sunday morning: the service with weekday hours is closed and opens on Monday
SUNDAY = datetime(2026, 11, 29, 9, 0, tzinfo=timezone.utc)


def sweep_config(screen_geometry=None):
    """The demo configuration with the hardest content: a long service name in every
    language, a closed service (with hours), a disabled one, one whose quota is 1."""
    config = load_config(config_resource("demo.toml"))
    services = []
    for service in config.services:
        if service.id == LONG_SERVICE:
            group = service.group or {}
            names = {lang: f"{name} – {group.get(lang, '')} – {name}"
                     for lang, name in service.names.items()}
            service = dataclasses.replace(service, names=names)
        elif service.id == "ausweis":
            service = dataclasses.replace(service, daily_quota=1)
        elif service.id == "abholung":
            weekdays = {day: (parse_range("07:30-12:00"),)
                        for day in ("mon", "tue", "wed", "thu", "fri")}
            service = dataclasses.replace(service, hours=OpeningHours(weekdays))
        elif service.id == "fuehrungszeugnis":
            service = dataclasses.replace(service, enabled=False)
        services.append(service)
    # check-in offered: the entry on the start and services screens is swept too
    appointments = dataclasses.replace(config.appointments, enabled=True,
                                       office_id=config.appointments.office_id or "bb-mitte")
    config = dataclasses.replace(config, services=tuple(services), appointments=appointments)
    if screen_geometry is not None:
        config = dataclasses.replace(config, screen=screen_geometry)
    return config


def geometry(config, px, size_mm):
    return dataclasses.replace(config.screen, width_px=px[0], height_px=px[1],
                               width_mm=size_mm[0], height_mm=size_mm[1])


def use_up_quota(app) -> None:
    app.tickets.issue("ausweis", "de")
    app.tickets._last_issue = float("-inf")


def layout_frame() -> None:
    """One frame of Kivy's loop without drawing: clock events (layouts, label textures)
    and the kv bindings, which is all geometry needs; the window is not redrawn."""
    from kivy.clock import Clock
    from kivy.lang import Builder

    Clock.tick()
    Builder.sync()
    Clock.tick_draw()
    Builder.sync()


def settle(max_frames: int = 12, draw: bool = False) -> None:
    """Step frames until the widget tree stops moving (layouts cascade over frames)."""
    from kivy.core.window import Window

    from kiosk.app import step

    frame = (lambda: step(1)) if draw else layout_frame

    def signature():
        return tuple((round(w.x), round(w.y), round(w.width), round(w.height))
                     for w in Window.children[0].walk(restrict=False))

    frame()
    frame()
    last = signature()
    for _ in range(max_frames):
        frame()
        now = signature()
        if now == last:
            return
        last = now


def set_case(app, screen_name: str, px, size_mm, lang: str, large: bool, state: str) -> None:
    """Put the app into one case of the matrix."""
    from kiosk.ui_runner import apply_state

    root = app.root
    if app.kiosk_config.screen.width_px != px[0] or \
            app.kiosk_config.screen.height_px != px[1] or \
            app.kiosk_config.screen.width_mm != size_mm[0]:
        app.set_screen(geometry(app.kiosk_config, px, size_mm))
    app.touch()  # the idle check must not bring the warning back
    root.hide_idle_warning()
    services = root.get_screen("services")
    services.clear()
    if app.large_text != large:
        app.toggle_large_text()
    if state not in INTAKE_STATES and app.kiosk_config.intake.enabled:
        # the intake states switch the intake on; the other states keep the sweep's config
        app.kiosk_config = dataclasses.replace(
            app.kiosk_config, intake=dataclasses.replace(app.kiosk_config.intake,
                                                         enabled=False))
    if state == "language":
        apply_state(app, "language", lang, {})
    elif state == "language-printer-down":
        apply_state(app, "language", lang, {"printer_ok": "false"})
    elif state == "services":
        apply_state(app, "services", lang, {})
    elif state == "services-both-entries":
        # "I have an appointment" and "Register your new address" above the services
        apply_state(app, "services", lang, {"checkin": "true", "intake": "true"})
    elif state == "services-refused":
        apply_state(app, "services", lang, {})
        services.show_refusal("quota_reached")
    elif state == "ticket-estimate":
        apply_state(app, "ticket", lang, {"number": "A017", "service": LONG_SERVICE,
                                          "people_ahead": "12", "estimate_min": "45",
                                          "printed": "true"})
    elif state == "ticket-print-failed":
        apply_state(app, "ticket", lang, {"number": "A017", "service": LONG_SERVICE,
                                          "people_ahead": "3", "printed": "false"})
    elif state == "idle-warning":
        apply_state(app, "services", lang, {"idle_warning": "25"})
    elif state == "language-notice":
        apply_state(app, "language", lang, {"notice": "longer_waits"})
    elif state in ("staff-pin", "staff-menu", "out-of-service"):
        screen = state.replace("-", "_")
        extra = {"staff-pin": {"digits": "12", "locked_s": "95"},
                 "staff-menu": {"closed": f"{LONG_SERVICE}:appointment_only"}}
        apply_state(app, screen, lang, extra.get(state, {}))
        # staff screens show the terminal's default language: each language in turn
        app.set_language(lang)
    elif state == "checkin-scan":
        apply_state(app, "checkin_scan", lang, {})
    elif state == "checkin-keypad":
        # all 12 digits, and the message for a 13th
        apply_state(app, "checkin_keypad", lang, {"code": "204517204517"})
        keypad = root.get_screen("checkin_keypad")
        keypad.too_long = True
        keypad.refresh()
    elif state in INTAKE_STATES:
        screen, extra = INTAKE_STATES[state]
        for other in ("intake_household", "intake_person"):  # no keyboard left open
            if root.manager.has_screen(other):
                root.get_screen(other).hide_keyboard()
        apply_state(app, screen, lang, dict(extra))
    elif state.startswith("checkin-"):
        outcome = {"checkin-checking": "checking", "checkin-too-late": "too_late",
                   "checkin-too-early": "too_early", "checkin-not-a-booking": "not_a_booking",
                   "checkin-ticket": "checked_in", "checkin-already": "already_checked_in"}
        apply_state(app, "checkin_result", lang, {"outcome": outcome[state],
                                                  "service": LONG_SERVICE})
    else:
        raise ValueError(state)
