"""The app's printer worker against the simulator with injected faults: each fault
shows the terminal recovering without a restart."""

from __future__ import annotations

import threading
import time

import pytest

from kiosk.devices.printer.profiles import PROFILES
from kiosk.devices.printer.simulator import SimPrinter
from kiosk.devices.printer.status import PrinterState
from kiosk.devices.printer.supervisor import PrinterSupervisor
from kiosk.devices.printer.transports import SerialTransport
from kiosk.domain.documents import Document, Text
from tests.waiting import wait_for

DOC = Document((Text("A017"),))


@pytest.fixture
def sim(tmp_path):
    with SimPrinter(out_dir=tmp_path / "out", pty_link=tmp_path / "printer",
                    preview=False) as printer:
        yield printer


@pytest.fixture
def supervisor(sim, tmp_path):
    transport = SerialTransport(str(tmp_path / "printer"), 115200)
    with PrinterSupervisor(transport, PROFILES["TM-T88V"], poll_interval_s=0.1,
                           retry_window_s=1.0) as sup:
        yield sup


def test_prints_and_reports_online(supervisor, sim):
    assert supervisor.print_document(DOC).printed
    assert sim.wait_for_jobs(1, 20)
    assert supervisor.status.state is PrinterState.ONLINE


@pytest.mark.parametrize("fault,state", [("paper_out", PrinterState.PAPER_OUT),
                                         ("cover_open", PrinterState.COVER_OPEN),
                                         ("cutter_error", PrinterState.ERROR)])
def test_fault_is_an_event_and_clears(supervisor, sim, fault, state):
    seen = []
    supervisor.add_listener(lambda status: seen.append(status.state))
    sim.set_fault(**{fault: True})
    assert wait_for(lambda: supervisor.status.state is state)
    result = supervisor.print_document(DOC)
    assert not result.printed and result.state is state
    sim.set_fault(**{fault: False})
    assert wait_for(lambda: supervisor.status.state is PrinterState.ONLINE)
    assert state in seen and seen[-1] is PrinterState.ONLINE
    assert supervisor.print_document(DOC).printed


def test_paper_near_end_still_prints(supervisor, sim):
    sim.set_fault(paper_near_end=True)
    assert wait_for(lambda: supervisor.status.state is PrinterState.PAPER_NEAR_END)
    assert supervisor.print_document(DOC).printed


def test_silent_printer_is_offline_not_fine(supervisor, sim):
    sim.set_fault(silent=True)
    assert wait_for(lambda: supervisor.status.state is PrinterState.OFFLINE)
    assert not supervisor.print_document(DOC).printed
    sim.set_fault(silent=False)
    assert wait_for(lambda: supervisor.status.state is PrinterState.ONLINE)


def test_unplug_and_replug_recovers_without_restart(supervisor, sim):
    """GIVEN a working printer WHEN it disappears (pty closed) THEN the worker says
    offline; WHEN it returns THEN printing works again, no restart (the time it takes is
    measured in bench/bench_reconnect.py, not asserted here)."""
    assert supervisor.print_document(DOC).printed
    sim.disappear()
    assert wait_for(lambda: supervisor.status.state is PrinterState.OFFLINE)
    time.sleep(1.0)  # let the backoff grow a little
    sim.reappear()
    assert wait_for(lambda: supervisor.status.state is PrinterState.ONLINE, timeout_s=30.0)
    assert supervisor.print_document(DOC).printed
    assert sim.wait_for_jobs(2, 20)


def test_job_waits_briefly_for_a_returning_printer_and_prints_once(supervisor, sim):
    sim.disappear()
    assert wait_for(lambda: supervisor.status.state is PrinterState.OFFLINE)
    future = supervisor.submit(DOC)
    threading.Timer(0.3, sim.reappear).start()
    result = future.result(timeout=10)
    assert result.printed
    assert sim.wait_for_jobs(1, 20)
    time.sleep(0.5)
    assert len(sim.jobs) == 1  # printed exactly once


