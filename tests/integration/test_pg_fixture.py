"""The session's PostgreSQL fixture (tests/pg_server.py): run by an unprivileged user
when the tests run as root, and without the binaries a skip with the reason outside CI
but a failure in CI (CI=true)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, kiosk_env

ONE_PG_TEST = ("tests/unit/test_store_last_issued.py::"
               "test_none_before_the_first_ticket[postgres]")


def test_the_server_runs_as_an_unprivileged_user_with_fsync(pg_server):
    import psycopg

    owner = (Path(pg_server.folder) / "data").stat().st_uid
    if os.geteuid() == 0:
        assert owner != 0 and pg_server.user is not None
    else:
        assert owner == os.geteuid()
    with psycopg.connect(pg_server.dsn()) as conn:
        assert conn.execute("SHOW fsync").fetchone()[0] == "on"
        assert conn.execute("SHOW listen_addresses").fetchone()[0] == "127.0.0.1"


def _run_without_binaries(ci: str | None):
    env = kiosk_env(KIOSK_PG_BINDIR="/nonexistent-pg-bin")
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p",
                           "no:cacheprovider", ONE_PG_TEST], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=env)


@pytest.mark.parametrize("ci", [None, "true"])
def test_missing_binaries_skip_outside_ci_and_fail_in_ci(ci):
    done = _run_without_binaries(ci)
    out = done.stdout + done.stderr
    if ci is None:
        assert done.returncode == 0, out
        assert "1 skipped" in out and "KIOSK_PG_BINDIR=/nonexistent-pg-bin holds no" in out
    else:
        assert done.returncode == 1, out
        assert "CI=true but KIOSK_PG_BINDIR=/nonexistent-pg-bin holds no" in out
