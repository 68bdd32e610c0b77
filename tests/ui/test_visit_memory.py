"""What a visit must not leave behind in the long-running app (issue 9 item 5): counted
after many steps, never timed."""

from __future__ import annotations

from kiosk.app import step


def test_scrolling_leaves_no_bindings_behind(make_app):
    """Every scroll step, layout change and refresh moves a scroll view's content; Kivy
    bound its bar colour once more each time (issue 9 item 5: memory grew with visits)."""
    app = make_app()
    app.root.show("services")
    step(3)
    view = app.root.get_screen("services").ids.area.ids.view
    before = len(view.get_property_observers("bar_color"))
    for i in range(40):
        view.scroll_y = i % 2
        step(1)
    assert len(view.get_property_observers("bar_color")) <= before + 1
