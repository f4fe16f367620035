"""Fiscal years (年度) in 西暦 and 和暦.

A Japanese fiscal year N runs from 1 April N to 31 March N+1. By convention the year in which an
era begins is named after the new era for the whole fiscal year (2019年度 = 令和元年度).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
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


# What parse_fiscal_year accepts, as the one line that says so when a year cannot be read.
YEAR_FORMS = "2025、2025年度、R7、令和7、令和7年度、令和元年度（和暦は令和・平成、数字は全角でも可）"

_ERA_BY_NAME = {name: start for start, name, _initial in _ERAS} | {
    initial: start for start, _name, initial in _ERAS}
_YEAR_TEXT = re.compile(r"(?:(?P<western>\d{4})|(?P<era>令和|平成|昭和|[RHS])(?P<era_year>\d{1,2}|元))(?:年度?)?")


def parse_fiscal_year(text: str) -> int:
    """A fiscal year as people write it: 2025, 2025年度, R7, r7, 令和7, 令和7年度, 令和元年 → the western year.
    Full-width digits and letters are read as half-width; spaces are ignored. ValueError (its message in
    Japanese, naming the accepted forms) when the text is none of these."""
    cleaned = unicodedata.normalize("NFKC", str(text)).replace(" ", "").upper()
    m = _YEAR_TEXT.fullmatch(cleaned)
    if m and m["western"]:
        return int(m["western"])
    if m:
        era_year = 1 if m["era_year"] == "元" else int(m["era_year"])
        if era_year >= 1:
            return _ERA_BY_NAME[m["era"]] + era_year - 1
    raise ValueError(f"年度「{text}」を読めません。{YEAR_FORMS} のように書いてください。")
