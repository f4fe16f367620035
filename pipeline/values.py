"""Normalising what people type into cells: numbers with units, choices, free text.

Pasting bypasses Excel's validation, so every value is checked again here. NFKC is applied where it
keeps the meaning (numbers, choices); free text keeps its characters apart from removed control
characters, because NFKC would turn ① into 1 and change what someone wrote.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from pipeline.findings import Code

# Characters XML 1.0 forbids (and Word/Excel refuse): C0 controls except tab/newline, and the non-characters.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
# Excel's own escape for such characters inside shared strings (_x0001_).
_EXCEL_ESCAPE = re.compile(r"_x(000[0-8bBcCeEfF]|001[0-9a-fA-F])_")
# Invisible characters that change how the text around them shows: the bidirectional controls (U+202E turns
# "txt.exe" into "exe.txt" on screen; an unclosed one reorders what follows it, on a web page or in a CSV opened
# in Excel) and the zero-width characters (a word that looks the same but is not, a space nobody sees). Nobody
# types them in a Japanese survey; they arrive pasted from mail or the web. They are removed, with a warning at
# the cell, so that every output shows the characters in the order they were typed.
_INVISIBLE = re.compile("[\u061c\u200b\u200c\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
# Anything clean_text may have to change: a CR, a forbidden character, an Excel escape, an invisible character.
_NEEDS_CLEANING = re.compile(
    "[\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff\u061c\u200b\u200c\u200e\u200f\u202a-\u202e"
    "\u2060\u2066-\u2069\ufeff]|_x")
_MINUS = "-−‐‑‒–—―ｰ－▲△"   # what people type for minus, ▲ as Japanese accounting does


class CleanText(NamedTuple):
    """A cell's text as clean_text leaves it (a named tuple: made for every cell of every return)."""

    text: str
    removed_control: bool
    removed_invisible: bool = False     # a bidirectional control or a zero-width character was removed


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
    visible = _INVISIBLE.sub("", cleaned)
    return CleanText(visible.strip(), cleaned != text, visible != cleaned)


def normalise_choice(value: object) -> str:
    """A dropdown value compared loosely: NFKC, no spaces, so 'Ａ：計画どおり ' matches 'A:計画どおり'."""
    if value is None:
        return ""
    # NFKC again after removing spaces: NFKC can leave a space before a combining mark (¯ → " ̄")
    return unicodedata.normalize("NFKC", _SPACES.sub("", unicodedata.normalize("NFKC", str(value))))


_SPACES = re.compile(r"\s+")


# --- the number a cell means ---------------------------------------------------------------------------
# Excel and Calc keep and show 15 significant digits (DBL_DIG: every decimal of up to 15 digits survives
# the trip to a double and back). A figure pasted from a department's own sums (貼り付け→値) keeps the
# binary residue of the arithmetic: 5820×1.1 is stored as 6402.000000000001 and 0.57×100 as
# 56.99999999999999, while the cell shows 6402 and 57, and Excel compares them as such. So a number read
# from a cell is taken as those 15 digits say, once, here at the read edge: the store, every output and
# every comparison (a target of 6402 reached by 6402.000000000001 is 達成) then see the number the person saw.
# A number typed with 15 significant digits or fewer comes back unchanged (DBL_DIG), the rule is
# idempotent, and it never reverses the order of two numbers (rounding to 15 digits is monotone).
SPREADSHEET_DIGITS = 15


def spreadsheet_number(value: float) -> float:
    """The number a spreadsheet cell holding `value` means and shows: rounded to 15 significant digits
    (6402.000000000001 → 6402.0, 8049.999999999999 → 8050.0, 0.1 → 0.1; -0.0 → 0.0). Infinity and NaN pass as they are."""
    value = float(value)
    if not math.isfinite(value):
        return value
    rounded = float(f"{value:.{SPREADSHEET_DIGITS}g}") + 0.0     # (+ 0.0: -0.0 is the 0 a cell shows)
    # the largest doubles round up past the largest finite one; no cell holds them (Excel stops at 1e308)
    return rounded if math.isfinite(rounded) else value


@dataclass(frozen=True)
class NumberParse:
    """The outcome of reading a number cell: `value` or a `problem` (a catalogue code)."""

    value: float | None = None
    problem: str = ""     # "" | Code.VALUE_003 not a number | Code.VALUE_004 wrong unit | Code.VALUE_007 negative


