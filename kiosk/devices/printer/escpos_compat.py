"""The one place that imports python-escpos and contains its known faults.

Faults handled here (each has a test in tests/unit/test_escpos_compat.py):
- importing `escpos` calls logging.basicConfig() (installs a root handler): we restore
  the root logger afterwards;
- importing `escpos` loads its capability cache, a pickle, from
  $ESCPOS_CAPABILITIES_PICKLE_DIR if a file is there, and always creates an (unused,
  never removed) temp dir besides: a pickle someone else could plant would run code as
  whoever prints. We give it a fresh private folder (mkdtemp: 0700, new random name) for
  the import only, make that folder the one its mkdtemp() returns, and remove it at exit,
  so no cache outlives the process and nothing is read from a folder we did not create;
- barcode() prints "Using hardware barcode renderer" to stdout on every call, which
  would corrupt `--json` output: we swallow the library's stdout there;
- after INIT (ESC @) the printer is back on its default code page while the library
  thinks the old one is selected, and its automatic encoding may pick code pages the
  printer lacks: we never use its text encoding and select ESC t n ourselves.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import io
import logging
import os
import shutil
import tempfile

_PICKLE_DIR_ENV = "ESCPOS_CAPABILITIES_PICKLE_DIR"


def _import_escpos():
    # The cache costs about 0.1 s per start; a shared or persistent one is not worth
    # the risk of unpickling a file we did not write.
    cache = tempfile.mkdtemp(prefix="kiosk-escpos-")
    atexit.register(shutil.rmtree, cache, ignore_errors=True)
    inherited = os.environ.get(_PICKLE_DIR_ENV)
    os.environ[_PICKLE_DIR_ENV] = cache  # an inherited value is not trusted either
    real_mkdtemp = tempfile.mkdtemp
    tempfile.mkdtemp = lambda *args, **kwargs: cache  # its eager default: no stray dir
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from escpos import printer as escpos_printer
    finally:
        tempfile.mkdtemp = real_mkdtemp
        if inherited is None:
            os.environ.pop(_PICKLE_DIR_ENV, None)
        else:
            os.environ[_PICKLE_DIR_ENV] = inherited  # child processes see what we saw
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
