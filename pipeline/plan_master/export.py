"""Writing the plan master (計画マスタ): the whole plan as a workbook the secretariat edits in Excel.

`build_master` makes the bytes and touches no file. Every sheet is a plain table (one header row, frozen,
with an autofilter), each header cell carries a note saying what goes there, and where a value must come
from another sheet a dropdown offers it. Nothing is protected: the secretariat edits everything. The same
plan gives the same bytes. The layout is the contract with `importing` (`pipeline.plan_master.layout`).
"""

from __future__ import annotations

import datetime as dt
import io

import xlsxwriter

from pipeline.files import XLSX_INERT_TEXT
from pipeline.plan.model import DECREASE, Plan
from pipeline.plan_master import layout as master_layout
from pipeline.sheets import layout
from pipeline.sheets.look import LINE_HEIGHT, Look, label_rows
from pipeline.textwidth import wrapped_lines

SPARE_ROWS = 300              # rows below the data that the dropdowns still cover (rows typed in later)
MAX_ROW_LINES = 12            # a row grows with its text up to this many lines (the cell scrolls beyond)

# defined names over the lists the dropdowns offer; each grows with the rows typed below it (OFFSET/COUNTA)
NAME_DEPARTMENTS, NAME_SECTIONS, NAME_PILLARS = "DepartmentNames", "SectionNumbers", "PillarCodes"
NAME_ITEMS, NAME_INITIATIVES = "ItemCodes", "InitiativeIds"


