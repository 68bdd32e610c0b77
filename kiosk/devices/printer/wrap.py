"""Where printed text may break: at spaces, but never between a number and the word
after it ("12 min", "12 دقيقة"), so a unit is never left alone on the next line."""

from __future__ import annotations

import re

_NUMBER_SPACE = re.compile(r"(?<=\d) (?=\S)")
GLUE = "\u2060"  # WORD JOINER: stands in for the space while the lines are found


def glue(text: str) -> str:
    return _NUMBER_SPACE.sub(GLUE, text)


def unglue(line: str) -> str:
    return line.replace(GLUE, " ")
