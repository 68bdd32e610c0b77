"""What every screen shares: access to the app, gettext, and RTL-aware row building."""

from __future__ import annotations

from kivy.app import App
from kivy.uix.screenmanager import Screen

from kiosk.i18n import N_
from kiosk.widgets.common import BigButton, render_stale

# Shown before a visitor chooses (start and services screens) while the printer is down.
PRINTER_NOTICE = N_("The ticket printer is not working at the moment. You will still get "
                    "your number on the screen.")


class KioskScreen(Screen):
    @property
    def app(self):
        return App.get_running_app()

    def tr(self, message: str) -> str:
        return self.app.tr(message)

    def ordered(self, widgets: list) -> list:
        """Left-to-right order of a row: mirrored for right-to-left languages."""
        return list(reversed(widgets)) if self.app.rtl else widgets

    def refresh(self) -> None:
        """Re-read texts in the current language; called when shown or settings change."""

    def on_pre_enter(self, *_args):
        # labels that followed a language, text size or contrast change while this screen
        # was hidden were only marked (widgets.common.RendersWhenShown): render them now,
        # before the frame that shows the screen
        render_stale(self)
        # buttons are kept from visit to visit: one tapped by the last visitor takes the
        # next visitor's first tap, however soon (the guard is against a bounce)
        for widget in self.walk(restrict=True):
            if isinstance(widget, BigButton):
                widget.forget_last_tap()
        self.refresh()
