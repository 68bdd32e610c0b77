"""The Anmeldung intake screens: what to bring, the data protection notice and consent,
the household, one page per person, the review with an edit link per section, and the
receipt with the reference. Every step has Back (nothing typed is lost) and a visible
"cancel and erase" with a confirmation. The flow's state and worker calls are in
kiosk/screens/intake_controller.py; here are only texts and layout."""

from __future__ import annotations

from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty

from kiosk.i18n import N_
from kiosk.screens.base import KioskScreen
from kiosk.screens.intake_controller import STEPS
from kiosk.screens.intake_draft import date_text
from kiosk.screens.intake_fields import (ChoiceField, CountryField, DateField,
                                        FirstNamesField, TextField)
from kiosk.widgets.common import FitButton  # noqa: F401  (the action row's buttons, kv)
from kiosk.widgets.common import BigButton, CheckToggle, KLabel, discard, equalize_heights

Builder.load_file(str(Path(__file__).with_name("intake.kv")))

NAME_HINT = N_("Write names exactly as in the passport or identity card, in Latin letters.")
EVERYDAY_HINT = N_("Which first name are you called by? Tap it (optional).")
STEP_TITLES = {
    "intake_bring": N_("What to bring"),
    "intake_privacy": N_("Your data"),
    "intake_household": N_("Your new home"),
    "intake_person": N_("Persons"),
    "intake_review": N_("Check and send"),
}


def field_label(path: str, lang: str) -> str:
    """The field's name in the visitor's language (intake_text, shared with the
    messages at the fields)."""
    from kiosk.services.intake_text import field_label as label

    return label(path, lang)


def problem_text(problem, lang: str) -> str:
    from kiosk.services.intake_text import problem_text as text

    return text(problem, lang)


def choices(kind: str, lang: str) -> list[tuple[str, str]]:
    from kiosk.services.intake_codes import choices as codes

    return codes(kind, lang)


def country_name(iso2: str, lang: str) -> str:
    from kiosk.services.intake_codes import country_name as name

    return name(iso2, lang)


