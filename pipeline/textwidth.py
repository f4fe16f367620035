"""Display width of Japanese text, for column widths and row heights that suit it."""

from __future__ import annotations

import math
import unicodedata


def display_width(text: str) -> int:
    """Width in half-width character cells: 全角 (W, F, and ambiguous A) count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def wrapped_lines(text: str, width: float) -> int:
    """How many lines `text` takes when wrapped in a column `width` characters wide."""
    usable = max(1.0, width - 1)
    return sum(max(1, math.ceil(display_width(line) / usable)) for line in str(text).split("\n"))


def row_lines(values, widths, max_lines: int | None = None) -> int:
    """How many lines a spreadsheet row needs so that every cell's wrapped text shows whole: the most any of
    `values` takes in its column of `widths` characters (at most `max_lines`)."""
    lines = max((wrapped_lines("" if v is None else str(v), w) for v, w in zip(values, widths, strict=False)),
                default=1)
    return min(lines, max_lines) if max_lines else lines


def wrap_to_width(text: str, width: int) -> list[str]:
    """`text` cut into lines of at most `width` display width (a line break in it kept), for a sheet that
    shows a long text as rows of its own rather than in a merged cell."""
    lines: list[str] = []
    for part in str(text).split("\n"):
        line, used = "", 0
        for ch in part:
            w = display_width(ch)
            if line and used + w > width:
                lines.append(line)
                line, used = "", 0
            line += ch
            used += w
        lines.append(line)
    return lines
