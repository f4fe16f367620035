"""Stage: the table of the reference indicators (参考指標一覧) for the public release, as Excel and CSV.

総務省's rules for machine-readable tables: one datum per cell, numbers stored as numbers, the unit in
its own column, no merged cells in the data, 西暦 years; the title and the notes sit outside the table.
An empty cell means "no value" (the notes say why, and the 注記 column says so per indicator).

No text ever becomes a formula or a link: the workbook is written with xlsxwriter's string conversions
off and every cell by its type; in the CSV a text that a spreadsheet would read as a formula
(= + - @ tab CR at the start) gets a leading apostrophe (OWASP), while numbers are written as numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from pipeline.config import Config
from pipeline.files import XLSX_INERT_TEXT, Staging, csv_safe
from pipeline.fiscal import fiscal_year_label, fiscal_year_short, format_date_ja
from pipeline.plan import DECREASE, Indicator, Plan
from pipeline.report import achievement
from pipeline.report.data import ReportData
from pipeline.report.texts import judged_on_earlier_year, transcribed_sentence
from pipeline.textwidth import row_lines, wrap_to_width
from pipeline.values import clean_text, format_number

TABLE_NAME = "参考指標一覧"
SHEET_TABLE = "参考指標一覧"
SHEET_CHARTS = "推移グラフ"
SHEET_CHART_DATA = "グラフ用データ"
FONT = "游ゴシック"
HEADER_FILL = "#D9D9D9"
RATE_HEADER = "達成率(%)"
FIRST_ROW = 3            # the table's header row (0-based); title and date above it
LINE_HEIGHT = 15.0       # a row's height per line of its 10 pt text (points)
NOTE_MARGIN = 6          # a note's line is this much narrower than the table (display width): its indent, and air

Cell = str | int | float | None


@dataclass(frozen=True)
class IndicatorTable:
    """The table as plain values, in column order: what both the workbook and the CSV show."""

    year: int
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...]
    title: str


@dataclass(frozen=True)
class PublicTableFiles:
    xlsx: Path
    csv: Path


def public_file_name(year: int, suffix: str) -> str:
    """'参考指標一覧_R06_2024年度.xlsx'."""
    return f"{TABLE_NAME}_{fiscal_year_short(year)}_{year}年度{suffix}"


def headers(plan: Plan) -> tuple[str, ...]:
    return ("管理番号", "取組項目", "参考指標", "単位", "基準年度", "基準値", "目標年度", "目標値",
            *[f"{y}年度実績" for y in plan.years], RATE_HEADER, "判定", "注記")


def _number(value: float | None) -> int | float | None:
    """A stored figure as the number a person expects: 6794 not 6794.0."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def indicator_table(plan: Plan, data: ReportData, today: dt.date) -> IndicatorTable:
    """The rows of the table for the report's year: actuals of later years stay empty. The figures are the
    report's own (`ReportData.figures`)."""
    year, figures = data.year, data.figures
    rows = []
    for ind in plan.indicators:
        item = plan.item_by_code[ind.item_code]
        fig = figures[ind.item_code]
        result = fig.achievement
        yearly: list[Cell] = [_number(fig.actuals.get(y)) for y in plan.years]
        notes = [f"{y}年度実績: {why or '報告なし'}" for y, why in fig.missing.items()]
        notes = _indicator_notes(ind, result) + notes
        rows.append((
            ind.item_code, item.title, ind.name, ind.unit, ind.baseline_year, _number(ind.baseline),
            ind.target_year, _number(ind.target), *yearly, result.rate,
            fig.judgement, "。".join(notes) + ("。" if notes else ""),
        ))
    label = fiscal_year_label(year)
    table_notes = [
        "空欄は値がないことを示します（計画で基準値が「-」の指標の基準値、目標が「減少」の指標の目標値、"
        "実績の報告がない年度、達成率を算定しない指標）。理由は注記欄に記載しています。",
        "実績は各年度の値です（延べの指標も各年度の値で、累計は注記欄に記載しています）。",
        *achievement.METHOD,
        "判定: " + "　".join(f"{j}＝{meaning}" for j, meaning in achievement.JUDGEMENTS),
    ]
    if plan.baseline_note:
        table_notes.append(
            f"計画書の注記「{plan.baseline_note}」の指標は、基準年度を{plan.period_start}年度としています。"
        )
    if transcribed := transcribed_sentence(data):    # years done by hand before the tool, copied from their reports
        table_notes.append(transcribed + "転記していない実績は空欄です。")
    table_notes += [
        f"データの基準日: {format_date_ja(today)}（{label}実績の取りまとめ時点）",
        f"出典: {plan.title}（{plan.issued}）及び各部署の進捗状況調査（{plan.city}）",
    ]
    return IndicatorTable(
        year=year,
        headers=headers(plan),
        rows=tuple(rows),
        notes=tuple(table_notes),
        title=f"{TABLE_NAME}（{plan.title}　{label}実績）",
    )


