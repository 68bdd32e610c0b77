"""Debian's chromium driven by Selenium through chromium-driver, headless, with a fresh
profile: for the browser tests of the counter page and the board. Outside CI a machine
without chromium skips them (with the reason); in CI a missing browser fails."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = ("chromium", "chromium-browser")
DRIVER = "chromedriver"


def chromium_paths() -> tuple[str, str] | None:
    browser = next((p for p in map(shutil.which, CHROMIUM) if p), None)
    driver = shutil.which(DRIVER)
    return (browser, driver) if browser and driver else None


def need_chromium() -> tuple[str, str]:
    found = chromium_paths()
    if found is None:
        reason = ("chromium and chromium-driver are not installed (scripts/setup test "
                  "installs them; or: apt-get install chromium chromium-driver)")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def headless_chromium(profile: Path):
    """A started headless chromium WebDriver with its own user-data dir."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = need_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                # two windows both stay active: a background tab's timers are not
                # throttled, as on a real board with its own screen
                "--disable-background-timer-throttling",
                "--disable-renderer-backgrounding",
                "--autoplay-policy=no-user-gesture-required",
                f"--user-data-dir={profile}", "--window-size=1280,800"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)