class IntakeStepScreen(KioskScreen):
    """One step: progress, heading, scrolling content, a notice, and the three actions
    (cancel and erase, back, next). Subclasses fill `build` and `refresh_content`."""

    confirming = False
    fields: list = []
    # the action row (and the accessibility bar) give way to the keyboard on a short
    # screen: the field typed in and its caption stay above the keyboard
    folded = BooleanProperty(False)
    _short = None  # the header's arrangement last made (None: not yet)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields = []
        self._warned = []  # warnings shown: "next" once more acknowledges them
        ids = self.ids
        # one height for the three actions: an Arabic label is taller than a Latin one
        equalize_heights([ids.cancel, ids.back, ids.next])
        for button in (ids.cancel, ids.back, ids.next):
            button.bind(text=self._share_row, width=self._share_row)
        ids.area.ids.view.bind(height=self._keep_target_in_view)
        self.build()

    @property
    def intake(self):
        return self.app.intake

    def build(self) -> None:
        pass

    def clear(self) -> None:
        self.hide_keyboard()
        self.confirming = False
        self._warned = []
        if self.intake.draft is None:  # wiped: the widgets forget what they showed
            for field in self.fields:
                field.load({})
        for field in self.fields:
            field.message = ""
        self.ids.notice.text = ""

    def add(self, widget):
        if not hasattr(self, "_content"):
            self._content, self._hidden = [], set()
        self._content.append(widget)
        self.ids.area.add_widget(widget)
        return widget

    def set_shown(self, widget, shown: bool) -> None:
        """Show or leave out a part of the content (taken out of the column, so it
        leaves no gap and catches no touch), keeping the order it was added in."""
        if shown:
            self._hidden.discard(widget)
        else:
            self._hidden.add(widget)
        column = self.ids.area.content
        wanted = [w for w in self._content if w not in self._hidden]
        if list(reversed(column.children)) != wanted:
            column.clear_widgets()
            for w in wanted:
                column.add_widget(w)

    def _field(self, cls, path: str, **kwargs):
        field = cls(path=path, on_change=self._changed, **kwargs)
        field.keyboard = self.keyboard
        for entry in field.key_fields():
            entry.bind(on_release=self._entry_tapped)
        self.fields.append(field)
        return self.add(field)

    def text_field(self, path: str, **kwargs) -> TextField:
        return self._field(TextField, path, **kwargs)

    def date_field(self, path: str, **kwargs) -> DateField:
        return self._field(DateField, path, **kwargs)

    def choice_field(self, path: str, **kwargs) -> ChoiceField:
        return self._field(ChoiceField, path, **kwargs)

    def country_field(self, path: str, **kwargs) -> CountryField:
        return self._field(CountryField, path, **kwargs)

    # -- the on-screen keyboard: shown while a field is typed in -----------------------

    @property
    def keyboard(self):
        if self._keyboard is None:
            from kiosk.widgets.keyboard import IntakeKeyboard

            self._keyboard = IntakeKeyboard()
            self._keyboard.bind(target=self._target_changed, on_done=self._key_done,
                                on_key=lambda *_: self.app.touch())
        return self._keyboard

    _keyboard = None

    def _entry_tapped(self, entry) -> None:
        if entry.disabled:
            return
        field = getattr(entry, "intake_field", None)
        keyboard = self.keyboard
        keyboard.layout = "digits" if entry.digits_only or getattr(
            field, "layout", "letters") == "digits" else "letters"
        keyboard.target = entry

    def _all_entries(self) -> list:
        return [entry for field in self.fields
                if not field.disabled and field.parent is not None  # shown
                for entry in field.key_fields()]

    def _target_changed(self, keyboard, target) -> None:
        for field in self.fields:
            if not isinstance(field, DateField):
                for entry in field.key_fields() + ([field.entry] if isinstance(
                        field, CountryField) else []):
                    entry.active = entry is target
        layout = self.ids.layout
        shown = keyboard.parent is not None
        if target is not None and not shown:
            layout.add_widget(keyboard, index=1)  # above the actions
        elif target is None and shown:
            layout.remove_widget(keyboard)
        self._fold(target is not None and self.app.compact)
        if target is not None:
            Clock.schedule_once(lambda _dt: self._scroll_to(self._typed_field(target)), 0)

    def _fold(self, folded: bool) -> None:
        """On a short screen the keyboard (88 mm of 136) leaves room for the field typed
        in (caption and entry, ~40 mm at larger text) only when the header, the action
        row and the accessibility bar step aside while it is open; all are back as soon
        as it closes (Done on the last field, a choice tapped, leaving the step). While
        typing the keyboard's Done walks the fields and scrolls each into view, so the
        header's scroll hint is not missed; the scroll bar stays."""
        self.folded = folded
        root = self.app.root
        if root is not None and "a11y" in root.ids:
            root.ids.a11y.folded = folded

    def _typed_field(self, target):
        """The field that holds the entry typed in: its caption is to stay in view too."""
        widget = target
        while widget is not None and widget is not widget.parent:
            if widget in self.fields:
                return widget
            widget = widget.parent
        return target

    def _keep_target_in_view(self, *_args) -> None:
        # the view changes height over a few frames as the keyboard comes and the
        # actions fold: the typed field is scrolled to once more on each change
        keyboard = self._keyboard
        if keyboard is not None and keyboard.target is not None:
            Clock.schedule_once(
                lambda _dt: self._scroll_to(self._typed_field(keyboard.target)), 0)

    def _scroll_to(self, target) -> None:
        """Bring `target` into the view with a little room around it where there is; a
        field taller than the view shows its top (the caption) and what fits below.
        Computed here, not with ScrollView.scroll_to: that one went by the geometry of a
        frame before, while the keyboard and the folding rows were still moving."""
        if target is None or target.get_root_window() is None:
            return
        view, inner = self.ids.area.ids.view, self.ids.area.ids.inner
        room = inner.height - view.height
        if room <= 0:
            return
        x, top = target.to_window(target.x, target.top)
        _x, bottom = target.to_window(target.x, target.y)
        top = inner.to_widget(x, top)[1] - inner.y  # within the column, from its bottom
        bottom = inner.to_widget(x, bottom)[1] - inner.y
        padding = min(self.app.px_per_mm * (2 if self.app.compact else 12),
                      max(0.0, (view.height - (top - bottom)) / 2))
        shown_bottom = view.scroll_y * room  # the column's part in view: bottom .. + height
        entry = getattr(self._keyboard, "target", None)
        if top - bottom > view.height and entry is not None and entry.get_root_window():
            # too tall (Arabic script at larger text): the entry whole, then as much of
            # the caption above it as fits
            _x, low = entry.to_window(entry.x, entry.y)
            shown_bottom = inner.to_widget(x, low)[1] - inner.y
        elif top - bottom + 2 * padding > view.height or \
                top + padding > shown_bottom + view.height:
            shown_bottom = top + padding - view.height  # its top (the caption) at the top
        elif bottom - padding < shown_bottom:
            shown_bottom = bottom - padding
        scroll_y = max(0.0, min(1.0, shown_bottom / room))
        if abs(scroll_y - view.scroll_y) > 1e-6:
            view.scroll_y = scroll_y

    def _key_done(self, keyboard) -> None:
        """The keyboard's Done: on to the next field to type, or the keyboard goes."""
        entries = self._all_entries()
        target = keyboard.target
        if target in entries and entries.index(target) + 1 < len(entries):
            following = entries[entries.index(target) + 1]
            date = getattr(following, "intake_field", None)
            if isinstance(date, DateField):
                date.entry.activate(following.part)
            else:
                self._entry_tapped(following)
            return
        self.hide_keyboard()

    def on_pre_leave(self, *args):
        # the accessibility bar folded for the keyboard belongs to every screen: back
        self.hide_keyboard()
        parent = getattr(super(), "on_pre_leave", None)
        if parent is not None:
            parent(*args)

    def hide_keyboard(self) -> None:
        if self._keyboard is not None:
            self._keyboard.target = None
        self._fold(False)
        for field in self.fields:
            if isinstance(field, DateField):
                field.entry.leave()

    def full_path(self, path: str) -> str:
        return path

    def _changed(self, path: str, part: str, text: str) -> None:
        self.intake.set_raw(self.full_path(path), part, text)
        self.app.touch()
        if any(f.path == path and isinstance(f, ChoiceField) for f in self.fields):
            self.hide_keyboard()  # a choice tapped: typing is over
        if self._warned:  # a changed answer is checked again before it is accepted
            self._warned = []
            self._texts()

    # -- refresh ---------------------------------------------------------------------

    def refresh(self) -> None:
        if self.intake.draft is None and self.name != "intake_receipt":
            return
        self._texts()
        self.refresh_content()
        self._header()  # the heading is set by refresh_content
        self._order()

    def _texts(self) -> None:
        ids = self.ids
        tr = self.tr
        self._header()
        if self.confirming:
            ids.notice.text = tr("Erase everything you entered and stop? Nothing is kept.")
            ids.cancel.text = tr("Yes, erase everything")
            ids.back.text = tr("No, go on")
            ids.next.opacity, ids.next.disabled = 0, True
            return
        ids.next.opacity, ids.next.disabled = 1, False
        ids.cancel.text = tr("Cancel and erase")
        ids.back.text = tr("Back")
        ids.next.text = tr("Yes, this is correct") if self._warned else self.next_text()

    def next_text(self) -> str:
        return self.tr("Next")

    def _header(self) -> None:
        """A short screen: one header line with the step and this page's heading (the
        step's own title would only repeat it); else the progress line over the heading."""
        self._arrange()
        ids, tr = self.ids, self.tr
        title = ids.heading.text if self._short and ids.heading.text else \
            tr(STEP_TITLES[self.name])
        ids.progress.text = tr("Step {step} of {steps}: {title}").format(
            step=STEPS.index(self.name) + 1, steps=len(STEPS), title=title)
        slot = ids.progress_slot.__self__
        if self._short:  # the hint at the end of the line: as wide as its words, one line
            from kivy.uix import label as uix_label

            app, label = self.app, ids.area.ids.hint_label
            words = uix_label.CoreLabel(font_name=label.font_name,
                                        font_size=label.font_size).get_extents(
                tr("Scroll for more"))[0]
            from kivy.core.window import Window

            ids.area.ids.hint_row.width = min(words + app.px_per_mm * 27, Window.width * 0.4)
        # ids are weak proxies: the widgets themselves go back into the row
        order = self.ordered([w.__self__ for w in (ids.progress, ids.area.ids.hint_row)
                              if w.parent is slot])
        if list(reversed(slot.children)) != order:
            slot.clear_widgets()
            for widget in order:
                slot.add_widget(widget)

    def _arrange(self) -> None:
        """The header for the screen's height: on a short screen the heading joins the
        progress line and the scroll hint stands at its end instead of a row of its own
        under the form; on a tall one progress, heading and hint each have their line."""
        short = bool(self.app.compact)
        if short == self._short:
            return
        self._short = short
        ids = self.ids
        slot, area = ids.progress_slot, ids.area
        # held here: the kv ids are weak, and a widget out of the tree would be collected
        self._movable = hint_row, heading = ids.area.ids.hint_row.__self__, \
            ids.heading.__self__
        if hint_row.parent is not None:
            hint_row.parent.remove_widget(hint_row)
        if short:
            if heading.parent is not None:
                ids.layout.remove_widget(heading)
            ids.progress.role, ids.progress.size_mm, ids.progress.bold = "text", 6, True
            hint_row.size_hint_x = None
            ids.area.ids.hint_label.size_mm = 5
            slot.add_widget(hint_row)  # after the progress: at the end side (mirrored below)
        else:
            if heading.parent is None:
                ids.layout.add_widget(heading, index=len(ids.layout.children) - 1)
            ids.progress.role, ids.progress.size_mm, ids.progress.bold = \
                "muted_text", 6.5, False
            hint_row.size_hint_x = 1
            ids.area.ids.hint_label.size_mm = 6.5
            area.add_widget(hint_row)  # back under the view (ScrollArea keeps it there)

    def _share_row(self, *_args) -> None:
        """The action row's width shared by the words' natural widths: a long "cancel
        and erase" gets more than "Back", so each fits on one line at full size where
        the row allows it (FitButton shrinks the words only where it does not)."""
        from kivy.uix import label as uix_label

        app = self.app
        ids = self.ids
        buttons = (ids.cancel, ids.back, ids.next)
        mm = app.px_per_mm
        widths = []
        for button in buttons:
            text = button.text or " "
            width = uix_label.CoreLabel(font_name=button.font_name,
                                        font_size=mm * button.word_mm * app.text_scale
                                        ).get_extents(text)[0]
            widths.append(max(width + mm * 8, mm * 30))
        total = sum(widths)
        for button, width in zip(buttons, widths):
            hint = round(width / total, 3)
            if abs(button.size_hint_x - hint) > 0.002:
                button.size_hint_x = hint

    def refresh_content(self) -> None:
        pass

    def _order(self) -> None:
        ids = self.ids
        order = [w.__self__ for w in self.ordered([ids.cancel, ids.back, ids.next])]
        if list(reversed(ids.actions.children)) != order:
            ids.actions.clear_widgets()
            for widget in order:
                ids.actions.add_widget(widget)

    def load_fields(self) -> None:
        raw = self.intake.raw
        for field in self.fields:
            field.load({k[len(self.full_path("")):]: v for k, v in raw.items()
                        if k.startswith(self.full_path(""))} if self.full_path("") else raw)

    # -- actions ---------------------------------------------------------------------

    def cancel_tapped(self) -> None:
        if self.confirming:
            self.confirming = False
            self.intake.cancel()
            return
        self.confirming = True
        self._texts()

    def back_tapped(self) -> None:
        if self.confirming:  # "No, go on"
            self.confirming = False
            self.ids.notice.text = ""
            self._texts()
            return
        self._warned = []
        self.intake.back_from(self.name)

    def next_tapped(self) -> None:
        if self.intake.draft is None or self.intake.busy:
            return
        if self._warned:  # one tap accepts the warnings shown
            self.intake.acknowledge(self._warned)
            self._warned = []
        if self.check():
            self.ids.notice.text = ""
            self.forward()

    def forward(self) -> None:
        self.intake.next_from(self.name)

    def check(self) -> bool:
        """Show the step's problems at their fields; True when none blocks."""
        self.hide_keyboard()
        return self.show_problems(self.own_problems() + self.intake.problems(self.name))

    def own_problems(self) -> list:
        """Dates typed that do not parse: the draft has them empty, the field says why."""
        from kiosk.domain.intake_rules import Problem

        prefix = self.full_path("")
        return [Problem(path, code, False) for path, code in self.intake.date_problems.items()
                if not prefix or path.startswith(prefix)]

    def show_problems(self, problems: list) -> bool:
        blocking = self.intake.blocking(problems)
        lang = self.app.lang
        shown = {}
        for problem in blocking:
            shown.setdefault(self._field_for(problem.path), []).append(problem)
        for field in self.fields:
            field.message = "\n".join(problem_text(p, lang) for p in shown.get(field, []))
        loose = shown.get(None, [])
        errors = [p for p in blocking if not p.warning]
        marked = [f for f in self.fields if f.message]
        if marked:  # the first field to look at comes into view
            Clock.schedule_once(lambda _dt: self._scroll_to(marked[0]), 0)
        if errors:
            self.ids.notice.text = "\n".join(
                [self.tr("Please check the marked entries.")] +
                [problem_text(p, lang) for p in loose])
        elif blocking:
            self._warned = blocking
            self.ids.notice.text = "\n".join(
                [self.tr("Please check the notes. If everything is correct, continue.")] +
                [problem_text(p, lang) for p in loose])
        else:
            self.ids.notice.text = ""
        self._texts()
        return not blocking

    def _field_for(self, problem_path: str):
        if problem_path == "household.previous_address" and \
                self.intake.raw.get("household.arrival") != "germany":
            problem_path = "household.arrival"  # not answered yet: asked there
        best = None
        for field in self.fields:
            full = self.full_path(field.path)
            if problem_path == full or problem_path.startswith((full + ".", full + "[")):
                if best is None or len(field.path) > len(best.path):
                    best = field
        return best


