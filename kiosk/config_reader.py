"""Reading one TOML table with its line numbers: type checks, unknown keys and the
FILE:LINE: key: message problems the configuration reports all at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.toml_lines import LineIndex


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    key: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        return f"{self.file}:{self.line}: {kind}{self.key}: {self.message}"


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Reader:
    """Reads one table, recording problems with their lines; unknown keys are errors."""

    def __init__(self, file: str, index: LineIndex, problems: list[Problem]) -> None:
        self.file, self.index, self.problems = file, index, problems

    def error(self, path: tuple, message: str, warning: bool = False) -> None:
        key = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in path)
        key = key.replace(".[", "[")
        self.problems.append(Problem(self.file, self.index.line_of(path), key, message, warning))

    def table(self, data: Any, path: tuple, known: set[str]) -> dict:
        if not isinstance(data, dict):
            self.error(path, "must be a table")
            return {}
        for key in data:
            if key not in known:
                hint = f" (known keys: {', '.join(sorted(known))})"
                self.error(path + (key,), "unknown key" + hint)
        return data

    def get(self, data: dict, path: tuple, key: str, kind: type | tuple, default: Any = ...,
            required: bool = False) -> Any:
        if key not in data:
            if required:
                self.error(path, f"missing required key '{key}'")
            return None if default is ... else default
        value = data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # bool is an int in Python; TOML true must not pass as a number
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        else:
            ok = isinstance(value, kinds)
        if not ok:
            names = " or ".join(_type_name(k) for k in kinds)
            self.error(path + (key,), f"must be {names}, got {_type_name(type(value))} {value!r}")
            return None if default is ... else default
        return value


def _type_name(kind: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false",
            list: "a list", dict: "a table"}.get(kind, kind.__name__)
