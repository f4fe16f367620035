"""What the report shows, read from the store: each collected year's roster, answers and self-evaluations,
every year's indicator actuals, the achievement of each indicator, and the committee's loop (the opinions
asked in the year with their answers, the good practices shown in its workbooks, the opinions still open).

`indicator_figures` is the one computation of the indicators' figures: the report's indicator list and its
計画期間の総括 (pipeline.report.summary), the public table and its CSV (pipeline.report.public_table) all
show what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.errors import UsageError
from pipeline.findings import Code
from pipeline.plan import Indicator, Plan, YearPlan
from pipeline.records.opinions import GoodPractice, OpinionState, open_opinions, opinions_asked
from pipeline.records.year import Answer, Evaluation, Transcription
from pipeline.report.achievement import (
    CUMULATIVE,
    NO_ACTUAL,
    NOT_ASKED,
    Achievement,
    assess,
    assess_plan,
    by_item,
    judgement_label,
    kind_of,
    missing_label,
)
from pipeline.store import Store
from pipeline.vocabulary import MISSING, RETURNED


@dataclass(frozen=True)
class YearState:
    """One collected fiscal year as the report needs it."""

    year: int
    roster: dict[str, str]
    answers: dict[tuple[str, str], Answer]
    evaluations: dict[str, Evaluation]
    transcribed: bool = False      # taken in from a 転記票 (history import), not collected

    def status(self, department: str) -> str:
        return self.roster.get(department, MISSING)


@dataclass(frozen=True)
class IndicatorFigures:
    """One indicator's figures for a report year, as every output shows them."""

    indicator: Indicator
    achievement: Achievement          # assess(): the rate and judgement for the report year
    judgement: str                      # as printed (judgement_label): 未提出 / 未確定 / 対象外 where known
    actuals: dict[int, float]           # each plan year up to the report year that has its own figure
    missing: dict[int, str | None]      # each plan year up to it without one: why (missing_label), None: not known
    running: dict[int, float]           # 延べ: the total from the plan's first year up to each year in `actuals`

    @property
    def item_code(self) -> str:
        return self.indicator.item_code


# An actual the department returned but collect held, far beyond the plan's figures, until the secretariat
# confirms it (VALUE_014, pipeline.collect.confirmations): not available, as a pending return's figure is.
HELD = "確認中"


def indicator_figures(plan: Plan, actuals: dict[tuple[int, str], float], rosters: dict[int, dict[str, str]],
                      year: int, held: frozenset[tuple[int, str]] = frozenset()) -> dict[str, IndicatorFigures]:
    """Every indicator's figures for report `year`, keyed by 管理番号 in the charter's order. The rate, the
    judgement and a 延べ indicator's running totals all come from `achievement.assess` (no second formula).
    `held`: (year, 管理番号) of the actuals collect held for the secretariat's confirmation (`held_actuals`):
    said 「確認中」 where the figure would stand."""
    grouped = by_item(actuals)
    achievements = assess_plan(plan, actuals, year)
    out: dict[str, IndicatorFigures] = {}

    def why_missing(ind: Indicator, y: int) -> str | None:
        status = reporter_status(plan, rosters, ind, y)
        if (y, ind.item_code) in held and status == RETURNED:
            return HELD
        return missing_label(status)

    for ind in plan.indicators:
        own = {y: v for y, v in sorted(grouped.get(ind.item_code, {}).items()) if plan.period_start <= y <= year}
        missing = {y: why_missing(ind, y) for y in plan.years if y <= year and y not in own}
        running: dict[int, float] = {}
        if kind_of(ind) == CUMULATIVE:
            for y in own:
                total = assess(ind, own, y, first_year=plan.period_start).value
                if total is not None:
                    running[y] = total
        result = achievements[ind.item_code]
        judgement = judgement_label(result, reporter_status(plan, rosters, ind, year))
        if result.judgement == NO_ACTUAL and missing.get(year) == HELD:
            judgement = HELD
        out[ind.item_code] = IndicatorFigures(ind, result, judgement, own, missing, running)
    return out


