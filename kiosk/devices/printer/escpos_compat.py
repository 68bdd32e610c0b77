"""The one place that imports python-escpos and contains its known faults.

Faults handled here (each has a test in tests/unit/test_escpos_compat.py):
- importing `escpos` calls logging.basicConfig() (installs a root handler) and creates
  a temporary directory for its capability cache: we point the cache at our own
  directory and restore the root logger afterwards;
- barcode() prints "Using hardware barcode renderer" to stdout on every call, which
  would corrupt `--json` output: we swallow the library's stdout there;
- after INIT (ESC @) the printer is back on its default code page while the library
  thinks the old one is selected, and its automatic encoding may pick code pages the
  printer lacks: we never use its text encoding and select ESC t n ourselves.
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import os
import tempfile
from pathlib import Path


def _import_escpos():
    cache = Path(tempfile.gettempdir()) / f"kiosk-escpos-cache-{os.getuid()}"
    cache.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(cache))
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from escpos import printer as escpos_printer
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    return escpos_printer


_escpos_printer = _import_escpos()


def byte_collector(escpos_profile: str, dots_per_line: int):
    """A python-escpos printer that only collects bytes (our transports send them).

    The width is set from our profile: without it the library prints a warning to stdout
    on every image and cannot centre.
    """
    dummy = _escpos_printer.Dummy(profile=escpos_profile)
    # profile_data is shared by every instance of the profile class: copy before editing
    dummy.profile.profile_data = copy.deepcopy(dummy.profile.profile_data)
    media = dummy.profile.profile_data.setdefault("media", {})
    media["width"] = {"mm": media.get("width", {}).get("mm", 80), "pixels": dots_per_line}
    return dummy


def barcode128(printer, data: str) -> None:
    """CODE128 (code set B) through the printer's own barcode command, quietly."""
    with contextlib.redirect_stdout(io.StringIO()):
        printer.barcode("{B" + data, "CODE128", function_type="B", height=64, width=2,
                        pos="BELOW")