def parse_number(value: object, unit: str = "", allow_negative: bool = False) -> NumberParse:
    """Read a number as staff type it: 1234, '１，２３４件', '44.7%', ' 1 234 '. Rejects '約千件'. The value is
    the number the cell means (spreadsheet_number): 6402.000000000001 pasted as a value reads 6402."""
    if isinstance(value, bool):
        return NumberParse(problem=Code.VALUE_003)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return NumberParse(problem=Code.VALUE_003)
        number = float(value)
    elif isinstance(value, dt.date | dt.datetime | dt.time | dt.timedelta):
        # a number cell formatted as a date by accident: the person did not type a count
        return NumberParse(problem=Code.VALUE_003)
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
            return NumberParse(problem=Code.VALUE_003)
        digits, rest = m.group(1), m.group(2)
        if rest and rest != norm_unit:
            # a unit other than the indicator's own is a different quantity; other text is not a number
            return NumberParse(problem=Code.VALUE_004 if _looks_like_unit(rest) else Code.VALUE_003)
        number = float(digits.replace(",", ""))
        if negative:
            number = -number
    number = spreadsheet_number(number)
    if number < 0 and not allow_negative:
        return NumberParse(value=number, problem=Code.VALUE_007)
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


# --- what a cell's number format does to the number -------------------------------------------------
# Excel and Calc keep what a person types as a bare number and put its meaning in the cell's format:
# "80%" is stored as 0.8 with a percent format. Collect reads values without formats, so the formats of
# the cells whose meaning matters are read too (reader.WorkbookValues.number_format) and interpreted here.

GENERAL = "General"

# Excel's built-in formats by numFmtId, as a Japanese Excel shows them (5-8 and 42/44 with ¥; 27-36 and
# 50-58 are the Japanese era and date formats). An id that is not here and has no <numFmt> is General.
BUILTIN_FORMATS: dict[int, str] = {
    0: GENERAL, 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00",
    5: '"¥"#,##0;"¥"\\-#,##0', 6: '"¥"#,##0;[Red]"¥"\\-#,##0',
    7: '"¥"#,##0.00;"¥"\\-#,##0.00', 8: '"¥"#,##0.00;[Red]"¥"\\-#,##0.00',
    9: "0%", 10: "0.00%", 11: "0.00E+00", 12: "# ?/?", 13: "# ??/??",
    14: "yyyy/m/d", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM", 19: "h:mm:ss AM/PM",
    20: "h:mm", 21: "h:mm:ss", 22: "yyyy/m/d h:mm",
    **{i: '[$-411]ge.m.d' for i in range(27, 37)},
    37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)",
    41: '_ * #,##0_ ;_ * \\-#,##0_ ;_ * "-"_ ;_ @_ ', 42: '_ "¥"* #,##0_ ;_ "¥"* \\-#,##0_ ;_ "¥"* "-"_ ;_ @_ ',
    43: '_ * #,##0.00_ ;_ * \\-#,##0.00_ ;_ * "-"??_ ;_ @_ ',
    44: '_ "¥"* #,##0.00_ ;_ "¥"* \\-#,##0.00_ ;_ "¥"* "-"??_ ;_ @_ ',
    45: "mm:ss", 46: "[h]:mm:ss", 47: "mm:ss.0", 48: "##0.0E+0", 49: "@",
    **{i: '[$-411]ge.m.d' for i in range(50, 59)},
}

_DIGIT = "0#?"
_DATE_LETTERS = frozenset("ymdhsgeYMDHSGE")     # g, e: the Japanese era and its year
_ELAPSED = re.compile(r"(?i)h+|m+|s+")           # [h]:mm elapsed time
_CONDITION = re.compile(r"^\s*(<=|>=|<>|<|>|=)\s*(-?\d+(?:\.\d+)?)\s*$")
_NOT_A_UNIT = re.compile(r"[\s\-+/():!^&'~{}<>=.,]")   # what a format shows around a number without meaning


