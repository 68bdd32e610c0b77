"""Date entry in three boxes (day, month, year) for dates that may be partly unknown:
"day unknown" and "month unknown" (which implies an unknown day), digits only, masked
after entry when asked (birth dates: shoulder surfing), mirrored for RTL languages."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.i18n import N_
from kivy.uix.widget import Widget

from kiosk.widgets.common import CheckToggle, KLabel
from kiosk.widgets.keyboard import KeyField
from kiosk.widgets.masked_field import ShowToggle

DAY, MONTH, YEAR = N_("Day"), N_("Month"), N_("Year")
DAY_UNKNOWN, MONTH_UNKNOWN = N_("Day unknown"), N_("Month unknown")

_LENGTHS = {"day": 2, "month": 2, "year": 4}


def _tr(text: str) -> str:
    app = App.get_running_app()
    return app.tr(text) if app is not None and hasattr(app, "tr") else text


class DatePart(BoxLayout):
    """A caption over one box of the date."""

    part = StringProperty("day")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        part = self.part
        self.caption = KLabel(size_mm=6.5, role="muted_text")
        self.field = KeyField(digits_only=True, max_length=_LENGTHS[part])
        self.field.part = part
        self.add_widget(self.caption)
        self.add_widget(self.field)


class DateRow(BoxLayout):
    """A row of the date entry, as high as its tallest widget."""


class DateEntry(BoxLayout):
    """Day, month and year boxes with "day unknown" / "month unknown" toggles.

    `keyboard`: the screen's IntakeKeyboard; a tapped box becomes its target (digits
    layout), a full box moves on to the next. `masked`: when no box is being typed in,
    the date shows as dots, with a show/hide toggle. `parts()` gives (day, month, year)
    as strings, "" for an unknown part (as intake_rules.parse_partial_date takes them);
    the event `on_change(day, month, year)` fires on every change. `partial` False: a
    date known to the day, without the toggles. `refresh()` re-reads
    the texts in the visitor's language."""

    keyboard = ObjectProperty(None, allownone=True)
    day_unknown = BooleanProperty(False)
    month_unknown = BooleanProperty(False)
    masked = BooleanProperty(False)
    # False: a date known to the day (move-in, document expiry): no "unknown" toggles
    partial = BooleanProperty(True)
    revealed = BooleanProperty(False)
    mirrored = BooleanProperty(False)  # app.rtl (date_entry.kv)
    editing = BooleanProperty(False)  # a box of this date is the keyboard's target

    def __init__(self, **kwargs):
        self.register_event_type("on_change")
        self.parts_by_name = {p: DatePart(part=p) for p in ("day", "month", "year")}
        self.fields = {p: part.field for p, part in self.parts_by_name.items()}
        self.show_toggle = ShowToggle()
        self._filler = Widget()
        self.day_toggle = CheckToggle(size_mm=7.5)
        self.month_toggle = CheckToggle(size_mm=7.5)
        super().__init__(**kwargs)
        self.boxes = DateRow()
        self.toggles = DateRow()
        self.add_widget(self.boxes)
        if self.partial:
            self.add_widget(self.toggles)
        for field in self.fields.values():
            field.bind(on_release=lambda f: self.activate(f.part),
                       value=self._on_value)
        self.show_toggle.bind(revealed=self.setter("revealed"))
        self.day_toggle.bind(on_tap=lambda *_: self.set_unknown(
            "day", not self.day_unknown))
        self.month_toggle.bind(on_tap=lambda *_: self.set_unknown(
            "month", not self.month_unknown))
        self.bind(mirrored=self._arrange, masked=self._arrange, partial=self._offer_unknown)
        self.bind(masked=self._mask, revealed=self._mask, editing=self._mask)
        self._arrange()
        self._mask()
        self.refresh()

    # -- texts and order ------------------------------------------------------------

    def refresh(self) -> None:
        for part, text in (("day", DAY), ("month", MONTH), ("year", YEAR)):
            self.parts_by_name[part].caption.text = _tr(text)
        self.day_toggle.text = _tr(DAY_UNKNOWN)
        self.month_toggle.text = _tr(MONTH_UNKNOWN)
        self.show_toggle.refresh()
        self._show_unknown()

    def _arrange(self, *_args) -> None:
        # day first in reading order: on the right in RTL (digits stay left to right)
        order = [self.parts_by_name[p] for p in ("day", "month", "year")]
        if self.masked:
            order.append(self.show_toggle)
        order.append(self._filler)  # the boxes stand on the start side
        toggles = [self.day_toggle, self.month_toggle]
        if self.mirrored:
            order.reverse()
            toggles.reverse()
        for row, widgets in ((self.boxes, order), (self.toggles, toggles)):
            if list(reversed(row.children)) != widgets:
                row.clear_widgets()
                for widget in widgets:
                    row.add_widget(widget)

    def _offer_unknown(self, *_args) -> None:
        # the toggles row is in the tree only when offered: hidden, it would still
        # catch touches meant for the boxes
        if self.partial and self.toggles.parent is None:
            self.add_widget(self.toggles)
        elif not self.partial:
            if self.toggles.parent is self:
                self.remove_widget(self.toggles)
            self.set_unknown("month", False)
            self.set_unknown("day", False)

    # -- typing ---------------------------------------------------------------------

    def activate(self, part: str | None) -> None:
        """Make one box the keyboard's target (None: leave the date)."""
        if part is not None and not self.fields[part].disabled:
            field = self.fields[part]
            if self.keyboard is not None:
                self.keyboard.layout = "digits"
                self.keyboard.target = field
            for other in self.fields.values():
                other.active = other is field
            self.editing = True
        else:
            self.leave()

    def leave(self) -> None:
        """No box is typed in any more: a masked date hides again."""
        for field in self.fields.values():
            field.active = False
        if self.keyboard is not None and self.keyboard.target in self.fields.values():
            self.keyboard.target = None
        self.editing = False
        self.revealed = False

    def on_keyboard(self, _self, keyboard) -> None:
        if keyboard is not None:
            keyboard.bind(target=self._target_moved)

    def _target_moved(self, _keyboard, target) -> None:
        if self.editing and target not in self.fields.values():
            self.leave()

    def _on_value(self, field, value: str) -> None:
        # a full box moves on (to the next one that is not unknown)
        if field.active and len(value) >= _LENGTHS[field.part]:
            order = ["day", "month", "year"]
            for part in order[order.index(field.part) + 1:]:
                if not self.fields[part].disabled:
                    self.activate(part)
                    break
        self.dispatch("on_change", *self.parts())

    def parts(self) -> tuple[str, str, str]:
        """(day, month, year) as typed; "" for a part that is unknown or empty."""
        day = "" if self.day_unknown else self.fields["day"].value
        month = "" if self.month_unknown else self.fields["month"].value
        return day, month, self.fields["year"].value

    def set_parts(self, day: str, month: str, year: str) -> None:
        """Fill the boxes (going back to a step: the entry is kept); "" day or month
        of a given year counts as unknown."""
        self.fields["year"].value = year
        self.fields["month"].value = month
        self.fields["day"].value = day
        if self.partial:
            self.set_unknown("month", bool(year) and not month)
            self.set_unknown("day", bool(year) and not day)

    def clear(self) -> None:
        for field in self.fields.values():
            field.value = ""
        self.set_unknown("month", False)
        self.set_unknown("day", False)
        self.leave()

    def set_unknown(self, part: str, unknown: bool) -> None:
        if part == "day" and not unknown and self.month_unknown:
            return  # an unknown month leaves the day unknown
        setattr(self, f"{part}_unknown", unknown)
        if part == "month" and unknown:
            self.day_unknown = True
        for name in ("day", "month"):
            if getattr(self, f"{name}_unknown"):
                field = self.fields[name]
                field.value = ""
                if field.active:
                    self.activate("year")
        self._show_unknown()
        self.dispatch("on_change", *self.parts())

    def _show_unknown(self) -> None:
        self.day_toggle.active = self.day_unknown
        self.month_toggle.active = self.month_unknown
        self.day_toggle.on_active()
        self.month_toggle.on_active()
        if self.month_unknown:
            self.day_toggle.kind = "disabled"  # implied; the check still shows it
        self.fields["day"].disabled = self.day_unknown
        self.fields["month"].disabled = self.month_unknown

    def toggle_reveal(self) -> None:
        self.show_toggle.revealed = not self.show_toggle.revealed

    def _mask(self, *_args) -> None:
        for field in self.fields.values():
            field.masked = self.masked
            field.revealed = self.revealed
        self.show_toggle.revealed = self.revealed

    def masked_text(self) -> str:
        """The date as the visitor sees it with the boxes left: "••.••.••••"."""
        return ".".join(f.text or "–" for f in self.fields.values())

    def on_change(self, day, month, year):
        pass


Builder.load_file(str(Path(__file__).with_name("date_entry.kv")))