def _indicator_notes(ind: Indicator, result: achievement.Achievement) -> list[str]:
    notes = []
    if ind.baseline is None:
        notes.append("基準値なし（計画で「-」）")
    if ind.baseline_marked:
        notes.append(f"基準値は{ind.baseline_year}年度の数値（計画書で「*」）")
    if ind.direction_only:
        notes.append("目標は「減少」（基準値を下回れば達成）" if ind.direction == DECREASE else "目標は「増加」")
    if ind.cumulative:
        total = f"、{result.value_year}年度までの累計 {format_number(result.value)}{ind.unit}" \
            if result.value is not None else ""
        notes.append(f"目標値は延べ（累計）{total}")
    earlier = judged_on_earlier_year(result)
    if earlier:
        notes.append(earlier)
    return notes


# --- Excel ----------------------------------------------------------------------------------------

def build_workbook(plan: Plan, table: IndicatorTable, today: dt.date) -> bytes:
    """The .xlsx bytes: the table sheet, a chart per indicator, the charts' data. Deterministic."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, XLSX_INERT_TEXT)
    wb.set_properties({
        "title": table.title,
        "subject": "参考指標の実績と達成率",
        "author": plan.city,
        "company": plan.city,
        "keywords": "行財政改革,参考指標,オープンデータ",
        "created": dt.datetime(today.year, today.month, today.day, 9, 0, 0),
    })
    _table_sheet(wb, plan, table, today)
    _chart_sheets(wb, plan, table)
    wb.close()
    return buffer.getvalue()


def _table_sheet(wb: xlsxwriter.Workbook, plan: Plan, table: IndicatorTable, today: dt.date) -> None:
    ws = wb.add_worksheet(SHEET_TABLE)
    base = {"font_name": FONT, "font_size": 10, "valign": "top"}
    border = {"border": 1, "border_color": "#808080"}
    f_title = wb.add_format({**base, "bold": True, "font_size": 14})
    f_sub = wb.add_format(base)
    f_text = wb.add_format({**base, **border, "text_wrap": True})
    f_code = wb.add_format({**base, **border, "align": "center"})
    f_year = wb.add_format({**base, **border, "num_format": "0", "align": "center"})
    f_number = wb.add_format({**base, **border, "num_format": "#,##0.###"})
    f_rate = wb.add_format({**base, **border, "num_format": "0.0"})
    f_header = wb.add_format({**base, **border, "bold": True, "bg_color": HEADER_FILL, "text_wrap": True,
                              "align": "center", "valign": "vcenter"})

    columns = table.headers
    year_cols = {i for i, h in enumerate(columns) if h.endswith("年度実績")}
    kinds = []
    for i, h in enumerate(columns):
        if h == "管理番号":
            kinds.append(("text", f_code, 8))
        elif h in ("基準年度", "目標年度"):
            kinds.append(("number", f_year, 8))
        elif h in ("基準値", "目標値") or i in year_cols:
            kinds.append(("number", f_number, 10))
        elif h == RATE_HEADER:
            kinds.append(("number", f_rate, 9))
        elif h in ("取組項目", "参考指標"):
            kinds.append(("text", f_text, 26))
        elif h == "注記":
            kinds.append(("text", f_text, 48))
        else:
            kinds.append(("text", f_text, 8))
    for col, (_kind, _fmt, width) in enumerate(kinds):
        ws.set_column(col, col, width)

    ws.write_string(0, 0, table.title, f_title)
    ws.write_string(1, 0, f"{plan.city}　作成日 {format_date_ja(today)}", f_sub)
    last_row = FIRST_ROW + len(table.rows)
    ws.add_table(FIRST_ROW, 0, last_row, len(columns) - 1, {
        "name": "参考指標",
        "style": "Table Style Light 1",
        "autofilter": False,
        "columns": [{"header": h, "header_format": f_header} for h in columns],
    })
    # every row as tall as its wrapped text (a long indicator name, the 注記 column), so that it prints whole
    widths = [width for _kind, _fmt, width in kinds]
    ws.set_row(FIRST_ROW, LINE_HEIGHT * max(2, row_lines(columns, widths)))
    for r, row in enumerate(table.rows, start=FIRST_ROW + 1):
        ws.set_row(r, LINE_HEIGHT * row_lines(row, widths))
        for c, value in enumerate(row):
            kind, fmt, _width = kinds[c]
            write_cell(ws, r, c, value, fmt)
    row = last_row + 2
    ws.write_string(row, 0, "注記", wb.add_format({**base, "bold": True}))
    # a note is cut into lines as wide as the table (a row each, in column A, running over the empty cells to
    # its right): one long line ran past the print area's last column and was cut off on paper. No merged
    # cell: the sheet stays machine-readable
    f_note = wb.add_format({**base, "font_size": 9})
    line = row + 1
    for n, note in enumerate(table.notes, 1):
        for k, text in enumerate(wrap_to_width(f"注{n}　{note}", sum(widths) - NOTE_MARGIN)):
            ws.write_string(line, 0, text if k == 0 else f"　　{text}", f_note)
            line += 1
    last_printed = line - 1

    ws.ignore_errors({"number_stored_as_text": f"A{FIRST_ROW + 2}:A{last_row + 1}"})
    ws.freeze_panes(FIRST_ROW + 1, 3)
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.repeat_rows(FIRST_ROW)
    ws.print_area(0, 0, last_printed, len(columns) - 1)
    ws.set_footer("&C&P / &N")
    ws.activate()


def write_cell(ws, row: int, col: int, value: Cell, fmt) -> None:
    """One datum by its type: numbers as numbers, text as inert text, nothing as an empty cell."""
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, str(value), fmt)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, clean_text(value).text, fmt)


def _course(ind: Indicator, row: Sequence[Cell], years: list[int], chart_years: list[int]) -> list[Cell]:
    """The 実績 series: the baseline, then each year's actual (累計 for a 延べ indicator)."""
    yearly = dict(zip(years, row, strict=True))
    out: list[Cell] = []
    running = 0.0
    for y in chart_years:
        if y == ind.baseline_year and ind.baseline is not None and not ind.cumulative:
            out.append(_number(ind.baseline))
            continue
        value = yearly.get(y)
        if ind.cumulative and y in yearly:
            if value is None:
                out.append(None)
                continue
            running += float(value)
            out.append(_number(running))
        else:
            out.append(value if isinstance(value, int | float) else None)
    return out


