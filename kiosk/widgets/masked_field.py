"""A field whose value is masked after entry ("••••••78" for a document number) with a
show/hide toggle beside it: shoulder surfing at a public terminal (DOMAIN.md)."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.i18n import N_
from kiosk.widgets.common import BigButton
from kiosk.widgets.keyboard import KeyField

SHOW, HIDE = N_("Show"), N_("Hide")


def _tr(text: str) -> str:
    app = App.get_running_app()
    return app.tr(text) if app is not None and hasattr(app, "tr") else text


class ShowToggle(BigButton):
    """"Show" / "Hide" for a masked value; `revealed` is the state."""

    revealed = BooleanProperty(False)

    def on_tap(self):
        self.revealed = not self.revealed

    def on_revealed(self, *_args) -> None:
        self.refresh()

    def refresh(self) -> None:
        self.text = _tr(HIDE if self.revealed else SHOW)  # the word says the state


class MaskedEntry(BoxLayout):
    """A KeyField (`field`) masked when left, keeping `keep` characters readable, and a
    show toggle. Typing into it again, or leaving it, hides the value again."""

    keep = NumericProperty(2)
    mirrored = BooleanProperty(False)  # app.rtl (masked_field.kv)

    def __init__(self, **kwargs):
        self.field = KeyField(masked=True)
        self.toggle = ShowToggle()
        super().__init__(**kwargs)
        self.field.mask_keep = self.keep
        self.bind(keep=self.field.setter("mask_keep"), mirrored=self._arrange)
        self.toggle.bind(revealed=self.field.setter("revealed"))
        self.field.bind(active=self._hide_again)
        self._arrange()
        self.refresh()

    def _hide_again(self, *_args) -> None:
        self.toggle.revealed = False

    def _arrange(self, *_args) -> None:
        widgets = [self.field, self.toggle]
        if self.mirrored:
            widgets.reverse()
        self.clear_widgets()
        for widget in widgets:
            self.add_widget(widget)

    def clear(self) -> None:
        """Forget the value (cancel and erase, idle reset)."""
        self.field.value = ""
        self.toggle.revealed = False

    def refresh(self) -> None:
        self.toggle.refresh()


Builder.load_file(str(Path(__file__).with_name("masked_field.kv")))
