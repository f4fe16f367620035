"""The committee's register (委員会意見・優良事例の記録票): the workbook the secretariat types the
行財政改革推進委員会's opinions on year Y's report into, and the good practices it named.

`build_register` makes the workbook's bytes and touches no file; `write_register` writes it into
opinions/<year>/ and refuses to overwrite a register someone may be filling in unless told to. The sheet
names, columns and identity keys below are the contract with `pipeline.committee.intake`, which reads the
register back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from pipeline.config import Config
from pipeline.errors import AlreadyExistsError
from pipeline.files import XLSX_INERT_TEXT, Staging
from pipeline.fiscal import fiscal_year_label, fiscal_year_short
from pipeline.intake.inbox import WORKBOOK_EXTENSIONS
from pipeline.plan import Plan, YearPlan
from pipeline.records.opinions import GENERAL, GENERAL_TITLE
from pipeline.sheets import layout
from pipeline.sheets.look import (
    FONT,
    FONT_SIZE,
    INPUT_FILL,
    LINE_HEIGHT,
    PREVIOUS_FILL,
    Look,
    identity_sheet,
    label_rows,
    length_rule,
    print_setup,
)
from pipeline.sheets.properties import describe_workbook

REGISTER_SCHEMA = "1"
REGISTER_KIND = "committee_register"   # the identity's kind: not a department's workbook
ID_KIND = "kind"
NAME_MARK = "委員会意見"                 # every register's file name holds it (how collect finds the register)

SHEET_OPINIONS = "委員会意見"
SHEET_PRACTICES = "優良事例"
SHEET_LISTS = "_lists"                  # hidden: the dropdowns' lists and the titles shown beside a choice

HEADER_ROW = 3                          # 0-based: the title, the subtitle and a note above it
FIRST_ROW = HEADER_ROW + 1
OPINION_ROWS = 30                       # enough for one meeting
PRACTICE_ROWS = 20

HEADER_NUMBER = "番号"
FIELD_ITEM = "管理番号"
FIELD_ITEM_TITLE = "取組項目"
FIELD_TEXT = "意見"
FIELD_DEPARTMENT = "対応部署"
FIELD_MEMBER = "委員名"
FIELD_DATE = "会議日"
COL_NUMBER, COL_ITEM, COL_ITEM_TITLE, COL_TEXT, COL_DEPARTMENT, COL_MEMBER, COL_DATE = range(7)
OPINION_HEADERS = (HEADER_NUMBER, f"{FIELD_ITEM} ※", FIELD_ITEM_TITLE, f"{FIELD_TEXT} ※", FIELD_DEPARTMENT,
                   FIELD_MEMBER, FIELD_DATE)
OPINION_WIDTHS = (6, 10, 28, 60, 16, 14, 12)

FIELD_INITIATIVE = "取組ID"
FIELD_INITIATIVE_TEXT = "具体的な取組"
FIELD_REASON = "紹介の理由"
COL_INITIATIVE, COL_INITIATIVE_TEXT, COL_REASON = 1, 2, 3
PRACTICE_HEADERS = (HEADER_NUMBER, f"{FIELD_INITIATIVE} ※", FIELD_INITIATIVE_TEXT, f"{FIELD_REASON} ※")
PRACTICE_WIDTHS = (6, 12, 60, 60)

# the defined names over the hidden lists (dropdown sources and lookup tables)
NAME_ITEM_CODES, NAME_ITEM_TABLE = "ItemCodes", "ItemTable"
NAME_INITIATIVE_IDS, NAME_INITIATIVE_TABLE = "InitiativeIds", "InitiativeTable"
NAME_DEPARTMENTS = "DepartmentNames"

MEMBER_LIMIT = 100   # characters of a member's name (the dropdown's length rule; collect: max_text_length)


def register_file_name(year: int) -> str:
    """'R06_2024年度_委員会意見・優良事例.xlsx'."""
    return f"{fiscal_year_short(year)}_{year}年度_{NAME_MARK}・{SHEET_PRACTICES}.xlsx"


def is_register_name(name: str) -> bool:
    """A file in opinions/<year>/ that collect takes for the register: a workbook (by its extension) whose
    name holds 委員会意見, not a lock or hidden file (~$…, .…)."""
    name = unicodedata.normalize("NFC", name)
    return (not name.startswith(("~$", ".")) and NAME_MARK in name
            and Path(name).suffix.lower() in WORKBOOK_EXTENSIONS)


def registers_in(folder: Path) -> list[Path]:
    """The registers in `folder`, by name (none when it does not exist)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if is_register_name(p.name) and p.is_file())


