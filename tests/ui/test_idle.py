"""Idle reset: a visible warning with a button to stay, then back to the start."""

from __future__ import annotations

from kiosk.app import find_button, tap, wait_until


def test_warning_then_stay_then_reset(make_app, ticks):
    app = make_app()
    config = app.kiosk_config
    tap(find_button(app.root, "العربية"))
    tap(find_button(app.root, app.tr("High contrast")))
    ticks.t += config.idle_timeout_s - config.idle_warning_s + 1
    # the idle check runs twice a second on Kivy's clock
    assert wait_until(lambda: app.root.idle_warning_visible, timeout_s=3)
    warning = app.root.warning
    assert warning.seconds >= 20 and warning.ids.stay.height >= 20 * app.px_per_mm - 1
    tap(warning.ids.stay)
    assert not app.root.idle_warning_visible and app.root.current == "services"
    ticks.t += config.idle_timeout_s + 1
    assert wait_until(lambda: app.root.current == "language", timeout_s=3)
    assert app.lang == config.default_language and not app.rtl and not app.high_contrast


def test_start_screen_never_times_out(make_app, ticks):
    app = make_app()
    ticks.t += 10_000
    wait_until(lambda: app.root.idle_warning_visible, timeout_s=1.2)
    assert not app.root.idle_warning_visible and app.root.current == "language"
