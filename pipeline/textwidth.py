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