def register_id(plan: YearPlan) -> str:
    """A stable ID for the register of one year of the plan as it stood that year."""
    key = "|".join((plan.id, plan.digest, str(plan.year), REGISTER_KIND, REGISTER_SCHEMA))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def register_identity(plan: YearPlan) -> dict[str, str]:
    """What the hidden identity sheet (and the custom document properties) say: read back by collect."""
    year = plan.year
    return {
        layout.ID_SCHEMA: REGISTER_SCHEMA,
        ID_KIND: REGISTER_KIND,
        layout.ID_PLAN: plan.id,
        layout.ID_PLAN_DIGEST: plan.digest,
        layout.ID_YEAR: str(year),
        layout.ID_TEMPLATE: register_id(plan),
    }


@dataclass(frozen=True)
class RegisterWritten:
    year: int
    path: Path
    opinion_rows: int
    practice_rows: int


def write_register(plan: Plan, config: Config, year: int, force: bool = False) -> RegisterWritten:
    """Write the year's register into opinions/<year>/; refuse without `force` when a register is there
    already (it may hold what the secretariat typed)."""
    plan = plan.for_year(year)    # the items and initiatives of the year whose report the register is on
    folder = config.opinions_for(year)
    path = folder / register_file_name(year)
    existing = registers_in(folder)
    if existing and not force:
        names = "、".join(p.name for p in existing)
        raise AlreadyExistsError(
            f"{folder} に委員会意見の記録票が既にあります（{names}）。記入した内容を守るため上書きしません。"
            f"作り直すときは make opinions-template YEAR={year} FORCE=1 を実行してください"
            "（コマンドでは --force。記入済みの内容は消えます）。"
        )
    data = build_register(plan, config, year)
    with Staging() as staging:
        staging.stage(path, data)
        staging.publish()
    return RegisterWritten(year, path, OPINION_ROWS, PRACTICE_ROWS)


