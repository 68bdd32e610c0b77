"""Ticket screen: the number very large, people ahead, an honest estimate and what the
printer did. When printing fails the visitor is told to note the number shown.

The number is never in a scroll view: it gets the largest size that fits its column
(landscape: beside the details; portrait: above them), up to 15 % of the screen's short
side (40 mm digits on a 21.5" screen); the details scroll when they do not fit."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.uix.label import Label

from kiosk import screen_fit
from kiosk.i18n import N_
from kiosk.screens.base import KioskScreen
from kiosk.widgets.common import RendersWhenShown

# a number from the terminal's reserved range ([store] offline = "local_range")
OFFLINE_NOTE = N_("This terminal cannot reach the office server right now. Your number "
                  "is valid all the same.")

Builder.load_file(str(Path(__file__).with_name("ticket.kv")))


class NumberLabel(RendersWhenShown, Label):
    """The ticket number (font size set by TicketScreen.fit_number); not rendered while
    the ticket screen is hidden."""


@lru_cache(maxsize=64)
def _measure(text: str) -> tuple[int, int]:
    """Texture size of `text` in the number's font at 100 px (it scales linearly)."""
    from kivy.core.text import Label as CoreLabel

    label = CoreLabel(text=text, font_name="Roboto", bold=True, font_size=100)
    label.refresh()
    return label.texture.size


class TicketScreen(KioskScreen):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.clear()
        self._fit_trigger = Clock.create_trigger(self.fit_number, -1)
        ids = self.ids
        for widget in (ids.main, ids.hero, ids.title):
            widget.bind(size=self._fit_trigger)
        ids.number.bind(text=self._fit_trigger)
        ids.finish_row.bind(height=self._fit_trigger)
        ids.figures.bind(orientation=self._order_rows)  # follows the width
        self.app.bind(px_per_mm=self._fit_trigger, portrait=self._fit_trigger)

    def _order_rows(self, *_args) -> None:
        """RTL: the number's column on the right, the figures mirrored; a row turned
        to a column (narrow) keeps reading order from the top."""
        ids = self.ids
        for row, widgets in ((ids.main, [ids.hero, ids.details]),
                             (ids.figures, [ids.ahead_box, ids.estimate_box])):
            order = self.ordered(widgets) if row.orientation == "horizontal" else widgets
            if list(reversed(row.children)) != order:
                row.clear_widgets()
                for widget in order:
                    row.add_widget(widget)

    def _place_finish(self) -> None:
        ids = self.ids
        row = ids.finish_row.__self__  # ids hold proxies: compare the widgets
        home = (ids.outer if self.app.portrait else ids.hero).__self__
        if row.parent is not home:
            if row.parent is not None:
                row.parent.remove_widget(row)
            home.add_widget(row)

    def number_digits_mm(self) -> float:
        """Digit height of the number as shown (Roboto's cap height per em)."""
        return self.ids.number.font_size * screen_fit.DIGIT_EM / self.app.px_per_mm

    def fit_number(self, *_args) -> None:
        ids, app = self.ids, self.app
        mm = app.px_per_mm
        width_mm, height_mm = app.screen_mm
        target = screen_fit.font_for_digits_mm(
            screen_fit.target_digits_mm(width_mm, height_mm)) * mm
        floor = screen_fit.font_for_digits_mm(screen_fit.MIN_DIGITS_MM) * mm
        text = ids.number.text or "A000"
        w100, h100 = _measure(text)
        room_w = ids.hero.width - 2 * mm
        slack = 3 * mm  # the label's own margin and rounding
        if app.portrait:
            room_h = ids.main.height - ids.title.height - \
                screen_fit.DETAILS_MIN_MM * mm - ids.main.spacing - slack
        else:
            room_h = ids.main.height - ids.title.height - ids.finish_row.height - \
                3 * ids.hero.spacing - slack
        size = min(target, room_w * 100 / max(w100, 1), room_h * 100 / max(h100, 1))
        ids.number.font_size = max(size, min(floor, target))

    def clear(self) -> None:
        self.number = ""
        self.service_id = ""
        self.people_ahead: int | None = None
        self.estimate_min: int | None = None
        self.printed: bool | None = None  # None: still printing
        self.offline = False  # a number from this terminal's range: the server is away

    def show_issuing(self, service_id: str) -> None:
        self.clear()
        self.service_id = service_id
        self.refresh()

    def show_ticket(self, number: str, service: str, people_ahead: int | None,
                    estimate_min: int | None, printed: bool | None = None,
                    offline: bool = False) -> None:
        self.number, self.service_id, self.offline = number, service, offline
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
        self._order_rows()
        self._place_finish()
        # the figures lead; a failed print puts "note your number" before them
        column = ids.details.content
        order = [ids.figures, ids.status_box, ids.service, ids.watch]
        if self.printed is False:
            order = [ids.status_box, ids.figures, ids.service, ids.watch]
        if list(reversed(column.children)) != order:
            column.clear_widgets()
            for widget in order:
                column.add_widget(widget)
        ids.details.scroll_to_top()
        self._fit_trigger()
        if not self.number:
            ids.title.text = tr("Your number is being issued…")
            ids.number.text = ""
            # the watch line too: it kept the last visitor's text, in their language
            for label in (ids.ahead, ids.ahead_value, ids.estimate, ids.estimate_value,
                          ids.status, ids.watch):
                label.text = ""
            ids.status_box.opacity = 0
            return
        ids.title.text = tr("Your number")
        ids.number.text = self.number
        # large figures under small captions
        ids.ahead.text = tr("People ahead of you")
        # None: the number is issued but the queue could not be read just then
        ids.ahead_value.text = tr("not known yet") if self.people_ahead is None \
            else str(self.people_ahead)
        if self.estimate_min is None:
            ids.estimate.text = tr("Waiting time")
            ids.estimate_value.text = tr("not known yet")
        else:
            ids.estimate.text = tr("Estimated waiting time")
            ids.estimate_value.text = tr("about {minutes} min").format(
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
        if self.offline:  # honest: the figures are unknown because the server is away
            ids.watch.text = f"{tr(OFFLINE_NOTE)} {ids.watch.text}"
