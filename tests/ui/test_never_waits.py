"""The UI thread never waits for the store (issue 9, item 1): while another process holds
SQLite's write lock, a tap draws frames at once and the ticket screen says the number is
being issued, and the services screen is drawn while a ticket waits for the lock; a
hanging audio device does not hold up the idle warning. Frames are counted, never timed;
the store is the real one, observed for calls from the UI thread."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from kiosk.app import find_button, step, tap, wait_until

# A foreign writer (the sqlite3 shell, a backup): SQLite's write lock, not the kiosk's
# lock-file queue, held until a line arrives on stdin.
_HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""


class LockHolder:
    def __init__(self, path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            self.proc.wait(10)


@pytest.fixture
def hold_lock():
    holders = []

    def hold(path) -> LockHolder:
        holders.append(LockHolder(path))
        return holders[-1]

    yield hold
    for holder in holders:
        holder.release()


class StoreWatch:
    """Records which thread enters each public method of the real store, and when an
    issue() has come back (with a number or an error)."""

    def __init__(self, store) -> None:
        self.ui_thread = threading.current_thread()  # the test steps Kivy's loop
        self.ui_calls: list[str] = []
        self.issue_returned = threading.Event()
        for name in dir(type(store)):
            method = getattr(store, name)
            if name.startswith("_") or name == "close" or not callable(method):
                continue
            setattr(store, name, self._wrap(name, method))

    def _wrap(self, name, method):
        def watched(*args, **kwargs):
            if threading.current_thread() is self.ui_thread:
                self.ui_calls.append(name)
            try:
                return method(*args, **kwargs)
            finally:
                if name == "issue":
                    self.issue_returned.set()
        return watched

    @property
    def issue_pending(self) -> bool:
        return not self.issue_returned.is_set()


def count_frames(n: int, while_true, timeout_s: float = 60.0) -> int:
    """Ask for a redraw and step the loop until n frames were drawn (Window.on_flip),
    checking `while_true()` after each; the count reached."""
    from kivy.core.window import Window

    flips = []

    def flipped(*_args):
        flips.append(1)

    Window.bind(on_flip=flipped)
    try:
        deadline = time.monotonic() + timeout_s  # generous: a stuck loop, not a speed
        while len(flips) < n and time.monotonic() < deadline:
            Window.canvas.ask_update()  # as a spinner would: something to draw
            step(1)
            assert while_true(), f"the wait ended after only {len(flips)} frames"
    finally:
        Window.unbind(on_flip=flipped)
    return len(flips)


def _ticket_rows(app):
    """Read from a connection of our own: the store's is busy waiting for the lock."""
    db = sqlite3.connect(app.store.path)
    try:
        return db.execute("SELECT number FROM ticket").fetchall()
    finally:
        db.close()


def test_a_tap_draws_frames_while_another_process_holds_the_write_lock(make_app,
                                                                       hold_lock):
    """GIVEN another process holds the store's write lock WHEN a visitor taps a service
    THEN frames keep being drawn and the ticket screen says the number is being issued
    while issue() waits; after the lock is released the number appears; no store call
    of the whole visit ran on the UI thread."""
    app = make_app()
    watch = StoreWatch(app.store)
    tap(find_button(app.root, "English"))
    step(5)
    holder = hold_lock(app.store.path)
    tap(find_button(app.root, "Address registration"))
    ticket = app.root.get_screen("ticket")
    assert app.root.current == "ticket"
    assert ticket.ids.title.text == "Your number is being issued…"
    assert count_frames(10, lambda: watch.issue_pending) == 10
    assert ticket.ids.title.text == "Your number is being issued…" and ticket.number == ""
    assert _ticket_rows(app) == []  # really waiting: nothing issued yet
    holder.release()
    assert wait_until(lambda: ticket.printed is not None, timeout_s=30)
    assert ticket.ids.number.text == "A001" and app.root.current == "ticket"
    assert watch.ui_calls == []


