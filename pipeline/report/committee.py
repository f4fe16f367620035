"""The report's chapter on the committee's loop: how the departments answered the committee's opinions in the
year's workbooks (委員会意見への対応状況), and the good practices named on the previous year's report that
every workbook showed (優良事例).

An opinion is listed in year T's report when T's workbooks asked about it: given on an earlier report and
not settled (対応済 / 対応しない) before T. Those settled by T's own answer are listed too, once; the others
are asked again in T+1. The opinions are grouped by action item in the charter's order, 全般 first.
"""

from __future__ import annotations

from collections import Counter

from docx.enum.text import WD_ALIGN_PARAGRAPH

from pipeline.fiscal import fiscal_year_label
from pipeline.records.opinions import GENERAL, Opinion, OpinionState, Response, answer_in, item_title
from pipeline.report import style, wordml
from pipeline.report.builder import text_of
from pipeline.report.wording import breakdown
from pipeline.report.writer import ReportWriter
from pipeline.vocabulary import ResponseStatus

CHAPTER = "委員会意見への対応"
RESPONSES = "委員会意見への対応状況"
PRACTICES = "優良事例（庁内で共有した取組）"
UNANSWERED = ResponseStatus.UNANSWERED.label     # 回答なし
STATUS_ORDER = (*ResponseStatus.choices(), ResponseStatus.UNANSWERED)
EARLIER_CHARS = 30      # how much of an earlier answer's 対応内容 the table repeats


def write_chapter(w: ReportWriter, number: int, *, width: int, dash: str, group_fill: str) -> None:
    """Chapter `number` of the report, written with the report's writer on pages `width` twips wide;
    `dash` is the report's word for "nothing", `group_fill` the shade of a row heading the rows below it."""
    w.heading(f"{number} {CHAPTER}", 1)
    w.para(
        f"{w.committee_name}から報告書に対して受けた意見について、担当部署の対応状況を報告します。"
        "また、同委員会が優良事例として紹介した取組を示します。"
    )
    w.heading(f"(1) {RESPONSES}", 2)
    _responses(w, width, dash, group_fill)
    w.heading(f"(2) {PRACTICES}", 2)
    _practices(w, width, dash)


def status_counts(asked: list[OpinionState] | tuple[OpinionState, ...], year: int) -> Counter:
    """How many of the opinions asked in `year` were answered with each 対応状況 (none recorded: 回答なし)."""
    return Counter(_status(s, year) for s in asked)


def _status(state: OpinionState, year: int) -> ResponseStatus:
    answer = answer_in(state, year)
    return answer.status if answer is not None else ResponseStatus.UNANSWERED


