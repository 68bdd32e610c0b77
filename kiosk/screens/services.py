"""Service choice: large buttons grouped by office area; a closed service or one whose
tickets are gone says so on its button and issues nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from babel.dates import format_date, format_skeleton
from kivy.lang import Builder
from kivy.uix.gridlayout import GridLayout

from kiosk.domain.clock import OFFICE_ZONE
from kiosk.domain.next_opening import next_opening
from kiosk.screens.base import PRINTER_NOTICE, KioskScreen
from kiosk.screens.check_in_entry import place_entry
from kiosk.services.availability_snapshot import STORE_TROUBLE
from kiosk.services.issue_ticket import EXHAUSTED_MESSAGE, EXHAUSTED_NOTE
from kiosk.widgets.common import BigButton, KLabel, discard, equalize_heights

Builder.load_file(str(Path(__file__).with_name("services.kv")))


def staff_text(tr, state: str) -> str | None:
    """The prepared message of a service staff closed for today ("staff:<id>")."""
    from kiosk.services.staff_texts import SERVICE_MESSAGES

    if state.startswith("staff:") and state[6:] in SERVICE_MESSAGES:
        return tr(SERVICE_MESSAGES[state[6:]])
    return None


def availability_text(tr, state: str) -> str:
    if staff_text(tr, state) is not None:
        return staff_text(tr, state)
    return {
        "closed": tr("Closed now"),
        "quota_reached": tr("No more tickets today"),
        "exhausted": tr(EXHAUSTED_NOTE),
        "disabled": tr("Not available today"),
        STORE_TROUBLE: tr("Not available at the moment"),
    }.get(state, "")


def refusal_text(tr, reason: str) -> str:
    if staff_text(tr, reason) is not None:
        return staff_text(tr, reason)
    return {
        "closed": tr("This service is closed now. Please come back during opening hours."),
        "quota_reached": tr("All tickets for this service have been given out today. "
                            "Please come back on another day or book an appointment online."),
        "exhausted": tr(EXHAUSTED_MESSAGE),
        "disabled": tr("This service is not available today. Please ask at the information "
                       "desk."),
        "busy": tr("Your ticket is on its way. Please wait a moment."),
        # the office server is away and [store] offline = "ask_at_desk"
        "offline": tr("No number can be issued here right now: this terminal cannot reach "
                      "the office server. Please ask at the information desk."),
    }.get(reason, tr("Something went wrong. No ticket was issued. Please ask at the "
                     "information desk."))


def opening_text(tr, lang: str, opening: datetime, now: datetime) -> str:
    """"Opens Monday at 07:30" in the visitor's language (day names and time from
    Babel's CLDR data); "today" when it opens later the same day."""
    when = opening.astimezone(OFFICE_ZONE)
    time_text = format_skeleton("Hm", when, tzinfo=OFFICE_ZONE, locale=lang)
    if when.date() == now.astimezone(OFFICE_ZONE).date():
        return tr("Opens today at {time}").format(time=time_text)
    day = format_date(when.date(), "EEEE", locale=lang)
    return tr("Opens {day} at {time}").format(day=day, time=time_text)


def service_columns(width_mm: float, text_scale: float, portrait: bool) -> int:
    """Two columns where two service names fit side by side (85 mm each at normal text),
    else one (portrait, larger text on a small screen)."""
    return 1 if portrait or width_mm < 2 * 85 * text_scale + 5 else 2