def build_register(plan: YearPlan, config: Config, year: int) -> bytes:
    """The register for the committee's opinions on year `year`'s report, as bytes. The same plan, config
    and year give the same bytes."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, XLSX_INERT_TEXT)
    _RegisterWriter(wb, plan, config, year).write()
    wb.close()
    return buffer.getvalue()


class _RegisterWriter:
    def __init__(self, wb: xlsxwriter.Workbook, plan: Plan, config: Config, year: int):
        self.wb, self.plan, self.config, self.year = wb, plan, config, year
        self.departments = plan.surveyed_departments()
        self.look = look = Look(wb)     # the department workbooks' look
        self.f_number = look.boxed(align="center")
        self.f_shown = look.boxed(bg_color=PREVIOUS_FILL, font_size=9)   # grey: display only
        # text format (@): what is typed or picked stays text (1101 not a number, 2101-01 not a date, 05 not 5)
        self.f_input = look.boxed(locked=False, bg_color=INPUT_FILL, num_format="@")
        self.f_input_date = look.boxed(locked=False, bg_color=INPUT_FILL, num_format="yyyy/m/d", align="left")
        self.f_list = wb.add_format({"font_name": FONT, "font_size": FONT_SIZE, "num_format": "@"})

    def write(self) -> None:
        wb, plan, year = self.wb, self.plan, self.year
        describe_workbook(
            wb, year=year, title=f"{fiscal_year_label(year)} {plan.title} 委員会意見・優良事例 記録票",
            subject="行財政改革 委員会意見・優良事例", author=self.config.secretariat.name, company=plan.city,
            comments=f"記録票ID {register_id(plan)}", identity=register_identity(plan),
        )
        self._guide_sheet()
        self._opinions_sheet()
        self._practices_sheet()
        self._lists_sheet()
        self._identity_sheet()

    # --- 記入要領 ------------------------------------------------------------------------------------
    def _guide_sheet(self) -> None:
        ws = self.wb.add_worksheet(layout.SHEET_GUIDE)
        cfg, plan, year = self.config, self.plan, self.year
        ws.set_column(0, 0, 22)
        ws.set_column(1, 1, 90)
        ws.write_string(0, 0, f"{plan.title} 委員会意見・優良事例 記録票　記入要領", self.look.title)
        ws.write_string(1, 0, f"{fiscal_year_label(year)}実績の進捗状況報告書について（事務局が記入）", self.look.subtitle)
        rows = [
            ("対象", f"{fiscal_year_label(year)}実績の進捗状況報告書に対する{plan.committee}の意見と、"
                     "委員会が紹介した優良事例"),
            ("記入する人", f"事務局（{cfg.secretariat.name}）"),
            ("委員会意見シート",
             "1行に1つの意見を記入します。\n"
             f"{FIELD_ITEM}は一覧から選んでください（計画全体への意見は「{GENERAL}」）。"
             f"{FIELD_ITEM_TITLE}の欄に、選んだ{FIELD_ITEM}の項目名が表示されます（確認用、記入不要）。\n"
             f"{FIELD_DEPARTMENT}を空欄にすると、その取組項目の主担当課が対応します。"
             f"「{GENERAL}」のときは{FIELD_DEPARTMENT}を必ず選んでください。部署名の代わりに部署コード（下の表）も使えます。\n"
             f"{FIELD_MEMBER}・{FIELD_DATE}は任意です（{FIELD_DATE}の例: {year + 1}/7/15）。"),
            ("優良事例シート",
             f"{FIELD_INITIATIVE}を一覧から選び、{FIELD_REASON}を記入してください。"
             f"{FIELD_INITIATIVE_TEXT}の欄に、選んだ取組の内容が表示されます（確認用、記入不要）。"),
            ("意見の番号",
             f"意見は「{year}-01」のように、年度と行の「{HEADER_NUMBER}」で番号が付き、翌年度からの調査票で"
             "部署に対応状況を尋ねます。取り込んだ後に行を入れ替えたり、別の意見で上書きしたりしないでください。"),
            ("取り込み",
             f"記入後、保存してから make opinions-collect YEAR={year} を実行してください。"
             "誤りがあればシートとセルの位置、直し方を表示します。直して保存し、もう一度実行してください"
             "（その年度の意見と優良事例を、記録票の内容で置き換えます）。"),
            ("記入のしかた",
             "黄色のセルだけに記入してください（他のセルは保護されています）。\n"
             "シート名の変更、行・列の追加や削除、シートの保護の解除はしないでください。\n"
             f"文章は1項目 {cfg.max_text_length} 文字以内で記入してください。"),
        ]
        row = label_rows(ws, 3, rows, self.look, 90) + 1
        ws.write_string(row, 0, "部署コード", self.look.header)
        ws.write_string(row, 1, f"部署名（{FIELD_DEPARTMENT}の一覧）", self.look.header)
        for n, d in enumerate(self.departments, row + 1):
            ws.write_string(n, 0, d.code, self.look.label)
            ws.write_string(n, 1, d.name, self.look.cell)
        row += len(self.departments) + 2
        ws.write_string(row, 0, f"記録票ID {register_id(plan)}（様式 {REGISTER_SCHEMA}）", self.look.note)
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.6, right=0.6, top=0.7, bottom=0.7)
        ws.protect("", {"format_columns": True, "format_rows": True})
        ws.activate()

    # --- the two input sheets --------------------------------------------------------------------------
    def _table_head(self, ws, title: str, note: str, headers: tuple[str, ...], widths: tuple[int, ...]) -> None:
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        ws.write_string(0, 0, title, self.look.title)
        ws.write_string(1, 0, f"{self.plan.committee}（{fiscal_year_label(self.year)}実績の報告書について）",
                        self.look.subtitle)
        ws.write_string(2, 0, note, self.look.note)
        for col, header in enumerate(headers):
            ws.write_string(HEADER_ROW, col, header, self.look.header)
        ws.set_row(HEADER_ROW, LINE_HEIGHT * 2)

    def _opinions_sheet(self) -> None:
        ws = self.wb.add_worksheet(SHEET_OPINIONS)
        self._table_head(
            ws, f"{fiscal_year_label(self.year)}実績　委員会意見",
            f"黄色のセルに記入。{FIELD_ITEM}・{FIELD_DEPARTMENT}は一覧から選択。{FIELD_DEPARTMENT}が空欄のときは"
            f"取組項目の主担当課が対応します（「{GENERAL}」は{FIELD_DEPARTMENT}が必須）。",
            OPINION_HEADERS, OPINION_WIDTHS)
        last = FIRST_ROW + OPINION_ROWS - 1
        for n, row in enumerate(range(FIRST_ROW, last + 1), 1):
            ws.write_number(row, COL_NUMBER, n, self.f_number)
            for col in (COL_ITEM, COL_TEXT, COL_DEPARTMENT, COL_MEMBER):
                ws.write_blank(row, col, None, self.f_input)
            ws.write_blank(row, COL_DATE, None, self.f_input_date)
            key = f"${layout.column_letter(COL_ITEM)}{row + 1}"
            ws.write_formula(row, COL_ITEM_TITLE, _lookup(key, NAME_ITEM_TABLE, "（一覧にない管理番号）"),
                             self.f_shown, "")
            ws.set_row(row, LINE_HEIGHT * 4)
        items = f"{FIELD_ITEM}（必須）"
        ws.data_validation(FIRST_ROW, COL_ITEM, last, COL_ITEM, {
            "validate": "list",
            "source": f"={NAME_ITEM_CODES}",
            "input_title": items,
            "input_message": f"一覧から取組項目の{FIELD_ITEM}を選んでください（計画全体への意見は「{GENERAL}」）。",
            "error_title": "一覧にない管理番号です",
            "error_message": f"{FIELD_ITEM}は一覧から選んでください（計画全体への意見は「{GENERAL}」）。",
        })
        ws.data_validation(FIRST_ROW, COL_TEXT, last, COL_TEXT, length_rule(FIELD_TEXT, True,
                                                                                  self.config.max_text_length))
        ws.data_validation(FIRST_ROW, COL_DEPARTMENT, last, COL_DEPARTMENT, {
            "validate": "list",
            "source": f"={NAME_DEPARTMENTS}",
            "input_title": f"{FIELD_DEPARTMENT}（任意）",
            "input_message": f"一覧から選んでください。空欄なら取組項目の主担当課です（「{GENERAL}」は必須）。",
            # a warning, not a stop: a department's code may be typed instead of its name
            "error_type": "warning",
            "error_title": "一覧にない部署です",
            "error_message": "一覧から部署名を選んでください。部署コードを記入したときは「はい」で続けてください。",
        })
        ws.data_validation(FIRST_ROW, COL_MEMBER, last, COL_MEMBER, length_rule(FIELD_MEMBER, False,
                                                                                      MEMBER_LIMIT))
        ws.data_validation(FIRST_ROW, COL_DATE, last, COL_DATE, {
            "validate": "date",
            "criteria": ">=",
            "value": dt.date(self.plan.period_start, 4, 1),
            "input_title": f"{FIELD_DATE}（任意）",
            "input_message": f"委員会の開催日を記入してください（例: {self.year + 1}/7/15）。",
            "error_title": "日付を記入してください",
            "error_message": f"{FIELD_DATE}は {self.year + 1}/7/15 のように日付で記入してください。",
        })
        ws.freeze_panes(FIRST_ROW, 0)
        self._print_setup(ws)

    def _practices_sheet(self) -> None:
        ws = self.wb.add_worksheet(SHEET_PRACTICES)
        self._table_head(
            ws, f"{fiscal_year_label(self.year)}実績　優良事例（委員会が紹介した取組）",
            f"黄色のセルに記入。{FIELD_INITIATIVE}は一覧から選択。翌年度の調査票で全部署に紹介します。",
            PRACTICE_HEADERS, PRACTICE_WIDTHS)
        last = FIRST_ROW + PRACTICE_ROWS - 1
        for n, row in enumerate(range(FIRST_ROW, last + 1), 1):
            ws.write_number(row, COL_NUMBER, n, self.f_number)
            ws.write_blank(row, COL_INITIATIVE, None, self.f_input)
            ws.write_blank(row, COL_REASON, None, self.f_input)
            key = f"${layout.column_letter(COL_INITIATIVE)}{row + 1}"
            ws.write_formula(row, COL_INITIATIVE_TEXT, _lookup(key, NAME_INITIATIVE_TABLE, "（一覧にない取組ID）"),
                             self.f_shown, "")
            ws.set_row(row, LINE_HEIGHT * 3)
        ws.data_validation(FIRST_ROW, COL_INITIATIVE, last, COL_INITIATIVE, {
            "validate": "list",
            "source": f"={NAME_INITIATIVE_IDS}",
            "input_title": f"{FIELD_INITIATIVE}（必須）",
            "input_message": f"一覧から優良事例の{FIELD_INITIATIVE}を選んでください（例: 1101-01）。",
            "error_title": "一覧にない取組IDです",
            "error_message": f"{FIELD_INITIATIVE}は一覧から選んでください。",
        })
        ws.data_validation(FIRST_ROW, COL_REASON, last, COL_REASON, length_rule(FIELD_REASON, True,
                                                                                      self.config.max_text_length))
        ws.freeze_panes(FIRST_ROW, 0)
        self._print_setup(ws)

    def _print_setup(self, ws) -> None:
        print_setup(ws, (HEADER_ROW, HEADER_ROW))

    # --- hidden: the lists, the identity ----------------------------------------------------------
    def _lists_sheet(self) -> None:
        """What the dropdowns offer and the titles shown beside a choice (display only: collect reads the
        plan, never this sheet)."""
        ws = self.wb.add_worksheet(SHEET_LISTS)
        items = [(GENERAL, GENERAL_TITLE)] + [(i.code, i.title) for i in self.plan.items]
        initiatives = [(ini.id, ini.display_text) for ini in self.plan.initiatives]
        departments = [(d.name, d.code) for d in self.departments]
        tables = (
            (0, (FIELD_ITEM, FIELD_ITEM_TITLE), items, NAME_ITEM_CODES, NAME_ITEM_TABLE),
            (3, (FIELD_INITIATIVE, FIELD_INITIATIVE_TEXT), initiatives, NAME_INITIATIVE_IDS, NAME_INITIATIVE_TABLE),
            (6, ("部署名", "部署コード"), departments, NAME_DEPARTMENTS, None),
        )
        for col, headers, rows, list_name, table_name in tables:
            ws.write_string(0, col, headers[0], self.f_list)
            ws.write_string(0, col + 1, headers[1], self.f_list)
            for row, (key, text) in enumerate(rows, 1):
                ws.write_string(row, col, key, self.f_list)
                ws.write_string(row, col + 1, text, self.f_list)
            first, last = layout.column_letter(col), layout.column_letter(col + 1)
            end = max(len(rows), 1) + 1
            self.wb.define_name(list_name, f"='{SHEET_LISTS}'!${first}$2:${first}${end}")
            if table_name:
                self.wb.define_name(table_name, f"='{SHEET_LISTS}'!${first}$2:${last}${end}")
        ws.protect()
        ws.hide()

    def _identity_sheet(self) -> None:
        identity_sheet(self.wb, layout.SHEET_IDENTITY, register_identity(self.plan))


def _lookup(key: str, table: str, unknown: str) -> str:
    """A formula that shows the title of the code in `key` (blank when empty), for the eye only."""
    return f'=IF({key}="","",IFERROR(VLOOKUP({key},{table},2,FALSE),"{unknown}"))'
