"""The reminder list (督促リスト): the departments that have not returned, or must fix their return,
with their contact, the deadline and a ready-to-send reminder text."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import xlsxwriter

from pipeline.collect.returns import CollectResult
from pipeline.config import Config
from pipeline.files import XLSX_INERT_TEXT, made_on
from pipeline.fiscal import fiscal_year_label, fiscal_year_short, format_date_ja
from pipeline.followup.packets import PacketsResult
from pipeline.plan import Department, Plan
from pipeline.sheets import layout
from pipeline.survey.workbook import template_file_name
from pipeline.textwidth import wrapped_lines
from pipeline.vocabulary import MISSING, WITH_ERRORS, Arrival

CONTACT_NOT_SET = "連絡先が未設定です（config.toml の [department_contacts] に \"{code}\" = \"…\" を追加できます）。"


def reminder_list_name(year: int) -> str:
    """'督促リスト_R06_2024年度.xlsx'."""
    return f"督促リスト_{fiscal_year_short(year)}_{year}年度.xlsx"


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
    arrival: Arrival | None = None   # what came, when it could not be used: the text asks for the right thing

    @property
    def label(self) -> str:
        """The 状況 column: 未提出 / 要修正（差し戻し） / what came (前年度の様式で提出, ZIP の中にあります…)."""
        return self.arrival.label if self.arrival else self.status.to_chase


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
            arrival = result.arrivals.get(code)
            if arrival is not None:
                packet = ""     # the packet of a wrong form would only mark it: the letter asks for the right one
                text = arrival_text(plan, config, result.year, dept, arrival, file_name or "", today)
            else:
                text = reminder_text(plan, config, result.year, dept, status, today, errors=errors,
                                     warnings=warnings, packet_name=packet)
            out.append(Reminder(dept, status, config.department_contacts.get(code, ""), file_name or "", errors,
                                warnings, packet, text, arrival))
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
        where = (f"添付の「{packet_name}」のピンク色のセル（コメントに指摘の内容があります）と「{layout.SHEET_PACKET}」シートをご確認のうえ、"
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


def arrival_text(plan: Plan, config: Config, year: int, department: Department, arrival: Arrival, file_name: str,
                 today: dt.date) -> str:
    """What to do about what came from a department that could not be used: the letter that asks it for the
    right thing (this year's form, the workbook itself, the zip's password), or, where the secretariat can
    make it usable itself (a zip, a mail saved whole), what to do instead of writing to anyone."""
    if arrival is Arrival.NOT_READ_HERE:
        return f"【事務局の作業。{department.name}への督促は不要です】受付フォルダーの「{file_name}」を読めませんでした。{arrival.ask}"
    if arrival.by_secretariat:
        what = "ZIP ファイルを展開し、中の調査票" if arrival is Arrival.IN_ZIP else "メールを開き、添付の調査票"
        return (f"【事務局の作業。{department.name}への督促は不要です】受付フォルダーの「{file_name}」は{arrival.label}。"
                f"{what}をそのまま受付フォルダーに保存してから、もう一度 make collect を実行してください。")
    deadline = format_date_ja(config.deadline(year))
    overdue = today > config.deadline(year)
    template = template_file_name(plan, year, department)
    sent = {
        Arrival.LAST_YEARS_FORM: "前年度の調査票でした",
        Arrival.OTHER_YEARS_FORM: "今年度とは別の年度の調査票でした",
        Arrival.OTHER_PLANS_FORM: "別の計画の調査票でした",
        Arrival.OLD_FORM: "以前の版の調査票でした",
        Arrival.COPIED_SHEETS: "お送りした調査票のシートを別のブックに写したもので、取り込みに必要な情報（非表示のシート）がありませんでした",
        Arrival.IN_LOCKED_ZIP: "パスワード付きの ZIP ファイルで、開くことができませんでした",
        Arrival.UNREADABLE: "開くことができませんでした（パスワード付き、古い形式、壊れているなど）",
        Arrival.NOT_A_WORKBOOK: "調査票ではありませんでした",
    }[arrival]
    lines = [f"{department.name} 御中", "", f"いつもお世話になっております。{config.secretariat.name}です。",
             f"{fiscal_year_label(year)}の{plan.title} 進捗状況調査につきまして、ファイルをお送りいただき、ありがとうございました。",
             f"お送りいただいたファイル（{file_name}）は、{sent}。"]
    if arrival is Arrival.IN_LOCKED_ZIP:
        lines.append("お手数ですが、パスワードをお知らせいただくか、調査票を ZIP にせずにそのまま添付してお送りください。")
    else:
        lines.append(f"お手数ですが、{fiscal_year_label(year)}の調査票（{template}）に記入し、"
                     "パスワードを付けずに、そのファイルのままご提出ください（ファイルが見当たらない場合はお知らせください）。")
    lines += [f"提出期限の{deadline}を過ぎておりますので、至急お願いいたします。" if overdue
              else f"提出期限の{deadline}までにお願いいたします。",
              config.return_instructions, "", f"【問い合わせ先】{config.secretariat.contact_line}"]
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
    arrived = sum(r.arrival is not None for r in items)
    header = [
        f"{fiscal_year_label(year)} 進捗状況調査 督促リスト（{format_date_ja(today)}作成）",
        f"提出期限: {format_date_ja(deadline)}",
        f"事務局: {config.secretariat.contact_line}",
        f"未提出 {missing} 部署、要修正 {len(items) - missing} 部署"
        + (f"（うち、届いたが取り込めないもの {arrived} 部署: 状況の列のとおり）" if arrived else "")
        + "。督促文はそのままメールに貼り付けられます。",
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
        rows = [[r.department.code, r.department.name, r.label, format_date_ja(deadline), r.contact,
                 r.text, r.file_name, r.errors, r.warnings, r.packet_name,
                 "" if r.contact else CONTACT_NOT_SET.format(code=r.department.code)] for r in items]
        ws.add_table(top, 0, top + len(rows), len(headers) - 1, {
            "columns": [{"header": h} for h in headers], "data": rows, "style": "Table Style Light 9"})
        for n, r in enumerate(items, 1):
            ws.set_row(top + n, 15 * min(wrapped_lines(r.text, 70), 20))
        ws.freeze_panes(top + 1, 2)
        ws.repeat_rows(top)             # the column headings on every printed page
    ws.set_footer("&C&P / &N")
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    wb.close()
    return buffer.getvalue()