class IntakeBringScreen(IntakeStepScreen):
    def build(self) -> None:
        self.lines = [self.add(KLabel(size_mm=8)) for _ in range(4)]

    def refresh_content(self) -> None:
        tr = self.tr
        self.ids.heading.text = tr("Register your new address")
        texts = [
            tr("Here you fill in the registration form for everyone who moves into the "
               "flat. At the counter you then sign it. Please have ready:"),
            "•  " + tr("the passport or identity card of every person"),
            "•  " + tr("the landlord's confirmation that you moved in "
                       "(Wohnungsgeberbestätigung)"),
            "•  " + tr("You must register within two weeks of moving in."),
        ]
        for label, text in zip(self.lines, texts):
            label.text = text

    def back_tapped(self) -> None:
        if self.confirming:
            super().back_tapped()
            return
        self.intake.cancel()  # nothing typed yet


def retention_days(app) -> int:
    return app.kiosk_config.intake.retention_days


class IntakePrivacyScreen(IntakeStepScreen):
    def build(self) -> None:
        self.blocks = []
        for _ in range(5):
            self.blocks.append((self.add(KLabel(size_mm=7.5, bold=True)),
                                self.add(KLabel(size_mm=7.5))))
        self.consent = self.add(CheckToggle(size_mm=7.5))
        self.consent.bind(on_tap=lambda *_: self.toggle_consent())

    def toggle_consent(self) -> None:
        self.intake.consent = not self.intake.consent
        self.ids.notice.text = ""
        self.refresh_content()

    def refresh_content(self) -> None:
        tr = self.tr
        self.ids.heading.text = tr("How your data is protected")
        days = retention_days(self.app)
        texts = [
            (tr("Who is responsible"),
             tr("Landeshauptstadt Stuttgart, Amt für öffentliche Ordnung "
                "(registration office).")),
            (tr("Why"),
             tr("To prepare your registration, so the counter does not have to type it "
                "from paper.")),
            (tr("Legal basis"),
             tr("§ 17 and § 23 Federal Registration Act (BMG), Art. 6(1)(c) GDPR.")),
            (tr("How long"),
             self.app.ntr("Your entries are stored encrypted. They are deleted when the "
                          "counter takes them over, at the latest after {days} day.",
                          "Your entries are stored encrypted. They are deleted when the "
                          "counter takes them over, at the latest after {days} days.",
                          days).format(days=days)),
            (tr("Complaints"),
             tr("You may complain to the data protection authority: Landesbeauftragter "
                "für den Datenschutz und die Informationsfreiheit Baden-Württemberg "
                "(LfDI).")),
        ]
        for (title, body), (title_text, body_text) in zip(self.blocks, texts):
            title.text, body.text = title_text, body_text
        self.consent.text = tr("I have read this and want to continue.")
        self.consent.active = self.intake.consent
        self.consent.on_active()

    def check(self) -> bool:
        if not self.intake.consent:
            self.ids.notice.text = self.tr("Please confirm that you have read this.")
            return False
        return True


