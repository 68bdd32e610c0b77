"""Format strings from the configuration (such as a display's counter_format), checked
and applied with hard limits: only the named placeholders, no attribute or index access,
and bounded widths, so a template like "{counter:>300000000}" cannot cost 300 MB."""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.config_reader import Reader

MAX_WIDTH = 40  # widest field a template may ask for (a call-up sign has 16-40 columns)
MAX_TEMPLATE = 100  # longest template accepted, in characters
MAX_RESULT = 200  # longest text a template may produce, whatever the values

# The standard format-spec mini-language, without nested {fields}.
_SPEC = re.compile(r"(?:(?P<fill>.)?(?P<align>[<>=^]))?(?P<sign>[-+ ])?z?#?0?"
                   r"(?P<width>\d+)?[_,]?(?:\.(?P<precision>\d+))?(?P<type>[a-zA-Z%])?",
                   re.DOTALL)


def format_problem(template: str, fields: tuple[str, ...]) -> str | None:
    """Why `template` may not be used with these placeholder names, or None when it may."""
    allowed = ", ".join("{" + f + "}" for f in fields)
    if len(template) > MAX_TEMPLATE:
        return f"is {len(template)} characters long (at most {MAX_TEMPLATE})"
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as err:
        return f"is not a valid template ({err}); write a literal brace as {{{{ or }}}}"
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in fields:
            shown = "{" + name + "}" if name else "{}"
            return f"may only use the placeholder {allowed}, not {shown}"
        if conversion:
            return f"conversion !{conversion} is not allowed in {{{name}}}"
        if "{" in spec or "}" in spec:
            return f"nested placeholders are not allowed in {{{name}:{spec}}}"
        match = _SPEC.fullmatch(spec)
        if match is None:
            return f"invalid format {spec!r} in {{{name}}}"
        for what in ("width", "precision"):
            value = match.group(what)
            if value is not None and int(value) > MAX_WIDTH:
                return f"field {what} {int(value)} is too large (at most {MAX_WIDTH})"
    try:
        template.format(**{f: "3" for f in fields})
    except (ValueError, TypeError) as err:
        return f"cannot be applied to text ({err})"
    return None


def bounded_format(template: str, fallback: str, **values: object) -> str:
    """`template` filled with `values` (as text); `fallback` filled instead when the
    template is not allowed, and the result cut to MAX_RESULT characters. Checked
    again here because a template may reach this point without check-config."""
    texts = {key: str(value)[:MAX_RESULT] for key, value in values.items()}
    for chosen in (template, fallback):
        if format_problem(chosen, tuple(texts)) is None:
            return chosen.format(**texts)[:MAX_RESULT]
    return " ".join(texts.values())[:MAX_RESULT]


def read_template(r: Reader, raw: dict, path: tuple, key: str, default: str,
                  fields: tuple[str, ...] = ("counter",)) -> str:
    """Read a template key of a config table; a template that is not allowed is an
    error at its line, and the default is used in its place."""
    template = r.get(raw, path, key, str, default)
    problem = format_problem(template, fields)
    if problem is not None:
        r.error(path + (key,), problem)
        return default
    return template
