"""Service choice: large buttons grouped by office area; a closed service or one whose
tickets are gone says so on its button and issues nothing."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.screens.base import KioskScreen
from kiosk.widgets.common import BigButton, KLabel, equalize_heights

Builder.load_file(str(Path(__file__).with_name("services.kv")))


def availability_text(tr, state: str) -> str:
    return {
        "closed": tr("Closed now"),
        "quota_reached": tr("No more tickets today"),
        "disabled": tr("Not available today"),
    }.get(state, "")


def refusal_text(tr, reason: str) -> str:
    return {
        "closed": tr("This service is closed now. Please come back during opening hours."),
        "quota_reached": tr("All tickets for this service have been given out today. "
                            "Please come back on another day or book an appointment online."),
        "disabled": tr("This service is not available today. Please ask at the information "
                       "desk."),
        "busy": tr("Your ticket is on its way. Please wait a moment."),
    }.get(reason, tr("Something went wrong. No ticket was issued. Please ask at the "
                     "information desk."))


class ServicesScreen(KioskScreen):
    message_reason = ""

    def clear(self) -> None:
        self.message_reason = ""

    def show_refusal(self, reason: str) -> None:
        self.message_reason = reason
        self.refresh()

    def refresh(self) -> None:
        app = self.app
        config = app.kiosk_config
        self.ids.heading.text = self.tr("What is your visit about?")
        self.ids.back.text = self.tr("Back")
        row = self.ids.header
        for widget in list(row.children):
            row.remove_widget(widget)
        for widget in self.ordered([self.ids.back, self.ids.heading]):
            row.add_widget(widget)
        message = self.ids.message
        if self.message_reason:
            message.text = refusal_text(self.tr, self.message_reason)
        elif not app.printer_ok:
            message.text = self.tr("The ticket printer is not working at the moment. You "
                                   "will still get your number on the screen.")
        else:
            message.text = ""
        body = self.ids.list
        body.clear_widgets()
        groups: dict[str, list] = {}
        for service in config.services:
            group = ""
            if service.group:
                group = service.group.get(app.lang) or service.group.get(
                    config.default_language) or ""
            groups.setdefault(group, []).append(service)
        for group, services in groups.items():
            if group:
                body.add_widget(KLabel(text=group, size_mm=9, role="muted_text"))
            grid = GridLayout(cols=2, spacing=app.px_per_mm * 5, size_hint_y=None)
            grid.bind(minimum_height=grid.setter("height"))
            buttons = []
            for service in services:
                state = app.tickets.availability(service).value
                label = service.name(app.lang, config.default_language)
                note = availability_text(self.tr, state)
                button = BigButton(text=f"{label}\n{note}" if note else label,
                                   kind="primary" if state == "open" else "disabled")
                button.service_id = service.id
                button.bind(on_tap=lambda b, sid=service.id, st=state: self.choose(sid, st))
                buttons.append(button)
            equalize_heights(buttons, app.px_per_mm)
            # in RTL the first service stands on the right of each row; an odd last
            # button gets an empty partner so it stays in its column
            for i in range(0, len(buttons), 2):
                row = buttons[i:i + 2]
                if len(row) == 1:
                    row.append(Widget(size_hint_y=None, height=0))
                for widget in self.ordered(row):
                    grid.add_widget(widget)
            body.add_widget(grid)

    def choose(self, service_id: str, state: str) -> None:
        if state != "open":
            self.show_refusal(state)
            return
        self.message_reason = ""
        self.app.request_ticket(service_id)

