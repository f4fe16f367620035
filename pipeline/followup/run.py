"""After collect: what the secretariat sends back and chases, and where the year stands.

- Return packets (差し戻し): for each department whose chosen return has findings, a copy of that very
  workbook with every problem cell filled pink and commented with its message, and a first sheet
  (差し戻し指摘) listing the findings — ready to mail back. The department fixes the copy and returns
  it; collect reads it like any return (the list sheet is expected, so it gives no SHEET_002).
- The reminder list (督促リスト): the departments that have not returned, or must fix their return,
  with their contact, the deadline and a ready-to-send reminder text.
- The year's status (`status` command): one screen from the store, as the last collect left it.

A returned file is untrusted: a packet is made in a worker process (as collect reads it), from the
bytes read from the inbox, after the same gate, and only when they are still the bytes collect
checked. Nothing is ever written into the inbox. Every text that came from a return or a message is
written as a plain string, never a formula.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from pipeline import isolation
from pipeline.collect import gate, inbox
from pipeline.collect.outputs import SEVERITY_LABEL
from pipeline.collect.run import CollectResult, FileOutcome, out_of_memory
from pipeline.config import Config, Limits
from pipeline.errors import UsageError, our_failure
from pipeline.files import XLSX_INERT_TEXT, Staging, made_on, stamped_package
from pipeline.findings import Finding
from pipeline.fiscal import fiscal_year_label, fiscal_year_short, format_date_ja
from pipeline.plan import Department, Plan
from pipeline.store import ACCEPTED, MISSING, REJECTED, RETURNED, WITH_ERRORS, Store
from pipeline.survey import layout as L
from pipeline.survey.workbook import INPUT_FILL
from pipeline.textwidth import display_width, wrapped_lines

PACKET_FOLDER = "差し戻し"
# Excel's own "bad" cell colour: clearly not the yellow of an input cell, and black text stays readable.
PACKET_FILL = "FFFFC7CE"
_PACKET_PATTERN = PatternFill(fill_type="solid", fgColor=PACKET_FILL)
PACKET_HEADERS = ("重要度", "コード", "シート", "セル", "場所", "項目", "値", "メッセージ")
_PACKET_WIDTHS = (8, 11, 8, 7, 12, 16, 28, 80)

# How a packet's comment begins; LibreOffice drops a comment's author when it re-saves, this text stays.
_OUR_COMMENT = re.compile(r"^【(?:エラー|警告)】[^\n]*（[A-Z]+_\d{3}）\n")

STATUS_LABEL = {RETURNED: "受理", WITH_ERRORS: "差し戻し", MISSING: "未提出"}
REMINDER_LABEL = {MISSING: "未提出", WITH_ERRORS: "要修正（差し戻し）"}
# Findings about how the secretariat chose among a department's returns: for the secretariat, not the department.
SECRETARIAT_ONLY = frozenset({"SUBM_004", "SUBM_005"})
CONTACT_NOT_SET = "連絡先が未設定です（config.toml の [department_contacts] に \"{code}\" = \"…\" を追加できます）。"


def packet_file_name(year: int, department: Department) -> str:
    """'R06_2024年度_05_情報政策課_差し戻し.xlsx'."""
    return f"{fiscal_year_short(year)}_{year}年度_{department.code}_{department.name}_{PACKET_FOLDER}.xlsx"


def reminder_list_name(year: int) -> str:
    """'督促リスト_R06_2024年度.xlsx'."""
    return f"督促リスト_{fiscal_year_short(year)}_{year}年度.xlsx"


# --- return packets: the workbook ------------------------------------------------------------------

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
        text = _legal("\n\n".join(f"【{SEVERITY_LABEL[str(f.severity)]}】{f.title}（{f.code}）\n{f.message}" for f in found))
        cell.comment = Comment(text, author, height=min(400, 18 * wrapped_lines(text, 44) + 24), width=340)

    ws = wb.create_sheet(L.SHEET_PACKET, 0)
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
    if L.SHEET_PACKET in wb.sheetnames:
        del wb[L.SHEET_PACKET]
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
        values = (SEVERITY_LABEL[str(f.severity)], f.code, f.sheet, f.cell, place, f.field, f.value, f.message)
        for col, value in enumerate(values, 1):
            _text(ws, top + n, col, value).alignment = wrap
        lines = max(wrapped_lines(str(v), w) for v, w in zip(values, _PACKET_WIDTHS, strict=True))
        ws.row_dimensions[top + n].height = 15 * min(lines, 10)
    ws.freeze_panes = ws.cell(top + 1, 1)
    ws.auto_filter.ref = f"A{top}:{get_column_letter(len(PACKET_HEADERS))}{top + max(len(findings), 1)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
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


def packet_header(config: Config, year: int, department: Department, file_name: str) -> list[str]:
    """The instructions at the top of the 差し戻し指摘 sheet."""
    return [
        f"差し戻し指摘　{fiscal_year_label(year)} 進捗状況調査票（{department.name}）",
        f"ご提出いただいた調査票（{file_name}）に、修正または確認が必要な箇所があります。",
        "1. ピンク色のセルが指摘のあるセルです。内容はセルのコメント（マウスを重ねると表示）と下の一覧にあります。",
        "2. このファイルの各シートで、指摘のあるセルを直してください（黄色の入力欄と同じように入力できます）。"
        "このファイルをそのまま使い、このシートも消さずに残して構いません。",
        f"3. 直したこのファイルを、提出期限 {format_date_ja(config.deadline(year))} までに返送してください"
        f"（期限を過ぎている場合はできるだけ早く）。{config.return_instructions}",
        "「エラー」は直さないと受理できません。「警告」は内容を確認し、問題がなければそのままで構いません。",
        f"問い合わせ先: {config.secretariat.contact_line}",
    ]


# --- return packets: which, where, in workers ---------------------------------------------------------

@dataclass(frozen=True)
class PacketJob:
    """One packet to make: picklable, sent to a worker."""

    department: str
    source: inbox.InboxFile   # the return in the inbox (read, never written)
    sha256: str                # the bytes collect checked
    findings: tuple[Finding, ...]
    header: tuple[str, ...]
    packet_name: str
    author: str
    limits: Limits
    password: str | None
    when: dt.datetime | None = None    # the packet's stamp (the day it is made), so a rerun gives the same bytes


@dataclass(frozen=True)
class PacketOutcome:
    department: str
    packet_name: str
    data: bytes | None
    problem: str = ""      # why there is no packet


def packet_jobs(plan: Plan, config: Config, result: CollectResult, today: dt.date) -> list[PacketJob]:
    """A job for each department whose chosen return (the one the roster points to) has findings
    for the department to see (how the secretariat chose among its returns is not one of them)."""
    by_name = {o.file_name: o for o in result.files}
    jobs = []
    for code, (_status, file_name) in sorted(result.roster.items()):
        outcome: FileOutcome | None = by_name.get(file_name) if file_name else None
        if outcome is None or code not in plan.department_by_code:
            continue
        findings = tuple(f for f in outcome.findings if f.code not in SECRETARIAT_ONLY)
        if not findings:
            continue
        dept = plan.department_by_code[code]
        jobs.append(PacketJob(
            department=code, source=outcome.source, sha256=outcome.sha256, findings=findings,
            header=tuple(packet_header(config, result.year, dept, outcome.file_name)),
            packet_name=packet_file_name(result.year, dept), author=config.secretariat.name,
            limits=config.limits, password=config.workbook_password, when=made_on(today),
        ))
    return jobs


def make_packet(job: PacketJob) -> PacketOutcome:
    """Read the return again, check it is what collect checked, and build its packet (in a worker)."""
    def refused(problem: str) -> PacketOutcome:
        return PacketOutcome(job.department, job.packet_name, None, problem)

    data, found = inbox.read_stable(job.source.path, job.limits, name=job.source.relative)
    if data is None:
        return refused(found[0].message if found else "ファイルを読めません。")
    if hashlib.sha256(data).hexdigest() != job.sha256:
        return refused("点検の後にファイルが変わりました。もう一度 collect を実行してください。")
    inspection = gate.inspect_workbook(data, job.source.relative, job.limits, job.password)
    if inspection.workbook is None:
        return refused(inspection.findings[0].message if inspection.findings else "ファイルを開けません。")
    try:
        packet = build_packet(inspection.workbook, list(job.findings), list(job.header), author=job.author,
                              when=job.when)
    except Exception as exc:  # openpyxl may refuse what calamine read: no packet, the run goes on
        return refused(f"openpyxl で開けないため作れません（{type(exc).__name__}: {str(exc)[:100]}）。")
    return PacketOutcome(job.department, job.packet_name, packet)


@dataclass
class PacketsResult:
    folder: Path
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)            # packets of an earlier run no longer needed
    refused: dict[str, str] = field(default_factory=dict)        # department → why it has no packet
    names: dict[str, str] = field(default_factory=dict)          # department → packet file name (written)


def stage_packets(
    plan: Plan, config: Config, result: CollectResult, staging: Staging,
    progress: Callable[[int, int, str], None] | None = None,
    inline: bool = False,
    today: dt.date | None = None,
) -> PacketsResult:
    """Make this run's packets for output/<year>/差し戻し/ and stage them; the packets of an earlier run
    that this run does not make go when `staging` is published (listed in `removed`)."""
    folder = config.output_for(result.year) / PACKET_FOLDER
    out = PacketsResult(folder)
    jobs = packet_jobs(plan, config, result, today or dt.date.today())
    if inline:
        results = isolation.run_inline(make_packet, jobs)
    else:
        results = isolation.run_isolated(make_packet, jobs, workers=config.workers,
                                         memory_bytes=config.limits.worker_memory_bytes,
                                         timeout=config.limits.worker_timeout_seconds)
    try:
        for n, (job, outcome) in enumerate(results, 1):
            if isinstance(outcome, isolation.WorkerFailure):
                if outcome.kind == "error" and not out_of_memory(outcome):
                    # our code raised, not the return: stop, as collect does
                    raise our_failure(outcome.error, outcome.detail, doing=f"差し戻しファイル {job.packet_name} の作成中")
                out.refused[job.department] = f"作成中に処理が異常終了しました（{outcome.detail}）。"
            elif outcome.data is None:
                out.refused[job.department] = outcome.problem
            else:
                out.written.append(staging.stage(folder / outcome.packet_name, outcome.data))
                out.names[job.department] = outcome.packet_name
            if progress:
                progress(n, len(jobs), job.packet_name)
    finally:
        results.close()
    out.written.sort()
    # Only names this tool gives, so a file someone put here is never touched.
    ours = {packet_file_name(result.year, d) for d in plan.departments}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.name in ours and path not in out.written and path.is_file():
                staging.remove_on_publish(path)
                out.removed.append(path)
    return out


def write_packets(
    plan: Plan, config: Config, result: CollectResult,
    progress: Callable[[int, int, str], None] | None = None,
    inline: bool = False,
    today: dt.date | None = None,
) -> PacketsResult:
    """Write output/<year>/差し戻し/ for this run, and remove the packets this run did not write."""
    with Staging() as staging:
        out = stage_packets(plan, config, result, staging, progress=progress, inline=inline, today=today)
        staging.publish()
    return out


# --- the reminder list -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reminder:
    department: Department
    status: str                 # MISSING or WITH_ERRORS
    contact: str                # "" when not configured
    file_name: str
    errors: int
    warnings: int
    packet_name: str            # "" when there is no packet
    text: str                   # the message to send


def reminders(plan: Plan, config: Config, result: CollectResult, packets: PacketsResult | None,
              today: dt.date) -> list[Reminder]:
    """The departments to chase: those that have not returned, then those whose return must be fixed."""
    by_name = {o.file_name: o for o in result.files}
    out = []
    for wanted in (MISSING, WITH_ERRORS):
        for code, (status, file_name) in sorted(result.roster.items()):
            if status != wanted or code not in plan.department_by_code:
                continue
            dept = plan.department_by_code[code]
            outcome = by_name.get(file_name) if file_name else None
            errors = sum(f.is_error for f in outcome.findings) if outcome else 0
            warnings = sum(not f.is_error for f in outcome.findings) if outcome else 0
            packet = packets.names.get(code, "") if packets else ""
            text = reminder_text(plan, config, result.year, dept, status, today, errors=errors, warnings=warnings,
                                 packet_name=packet)
            out.append(Reminder(dept, status, config.department_contacts.get(code, ""), file_name or "", errors,
                                warnings, packet, text))
    return out


def reminder_text(plan: Plan, config: Config, year: int, department: Department, status: str, today: dt.date,
                  *, errors: int = 0, warnings: int = 0, packet_name: str = "") -> str:
    """A polite reminder to paste into a mail (督促 for a missing return, 差し戻し for one to fix)."""
    deadline = format_date_ja(config.deadline(year))
    overdue = today > config.deadline(year)
    when = (f"提出期限の{deadline}を過ぎておりますので、お手数ですが、至急ご提出くださいますようお願いいたします。"
            if overdue else f"お忙しいところ恐れ入りますが、提出期限の{deadline}までにご提出くださいますようお願いいたします。")
    lines = [f"{department.name} 御中", "", f"いつもお世話になっております。{config.secretariat.name}です。"]
    survey = f"{fiscal_year_label(year)}の{plan.title} 進捗状況調査"
    if status == MISSING:
        lines += [
            f"{survey}につきまして、{department.name}の調査票のご提出をまだ確認できておりません。",
            when,
            "既にご提出いただいている場合は、行き違いのご容赦をお願いいたします。",
        ]
    else:
        where = (f"添付の「{packet_name}」のピンク色のセル（コメントに指摘の内容があります）と「{L.SHEET_PACKET}」シートをご確認のうえ、"
                 "そのファイルを修正してご提出ください。" if packet_name
                 else "指摘の内容は回収状況の一覧（指摘一覧）のとおりです。調査票を修正してご提出ください。")
        lines += [
            f"{survey}の調査票をご提出いただき、ありがとうございました。",
            f"点検の結果、修正が必要な箇所がありましたので、差し戻しいたします（エラー {errors} 件、警告 {warnings} 件）。",
            where,
            when,
        ]
    lines += [config.return_instructions, "", f"【問い合わせ先】{config.secretariat.contact_line}"]
    return "\n".join(lines)


def reminder_workbook(plan: Plan, config: Config, year: int, items: list[Reminder], today: dt.date,
                      notes: tuple[str, ...] | list[str] = ()) -> bytes:
    """督促リスト: the deadline and the secretariat's contact, then one row per department to chase."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, XLSX_INERT_TEXT)
    wb.set_properties({"title": f"{fiscal_year_label(year)} 進捗状況調査 督促リスト", "author": config.secretariat.name,
                       "created": made_on(today)})
    title = wb.add_format({"bold": True, "font_size": 13})
    plain = wb.add_format({"text_wrap": False})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    ws = wb.add_worksheet("督促リスト")
    deadline = config.deadline(year)
    missing = sum(r.status == MISSING for r in items)
    header = [
        f"{fiscal_year_label(year)} 進捗状況調査 督促リスト（{format_date_ja(today)}作成）",
        f"提出期限: {format_date_ja(deadline)}",
        f"事務局: {config.secretariat.contact_line}",
        f"未提出 {missing} 部署、要修正 {len(items) - missing} 部署。督促文はそのままメールに貼り付けられます。",
        *notes,
    ]
    for row, line in enumerate(header):
        ws.write_string(row, 0, line, title if row == 0 else plain)
    top = len(header) + 1
    if not items:
        ws.write_string(top, 0, "未提出・要修正の部署はありません。", plain)
    else:
        headers = ["部署コード", "部署", "状況", "提出期限", "連絡先", "督促文", "提出されたファイル", "エラー", "警告",
                   "差し戻しファイル", "備考"]
        widths = [10, 16, 16, 30, 28, 70, 36, 7, 7, 44, 40]
        for col, width in enumerate(widths):
            ws.set_column(col, col, width, wrap)
        rows = [[r.department.code, r.department.name, REMINDER_LABEL[r.status], format_date_ja(deadline), r.contact,
                 r.text, r.file_name, r.errors, r.warnings, r.packet_name,
                 "" if r.contact else CONTACT_NOT_SET.format(code=r.department.code)] for r in items]
        ws.add_table(top, 0, top + len(rows), len(headers) - 1, {
            "columns": [{"header": h} for h in headers], "data": rows, "style": "Table Style Light 9"})
        for n, r in enumerate(items, 1):
            ws.set_row(top + n, 15 * min(wrapped_lines(r.text, 70), 20))
        ws.freeze_panes(top + 1, 2)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    wb.close()
    return buffer.getvalue()


