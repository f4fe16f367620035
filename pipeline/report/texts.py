"""The texts the report, its summary chapter, the public table and the web page print alike: an answer, a
grade, a reason, an indicator's figures and its 備考, one wording each."""

from __future__ import annotations

from pipeline.config import Config
from pipeline.plan import EXCLUDED, ActionItem, Indicator, Initiative, Plan
from pipeline.report import achievement
from pipeline.report.builder import text_of
from pipeline.report.data import IndicatorFigures, ReportData, YearState
from pipeline.report.overview import NO_ANSWER, NOT_SUBMITTED, NOT_TRANSCRIBED
from pipeline.values import format_number
from pipeline.vocabulary import PENDING, PENDING_SENT_BACK_CELL, RETURNED, WITH_ERRORS

DASH = "−"


def progress_answer(state: YearState, ini: Initiative, dept: str) -> tuple[str, tuple[str, str, str] | str]:
    """The department's answer on the initiative as the report shows it: (進捗状況, (取組実績, 課題, 次年度の
    予定)), a blank text as "", or (未確定 / 未提出 / 未回答, the sentence that says why there is none)."""
    status = state.status(dept)
    if status == WITH_ERRORS:
        return PENDING, "調査票に誤りがあり差し戻し中のため、内容は未確定です。"
    if status != RETURNED:
        return NOT_SUBMITTED, "調査票が提出されていません。"
    answer = state.answers.get((ini.id, dept))
    if answer is None:
        return NO_ANSWER, "この取組の回答がありません。"
    return (text_of(answer.progress) or NO_ANSWER,
            (text_of(answer.result), text_of(answer.issues), text_of(answer.next_plan)))


def grade_text(config: Config, key: str | None, short: bool = False) -> str:
    """An item's 自己評価 (grade_of's key) as printed: 'A\n（計画どおり）' ('A' when `short`), 未提出,
    '未確定\n（差し戻し中）'…"""
    if key == PENDING:
        return PENDING if short else PENDING_SENT_BACK_CELL
    if key == NOT_SUBMITTED:
        return NOT_SUBMITTED
    grade = next((g for g in config.grades if g.code == key), None)
    if grade is None:
        return text_of(key)
    return grade.code if short else f"{grade.code}\n（{grade.label}）"


def reason_text(plan: Plan, year: int, item: ActionItem, state: YearState, key: str | None) -> str:
    """The reason given for the item's 自己評価 (`key`, grade_of's), or why there is none."""
    lead = plan.department_name(item.lead)
    if key == EXCLUDED:
        return f"{year}年度は対象外です（{item.excluded_in(year).reason}）。"
    if key == PENDING:
        return f"{lead}の調査票は差し戻し中のため、未確定です。"
    if key == NOT_TRANSCRIBED:
        return f"{year}年度の報告書から自己評価を転記していません。"
    if key == NOT_SUBMITTED:
        if state.status(item.lead) == RETURNED:
            return f"{lead}の調査票に自己評価の記入がありません。"
        return f"{lead}の調査票が提出されていません。"
    return text_of(state.evaluations[item.code].reason) or DASH


def actual_text(figures: IndicatorFigures, year: int) -> str:
    """The year's own figure as the report prints it, from the figures the public table shows too."""
    value = figures.actuals.get(year)
    if value is not None:
        return quantity(value, figures.indicator.unit)
    return figures.missing.get(year) or DASH


def remark(ind: Indicator, result: achievement.Achievement) -> str:
    """The 備考 of the indicator list: how the indicator is judged."""
    parts = []
    if result.kind == achievement.CUMULATIVE:
        if result.value is not None:
            parts.append(f"延べ: 累計 {quantity(result.value, ind.unit)}")
        else:
            parts.append("延べ（累計）で判定")
    elif result.kind == achievement.RATIO:
        parts.append("基準値なし: 実績÷目標値")
    elif result.kind == achievement.DIRECTION:
        parts.append("基準値と比べて判定")
    earlier = judged_on_earlier_year(result)
    if earlier:
        parts.append(earlier)
    return "\n".join(parts)


def judged_on_earlier_year(result: achievement.Achievement) -> str | None:
    """'2023年度の実績で判定' when the indicator is judged on the actual of a year before the report's (not 延べ),
    in the report's 備考 and the public table's 注記 alike; None otherwise."""
    if result.kind != achievement.CUMULATIVE and result.value_year is not None and result.value_year < result.year:
        return f"{result.value_year}年度の実績で判定"
    return None


def quantity(value: float, unit: str) -> str:
    """A figure with its unit as the report prints it: a negative one with ▲ (▲5件), as the charter does."""
    return f"{_signed(value)}{unit}"


def _signed(value: float) -> str:
    return f"▲{format_number(-value)}" if value < 0 else format_number(value)


def baseline_text(ind: Indicator) -> str:
    """As the charter prints it: '6,794件', '*3件', '-'."""
    if ind.baseline_shown is None:
        return "-"
    return ("*" if ind.baseline_marked else "") + ind.baseline_shown


def rate_text(result: achievement.Achievement) -> str:
    if result.rate is None:
        return DASH
    return f"▲{-result.rate:.1f}%" if result.rate < 0 else f"{result.rate:.1f}%"


def transcribed_sentence(data: ReportData) -> str:
    """Which years up to the report's own were transcribed from reports done by hand, and from what ('' when
    none): said alike by the report, its summary, the web page and the public table's notes."""
    years = sorted(y for y in data.transcribed if y <= data.year)
    if not years:
        return ""
    sources = "、".join(f"{y}年度は「{data.transcribed[y].source}」" for y in years)
    return (f"{'・'.join(f'{y}年度' for y in years)}の実績は、このツールを使う前に手作業で調査・報告した年度のため、"
            f"その年度の報告書から転記したものです（{sources}）。")
