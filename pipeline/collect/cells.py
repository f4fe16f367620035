"""The rules for what a person typed into one input cell: a choice, a text, an indicator's actual and its unit.

Each rule is pure: the value as read and where it was typed (a `Cell`: its sheet, A1, field, and what the
workbook says about it beyond its value: a formula, an error, its number format) go in; the value taken (or
None) and every finding at that cell come out, as a `Reading`. No workbook, worker or store: a return's item
sheets and its 委員会意見 sheet (pipeline.collect.checks) and a year's 転記票 (pipeline.history.intake) read
their cells and hand each value here, so a value means the same wherever it is typed.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from pipeline.config import Grade, ProgressChoice
from pipeline.findings import Code, Finding, finding
from pipeline.intake.reader import CellTrouble
from pipeline.plan import Indicator
from pipeline.sheets import layout as L
from pipeline.values import (
    GENERAL,
    NumberParse,
    clean_text,
    format_number,
    hundredfold,
    is_whole,
    normalise_choice,
    number_format,
    number_in_unit,
    parse_number,
    percent_typed_as_fraction,
    shown_number,
)

V = TypeVar("V")

# An actual more than this many times the plan's larger figure (baseline, target) is held until the
# secretariat lets it stand (VALUE_014, pipeline.collect.confirmations): two orders of magnitude beyond
# anything the plan foresaw is a slip of digits, units or a paste (1e15 件), while a year far better than
# planned (ten times the target) is still taken as it is. A 達成率 is no measure here: for an indicator whose
# target is near its baseline (5,820 → 6,402 件) twice the target is already 1,000%.
IMPLAUSIBLE_FACTOR = 100

# What `readable` gives for a cell that has no value to read (an error, a formula never calculated), after
# it has said so: the rules take nothing from it and add no 未記入.
UNREADABLE = object()


@dataclass(frozen=True)
class Cell:
    """Where a value was typed, as a finding names it, and what the workbook says about the cell beyond its
    value: `formula` (it holds one: its cached result is what was read), `trouble` (it has no value to read:
    an error value, a formula never calculated), `number_format` (its format code: 80% is stored as 0.8)."""

    field: str = ""
    sheet: str = ""
    at: str = ""                   # A1
    file: str = ""
    department: str = ""
    formula: bool = False
    trouble: CellTrouble | None = None
    number_format: str = GENERAL

    def finding(self, code: str, **params: object) -> Finding:
        return finding(code, file=self.file, department=self.department, sheet=self.sheet, cell=self.at,
                       field=self.field, **params)


@dataclass(frozen=True)
class Reading(Generic[V]):
    """What a rule made of one cell: the value taken (None: nothing to take, a finding says why, or a
    check-only rule's answer) and the findings at the cell, in the order a person reads them."""

    value: V | None
    findings: tuple[Finding, ...] = ()


def readable(raw: object, cell: Cell) -> Reading[object]:
    """The cell's value; a formula there is flagged (its cached result is what was read). A cell holding an
    error (#DIV/0!) or a formula never calculated has no value: it is said so, and UNREADABLE given
    (calamine reads such a cell as "", which is not a cell left empty)."""
    if cell.trouble is not None:
        code, params = cell.trouble.said()
        return Reading(UNREADABLE, (cell.finding(code, **params),))
    if cell.formula:
        # a number as the cell shows it (a pasted sum's 6402.000000000001 is 6,402, as every output says)
        shown = format_number(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else raw
        return Reading(raw, (cell.finding(Code.VALUE_008, value=shown),))
    return Reading(raw)


def choice(raw: object, cell: Cell, allowed: Mapping[str, V], shown: Iterable[str] | None = None) -> Reading[V]:
    """A dropdown's value, compared loosely (normalise_choice): `allowed` maps what may be typed to what it
    means; `shown` lists the choices a message names (else the meanings)."""
    read = readable(raw, cell)
    if read.value is UNREADABLE:
        return Reading(None, read.findings)
    key = normalise_choice(raw)
    if not key:
        return Reading(None, (*read.findings, cell.finding(Code.VALUE_001)))
    if key not in allowed:
        choices = "・".join(shown or dict.fromkeys(str(v) for v in allowed.values()))
        return Reading(None, (*read.findings, cell.finding(Code.VALUE_002, value=raw, choices=choices)))
    return Reading(allowed[key], read.findings)


@functools.lru_cache(maxsize=16)
def _choices(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """A dropdown's choices by what a typed value is compared with (normalise_choice): made once per run,
    not once per sheet."""
    return {normalise_choice(typed): meant for typed, meant in pairs}


def grade_choices(grades: Iterable[Grade]) -> dict[str, str]:
    """What a 自己評価 cell may hold (the grade's choice or its code) → the grade's code."""
    return _choices(tuple((typed, g.code) for g in grades for typed in (g.choice, g.code)))


def progress_choices(progress: Iterable[ProgressChoice]) -> dict[str, str]:
    """What a 進捗状況 cell may hold → the label stored."""
    return _choices(tuple((c.label, c.label) for c in progress))


def grade(raw: object, cell: Cell, grades: Collection[Grade]) -> Reading[str]:
    """An item's 自己評価 as its grade's code; the message lists the choices as the dropdown shows them."""
    return choice(raw, cell, grade_choices(grades), shown=[g.choice for g in grades])


def text(raw: object, cell: Cell, limit: int, required: bool) -> Reading[str]:
    """Free text cleaned (line endings, control and invisible characters removed, with a warning); ""
    for an optional cell left empty; None for a required one left empty or a text over `limit`."""
    read = readable(raw, cell)
    if read.value is UNREADABLE:
        return Reading(None, read.findings)
    found = list(read.findings)
    cleaned = clean_text(raw)
    if cleaned.removed_control:
        found.append(cell.finding(Code.VALUE_006, value=cleaned.text))
    if cleaned.removed_invisible:
        found.append(cell.finding(Code.VALUE_016, value=cleaned.text))
    if not cleaned.text:
        if required:
            return Reading(None, (*found, cell.finding(Code.VALUE_001)))
        return Reading("", tuple(found))
    if len(cleaned.text) > limit:
        found.append(cell.finding(Code.VALUE_005, value=cleaned.text, length=len(cleaned.text), limit=limit))
        return Reading(None, tuple(found))
    return Reading(cleaned.text, tuple(found))


def unit_edited(typed: object, cell: Cell, ind: Indicator) -> Reading[bool]:
    """Whether the unit shown beside an actual was changed (a finding): the number would be read in a unit
    other than the one the person saw."""
    unit = clean_text(typed).text
    if _nfkc(unit) == _nfkc(ind.unit):
        return Reading(False)
    return Reading(True, (cell.finding(Code.ROW_006, value=unit, unit=ind.unit,
                                       now=f"「{unit}」" if unit else "空欄"),))


def actual(raw: object, cell: Cell, ind: Indicator, count_units: Collection[str]) -> Reading[float]:
    """An indicator's actual in its unit, as the person saw it (a number read with its number format), or
    None after a finding. 0.8 in a % indicator whose figures are tens is taken with a warning (VALUE_010);
    a fraction of a count unit (件, 人…) is not taken."""
    read = readable(raw, cell)
    if read.value is UNREADABLE:
        return Reading(None, read.findings)
    found = list(read.findings)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Reading(None, (*found, cell.finding(Code.VALUE_001)))
    if isinstance(raw, str | bool):
        parsed = parse_number(raw, ind.unit)
        typed_percent = isinstance(raw, str) and "%" in _nfkc(raw)
    else:
        parsed, typed_percent, problem = _number_as_shown(raw, cell, ind)
        if problem is not None:
            return Reading(None, (*found, problem))
    if parsed.problem:
        return Reading(None, (*found, cell.finding(parsed.problem, value=raw, unit=ind.unit)))
    value = parsed.value
    figures = {label: f for label, f in ((L.KEY_BASELINE, ind.baseline), (L.KEY_TARGET, ind.target))
               if f is not None}
    if _nfkc(ind.unit) == "%" and not typed_percent and percent_typed_as_fraction(value, list(figures.values())):
        found.append(cell.finding(
            Code.VALUE_010, value=format_number(value), percent=format_number(hundredfold(value)),
            figures="・".join(figures) + "（" + "、".join(f"{format_number(f)}%" for f in figures.values()) + "）"))
    if ind.unit in count_units and not is_whole(value):
        return Reading(None, (*found, cell.finding(Code.VALUE_011, value=format_number(value), unit=ind.unit)))
    return Reading(value, tuple(found))


def _number_as_shown(raw: object, cell: Cell, ind: Indicator) -> tuple[NumberParse, bool, Finding | None]:
    """A number cell read with its number format, where its meaning lives (80% is stored as 0.8 in a
    percent format), and whether that format shows a percent; or the finding that it means no number of
    the indicator's unit (VALUE_009)."""
    numeric = isinstance(raw, int | float)
    shown = number_format(cell.number_format, raw if numeric else 1)
    if numeric:
        parsed = parse_number(raw, ind.unit)
        if parsed.problem:
            return parsed, False, None
        read = number_in_unit(parsed.value, shown, ind.unit)
    elif shown.date:        # a date or time calamine made of a number in a date format
        read = number_in_unit(0, shown, ind.unit)
    else:
        return NumberParse(problem=Code.VALUE_003), False, None
    if read.value is None:
        return NumberParse(), False, cell.finding(
            Code.VALUE_009, value=format_number(raw) if numeric else raw, unit=ind.unit, format=shown.code,
            shown=shown_number(raw, shown), meaning=read.meaning)
    return NumberParse(value=read.value), shown.percent, None


def implausible_actual(value: float, ind: Indicator) -> bool:
    """Whether `value` is more than IMPLAUSIBLE_FACTOR times the larger of the indicator's baseline and
    target (never, for an indicator without a figure above 0)."""
    scale = max((abs(f) for f in (ind.baseline, ind.target) if f is not None), default=0)
    return scale > 0 and value > IMPLAUSIBLE_FACTOR * scale


def plan_figures(ind: Indicator) -> str:
    """The plan's figures as a message names them: 基準値 5,820件・目標値 6,402件."""
    return "・".join(f"{label} {format_number(f)}{ind.unit}" for label, f in
                    ((L.KEY_BASELINE, ind.baseline), (L.KEY_TARGET, ind.target)) if f is not None)


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()