# --- after a collect run -------------------------------------------------------------------------------

@dataclass
class FollowupResult:
    packets: PacketsResult
    reminder_list: Path
    reminders: list[Reminder]
    missing: list[Department]
    notes: list[str] = field(default_factory=list)     # what the secretariat should know (a packet not made, …)

    def summary_lines(self) -> list[str]:
        """What collect prints after its own summary; the last line names the missing departments."""
        lines = []
        if self.packets.written:
            lines.append(f"  {self.packets.folder}/ （差し戻しファイル {len(self.packets.written)} 件）")
        lines.append(f"  {self.reminder_list}")
        lines.append(missing_line(self.missing))
        return lines


def missing_line(missing: list[Department]) -> str:
    if not missing:
        return "未提出の部署はありません。"
    return f"未提出 {len(missing)} 部署: " + "、".join(f"{d.name}（{d.code}）" for d in missing)


def stage_followup(
    plan: Plan, config: Config, result: CollectResult, staging: Staging,
    progress: Callable[[int, int, str], None] | None = None,
    today: dt.date | None = None,
    inline: bool = False,
) -> FollowupResult:
    """Make the year's return packets and its reminder list for output/<year>/ and stage them."""
    today = today or dt.date.today()
    packets = stage_packets(plan, config, result, staging, progress=progress, inline=inline, today=today)
    notes = [f"{plan.department_name(code)}（{code}）の差し戻しファイルを作れませんでした: {why}"
             for code, why in sorted(packets.refused.items())]
    unknown = sorted(set(config.department_contacts) - set(plan.department_by_code))
    if unknown:
        notes.append(f"設定 [department_contacts] の部署コード {', '.join(unknown)} は計画にありません。")
    items = reminders(plan, config, result, packets, today)
    path = staging.stage(config.output_for(result.year) / reminder_list_name(result.year),
                         reminder_workbook(plan, config, result.year, items, today, notes))
    missing = [r.department for r in items if r.status == MISSING]
    return FollowupResult(packets, path, items, missing, notes)


