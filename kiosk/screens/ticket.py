"""Ticket screen: the number very large, people ahead, an honest estimate and what the
printer did. When printing fails the visitor is told to note the number shown."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.screens.base import KioskScreen

Builder.load_file(str(Path(__file__).with_name("ticket.kv")))


class TicketScreen(KioskScreen):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.clear()

    def clear(self) -> None:
        self.number = ""
        self.service_id = ""
        self.people_ahead: int | None = None
        self.estimate_min: int | None = None
        self.printed: bool | None = None  # None: still printing

    def show_issuing(self, service_id: str) -> None:
        self.clear()
        self.service_id = service_id
        self.refresh()

    def show_ticket(self, number: str, service: str, people_ahead: int,
                    estimate_min: int | None, printed: bool | None = None) -> None:
        self.number, self.service_id = number, service
        self.people_ahead, self.estimate_min, self.printed = people_ahead, estimate_min, printed
        self.refresh()

    def show_print_result(self, printed: bool) -> None:
        self.printed = printed
        self.refresh()

    def refresh(self) -> None:
        tr, ids, app = self.tr, self.ids, self.app
        service = app.kiosk_config.service(self.service_id)
        ids.service.text = service.name(app.lang, app.kiosk_config.default_language) \
            if service else ""
        ids.done.text = tr("Finish")
        if not self.number:
            ids.title.text = tr("Your number is being issued…")
            ids.number.text = ""
            ids.ahead.text = ids.estimate.text = ids.status.text = ""
            ids.status_box.opacity = 0
            return
        ids.title.text = tr("Your number")
        ids.number.text = self.number
        ids.ahead.text = tr("People ahead of you: {count}").format(count=self.people_ahead)
        if self.estimate_min is None:
            ids.estimate.text = tr("Waiting time: not known yet")
        else:
            ids.estimate.text = tr("Estimated waiting time: about {minutes} min").format(
                minutes=self.estimate_min)
        ids.status_box.opacity = 1
        if self.printed is None:
            ids.status.text = tr("Your ticket is being printed…")
            ids.status.role = "text"
            ids.status_box.warning = False
        elif self.printed:
            ids.status.text = tr("Please take your ticket from the printer below.")
            ids.status.role = "text"
            ids.status_box.warning = False
        else:
            ids.status.text = tr("Your ticket could not be printed. Please write down or "
                                 "photograph your number: {number}. You keep your place in "
                                 "the queue.").format(number=self.number)
            ids.status.role = "warning_text"
            ids.status_box.warning = True
        ids.watch.text = tr("Please watch the display: you will be called by your number.")
