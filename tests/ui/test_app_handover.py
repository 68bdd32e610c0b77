"""One app after another on the same window (every UI test builds its own): the next
app's buttons act on it, whatever the one before left for its next frame."""

from __future__ import annotations

from kiosk.app import find_button, step, tap
from tests.ui.conftest import detach


def test_an_app_built_after_a_text_size_toggle_gets_the_taps(make_app):
    first = make_app()
    first.toggle_large_text()  # its screens are refreshed on the next frame
    detach(first)
    step(1)  # a fixture that waits for a device steps frames before it builds its app
    second = make_app()
    # buttons whose action kv calls on `app` (the larger-text toggle, the services
    # screen's Back): a stale `app` was the first one, and nothing happened here
    tap(second.root.ids.a11y.ids.large)
    assert second.large_text
    tap(find_button(second.root, "English"))
    assert second.root.current == "services"
    step(2)
    tap(find_button(second.root, second.tr("Back")))
    assert second.root.current == "language"
