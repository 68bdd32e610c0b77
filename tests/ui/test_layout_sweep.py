"""The layout sweep: every screen x 12 languages x {normal, larger text} x {10.1" 1280x800,
21.5" 1920x1080, 21.5" portrait 1080x1920} with the hardest states (long service names,
closed / disabled / sold-out services, a refusal message, estimate known, print failed,
the idle warning), checked on the widget tree of one app changed in place."""

from __future__ import annotations

import pytest

from tests.ui import layout_checks, sweep
from tests.ui.conftest import HEIGHT, WIDTH, detach


@pytest.fixture(scope="module")
def sweep_app(tmp_path_factory):
    from kivy.core.window import Window

    from kiosk.app import KioskApp, start_embedded
    from kiosk.services.issue_ticket import TicketService
    from kiosk.store.sqlite import SqliteStore
    from kiosk.ui_runner import frozen_clock

    config = sweep.sweep_config()
    store = SqliteStore(tmp_path_factory.mktemp("sweep") / "sweep.sqlite3", terminal_id="ui")
    tickets = TicketService(config, store, None, clock=lambda: sweep.SUNDAY)
    app = start_embedded(KioskApp(config, tickets, monotonic=frozen_clock()))
    sweep.use_up_quota(app)
    yield app
    detach(app)
    store.close()
    # the other UI tests expect the conftest's window, 1280x720, not the last case's
    Window.size = (WIDTH, HEIGHT)


def _number_screen(state: str) -> str:
    """The screen whose ticket number the state shows ('' when none)."""
    if state.startswith("ticket"):
        return "ticket"
    return "checkin_ticket" if state in sweep.CHECKIN_TICKET_STATES else ""


# One test per screen, text size and language (every state in it): cases of seconds,
# so that the suite's workers share the sweep evenly and none ends with a long case alone.
@pytest.mark.parametrize("lang", sweep.LANGS)
@pytest.mark.parametrize("screen_name,px,size_mm", sweep.SCREENS,
                         ids=[s[0] for s in sweep.SCREENS])
@pytest.mark.parametrize("large", [False, True], ids=["normal", "larger"])
def test_every_screen_fits(sweep_app, screen_name, px, size_mm, large, lang):
    problems = []
    for state in sweep.STATES:
        sweep.set_case(sweep_app, screen_name, px, size_mm, lang, large, state)
        sweep.settle()
        number_screen = _number_screen(state)
        found = layout_checks.check(sweep_app, needs_number=bool(number_screen),
                                    number_screen=number_screen or "ticket")
        if number_screen and min(size_mm) >= 268:
            # the number leads: digits of 40 mm on a 21.5" screen, either way round
            digits = sweep_app.root.get_screen(number_screen).number_digits_mm()
            if digits < 40:
                found.append(f"the number's digits are {digits:.1f} mm, less than 40")
        problems += [f"{lang} {state}: {p}" for p in found]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:300])


# High contrast is not checked inside the case above, state by state: each toggle renders
# every label again (3 languages of the 10.1" larger-text case took 63.5 s that way,
# against 11 s to 13 s without high contrast), so it keeps cases of its own.
@pytest.mark.parametrize("lang", sweep.LANGS)
def test_high_contrast_fits_too(sweep_app, lang):
    """High contrast changes colours only; on the tightest case (10.1", larger text) every
    state still fits and keeps its contrast."""
    name, px, size_mm = sweep.SCREENS[0]
    sweep_app.toggle_high_contrast()
    problems = []
    try:
        for state in sweep.STATES:
            sweep.set_case(sweep_app, name, px, size_mm, lang, True, state)
            sweep.settle()
            number_screen = _number_screen(state)
            found = layout_checks.check(sweep_app, bool(number_screen),
                                        number_screen or "ticket")
            problems += [f"{lang} {state}: {p}" for p in found]
    finally:
        sweep_app.toggle_high_contrast()
    assert not problems, "\n".join(problems[:50])


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_right_to_left_mirrors_grids_rows_and_the_bar(sweep_app, lang):
    """The language grid, the rows of service buttons, the figures, the number's column
    and the accessibility bar start on the right in Arabic and Persian."""
    px, size_mm = (1920, 1080), (477.0, 268.0)
    root = sweep_app.root

    def first_right_of_second(first, second):
        return first.to_window(*first.center)[0] > second.to_window(*second.center)[0]

    sweep.set_case(sweep_app, "21in", px, size_mm, lang, False, "language")
    sweep.settle()
    grid = root.get_screen("language").ids.grid
    first, second = grid.children[-1], grid.children[-2]  # children: last added first
    assert first.text == "Deutsch" and first_right_of_second(first, second)
    bar = root.ids.a11y.ids
    assert first_right_of_second(bar.large, bar.contrast)
    assert bar.large.icon_box[0] > bar.large.center_x  # the check box on the start (right) side
    sweep.set_case(sweep_app, "21in", px, size_mm, lang, False, "services")
    sweep.settle()
    row = root.get_screen("services").ids.list.children[-2]  # the first group's grid
    assert first_right_of_second(row.children[-1], row.children[-2])
    sweep.set_case(sweep_app, "21in", px, size_mm, lang, False, "ticket-estimate")
    sweep.settle()
    ids = root.get_screen("ticket").ids
    assert first_right_of_second(ids.hero, ids.details)
    assert first_right_of_second(ids.ahead_box, ids.estimate_box)
    sweep.set_case(sweep_app, "21in", px, size_mm, "de", False, "ticket-estimate")
    sweep.settle()
    assert first_right_of_second(ids.details, ids.hero)
    assert first_right_of_second(ids.estimate_box, ids.ahead_box)