def build_master(plan: Plan, author: str = "") -> bytes:
    """The plan master of `plan`, as bytes. `author`: the document's author (the secretariat)."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, XLSX_INERT_TEXT)
    _MasterWriter(wb, plan, author).write()
    wb.close()
    return buffer.getvalue()


class _MasterWriter:
    def __init__(self, wb: xlsxwriter.Workbook, plan: Plan, author: str):
        self.wb, self.plan, self.author = wb, plan, author
        self.look = look = Look(wb)
        self.f_text = look.boxed(num_format="@")
        self.f_number = look.boxed(align="right")
        # a whole number held as a float (100.0) keeps its decimal place, so the reader gives back a float
        self.f_float_whole = look.boxed(align="right", num_format="0.0")
        self.years = [str(y) for y in plan.years]
        self.last_row: dict[str, int] = {}     # sheet → the last row its dropdowns cover

    def write(self) -> None:
        wb, plan = self.wb, self.plan
        wb.set_properties({
            "title": f"{plan.title} 計画マスタ",
            "subject": "行財政改革 行動計画（計画マスタ）",
            "author": self.author or plan.city,
            "company": plan.city,
            "comments": "make plan-import で計画ファイル（TOML）にします。",
            # fixed, so that the same plan gives the same bytes
            "created": dt.datetime(plan.period_start, 4, 1, 9, 0, 0),
        })
        self._guide_sheet()
        self._plan_sheet()
        self._departments_sheet()
        self._sections_sheet()
        self._pillars_sheet()
        self._items_sheet()
        self._initiatives_sheet()
        self._indicators_sheet()
        self._revisions_sheet()
        self._exclusions_sheet()
        self._names()

    # --- 記入要領 ------------------------------------------------------------------------------------
    def _guide_sheet(self) -> None:
        ws = self.wb.add_worksheet(master_layout.SHEET_GUIDE)
        plan = self.plan
        ws.set_column(0, 0, 22)
        ws.set_column(1, 1, 100)
        ws.write_string(0, 0, f"{plan.title} 計画マスタ　記入要領", self.look.title)
        ws.write_string(1, 0, f"計画期間 {plan.period_start}〜{plan.period_end}年度（事務局が編集）", self.look.subtitle)
        rows = [
            ("この計画マスタ",
             "行動計画の全体（取組項目・具体的な取組・参考指標・部署）を表にしたものです。編集して保存し、"
             "make plan-import MASTER=計画マスタ.xlsx OUT=plan/計画.toml で計画ファイルにします。"
             "誤りがあれば、シートとセルの位置、値と直し方をすべて表示し、計画ファイルは作りません。"),
            (master_layout.SHEET_PLAN, "計画の名称・計画期間などを、A列の項目ごとにB列に記入します。"),
            (master_layout.SHEET_DEPARTMENTS, "計画に出てくるすべての部署（課・福祉事務所）。部署コードは調査票のファイル名に使います。"),
            (master_layout.SHEET_SECTIONS, "(1)(2) の節。"),
            (master_layout.SHEET_PILLARS, "取組方針の柱。節の欄は節シートの節番号です。"),
            (master_layout.SHEET_ITEMS,
             "取組項目（管理番号ごとに1行）。アウトカムと現状・課題は、セル内で改行して1行に1つ書きます。"),
            (master_layout.SHEET_INITIATIVES,
             "具体的な取組（計画の ➤ 1つに1行、行の順が計画の順）。計画期間の途中で始める・終える取組は、"
             "開始年度・終了年度と変更理由を記入します。"),
            (master_layout.SHEET_INDICATORS, "参考指標（取組項目ごとに1行、指標のない取組項目は行なし）。"),
            (master_layout.SHEET_REVISIONS,
             "計画期間の途中で取組の文章・担当部署・DX を変えるとき、適用年度ごとに1行。空欄の欄は変えません。"
             "変更は適用年度からの調査票と報告書に反映し、それより前の年度には影響しません。"),
            (master_layout.SHEET_EXCLUSIONS, "ある年度に評価しない（調査票で尋ねない）取組項目と、その理由。"),
            ("記入のしかた",
             "各表の1行目は見出しです（見出しのセルのメモに、記入することを書いています）。見出しの文字は変えないで"
             "ください。列の並べ替えや、メモ用の列の追加はできます。行は追加・削除できます。\n"
             "一覧（▼）から選ぶ欄は、ほかのシートの値から選びます（部署名、管理番号、柱番号、取組ID、年度、はい・いいえ）。"
             "担当部署は、一覧から1つ選んだあと「、」で区切って部署名を書き足せます。\n"
             "IDや番号（部署コード・管理番号・柱番号・取組ID）の列は文字列の書式です。数字のままにしておいてください。"),
        ]
        row = label_rows(ws, 3, rows, self.look, 100) + 1
        ws.write_string(row, 0, f"計画ID {plan.id}", self.look.note)
        self._print_setup(ws, header=False)
        ws.activate()

    # --- 計画: label / value rows --------------------------------------------------------------------
    def _plan_sheet(self) -> None:
        ws = self.wb.add_worksheet(master_layout.SHEET_PLAN)
        plan = self.plan
        ws.set_column(0, 0, 22)
        ws.set_column(1, 1, 80)
        self._headers(ws, [master_layout.Column(master_layout.PLAN_HEADERS[0], 22, "項目の名前（変えないでください）。"),
                           master_layout.Column(master_layout.PLAN_HEADERS[1], 80, "項目の内容。A列の項目のメモに、書くことを書いています。")])
        values = {
            "id": plan.id, "title": plan.title, "city": plan.city, "issued": plan.issued,
            "period_start": plan.period_start, "period_end": plan.period_end, "committee": plan.committee,
            "baseline_note": plan.baseline_note, "dx_note": plan.dx_note,
            "count_units": master_layout.SEPARATOR.join(plan.count_units),
        }
        for row, f in enumerate(master_layout.PLAN_FIELDS, 1):
            ws.write_string(row, 0, f.label, self.look.label)
            ws.write_comment(row, 0, f.note + ("（必須）" if f.required else ""), _COMMENT)
            value = values[f.key]
            if f.year:
                ws.write_number(row, 1, value, self.f_number)
            else:
                ws.write_string(row, 1, value, self.f_text)
                ws.set_row(row, LINE_HEIGHT * min(MAX_ROW_LINES, wrapped_lines(value, 80)))
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, len(master_layout.PLAN_FIELDS), 1)
        self._print_setup(ws)

    # --- the tables ------------------------------------------------------------------------------------
    def _departments_sheet(self) -> None:
        rows = [[d.code, d.name] for d in self.plan.departments]
        self._table(master_layout.SHEET_DEPARTMENTS, master_layout.DEPARTMENT_COLUMNS, rows)

    def _sections_sheet(self) -> None:
        rows = [[s.number, s.title] for s in self.plan.sections]
        self._table(master_layout.SHEET_SECTIONS, master_layout.SECTION_COLUMNS, rows)

    def _pillars_sheet(self) -> None:
        rows = [[p.code, p.section, p.title] for p in self.plan.pillars]
        ws = self._table(master_layout.SHEET_PILLARS, master_layout.PILLAR_COLUMNS, rows)
        self._choice(ws, master_layout.PILLAR_COLUMNS, master_layout.P_SECTION, f"={NAME_SECTIONS}", "節シートの節番号から選んでください。")

    def _items_sheet(self) -> None:
        plan = self.plan
        rows = [[
            item.code, item.pillar, item.title, master_layout.SEPARATOR.join(item.previous_plan),
            self._departments(item.departments, item.departments_etc), "\n".join(item.outcomes),
            "\n".join(item.issues), master_layout.yes_no(item.issues_etc), item.initiatives_label,
        ] for item in plan.items]
        ws = self._table(master_layout.SHEET_ITEMS, master_layout.ITEM_COLUMNS, rows)
        cols = master_layout.ITEM_COLUMNS
        self._choice(ws, cols, master_layout.I_PILLAR, f"={NAME_PILLARS}", "柱シートの柱番号から選んでください。")
        self._choice(ws, cols, master_layout.I_PREVIOUS, list(master_layout.PREVIOUS_CHOICES), "継続・新規・継続、新規 から選んでください。")
        self._departments_choice(ws, cols, master_layout.I_DEPARTMENTS)
        self._yes_no_choice(ws, cols, master_layout.I_ISSUES_ETC)
        self._choice(ws, cols, master_layout.I_LABEL, list(master_layout.LABEL_CHOICES), "一覧から選ぶか、見出しを記入してください。",
                     strict=False)

    def _initiatives_sheet(self) -> None:
        rows = [[
            ini.id, ini.item_code, ini.text, self._departments(ini.departments, ini.departments_etc),
            master_layout.yes_no(ini.dx), ini.start or None, ini.end or None, ini.reason,
        ] for ini in self.plan.initiatives]
        ws = self._table(master_layout.SHEET_INITIATIVES, master_layout.INITIATIVE_COLUMNS, rows)
        cols = master_layout.INITIATIVE_COLUMNS
        self._choice(ws, cols, master_layout.N_ITEM, f"={NAME_ITEMS}", "取組項目シートの管理番号から選んでください。")
        self._departments_choice(ws, cols, master_layout.N_DEPARTMENTS)
        self._yes_no_choice(ws, cols, master_layout.N_DX)
        for header in (master_layout.N_START, master_layout.N_END):
            self._choice(ws, cols, header, self.years, "計画期間の年度から選んでください（空欄なら期間の初め・終わり）。")

    def _indicators_sheet(self) -> None:
        plan = self.plan
        rows = []
        for item in plan.items:
            ind = item.indicator
            if ind is None:
                continue
            reporter = plan.department_name(ind.reporter) if ind.reporter else ""
            rows.append([
                item.code, ind.name, ind.unit, ind.baseline, ind.baseline_year, master_layout.yes_no(ind.baseline_marked),
                ind.target, ind.target_year, master_layout.DECREASE_WORD if ind.direction == DECREASE else master_layout.INCREASE_WORD,
                master_layout.yes_no(ind.cumulative), reporter,
            ])
        ws = self._table(master_layout.SHEET_INDICATORS, master_layout.INDICATOR_COLUMNS, rows)
        cols = master_layout.INDICATOR_COLUMNS
        self._choice(ws, cols, master_layout.K_ITEM, f"={NAME_ITEMS}", "取組項目シートの管理番号から選んでください。")
        self._yes_no_choice(ws, cols, master_layout.K_MARKED)
        self._choice(ws, cols, master_layout.K_TARGET_YEAR, self.years, "計画期間の年度から選んでください。")
        self._choice(ws, cols, master_layout.K_DIRECTION, [master_layout.INCREASE_WORD, master_layout.DECREASE_WORD], "増加 か 減少 を選んでください。")
        self._yes_no_choice(ws, cols, master_layout.K_CUMULATIVE)
        self._choice(ws, cols, master_layout.K_REPORTER, f"={NAME_DEPARTMENTS}", "部署シートの部署名から選んでください。")

    def _revisions_sheet(self) -> None:
        rows = []
        for ini in self.plan.initiatives:
            for r in ini.revisions:
                departments = ""
                if r.departments is not None or r.departments_etc is not None:
                    # the cell states who does it from that year on, whole: the names and the ほか in force
                    before = ini.as_of(r.year - 1)
                    codes = r.departments if r.departments is not None else before.departments
                    etc = r.departments_etc if r.departments_etc is not None else before.departments_etc
                    departments = self._departments(codes, etc)
                rows.append([ini.id, r.year, r.text or "", departments,
                             "" if r.dx is None else master_layout.yes_no(r.dx), r.reason])
        ws = self._table(master_layout.SHEET_REVISIONS, master_layout.REVISION_COLUMNS, rows)
        cols = master_layout.REVISION_COLUMNS
        self._choice(ws, cols, master_layout.R_ID, f"={NAME_INITIATIVES}", "具体的な取組シートの取組IDから選んでください。")
        self._choice(ws, cols, master_layout.R_YEAR, self.years, "計画期間の年度から選んでください。")
        self._departments_choice(ws, cols, master_layout.R_DEPARTMENTS)
        self._yes_no_choice(ws, cols, master_layout.R_DX)

    def _exclusions_sheet(self) -> None:
        rows = [[item.code, e.year, e.reason] for item in self.plan.items for e in item.excluded]
        ws = self._table(master_layout.SHEET_EXCLUSIONS, master_layout.EXCLUSION_COLUMNS, rows)
        cols = master_layout.EXCLUSION_COLUMNS
        self._choice(ws, cols, master_layout.X_ITEM, f"={NAME_ITEMS}", "取組項目シートの管理番号から選んでください。")
        self._choice(ws, cols, master_layout.X_YEAR, self.years, "計画期間の年度から選んでください。")

    # --- pieces ---------------------------------------------------------------------------------------
    def _departments(self, codes: tuple[str, ...], etc: bool) -> str:
        return master_layout.departments_cell([self.plan.department_name(c) for c in codes], etc)

    def _headers(self, ws, columns: tuple[master_layout.Column, ...] | list[master_layout.Column]) -> None:
        for col, column in enumerate(columns):
            ws.write_string(0, col, column.header, self.look.header)
            ws.write_comment(0, col, column.note + ("（必須）" if column.required else ""), _COMMENT)
        ws.set_row(0, LINE_HEIGHT * 2)

    def _table(self, sheet: str, columns: tuple[master_layout.Column, ...], rows: list[list[object]]):
        """A plain table: the header row with its notes, one row per thing, frozen header, autofilter, print
        setup. Text columns are in the text format, so what is typed in them stays text (01, 1101, 1-1)."""
        ws = self.wb.add_worksheet(sheet)
        self.last_row[sheet] = len(rows) + SPARE_ROWS
        for col, column in enumerate(columns):
            ws.set_column(col, col, column.width, self.f_text if column.text else None)
        self._headers(ws, columns)
        for r, values in enumerate(rows, 1):
            lines = 1
            for col, (column, value) in enumerate(zip(columns, values, strict=True)):
                self._cell(ws, r, col, value)
                if isinstance(value, str):
                    lines = max(lines, wrapped_lines(value, column.width))
            ws.set_row(r, LINE_HEIGHT * min(MAX_ROW_LINES, lines))
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)
        self._print_setup(ws)
        return ws

    def _cell(self, ws, row: int, col: int, value: object) -> None:
        if value is None or value == "":
            ws.write_blank(row, col, None, self.f_text)
        elif isinstance(value, str):
            ws.write_string(row, col, value, self.f_text)
        elif isinstance(value, float) and value.is_integer():
            ws.write_number(row, col, value, self.f_float_whole)
        else:
            ws.write_number(row, col, value, self.f_number)

    def _choice(self, ws, columns, header: str, source, message: str, *, strict: bool = True) -> None:
        col = next(i for i, c in enumerate(columns) if c.header == header)
        ws.data_validation(1, col, self.last_row[ws.name], col, {
            "validate": "list",
            "source": source,
            "input_title": header[:32],
            "input_message": message[:255],
            # a warning, not a stop, where a cell may hold more than one value or a text of its own
            "error_type": "stop" if strict else "information",
            "error_title": "一覧にない値です",
            "error_message": message[:255],
        })

    def _departments_choice(self, ws, columns, header: str) -> None:
        col = next(i for i, c in enumerate(columns) if c.header == header)
        ws.data_validation(1, col, self.last_row[ws.name], col, {
            "validate": "list",
            "source": f"={NAME_DEPARTMENTS}",
            "input_title": header[:32],
            "input_message": "一覧から部署を選べます。複数の部署は「、」で区切って書き足し、計画に「ほか」とあれば最後に「ほか」。",
            "error_type": "information",
            "error_title": "複数の部署・ほか",
            "error_message": "部署名が部署シートにあるか確かめてください（複数の部署は「、」で区切り、最後に「ほか」を付けられます）。",
        })

    def _yes_no_choice(self, ws, columns, header: str) -> None:
        self._choice(ws, columns, header, [master_layout.YES, master_layout.NO], "はい か いいえ を選んでください。")

    def _print_setup(self, ws, header: bool = True) -> None:
        ws.set_paper(9)          # A4
        ws.set_landscape()
        ws.fit_to_pages(1, 0)    # fit to width, as many pages down as needed
        ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        if header:
            ws.repeat_rows(0, 0)
        ws.set_footer("&C&A　&P / &N")

    def _names(self) -> None:
        """The dropdowns' lists: a column of another sheet, as far down as it is filled."""
        for name, sheet, col in (
            (NAME_DEPARTMENTS, master_layout.SHEET_DEPARTMENTS, 1),
            (NAME_SECTIONS, master_layout.SHEET_SECTIONS, 0),
            (NAME_PILLARS, master_layout.SHEET_PILLARS, 0),
            (NAME_ITEMS, master_layout.SHEET_ITEMS, 0),
            (NAME_INITIATIVES, master_layout.SHEET_INITIATIVES, 0),
        ):
            letter = layout.column_letter(col)
            self.wb.define_name(name, f"=OFFSET('{sheet}'!${letter}$2,0,0,MAX(1,COUNTA('{sheet}'!${letter}:${letter})-1),1)")


_COMMENT = {"author": "事務局", "x_scale": 2.5, "y_scale": 1.6}