def test_services_screen_is_drawn_while_a_ticket_waits_for_the_lock(make_app, hold_lock,
                                                                    ticks):
    """GIVEN a visitor's ticket waits for the write lock another process holds, and the
    screen starts over for the next visitor (idle reset) WHEN the next visitor picks a
    language THEN the services screen is drawn and frames keep coming while the first
    ticket still waits (the old screen read the queue on the UI thread behind that
    write and froze until it ended)."""
    app = make_app()
    watch = StoreWatch(app.store)
    tap(find_button(app.root, "English"))
    holder = hold_lock(app.store.path)
    tap(find_button(app.root, "Address registration"))
    assert app.root.current == "ticket"
    ticks.t += app.kiosk_config.idle_timeout_s + 1  # the visitor walked away
    assert wait_until(lambda: app.root.current == "language")
    assert watch.issue_pending
    assert app.lang == "de"
    step(5)  # the start screen laid out again
    tap(find_button(app.root, "English"))
    assert app.root.current == "services"
    assert count_frames(10, lambda: watch.issue_pending) == 10
    assert find_button(app.root, "Address registration").service_state == "open"
    assert watch.ui_calls == []
    holder.release()
    assert wait_until(lambda: not watch.issue_pending, timeout_s=30)
    assert wait_until(lambda: _ticket_rows(app) == [("A001",)])


def test_the_idle_warning_is_drawn_while_the_audio_device_hangs(make_app, ticks,
                                                                monkeypatch):
    """GIVEN opening the audio device hangs (a sound server that does not answer) WHEN
    the idle warning comes with its chime THEN the warning is drawn and frames keep
    coming while the chime is still being loaded."""
    from kivy.core.audio import SoundLoader

    release, returned = threading.Event(), threading.Event()

    def hanging_load(*_args, **_kwargs):  # the audio backend, at the very edge
        try:
            release.wait(10)
            return None
        finally:
            returned.set()

    monkeypatch.setattr(SoundLoader, "load", staticmethod(hanging_load))
    app = make_app()
    tap(find_button(app.root, "English"))
    config = app.kiosk_config
    ticks.t += config.idle_timeout_s - config.idle_warning_s + 1
    try:
        assert wait_until(lambda: app.root.idle_warning_visible, timeout_s=20)
        assert count_frames(10, lambda: not returned.is_set()) == 10
        assert app.root.idle_warning_visible
    finally:
        release.set()
    assert returned.wait(10)


def test_a_lock_held_past_the_busy_timeout_ends_in_a_clear_failure(make_app, hold_lock):
    """GIVEN the write lock stays held longer than the store waits (here 1 s instead of
    10 s) WHEN a visitor taps a service THEN after the "being issued" screen the visitor
    is told that no ticket was issued and where to ask."""
    from kiosk.store.sqlite import SqliteStore

    app = make_app()
    app.store.close()
    app.store = app.tickets.store = SqliteStore(app.store.path, terminal_id="ui",
                                                busy_timeout_ms=1000)
    watch = StoreWatch(app.store)
    tap(find_button(app.root, "English"))
    hold_lock(app.store.path)
    tap(find_button(app.root, "Address registration"))
    assert app.root.current == "ticket"
    assert app.root.get_screen("ticket").ids.title.text == "Your number is being issued…"
    assert wait_until(lambda: app.root.current == "services", timeout_s=30)
    assert not watch.issue_pending
    message = app.root.get_screen("services").ids.message.text
    assert "No ticket was issued" in message and "information desk" in message
    assert _ticket_rows(app) == [] and watch.ui_calls == []


def test_the_being_issued_screen_shows_nothing_of_the_last_visitor(make_app, hold_lock):
    """GIVEN a visitor got a ticket in German and the screen started over WHEN the next
    visitor picks English and a service while the store waits THEN the "being issued"
    screen shows no text of the last ticket (its "watch the display" line stayed, in
    German, until the new number came)."""
    app = make_app()
    app.tickets.min_interval_s = 0  # two visitors in quick succession, not a double tap
    ticket = app.root.get_screen("ticket")
    tap(find_button(app.root, "Deutsch"))
    tap(find_button(app.root, "Anmeldung"))
    assert wait_until(lambda: ticket.printed is not None)
    german = ticket.ids.watch.text
    assert german.startswith("Bitte")
    app.reset_visit()
    step(3)
    tap(find_button(app.root, "English"))
    holder = hold_lock(app.store.path)
    tap(find_button(app.root, "Address registration"))
    assert app.root.current == "ticket"
    assert ticket.ids.title.text == "Your number is being issued…"
    step(3)
    from kivy.uix.label import Label

    shown = [w.text for w in ticket.walk(restrict=True)
             if isinstance(w, Label) and w.text and w.get_root_window() is not None]
    assert german not in shown and not any("Bitte" in text for text in shown), shown
    holder.release()
    assert wait_until(lambda: ticket.printed is not None, timeout_s=30)
    assert ticket.ids.watch.text.startswith("Please watch the display")
