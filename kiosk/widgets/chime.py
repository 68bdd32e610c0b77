"""A short two-tone chime for the idle warning (the warning must reach more than one
sense). Generated once per process as a WAV file in a private temp folder (a fixed name
in the shared temp dir could be planted or linked by another user); silent where the
terminal has no audio. Played from a worker thread: opening the audio device can hang
(a sound server that does not answer), and the UI thread never waits for a device."""

from __future__ import annotations

import atexit
import logging
import math
import shutil
import struct
import tempfile
import threading
import wave
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _chime_file() -> Path:
    folder = tempfile.mkdtemp(prefix="kiosk-chime-")  # 0700 and a name nobody knew
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = Path(folder) / "idle-chime.wav"
    rate = 22050
    frames = bytearray()
    for freq, seconds in ((880, 0.18), (660, 0.25)):
        for i in range(int(rate * seconds)):
            fade = min(1.0, (int(rate * seconds) - i) / 800)
            frames += struct.pack("<h", int(12000 * fade * math.sin(2 * math.pi * freq * i / rate)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return path


_playing = threading.Lock()  # held while a chime is loaded and started
_last_sound = None  # the sound playing: not freed while it plays


def play_warning_chime() -> None:
    """Start the chime in a worker; nothing when the last one is still being started
    (a hanging audio device does not collect threads)."""
    if _playing.acquire(blocking=False):
        threading.Thread(target=_play, name="kiosk-chime", daemon=True).start()


def _play() -> None:
    global _last_sound
    try:
        from kivy.core.audio import SoundLoader

        sound = SoundLoader.load(str(_chime_file()))
        if sound is not None:
            sound.play()
            _last_sound = sound
    except Exception as err:  # noqa: BLE001 - no audio must never break the warning
        log.debug("no chime: %s", err)
    finally:
        _playing.release()
