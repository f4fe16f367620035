"""Filling the survey workbooks the way staff do — for the demo, the benchmark and the tests.

Opens the project's own workbook with openpyxl and types only into the input cells, found by the keys
in column A, exactly where a person would type in Excel.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import openpyxl

from pipeline.config import Config
from pipeline.plan import Indicator, Plan
from pipeline.sheets import layout

COLUMN = {
    layout.FIELD_PROGRESS: layout.COL_PROGRESS + 1,
    layout.FIELD_RESULT: layout.COL_RESULT + 1,
    layout.FIELD_ISSUES: layout.COL_ISSUES + 1,
    layout.FIELD_NEXT: layout.COL_NEXT + 1,
    layout.FIELD_RESPONSE_STATUS: layout.COL_RESPONSE_STATUS + 1,
    layout.FIELD_RESPONSE_TEXT: layout.COL_RESPONSE_TEXT + 1,
}


class ReturnFiller:
    def __init__(self, template: Path):
        self.wb = openpyxl.load_workbook(template)

    @property
    def item_sheets(self) -> list[str]:
        return [ws.title for ws in self.wb.worksheets if ws.title.isdigit()]

    @property
    def department(self) -> str:
        for row in self.wb[layout.SHEET_IDENTITY].iter_rows():
            if row[0].value == layout.ID_DEPARTMENT:
                return str(row[1].value)
        raise KeyError(layout.ID_DEPARTMENT)

    def row_of(self, sheet: str, key: str) -> int:
        """Excel row number (1-based) of the row whose column A holds `key`."""
        for (cell,) in self.wb[sheet].iter_rows(min_col=1, max_col=1):
            if layout.row_key(cell.value) == key:
                return cell.row
        raise KeyError(f"{key} not in sheet {sheet}")

    def has(self, sheet: str, key: str) -> bool:
        try:
            self.row_of(sheet, key)
            return True
        except KeyError:
            return False

    def initiatives(self, sheet: str) -> list[str]:
        return [layout.row_key(c.value) for (c,) in self.wb[sheet].iter_rows(min_col=1, max_col=1)
                if c.value and str(c.value).startswith(f"{sheet}-")]

    def set(self, sheet: str, key: str, field: str, value) -> str:
        """Type `value` into `field` of the row `key`; returns the cell's A1 reference."""
        cell = self.wb[sheet].cell(row=self.row_of(sheet, key), column=COLUMN.get(field, 2))
        cell.value = value
        return cell.coordinate

    def insert_row(self, sheet: str, row: int) -> None:
        """Insert an empty row at Excel row `row` as Excel does (after lifting the sheet's protection):
        the rows below move down, and their merged cells with them (openpyxl's insert_rows leaves merged
        ranges where they were)."""
        self._move_rows(sheet, row, 1)

    def delete_row(self, sheet: str, key: str) -> None:
        """Delete the row of `key` as Excel does: the rows below move up with their merged cells."""
        self._move_rows(sheet, self.row_of(sheet, key), -1)

    def _move_rows(self, sheet: str, row: int, by: int) -> None:
        ws = self.wb[sheet]
        merged = [m for m in ws.merged_cells.ranges if not (by < 0 and m.min_row == row == m.max_row)]
        for m in list(ws.merged_cells.ranges):
            ws.unmerge_cells(m.coord)
        if by > 0:
            ws.insert_rows(row, by)
        else:
            ws.delete_rows(row, -by)
        for m in merged:
            if m.min_row >= row:
                m.shift(0, by)
            ws.merge_cells(m.coord)

    @property
    def opinions(self) -> list[str]:
        """The IDs of the committee's opinions this workbook asks about (none without the sheet)."""
        if layout.SHEET_OPINIONS not in self.wb.sheetnames:
            return []
        return [layout.row_key(c.value) for (c,) in self.wb[layout.SHEET_OPINIONS].iter_rows(min_row=layout.OPINION_FIRST_ROW + 2,
                                                                                    min_col=1, max_col=1) if c.value]

    def respond(self, opinion: str, status: str, text: str | None) -> None:
        """Answer one of the committee's opinions: 対応状況 and 対応内容."""
        self.set(layout.SHEET_OPINIONS, opinion, layout.FIELD_RESPONSE_STATUS, status)
        self.set(layout.SHEET_OPINIONS, opinion, layout.FIELD_RESPONSE_TEXT, text)

    def answer(self, sheet: str, initiative: str, progress="実施中", result="取組を実施した。", issues="", next_plan=""):
        self.set(sheet, initiative, layout.FIELD_PROGRESS, progress)
        self.set(sheet, initiative, layout.FIELD_RESULT, result)
        self.set(sheet, initiative, layout.FIELD_ISSUES, issues or None)
        self.set(sheet, initiative, layout.FIELD_NEXT, next_plan or None)

    def fill_all(self, actual=100, grade="A：計画どおり", reason="おおむね計画どおり進んだ。") -> ReturnFiller:
        """A clean return: every initiative answered, the indicator and self-evaluation where asked."""
        for sheet in self.item_sheets:
            for ini in self.initiatives(sheet):
                self.answer(sheet, ini, result=f"{ini}の取組を実施した。", issues=f"{ini}の課題", next_plan="継続する。")
            if self.has(sheet, layout.KEY_ACTUAL):
                self.set(sheet, layout.KEY_ACTUAL, layout.FIELD_ACTUAL, actual)
            if self.has(sheet, layout.KEY_GRADE):
                self.set(sheet, layout.KEY_GRADE, layout.FIELD_GRADE, grade)
                self.set(sheet, layout.KEY_REASON, layout.FIELD_REASON, reason)
        for opinion in self.opinions:
            self.respond(opinion, "対応中", f"意見 {opinion} を受けて見直しを進めている。")
        return self

    def save(self, path: Path, saved_at: dt.datetime | None = None, *, saved_by: str | None = None,
             received_at: dt.datetime | None = None) -> Path:
        """Save as Excel would, stamped as last saved at `saved_at` (so "newest" is decided on purpose), by
        the application `saved_by` (docProps/app.xml) when given, and arrived in the inbox at `received_at`
        (the file's modification time) when given."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.wb.save(path)
        # openpyxl stamps "now" as the time of saving; put the intended time into docProps/core.xml.
        saved_at = saved_at or dt.datetime(2025, 5, 1, 10, 0, 0)
        restamp(path, saved_at, saved_by)
        if received_at is not None:
            moment = received_at.timestamp()
            os.utime(path, (moment, moment))
        return path


def restamp(path: Path, saved_at: dt.datetime, application: str | None = None) -> None:
    """The saving time (and application) in the package's properties, and the same time on every zip
    entry, so that the same answers saved at the same time are the same bytes."""
    stamp = saved_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
        tmp_path = Path(tmp.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp_path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            if info.filename == "docProps/app.xml" and application is not None:
                data = re.sub(rb"(<Application>)[^<]*(</Application>)",
                              rb"\g<1>" + application.encode() + rb"\g<2>", data)
            info.date_time = saved_at.timetuple()[:6]
            dst.writestr(info, data)
    shutil.move(tmp_path, path)

# --- plausible answers ------------------------------------------------------------------------------

_RESULTS = {
    "完了": "{text}について、計画した内容をすべて実施し、取組を完了した。",
    "実施中": "{text}について、関係課と連携して計画どおり実施している。年度内に{n}回の検討会を開催した。",
    "一部実施": "{text}について、一部の業務で先行して実施した。全庁展開は調整が続いている。",
    "検討中": "{text}について、先進自治体の事例を調査し、実施方法を検討している。",
    "未着手": "人員の都合により、今年度は着手できなかった。",
}
_ISSUES = ["担当職員の負担が大きい。", "予算の確保が課題。", "関係団体との調整に時間を要している。", "", ""]
_NEXT = ["対象を拡大して継続する。", "効果を検証し、必要に応じて見直す。", "実施に向けた準備を進める。"]
_GRADES = ["S：計画以上", "A：計画どおり", "A：計画どおり", "B：やや遅れ", "C：遅れ"]


def plausible_actual(ind: Indicator, year: int, plan: Plan, rng: random.Random) -> float:
    """A figure on the way from baseline to target for `year` (the year's own figure for 延べ)."""
    share = (year - plan.period_start + 1) / (plan.period_end - plan.period_start + 1)
    base = ind.baseline or 0
    if ind.direction_only:
        return max(0, round(base - rng.choice([0, 1, 2])))
    if ind.cumulative:
        return max(0, round(ind.target / (plan.period_end - plan.period_start + 1) * rng.uniform(0.5, 1.4)))
    value = base + (ind.target - base) * share * rng.uniform(0.6, 1.15)
    return round(value, 1) if ind.unit == "%" else round(value)


def fill_plausibly(filler: ReturnFiller, plan: Plan, config: Config, year: int, rng: random.Random) -> ReturnFiller:
    """Answers as varied as real staff write them."""
    labels = [c.label for c in config.progress_choices]
    for sheet in filler.item_sheets:
        for ini_id in filler.initiatives(sheet):
            ini = plan.initiative_by_id[ini_id]
            progress = rng.choices(labels, weights=[2, 6, 3, 2, 1][: len(labels)] + [1] * (len(labels) - 5))[0]
            result = _RESULTS.get(progress, "{text}を実施した。").format(text=ini.text.rstrip("。"), n=rng.randint(2, 6))
            filler.answer(sheet, ini_id, progress=progress, result=result, issues=rng.choice(_ISSUES),
                          next_plan=rng.choice(_NEXT))
        item = plan.item_by_code[sheet]
        if filler.has(sheet, layout.KEY_ACTUAL) and item.indicator:
            filler.set(sheet, layout.KEY_ACTUAL, layout.FIELD_ACTUAL, plausible_actual(item.indicator, year, plan, rng))
        if filler.has(sheet, layout.KEY_GRADE):
            grade = rng.choice(_GRADES)
            filler.set(sheet, layout.KEY_GRADE, layout.FIELD_GRADE, grade)
            filler.set(sheet, layout.KEY_REASON, layout.FIELD_REASON,
                       f"{item.title}の取組は{grade.split('：')[1]}に進んでいる。参考指標の推移も踏まえて評価した。")
    for opinion in filler.opinions:
        status, text = rng.choice(_RESPONSES)
        filler.respond(opinion, status, text)
    return filler

_RESPONSES = [
    ("対応済", "ご意見を踏まえて手順を見直し、今年度から新しい方法で実施している。"),
    ("対応中", "関係課と協議を始めており、来年度中に方針をまとめる予定である。"),
    ("対応中", "ご意見を受けて試行を始めた。効果を確かめながら広げていく。"),
    ("未対応", None),
]
