"""scripts/system-packages, the part of the README's set-up that needs root: a user
without root and without sudo is told what to run as root, and a package index that
cannot be reached stops the set-up before anything is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "system-packages"
MISSING = "kiosk-test-no-such-package"

needs_root_and_dpkg = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("dpkg-query") or not shutil.which("apt-get"),
    reason="needs root (to become another user / run apt-get) and Debian's dpkg/apt")


def _bin_without_sudo(folder: Path) -> Path:
    """A PATH with what the script needs and no sudo, as on a machine without it, and a
    copy of the script, in a folder another user can reach (the clone may be in /root)."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dpkg-query", "grep", "id", "apt-get", "env"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    shutil.copy(SCRIPT, bin_dir / SCRIPT.name)
    return bin_dir


@needs_root_and_dpkg
def test_user_without_root_or_sudo_is_told_what_to_run():
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("needs setpriv (util-linux) to run as another user")
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)
        bin_dir = _bin_without_sudo(Path(folder))
        result = subprocess.run(
            [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
             str(bin_dir / "bash"), str(bin_dir / SCRIPT.name), MISSING],
            capture_output=True, text=True, timeout=60,
            env={"PATH": str(bin_dir), "HOME": folder})
    assert result.returncode == 1
    assert "not root and sudo is not installed" in result.stderr
    assert f"apt-get update && apt-get install --no-install-recommends {MISSING}" \
        in result.stderr
    assert "installing" not in result.stdout


@needs_root_and_dpkg
def test_unreachable_package_index_installs_nothing(tmp_path):
    # An apt source on a closed loopback port: the index cannot be fetched.
    (tmp_path / "lists" / "partial").mkdir(parents=True)
    (tmp_path / "cache" / "archives" / "partial").mkdir(parents=True)
    (tmp_path / "sources.list").write_text("deb http://127.0.0.1:9/debian bookworm main\n")
    options = " ".join(f"-o {o}" for o in (
        f"Dir::Etc::SourceList={tmp_path / 'sources.list'}",
        f"Dir::Etc::SourceParts={tmp_path / 'none'}",
        f"Dir::State::Lists={tmp_path / 'lists'}", f"Dir::Cache={tmp_path / 'cache'}",
        "APT::Sandbox::User=root", "Acquire::Retries=0"))
    result = subprocess.run([str(SCRIPT), MISSING], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "KIOSK_APT_OPTIONS": options})
    assert result.returncode == 1
    assert "package index cannot be reached" in result.stderr
    assert "nothing was installed" in result.stderr


def test_nothing_missing_does_nothing():
    if not shutil.which("dpkg-query"):
        pytest.skip("needs Debian's dpkg")
    result = subprocess.run([str(SCRIPT), "bash"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
