"""What the visitor flows (check-in, the Anmeldung intake) share: where a flow was
entered from, where leaving it leads, clearing a flow's screens for the next visitor, and
handing a worker's results (and its print's outcome) back to the UI thread."""

from __future__ import annotations

import logging
from typing import Callable, Iterable

from kivy.clock import Clock

log = logging.getLogger(__name__)

# the screens a flow is entered from and returns to; from anywhere else it returns to
# the start
RETURN_SCREENS = ("language", "services")


def entered_from(root, flow_screens: Iterable[str], came_from: str) -> str:
    """The screen a flow opened now was entered from: the current one, unless that is
    one of the flow's own (opened again from inside, the first entry still counts)."""
    return came_from if root.current in flow_screens else root.current


def way_back(came_from: str) -> str:
    """Where Back or Cancel leaves a flow entered from `came_from`."""
    return came_from if came_from in RETURN_SCREENS else "language"


def clear_screens(root, names: Iterable[str]) -> None:
    """Clear each of the screens that exists (what was typed and shown on them goes);
    nothing when the app has no root (yet, or any more)."""
    if root is None:
        return
    for name in names:
        if root.manager.has_screen(name):
            root.get_screen(name).clear()


class FlowWorker:
    """The worker-to-UI hand-off of a flow's controller. The controller keeps `app`,
    `_visit` (a new number per visitor) and `_stopped`, and has `_show_printed(bool)`."""

    def _on_ui(self, visit: int, func, *args) -> None:
        def run(_dt):
            # a result for a visitor who has gone (idle reset) is not shown to the next
            if not self._stopped and visit == self._visit and self.app.root is not None:
                func(*args)

        Clock.schedule_once(run, 0)

    def _print_and_report(self, visit: int, print_call: Callable, what: str) -> None:
        """Print in the worker; the UI hears whether it came out (a crash: it did not)."""
        try:
            report = print_call()
        except Exception as err:  # noqa: BLE001 - a visitor never sees a traceback
            log.error("printing the %s crashed: %s", what, type(err).__name__)
            report = None
        self._on_ui(visit, self._show_printed, bool(report and report.printed))
