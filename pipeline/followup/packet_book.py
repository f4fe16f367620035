"""A return packet's workbook (差し戻し): the department's own return, opened with openpyxl, every problem cell
filled pink and commented with its message, and a first sheet (差し戻し指摘) listing the findings. Apart from
pipeline.followup.packets (which packets, where, in workers) so that openpyxl is loaded only when a run has
packets to make: a clean collect does not pay for it."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from pipeline.files import stamped_package
from pipeline.findings import Finding
from pipeline.sheets import layout
from pipeline.sheets.look import INPUT_FILL
from pipeline.textwidth import wrapped_lines

# Excel's own "bad" cell colour: clearly not the yellow of an input cell, and black text stays readable.
PACKET_FILL = "FFFFC7CE"
_PACKET_PATTERN = PatternFill(fill_type="solid", fgColor=PACKET_FILL)
PACKET_HEADERS = ("重要度", "コード", "シート", "セル", "場所", "項目", "値", "メッセージ")
_PACKET_WIDTHS = (8, 11, 8, 7, 12, 16, 28, 80)

# How a packet's comment begins; LibreOffice drops a comment's author when it re-saves, this text stays.
_OUR_COMMENT = re.compile(r"^【(?:エラー|警告)】[^\n]*（[A-Z]+_\d{3}）\n")

def build_packet(data: bytes, findings: list[Finding], header: list[str], *, author: str,
                 when: dt.datetime | None = None) -> bytes:
    """A copy of the workbook `data` with each finding's cell filled and commented, and a first sheet
    listing every finding under `header` (the lines of instructions). Touches no file.

    A workbook that is itself a packet (fixed in part and returned) is cleaned first: its list
    sheet, the comments by `author` and the pink fills go, so only this round's findings show."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    _undo_earlier_packet(wb, author)

    at_cell: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        target = _target_cell(wb, f)
        if target is not None:
            at_cell.setdefault((f.sheet, target.coordinate), []).append(f)
    for (sheet, coordinate), found in at_cell.items():
        cell = wb[sheet][coordinate]
        cell.fill = _PACKET_PATTERN
        text = _legal("\n\n".join(f"【{f.severity.label}】{f.title}（{f.code}）\n{f.message}" for f in found))
        cell.comment = Comment(text, author, height=min(400, 18 * wrapped_lines(text, 44) + 24), width=340)

    ws = wb.create_sheet(layout.SHEET_PACKET, 0)
    _packet_list(ws, findings, header)
    for other in wb.worksheets:
        other.sheet_view.tabSelected = False   # else Excel opens with the sheets grouped
    wb.active = 0
    ws.sheet_view.tabSelected = True

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue() if when is None else stamped_package(out.getvalue(), when)


def _target_cell(wb, f: Finding):
    """The cell a finding points at (the top-left cell when it lies in a merged range), or None."""
    if not (f.sheet and f.cell) or f.sheet not in wb.sheetnames:
        return None
    ws = wb[f.sheet]
    try:
        cell = ws[f.cell]
    except (ValueError, TypeError):
        return None
    if isinstance(cell, tuple):     # a range, not a cell
        return None
    for merged in ws.merged_cells.ranges:
        if f.cell in merged:
            return ws.cell(merged.min_row, merged.min_col)
    return cell


def _undo_earlier_packet(wb, author: str) -> None:
    if layout.SHEET_PACKET in wb.sheetnames:
        del wb[layout.SHEET_PACKET]
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                comment = cell.comment
                if comment is not None and (comment.author == author or _OUR_COMMENT.match(comment.text or "")):
                    cell.comment = None
                if _is_packet_fill(cell.fill):
                    # as the template has them: an input cell is yellow, a fixed cell has no fill
                    cell.fill = (PatternFill(fill_type=None) if cell.protection.locked
                                 else PatternFill(fill_type="solid", fgColor="FF" + INPUT_FILL.lstrip("#")))


def _is_packet_fill(fill) -> bool:
    rgb = getattr(getattr(fill, "fgColor", None), "rgb", None)
    return getattr(fill, "fill_type", None) == "solid" and isinstance(rgb, str) and rgb[-6:] == PACKET_FILL[-6:]


def _packet_list(ws, findings: list[Finding], header: list[str]) -> None:
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, line in enumerate(header, 1):
        _text(ws, row, 1, line).font = Font(bold=row == 1, size=13 if row == 1 else 11)
    top = len(header) + 2
    for col, (title, width) in enumerate(zip(PACKET_HEADERS, _PACKET_WIDTHS, strict=True), 1):
        _text(ws, top, col, title).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    for n, f in enumerate(findings, 1):
        place = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or "（ファイル全体）")
        values = (f.severity.label, f.code, f.sheet, f.cell, place, f.field, f.value, f.message)
        for col, value in enumerate(values, 1):
            _text(ws, top + n, col, value).alignment = wrap
        lines = max(wrapped_lines(str(v), w) for v, w in zip(values, _PACKET_WIDTHS, strict=True))
        ws.row_dimensions[top + n].height = 15 * min(lines, 10)
    ws.freeze_panes = ws.cell(top + 1, 1)
    ws.auto_filter.ref = f"A{top}:{get_column_letter(len(PACKET_HEADERS))}{top + max(len(findings), 1)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = f"{top}:{top}"        # the column headings on every printed page
    ws.oddFooter.center.text = "&P / &N"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def _text(ws, row: int, col: int, value: object):
    """Write `value` as a plain string: openpyxl would make a formula of a text starting with '='."""
    cell = ws.cell(row=row, column=col)
    cell.value = _legal("" if value is None else str(value))
    cell.data_type = "s"
    return cell


def _legal(text: str) -> str:
    """Without the control characters that an .xlsx cannot hold (a decoded _x0007_ would stop the save)."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


