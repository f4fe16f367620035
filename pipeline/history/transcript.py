"""The 転記票: one workbook per year that was surveyed and reported by hand before the city used this tool,
made from the plan of that year, for the secretariat to copy the printed report into (each indicator's actual,
each item's self-evaluation and reason, each initiative's progress and texts). Any part may stay empty.

`build_transcript` makes the workbook's bytes and touches no file; `write_transcript` writes it into
history/<year>/ and refuses to overwrite one someone may be filling in unless told to. The sheet names,
columns and identity keys below are the contract with `pipeline.history.intake`, which reads it back.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from pipeline.config import Config
from pipeline.errors import AlreadyExistsError
from pipeline.files import XLSX_INERT_TEXT, Staging
from pipeline.fiscal import fiscal_year_label, fiscal_year_short, wareki
from pipeline.plan import ActionItem, Indicator, Plan, YearPlan
from pipeline.sheets import layout
from pipeline.sheets.look import (
    LINE_HEIGHT,
    Look,
    identity_sheet,
    label_rows,
    length_rule,
    meanings_table,
    print_setup,
)
from pipeline.sheets.properties import describe_workbook
from pipeline.textwidth import wrapped_lines

TRANSCRIPT_SCHEMA = "1"
TRANSCRIPT_KIND = "history_transcript"     # the identity's kind: not a department's workbook, not the register
ID_KIND = "kind"                           # (the same key as the committee's register)

SHEET_INDICATORS = "参考指標"
SHEET_GRADES = "自己評価"
SHEET_PROGRESS = "取組の進捗"
INPUT_SHEETS = (SHEET_INDICATORS, SHEET_GRADES, SHEET_PROGRESS)

HEADER_ROW = 3       # 0-based: the title, the subtitle and a note above it; rows below it keyed in column A

# 記入要領: the one input there, 転記元 (where the figures were copied from), label in A, input in B
KEY_SOURCE = "転記元"
FIELD_SOURCE = KEY_SOURCE

# 参考指標: one row per indicator of the year's plan
FIELD_ITEM = "管理番号"
COL_IND_KEY, COL_IND_NAME, COL_IND_BASELINE, COL_IND_TARGET, COL_ACTUAL, COL_UNIT, COL_IND_NOTE = range(7)
INDICATOR_HEADERS = (FIELD_ITEM, "参考指標", "基準値", "目標値", layout.FIELD_ACTUAL, layout.FIELD_UNIT, "記入のしかた")
INDICATOR_WIDTHS = (10, 40, 18, 18, 14, 8, 44)

# 自己評価: one row per action item evaluated that year
COL_GRADE_KEY, COL_GRADE_TITLE, COL_GRADE_LEAD, COL_GRADE, COL_REASON = range(5)
GRADE_HEADERS = (FIELD_ITEM, "取組項目", "主担当課", layout.FIELD_GRADE, layout.FIELD_REASON)
GRADE_WIDTHS = (10, 40, 16, 12, 70)

# 取組の進捗: one row per initiative in force that year (the printed report gives one progress per initiative;
# it is taken as the answer of each of the initiative's departments)
COL_INI_KEY, COL_INI_ITEM, COL_INI_TEXT, COL_INI_DEPARTMENTS = range(4)
COL_PROGRESS, COL_RESULT, COL_ISSUES, COL_NEXT = range(4, 8)
PROGRESS_HEADERS = (layout.HEADER_KEY, FIELD_ITEM, layout.FIELD_TEXT, layout.FIELD_DEPARTMENTS, layout.FIELD_PROGRESS, layout.FIELD_RESULT,
                    layout.FIELD_ISSUES, layout.FIELD_NEXT)
PROGRESS_WIDTHS = (10, 8, 44, 16, 12, 40, 30, 30)
# (column, field) of the texts on an initiative's row: all optional
PROGRESS_TEXTS = ((COL_RESULT, layout.FIELD_RESULT), (COL_ISSUES, layout.FIELD_ISSUES), (COL_NEXT, layout.FIELD_NEXT))


def transcript_file_name(year: int) -> str:
    """'転記票_R06_2024年度.xlsx'."""
    return f"転記票_{fiscal_year_short(year)}_{year}年度.xlsx"


def default_source(year: int) -> str:
    """What 転記元 holds until the secretariat writes otherwise: '令和5年度進捗状況報告書から転記'."""
    return f"{wareki(year)}年度進捗状況報告書から転記"


def transcript_id(plan: YearPlan) -> str:
    """A stable ID for the 転記票 of one year of the plan as it stood that year."""
    key = "|".join((plan.id, plan.digest, str(plan.year), TRANSCRIPT_KIND, TRANSCRIPT_SCHEMA))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def transcript_identity(plan: YearPlan) -> dict[str, str]:
    """What the hidden identity sheet (and the custom document properties) say: read back by history import."""
    year = plan.year
    return {
        layout.ID_SCHEMA: TRANSCRIPT_SCHEMA,
        ID_KIND: TRANSCRIPT_KIND,
        layout.ID_PLAN: plan.id,
        layout.ID_PLAN_DIGEST: plan.digest,
        layout.ID_YEAR: str(year),
        layout.ID_TEMPLATE: transcript_id(plan),
    }


def evaluated_items(plan: Plan, year: int) -> list[ActionItem]:
    """The items graded in `year` (not 対象外 that year), in the charter's order."""
    return [i for i in plan.items if not i.excluded_in(year)]


