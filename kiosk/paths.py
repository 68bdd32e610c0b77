"""Where the kiosk finds its resources (catalogs, example configs) and keeps its data."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """kiosk/<name> in an installed wheel, else <source tree>/<name> (editable install)."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    return _PACKAGE / name


def config_resource(filename: str) -> Path:
    return resource_dir("config") / filename


def data_dir() -> Path:
    """$KIOSK_DATA_DIR, else the platform's user data directory; never next to the code."""
    env = os.environ.get("KIOSK_DATA_DIR")
    if env:
        path = Path(env)
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("kiosk", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
