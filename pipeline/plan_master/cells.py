"""The plan master's cells as the import reads them: each table sheet's columns found by their headers and its
rows in the order of their keys, and every cell read as what its column holds (a text, a code, a year, a figure,
はい/いいえ, 担当部署), each mistake a finding at its sheet and A1 cell with the value found there. A cell holding
an error value (#REF!) or a formula never calculated is said as in a return (VALUE_012/013), never as empty.
`pipeline.plan_master.importing` reads the sheets with these."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from typing import NamedTuple

from pipeline.findings import Code, Finding, finding
from pipeline.intake.reader import CellTrouble, WorkbookValues
from pipeline.plan_master import layout as master_layout
from pipeline.sheets import layout
from pipeline.values import clean_text, parse_number, spreadsheet_number

_DASHES = {"-", "－", "―", "‐", "—", "ー"}
_YEAR_SUFFIX = re.compile(r"(年度|年)$")
_DECIMAL_FORMAT = re.compile(r"\.0")


class Cell(NamedTuple):
    """One cell as the checks see it: where it is, what it holds, and the field it is (its header)."""

    sheet: str
    at: str          # A1
    raw: object
    field: str
    trouble: CellTrouble | None = None     # an error value (#REF!) or a formula never calculated: no value


class Table:
    """One table sheet: its columns found by their headers, and the rows with anything typed in them."""

    def __init__(self, reader: CellReader, sheet: str, columns: tuple[master_layout.Column, ...]):
        self.reader, self.sheet = reader, sheet
        self.rows = reader.book.rows(sheet)
        header = self.rows[0] if self.rows else []
        found: dict[str, int] = {}
        for i, value in enumerate(header):
            found.setdefault(master_layout.header_key(value), i)
        self.col: dict[str, int] = {}
        for column in columns:
            index = found.get(master_layout.header_key(column.header))
            if index is None:
                reader.add(Code.PLAN_002, sheet, "A1", field=column.header, place="列の見出し（1行目）")
            else:
                self.col[column.header] = index
        self.ok = len(self.col) == len(columns)
        used = sorted(self.col.values())
        # a cell calamine reads as "" that holds an error or an uncalculated formula is not an empty cell
        self.troubles = reader.book.troubles.get(sheet, {})
        self.data = [r for r in range(1, len(self.rows))
                     if any(clean_text(self.raw(r, c)).text or layout.a1(r, c) in self.troubles for c in used)
                     ] if self.ok else []

    def in_order(self, *headers: str) -> list[int]:
        """The rows with anything typed in them, in the order of their keys (the columns `headers`; natural
        order: 1-2 before 1-10), not as the sheet happens to be sorted: a master sorted in Excel or Calc (by
        担当部署, say) is the same plan, with the same digest, so the workbooks already sent out and the
        returns already collected stay its own. Rows whose keys read the same keep the sheet's order."""
        return sorted(self.data, key=lambda r: tuple(_natural(self.raw(r, self.col[h])) for h in headers))

    def raw(self, r: int, c: int) -> object:
        row = self.rows[r] if r < len(self.rows) else []
        return row[c] if c < len(row) else None

    def cell(self, r: int, header: str) -> Cell:
        c = self.col[header]
        at = layout.a1(r, c)
        return Cell(self.sheet, at, self.raw(r, c), header, self.troubles.get(at))

