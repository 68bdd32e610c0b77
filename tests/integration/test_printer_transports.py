"""Every printer transport against something that answers like a printer: a pty with
the simulator (serial, lp), a local TCP server (network), an injected pyusb backend
(USB, the one mock at the edge)."""

from __future__ import annotations

import pytest

from kiosk.devices.printer.driver import TicketPrinter
from kiosk.devices.printer.lp_transport import LpTransport
from kiosk.devices.printer.net_transport import NetworkTransport
from kiosk.devices.printer.preview import decode_text
from kiosk.devices.printer.profiles import PROFILES
from kiosk.devices.printer.simulator import SimPrinter
from kiosk.devices.printer.status import PrinterState
from kiosk.devices.printer.transports import SerialTransport, TransportError
from kiosk.devices.printer.usb_transport import UsbTransport
from kiosk.domain.documents import Document, Text
from tests.fakes.tcp_printer import TcpPrinter
from tests.fakes.usb_backend import OUT_EP, FakePrinterBackend

DOC = Document((Text("Wartenummer A017 – Größe €"),))
T88V = PROFILES["TM-T88V"]


@pytest.fixture
def sim(tmp_path):
    with SimPrinter(out_dir=tmp_path / "out", pty_link=tmp_path / "printer",
                    preview=False) as printer:
        yield printer


@pytest.mark.parametrize("flow", ["none", "rtscts", "dsrdtr"])
def test_serial_prints_and_reads_status(sim, tmp_path, flow):
    transport = SerialTransport(str(tmp_path / "printer"), 115200, flow)
    printer = TicketPrinter(transport, T88V)
    result = printer.print_document(DOC)
    assert transport._port.rtscts == (flow == "rtscts")
    printer.close()
    assert result.printed, result.error
    assert sim.wait_for_jobs(1, 20)
    assert "Wartenummer A017 - Größe €" in decode_text(sim.jobs[0])


def test_parity_from_the_config_reaches_the_port(sim, tmp_path):
    transport = SerialTransport(str(tmp_path / "printer"), 115200, parity="E")
    assert TicketPrinter(transport, T88V).print_document(DOC).printed
    assert transport._port.parity == "E"


def test_serial_url_through_pyserial_spy(sim, tmp_path):
    transport = SerialTransport(f"spy://{tmp_path / 'printer'}?file={tmp_path / 'spy.txt'}",
                                115200)
    assert TicketPrinter(transport, T88V).print_document(DOC).printed
    assert (tmp_path / "spy.txt").read_text()  # the traffic log for diagnosis


def test_lp_character_device(sim):
    transport = LpTransport(sim.device_path)
    printer = TicketPrinter(transport, T88V)
    assert printer.status().state is PrinterState.ONLINE
    sim.set_fault(paper_near_end=True)
    assert printer.status().state is PrinterState.PAPER_NEAR_END
    result = printer.print_document(DOC)
    printer.close()
    assert result.printed and sim.wait_for_jobs(1, 20)


def test_lp_missing_device(tmp_path):
    with pytest.raises(TransportError, match="cannot open"):
        LpTransport(str(tmp_path / "lp0")).write(b"x")


def test_network_printer():
    server = TcpPrinter()
    try:
        printer = TicketPrinter(NetworkTransport("127.0.0.1", server.port), T88V)
        assert printer.print_document(DOC).printed
        server.status_byte.update({1: 0x1A, 2: 0x16})  # cover open
        result = printer.print_document(DOC)
        assert not result.printed and result.state is PrinterState.COVER_OPEN
        printer.close()
        assert "Wartenummer A017 - Größe €" in decode_text(bytes(server.received))
    finally:
        server.close()


def test_network_printer_not_listening():
    server = TcpPrinter()
    port = server.port
    server.close()
    result = TicketPrinter(NetworkTransport("127.0.0.1", port, connect_timeout_s=0.5),
                           T88V).print_document(DOC)
    assert not result.printed and "cannot connect" in result.error


def test_usb_endpoints_from_descriptors_and_status():
    backend = FakePrinterBackend()
    transport = UsbTransport(0x04B8, 0x0202, backend=backend)
    printer = TicketPrinter(transport, T88V)
    assert printer.print_document(DOC).printed
    assert not backend.kernel_driver_active and backend.claimed  # usblp detached
    assert backend.reset_count == 0  # no reset on open, unlike python-escpos's Usb
    assert b"A017" in backend.written and OUT_EP == 0x03
    backend.status_byte.update({1: 0x1A, 2: 0x32, 4: 0x72})
    assert printer.status().state is PrinterState.PAPER_OUT


def test_usb_unplugged_and_back():
    backend = FakePrinterBackend()
    printer = TicketPrinter(UsbTransport(0x04B8, 0x0202, backend=backend), T88V)
    assert printer.print_document(DOC).printed
    backend.present = False
    gone = printer.print_document(DOC)
    assert not gone.printed and gone.state is PrinterState.OFFLINE
    backend.present = True
    assert printer.print_document(DOC).printed


def test_usb_write_only_printer_reports_unknown_status_not_offline():
    backend = FakePrinterBackend(with_in_endpoint=False)
    printer = TicketPrinter(UsbTransport(0x04B8, 0x0202, backend=backend), T88V)
    status = printer.status()
    assert status.state is PrinterState.ONLINE and status.cause == "status not readable"


def test_usb_absent_printer():
    backend = FakePrinterBackend()
    backend.present = False
    result = TicketPrinter(UsbTransport(0x04B8, 0x0202, backend=backend), T88V) \
        .print_document(DOC)
    assert not result.printed and "no USB printer 04b8:0202" in result.error


def test_a_permission_error_names_the_udev_rule():
    """Issue 7, item 4: EACCES on open (serial, lp, USB) says what to check."""
    import errno

    import serial

    from kiosk.devices.printer.transports import NO_PERMISSION, short_reason

    denied = serial.SerialException(errno.EACCES, "could not open port /dev/kiosk-printer: "
                                    "[Errno 13] Permission denied: '/dev/kiosk-printer'")
    assert short_reason(denied) == NO_PERMISSION == "no permission: is the udev rule installed?"
    assert short_reason(PermissionError(errno.EPERM, "Operation not permitted")) == NO_PERMISSION
    assert short_reason(FileNotFoundError(errno.ENOENT, "No such file")) == "No such file"
