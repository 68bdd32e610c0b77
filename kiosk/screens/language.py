"""Start screen: every offered language by its own name in its own script (no flags)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.i18n import LANGUAGES, N_, gettext_for
from kiosk.screens.base import PRINTER_NOTICE, KioskScreen
from kiosk.screens.check_in_entry import place_entry
from kiosk.widgets.common import BigButton, discard, equalize_heights

Builder.load_file(str(Path(__file__).with_name("language.kv")))


class LanguageScreen(KioskScreen):
    # the languages the grid's buttons were made for: a refresh makes them again only
    # when the configuration offers others (a button's text never changes, and a new
    # button costs its kv rules and a new text texture: issue 9 item 4)
    _built_for: tuple[str, ...] | None = None

    def refresh(self) -> None:
        config = self.app.kiosk_config
        # in the current language (the default after a reset), with an English line
        # for visitors who do not read it
        # a short screen keeps its height for the languages: the prompt greets enough
        # the greeting gives way where space is short (a short screen, larger text,
        # today's notice from staff as a banner above this screen): the languages and
        # "I have an appointment" stay in view without scrolling
        staff = getattr(self.app, "staff", None)
        notice = staff is not None and staff.settings.notice is not None
        short = self.app.compact or self.app.large_text or notice
        self.ids.heading.text = "" if short else self.tr("Welcome")
        self.ids.prompt.text = self.tr("Please choose your language")
        english = gettext_for("en")(N_("Please choose your language"))
        self.ids.prompt_en.text = english if self.app.lang != "en" else ""
        self.ids.office.text = config.office
        # before anyone taps: a printer that is down is announced here already, in the
        # current language and in English like the prompt
        notice = ""
        if not self.app.printer_ok:
            notice = self.tr(PRINTER_NOTICE)
            if self.app.lang != "en":
                notice += "\n" + gettext_for("en")(PRINTER_NOTICE)
        self.ids.notice.text = notice
        self._build_buttons(tuple(config.languages))
        place_entry(self.ids.checkin_slot, self.app, bilingual=True)
        self.ids.area.scroll_to_top()

    def _build_buttons(self, codes: tuple[str, ...]) -> None:
        if codes == self._built_for:
            return
        grid = self.ids.grid
        discard(grid.children)
        grid.clear_widgets()
        buttons = []
        for code in codes:
            # each name in its own script; the button picks the font from the text
            button = BigButton(text=LANGUAGES[code].native_name, kind="primary", size_mm=9)
            # a name's direction is its own script's, not the visitor's language's: off
            # the rule that follows app.rtl, so a change to or from Arabic or Persian does
            # not lay out and draw all twelve names again (issue 9 item 4)
            Builder.unbind_property(button, "base_direction")
            button.base_direction = None  # UAX #9 P2/P3 (widgets/bidi_text.py)
            button.language_code = code
            button.bind(on_tap=lambda b: self.choose(b.language_code))
            grid.add_widget(button)
            buttons.append(button)
        equalize_heights(buttons)
        self._built_for = codes

    def choose(self, code: str) -> None:
        self.app.set_language(code)
        self.app.go("services")
