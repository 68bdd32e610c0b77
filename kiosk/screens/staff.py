"""Staff mode's screens: the PIN pad (big keys, masked dots, the lockout's wait), the
functions menu (device status, test print, paper, services and notice for today, out of
service, figures, reprint, restart) and the visitors' out-of-service screen."""

from __future__ import annotations

from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.uix.gridlayout import GridLayout

from kiosk.i18n import gettext_for, is_rtl
from kiosk.screens.base import KioskScreen
from kiosk.services.staff_texts import (DEVICE_STATES, NOTICES, OUT_OF_SERVICE,
                                        SERVICE_MESSAGES)
from kiosk.widgets.common import BigButton, FitButton, KLabel, discard, equalize_heights

Builder.load_file(str(Path(__file__).with_name("staff.kv")))

PIN_KEY_GUARD_S = 0.15  # a PIN repeats digits on purpose: only a contact bounce is dropped


class PinKey(FitButton):
    """A key of the PIN pad: a PIN repeats digits, so only a contact bounce is dropped."""

    def on_release(self):
        import time

        now = time.monotonic()
        if now - self._last_tap < PIN_KEY_GUARD_S:
            return
        self._last_tap = now
        self.dispatch("on_tap")


def wait_text(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.999))
    return f"{seconds // 60}:{seconds % 60:02d}"


class StaffPinScreen(KioskScreen):
    digits = ""
    locked_until = 0.0  # app.monotonic() time until which the pad says "wait"
    refusal = ""
    _tick = None

    @property
    def controller(self):
        return self.app.staff

    def clear(self) -> None:
        self.digits = ""
        self.refusal = ""
        self.locked_until = 0.0
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None

    def press(self, digit: str) -> None:
        self.app.touch()
        if len(self.digits) < 12:
            self.digits += digit
        self.refusal = ""
        self._update()

    def delete(self) -> None:
        self.app.touch()
        self.digits = self.digits[:-1]
        self._update()

    def submit(self) -> None:
        self.app.touch()
        if not self.digits or self._wait_s() > 0:
            return
        pin, self.digits = self.digits, ""  # the screen keeps no PIN
        self.controller.submit_pin(pin)
        self._update()

    def cancel(self) -> None:
        self.controller.close("exit")

    def show_refusal(self, result) -> None:
        if result is None:
            self.refusal = "error"
        elif result.no_pin:
            self.refusal = "no_pin"
        elif result.wait_s > 0:
            self.refusal = "locked"
            self.locked_until = self.app.monotonic() + result.wait_s
            if self._tick is None:
                self._tick = Clock.schedule_interval(lambda _dt: self._update(), 0.5)
        else:
            self.refusal = "wrong"
        self._update()

    def _wait_s(self) -> float:
        return max(0.0, self.locked_until - self.app.monotonic())

    def _update(self) -> None:
        ids = self.ids
        # U+2022: the app's fonts have it (no black circle U+25CF)
        # no spaces between the dots: twelve of them stay on one line on a 10" screen
        ids.dots.text = "•" * len(self.digits) if self.digits else " "
        wait = self._wait_s()
        if self.refusal == "locked" and wait <= 0:
            self.refusal = ""
            if self._tick is not None:
                self._tick.cancel()
                self._tick = None
        ids.message.text = {
            "wrong": self.tr("Wrong PIN. Please try again."),
            "locked": self.tr("Too many wrong PINs. Please wait {time}.").format(
                time=wait_text(wait)),
            "no_pin": self.tr("No staff PIN is set on this terminal."),
            "error": self.tr("Something went wrong. Please try again."),
        }.get(self.refusal, "")

    def refresh(self) -> None:
        ids = self.ids
        ids.title.text = self.tr("Staff mode")
        ids.prompt.text = self.tr("Please enter the staff PIN.")
        ids.cancel.text = self.tr("Cancel")
        entry = ids.entry
        for widget in list(entry.children):
            entry.remove_widget(widget)
        for widget in self.ordered([ids.dots, ids.cancel]):
            entry.add_widget(widget)
        grid = ids.keypad
        discard(grid.children)
        grid.clear_widgets()
        labels = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "del", "0", "ok"]
        compact = self.app.compact
        keys = []
        for label in labels:
            text = {"del": self.tr("Delete"), "ok": self.tr("OK")}.get(label, label)
            # on a short screen the four rows keep to the 20 mm touch target's height
            key = PinKey(text=text, size_mm=7 if compact else 10,
                         word_mm=0 if label.isdigit() else (4.5 if compact else 7),
                         kind="primary" if label.isdigit() else "secondary")
            if label == "del":
                key.bind(on_tap=lambda _b: self.delete())
            elif label == "ok":
                key.bind(on_tap=lambda _b: self.submit())
            else:
                key.bind(on_tap=lambda _b, d=label: self.press(d))
            key.pin_key = label
            keys.append(key)
            grid.add_widget(key)
        equalize_heights(keys)
        self._update()


