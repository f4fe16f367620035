"""Fiscal years (年度) in 西暦 and 和暦.

A Japanese fiscal year N runs from 1 April N to 31 March N+1. By convention the year in which an
era begins is named after the new era for the whole fiscal year (2019年度 = 令和元年度).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# (first western year of the era, name, romaji initial)
_ERAS = (
    (2019, "令和", "R"),
    (1989, "平成", "H"),
    (1926, "昭和", "S"),
)


@dataclass(frozen=True)
class Wareki:
    era: str
    initial: str
    year: int

    @property
    def year_text(self) -> str:
        return "元" if self.year == 1 else str(self.year)

    def __str__(self) -> str:
        return f"{self.era}{self.year_text}"


def wareki(year: int) -> Wareki:
    """The era year of a western (fiscal) year: 2024 → 令和6, 2019 → 令和元."""
    for start, era, initial in _ERAS:
        if year >= start:
            return Wareki(era, initial, year - start + 1)
    raise ValueError(f"{year}年は対応する元号の範囲外です")


def fiscal_year_label(year: int) -> str:
    """'令和6年度（2024年度）' — the form the report and workbooks use."""
    return f"{wareki(year)}年度（{year}年度）"


def fiscal_year_short(year: int) -> str:
    """'R06' — the era initial and two-digit year used in file names."""
    w = wareki(year)
    return f"{w.initial}{w.year:02d}"


_REIWA_START = dt.date(2019, 5, 1)


def format_date_ja(day: dt.date) -> str:
    """'令和7年5月30日（2025年5月30日）'."""
    era = Wareki("平成", "H", 31) if dt.date(2019, 1, 1) <= day < _REIWA_START else wareki(day.year)
    return f"{era}年{day.month}月{day.day}日（{day.year}年{day.month}月{day.day}日）"