class IntakeHouseholdScreen(IntakeStepScreen):
    def build(self) -> None:
        self.date_field("household.move_in")
        for key in ("street", "house_number", "flat", "postcode", "city"):
            self.text_field(f"household.address.{key}", digits_only=key == "postcode",
                            max_length=5 if key == "postcode" else 80,
                            layout="digits" if key in ("house_number", "postcode")
                            else "letters")
        self.choice_field("household.residence_type")
        self.choice_field("household.arrival")
        self.previous = [self.text_field(f"household.previous_address.{key}",
                                         digits_only=key == "postcode",
                                         max_length=5 if key == "postcode" else 80,
                                         layout="digits" if key in ("house_number",
                                                                    "postcode")
                                         else "letters")
                         for key in ("street", "house_number", "postcode", "city")]
        self.country = self.country_field("household.previous_country")
        self.choice_field("household.landlord_confirmation")

    def on_pre_enter(self, *args):
        self.load_fields()
        super().on_pre_enter(*args)
        self.ids.area.scroll_to_top()

    def refresh_content(self) -> None:
        tr, lang = self.tr, self.app.lang
        self.ids.heading.text = tr("Your new home")
        by_path = {f.path: f for f in self.fields}
        for field in self.fields:
            field.caption = self._label(field.path)
        for field in self.fields:
            field.refresh()
        by_path["household.residence_type"].set_choices(
            choices("residence", lang), 3 if not self.app.portrait else 1)
        by_path["household.arrival"].caption = tr("Where did you live before?")
        by_path["household.arrival"].set_choices(
            [("germany", tr("In Germany")), ("abroad", tr("Abroad"))], 2)
        by_path["household.landlord_confirmation"].caption = tr(
            "Do you have the landlord's confirmation?")
        by_path["household.landlord_confirmation"].hint = tr(
            "You need it at the counter. The landlord must give it to you.")
        by_path["household.landlord_confirmation"].set_choices(
            [("yes", tr("Yes")), ("no", tr("Not yet"))], 2)
        arrival = self.intake.raw.get("household.arrival", "")
        for field in self.previous:
            self.set_shown(field, arrival == "germany")
        self.set_shown(self.country, arrival == "abroad")

    def _label(self, path: str) -> str:
        if path.startswith("household.previous_address."):
            return field_label(path, self.app.lang)
        return field_label(path, self.app.lang) if path != "household.arrival" else ""

    def _changed(self, path: str, part: str, text: str) -> None:
        super()._changed(path, part, text)
        if path == "household.arrival":
            self.refresh_content()


