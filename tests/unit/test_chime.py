"""The idle chime's WAV file is ours alone: nothing planted in the shared temp dir is
played or written through (issue 7, item 1)."""

from __future__ import annotations

import os
import stat
import tempfile
import wave

import pytest

from kiosk.widgets import chime


@pytest.fixture
def shared_tmp(tmp_path, monkeypatch):
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    chime._chime_file.cache_clear()
    yield folder
    chime._chime_file.cache_clear()


def test_a_symlink_planted_at_the_old_name_is_not_written_through(shared_tmp, tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    (shared_tmp / "kiosk-idle-chime.wav").symlink_to(victim)
    path = chime._chime_file()
    assert victim.read_bytes() == b"precious"
    assert path.resolve() != victim.resolve()
    with wave.open(str(path)) as played:
        assert played.getnframes() > 0


def test_a_file_planted_at_the_old_name_is_not_played(shared_tmp):
    (shared_tmp / "kiosk-idle-chime.wav").write_bytes(b"silence")
    path = chime._chime_file()
    assert path.read_bytes() != b"silence"
    info = os.lstat(path.parent)
    assert stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == os.geteuid()
    assert path.parent.parent == shared_tmp and not path.is_symlink()
