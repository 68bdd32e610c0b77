"""The check-in screens: "scan your code" with a drawing of where to hold the phone, a
large keypad for the booking code that validates as you type, "checking…" and a result
for every outcome (the reason from check_in_text, with what to do next), and the ticket
of a check-in, shown like a walk-in ticket with the slot time. The flow's logic is in
kiosk/screens/check_in.py; here are only texts and layout."""

from __future__ import annotations

from pathlib import Path

from kivy.graphics import Color, Line
from kivy.lang import Builder
from kivy.properties import NumericProperty

from kiosk.screens.base import KioskScreen
from kiosk.screens.ticket import TicketScreen
from kiosk.services.check_in_result import CheckInOutcome, CheckInResult
from kiosk.widgets import scan_drawing  # noqa: F401  (ScanDrawing for the kv rules)
from kiosk.widgets.common import BigButton, discard, equalize_heights

Builder.load_file(str(Path(__file__).with_name("check_in.kv")))

MAX_DIGITS = 12  # the codes helper's parse_typed: 4 to 12 digits

# outcomes that concern the code itself: scanning or typing it again may help
_RETRY = (CheckInOutcome.NOT_A_BOOKING, CheckInOutcome.UNKNOWN, CheckInOutcome.UNREACHABLE)


def time_text(when, lang: str) -> str:
    """10:30 in the office's time zone, as the reason texts (check_in_text) write it,
    so the big figure and the sentence on one screen agree."""
    from kiosk.domain.clock import local

    return local(when).strftime("%H:%M")


def reason_text(result: CheckInResult, lang: str) -> str:
    from kiosk.services.check_in_text import reason_text as text

    return text(result, lang)


def _reorder(row, widgets) -> None:
    if list(reversed(row.children)) != widgets:
        row.clear_widgets()
        for widget in widgets:
            row.add_widget(widget)


class CheckInScanScreen(KioskScreen):
    def clear(self) -> None:
        pass  # nothing of the visitor's is kept here

    def refresh(self) -> None:
        ids = self.ids
        ids.back.text = self.tr("Back")
        ids.heading.text = self.tr("Scan your code")
        ids.instruction.text = self.tr(
            "Hold the QR code of your appointment confirmation in front of the scanner "
            "window, as in the picture, on your phone or on paper.")
        ids.where.text = self.tr(
            "You find the code in the e-mail or letter that confirms your appointment.")
        ids.type_code.text = self.tr("Type the booking code instead")
        _reorder(ids.header, self.ordered([ids.back.__self__, ids.heading.__self__]))
        if ids.main.orientation == "horizontal":
            _reorder(ids.main, self.ordered([ids.drawing.__self__, ids.area.__self__]))
        else:
            _reorder(ids.main, [ids.drawing.__self__, ids.area.__self__])
        ids.drawing.redraw()


class KeypadKey(BigButton):
    """A key of the booking-code keypad; the delete key draws its sign (no font has
    to carry it)."""

    def _draw_icon(self, *_args) -> None:
        if self.icon != "backspace":
            return super()._draw_icon(*_args)
        self.canvas.after.clear()
        from kivy.app import App

        app = App.get_running_app()
        if app is None:
            return
        mm = app.px_per_mm
        w, h = 14 * mm * app.text_scale, 8 * mm * app.text_scale
        x, y = self.center_x - w / 2, self.y + (self.height - h) / 2
        tip = h / 2
        width = max(1.0, 0.6 * mm)
        with self.canvas.after:
            Color(*self.color)
            # a key cap pointing left, with a cross in it: "delete the last digit"
            Line(points=[x, y + h / 2, x + tip, y + h, x + w, y + h, x + w, y,
                         x + tip, y], close=True, width=width)
            cx, cy, c = x + tip + (w - tip) / 2, y + h / 2, h * 0.22
            Line(points=[cx - c, cy - c, cx + c, cy + c], width=width)
            Line(points=[cx - c, cy + c, cx + c, cy - c], width=width)


