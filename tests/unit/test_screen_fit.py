"""The ticket number's size on every supported screen, and the check-config warning."""

import pytest

from kiosk import screen_fit

SUPPORTED = [  # (width mm, height mm, width px, height px)
    (217, 136, 1280, 800),  # 10.1"
    (261, 163, 1280, 800),  # 12.1"
    (477, 268, 1920, 1080),  # 21.5"
    (708, 398, 1920, 1080),  # 32"
    (268, 477, 1080, 1920),  # 21.5" turned
]


@pytest.mark.parametrize("screen", SUPPORTED)
def test_every_supported_screen_shows_the_number_at_15_mm_or_more(screen):
    fit = screen_fit.fit_number(*screen)
    assert fit.ok and fit.digits_mm >= 15
    assert screen_fit.screen_warning(*screen) is None


@pytest.mark.parametrize("screen", [(477, 268, 1920, 1080), (268, 477, 1080, 1920)])
def test_the_number_is_40_mm_on_a_21_inch_screen(screen):
    assert screen_fit.fit_number(*screen).digits_mm >= 40


def test_portrait_is_told_by_the_pixels():
    assert screen_fit.fit_number(268, 477, 1080, 1920).portrait
    assert not screen_fit.fit_number(477, 268, 1920, 1080).portrait


@pytest.mark.parametrize("screen", [(154, 86, 1024, 600),  # 7"
                                    (100, 130, 600, 780)])  # a small portrait panel
def test_a_too_small_screen_gets_a_warning(screen):
    assert not screen_fit.fit_number(*screen).ok
    warning = screen_fit.screen_warning(*screen)
    assert warning and "too small" in warning and "15 mm" in warning


def test_the_configured_screen_is_checked(config):
    """check-config's call: the demo-sized screen passes, a 7-inch one is warned about."""
    import dataclasses

    assert screen_fit.geometry_warning(config.screen) is None
    small = dataclasses.replace(config.screen, width_mm=154, height_mm=86, width_px=1024,
                                height_px=600)
    assert "too small" in screen_fit.geometry_warning(small)


def test_check_config_warns_about_a_screen_too_small_for_the_number(tmp_path, capsys):
    """GIVEN a configured 5" screen WHEN staff run check-config THEN a warning names the
    file, the line of `screen` and why; a 10.1" screen passes without one."""
    from kiosk.cli import main
    from tests.conftest import MINIMAL_CONFIG, write_config

    base = MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "p.bin"))
    small = base.replace('default_language = "de"\n', 'default_language = "de"\nscreen = '
                         '{ width_mm = 120, height_mm = 75, width_px = 1024, height_px = 600 }\n')
    path = write_config(tmp_path, small)
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out
    line = small.splitlines().index(next(x for x in small.splitlines()
                                         if x.startswith("screen"))) + 1
    assert f"{path}:{line}: warning: terminal.screen: screen 120x75 mm is too small" in out
    ok = base.replace('default_language = "de"\n', 'default_language = "de"\nscreen = '
                      '{ width_mm = 217, height_mm = 136, width_px = 1280, height_px = 800 }\n')
    assert main(["check-config", str(write_config(tmp_path, ok, "ok.toml"))]) == 0
    assert "too small" not in capsys.readouterr().out