@pytest.mark.parametrize("lang,monday", [("de", "Montag"), ("ar", "الاثنين"),
                                         ("el", "Δευτέρα")])
def test_unavailable_services_look_so_and_say_when_they_open(sweep_app, lang, monday):
    """Not only a grey fill: a drawn sign and a striped frame, the reason in words and,
    where hours are known, the next opening with the day in the visitor's language."""
    sweep.set_case(sweep_app, "21in", (1920, 1080), (477.0, 268.0), lang, False, "services")
    sweep.settle()
    buttons = {b.service_id: b for b in sweep_app.root.walk(restrict=False)
               if getattr(b, "service_id", None)}
    closed = buttons["abholung"]
    assert closed.service_state == "closed" and monday in closed.text and "07:30" in closed.text
    for sid, state in (("abholung", "closed"), ("ausweis", "quota_reached"),
                       ("fuehrungszeugnis", "disabled")):
        button = buttons[sid]
        assert button.service_state == state
        assert button.icon == "unavailable" and button.kind == "disabled"
        assert len(button.canvas.after.children) > 10  # the sign and the stripes
    assert buttons["eat"].icon == "" and buttons["eat"].kind == "primary"


def test_toggles_show_their_state_with_a_check_mark(sweep_app):
    sweep.set_case(sweep_app, "21in", (1920, 1080), (477.0, 268.0), "de", False, "language")
    sweep.settle()
    bar = sweep_app.root.ids.a11y.ids
    assert (bar.large.icon, bar.contrast.icon) == ("check_off", "check_off")
    sweep_app.toggle_large_text()
    sweep.settle()
    assert (bar.large.icon, bar.contrast.icon) == ("check_on", "check_off")
    assert bar.large.height == bar.contrast.height  # they grow together
    sweep_app.toggle_large_text()


def test_persian_larger_text_small_screen_print_failed_shows_number_and_the_note(sweep_app):
    """The issue's "done when": larger text, 10.1" screen, Persian, print failed: the
    whole number is readable and the note to write it down is the first thing beside it."""
    sweep.set_case(sweep_app, "10in", (1280, 800), (217.0, 136.0), "fa", True,
                   "ticket-print-failed")
    sweep.settle()
    assert layout_checks.check_number(sweep_app) == []
    ids = sweep_app.root.get_screen("ticket").ids
    assert ids.details.content.children[-1] is ids.status_box.__self__
    view = ids.details.ids.view
    status_top = ids.status_box.to_window(0, ids.status_box.top)[1]
    assert view.to_window(0, view.y)[1] < status_top <= view.to_window(0, view.top)[1] + 1
    assert "A017" in ids.status.text


def test_a_refresh_keeps_the_visitors_scroll_position(sweep_app):
    """Printer status changes refresh the services screen; a visitor who scrolled down
    the list on a small screen stays where they are."""
    from kiosk.devices.printer.status import PrinterState, PrinterStatus

    sweep.set_case(sweep_app, "10in", (1280, 800), (217.0, 136.0), "de", True, "services")
    sweep.settle()
    area = sweep_app.root.get_screen("services").ids.area
    assert area.overflowing
    area.ids.view.scroll_y = 0  # scrolled to the end
    sweep.settle()
    sweep_app._on_printer_status(PrinterStatus(PrinterState.PAPER_OUT, "paper end"))
    sweep.settle()
    assert area.ids.view.scroll_y == 0
    assert not area.ids.hint.more_below and area.ids.hint.more_above
    sweep_app._on_printer_status(PrinterStatus(PrinterState.ONLINE))
    sweep.settle()