def test_job_fails_when_printer_stays_away(supervisor, sim):
    sim.disappear()
    assert wait_for(lambda: supervisor.status.state is PrinterState.OFFLINE)
    result = supervisor.print_document(DOC)
    assert not result.printed and result.state is PrinterState.OFFLINE
    sim.reappear()
    assert wait_for(lambda: supervisor.status.state is PrinterState.ONLINE)
    time.sleep(0.3)
    assert sim.jobs == []  # the failed job is not printed later behind the visitor's back


def test_paper_out_mid_job_is_reported_not_printed(sim, tmp_path):
    """At 9600 baud a long job takes ~2 s on the wire; the paper runs out meanwhile."""
    big = Document(tuple(Text(f"Zeile {i} mit etwas Text") for i in range(60)))
    sim.set_baudrate(9600)
    transport = SerialTransport(str(tmp_path / "printer"), 9600)
    with PrinterSupervisor(transport, PROFILES["TM-T88V"], poll_interval_s=5) as sup:
        future = sup.submit(big)
        time.sleep(0.5)
        sim.set_fault(paper_out=True)
        result = future.result(timeout=20)
    assert not result.printed
    assert result.state is PrinterState.PAPER_OUT
    assert sim.jobs == []  # the simulator did not count the spoiled ticket as printed


def test_close_fails_queued_jobs_instead_of_hanging(sim, tmp_path):
    """Issue 7, item 16: this test used to accept a future that never resolved."""
    transport = SerialTransport(str(tmp_path / "printer"), 115200)
    sup = PrinterSupervisor(transport, PROFILES["TM-T88V"])  # never started
    future = sup.submit(DOC)
    closing = threading.Thread(target=sup.close, kwargs={"timeout_s": 1.0})
    closing.start()
    closing.join(10)
    assert not closing.is_alive()
    result = future.result(timeout=5)
    assert not result.printed and result.error == "printer worker stopped"
    late = sup.submit(DOC)  # after close: answered at once, never queued for nobody
    assert late.result(timeout=5).error == "printer worker stopped"
    assert sim.jobs == []


class StuckTransport:
    """A printer whose write never returns (a USB stack that hangs, a full pipe)."""

    description = "stuck"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.writing = threading.Event()

    def write(self, data):
        self.writing.set()
        self.release.wait(60)

    def status(self):
        return None

    def close(self):
        pass  # not even closing the port ends this write


def test_close_resolves_the_job_in_hand_and_the_queue_when_the_worker_hangs():
    transport = StuckTransport()
    sup = PrinterSupervisor(transport, PROFILES["TM-T88V"]).start()
    stuck, queued = sup.submit(DOC), sup.submit(DOC)
    assert transport.writing.wait(10)
    closing = threading.Thread(target=sup.close, kwargs={"timeout_s": 0.5})
    closing.start()
    closing.join(10)
    assert not closing.is_alive()  # close returns after its timeout, not never
    for future in (stuck, queued):
        result = future.result(timeout=5)
        assert not result.printed and result.error == "printer worker stopped"
    transport.release.set()


def test_a_probe_reads_the_status_now_not_at_the_next_poll(sim, tmp_path):
    """GIVEN paper out and the next poll an hour away WHEN the roll is replaced and the
    worker is asked to probe THEN it reports online at once (two agreeing readings),
    listeners hear it, and a stopped worker's probe answers with the last status."""
    sim.set_fault(paper_out=True)
    transport = SerialTransport(str(tmp_path / "printer"), 115200)
    heard = []
    sup = PrinterSupervisor(transport, PROFILES["TM-T88V"], poll_interval_s=3600)
    sup.add_listener(heard.append)
    sup.start()
    try:
        assert wait_for(lambda: sup.status.state is PrinterState.PAPER_OUT, 10)
        assert sup.probe().state is PrinterState.PAPER_OUT
        sim.set_fault(paper_out=False)
        assert sup.probe().state is PrinterState.ONLINE
        assert heard[-1].state is PrinterState.ONLINE
    finally:
        sup.close()
    assert sup.probe().state is PrinterState.ONLINE  # stopped: the last status, no wait
