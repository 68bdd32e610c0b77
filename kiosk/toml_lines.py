"""Find the line of each key and table header in a TOML file, so configuration errors
can name FILE:LINE (tomllib parses values but forgets where they stood)."""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*=""")
_INLINE_KEY = re.compile(r"""[{,]\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)\s*=""")


def _split_dotted(key: str) -> tuple[str, ...]:
    parts = re.findall(r""""[^"]*"|'[^']*'|[A-Za-z0-9_\-]+""", key)
    return tuple(p.strip("\"'") for p in parts)


def _open_multiline(line: str, quote: str | None) -> str | None:
    """The multi-line string delimiter (\"\"\" or ''') still open at the end of `line`,
    given the one open at its start; comments and one-line strings are skipped."""
    i = 0
    while i < len(line):
        if quote is not None:
            if quote == '"""' and line[i] == "\\":
                i += 2  # an escaped character, e.g. \" inside the string
                continue
            if line.startswith(quote, i):
                i += 3
                while line.startswith(quote[0], i):  # up to two quotes may end the text
                    i += 1
                quote = None
                continue
            i += 1
            continue
        char = line[i]
        if char == "#":
            break
        if line.startswith('"""', i) or line.startswith("'''", i):
            quote = line[i:i + 3]
            i += 3
            continue
        if char in "\"'":
            i += 1
            while i < len(line) and line[i] != char:
                i += 2 if char == '"' and line[i] == "\\" else 1
        i += 1
    return quote


class LineIndex:
    """Maps key paths such as ("service", 2, "prefix") to 1-based line numbers.

    Arrays of tables are indexed by position ("service", 0), ("service", 1)...; the
    array itself ("service",) gets the line of its first header. Keys inside an inline
    table (names = { de = "..." }) get the line they stand on. Lines inside a multi-line
    string are text, never keys or headers.
    """

    def __init__(self, text: str) -> None:
        self._lines: dict[tuple, int] = {}
        self._array_counts: dict[tuple, int] = {}
        self._at_line: dict[int, tuple] = {}
        self._text = text.splitlines()
        table: tuple = ()
        quote: str | None = None
        # line where a multi-line string that never ends was opened (a TOML error)
        self.unclosed_string_line: int | None = None
        for number, line in enumerate(self._text, start=1):
            inside_string, quote = quote is not None, _open_multiline(line, quote)
            if not inside_string and quote is not None:
                self.unclosed_string_line = number
            stripped = line.strip()
            if inside_string or not stripped or stripped.startswith("#"):
                continue
            header = _HEADER.match(line)
            if header and not _KEY.match(line):
                path = _split_dotted(header.group(2))
                if header.group(1) == "[[":
                    index = self._array_counts.get(path, 0)
                    self._array_counts[path] = index + 1
                    self._lines.setdefault(path, number)
                    table = path + (index,)
                else:
                    table = self._resolve(path)
                self._lines.setdefault(table, number)
                self._at_line[number] = table
                continue
            key = _KEY.match(line)
            if key:
                path = table + _split_dotted(key.group(1))
                self._lines.setdefault(path, number)
                self._at_line[number] = path
                rest = line[key.end():]
                for inline in _INLINE_KEY.finditer(rest):
                    self._lines.setdefault(path + (inline.group(1).strip("\"'"),), number)
        if quote is None:
            self.unclosed_string_line = None

    def _resolve(self, path: tuple) -> tuple:
        # [service.hours] after [[service]] belongs to the latest service entry.
        for cut in range(len(path), 0, -1):
            prefix = path[:cut]
            if prefix in self._array_counts:
                return prefix + (self._array_counts[prefix] - 1,) + path[cut:]
        return path

    def line_of(self, path: tuple) -> int:
        """The line of the key, else of the nearest enclosing table, else 1."""
        for cut in range(len(path), 0, -1):
            found = self._lines.get(tuple(path[:cut]))
            if found is not None:
                return found
        return 1

    def path_at(self, line: int) -> tuple | None:
        """The key or table header that starts on `line`, if one does."""
        return self._at_line.get(line)

    def simple_string(self, path: tuple) -> str | None:
        """The value of a key written as a plain one-line string (id = "ausweis"), read
        from the text itself: usable when the file as a whole is not valid TOML."""
        line = self._lines.get(path)
        if line is None:
            return None
        match = re.search(r"""=\s*(?:"([^"\\]*)"|'([^']*)')\s*(#.*)?$""", self._text[line - 1])
        return None if match is None else (match.group(1) or match.group(2))
