"""ESC/POS over USB with pyusb. Interface and endpoints are read from the device's
descriptors (never hard-coded), writes have a timeout, and the device is not reset on
open (python-escpos's Usb class does all three differently, see DEVICES.md)."""

from __future__ import annotations

import contextlib
import errno

import usb.core
import usb.util

from kiosk.devices.printer.status import PrinterStatus, query_status
from kiosk.devices.printer.transports import DeviceBusy, TransportError, short_reason

PRINTER_CLASS = 7  # USB interface class "Printer"


class _UsbPort:
    """query_status's port surface over a bulk OUT/IN endpoint pair."""

    def __init__(self, out_ep, in_ep) -> None:
        self.out_ep, self.in_ep = out_ep, in_ep
        self.timeout = 0.05

    def write(self, data: bytes) -> int:
        return self.out_ep.write(data, timeout=1000)

    def read(self, size: int = 1) -> bytes:
        try:
            return bytes(self.in_ep.read(max(size, self.in_ep.wMaxPacketSize),
                                         timeout=max(1, int(self.timeout * 1000))))[:size]
        except usb.core.USBTimeoutError:
            return b""

    def reset_input_buffer(self) -> None:
        try:
            while self.in_ep.read(self.in_ep.wMaxPacketSize, timeout=1):
                pass
        except usb.core.USBError:
            pass


def _is_bulk(endpoint, direction) -> bool:
    return (usb.util.endpoint_type(endpoint.bmAttributes) == usb.util.ENDPOINT_TYPE_BULK
            and usb.util.endpoint_direction(endpoint.bEndpointAddress) == direction)


def find_endpoints(device):
    """(interface, bulk OUT, bulk IN or None): the printer-class interface if the device
    has one, else the first interface with a bulk OUT endpoint."""
    config = device.get_active_configuration()
    interfaces = sorted(config, key=lambda i: i.bInterfaceClass != PRINTER_CLASS)
    for interface in interfaces:
        out_ep = usb.util.find_descriptor(
            interface, custom_match=lambda e: _is_bulk(e, usb.util.ENDPOINT_OUT))
        if out_ep is not None:
            in_ep = usb.util.find_descriptor(
                interface, custom_match=lambda e: _is_bulk(e, usb.util.ENDPOINT_IN))
            return interface, out_ep, in_ep
    raise TransportError("USB device has no bulk OUT endpoint: not a printer?")


class UsbTransport:
    def __init__(self, vendor_id: int, product_id: int, write_timeout_s: float = 5.0,
                 backend=None) -> None:
        self.vendor_id, self.product_id = vendor_id, product_id
        self.write_timeout_s = write_timeout_s
        self.backend = backend  # injected in tests; pyusb picks libusb otherwise
        self.description = f"usb {vendor_id:04x}:{product_id:04x}"
        self._device = None
        self._interface = None
        self._out = self._in = None

    def _open(self):
        if self._device is not None:
            return self._device
        try:
            device = usb.core.find(idVendor=self.vendor_id, idProduct=self.product_id,
                                   backend=self.backend)
        except (usb.core.NoBackendError, usb.core.USBError) as err:
            raise TransportError(f"USB not available: {short_reason(err)}") from err
        if device is None:
            raise TransportError(f"no USB printer {self.vendor_id:04x}:"
                                 f"{self.product_id:04x} connected")
        try:
            interface, out_ep, in_ep = self._configure(device)
            number = interface.bInterfaceNumber
            if device.is_kernel_driver_active(number):
                device.detach_kernel_driver(number)  # usblp holds it otherwise
            usb.util.claim_interface(device, number)
        except usb.core.USBError as err:
            # any step opens the device: EACCES there means the udev rule is missing
            with contextlib.suppress(usb.core.USBError):
                usb.util.dispose_resources(device)
            if err.errno == errno.EBUSY:
                raise DeviceBusy(f"device busy: {self.description} claimed elsewhere") from err
            raise TransportError(f"cannot open {self.description}: {short_reason(err)}") \
                from err
        self._device, self._interface, self._out, self._in = device, number, out_ep, in_ep
        return device

    @staticmethod
    def _configure(device):
        try:
            if device.get_active_configuration() is None:
                device.set_configuration()
        except usb.core.USBError as err:
            if err.errno in (errno.EACCES, errno.EPERM, errno.ENODEV):
                raise
            device.set_configuration()  # "not configured" on some devices
        return find_endpoints(device)

    def write(self, data: bytes) -> None:
        self._open()
        try:
            written = self._out.write(data, timeout=int(self.write_timeout_s * 1000))
        except usb.core.USBError as err:
            self.close()
            raise TransportError(f"write to {self.description} failed: "
                                 f"{short_reason(err)}") from err
        if written != len(data):
            self.close()
            raise TransportError(f"write to {self.description} stopped after {written} of "
                                 f"{len(data)} bytes")

    def status(self) -> PrinterStatus | None:
        self._open()
        if self._in is None:
            return None  # a write-only printer: say we do not know
        try:
            return query_status(_UsbPort(self._out, self._in))
        except usb.core.USBError as err:
            self.close()
            raise TransportError(f"status from {self.description} failed: "
                                 f"{short_reason(err)}") from err

    def close(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            try:
                usb.util.release_interface(device, self._interface)
                usb.util.dispose_resources(device)
            except usb.core.USBError:
                pass
