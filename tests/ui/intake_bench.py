"""A test screen holding the intake widgets (keyboard, field, ...), added to the app's
screen manager, so the widget tests and screenshots see them as a screen would."""

from __future__ import annotations

from kivy.lang import Builder

from kiosk.screens.base import KioskScreen
from kiosk.widgets import keyboard  # noqa: F401  (registers IntakeKeyboard, KeyField)

Builder.load_string("""
<IntakeBench>:
    BoxLayout:
        orientation: 'vertical'
        padding: app.px_per_mm * 6, app.px_per_mm * 4
        spacing: app.px_per_mm * 3
        BoxLayout:
            id: top
            orientation: 'vertical'
            spacing: app.px_per_mm * 3
            KeyField:
                id: name
        IntakeKeyboard:
            id: keyboard
            target: name
""")

NAME = "intake_bench"


class IntakeBench(KioskScreen):
    def refresh(self) -> None:
        self.ids.keyboard.refresh()


def show_bench(app) -> IntakeBench:
    from kiosk.app import step

    manager = app.root.manager
    if not manager.has_screen(NAME):
        manager.add_widget(IntakeBench(name=NAME))
    app.root.show(NAME)
    step(3)
    return manager.get_screen(NAME)
