"""What collect writes for people and machines: the status workbook and findings.csv.

Every text that came from a return is written as a plain string: never a formula, a link or a number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import xlsxwriter

from pipeline.collect import choice
from pipeline.collect.returns import CollectResult
from pipeline.files import XLSX_INERT_TEXT, Staging, csv_safe, made_on
from pipeline.findings import Finding
from pipeline.fiscal import fiscal_year_label, fiscal_year_short
from pipeline.plan import Plan
from pipeline.textwidth import row_lines
from pipeline.vocabulary import MISSING

MAX_ROW_LINES = 20      # a row grows with its text up to this many lines
CSV_HEADER = ("severity", "code", "file", "sheet", "cell", "field", "message")


def findings_csv(findings: list[Finding]) -> bytes:
    """UTF-8 CSV with header severity,code,file,sheet,cell,field,message (cell empty for whole-file findings)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for f in findings:
        writer.writerow([csv_safe(str(getattr(f, k))) for k in CSV_HEADER])
    return buffer.getvalue().encode("utf-8")


def status_workbook_name(year: int) -> str:
    return f"回収状況_{fiscal_year_short(year)}_{year}年度.xlsx"


def status_workbook(plan: Plan, result: CollectResult, today: dt.date) -> bytes:
    """提出状況 (one row per department), 指摘一覧 (every finding, filterable), ファイル一覧."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, XLSX_INERT_TEXT)
    wb.set_properties({"title": f"{fiscal_year_label(result.year)} 進捗状況調査 回収状況", "author": plan.city,
                       "created": made_on(today)})
    title = wb.add_format({"bold": True, "font_size": 13})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})

    errors_by_file: dict[str, int] = {}
    warnings_by_file: dict[str, int] = {}
    for f in result.findings:
        target = errors_by_file if f.is_error else warnings_by_file
        target[f.file] = target.get(f.file, 0) + 1

    ws = wb.add_worksheet("提出状況")
    ws.write_string(0, 0, f"{fiscal_year_label(result.year)} 進捗状況調査 提出状況", title)
    rows = []
    for d in plan.surveyed_departments():
        status, file = result.roster.get(d.code, (MISSING, None))
        arrival = result.arrivals.get(d.code)
        rows.append([d.code, d.name, arrival.label if arrival else status.label, file or "",
                     errors_by_file.get(file, 0) if file else 0, warnings_by_file.get(file, 0) if file else 0])
    _table(ws, 2, ["部署コード", "部署", "状況", "採用したファイル", "エラー", "警告"], rows, [10, 18, 18, 60, 8, 8], wrap)

    ws = wb.add_worksheet("指摘一覧")
    ws.write_string(0, 0, "指摘一覧（フィルターで部署・ファイル・重要度を絞り込めます）", title)
    rows = [[f.severity.label, f.code, f.title, f.department, f.file, f.sheet, f.cell, f.field,
             f.value, f.message] for f in result.findings]
    _table(ws, 2, ["重要度", "コード", "内容", "部署", "ファイル", "シート", "セル", "項目", "値", "メッセージ"], rows,
           [8, 10, 18, 16, 40, 8, 7, 14, 24, 80], wrap)

    ws = wb.add_worksheet("ファイル一覧")
    ws.write_string(0, 0, "受付フォルダーのファイル", title)
    rows = [[o.file_name, plan.department_name_or(o.department),
             o.status.label, o.saved_at or "", o.saved_by or "", o.received_at, o.size, o.sha256]
            for o in result.files]
    _table(ws, 2, ["ファイル", "部署", "扱い", "ブックの最終保存日時", "保存したソフト", "受付日時", "サイズ", "SHA-256"],
           rows, [50, 16, 18, 22, 24, 22, 10, 66], wrap)

    _choices_sheet(wb.add_worksheet("採用の判断"), plan, result, title, wrap)
    wb.close()
    return buffer.getvalue()


def _choices_sheet(ws, plan: Plan, result: CollectResult, title, wrap) -> None:
    """Each department that sent different returns: every candidate with its times as written and as
    understood, which one counts and why, and the line that would make another one count."""
    path = result.choices_file
    ws.write_string(0, 0, "採用の判断（同じ部署から内容の違う回答が複数あった部署）", title)
    ws.write_string(1, 0, f"採用の指定ファイル: {path}" + ("" if path is None or path.exists() else "（まだありません）")
                    + "。別のファイルを採用するときは、右端の列の行をこのファイルに書いて、"
                    f"もう一度 make collect YEAR={result.year} を実行してください。")
    rows = []
    for code, decision in sorted(result.choices.items()):
        for c in decision.candidates:
            rows.append([
                code, plan.department_name(code), c.file_name, "採用" if c.file_name == decision.chosen else "不採用",
                c.saved_at or "", c.saved_by or "", choice.shown(choice.saved_time(c)),
                choice.shown(choice.parse_time(c.received_at)), "あり" if c.has_errors else "なし",
                decision.rule, decision.doubt, choice.choice_line(code, c.file_name),
            ])
    _table(ws, 3, ["部署コード", "部署", "ファイル", "扱い", "最終保存日時（ブックの記録）", "保存したソフト",
                   "最終保存日時（日本時間）", "受付日時（日本時間）", "エラー", "判断の理由", "要確認の点", "採用の指定に書く行"],
           rows, [10, 16, 40, 8, 22, 20, 22, 22, 7, 36, 60, 50], wrap)


def _table(ws, top: int, headers: list[str], rows: list[list], widths: list[int], wrap) -> None:
    for col, width in enumerate(widths):
        ws.set_column(col, col, width, wrap)
    data = [[("" if v is None else v) for v in row] for row in rows]
    for n, row in enumerate(data, 1):      # as tall as the wrapped text, so that a printed row shows it whole
        ws.set_row(top + n, 15 * row_lines(row, widths, MAX_ROW_LINES))
    ws.add_table(top, 0, top + max(len(data), 1), len(headers) - 1, {
        "columns": [{"header": h} for h in headers],
        "data": data or [[""] * len(headers)],
        "style": "Table Style Light 9",
    })
    ws.freeze_panes(top + 1, 0)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(top)
    ws.set_footer("&C&P / &N")


def stage_collect_outputs(plan: Plan, result: CollectResult, folder: Path, staging: Staging,
                          today: dt.date) -> list[Path]:
    """Stage the status workbook and findings.csv for `folder` (put in place when `staging` is published)."""
    book_path = staging.stage(folder / status_workbook_name(result.year), status_workbook(plan, result, today))
    csv_path = staging.stage(folder / "findings.csv", findings_csv(result.findings))
    return [book_path, csv_path]


def write_collect_outputs(plan: Plan, result: CollectResult, folder: Path, today: dt.date | None = None) -> list[Path]:
    """Write the status workbook and findings.csv into `folder`, both or neither."""
    with Staging() as staging:
        paths = stage_collect_outputs(plan, result, folder, staging, today or dt.date.today())
        staging.publish()
    return paths
