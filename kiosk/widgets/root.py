"""The window's content: the screen manager, the accessibility bar shown on every
screen, and the idle warning laid over everything."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.widgets import common  # noqa: F401  (registers KLabel, BigButton rules)
from kiosk.widgets.chime import play_warning_chime

Builder.load_file(str(Path(__file__).with_name("root.kv")))


class A11yBar(BoxLayout):
    """Larger text and high contrast, one tap each, on every screen."""

    def refresh(self) -> None:
        app = App.get_running_app()
        self.ids.large.text = app.tr("Larger text")
        self.ids.contrast.text = app.tr("High contrast")
        self.ids.large.kind = "primary" if app.large_text else "secondary"
        self.ids.contrast.kind = "primary" if app.high_contrast else "secondary"


class IdleWarning(FloatLayout):
    seconds = NumericProperty(0)
    message = StringProperty("")

    def refresh(self) -> None:
        app = App.get_running_app()
        self.ids.title.text = app.tr("Do you need more time?")
        self.ids.body.text = app.tr("The screen will start over in {seconds} seconds and "
                                    "forget your entries.").format(seconds=int(self.seconds))
        self.ids.stay.text = app.tr("Yes, I need more time")


class KioskRoot(FloatLayout):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        from kiosk.screens.language import LanguageScreen
        from kiosk.screens.services import ServicesScreen
        from kiosk.screens.ticket import TicketScreen

        self.manager = ScreenManager(transition=NoTransition())
        for screen in (LanguageScreen(name="language"), ServicesScreen(name="services"),
                       TicketScreen(name="ticket")):
            self.manager.add_widget(screen)
        self.ids.body.add_widget(self.manager, index=1)
        self._warning_visible = False
        app = App.get_running_app()
        app.bind(lang=lambda *_: self.refresh(), large_text=lambda *_: self.refresh(),
                 high_contrast=lambda *_: self.refresh())
        self.refresh()

    @property
    def current(self) -> str:
        return self.manager.current

    def get_screen(self, name: str):
        return self.manager.get_screen(name)

    def show(self, name: str) -> None:
        self.manager.current = name
        self.manager.current_screen.refresh()

    def refresh(self) -> None:
        self.ids.a11y.refresh()
        self.ids.warning.refresh()
        self.manager.current_screen.refresh()

    def show_idle_warning(self, seconds: int) -> None:
        warning = self.ids.warning
        if not self._warning_visible:
            self._warning_visible = True
            warning.opacity, warning.disabled = 1, False
            play_warning_chime()  # a second sense besides the visual warning
        warning.seconds = seconds
        warning.refresh()

    def hide_idle_warning(self) -> None:
        if self._warning_visible:
            self._warning_visible = False
            warning = self.ids.warning
            warning.opacity, warning.disabled = 0, True

    @property
    def idle_warning_visible(self) -> bool:
        return self._warning_visible
