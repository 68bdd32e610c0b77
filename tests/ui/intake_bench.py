"""A test screen holding the intake widgets (progress, a name field, a date, a country
field, a masked document number, the keyboard), added to the app's screen manager, so the widget tests
and screenshots see them as an intake screen would."""

from __future__ import annotations

from kivy.lang import Builder

from kiosk.screens import intake_fields  # noqa: F401  (kv rules)
from kiosk.screens.base import KioskScreen
from kiosk.widgets import date_entry, keyboard, masked_field, progress  # noqa: F401

Builder.load_string("""
<IntakeBench>:
    BoxLayout:
        orientation: 'vertical'
        padding: app.px_per_mm * 6, app.px_per_mm * 3
        spacing: app.px_per_mm * 3
        StepIndicator:
            id: progress
            step: 2
            steps: 5
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
            CountryField:
                id: nationalities
                path: 'nationalities'
                many: 4
                nationality: True
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
    def on_kv_post(self, base_widget) -> None:
        super().on_kv_post(base_widget)
        self.ids.nationalities.entry.bind(on_release=self.focus)

    def focus(self, field) -> None:
        board = self.ids.keyboard
        board.layout = "digits" if field.digits_only else "letters"
        board.target = field  # after the layout: a field may start on its own

    def refresh(self) -> None:
        ids = self.ids
        ids.progress.title = self.tr("Day")  # any translated step name
        for widget in (ids.keyboard, ids.birth, ids.document, ids.nationalities,
                       ids.progress):
            widget.refresh()


def show_bench(app) -> IntakeBench:
    from kiosk.app import step

    manager = app.root.manager
    if not manager.has_screen(NAME):
        manager.add_widget(IntakeBench(name=NAME))
    app.root.show(NAME)
    step(3)
    return manager.get_screen(NAME)
