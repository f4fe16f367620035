"""What the report shows, read from the store: each collected year's roster, answers and self-evaluations,
every year's indicator actuals, the achievement of each indicator, and the committee's loop (the opinions
asked in the year with their answers, the good practices shown in its workbooks)."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.committee.model import GoodPractice, OpinionState, opinions_asked
from pipeline.errors import UsageError
from pipeline.plan import Indicator, Plan
from pipeline.report import achievement as A
from pipeline.store import Answer, Evaluation, Store
from pipeline.vocabulary import MISSING


@dataclass(frozen=True)
class YearState:
    """One collected fiscal year as the report needs it."""

    year: int
    roster: dict[str, str]
    answers: dict[tuple[str, str], Answer]
    evaluations: dict[str, Evaluation]

    def status(self, department: str) -> str:
        return self.roster.get(department, MISSING)


@dataclass(frozen=True)
class ReportData:
    year: int
    current: YearState
    previous: YearState | None
    rosters: dict[int, dict[str, str]]           # every collected year's roster
    actuals: dict[tuple[int, str], float]
    achievements: dict[str, A.Achievement]
    opinions: tuple[OpinionState, ...] = ()      # asked in the year (opinions_asked), in the charter's order
    opinions_before: int = 0                     # opinions given on the reports before the year
    practices: tuple[GoodPractice, ...] = ()     # named on the previous year's report
    plan: Plan | None = None                     # the year's plan (Plan.for_year)

    def reporter_status(self, indicator: Indicator, year: int) -> str | None:
        """The reporter's roster status in `year` (A.NOT_ASKED when the item was 対象外 that year), or None when
        the year was not collected."""
        return reporter_status(self.plan, self.rosters, indicator, year)


def check_report_year(plan: Plan, store: Store, year: int) -> None:
    plan.check_year(year)
    if not store.has_year(year):
        done = "、".join(str(y) for y in store.years()) or "なし"
        raise UsageError(
            f"{year}年度の回答がデータベースにありません（取り込み済みの年度: {done}）。"
            f"先に python -m pipeline collect --year {year} を実行してください。"
        )


def reporter_status(plan: Plan | None, rosters: dict[int, dict[str, str]], indicator: Indicator,
                    year: int) -> str | None:
    """Where the indicator's reporter stood in `year`: its roster status, A.NOT_ASKED when the item was 対象外
    that year (nobody was asked for the actual), None when the year was not collected."""
    roster = rosters.get(year)
    if roster is None:
        return None
    if plan is not None and plan.item_by_code[indicator.item_code].excluded_in(year):
        return A.NOT_ASKED
    return roster.get(indicator.reporter, MISSING)


def load_report_data(plan: Plan, store: Store, year: int) -> ReportData:
    plan = plan.for_year(year)
    years = store.years()

    def state(y: int) -> YearState:
        return YearState(y, store.roster(y), store.answers(y), store.evaluations(y))

    actuals = store.actuals()
    opinions, responses = store.opinions(), store.responses()
    return ReportData(
        year=year,
        current=state(year),
        previous=state(year - 1) if (year - 1) in years else None,
        rosters={y: store.roster(y) for y in years},
        actuals=actuals,
        achievements=A.assess_plan(plan, actuals, year),
        opinions=tuple(opinions_asked(plan, opinions, responses, year)),
        opinions_before=sum(o.year < year for o in opinions),
        plan=plan,
        practices=tuple(store.good_practices(year - 1)),
    )
