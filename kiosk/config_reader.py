"""Reading one TOML table with its line numbers: type checks, unknown keys and the
FILE:LINE: key: message problems the configuration reports all at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.toml_lines import LineIndex


@dataclass(frozen=True)
class Problem:
    """FILE:LINE: key: message; a problem of the whole file (it cannot be read or
    decoded) has no line and no key and reads FILE: message."""

    file: str
    line: int | None
    key: str | None
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        if self.line is None:
            return f"{self.file}: {kind}{self.message}"
        return f"{self.file}:{self.line}: {kind}{self.key}: {self.message}"


def key_label(path: tuple, labels: dict[tuple, str] | None = None) -> str:
    """How a key path is named in a message: terminal.office, display[0].device, and
    an entry of [[service]] by its id: service "ausweis": prefix (else service #2)."""
    if len(path) >= 2 and path[0] == "service" and isinstance(path[1], int):
        label = (labels or {}).get(path[:2], f"service #{path[1] + 1}")
        rest = key_label(path[2:]) if len(path) > 2 else ""
        return f"{label}: {rest}" if rest else label
    key = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in path)
    return key.replace(".[", "[")


def did_you_mean(word: str, candidates, shown=None) -> str:
    """ "; did you mean 'x'?" for the closest candidate, else ""."""
    import difflib  # only for a mistake: not on every start's path (issue 9 item 3)

    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    if not close:
        return ""
    return f"; did you mean {shown(close[0]) if shown else repr(close[0])}?"


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Reader:
    """Reads one table, recording problems with their lines; unknown keys are errors."""

    def __init__(self, file: str, index: LineIndex, problems: list[Problem]) -> None:
        self.file, self.index, self.problems = file, index, problems
        # names for entries of arrays of tables, e.g. ("service", 1) -> 'service "ausweis"'
        self.labels: dict[tuple, str] = {}

    def error(self, path: tuple, message: str, warning: bool = False) -> None:
        self.problems.append(Problem(self.file, self.index.line_of(path),
                                     key_label(path, self.labels), message, warning))

    def table(self, data: Any, path: tuple, known: set[str]) -> dict:
        if not isinstance(data, dict):
            self.error(path, "must be a table")
            return {}
        for key, value in data.items():
            if key in known:
                continue
            if not path:  # top level: a misspelt [table] or [[table]] header, or a stray key
                brackets = ("[[", "]]") if isinstance(value, list) and value and all(
                    isinstance(v, dict) for v in value) else ("[", "]")
                if isinstance(value, dict) or brackets[0] == "[[":
                    hint = did_you_mean(key, known, lambda k: f"{brackets[0]}{k}{brackets[1]}")
                    self.error((key,), f"unknown table {brackets[0]}{key}{brackets[1]}" + (
                        hint or f" (known tables: {', '.join(sorted(known))})"))
                    continue
            hint = did_you_mean(key, known) or f" (known keys: {', '.join(sorted(known))})"
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
