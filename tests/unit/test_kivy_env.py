"""KIVY_HOME defaults to a folder only this process owns (issue 7, item 1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json, os, stat
from kiosk import kivy_env
kivy_env.prepare(800, 600, fullscreen=False, headless=True)
home = os.environ["KIVY_HOME"]
info = os.lstat(home)
print(json.dumps({"home": home, "dir": stat.S_ISDIR(info.st_mode),
                  "mode": stat.S_IMODE(info.st_mode), "uid": info.st_uid,
                  "files": os.listdir(home)}))
"""


def _probe(tmp_path, **extra_env):
    env = {**os.environ, "TMPDIR": str(tmp_path), **extra_env}
    env.pop("KIVY_HOME", None)
    env.update(extra_env)
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         env=env, timeout=60, check=True)
    return json.loads(out.stdout)


def test_kivy_home_is_not_the_old_shared_name_and_is_private(tmp_path):
    planted = tmp_path / f"kiosk-kivy-{os.getuid()}"
    planted.mkdir(mode=0o777)
    (planted / "config.ini").write_text("[kivy]\nexit_on_escape = 1\n")
    seen = _probe(tmp_path)
    assert seen["home"] != str(planted)
    assert seen["dir"] and seen["mode"] == 0o700 and seen["uid"] == os.geteuid()
    assert seen["files"] == []
    assert not os.path.exists(seen["home"])  # removed when the process ended


def test_an_operator_set_kivy_home_is_kept(tmp_path):
    chosen = tmp_path / "chosen"
    chosen.mkdir(mode=0o700)
    assert _probe(tmp_path, KIVY_HOME=str(chosen))["home"] == str(chosen)
