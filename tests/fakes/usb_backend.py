"""A pyusb backend standing in for one ESC/POS USB printer: the only mock in the suite,
at the very edge (there is no USB gadget on these machines). It answers DLE EOT like a
TM-T88 and records what was written; endpoints are deliberately not 0x01/0x82 so code
that hard-codes them fails."""

from __future__ import annotations

from types import SimpleNamespace

import usb.backend
import usb.core

OUT_EP, IN_EP = 0x03, 0x84


def _device_descriptor(vendor: int, product: int):
    return SimpleNamespace(
        bLength=18, bDescriptorType=1, bcdUSB=0x0200, bDeviceClass=0, bDeviceSubClass=0,
        bDeviceProtocol=0, bMaxPacketSize0=64, idVendor=vendor, idProduct=product,
        bcdDevice=0x0100, iManufacturer=0, iProduct=0, iSerialNumber=0, bNumConfigurations=1,
        address=5, bus=1, port_number=2, port_numbers=(2,), speed=3)


class FakePrinterBackend(usb.backend.IBackend):
    def __init__(self, vendor=0x04B8, product=0x0202, with_in_endpoint=True,
                 interface_class=7) -> None:
        super().__init__()
        self.vendor, self.product = vendor, product
        self.with_in_endpoint = with_in_endpoint
        self.interface_class = interface_class
        self.written = bytearray()
        self.pending = bytearray()
        self.status_byte = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}
        self.present = True
        self.silent = False
        self.kernel_driver_active = True
        self.claimed = False
        self.reset_count = 0
        self.config_value = 1

    # descriptors --------------------------------------------------------------
    def enumerate_devices(self):
        return ["printer"] if self.present else []

    def get_device_descriptor(self, dev):
        return _device_descriptor(self.vendor, self.product)

    def get_configuration_descriptor(self, dev, config):
        return SimpleNamespace(bLength=9, bDescriptorType=2, wTotalLength=32, bNumInterfaces=1,
                               bConfigurationValue=1, iConfiguration=0, bmAttributes=0xC0,
                               bMaxPower=50, extra_descriptors=[])

    def get_interface_descriptor(self, dev, intf, alt, config):
        if intf != 0 or alt != 0:
            raise IndexError("no such interface")  # pyusb probes alt settings this way
        return SimpleNamespace(bLength=9, bDescriptorType=4, bInterfaceNumber=0,
                               bAlternateSetting=0,
                               bNumEndpoints=2 if self.with_in_endpoint else 1,
                               bInterfaceClass=self.interface_class, bInterfaceSubClass=1,
                               bInterfaceProtocol=2, iInterface=0, extra_descriptors=[])

    def get_endpoint_descriptor(self, dev, ep, intf, alt, config):
        if ep >= (2 if self.with_in_endpoint else 1):
            raise IndexError("no such endpoint")
        address = [OUT_EP, IN_EP][ep]
        return SimpleNamespace(bLength=7, bDescriptorType=5, bEndpointAddress=address,
                               bmAttributes=2, wMaxPacketSize=64, bInterval=0, bRefresh=0,
                               bSynchAddress=0, extra_descriptors=[])

    # handles ------------------------------------------------------------------
    def _check(self):
        if not self.present:
            raise usb.core.USBError("No such device", errno=19)

    def open_device(self, dev):
        self._check()
        return "handle"

    def close_device(self, dev_handle):
        pass

    def get_configuration(self, dev_handle):
        self._check()
        return self.config_value

    def set_configuration(self, dev_handle, config_value):
        self.config_value = config_value

    def claim_interface(self, dev_handle, intf):
        self._check()
        self.claimed = True

    def release_interface(self, dev_handle, intf):
        self.claimed = False

    def is_kernel_driver_active(self, dev_handle, intf):
        return self.kernel_driver_active

    def detach_kernel_driver(self, dev_handle, intf):
        self.kernel_driver_active = False

    def reset_device(self, dev_handle):
        self.reset_count += 1

    # transfers ----------------------------------------------------------------
    def bulk_write(self, dev_handle, ep, intf, data, timeout):
        self._check()
        data = bytes(data)
        if ep != OUT_EP:
            raise usb.core.USBError("wrong endpoint", errno=32)
        self.written += data
        for n in (1, 2, 3, 4):
            if data == b"\x10\x04" + bytes([n]) and not self.silent:
                self.pending.append(self.status_byte[n])
        return len(data)

    def bulk_read(self, dev_handle, ep, intf, buff, timeout):
        self._check()
        if not self.pending:
            raise usb.core.USBTimeoutError("Operation timed out", -7, 110)
        n = min(len(buff), len(self.pending))
        for i in range(n):
            buff[i] = self.pending[i]
        del self.pending[:n]
        return n
