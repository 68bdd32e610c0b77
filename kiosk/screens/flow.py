"""What the visitor flows (check-in, the Anmeldung intake) share: where a flow was
entered from, where leaving it leads, and clearing a flow's screens for the next visitor."""

from __future__ import annotations

from typing import Iterable

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