PERSON_TEXT = ("surname", "birth_name", "first_names", "doctoral_degree", "religious_name")


class IntakePersonScreen(IntakeStepScreen):
    _shown_person = -1

    def full_path(self, path: str) -> str:
        return f"persons[{self.intake.person}].{path}"

    def build(self) -> None:
        for key in PERSON_TEXT:
            if key == "first_names":  # with the Rufname marked among them
                self._field(FirstNamesField, key)
            else:
                self.text_field(key)
        self.date_field("birth_date", masked=True, partial=True)
        self.text_field("birth_place")
        self.country_field("birth_country")
        self.choice_field("sex")
        self.country_field("nationalities", many=4, nationality=True)
        self.choice_field("marital_status")
        self.married = [self.date_field("marriage_date", partial=True),
                        self.text_field("marriage_place")]
        self.choice_field("religion")
        self.choice_field("document.kind")
        self.text_field("document.number", masked=True, max_length=40)
        self.text_field("document.authority")
        self.date_field("document.issued")
        self.date_field("document.expires")
        self.text_field("representatives")
        row = self.add(KLabel(size_mm=1))  # a small gap before the person actions
        row.height = 1
        self.add_same = self.add(BigButton(kind="secondary", size_mm=7.5))
        self.add_same.bind(on_tap=lambda *_: self.intake.add_person(True))
        self.add_other = self.add(BigButton(kind="secondary", size_mm=7.5))
        self.add_other.bind(on_tap=lambda *_: self.intake.add_person(False))
        self.remove = self.add(BigButton(kind="secondary", size_mm=7.5))
        self.remove.bind(on_tap=lambda *_: self.intake.remove_person())

    def clear(self) -> None:
        super().clear()
        if self.intake.draft is None:
            self._shown_person = -1

    def load_fields(self) -> None:
        prefix = self.full_path("")
        raw = {k[len(prefix):]: v for k, v in self.intake.raw.items() if k.startswith(prefix)}
        for field in self.fields:
            field.load(raw)

    def on_pre_enter(self, *args):
        self.clear()
        self.load_fields()
        super().on_pre_enter(*args)
        self.ids.area.scroll_to_top()

    def refresh(self) -> None:
        if self.intake.draft is not None and self._shown_person != self.intake.person:
            self._shown_person = self.intake.person
            self.clear()
            self.load_fields()
            self.ids.area.scroll_to_top()
        super().refresh()

    def refresh_content(self) -> None:
        tr, lang = self.tr, self.app.lang
        count = len(self.intake.draft.persons)
        self.ids.heading.text = tr("Person {number} of {count}").format(
            number=self.intake.person + 1, count=count)
        for field in self.fields:
            field.caption = field_label(self.full_path(field.path), lang)
        by_path = {f.path: f for f in self.fields}
        for key in ("surname", "first_names"):
            by_path[key].hint = tr(NAME_HINT)
        by_path["first_names"].everyday_caption = tr(EVERYDAY_HINT)
        cols = 1 if self.app.portrait else 3
        for path, kind in (("sex", "sex"), ("marital_status", "marital"),
                           ("document.kind", "document")):
            by_path[path].set_choices(choices(kind, lang), cols)
        from kiosk.services.intake_codes import religion_choices

        by_path["religion"].set_choices(religion_choices(self.intake._rules(), lang), cols)
        for field in self.fields:
            field.refresh()
        married = self.intake.raw.get(self.full_path("marital_status"), "") in ("VH", "LP")
        for field in self.married:
            self.set_shown(field, married)
        self.add_same.text = tr("Add a person with the same surname")
        self.add_other.text = tr("Add another person")
        self.remove.text = tr("Remove this person")
        self.set_shown(self.remove, count > 1)

    def _changed(self, path: str, part: str, text: str) -> None:
        super()._changed(path, part, text)
        if path == "marital_status":
            self.refresh_content()

    def next_text(self) -> str:
        if self.intake.draft is not None and \
                self.intake.person + 1 < len(self.intake.draft.persons):
            return self.tr("Next person")
        return self.tr("Next")