class StaffMenuScreen(KioskScreen):
    status: list = []  # device views from the last reading
    figures: dict | None = None
    result = ""

    @property
    def controller(self):
        return self.app.staff

    def clear(self) -> None:
        self.status, self.figures, self.result = [], None, ""

    def show_result(self, name: str, result, ok: bool) -> None:
        tr = self.tr
        if not ok:
            self.result = tr("Something went wrong. Please try again.")
        elif name == "status":
            self.status, self.result = result, ""
        elif name == "figures":
            self.figures, self.result = result, ""
        elif name == "test_print":
            self.result = tr("Test page printed.") if result is not None and \
                result.printed else tr("Test page not printed.")
        elif name == "paper":
            # what the printer reports after its new reading: the notice for visitors
            # went with the paper-out state, or it did not
            if result in ("online", "paper_near_end"):
                self.result = tr("The printer reports paper: OK.")
            elif result == "paper_out":
                self.result = tr("The printer still reports no paper: check the roll.")
            elif result is None:
                self.result = tr("Done.")
            else:
                self.result = tr("The printer reports: {state}.").format(
                    state=tr(DEVICE_STATES.get(result, DEVICE_STATES["error"])))
            self.status = [dict(v, state=result) if v["kind"] == "printer" and result
                           else v for v in self.status or []]
        elif name == "reprint":
            self.result = tr("No ticket to reprint today.") if result is None else (
                tr("The last ticket was printed again.") if result.printed
                else tr("The last ticket could not be printed."))
        else:
            self.result = tr("Done.")
        self.refresh()

    def _button(self, text: str, action, kind: str = "primary") -> BigButton:
        button = BigButton(text=text, kind=kind, size_mm=7)
        button.bind(on_tap=lambda _b: action())
        return button

    def _grid(self, buttons: list, cols: int | None = None) -> GridLayout:
        app = self.app
        cols = cols or (1 if app.portrait or app.large_text and app.compact else 2)
        grid = GridLayout(cols=cols, spacing=app.px_per_mm * 3, size_hint_y=None,
                          orientation="rl-tb" if app.rtl else "lr-tb")
        grid.bind(minimum_height=grid.setter("height"))
        for button in buttons:
            grid.add_widget(button)
        equalize_heights(buttons)
        return grid

    def refresh(self) -> None:
        app, tr, c = self.app, self.tr, self.controller
        config = app.kiosk_config
        ids = self.ids
        ids.title.text = tr("Staff mode")
        ids.close.text = tr("Close staff mode")
        row = ids.header
        for widget in list(row.children):
            row.remove_widget(widget)
        for widget in self.ordered([ids.title, ids.close]):
            row.add_widget(widget)
        ids.result.text = self.result
        body = ids.body
        discard(body.children)
        body.clear_widgets()

        def heading(text):
            body.add_widget(KLabel(text=text, size_mm=8.5, role="muted_text"))

        heading(tr("Devices"))
        device_names = {"printer": tr("Printer"), "display": tr("Call-up display"),
                        "scanner": tr("QR code scanner")}
        for view in self.status or []:
            state = tr(DEVICE_STATES.get(view["state"], DEVICE_STATES["error"]))
            body.add_widget(KLabel(text=f"{device_names.get(view['kind'], view['kind'])}"
                                        f" {view['name']}: {state}", size_mm=7))
        body.add_widget(self._grid([
            self._button(tr("Test print"), lambda: c.run("test_print",
                                                         lambda s: s.test_print())),
            self._button(tr("Paper replaced"), lambda: c.run("paper",
                                                             lambda s: s.paper_replaced())),
            self._button(tr("Reprint the last ticket"),
                         lambda: c.run("reprint", lambda s: s.reprint_last())),
            self._button(tr("Today's figures"), lambda: c.run("figures",
                                                              lambda s: s.figures())),
        ]))
        if self.figures is not None:
            body.add_widget(KLabel(text=self._figures_text(), size_mm=7))

        heading(tr("Services today"))
        settings = c.settings
        for service in config.services:
            name = service.name(app.lang, config.default_language)
            closed = settings.closed.get(service.id)
            state = tr(SERVICE_MESSAGES[closed]) if closed else tr("Open")
            body.add_widget(KLabel(text=f"{name}: {state}", size_mm=7))
            buttons = [self._button(tr("Open"), lambda sid=service.id: c.run(
                "service", lambda s: s.open_service(sid)),
                kind="secondary" if not closed else "primary")]
            for message_id, message in SERVICE_MESSAGES.items():
                buttons.append(self._button(tr(message), lambda sid=service.id,
                               mid=message_id: c.run("service",
                                                     lambda s: s.close_service(sid, mid)),
                               kind="secondary" if closed == message_id else "primary"))
            body.add_widget(self._grid(buttons))

        heading(tr("Notice on the start screen"))
        buttons = [self._button(tr("No notice"), lambda: c.run(
            "notice", lambda s: s.set_notice(None)),
            kind="secondary" if settings.notice is None else "primary")]
        for notice_id, notice in NOTICES.items():
            buttons.append(self._button(tr(notice), lambda nid=notice_id: c.run(
                "notice", lambda s: s.set_notice(nid)),
                kind="secondary" if settings.notice == notice_id else "primary"))
        body.add_widget(self._grid(buttons))

        heading(tr("This terminal"))
        out = settings.out_of_service
        body.add_widget(self._grid([
            self._button(tr("Back in service") if out else tr("Out of service"),
                         lambda: c.run("out_of_service",
                                       lambda s: s.set_out_of_service(not out))),
            self._button(tr("Restart the app"), c.restart, kind="secondary"),
        ]))

    def _figures_text(self) -> str:
        tr, figures = self.tr, self.figures
        app = self.app
        config = app.kiosk_config
        lines = [tr("Tickets issued per service:")]
        for service in config.services:
            count = figures["tickets"].get(service.id, 0)
            lines.append(f"{service.name(app.lang, config.default_language)}: {count}")
        checkins = figures["checkins"]  # outcome -> count (store.checkin_stats)
        lines.append(tr("Check-ins: {count}").format(
            count=sum(n for outcome, n in checkins.items()
                      if outcome.startswith("checked_in"))))
        lines.append(tr("Check-ins refused: {count}").format(
            count=sum(n for outcome, n in checkins.items() if outcome.startswith("refused"))))
        lines.append(tr("No-shows: {count}").format(count=checkins.get("no_show", 0)))
        intakes = figures.get("intakes") or {}  # event -> count (store.intake_stats)
        lines.append(tr("Intakes: {count}").format(count=intakes.get("finished", 0)))
        lines.append(tr("Intakes abandoned: {count}").format(
            count=intakes.get("abandoned", 0)))
        lines.append(tr("Print failures: {count}").format(count=figures["print_failures"]))
        median = figures["median_wait_min"]
        lines.append(tr("Median wait: {minutes} min").format(minutes=round(median))
                     if median is not None else tr("Median wait: unknown"))
        return "\n".join(lines)


class OutOfServiceScreen(KioskScreen):
    """Shown to visitors instead of the start screen: the message in every language."""

    def refresh(self) -> None:
        config = self.app.kiosk_config
        lines = self.ids.lines
        discard(lines.children)
        lines.clear_widgets()
        first = [config.default_language] + [c for c in config.languages
                                             if c != config.default_language]
        for code in first:
            label = KLabel(text=gettext_for(code)(OUT_OF_SERVICE),
                           size_mm=10 if code == config.default_language else 7.5,
                           align="center")
            # each line in its own direction (the full stop ends an Arabic line on
            # the left), whatever the screen's language
            label.base_direction = "rtl" if is_rtl(code) else "ltr"
            lines.add_widget(label)