@dataclass(frozen=True)
class NumberFormat:
    """What a number format does to a number, in the section that shows it: the number shown is
    value × `scale` (×100 per %, ÷1000 per trailing comma), with the literal text `unit` beside it;
    or a date/time instead of a number."""

    code: str
    scale: float = 1.0
    percent: bool = False
    unit: str = ""           # literal text shown with the number: 千件, ¥, a quoted %
    prefix: str = ""         # (the part of `unit` shown before the number)
    date: bool = False
    decimals: tuple[int, int] = (0, 10)   # (at least, at most) decimal places shown; General shows up to 10

    @property
    def plain(self) -> bool:
        """Shows the number itself, with no unit of its own: General, 0, #,##0.###, 0.00E+00, @."""
        return not self.date and self.scale == 1 and not self.unit


def number_format(code: str, value: float = 1.0) -> NumberFormat:
    """Interpret a format code (as stored in the file) for `value`: the section that shows it, then
    its percent signs, scaling commas, literal text, and date/time codes. Never raises."""
    section = _section(_sections(code), value)
    scale, percent, date = 1.0, False, False
    before, after, seen_digit = [], [], False
    least = most = 0
    in_decimals, general, exponent, fraction = False, False, False, False
    i, n = 0, len(section)
    while i < n:
        ch = section[i]
        literal = None
        if ch == '"':
            end = section.find('"', i + 1)
            end = n if end < 0 else end
            literal, i = section[i + 1:end], end + 1
        elif ch == "\\":
            literal, i = section[i + 1:i + 2], i + 2
        elif ch in "_*":       # _x: a space as wide as x; *x: x repeated to fill the cell
            i += 2
        elif ch == "[":
            end = section.find("]", i)
            end = n if end < 0 else end
            inner = section[i + 1:end]
            if inner.startswith("$"):         # [$¥-411]: a currency sign (or only a locale: [$-411])
                literal = inner[1:].split("-", 1)[0]
            elif _ELAPSED.fullmatch(inner):
                date = True
            i = end + 1                       # colours, conditions, [DBNum1], locales: no meaning change
        elif section[i:i + 7].lower() == "general":
            general, seen_digit, i = True, True, i + 7
        elif ch in "Ee" and section[i + 1:i + 2] in ("+", "-") and section[i + 1:i + 2]:
            exponent, i = True, i + 2         # scientific: 1.23E+04 is still the number
        elif ch in _DIGIT:
            seen_digit = True
            if in_decimals and not exponent and not fraction:
                most += 1
                least += ch == "0"
            i += 1
        elif ch == ".":
            in_decimals, i = True, i + 1
        elif ch == ",":
            run = len(section[i:]) - len(section[i:].lstrip(","))
            follows = section[i + run:i + run + 1]
            if seen_digit and not (follows and follows in _DIGIT):
                scale /= 1000 ** run          # #,##0, shows thousands: a trailing comma divides by 1,000
            i += run
        elif ch == "%":
            scale, percent, i = scale * 100, True, i + 1
        elif section[i:i + 5].upper() == "AM/PM":
            date, i = True, i + 5
        elif section[i:i + 3].upper() == "A/P":
            date, i = True, i + 3
        elif ch in _DATE_LETTERS:
            date, i = True, i + 1
        elif ch == "@":
            i += 1
        elif ch == "/" and seen_digit:
            fraction, i = True, i + 1         # # ?/?: 12 1/2 is still the number
        else:
            literal, i = ch, i + 1
        if literal:
            (after if seen_digit else before).append(literal)
    if general or exponent or fraction or not seen_digit:
        least, most = 0, 10                   # (messages show these as plain numbers)
    prefix, suffix = _unit("".join(before)), _unit("".join(after))
    return NumberFormat(code, scale, percent, prefix + suffix, prefix, date, (least, most))


def _unit(text: str) -> str:
    return _NOT_A_UNIT.sub("", unicodedata.normalize("NFKC", text))


def _sections(code: str) -> list[str]:
    """The ;-separated sections of a format code (a ; in quotes, escaped or in brackets is text)."""
    sections, start, i, n = [], 0, 0, len(code)
    while i < n:
        ch = code[i]
        if ch == '"':
            end = code.find('"', i + 1)
            i = n if end < 0 else end + 1
            continue
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            end = code.find("]", i)
            i = n if end < 0 else end + 1
            continue
        if ch == ";":
            sections.append(code[start:i])
            start = i + 1
        i += 1
    sections.append(code[start:])
    return sections