def write_followup(
    plan: Plan, config: Config, result: CollectResult,
    progress: Callable[[int, int, str], None] | None = None,
    today: dt.date | None = None,
    inline: bool = False,
) -> FollowupResult:
    """Write the year's return packets and its reminder list into output/<year>/, all or none."""
    with Staging() as staging:
        followup = stage_followup(plan, config, result, staging, progress=progress, today=today, inline=inline)
        staging.publish()
    return followup


# --- the year's status, from the store ---------------------------------------------------------------

@dataclass(frozen=True)
class DepartmentStatus:
    code: str
    name: str
    status: str               # RETURNED / WITH_ERRORS / MISSING
    file_name: str
    errors: int
    warnings: int

    @property
    def label(self) -> str:
        return STATUS_LABEL[self.status]


@dataclass(frozen=True)
class YearStatus:
    year: int
    deadline: dt.date
    today: dt.date
    departments: tuple[DepartmentStatus, ...]
    to_confirm: tuple[str, ...] = ()     # departments whose choice among several returns needs a look

    def count(self, status: str) -> int:
        return sum(d.status == status for d in self.departments)

    @property
    def all_accepted(self) -> bool:
        return all(d.status == RETURNED for d in self.departments)

    @property
    def days_left(self) -> int:
        """Days until the deadline (negative when it has passed)."""
        return (self.deadline - self.today).days

    def lines(self) -> list[str]:
        """One screen: a row per department, the totals, the deadline and the days left."""
        out = [f"{fiscal_year_label(self.year)} 進捗状況調査の提出状況（最後の collect の結果）", ""]
        table = [("コード", "部署", "状況", "エラー", "警告", "ファイル")] + [
            (d.code, d.name, d.label, str(d.errors), str(d.warnings), d.file_name or "—") for d in self.departments]
        widths = [max(display_width(row[col]) for row in table) for col in range(len(table[0]) - 1)]
        for row in table:
            out.append(_row(row, widths, numbers=(3, 4)))
        out += [
            "",
            f"受理 {self.count(RETURNED)}、差し戻し {self.count(WITH_ERRORS)}、未提出 {self.count(MISSING)}"
            f"（全 {len(self.departments)} 部署）。提出された回答のエラー {sum(d.errors for d in self.departments)} 件、"
            f"警告 {sum(d.warnings for d in self.departments)} 件。",
            f"提出期限: {format_date_ja(self.deadline)}　" + (
                f"あと {self.days_left} 日" if self.days_left > 0 else
                "本日が期限です" if self.days_left == 0 else f"期限を {-self.days_left} 日過ぎています"),
        ]
        if self.to_confirm:
            out.append(f"採用の判断に要確認: {'、'.join(self.to_confirm)}（回収状況の「採用の判断」シートを確認し、"
                       "必要なら採用の指定ファイルに1行書いて collect し直してください）")
        return out