def _chart_sheets(wb: xlsxwriter.Workbook, plan: Plan, table: IndicatorTable) -> None:
    charts = wb.add_worksheet(SHEET_CHARTS)
    data = wb.add_worksheet(SHEET_CHART_DATA)
    f_title = wb.add_format({"font_name": FONT, "bold": True, "font_size": 14})
    f_text = wb.add_format({"font_name": FONT, "font_size": 10})
    f_head = wb.add_format({"font_name": FONT, "font_size": 10, "bold": True, "bg_color": HEADER_FILL,
                            "border": 1})
    f_num = wb.add_format({"font_name": FONT, "font_size": 10, "num_format": "#,##0.###", "border": 1})
    f_cell = wb.add_format({"font_name": FONT, "font_size": 10, "border": 1})
    years = list(plan.years)
    start = min([plan.period_start - 1, *(i.baseline_year for i in plan.indicators)])
    chart_years = list(range(start, plan.period_end + 1))
    head = ["管理番号", "参考指標", "系列", "単位", *[f"{y}年度" for y in chart_years]]
    for c, h in enumerate(head):
        data.write_string(0, c, h, f_head)
    data.set_column(0, 0, 9)
    data.set_column(1, 1, 40)
    data.set_column(2, 2, 22)
    data.set_column(3, 3, 6)
    data.set_column(4, 4 + len(chart_years), 10)
    first_year_col = table.headers.index(f"{years[0]}年度実績")

    charts.write_string(0, 0, f"参考指標の推移（{table.title}）", f_title)
    charts.write_string(1, 0, "実績（延べの指標は累計）と目標値。目標が「減少」の指標は基準値を線で示しています。"
                              "データは「グラフ用データ」シートにあります。", f_text)
    row = 1
    for n, (ind, values) in enumerate(zip(plan.indicators, table.rows, strict=True)):
        yearly = values[first_year_col:first_year_col + len(years)]
        course = _course(ind, yearly, years, chart_years)
        if ind.direction_only:
            level, label = ind.baseline, "基準値（下回れば達成）"
        else:
            level, label = ind.target, "目標値（延べ）" if ind.cumulative else "目標値"
        actual_label = "実績（累計）" if ind.cumulative else "実績"
        series_rows = (
            (actual_label, course),
            (label, [_number(level)] * len(chart_years)),
        )
        for name, series in series_rows:
            write_cell(data, row, 0, ind.item_code, f_cell)
            write_cell(data, row, 1, ind.name, f_cell)
            write_cell(data, row, 2, name, f_cell)
            write_cell(data, row, 3, ind.unit, f_cell)
            for c, v in enumerate(series, start=4):
                write_cell(data, row, c, v, f_num)
            row += 1
        chart = wb.add_chart({"type": "line"})
        last_col = 4 + len(chart_years) - 1
        for k in range(len(series_rows)):
            r = row - 2 + k
            options = {
                "name": [SHEET_CHART_DATA, r, 2],
                "categories": [SHEET_CHART_DATA, 0, 4, 0, last_col],
                "values": [SHEET_CHART_DATA, r, 4, r, last_col],
            }
            if k == 0:
                options.update({"marker": {"type": "circle", "size": 6}, "line": {"width": 2.25},
                                "data_labels": {"value": True, "position": "above",
                                                "font": {"name": FONT, "size": 8}}})
            else:
                options.update({"line": {"dash_type": "dash", "width": 1.5, "color": "#C00000"}})
            chart.add_series(options)
        chart.set_title({"name": f"{ind.item_code} {clean_text(ind.name).text}（{ind.unit}）",
                         "name_font": {"name": FONT, "size": 11, "bold": True}})
        chart.set_x_axis({"num_font": {"name": FONT, "size": 9}})
        chart.set_y_axis({"num_font": {"name": FONT, "size": 9}, "major_gridlines": {"visible": True,
                          "line": {"color": "#D9D9D9"}}, "min": 0,          # an honest axis: from zero, with its unit
                          "name": f"（{ind.unit}）", "name_font": {"name": FONT, "size": 9, "bold": False}})
        chart.set_legend({"position": "bottom", "font": {"name": FONT, "size": 9}})
        chart.show_blanks_as("gap")
        chart.set_size({"width": 520, "height": 300})
        shown = "、".join(f"{y}年度 {format_number(v)}{ind.unit}" for y, v in zip(chart_years, course, strict=True)
                          if isinstance(v, int | float))
        charts.insert_chart(3 + (n // 2) * 16, (n % 2) * 9, chart, {
            "description": (f"{ind.name}の推移の折れ線グラフ。{actual_label}: {shown or 'なし'}。{label}: "
                            f"{format_number(level) + ind.unit if level is not None else 'なし'}。"
                            "数値は「グラフ用データ」シートにあります。")[:255]})
    charts.set_paper(9)
    charts.set_landscape()
    charts.fit_to_pages(1, 0)
    charts.set_footer("&C&P / &N")


# --- CSV ------------------------------------------------------------------------------------------



def csv_text(value: Cell) -> str:
    """A cell as CSV text: numbers plainly, text inert (a leading ' where a spreadsheet sees a formula)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return csv_safe(clean_text(value).text)


def build_csv(table: IndicatorTable) -> bytes:
    """UTF-8 with BOM (so Excel reads it as UTF-8), CRLF line ends, header row first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([csv_text(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


# --- files ----------------------------------------------------------------------------------------

def stage_public_table(plan: Plan, config: Config, data: ReportData, today: dt.date,
                       staging: Staging) -> PublicTableFiles:
    """Stage the .xlsx and .csv for output/<year>/ (put in place when `staging` is published)."""
    folder = config.output_for(data.year)
    table = indicator_table(plan, data, today)
    files = PublicTableFiles(folder / public_file_name(data.year, ".xlsx"), folder / public_file_name(data.year, ".csv"))
    for path, content in ((files.xlsx, build_workbook(plan, table, today)), (files.csv, build_csv(table))):
        staging.stage(path, content)
    return files