class IntakeReviewScreen(IntakeStepScreen):
    sending = False

    def build(self) -> None:
        self.body = self.ids.area

    def clear(self) -> None:
        super().clear()
        self.sending = False
        if self.intake.draft is None:  # the summary of the last visitor goes too
            area = self.ids.area.content
            discard(area.children)
            area.clear_widgets()

    def show_sending(self) -> None:
        self.sending = True
        self.ids.notice.text = self.tr("One moment, please. Your entries are being saved.")
        self._texts()

    def show_problems(self, problems: list) -> bool:
        self.sending = False
        blocking = self.intake.blocking(problems)
        lang = self.app.lang
        errors = [p for p in blocking if not p.warning]
        self._warned = [] if errors else blocking
        lines = [self.tr("Please check the marked entries.") if errors else
                 self.tr("Please check the notes. If everything is correct, continue.")]
        lines += [f"{field_label(p.path, lang)}: {problem_text(p, lang)}" for p in blocking]
        self.ids.notice.text = "\n".join(lines) if blocking else ""
        self._texts()
        return not blocking

    def show_failure(self) -> None:
        self.sending = False
        self.ids.notice.text = self.tr("Your entries could not be saved. Please try again "
                                       "or ask at the information desk.")
        self._texts()

    def next_text(self) -> str:
        return self.tr("Send and print the receipt")

    def _texts(self) -> None:
        super()._texts()
        if self.sending:
            self.ids.next.text = self.tr("One moment, please")

    def on_pre_enter(self, *args):
        super().on_pre_enter(*args)
        self.ids.area.scroll_to_top()

    def refresh_content(self) -> None:
        tr, lang = self.tr, self.app.lang
        draft = self.intake.draft
        self.ids.heading.text = tr("Please check your entries")
        area = self.ids.area.content
        discard(area.children)
        area.clear_widgets()
        self.edit_buttons = []
        household = draft.household
        address = household.address
        lines = [
            (field_label("household.move_in", lang), date_text(household.move_in)),
            (field_label("household.address", lang),
             " ".join(x for x in (address.street, address.house_number) if x) +
             (f", {address.flat}" if address.flat else "") +
             f", {address.postcode} {address.city}".rstrip(", ")),
            (field_label("household.residence_type", lang),
             dict(choices("residence", lang)).get(household.residence_type, "")),
        ]
        if household.previous_country:
            lines.append((field_label("household.previous_country", lang),
                          country_name(household.previous_country, lang)))
        elif household.previous_address is not None:
            prev = household.previous_address
            lines.append((field_label("household.previous_address", lang),
                          f"{prev.street} {prev.house_number}, {prev.postcode} {prev.city}"))
        self._section(tr("Your new home"), lines, "household", 0)
        for index, person in enumerate(draft.persons):
            sex = dict(choices("sex", lang)).get(person.sex, "")
            lines = [
                (field_label(f"persons[{index}].surname", lang), person.surname),
                (field_label(f"persons[{index}].first_names", lang),
                 " ".join(person.first_names)),
                (field_label(f"persons[{index}].everyday_name", lang),
                 person.first_names[person.everyday_name]
                 if person.everyday_name is not None else ""),
                # masked here too: the review is read standing at a public terminal
                (field_label(f"persons[{index}].birth_date", lang),
                 "••.••." + person.birth_date.german()[-4:] if person.birth_date else ""),
                (field_label(f"persons[{index}].sex", lang), sex),
                (field_label(f"persons[{index}].nationalities", lang),
                 ", ".join(country_name(c, lang) for c in person.nationalities)),
            ]
            if person.religious_name:  # optional and rare: only when given
                lines.insert(3, (field_label(f"persons[{index}].religious_name", lang),
                                 person.religious_name))
            if person.document is not None and person.document.number:
                lines.append((field_label(f"persons[{index}].document.number", lang),
                              "•" * max(0, len(person.document.number) - 2) +
                              person.document.number[-2:]))
            self._section(tr("Person {number}").format(number=index + 1), lines,
                          "person", index)
        self.entitled = None
        if len(draft.persons) > 1:
            self.entitled = CheckToggle(size_mm=7.5)
            self.entitled.text = tr("I confirm that I may register the other persons "
                                    "(§ 23(4) BMG: my spouse, partner or child, or with "
                                    "their consent).")
            self.entitled.active = draft.entitled_for_others
            self.entitled.on_active()
            self.entitled.bind(on_tap=lambda *_: self._toggle_entitled())
            area.add_widget(self.entitled)

    def _toggle_entitled(self) -> None:
        draft = self.intake.draft
        draft.entitled_for_others = not draft.entitled_for_others
        self.entitled.active = draft.entitled_for_others
        self.entitled.on_active()
        self.ids.notice.text = ""

    def _section(self, title: str, lines, section: str, index: int) -> None:
        area = self.ids.area.content
        area.add_widget(KLabel(text=title, size_mm=8.5, bold=True))
        for label, value in lines:
            area.add_widget(KLabel(text=f"{label}: {value}" if value else f"{label}: —",
                                   size_mm=7.5))
        button = BigButton(kind="secondary", size_mm=7.5, size_hint_x=None,
                           width=self.app.px_per_mm * 70 * self.app.text_scale,
                           pos_hint={"right": 1} if self.app.rtl else {"x": 0})
        button.text = self.tr("Edit")
        button.section, button.index = section, index
        button.bind(on_tap=lambda b: self.intake.edit(b.section, b.index))
        self.edit_buttons.append(button)
        area.add_widget(button)

    def check(self) -> bool:
        draft = self.intake.draft
        if len(draft.persons) > 1 and not draft.entitled_for_others:
            self.ids.notice.text = self.tr("Please confirm that you may register the "
                                           "other persons.")
            return False
        return self.show_problems(self.intake.problems(self.name))

    def forward(self) -> None:
        self.intake.submit()


class IntakeReceiptScreen(KioskScreen):
    def clear(self) -> None:
        pass  # shows the controller's reference only

    def refresh(self) -> None:
        from kiosk.domain.intake_reference import display

        tr = self.tr
        intake = self.app.intake
        ids = self.ids
        ids.title.text = tr("Thank you. Your entries are saved.")
        ids.caption.text = tr("Your reference")
        ids.reference.text = display(intake.reference) if intake.reference else ""
        ids.counter.text = tr("Take this reference to the counter with the passports or "
                              "identity cards and the landlord's confirmation.")
        if intake.printed is None:
            ids.status.text = tr("The receipt is being printed.")
        elif intake.printed:
            ids.status.text = tr("Please take your receipt from the printer below.")
        else:
            ids.status.text = tr("The receipt could not be printed. Please write down "
                                 "the reference.")
        ids.finish.text = tr("Finish")


SCREENS = {"intake_bring": IntakeBringScreen, "intake_privacy": IntakePrivacyScreen,
           "intake_household": IntakeHouseholdScreen, "intake_person": IntakePersonScreen,
           "intake_review": IntakeReviewScreen, "intake_receipt": IntakeReceiptScreen}


def build_screen(name: str):
    return SCREENS[name](name=name)
