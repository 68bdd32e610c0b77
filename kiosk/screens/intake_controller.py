"""The Anmeldung intake's controller: holds the visitor's draft Intake (the only place
it lives), walks the steps, checks each step with the intake rules, and submits and
prints in a worker thread (IntakeService), handing results to the screens on the UI
thread. Cancel, finish and the idle reset wipe the draft; nothing personal is logged."""

from __future__ import annotations

import copy
import logging
import threading
import time
from typing import TYPE_CHECKING

from kiosk.screens.flow import FlowWorker, clear_screens, entered_from, way_back

if TYPE_CHECKING:  # the model is imported when a visitor opens the intake, not at start
    from kiosk.domain.intake import Intake

log = logging.getLogger(__name__)

# The screens of the flow, in order (intake_person is one page per person).
STEPS = ("intake_bring", "intake_privacy", "intake_household", "intake_person",
         "intake_review")
FLOW_SCREENS = STEPS + ("intake_receipt",)


def rules_module():
    """kiosk.domain.intake_rules (the validation rules), imported when first needed."""
    from kiosk.domain import intake_rules

    return intake_rules


class IntakeController(FlowWorker):
    def __init__(self, app, service=None, monotonic=time.monotonic) -> None:
        self.app = app
        self.service = service  # services.intake.IntakeService; None: not offered
        self.monotonic = monotonic
        self._busy = threading.Lock()
        self._visit = 0  # a late result for a visitor who has gone is not shown
        self._stopped = False
        self.draft: Intake | None = None
        self.acknowledged: set[str] = set()
        # what was typed, by field path ("persons[0].birth_date#year"): the fields show
        # it again after Back, also a date that does not parse yet
        self.raw: dict[str, str] = {}
        self.date_problems: dict[str, str] = {}  # path -> problem code of a typed date
        self.consent = False
        self.person = 0  # the person page shown
        self.editing_from_review = False
        self.came_from = "services"
        self.started_at = 0.0
        self.step = "intake_bring"
        # what the receipt shows after the draft is gone: the reference only
        self.reference: str | None = None
        self.printed: bool | None = None
        self._rules_cache = None

    preview = False  # screenshots: the screens without a service

    @property
    def enabled(self) -> bool:
        """The intake is offered when [intake] is enabled and the service was built."""
        return bool(self.app.kiosk_config.intake.enabled) and (
            self.service is not None or self.preview)

    @property
    def busy(self) -> bool:
        return self._busy.locked()

    def stop(self) -> None:
        self._stopped = True

    # -- the draft ---------------------------------------------------------------------

    def _wipe(self) -> None:
        self.draft = None
        self.raw = {}
        self.date_problems = {}
        self.acknowledged = set()
        self.consent = False
        self.person = 0
        self.editing_from_review = False
        self.reference = None
        self.printed = None
        clear_screens(self.app.root, FLOW_SCREENS)

    def open(self) -> None:
        """The visitor chose "Register your new address"."""
        self.came_from = entered_from(self.app.root, FLOW_SCREENS, self.came_from)
        self._wipe()
        self._visit += 1
        from kiosk.domain.intake import Intake, Person

        self.draft = Intake(lang=self.app.lang)
        self.draft.persons.append(Person())
        self.started_at = self.monotonic()
        self._in_worker("started", self.app.lang)
        self.go("intake_bring")

    def reset(self) -> None:
        """The visitor is gone (idle reset): everything typed is forgotten."""
        if self.draft is not None:
            self._in_worker("abandoned", self.step, self.monotonic() - self.started_at)
        self._visit += 1
        self._wipe()

    def cancel(self) -> None:
        """"Cancel and erase", confirmed: the draft goes, back where the visitor came from."""
        self.reset()
        self.app.go(way_back(self.came_from))

    def finish(self) -> None:
        """The receipt is taken: start over for the next visitor."""
        self._visit += 1
        self._wipe()
        self.app.reset_visit()

    def _in_worker(self, method: str, *args) -> None:
        # statistics reach the store: never on the UI thread, never a crash for a visitor
        service = self.service
        if service is None or not hasattr(service, method):
            return

        def run():
            try:
                getattr(service, method)(*args)
            except Exception as err:  # noqa: BLE001
                log.error("intake statistics (%s) failed: %s", method, type(err).__name__)

        threading.Thread(target=run, name=f"intake-{method}", daemon=True).start()

    def set_raw(self, path: str, part: str, text: str) -> None:
        """A field changed: keep the text and apply it to the draft."""
        from kiosk.screens import intake_draft

        if self.draft is None:
            return
        self.raw[f"{path}#{part}" if part else path] = text
        intake_draft.apply(self.draft, self.raw, path, self.date_problems)
        if path == "household.arrival":  # the part kept depends on the answer
            for key in ("street", "house_number", "flat", "postcode", "city"):
                intake_draft.apply(self.draft, self.raw, f"household.previous_address.{key}",
                                   self.date_problems)
            intake_draft.apply(self.draft, self.raw, "household.previous_country",
                               self.date_problems)

    # -- navigation --------------------------------------------------------------------

    def go(self, step: str) -> None:
        self.step = step
        self.app.go(step)

    def show_person(self, index: int) -> None:
        if self.draft is None:
            return
        self.person = max(0, min(index, len(self.draft.persons) - 1))
        self.go("intake_person")

    def next_from(self, step: str) -> None:
        """Forward from `step` (its own checks passed)."""
        if self.draft is None:
            return
        if self.editing_from_review and step in ("intake_household", "intake_person"):
            self.editing_from_review = False
            self.go("intake_review")
        elif step == "intake_bring":
            self.go("intake_privacy")
        elif step == "intake_privacy":
            self.go("intake_household")
        elif step == "intake_household":
            self.show_person(0)
        elif step == "intake_person":
            if self.person + 1 < len(self.draft.persons):
                self.show_person(self.person + 1)
            else:
                self.go("intake_review")

    def back_from(self, step: str) -> None:
        """Back from `step`: what was typed stays in the draft."""
        if self.draft is None:
            self.cancel()
            return
        self.editing_from_review = False
        if step == "intake_bring":
            self.cancel_confirmed_back()
        elif step == "intake_privacy":
            self.go("intake_bring")
        elif step == "intake_household":
            self.go("intake_privacy")
        elif step == "intake_person":
            if self.person > 0:
                self.show_person(self.person - 1)
            else:
                self.go("intake_household")
        elif step == "intake_review":
            self.show_person(len(self.draft.persons) - 1)

    def cancel_confirmed_back(self) -> None:
        # nothing typed yet on the first page: back leaves the flow (the draft goes)
        self.cancel()

    def edit(self, section: str, index: int = 0) -> None:
        """An "edit" link on the review page."""
        self.editing_from_review = True
        if section == "household":
            self.go("intake_household")
        else:
            self.show_person(index)

    # -- persons -----------------------------------------------------------------------

    def add_person(self, copy_from_current: bool) -> None:
        """Another person registering at the same address; optionally with the current
        person's surname (the address is the household's, shared anyway)."""
        if self.draft is None:
            return
        from kiosk.domain.intake import Person

        person = Person()
        self.draft.persons.append(person)
        index = len(self.draft.persons) - 1
        if copy_from_current:
            self.set_raw(f"persons[{index}].surname", "",
                         self.raw.get(f"persons[{self.person}].surname", ""))
        self.draft.entitled_for_others = False  # confirmed again for the new list
        self.show_person(index)

    def remove_person(self) -> None:
        if self.draft is None or len(self.draft.persons) <= 1:
            return
        from kiosk.screens.intake_draft import shift_persons

        del self.draft.persons[self.person]
        self.raw = shift_persons(self.raw, self.person)
        self.date_problems = shift_persons(self.date_problems, self.person)
        # acknowledgements name persons by index: they no longer fit
        self.acknowledged = {k for k in self.acknowledged if not k.startswith("persons[")}
        self.show_person(min(self.person, len(self.draft.persons) - 1))

    # -- checks ------------------------------------------------------------------------

    def today(self):
        from kiosk.domain.clock import OFFICE_ZONE

        return self.app.tickets.clock().astimezone(OFFICE_ZONE).date()

    def problems(self, step: str) -> list:
        """Problems of `step`'s part of the draft (pure rules: no I/O, UI thread fine)."""
        if self.draft is None:
            return []
        intake_rules = rules_module()
        rules = self._rules()
        today = self.today()
        if step == "intake_household":
            return intake_rules.validate_household(self.draft.household, today, rules)
        if step == "intake_person":
            return intake_rules.validate_person(self.draft.persons[self.person], self.person,
                                                today, rules, self.draft.household.move_in)
        if step == "intake_review":
            return intake_rules.validate(self.draft, today, rules)
        return []

    def _rules(self):
        if self._rules_cache is None:
            from kiosk.services.intake_codes import rules_for

            self._rules_cache = rules_for(self.app.kiosk_config.intake)
        return self._rules_cache

    def blocking(self, problems: list) -> list:
        return rules_module().blocking(problems, frozenset(self.acknowledged))

    def acknowledge(self, problems: list) -> None:
        """One tap on "this is correct": the warnings shown are accepted."""
        self.acknowledged |= {p.key for p in problems if p.warning}

    # -- submitting --------------------------------------------------------------------

    def submit(self) -> bool:
        """Seal, store and print in a worker thread; a second tap while busy does nothing."""
        if self.draft is None or self.service is None:
            return False
        if not self._busy.acquire(blocking=False):
            return False
        intake = copy.deepcopy(self.draft)
        intake.lang = self.app.lang
        self.app.root.get_screen("intake_review").show_sending()
        threading.Thread(target=self._submit_worker,
                         args=(intake, frozenset(self.acknowledged), self.app.lang,
                               self._visit),
                         name="intake-submit", daemon=True).start()
        return True

    def _submit_worker(self, intake: Intake, acknowledged, lang: str, visit: int) -> None:
        try:
            try:
                submission = self.service.submit(intake, acknowledged)
            except Exception as err:  # noqa: BLE001 - a visitor never sees a traceback
                log.error("intake submit failed: %s", type(err).__name__)  # no message
                self._on_ui(visit, self._show_failed)
                return
            if submission.reference is None:
                log.info("intake refused: %d problem(s)", len(submission.problems))
                self._on_ui(visit, self._show_refused, submission.problems)
                return
            log.info("intake stored: %d person(s)", len(intake.persons))
            self._on_ui(visit, self._show_receipt, submission.reference)
            self._print_and_report(visit, lambda: self.service.print_receipt(submission, lang),
                                   "intake receipt")
        finally:
            self._busy.release()

    def _show_receipt(self, reference: str) -> None:
        # sealed and stored: the draft is wiped now, only the reference stays
        self.draft = None
        self.raw = {}
        self.date_problems = {}
        self.acknowledged = set()
        self.consent = False
        self.reference = reference
        self.printed = None
        clear_screens(self.app.root, STEPS)
        self.go("intake_receipt")

    def _show_printed(self, printed: bool) -> None:
        self.printed = printed
        if self.app.root.current == "intake_receipt":
            self.app.root.get_screen("intake_receipt").refresh()

    def _show_refused(self, problems) -> None:
        self.app.root.get_screen("intake_review").show_problems(problems)

    def _show_failed(self) -> None:
        self.app.root.get_screen("intake_review").show_failure()