def test_the_scroll_hint_points_where_more_is(sweep_app):
    sweep.set_case(sweep_app, "10in", (1280, 800), (217.0, 136.0), "ar", True, "services")
    sweep.settle()
    area = sweep_app.root.get_screen("services").ids.area
    hint = area.ids.hint
    assert area.overflowing and area.ids.hint_label.text
    for scroll_y, below, above in ((1, True, False), (0.5, True, True), (0, False, True)):
        area.ids.view.scroll_y = scroll_y
        sweep.settle()
        assert (hint.more_below, hint.more_above) == (below, above), scroll_y
    # right to left: the scroll bar on the left, the content clear of it
    assert area.ids.view.bar_pos_y == "left" and area.ids.inner.padding[0] > 0


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_every_check_in_outcome_and_code_kind_fits(sweep_app, lang):
    """A result for every outcome and every kind of refused code, on the tightest case
    (10.1", larger text): nothing cut off, the reason in words, actions as offered."""
    from kiosk.domain.appointment import CodeRefusal
    from kiosk.services.check_in_result import CheckInOutcome
    from kiosk.ui_runner import apply_state

    name, px, size_mm = sweep.SCREENS[0]
    cases = [{"outcome": o.value} for o in CheckInOutcome if o is not
             CheckInOutcome.NOT_A_BOOKING]
    cases += [{"outcome": "not_a_booking", "refusal": r.value} for r in CodeRefusal]
    problems = []
    for case in cases:
        sweep.set_case(sweep_app, name, px, size_mm, lang, True, "language")
        apply_state(sweep_app, "checkin_result", lang, dict(case, service=sweep.LONG_SERVICE))
        sweep.settle()
        root = sweep_app.root
        ticket = case["outcome"] in ("checked_in", "already_checked_in")
        found = layout_checks.check(sweep_app, ticket, "checkin_ticket")
        if ticket:
            assert root.current == "checkin_ticket" and root.get_screen(
                "checkin_ticket").ids.number.text == "T012"
        else:
            screen = root.get_screen("checkin_result")
            assert root.current == "checkin_result" and screen.ids.message.text, case
            labels = [b.text for b in screen.ids.actions.children]
            assert any(sweep_app.tr("Back to start") == t for t in labels), case
            if case["outcome"] == "too_late":
                assert sweep_app.tr("Take a walk-in ticket") in labels
        problems += [f"{case}: {p}" for p in found]
    assert not problems, "\n".join(problems[:50])


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_check_in_screens_mirror_right_to_left(sweep_app, lang):
    """Mirrored: the drawing on the right (its start side), the keypad's texts on the
    right and the keys on the left, the Back button on the right, the first action on
    the right; the keypad's digits keep the phone order (1 2 3 left to right)."""
    px, size_mm = (1920, 1080), (477.0, 268.0)
    root = sweep_app.root

    def right_of(first, second):
        return first.to_window(*first.center)[0] > second.to_window(*second.center)[0]

    sweep.set_case(sweep_app, "21in", px, size_mm, lang, False, "checkin-scan")
    sweep.settle()
    ids = root.get_screen("checkin_scan").ids
    assert right_of(ids.drawing, ids.area) and right_of(ids.back, ids.heading)
    sweep.set_case(sweep_app, "21in", px, size_mm, lang, False, "checkin-keypad")
    sweep.settle()
    keypad = root.get_screen("checkin_keypad")
    assert right_of(keypad.ids.side, keypad.ids.keypad)
    assert right_of(keypad.keys["3"], keypad.keys["1"])
    sweep.set_case(sweep_app, "21in", px, size_mm, "de", False, "checkin-keypad")
    sweep.settle()
    assert right_of(keypad.ids.keypad, keypad.ids.side)
    sweep.set_case(sweep_app, "21in", px, size_mm, lang, False, "checkin-too-late")
    sweep.settle()
    first, second = root.get_screen("checkin_result").ids.actions.children[::-1][:2]
    assert first.kind == "secondary" and right_of(second, first)  # walk-in on the right
