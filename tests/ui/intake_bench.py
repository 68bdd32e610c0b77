"""A test screen holding the intake widgets (progress, a name field, a date, a masked
document number, the keyboard), added to the app's screen manager, so the widget tests
and screenshots see them as an intake screen would."""

from __future__ import annotations

from kivy.lang import Builder

from kiosk.screens.base import KioskScreen
from kiosk.widgets import date_entry, keyboard, masked_field  # noqa: F401  (kv rules)

Builder.load_string("""
<IntakeBench>:
    BoxLayout:
        orientation: 'vertical'
        padding: app.px_per_mm * 6, app.px_per_mm * 3
        spacing: app.px_per_mm * 3
        ScrollArea:
            id: area
            spacing_inner: app.px_per_mm * 3
            KeyField:
                id: name
                on_release: root.focus(self)
            DateEntry:
                id: birth
                masked: True
                keyboard: keyboard
            MaskedEntry:
                id: document
                on_kv_post: self.field.bind(on_release=lambda f: root.focus(f))
        IntakeKeyboard:
            id: keyboard
            target: name
""")

NAME = "intake_bench"


class IntakeBench(KioskScreen):
    def focus(self, field) -> None:
        board = self.ids.keyboard
        board.target = field
        board.layout = "digits" if field.digits_only else "letters"
        for other in (self.ids.name, self.ids.document.field):
            other.active = other is field

    def refresh(self) -> None:
        ids = self.ids
        for widget in (ids.keyboard, ids.birth, ids.document):
            widget.refresh()
        if ids.keyboard.target is ids.name:
            ids.name.active = True


def show_bench(app) -> IntakeBench:
    from kiosk.app import step

    manager = app.root.manager
    if not manager.has_screen(NAME):
        manager.add_widget(IntakeBench(name=NAME))
    app.root.show(NAME)
    step(3)
    return manager.get_screen(NAME)