def reported_indicators(plan: Plan, year: int) -> list[Indicator]:
    """The indicators whose actual was reported in `year` (their item not 対象外 that year)."""
    return [i.indicator for i in evaluated_items(plan, year) if i.indicator]



@dataclass(frozen=True)
class TranscriptWritten:
    year: int
    path: Path
    indicators: int
    items: int
    initiatives: int


def write_transcript(plan: Plan, config: Config, year: int, force: bool = False) -> TranscriptWritten:
    """Write the year's 転記票 into history/<year>/; refuse without `force` when it is there already (it may
    hold what the secretariat typed)."""
    plan.check_year(year)
    plan = plan.for_year(year)
    path = config.history_for(year) / transcript_file_name(year)
    if path.exists() and not force:
        raise AlreadyExistsError(
            f"{path} が既にあります。記入した内容を守るため上書きしません。"
            f"作り直すときは --force を付けてください（make history-template FORCE=1 YEAR={year}。記入済みの内容は消えます）。"
        )
    data = build_transcript(plan, config, year)
    with Staging() as staging:
        staging.stage(path, data)
        staging.publish()
    return TranscriptWritten(year, path, len(reported_indicators(plan, year)), len(evaluated_items(plan, year)),
                             len(plan.initiatives))


def build_transcript(plan: YearPlan, config: Config, year: int) -> bytes:
    """The 転記票 of `year`, as bytes. The same plan, config and year give the same bytes."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, XLSX_INERT_TEXT)
    _TranscriptWriter(wb, plan, config, year).write()
    wb.close()
    return buffer.getvalue()


class _TranscriptWriter:
    def __init__(self, wb: xlsxwriter.Workbook, plan: Plan, config: Config, year: int):
        self.wb, self.plan, self.config, self.year = wb, plan, config, year
        self.look = Look(wb)     # the department workbooks' look

    def write(self) -> None:
        wb, plan, year = self.wb, self.plan, self.year
        describe_workbook(
            wb, year=year, title=f"{fiscal_year_label(year)} {plan.title} 進捗状況 転記票",
            subject="行財政改革 進捗状況 転記票", author=self.config.secretariat.name, company=plan.city,
            comments=f"転記票ID {transcript_id(plan)}", identity=transcript_identity(plan),
        )
        self._guide_sheet()
        self._indicators_sheet()
        self._grades_sheet()
        self._progress_sheet()
        self._identity_sheet()

    # --- 記入要領 (with the 転記元 input) -------------------------------------------------------------
    def _guide_sheet(self) -> None:
        ws = self.wb.add_worksheet(layout.SHEET_GUIDE)
        cfg, plan, year = self.config, self.plan, self.year
        ws.set_column(0, 0, 22)
        ws.set_column(1, 1, 90)
        ws.write_string(0, 0, f"{plan.title} 進捗状況 転記票　記入要領", self.look.title)
        ws.write_string(1, 0, f"{fiscal_year_label(year)}実績（このツールを使う前に、手作業で調査・報告した年度）",
                        self.look.subtitle)
        rows = [
            ("対象年度", f"{fiscal_year_label(year)}（{year}年4月1日〜{year + 1}年3月31日）"),
            ("記入する人", f"事務局（{cfg.secretariat.name}）"),
            ("目的", "印刷した進捗状況報告書から、その年度の実績をデータベースに入れるための票です。最終年度の報告書の"
                     "計画期間の総括（各年度の実績、延べの累計、自己評価の推移）に、この年度の数値が入ります。"),
            ("記入するシート",
             f"「{SHEET_INDICATORS}」: 参考指標ごとの{fiscal_year_label(year)}の実績値（数字だけ。単位は右に表示）。\n"
             f"「{SHEET_GRADES}」: 取組項目ごとの自己評価（一覧から選択）と評価の理由。\n"
             f"「{SHEET_PROGRESS}」: 具体的な取組ごとの進捗状況（一覧から選択）と取組実績・課題・次年度の取組予定。"),
            ("空欄でよい欄",
             "どの欄も空欄のままで構いません（参考指標の数値だけ残っている年度は、参考指標のシートだけ記入してください）。"
             "空欄の欄は報告書で「転記なし」又は「−」と表示します。自己評価の理由だけ、取組実績だけを記入したときは、"
             "自己評価・進捗状況も記入してください。"),
            ("延べの指標", "延べ（累計）の指標は、その年度だけの実績を記入してください（累計は自動で計算します）。"),
            ("記入のしかた",
             "黄色のセルだけに記入してください（他のセルは保護されています）。\n"
             "シート名の変更、行・列の追加や削除、シートの保護の解除はしないでください。\n"
             f"文章は1項目 {cfg.max_text_length} 文字以内で記入してください。"),
            ("取り込み",
             f"記入後、保存してから make history-import YEAR={year} を実行してください。誤りがあればシートとセルの位置、"
             "直し方を表示し、何も取り込みません。直して保存し、もう一度実行してください（その年度の内容を、"
             "転記票の内容で置き換えます）。"),
        ]
        row = label_rows(ws, 3, rows, self.look, 90)
        ws.write_string(row, 0, f"{KEY_SOURCE} ※", self.look.label)
        ws.write_string(row, 1, default_source(year), self.look.input)
        ws.data_validation(row, 1, row, 1, {
            **length_rule(FIELD_SOURCE, True, 200),
            "input_message": "転記した資料の名前を記入してください（報告書の総括と 1(5) に載ります）。",
        })
        row += 2
        row = meanings_table(ws, row, ("進捗状況（取組ごと）", "意味"),
                             [(c.label, c.description) for c in cfg.progress_choices], self.look)
        row = meanings_table(ws, row + 1, ("自己評価（取組項目ごと）", "意味"),
                             [(g.choice, g.description) for g in cfg.grades], self.look)
        ws.write_string(row + 1, 0, f"転記票ID {transcript_id(plan)}（様式 {TRANSCRIPT_SCHEMA}）", self.look.note)
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.6, right=0.6, top=0.7, bottom=0.7)
        ws.protect("", {"format_columns": True, "format_rows": True})
        ws.activate()

    # --- the three input sheets ------------------------------------------------------------------------
    def _table_head(self, ws, title: str, note: str, headers: tuple[str, ...], widths: tuple[int, ...]) -> None:
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        ws.write_string(0, 0, title, self.look.title)
        ws.write_string(1, 0, f"{fiscal_year_label(self.year)}実績（転記票）", self.look.subtitle)
        ws.write_string(2, 0, note, self.look.note)
        for col, header in enumerate(headers):
            ws.write_string(HEADER_ROW, col, header, self.look.header)
        ws.set_row(HEADER_ROW, LINE_HEIGHT * 2)

    def _indicators_sheet(self) -> None:
        ws = self.wb.add_worksheet(SHEET_INDICATORS)
        self._table_head(ws, f"{fiscal_year_label(self.year)}実績　参考指標",
                         "黄色のセルに、報告書のその年度の実績値を数字だけで記入（単位・カンマは不要、空欄可）。",
                         INDICATOR_HEADERS, INDICATOR_WIDTHS)
        row = HEADER_ROW + 1
        for ind in reported_indicators(self.plan, self.year):
            shown = dict(layout.indicator_rows(ind))
            note = f"{self.year}年度の実績値を数字だけで記入（単位 {ind.unit}）。"
            if ind.cumulative:
                note += "延べの指標は、その年度だけの実績を記入。"
            cells = ((COL_IND_KEY, ind.item_code), (COL_IND_NAME, ind.name), (COL_IND_BASELINE, shown[layout.KEY_BASELINE]),
                     (COL_IND_TARGET, shown[layout.KEY_TARGET]), (COL_UNIT, ind.unit))
            for col, text in cells:
                ws.write_string(row, col, text, self.look.cell)
            ws.write_string(row, COL_IND_NOTE, note, self.look.note)
            ws.write_blank(row, COL_ACTUAL, None, self.look.input_number)
            ws.data_validation(row, COL_ACTUAL, row, COL_ACTUAL, {
                "validate": "decimal",
                "criteria": ">=",
                "value": 0,
                "input_title": f"{layout.FIELD_ACTUAL}（任意）",
                "input_message": f"数字だけを記入してください（単位 {ind.unit} は不要）。"[:255],
                "error_title": "数値を記入してください",
                "error_message": f"{ind.name}の実績値を0以上の数字で記入してください（単位・カンマは不要）。"[:255],
            })
            ws.set_row(row, LINE_HEIGHT * max(wrapped_lines(ind.name, INDICATOR_WIDTHS[COL_IND_NAME]),
                                              wrapped_lines(note, INDICATOR_WIDTHS[COL_IND_NOTE]), 2))
            row += 1
        ws.freeze_panes(HEADER_ROW + 1, 1)
        self._print_setup(ws)

    def _grades_sheet(self) -> None:
        ws = self.wb.add_worksheet(SHEET_GRADES)
        grades = [g.choice for g in self.config.grades]
        self._table_head(ws, f"{fiscal_year_label(self.year)}実績　取組項目の自己評価",
                         f"黄色のセルに記入。{layout.FIELD_GRADE}は一覧（{'・'.join(grades)}）から選択（空欄可）。",
                         GRADE_HEADERS, GRADE_WIDTHS)
        first = row = HEADER_ROW + 1
        for item in evaluated_items(self.plan, self.year):
            ws.write_string(row, COL_GRADE_KEY, item.code, self.look.cell)
            ws.write_string(row, COL_GRADE_TITLE, item.title, self.look.cell)
            ws.write_string(row, COL_GRADE_LEAD, self.plan.department_name(item.lead), self.look.cell)
            ws.write_blank(row, COL_GRADE, None, self.look.input)
            ws.write_blank(row, COL_REASON, None, self.look.input)
            ws.set_row(row, LINE_HEIGHT * max(wrapped_lines(item.title, GRADE_WIDTHS[COL_GRADE_TITLE]), 3))
            row += 1
        if row > first:
            ws.data_validation(first, COL_GRADE, row - 1, COL_GRADE, {
                "validate": "list",
                "source": grades,
                "input_title": f"{layout.FIELD_GRADE}（任意）",
                "input_message": "一覧から選んでください。意味は「記入要領」シートにあります。",
                "error_title": "選択肢にない値です",
                "error_message": f"{layout.FIELD_GRADE}は一覧（" + "・".join(grades) + "）から選んでください。",
            })
            ws.data_validation(first, COL_REASON, row - 1, COL_REASON,
                               length_rule(layout.FIELD_REASON, False, self.config.max_text_length))
        ws.freeze_panes(HEADER_ROW + 1, 1)
        self._print_setup(ws)

    def _progress_sheet(self) -> None:
        ws = self.wb.add_worksheet(SHEET_PROGRESS)
        labels = [c.label for c in self.config.progress_choices]
        self._table_head(ws, f"{fiscal_year_label(self.year)}実績　具体的な取組の進捗状況",
                         f"黄色のセルに記入。{layout.FIELD_PROGRESS}は一覧（{'・'.join(labels)}）から選択。"
                         "文章は任意（空欄可）。担当部署が複数の取組は、報告書の記載を1行に転記してください。",
                         PROGRESS_HEADERS, PROGRESS_WIDTHS)
        first = row = HEADER_ROW + 1
        for ini in self.plan.initiatives:
            names = layout.initiative_departments(self.plan, ini)
            for col, text in ((COL_INI_KEY, ini.id), (COL_INI_ITEM, ini.item_code), (COL_INI_TEXT, ini.display_text),
                              (COL_INI_DEPARTMENTS, names)):
                ws.write_string(row, col, text, self.look.cell)
            for col in (COL_PROGRESS, COL_RESULT, COL_ISSUES, COL_NEXT):
                ws.write_blank(row, col, None, self.look.input)
            ws.set_row(row, LINE_HEIGHT * max(wrapped_lines(ini.display_text, PROGRESS_WIDTHS[COL_INI_TEXT]),
                                              wrapped_lines(names, PROGRESS_WIDTHS[COL_INI_DEPARTMENTS]), 3))
            row += 1
        if row > first:
            ws.data_validation(first, COL_PROGRESS, row - 1, COL_PROGRESS, {
                "validate": "list",
                "source": labels,
                "input_title": f"{layout.FIELD_PROGRESS}（任意）",
                "input_message": "一覧から選んでください。意味は「記入要領」シートにあります。",
                "error_title": "選択肢にない値です",
                "error_message": f"{layout.FIELD_PROGRESS}は一覧（" + "・".join(labels) + "）から選んでください。",
            })
            for col, field_name in PROGRESS_TEXTS:
                ws.data_validation(first, col, row - 1, col, length_rule(field_name, False, self.config.max_text_length))
        ws.freeze_panes(HEADER_ROW + 1, 1)
        self._print_setup(ws)

    def _print_setup(self, ws) -> None:
        print_setup(ws, (HEADER_ROW, HEADER_ROW))

    def _identity_sheet(self) -> None:
        identity_sheet(self.wb, layout.SHEET_IDENTITY, transcript_identity(self.plan))
