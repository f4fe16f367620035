"""The committee's loop, as data: its opinions (委員会意見) on a year's report, the good practices
(優良事例) it names to share across the city, and the departments' responses (対応状況・対応内容).

An opinion is given on year Y's report (its `year`), is asked in the workbooks from year Y+1 on, and
stays open until a department answers 対応済 or 対応しない. Its ID (year and number) never changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.plan import Plan
from pipeline.vocabulary import ResponseStatus

GENERAL = "全般"          # an opinion on the plan as a whole, not on one action item
GENERAL_TITLE = "計画全体"


def opinion_id(year: int, number: int) -> str:
    """'2024-03': the third opinion given on the 2024 report."""
    return f"{year}-{number:02d}"


@dataclass(frozen=True)
class Opinion:
    id: str                 # opinion_id(year, number)
    year: int               # the fiscal year whose report the committee gave it on
    number: int             # its place in that year's register (1, 2, …)
    item_code: str          # an action item's 管理番号, or GENERAL
    department_code: str    # who answers it (the item's lead department unless the register says otherwise)
    text: str
    member: str = ""        # the committee member who gave it, as the register says (optional)
    given_on: str = ""      # the meeting's date, ISO (optional)


@dataclass(frozen=True)
class GoodPractice:
    year: int               # named on this year's report, shown in the next year's workbooks
    number: int
    initiative_id: str
    reason: str             # 紹介の理由


@dataclass(frozen=True)
class Response:
    opinion_id: str
    year: int               # the fiscal year whose workbook carried the answer
    department_code: str
    status: ResponseStatus
    text: str               # 対応内容


@dataclass(frozen=True)
class OpinionState:
    """An opinion as it stands in a given year: every answer given so far, the latest last."""

    opinion: Opinion
    responses: tuple[Response, ...]

    @property
    def latest(self) -> Response | None:
        return self.responses[-1] if self.responses else None

    @property
    def settled(self) -> bool:
        return self.latest is not None and self.latest.status.settles


def item_title(plan: Plan, item_code: str) -> str:
    return GENERAL_TITLE if item_code == GENERAL else plan.item_by_code[item_code].title


def charter_order(plan: Plan, opinion: Opinion) -> tuple[int, int, int]:
    """全般 first, then by action item in the charter's order, then by year and number."""
    order = {item.code: n for n, item in enumerate(plan.items, 1)}
    return (order.get(opinion.item_code, 0 if opinion.item_code == GENERAL else len(order) + 1),
            opinion.year, opinion.number)


def states(plan: Plan, opinions: Iterable[Opinion], responses: Iterable[Response], *, before: int) -> list[OpinionState]:
    """Every opinion given before year `before`, with the answers given in years before `before`, in the
    charter's order."""
    by_opinion: dict[str, list[Response]] = {}
    for response in sorted(responses, key=lambda r: r.year):
        if response.year < before:
            by_opinion.setdefault(response.opinion_id, []).append(response)
    given = sorted((o for o in opinions if o.year < before), key=lambda o: charter_order(plan, o))
    return [OpinionState(o, tuple(by_opinion.get(o.id, ()))) for o in given]


def open_opinions(plan: Plan, opinions: Iterable[Opinion], responses: Iterable[Response], year: int) -> list[OpinionState]:
    """The opinions year `year`'s workbooks ask about: given before `year` and not settled by an answer
    in an earlier year."""
    return [s for s in states(plan, opinions, responses, before=year) if not s.settled]


def opinions_asked(plan: Plan, opinions: Iterable[Opinion], responses: Iterable[Response],
                   year: int) -> list[OpinionState]:
    """The opinions year `year`'s workbooks asked about (given before `year`, open at its start), each with
    every answer up to and including the year's own, in the charter's order."""
    opinions, responses = list(opinions), list(responses)
    asked = {s.opinion.id for s in open_opinions(plan, opinions, responses, year)}
    return [s for s in states(plan, opinions, responses, before=year + 1) if s.opinion.id in asked]


def answer_in(state: OpinionState, year: int) -> Response | None:
    """The opinion's answer in year `year`'s workbook, or None when none was recorded."""
    latest = state.latest
    return latest if latest is not None and latest.year == year else None
