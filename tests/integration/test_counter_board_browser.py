"""From the counter page's click to the waiting area, in a real headless chromium: staff
sign in on /counter and call the next visitor; the TV board (/board, another window,
signed in through its #token= fragment) shows the number highlighted, and the serial
call-up sign attached to the server (a pty with the display simulator) shows it too.
The server is then stopped (staff read that it cannot be reached, the board says it is
reconnecting) and started again: the board comes back by itself and shows the next call
without anyone reloading it; after the last ticket staff read that nobody is waiting."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from kiosk.devices.display.simulator import SimDisplay
from kiosk.server.page_texts import COUNTER, texts
from tests.browser import headless_chromium, need_chromium
from tests.conftest import MINIMAL_CONFIG
from tests.server_process import ServerProcess
from tests.waiting import wait_for

TIMEOUT = 60  # generous: a busy CI machine; the speed is measured in bench/


def _config(sign) -> str:
    return MINIMAL_CONFIG + f"""
[[display]]
id = "lobby"
device = "{sign}"
framing = "alpha"
max_calls = 3
counter_format = "Schalter {{counter}}"
"""


def _start_on_same_port(srv: ServerProcess) -> None:
    """Start the stopped server again where the pages expect it."""
    port = srv.port
    srv.log = open(srv.folder / f"serve-{port}-again.log", "w+", encoding="utf-8")
    srv.proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "serve", "--config", str(srv.config),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=srv.log, stderr=subprocess.STDOUT, env=srv.env)
    assert srv._wait_ready(TIMEOUT), (srv.folder / f"serve-{port}-again.log").read_text()


def _issue(srv: ServerProcess, n: int) -> None:
    for _ in range(n):
        r = requests.post(srv.url + "/api/v1/tickets", json={"service": "anmeldung",
                          "language": "de"}, headers=srv.headers("terminal"), timeout=10)
        assert r.status_code == 201, r.text


def _text(driver, element_id: str) -> str:
    return driver.find_element("id", element_id).text.strip()


def test_counter_click_reaches_board_and_sign_and_board_survives_restart(tmp_path):
    need_chromium()
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    words = texts(COUNTER, "de")  # the server's default language
    sign_link = tmp_path / "sign"
    with SimDisplay(pty_link=sign_link).start() as sign, \
            ServerProcess(tmp_path / "srv", config_text=_config(sign_link)) as srv:
        _issue(srv, 3)
        driver = headless_chromium(tmp_path / "profile")
        try:
            # the board, signed in by its fragment; the token leaves the address bar
            driver.get(f"{srv.url}/board#token={srv.tokens['board']}")
            board = driver.current_window_handle
            assert wait_for(lambda: "#token" not in driver.current_url, TIMEOUT)

            # the counter page in a second window, used by keyboard
            driver.switch_to.new_window("window")
            counter = driver.current_window_handle
            driver.get(srv.url + "/counter")
            driver.find_element(By.ID, "token").send_keys(srv.tokens["counter"])
            driver.find_element(By.ID, "counter").send_keys("3", Keys.ENTER)
            assert wait_for(lambda: driver.find_element(By.ID, "desk").is_displayed(),
                            TIMEOUT)
            # focus lands on "Call next": Enter calls the first visitor
            assert wait_for(lambda: driver.switch_to.active_element.get_attribute("id")
                            == "call-next", TIMEOUT)
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            assert wait_for(lambda: _text(driver, "current") == "A001", TIMEOUT), \
                _text(driver, "message")
            assert "A001" in _text(driver, "message")

            assert sign.wait_until(lambda s: s.shown[:1] == ["A001 -> Schalter 3"],
                                   TIMEOUT), sign.shown
            driver.switch_to.window(board)
            assert wait_for(lambda: _text(driver, "newest-number") == "A001", TIMEOUT)
            assert "fresh" in driver.find_element(By.ID, "newest").get_attribute("class")
            assert _text(driver, "newest-counter").endswith("3")

            # mouse: done, then nobody left is said in words
            driver.switch_to.window(counter)
            driver.find_element(By.ID, "done").click()
            assert wait_for(lambda: _text(driver, "current") != "A001", TIMEOUT)

            # network cut: the server goes away; staff are told, the board says so
            srv.stop()
            driver.find_element(By.ID, "call-next").click()
            assert wait_for(lambda: _text(driver, "message") == words["unreachable"],
                            TIMEOUT), _text(driver, "message")
            driver.switch_to.window(board)
            assert wait_for(lambda: driver.find_element(By.ID, "status").is_displayed(),
                            TIMEOUT)
            # ... and comes back: the board reconnects by itself
            _start_on_same_port(srv)
            driver.switch_to.window(counter)
            driver.find_element(By.ID, "call-next").click()
            assert wait_for(lambda: _text(driver, "current") == "A002", TIMEOUT), \
                _text(driver, "message")
            driver.switch_to.window(board)
            assert wait_for(lambda: _text(driver, "newest-number") == "A002", TIMEOUT), \
                driver.page_source[-1500:]
            assert not driver.find_element(By.ID, "status").is_displayed()
            assert sign.wait_until(lambda s: s.shown[:1] == ["A002 -> Schalter 3"],
                                   TIMEOUT), sign.shown

            # the last one, then nobody is waiting: said in words
            driver.switch_to.window(counter)
            driver.find_element(By.ID, "call-next").click()
            assert wait_for(lambda: _text(driver, "current") == "A003", TIMEOUT)
            driver.find_element(By.ID, "call-next").click()
            assert wait_for(lambda: _text(driver, "message") == words["nobody"], TIMEOUT), \
                _text(driver, "message")
        finally:
            driver.quit()
