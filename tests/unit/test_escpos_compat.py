"""python-escpos's import-time faults, shown and contained."""

from __future__ import annotations

import subprocess
import sys

import pytest

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


class _Planted:
    """Unpickling this runs code: it creates the directory named `marker`."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.mkdir, (self.marker,))


def _plant_pickle(folder, marker) -> None:
    import pickle
    import platform

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{platform.python_version()}.capabilities.pickle", "wb") as out:
        pickle.dump(_Planted(str(marker)), out, protocol=2)


@pytest.mark.parametrize("inherited_env", [False, True])
def test_a_planted_capability_pickle_is_not_loaded(tmp_path, inherited_env):
    """The fault (issue 7, item 1): the cache pointed at $TMPDIR/kiosk-escpos-cache-<uid>,
    a name anyone can create first; a pickle placed there ran code on import. An
    inherited ESCPOS_CAPABILITIES_PICKLE_DIR is not trusted either."""
    import os

    shared_tmp = tmp_path / "tmp"
    shared_tmp.mkdir()
    marker = tmp_path / "planted-code-ran"
    env = {**os.environ, "TMPDIR": str(shared_tmp)}
    env.pop("ESCPOS_CAPABILITIES_PICKLE_DIR", None)
    if inherited_env:
        _plant_pickle(tmp_path / "inherited", marker)
        env["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(tmp_path / "inherited")
    else:
        _plant_pickle(shared_tmp / f"kiosk-escpos-cache-{os.getuid()}", marker)
    before = set(shared_tmp.iterdir())
    probe = ("import os\n"
             "from kiosk.devices.printer.escpos_compat import byte_collector\n"
             "p = byte_collector('TM-T88V', 512); p.text('x')\n"
             "print(os.environ.get('ESCPOS_CAPABILITIES_PICKLE_DIR'))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=env, timeout=120)
    assert not marker.exists()
    assert out.returncode == 0, out.stderr
    # the library worked from a fresh cache; its private folder is gone after exit and
    # the environment child processes get is the one we were given
    assert out.stdout.strip() == env.get("ESCPOS_CAPABILITIES_PICKLE_DIR", "None")
    assert set(shared_tmp.iterdir()) == before


def test_the_capability_cache_folder_is_private_while_in_use():
    import os
    import stat

    import kiosk.devices.printer.escpos_compat  # noqa: F401 - imports escpos our way
    from escpos import capabilities

    info = os.lstat(capabilities.pickle_dir)
    assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700
    assert info.st_uid == os.geteuid()
    assert "kiosk-escpos-cache-" not in capabilities.pickle_dir