def _section(sections: list[str], value: float) -> str:
    """The section that shows `value`: by its condition ([>=1000]) where sections have one, else by sign."""
    conditions = [_condition(s) for s in sections]
    if any(c is not None for c in conditions):
        for section, condition in zip(sections, conditions, strict=True):
            if condition is None or condition[0](value, condition[1]):
                return section
        return sections[-1]
    if value < 0 and len(sections) >= 2:
        return sections[1]
    if value == 0 and len(sections) >= 3:
        return sections[2]
    return sections[0]


_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "=": operator.eq,
            "<>": operator.ne}


def _condition(section: str):
    """A section's condition ([>=1000]) as (comparison, limit), or None."""
    for inner in re.findall(r"\[([^\]]*)\]", section):
        m = _CONDITION.match(inner)
        if m:
            return _COMPARE[m.group(1)], float(m.group(2))
    return None


@dataclass(frozen=True)
class FormattedNumber:
    """A number cell read with its format: `value` in the indicator's unit, or `meaning` (Japanese) when
    the format shows another quantity than the unit's (then the value must not be taken)."""

    value: float | None
    meaning: str = ""


def number_in_unit(value: float, fmt: NumberFormat, unit: str) -> FormattedNumber:
    """What the person saw, as a number in `unit`: 0.8 shown as 80% is 80 for a % indicator; a number
    shown as a percent, in thousands, with another unit, or as a date is not a number of `unit`."""
    unit = unicodedata.normalize("NFKC", unit).strip()
    own_unit = fmt.unit in ("", unit)
    if fmt.date:
        return FormattedNumber(None, "日付・時刻として表示されています")
    if unit == "%" and fmt.percent and fmt.scale == 100 and own_unit:
        return FormattedNumber(hundredfold(value))       # typed as 80%: the person meant 80
    if fmt.scale == 1 and own_unit:
        return FormattedNumber(value)
    if fmt.percent:
        meaning = "百分率（%）として表示されています"
    elif fmt.scale != 1:
        meaning = {1e-3: "千単位で表示されています", 1e-6: "百万単位で表示されています"}.get(
            fmt.scale, f"{format_number(fmt.scale)}倍の数として表示されています")
    else:
        meaning = f"単位「{fmt.unit}」を付けて表示されています"
    if fmt.scale != 1 and not own_unit:
        meaning = meaning.replace("表示されています", f"単位「{fmt.unit}」を付けて表示されています")
    return FormattedNumber(None, meaning)


def hundredfold(value: float) -> float:
    """value × 100 as a person reckons it, through the decimal digits: 0.447 → 44.7 (not 44.699999999999996)."""
    return spreadsheet_number(float(Decimal(repr(spreadsheet_number(value))) * 100))


_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def shown_number(value: object, fmt: NumberFormat) -> str:
    """Roughly what the cell shows (for messages): 0.8 in 0% → '80%'; 12 in 0"千件" → '12千件'."""
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return str(value)
    if fmt.date:
        try:
            moment = _EXCEL_EPOCH + dt.timedelta(days=float(value))
        except (OverflowError, ValueError):
            return format_number(value)
        return moment.strftime("%Y/%m/%d" if moment.time() == dt.time() else "%Y/%m/%d %H:%M")
    number = float(value) * fmt.scale
    least, most = fmt.decimals
    text = f"{round(number, most):,.{most}f}".rstrip("0") if most else f"{round(number):,}"
    whole, _, decimals = text.partition(".")
    decimals = decimals.ljust(least, "0")
    text = f"{whole}.{decimals}" if decimals else whole
    suffix = fmt.unit[len(fmt.prefix):]
    return f"{fmt.prefix}{text}{'%' if fmt.percent else ''}{suffix}"


def percent_typed_as_fraction(value: float, plan_figures: list[float]) -> bool:
    """A % actual between 0 and 1 beside plan figures that are all above 1 and at least ten times it:
    most likely 80% typed as 0.8 (in a cell whose format does not show percent)."""
    return 0 < value < 1 and bool(plan_figures) and all(f > 1 and f >= 10 * value for f in plan_figures)


def is_whole(value: float) -> bool:
    """A count: no fraction (beyond what binary floating point adds to a typed whole number)."""
    return abs(value - round(value)) < 1e-9
