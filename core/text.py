"""Readable display of the lower-case data text (the ETL lower-cases everything by rule)."""

from __future__ import annotations

import math
import re

from core.errors import InvalidQuery

MAX_INPUT = 200  # characters of one typed or linked value: every real one is far shorter

# Words kept lower-case inside a title ("The Lord of the Rings"); Roman numerals and acronyms upper-case.
_MINOR_WORDS = frozenset("a an and as at but by for from in into nor of on or per the to via vs vs. with".split())
_UPPER_WORDS = frozenset("tv uk usa us ii iii iv vi vii viii ix xi xii xiii xiv xv xvi xx".split())
_BREAKS = (":", "-", "—", "(", "!", "?", ".")
_PUNCTUATION = "\"'“”‘’()[]¡¿.,:;!?"
# Surname prefixes with an inner capital (McKellen, O'Brien); not "mac", which would break Mack, Macy, Machine.
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)[\"'“‘(]?[a-z]")
_LONE_I = re.compile(r"(?<![\w'’])i(?=['’]|\b)(?![\w-])")
_INNER_CAPITAL = re.compile(r"(?<=\bMc)[a-z](?=[a-z])|(?<=\bO['’])[a-z]")


def title_case(text: object, missing: str = "") -> str:
    """'the lord of the rings: part ii' -> 'The Lord of the Rings: Part II'; None/NaN -> `missing`."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or str(text) == "<NA>":
        return missing
    out: list[str] = []
    for word in str(text).split():
        starts = not out or out[-1].endswith(_BREAKS)
        out.append(word.lower() if not starts and word.lower() in _MINOR_WORDS
                   else re.sub(r"[^/\-&]+", _capitalised, word))
    return " ".join(out)


def _capitalised(match: re.Match) -> str:
    """One part of a word with its first letter upper-case (and McKellen, O'Brien); acronyms upper-case; '3rd' alone."""
    part = match.group(0)
    stem = part.strip(_PUNCTUATION)
    if stem.lower() in _UPPER_WORDS:
        return part.replace(stem, stem.upper())
    if stem.lower() in ("tvs", "tv's"):
        return part.replace("tv", "TV", 1)
    for pos, char in enumerate(part):
        if char.isalpha():
            capitalised = part[:pos] + char.upper() + part[pos + 1:]
            return _INNER_CAPITAL.sub(lambda inner: inner.group(0).upper(), capitalised)
        if char.isdigit():
            return part
    return part


def sentence_case(text: object, missing: str = "") -> str:
    """'a father. his son!' -> 'A father. His son!' (and a lone 'i' -> 'I'); None/NaN -> `missing`."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or str(text) == "<NA>":
        return missing
    capitalised = _SENTENCE_START.sub(lambda match: match.group(0).upper(), str(text))
    return _LONE_I.sub("I", capitalised)


def bounded(value: str, name: str, limit: int = MAX_INPUT) -> str:
    """The text unchanged, or InvalidQuery when it is longer than limit: checked before any pattern reads it, so
    no input can make a parser's work grow with its length."""
    if len(value) > limit:
        raise InvalidQuery(f"{name} is too long ({len(value):,} characters; at most {limit})")
    return value


def quoted(value: object, limit: int = 40) -> str:
    """A value for an error message: its repr, cut short (and safe for ints past Python's int-to-str limit)."""
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit + 1]  # no repr of a huge string only to cut it
    try:
        text = repr(value)
    except ValueError:
        text = f"<a {value.bit_length()}-bit number>" if isinstance(value, int) else f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def shortened(value: object, limit: int = 40) -> str:
    """A value as plain text for a message (no quotes), cut short like `quoted`."""
    if not isinstance(value, str):
        return quoted(value, limit)
    return value if len(value) <= limit else value[:limit - 1] + "…"