class ServicesScreen(KioskScreen):
    message_reason = ""
    forced_state = ""  # screenshots: every service shown in this state
    # the grouping the list's widgets were built for; a refresh reuses them (issue 9
    # item 4: rebuilding 6 buttons per refresh was most of a language tap's frame)
    _built_shape: tuple | None = None
    _rows: list = []

    def clear(self) -> None:
        self.message_reason = ""
        self.forced_state = ""

    def show_refusal(self, reason: str) -> None:
        self.message_reason = reason
        self.refresh()
        self.ids.area.scroll_to_top()  # the message stands above the list

    def state_of(self, service) -> str:
        if self.forced_state:
            return self.forced_state
        # never the store on the UI thread: the walk-in controller keeps a snapshot
        return self.app.walk_in.state_of(service)

    def note_for(self, service, state: str) -> str:
        note = availability_text(self.tr, state)
        if state == "closed":
            app = self.app
            now = app.tickets.clock()
            opening = next_opening(app.kiosk_config.hours_for(service), now)
            if opening is not None:
                note = f"{note}\n{opening_text(self.tr, app.lang, opening, now)}"
        return note

    def refresh(self) -> None:
        app = self.app
        config = app.kiosk_config
        self.ids.heading.text = self.tr("What is your visit about?")
        self.ids.back.text = self.tr("Back")
        row = self.ids.header
        order = [w.__self__ for w in self.ordered([self.ids.back, self.ids.heading])]
        if list(reversed(row.children)) != order:
            row.clear_widgets()
            for widget in order:
                row.add_widget(widget)
        place_entry(self.ids.checkin_slot, app, bilingual=False)
        message = self.ids.message
        if self.message_reason:
            message.text = refusal_text(self.tr, self.message_reason)
        elif not app.printer_ok:
            message.text = self.tr(PRINTER_NOTICE)
        else:
            message.text = ""
        groups: dict[str, list] = {}
        for service in config.services:
            group = ""
            if service.group:
                group = service.group.get(app.lang) or service.group.get(
                    config.default_language) or ""
            groups.setdefault(group, []).append(service)
        # the list's width: the screen less padding and the scroll bar's room
        cols = service_columns(app.screen_mm[0] - 20 * app.space - 5, app.text_scale,
                               app.portrait)
        shape = tuple((bool(group), tuple(s.id for s in services))
                      for group, services in groups.items())
        if shape != self._built_shape:
            self._build_list(shape)
        # the widgets stay; a refresh gives them this visit's texts and states (a text
        # set to the one it has is not laid out or drawn again)
        for (group, services), (label, grid, buttons) in zip(groups.items(), self._rows):
            if label is not None:
                label.text = group
            grid.cols = cols
            grid.spacing = app.px_per_mm * 5
            # in RTL the first service stands on the right of each row
            grid.orientation = "rl-tb" if app.rtl else "lr-tb"
            for service, button in zip(services, buttons):
                state = self.state_of(service)
                label_text = service.name(app.lang, config.default_language)
                note = self.note_for(service, state)
                button.text = f"{label_text}\n{note}" if note else label_text
                button.kind = "primary" if state == "open" else "disabled"
                button.icon = "" if state == "open" else "unavailable"
                button.service_state = state
                button._draw_icon()  # its side follows the text direction, which may differ

    def _build_list(self, shape) -> None:
        """The group captions, grids and buttons for the configured services (built
        again only when the services or their grouping change)."""
        body = self.ids.list
        discard(body.children)
        body.clear_widgets()
        self._rows = []
        for has_label, service_ids in shape:
            label = None
            if has_label:
                label = KLabel(size_mm=9, role="muted_text")
                body.add_widget(label)
            grid = GridLayout(size_hint_y=None)
            grid.bind(minimum_height=grid.setter("height"))
            buttons = []
            for service_id in service_ids:
                button = BigButton()
                button.service_id = service_id
                button.service_state = "open"
                button.bind(on_tap=lambda b: self.choose(b.service_id, b.service_state))
                buttons.append(button)
                grid.add_widget(button)
            equalize_heights(buttons)
            body.add_widget(grid)
            self._rows.append((label, grid, buttons))
        self._built_shape = shape

    def on_pre_enter(self, *args):
        self.app.walk_in.services_shown()  # drawn from the snapshot, read again behind
        super().on_pre_enter(*args)
        self.ids.area.scroll_to_top()

    def choose(self, service_id: str, state: str) -> None:
        if state != "open":
            self.show_refusal(state)
            return
        self.message_reason = ""
        self.app.request_ticket(service_id)
