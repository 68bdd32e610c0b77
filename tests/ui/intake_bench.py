"""A test screen holding the intake widgets (progress, a name field, a date, a masked
document number, the keyboard), added to the app's screen manager, so the widget tests
and screenshots see them as an intake screen would."""

from __future__ import annotations

from kivy.lang import Builder

from kiosk.screens.base import KioskScreen
from kiosk.widgets import (country_picker, date_entry, keyboard,  # noqa: F401  (kv rules)
                           masked_field, progress)

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
            CountryPicker:
                id: nationalities
                multi: True
                keyboard: keyboard
                search: root.search
            MaskedEntry:
                id: document
                on_kv_post: self.field.bind(on_release=lambda f: root.focus(f))
        IntakeKeyboard:
            id: keyboard
            target: name
""")

NAME = "intake_bench"


# a stand-in for intake_codes.search_countries: German and the visitor's names
COUNTRIES = [("DE", "Deutschland", {"ar": "ألمانيا", "el": "Γερμανία"}),
             ("SY", "Syrien", {"ar": "سوريا", "el": "Συρία", "fa": "سوریه"}),
             ("TR", "Türkei", {"ar": "تركيا", "el": "Τουρκία", "fa": "ترکیه"}),
             ("UA", "Ukraine", {"ar": "أوكرانيا", "el": "Ουκρανία"}),
             ("UG", "Uganda", {}), ("UY", "Uruguay", {}), ("US", "Vereinigte Staaten", {}),
             ("UZ", "Usbekistan", {}), ("AF", "Afghanistan", {"fa": "افغانستان"}),
             ("GR", "Griechenland", {"el": "Ελλάδα"}), ("IR", "Iran", {"fa": "ایران"})]


class IntakeBench(KioskScreen):
    def search(self, query: str) -> list[tuple[str, str]]:
        lang = self.app.lang
        return [(code, names.get(lang, german)) for code, german, names in COUNTRIES
                if german.lower().startswith(query.lower())
                or names.get(lang, "").startswith(query)]

    def focus(self, field) -> None:
        board = self.ids.keyboard
        board.target = field
        board.layout = "digits" if field.digits_only else "letters"

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