def _responses(w: ReportWriter, width: int, dash: str, group_fill: str) -> None:
    year, data, committee = w.year, w.data, w.committee_name
    asked = data.opinions
    if not asked:
        if data.opinions_before:
            w.para(f"{year - 1}年度までの報告に対する{committee}の意見{data.opinions_before}件は、いずれも"
                   f"{year - 1}年度までに対応済み又は対応しないとの回答があり、{fiscal_year_label(year)}に"
                   "対応状況を尋ねた意見はありません。")
        else:
            w.para(f"{year - 1}年度までの報告に対する{committee}の意見はないため、対応状況の報告はありません。")
        return

    counts = status_counts(asked, year)
    settled = sum(n for status, n in counts.items() if status.settles)
    still_open = len(asked) - settled
    w.para(
        f"{year - 1}年度までの報告に対する{committee}の意見のうち、{year}年度の初めに対応が完了していなかった"
        f"{len(asked)}件について、{fiscal_year_label(year)}の調査票で担当部署に対応状況と対応内容を尋ねました。"
    )
    statuses = breakdown(((status.label, counts[status]) for status in STATUS_ORDER), "件")
    # the open ones: "対応済・対応しないの2件を除く3件は", or, when none was settled, "これらの3件はいずれも"
    open_ones = (f"{ResponseStatus.DONE.label}・{ResponseStatus.DECLINED.label}の{settled}件を除く{still_open}件は"
                 if settled else f"これらの{still_open}件はいずれも")
    if still_open and year >= w.plan.period_end:
        carry = f"{open_ones}、計画期間の最終年度を終えても対応が完了していません。次の計画での扱いを検討します。"
    elif still_open:
        carry = f"{open_ones}、{year + 1}年度の調査票でも引き続き対応状況を尋ねます。"
    else:
        carry = f"すべての意見の対応が完了し、{year + 1}年度に引き続き尋ねる意見はありません。"
    w.para(f"{year}年度の対応状況は、{statuses}です。{carry}", keep_with_next=True)

    t = w.table((1.1, 1.2, 1.8, 4.0, 1.1, 4.0, 2.4), width)
    w.row(t, ("意見番号", "対象の報告", "担当部署", "委員会の意見", f"対応状況\n（{year}年度）",
              f"対応内容\n（{year}年度）", "これまでの回答"), header=True)
    center = {0: WD_ALIGN_PARAGRAPH.CENTER, 1: WD_ALIGN_PARAGRAPH.CENTER, 4: WD_ALIGN_PARAGRAPH.CENTER}
    item = None
    for state in asked:
        opinion = state.opinion
        if opinion.item_code != item:
            item = opinion.item_code
            r = w.row(t, ("",) * 7)
            merged = w.merge(r, 0, 6, _item_text(w, opinion), fill=group_fill)
            for p in merged.p_lst:
                wordml.keep_with_next(p)     # the item's title stays with its first opinion
        answer = answer_in(state, year)
        earlier = [_earlier_text(r) for r in state.responses if r.year < year]
        w.row(t, (opinion.id, f"{opinion.year}年度", _department(w, opinion.department_code), opinion.text,
                  _status(state, year).label, (answer.text if answer else "") or dash, earlier or dash),
              align=center, split=True)
    w.para(
        "注）意見は取組項目ごとに計画の順（計画全体に関する意見を最初）に並べています。"
        f"「{UNANSWERED}」は、調査票の提出がない、差し戻し中である、又は対応状況の記入がないことを示します。"
        "「これまでの回答」は前年度までの対応状況です。", style.NOTE,
    )


def _practices(w: ReportWriter, width: int, dash: str) -> None:
    year, plan, committee = w.year, w.plan, w.committee_name
    practices = w.data.practices
    if not practices:
        w.para(f"{year - 1}年度の報告に対して、{committee}が優良事例として紹介した取組はありません。")
        return
    w.para(
        f"{year - 1}年度の報告に対して{committee}が優良事例として紹介し、{fiscal_year_label(year)}の調査票で"
        f"全部署に共有した取組（{len(practices)}件）です。", keep_with_next=True,
    )
    t = w.table((1.2, 5.0, 2.2, 5.0), width)
    w.row(t, ("取組番号", "具体的な取組", "担当部署", "紹介の理由"), header=True)
    for practice in practices:
        ini = plan.initiative_by_id.get(practice.initiative_id)
        text = ini.display_text if ini else dash
        departments = w.departments_text(ini.departments, ini.departments_etc) if ini else dash
        w.row(t, (practice.initiative_id, text, departments, practice.reason or dash),
              align={0: WD_ALIGN_PARAGRAPH.CENTER}, split=True)


def _item_text(w: ReportWriter, opinion: Opinion) -> str:
    """'1101 窓口の…' or '全般 計画全体'; an item the plan no longer has shows its code alone."""
    code = opinion.item_code
    if code != GENERAL and code not in w.plan.item_by_code:
        return code
    return f"{code} {item_title(w.plan, code)}"


def _department(w: ReportWriter, code: str) -> str:
    return w.plan.department_name_or(code, code)


def _earlier_text(response: Response) -> str:
    """'2024年度 対応中：検討会を設置し…' — an earlier answer, briefly."""
    head = f"{response.year}年度 {response.status.label}"
    text = " ".join(text_of(response.text).split())
    if not text:
        return head
    return f"{head}：{text if len(text) <= EARLIER_CHARS else text[:EARLIER_CHARS] + '…'}"
