"""What a year's workbooks ask of the committee's loop, read from the store: the open opinions each
department answers, and the good practices every workbook shows. The templates show it; collect checks
the answers against the same question, and records an answer (or its absence) for every opinion asked."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config import Config
from pipeline.plan import Plan
from pipeline.records.opinions import GoodPractice, OpinionState, Response, open_opinions
from pipeline.store import Store
from pipeline.vocabulary import ResponseStatus


@dataclass(frozen=True)
class YearAsk:
    year: int
    open: tuple[OpinionState, ...] = ()            # every open opinion, in the charter's order
    practices: tuple[GoodPractice, ...] = ()       # named on the previous year's report

    def of(self, department: str) -> list[OpinionState]:
        """The open opinions `department` answers this year."""
        return [s for s in self.open if s.opinion.department_code == department]

    def ids_of(self, department: str) -> tuple[str, ...]:
        return tuple(s.opinion.id for s in self.of(department))

    def unanswered(self, answered: set[str]) -> list[Response]:
        """A record for every opinion asked this year that got no answer (the department did not return, its
        return had errors, or it is still missing): so the report can say so and the opinion stays open."""
        return [Response(s.opinion.id, self.year, s.opinion.department_code, ResponseStatus.UNANSWERED, "")
                for s in self.open if s.opinion.id not in answered]


def year_ask(plan: Plan, store: Store, year: int) -> YearAsk:
    return YearAsk(
        year=year,
        open=tuple(open_opinions(plan, store.opinions(), store.responses(), year)),
        practices=tuple(store.good_practices(year - 1)),
    )


def load_year_ask(plan: Plan, config: Config, year: int) -> YearAsk:
    """The year's question from the store; nothing asked when there is no store yet."""
    if not config.store_path.exists():
        return YearAsk(year)
    with Store(config.store_path, readonly=True) as store:
        return year_ask(plan, store, year)
