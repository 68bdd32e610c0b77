"""python-escpos's import-time faults, shown and contained."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import logging, sys
root = logging.getLogger()
before = len(root.handlers)
{import_line}
print(len(root.handlers) - before)
"""


def _added_root_handlers(import_line: str) -> int:
    out = subprocess.run([sys.executable, "-c", PROBE.format(import_line=import_line)],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def test_plain_import_installs_a_root_log_handler():
    """The fault: `import escpos.printer` calls logging.basicConfig()."""
    assert _added_root_handlers("from escpos import printer") == 1


def test_our_wrapper_leaves_the_root_logger_alone():
    assert _added_root_handlers("import kiosk.devices.printer.escpos_compat") == 0


def test_profile_edits_do_not_leak_between_printers():
    from kiosk.devices.printer.escpos_compat import byte_collector

    a = byte_collector("TM-T88V", 384)
    b = byte_collector("TM-T88V", 512)
    assert a.profile.profile_data["media"]["width"]["pixels"] == 384
    assert b.profile.profile_data["media"]["width"]["pixels"] == 512


def test_library_encoding_state_survives_init_the_fault_we_avoid():
    """The fault (DEVICES.md): after a raw INIT the printer is back on CP437 but the
    library still believes its previous code page is selected and sends no ESC t."""
    from kiosk.devices.printer.escpos_compat import _escpos_printer

    p = _escpos_printer.Dummy(profile="TM-T88V")
    p.text("€\n")
    p.hw("INIT")
    before = len(p.output)
    p.text("€\n")
    assert b"\x1bt" not in p.output[before:]  # no code page re-selected after INIT


def test_barcode_chatter_on_stdout_is_swallowed(capsys):
    """The fault: python-escpos prints 'Using hardware barcode renderer' to stdout."""
    from kiosk.devices.printer.escpos_compat import _escpos_printer, barcode128, byte_collector

    raw = _escpos_printer.Dummy(profile="TM-T88V")
    raw.barcode("{BX1", "CODE128", function_type="B")
    assert "barcode renderer" in capsys.readouterr().out
    ours = byte_collector("TM-T88V", 512)
    barcode128(ours, "KIOSK-1")
    assert capsys.readouterr().out == ""
    assert b"\x1dkI\x09{BKIOSK-1" in ours.output