class CellReader:
    """Reads cells and keeps the findings, and where each plan key came from (to place a mistake the plan
    itself finds later)."""

    def __init__(self, book: WorkbookValues, file: str):
        self.book, self.file = book, file
        self.findings: list[Finding] = []
        self.places: dict[str, tuple[str, str, str, str]] = {}   # plan key → (sheet, cell, field, value shown)
        self.period: range | None = None
        self.known_departments: dict[str, str] = {}   # normalise_choice(name) → the name on the 部署 sheet
        self.said_unreadable: set[tuple[str, str]] = set()

    # --- findings and places ----------------------------------------------------------------------------
    def add(self, code: str, sheet: str, cell: str, **kw) -> None:
        self.findings.append(finding(code, file=self.file, sheet=sheet, cell=cell, **kw))

    def at(self, code: str, c: Cell, **kw) -> None:
        """A finding at cell `c`, naming its field."""
        self.add(code, c.sheet, c.at, field=c.field, **kw)

    def place_row(self, key: str, table: Table, r: int, keys: dict[str, str]) -> None:
        """The plan keys of a row: `key` itself (its first cell) and `key.<name>` for each header in `keys`."""
        self.places[key] = placed_at(table.cell(r, next(iter(keys.values()))))
        for name, header in keys.items():
            self.places[f"{key}.{name}"] = placed_at(table.cell(r, header))

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)

    # --- cells ----------------------------------------------------------------------------------------------
    def unreadable(self, c: Cell) -> bool:
        """True when the cell holds an error value or a formula never calculated: said once at the cell, as
        in a return (VALUE_012/013), never as a cell left empty."""
        if c.trouble is None:
            return False
        if (c.sheet, c.at) not in self.said_unreadable:
            self.said_unreadable.add((c.sheet, c.at))
            code, params = c.trouble.said()
            self.at(code, c, **params)
        return True

    def text(self, c: Cell, required: bool = False) -> str:
        """A text cell, trimmed ('' when blank or after a finding)."""
        if self.unreadable(c):
            return ""
        if isinstance(c.raw, dt.date | dt.time | dt.timedelta):
            self.at(Code.PLAN_018, c, value=c.raw)
            return ""
        cleaned = clean_text(c.raw)
        if cleaned.removed_control:
            self.at(Code.VALUE_006, c, value=cleaned.text)
        if c.at in self.book.formulas.get(c.sheet, ()):
            self.at(Code.VALUE_008, c, value=cleaned.text)
        if required and not cleaned.text:
            self.at(Code.PLAN_003, c)
        return cleaned.text

    def code(self, c: Cell, required: bool = True) -> str:
        """An ID or a code: half-width (NFKC), no spaces inside."""
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", self.text(c, required)))

    def integer(self, c: Cell, required: bool, example: str) -> int | None:
        if self.unreadable(c):
            return None
        raw = c.raw
        if is_blank(raw):
            if required:
                self.at(Code.PLAN_003, c)
            return None
        value: int | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif isinstance(raw, float):
            value = int(raw) if math.isfinite(raw) and raw.is_integer() else None
        elif isinstance(raw, str):
            text = _YEAR_SUFFIX.sub("", re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)))
            value = int(text) if text.isascii() and text.isdigit() else None
        if value is None:
            self.at(Code.PLAN_014, c, value=shown_value(raw), example=example)
        return value

    def year(self, c: Cell, required: bool = False) -> int | None:
        """A fiscal year of the plan period (None when blank or after a finding)."""
        year = self.integer(c, required, str(self.period.start) if self.period else "2024")
        if year is not None and self.period and year not in self.period:
            self.at(Code.PLAN_010, c, value=year, start=self.period.start, end=self.period.stop - 1)
            return None
        return year

    def number(self, c: Cell) -> int | float | None:
        """A figure: an int when it is whole, a float when it has a fraction or its cell shows a decimal
        place (so 6794 stays 6794 and 100.0 stays 100.0); None when blank or "-"."""
        if self.unreadable(c):
            return None
        raw = c.raw
        if is_blank(raw) or (isinstance(raw, str) and raw.strip() in _DASHES):
            return None
        if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
            if isinstance(raw, float):
                raw = spreadsheet_number(raw)       # the figure the cell shows (values.spreadsheet_number)
            if isinstance(raw, int) or not raw.is_integer():
                return raw
            return raw if _DECIMAL_FORMAT.search(self.book.number_format(c.sheet, c.at)) else int(raw)
        parsed = parse_number(raw, allow_negative=True) if isinstance(raw, str) else None
        if parsed is None or parsed.problem:
            self.at(Code.PLAN_013, c, value=shown_value(raw))
            return None
        whole = parsed.value.is_integer() and "." not in unicodedata.normalize("NFKC", raw)
        return int(parsed.value) if whole else parsed.value

    def flag(self, c: Cell, blank: bool | None = False) -> bool | None:
        """はい/いいえ; `blank` for an empty cell."""
        if self.unreadable(c):
            return None
        if is_blank(c.raw):
            return blank
        value = master_layout.flag_of(c.raw)
        if value is None:
            self.at(Code.PLAN_015, c, value=shown_value(c.raw))
        return value

    def departments(self, c: Cell, required: bool) -> tuple[list[str], bool] | None:
        """A 担当部署 cell: the names and whether it ends in ほか (None when blank)."""
        text = self.text(c, required)
        if not text:
            return None
        read = master_layout.read_departments(text, self.known_departments)
        for name in read.unknown:
            self.at(Code.PLAN_004, c, value=name)
        for name in read.repeated:
            self.at(Code.PLAN_009, c, value=name, other="同じセル")
        if not read.names and not read.unknown:
            self.at(Code.PLAN_003, c)
        return list(read.names), read.etc

    def unique(self, seen: dict[str, str], key: str, c: Cell, field: str = "", shown: str = "") -> None:
        """A finding when `key` was seen before (in the cell `seen` names)."""
        if not key:
            return
        if key in seen:
            self.add(Code.PLAN_009, c.sheet, c.at, field=field or c.field, value=shown or key, other=seen[key])
        else:
            seen[key] = c.at


def _natural(raw: object) -> tuple:
    """A key cell's value as it orders: its digit runs as numbers (1-2 before 1-10, 01 as 1), the rest as text
    (full-width digits as digits); a blank last."""
    text = unicodedata.normalize("NFKC", shown_value(raw)).strip()
    if not text:
        return (1,)
    return (0, *((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part))


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def placed_at(c: Cell) -> tuple[str, str, str, str]:
    return c.sheet, c.at, c.field, shown_value(c.raw)


def shown_value(value: object) -> str:
    """A cell's value as a message shows it: 2024 not 2024.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)