class CheckInKeypadScreen(KioskScreen):
    key_w = NumericProperty(100)  # px; set from the screen's size in mm

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.digits = ""
        self.too_long = False
        self.keys: dict[str, KeypadKey] = {}
        for label in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "delete", "0", "ok"):
            key = KeypadKey(text=label if label.isdigit() else "")
            key.key = label
            key.bind(on_tap=lambda k: self.press(k.key))
            if label == "delete":
                key.icon = "backspace"
                key.kind = "secondary"
            self.keys[label] = key
            self.ids.keypad.add_widget(key)
        self.ids.main.bind(size=self._size_keys, orientation=self._size_keys)

    def clear(self) -> None:
        self.digits = ""
        self.too_long = False
        if "code" in self.ids:
            self.refresh()

    def typed_state(self, text: str) -> str:
        from kiosk.domain.checkin_code import typed_state

        return typed_state(text)

    def press(self, key: str) -> None:
        self.app.touch()
        self.too_long = False
        if key == "delete":
            self.digits = self.digits[:-1]
        elif key == "ok":
            if self.typed_state(self.digits) == "valid":
                self.app.check_in.submit(self.digits, typed=True)
            return
        elif key.isdigit():
            if self.typed_state(self.digits + key) == "invalid":
                self.too_long = True  # the digit is not taken; the message says why
            else:
                self.digits += key
        self.refresh()

    def _size_keys(self, *_args) -> None:
        app = self.app
        mm = app.px_per_mm
        main = self.ids.main
        # landscape: four rows in the full height beside the texts; portrait: under them
        if main.orientation == "horizontal":
            room_mm = (main.height - main.padding[1] - main.padding[3]) / mm
            key_h = max(20.0, min(30.0, (room_mm - 3 * 3) / 4))
            # the texts beside keep at least 60 % of the width
            room_w = (main.width - main.padding[0] - main.padding[2]) / mm
            key_w = max(22.0, min(30.0, (room_w * 0.4 - 6) / 3))
        else:
            key_h = 26.0
            key_w = max(24.0, (main.width - main.padding[0] - main.padding[2]) / mm / 3 - 2)
        self.key_w = key_w * mm
        for key in self.keys.values():
            key.min_height_mm = key_h
            key.width = key_w * mm
        # "OK" is a word in some languages ("Tamam"): small enough for one line
        ok = self.keys["ok"]
        ok.size_mm = max(4.0, min(7.0, (key_w - 7) / (0.62 * max(2, len(ok.text))
                                                       * app.text_scale)))

    def refresh(self) -> None:
        ids, tr = self.ids, self.tr
        ids.back.text = tr("Back")
        ids.heading.text = tr("Type your booking code")
        ids.explain.text = tr("The booking code is the appointment number in your "
                              "confirmation: 4 to 12 digits.")
        self.keys["ok"].text = tr("OK")
        state = self.typed_state(self.digits)
        ok = self.keys["ok"]
        ok.kind = "primary" if state == "valid" else "disabled"
        ok.icon = "" if state == "valid" else "unavailable"
        ids.code.text = self.digits
        if self.too_long:
            ids.state.text = tr("A booking code has at most 12 digits.")
            ids.state.role = "warning_text"
        elif state == "valid":
            ids.state.text = tr("Tap OK to check in.")
            ids.state.role = "text"
        else:
            ids.state.text = ""
            ids.state.role = "text"
        for label, key in self.keys.items():
            if label.isdigit():
                key.kind = "primary"
        _reorder(ids.header, self.ordered([ids.back.__self__, ids.filler.__self__]))
        if ids.main.orientation == "horizontal":
            _reorder(ids.main, self.ordered([ids.side.__self__, ids.keypad.__self__]))
        else:
            _reorder(ids.main, [ids.side.__self__, ids.keypad.__self__])
        self._size_keys()


class CheckInResultScreen(KioskScreen):
    """"Checking…" while the code is checked, then the outcome that is not a ticket."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.result: CheckInResult | None = None
        self.checking = False

    def clear(self) -> None:
        self.result = None
        self.checking = False

    def show_checking(self) -> None:
        self.result, self.checking = None, True
        self.refresh()

    def show_result(self, result: CheckInResult) -> None:
        self.result, self.checking = result, False
        self.refresh()

    def refresh(self) -> None:
        ids, tr, app = self.ids, self.tr, self.app
        result = self.result
        row = ids.actions
        discard(row.children)
        row.clear_widgets()
        ids.come_back_caption.text = ids.come_back.text = ""
        if result is None:
            ids.title.text = tr("Checking your booking…") if self.checking else ""
            ids.message.text = ""
            return
        ids.title.text = ""
        ids.message.text = reason_text(result, app.lang)
        if result.outcome is CheckInOutcome.TOO_EARLY and result.come_back_at is not None:
            ids.come_back_caption.text = tr("Check-in opens at")
            ids.come_back.text = time_text(result.come_back_at, app.lang)
        buttons = []
        if result.outcome is CheckInOutcome.TOO_LATE and result.service:
            walk_in = BigButton(text=tr("Take a walk-in ticket"), kind="primary")
            walk_in.bind(on_tap=lambda *_: app.check_in.walk_in_instead(result))
            buttons.append(walk_in)
        elif result.outcome in _RETRY:
            again = BigButton(text=tr("Try again"), kind="primary")
            again.bind(on_tap=lambda *_: app.check_in.try_again())
            buttons.append(again)
        start = BigButton(text=tr("Back to start"), kind="secondary")
        start.bind(on_tap=lambda *_: app.reset_visit())
        buttons.append(start)
        for button in buttons:
            button.size_mm = 7 if app.compact else 8.5  # a 10.1" screen keeps the message
        for button in self.ordered(buttons) if row.orientation == "horizontal" else buttons:
            row.add_widget(button)
        equalize_heights(buttons)
        ids.area.scroll_to_top()


class CheckInTicketScreen(TicketScreen):
    """The ticket of a check-in (or the one the visitor already has): the walk-in
    ticket's layout and number, with the slot time under the service."""

    def clear(self) -> None:
        super().clear()
        self.result: CheckInResult | None = None
        self.already = False

    def show_result(self, result: CheckInResult) -> None:
        self.result = result
        # already checked in: nothing new is printed, the reason says so
        self.already = result.outcome is CheckInOutcome.ALREADY_CHECKED_IN
        self.show_ticket(number=result.number or "", service=result.service or "",
                         people_ahead=result.people_ahead, estimate_min=result.estimate_min,
                         printed=None)

    def refresh(self) -> None:
        super().refresh()
        result, ids, app = self.result, self.ids, self.app
        if result is None or not self.number:
            return
        if result.slot is not None:
            slot = self.tr("Your appointment: {time}").format(
                time=time_text(result.slot, app.lang))
            ids.service.text = f"{ids.service.text}\n{slot}" if ids.service.text else slot
        if self.already:
            ids.status.text = reason_text(result, app.lang)
            ids.status.role = "text"
            ids.status_box.warning = False


SCREENS = {"checkin_scan": CheckInScanScreen, "checkin_keypad": CheckInKeypadScreen,
           "checkin_result": CheckInResultScreen, "checkin_ticket": CheckInTicketScreen}


def build_screen(name: str):
    """The check-in screen called `name` (kiosk.widgets.root builds screens on first use)."""
    return SCREENS[name](name=name)
