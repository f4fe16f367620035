"""Filling the project's own survey workbooks as staff do, with openpyxl (as a person would in Excel:
only the yellow input cells, found by the keys in column A)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from pipeline import layout as L

COLUMN = {
    L.FIELD_PROGRESS: L.COL_PROGRESS + 1,
    L.FIELD_RESULT: L.COL_RESULT + 1,
    L.FIELD_ISSUES: L.COL_ISSUES + 1,
    L.FIELD_NEXT: L.COL_NEXT + 1,
}


class ReturnFiller:
    def __init__(self, template: Path):
        self.wb = openpyxl.load_workbook(template)

    @property
    def item_sheets(self) -> list[str]:
        return [ws.title for ws in self.wb.worksheets if ws.title.isdigit()]

    def row_of(self, sheet: str, key: str) -> int:
        """Excel row number (1-based) of the row whose column A holds `key`."""
        for row in self.wb[sheet].iter_rows(min_col=1, max_col=1):
            if L.row_key(row[0].value) == key:
                return row[0].row
        raise KeyError(f"{key} not in sheet {sheet}")

    def initiatives(self, sheet: str) -> list[str]:
        return [L.row_key(c.value) for (c,) in self.wb[sheet].iter_rows(min_col=1, max_col=1)
                if c.value and str(c.value)[:4] == sheet and "-" in str(c.value)]

    def set(self, sheet: str, key: str, field: str, value) -> str:
        """Type `value` into the field of the row `key`; returns the cell's A1 reference."""
        ws = self.wb[sheet]
        row = self.row_of(sheet, key)
        col = COLUMN.get(field, 2)
        cell = ws.cell(row=row, column=col)
        cell.value = value
        return cell.coordinate

    def answer(self, sheet: str, initiative: str, progress="実施中", result="取組を実施した。", issues="", next_plan=""):
        self.set(sheet, initiative, L.FIELD_PROGRESS, progress)
        self.set(sheet, initiative, L.FIELD_RESULT, result)
        self.set(sheet, initiative, L.FIELD_ISSUES, issues or None)
        self.set(sheet, initiative, L.FIELD_NEXT, next_plan or None)

    def fill_all(self, actual=100, grade="A：計画どおり", reason="おおむね計画どおり進んだ。"):
        """A clean return: every initiative answered, the indicator and self-evaluation where asked."""
        for sheet in self.item_sheets:
            for ini in self.initiatives(sheet):
                self.answer(sheet, ini, result=f"{ini}の取組を実施した。", issues=f"{ini}の課題", next_plan="継続する。")
            if self.has(sheet, L.KEY_ACTUAL):
                self.set(sheet, L.KEY_ACTUAL, L.FIELD_ACTUAL, actual)
            if self.has(sheet, L.KEY_GRADE):
                self.set(sheet, L.KEY_GRADE, L.FIELD_GRADE, grade)
                self.set(sheet, L.KEY_REASON, L.FIELD_REASON, reason)
        return self

    def has(self, sheet: str, key: str) -> bool:
        try:
            self.row_of(sheet, key)
            return True
        except KeyError:
            return False

    def save(self, path: Path, saved_at: dt.datetime | None = None) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Excel stamps the time of saving; tests set it so that "newest" is decided on purpose.
        self.wb.properties.modified = saved_at or dt.datetime(2025, 5, 1, 10, 0, 0)
        self.wb.save(path)
        return path
