"""Normalising what people type into cells: numbers with units, choices, free text.

Pasting bypasses Excel's validation, so every value is checked again here. NFKC is applied where it
keeps the meaning (numbers, choices); free text keeps its characters apart from removed control
characters, because NFKC would turn ① into 1 and change what someone wrote.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass

# Characters XML 1.0 forbids (and Word/Excel refuse): C0 controls except tab/newline, and the non-characters.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
# Excel's own escape for such characters inside shared strings (_x0001_).
_EXCEL_ESCAPE = re.compile(r"_x(000[0-8bBcCeEfF]|001[0-9a-fA-F])_")
# Anything clean_text may have to change: a CR, a forbidden character, or an Excel escape.
_NEEDS_CLEANING = re.compile("[\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]|_x")
_MINUS = "-−‐‑‒–—―ｰ－▲△"   # what people type for minus, ▲ as Japanese accounting does


@dataclass(frozen=True)
class CleanText:
    text: str
    removed_control: bool


def clean_text(value: object) -> CleanText:
    """Free text as typed: line endings unified, forbidden control characters removed, ends trimmed."""
    if value is None:
        return CleanText("", False)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not _NEEDS_CLEANING.search(text):   # the common case, read for every cell of every return
        return CleanText(text.strip(), False)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    escaped = _EXCEL_ESCAPE.sub("", text)
    cleaned = _FORBIDDEN.sub("", escaped)
    return CleanText(cleaned.strip(), cleaned != text)


def normalise_choice(value: object) -> str:
    """A dropdown value compared loosely: NFKC, no spaces, so 'Ａ：計画どおり ' matches 'A:計画どおり'."""
    if value is None:
        return ""
    # NFKC again after removing spaces: NFKC can leave a space before a combining mark (¯ → " ̄")
    return unicodedata.normalize("NFKC", re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))))


@dataclass(frozen=True)
class NumberParse:
    """The outcome of reading a number cell: `value` or a `problem` (a catalogue code)."""

    value: float | None = None
    problem: str = ""     # "" | "VALUE_003" not a number | "VALUE_004" wrong unit | "VALUE_007" negative


def parse_number(value: object, unit: str = "", allow_negative: bool = False) -> NumberParse:
    """Read a number as staff type it: 1234, '１，２３４件', '44.7%', ' 1 234 '. Rejects '約千件'."""
    if isinstance(value, bool):
        return NumberParse(problem="VALUE_003")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return NumberParse(problem="VALUE_003")
        number = float(value)
    elif isinstance(value, dt.date | dt.datetime | dt.time | dt.timedelta):
        # a number cell formatted as a date by accident: the person did not type a count
        return NumberParse(problem="VALUE_003")
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        text = re.sub(r"\s+", "", text)
        norm_unit = unicodedata.normalize("NFKC", unit).strip()
        negative = False
        if text and text[0] in _MINUS:
            negative, text = True, text[1:]
        elif text.startswith("+"):
            text = text[1:]
        for prefix in ("延べ", "累計"):
            if text.startswith(prefix):
                text = text[len(prefix):]
        m = re.fullmatch(r"((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(.*)", text)
        if not m:
            return NumberParse(problem="VALUE_003")
        digits, rest = m.group(1), m.group(2)
        if rest and rest != norm_unit:
            # a unit other than the indicator's own is a different quantity; other text is not a number
            return NumberParse(problem="VALUE_004" if _looks_like_unit(rest) else "VALUE_003")
        number = float(digits.replace(",", ""))
        if negative:
            number = -number
    if number < 0 and not allow_negative:
        return NumberParse(value=number, problem="VALUE_007")
    return NumberParse(value=number)


def _looks_like_unit(rest: str) -> bool:
    return len(rest) <= 4 and not re.search(r"\d", rest)


def format_number(value: float | int | None) -> str:
    """6794 → '6,794'; 44.7 → '44.7'; 3.0 → '3'; None → ''."""
    if value is None:
        return ""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.10f}".rstrip("0").rstrip(".")