def _row(cells: tuple[str, ...], widths: list[int], numbers: tuple[int, ...] = ()) -> str:
    """Columns padded to `widths` in display width (全角 counts 2), numbers right-aligned; the last one free."""
    parts = []
    for col, (text, width) in enumerate(zip(cells, widths, strict=False)):
        pad = " " * (width - display_width(text))
        parts.append(pad + text if col in numbers else text + pad)
    return "  ".join([*parts, cells[-1]]).rstrip()


def year_status(plan: Plan, config: Config, store: Store, year: int, today: dt.date) -> YearStatus:
    """The year as the last collect stored it. Raises UsageError when it was never collected."""
    if not store.has_year(year):
        raise never_collected(year)
    chosen = {s.department_code: s for s in store.submissions(year)
              if s.department_code and s.status in (ACCEPTED, REJECTED)}
    rows = []
    for code, status in sorted(store.roster(year).items()):
        s = chosen.get(code) if status != MISSING else None
        name = plan.department_name(code) if code in plan.department_by_code else ""
        rows.append(DepartmentStatus(code, name, status, s.file_name if s else "", s.errors if s else 0,
                                     s.warnings if s else 0))
    doubtful = {f[3] for f in store.findings(year) if f[1] == "SUBM_004"}
    return YearStatus(year, config.deadline(year), today, tuple(rows), tuple(sorted(doubtful)))


def never_collected(year: int) -> UsageError:
    return UsageError(f"{year}年度はまだ回収（collect）していません。先に python -m pipeline collect --year {year} を実行してください。")
