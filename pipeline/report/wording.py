"""Sentences that hold counts, worded so that a count of 0 never appears as a clause ("0 件を除く", "0 指標は…").

A breakdown names only what was counted; a sentence whose subject may be 0 chooses another wording. Every
count the report, the web page and the closing summary put in a sentence goes through here.
"""

from __future__ import annotations

from collections.abc import Iterable


def breakdown(parts: Iterable[tuple[str, int]], counter: str, *, sep: str = "、", between: str = " ") -> str:
    """'対応中 2件、未回答 1件': each (label, count) with its counter word, those counted 0 left out
    ("" when every count is 0)."""
    return sep.join(f"{label}{between}{n}{counter}" for label, n in parts if n)