@dataclass(frozen=True)
class ReportData:
    year: int
    current: YearState
    previous: YearState | None
    rosters: dict[int, dict[str, str]]           # every collected year's roster
    actuals: dict[tuple[int, str], float]
    achievements: dict[str, Achievement]
    opinions: tuple[OpinionState, ...] = ()      # asked in the year (opinions_asked), in the charter's order
    opinions_before: int = 0                     # opinions given on the reports before the year
    practices: tuple[GoodPractice, ...] = ()     # named on the previous year's report
    plan: YearPlan | None = None                 # the year's plan (Plan.for_year)
    figures: dict[str, IndicatorFigures] = field(default_factory=dict)   # indicator_figures, charter's order
    evaluations: dict[int, dict[str, Evaluation]] = field(default_factory=dict)   # every collected year's
    still_open: tuple[OpinionState, ...] = ()    # given before the year, not settled by its end (charter order)
    transcribed: dict[int, Transcription] = field(default_factory=dict)   # years taken in from a 転記票

    def reporter_status(self, indicator: Indicator, year: int) -> str | None:
        """The reporter's roster status in `year` (NOT_ASKED when the item was 対象外 that year), or None when
        the year was not collected."""
        return reporter_status(self.plan, self.rosters, indicator, year)


def check_report_year(plan: Plan, store: Store, year: int) -> None:
    plan.check_year(year)
    if not store.has_year(year):
        done = "、".join(str(y) for y in store.years()) or "なし"
        raise UsageError(
            f"{year}年度の回答がデータベースにありません（取り込み済みの年度: {done}）。"
            f"先に make collect YEAR={year} を実行してください。"
        )


def reporter_status(plan: Plan | None, rosters: dict[int, dict[str, str]], indicator: Indicator,
                    year: int) -> str | None:
    """Where the indicator's reporter stood in `year`: its roster status, NOT_ASKED when the item was 対象外
    that year (nobody was asked for the actual), None when the year was not collected."""
    roster = rosters.get(year)
    if roster is None:
        return None
    if plan is not None and plan.item_by_code[indicator.item_code].excluded_in(year):
        return NOT_ASKED
    return roster.get(indicator.reporter, MISSING)


def held_actuals(store: Store, years: list[int], actuals: dict[tuple[int, str], float]) -> frozenset[tuple[int, str]]:
    """(year, 管理番号) of each actual collect held for the secretariat's confirmation: the year's findings
    kept by the store say so at the indicator's sheet (VALUE_014), and no figure was stored."""
    return frozenset((y, row[4]) for y in years for row in store.findings(y)
                     if row[1] == Code.VALUE_014 and (y, row[4]) not in actuals)


def load_report_data(plan: Plan, store: Store, year: int) -> ReportData:
    """Everything the report on `year` shows, read from the store once: the Word report, the public table and
    CSV, and the web page each read this, with the year's plan in `ReportData.plan`. UsageError for a year
    outside the plan or not in the store."""
    check_report_year(plan, store, year)
    plan = plan.for_year(year)
    years = store.years()

    transcribed = store.transcriptions()

    def state(y: int) -> YearState:
        return YearState(y, store.roster(y), store.answers(y), store.evaluations(y), y in transcribed)

    actuals = store.actuals()
    rosters = {y: store.roster(y) for y in years}
    figures = indicator_figures(plan, actuals, rosters, year, held_actuals(store, years, actuals))
    opinions, responses = store.opinions(), store.responses()
    # open at the year's end: given on an earlier report (one on the year's own report comes after it) and not
    # settled by an answer up to the year's own
    still_open = [s for s in open_opinions(plan, opinions, responses, year + 1) if s.opinion.year < year]
    return ReportData(
        year=year,
        current=state(year),
        previous=state(year - 1) if (year - 1) in years else None,
        rosters=rosters,
        actuals=actuals,
        achievements={code: f.achievement for code, f in figures.items()},
        opinions=tuple(opinions_asked(plan, opinions, responses, year)),
        opinions_before=sum(o.year < year for o in opinions),
        plan=plan,
        practices=tuple(store.good_practices(year - 1)),
        figures=figures,
        evaluations={y: store.evaluations(y) for y in years},
        still_open=tuple(still_open),
        transcribed=transcribed,
    )
