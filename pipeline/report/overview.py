"""Chapter 2's overview tables: how many action items got each self-evaluation (自己評価), and how many
initiatives stand at each progress (進捗状況), by pillar, with the change from the previous year. A mix-in of
the report's writer (pipeline.report.document), which gives it `plan`, `config`, `data`, `year` and the table
helpers; the counts themselves are plain functions (`grade_counts`, `progress_counts`, `overview_rows`…) that
the web page (pipeline.report.web) shows too."""

from __future__ import annotations

from collections import Counter

from docx.enum.text import WD_ALIGN_PARAGRAPH

from pipeline.config import Config
from pipeline.plan import EXCLUDED, ActionItem, Initiative, Plan
from pipeline.records.year import Evaluation
from pipeline.report import achievement, style
from pipeline.report.builder import text_of
from pipeline.report.data import YearState
from pipeline.values import format_number
from pipeline.vocabulary import MISSING, PENDING, RETURNED, WITH_ERRORS

NOT_SUBMITTED = achievement.NOT_SUBMITTED
NOT_TRANSCRIBED = "転記なし"     # a transcribed year (history import) whose report's grade was not copied
NO_ANSWER = "未回答"


class Overview:
    def _overview_table(self, columns: list[str], counts_now: dict[str, Counter],
                        counts_before: dict[str, Counter] | None) -> None:
        t = self.table([2.8] + [1.0] * (len(columns) + 1))
        self.row(t, ["柱", *columns, "計"], header=True)
        center = {i: WD_ALIGN_PARAGRAPH.CENTER for i in range(1, len(columns) + 2)}
        for label, cells in overview_rows(self.plan, columns, counts_now, counts_before):
            self.row(t, [label, *cells], labels=(0,), align=center)
        shares = share_rates(columns, counts_now[""])
        if shares:
            self.row(t, ["構成比（％）", *[format_number(s) for s in shares], "100"], labels=(0,), align=center)
        self.keep_together(t)
        previous = self.data.previous.year if counts_before is not None and self.data.previous is not None else None
        self.para("注）" + "".join(overview_notes(previous, shares)), style.NOTE)

    def _grade_counts(self, state: YearState) -> dict[str, Counter]:
        return grade_counts(self.plan, state)

    def grade_key(self, item: ActionItem, state: YearState) -> str:
        return grade_of(item, state.year, state.roster, state.evaluations, transcribed=state.transcribed)

    def grade_overview(self) -> None:
        data = self.data
        now = self._grade_counts(data.current)
        before = self._grade_counts(data.previous) if data.previous else None
        self.para(grade_intro(self.plan, self.config, self.year), keep_with_next=True)
        self._overview_table(grade_columns(self.config, now), now, before)

    def _progress_counts(self, state: YearState) -> dict[str, Counter]:
        return progress_counts(self.plan, state)

    @staticmethod
    def progress_key(state: YearState, ini: Initiative, dept: str) -> str:
        return progress_key(state, ini, dept)

    def progress_overview(self) -> None:
        data = self.data
        now = self._progress_counts(data.current)
        before = self._progress_counts(data.previous) if data.previous else None
        self.para(progress_intro(self.plan), keep_with_next=True)
        self._overview_table(progress_columns(self.config, now), now, before)


# --- the counts as plain data: the Word report's tables above and the web page (pipeline.report.web) ---

def grade_counts(plan: Plan, state: YearState) -> dict[str, Counter]:
    """How many items got each 自己評価 (or 未提出 / 未確定) in `state`'s year, per pillar code and in all ("");
    the items 対象外 that year are not counted."""
    counts: dict[str, Counter] = {"": Counter()}
    for pillar in plan.pillars:
        counts[pillar.code] = Counter()
    for item in plan.items:
        key = grade_of(item, state.year, state.roster, state.evaluations, transcribed=state.transcribed)
        if key == EXCLUDED:
            continue        # not evaluated this year: neither in the counts nor in the shares
        counts[item.pillar][key] += 1
        counts[""][key] += 1
    return counts


def grade_columns(config: Config, counts: dict[str, Counter]) -> list[str]:
    """The columns of the grade counts: the grades, any other word found, then 未提出 and 未確定."""
    codes = [g.code for g in config.grades]
    extra = sorted({k for c in counts.values() for k in c} - set(codes) - {NOT_SUBMITTED, PENDING})
    return codes + extra + [NOT_SUBMITTED, PENDING]


def grade_intro(plan: Plan, config: Config, year: int) -> str:
    legend = "、".join(f"{g.code}：{g.label}" for g in config.grades)
    excluded = [i.code for i in plan.items if i.excluded_in(year)]
    aside = f"対象外の取組項目（{'、'.join(excluded)}）は件数と構成比に含めていません。" if excluded else ""
    return f"取組項目ごとの自己評価（{legend}）の件数です。{aside}"


def progress_counts(plan: Plan, state: YearState) -> dict[str, Counter]:
    """How many (initiative, department) pairs stand at each 進捗状況 in `state`'s year, per pillar and in all."""
    counts: dict[str, Counter] = {"": Counter()}
    for pillar in plan.pillars:
        counts[pillar.code] = Counter()
    for item in plan.items:
        for ini in item.initiatives:
            for dept in ini.departments:
                key = progress_key(state, ini, dept)
                counts[item.pillar][key] += 1
                counts[""][key] += 1
    return counts


def progress_key(state: YearState, ini: Initiative, dept: str) -> str:
    """The department's 進捗状況 on the initiative as counted: the choice, 未確定, 未提出 or 未回答."""
    status = state.status(dept)
    if status == WITH_ERRORS:
        return PENDING
    if status != RETURNED:
        return NOT_SUBMITTED
    answer = state.answers.get((ini.id, dept))
    return text_of(answer.progress) if answer and text_of(answer.progress) else NO_ANSWER


def progress_columns(config: Config, counts: dict[str, Counter]) -> list[str]:
    """The columns of the progress counts: the choices, any other word found, 未提出, 未確定 (and 未回答 if any)."""
    labels = [c.label for c in config.progress_choices]
    fixed = {NOT_SUBMITTED, PENDING, NO_ANSWER}
    extra = sorted({k for c in counts.values() for k in c} - set(labels) - fixed)
    columns = labels + extra + [NOT_SUBMITTED, PENDING]
    if any(c[NO_ANSWER] for c in counts.values()):
        columns.append(NO_ANSWER)
    return columns


def progress_intro(plan: Plan) -> str:
    pairs = sum(len(ini.departments) for ini in plan.initiatives)
    return (f"具体的な取組（{len(plan.initiatives)}件）の進捗状況を、担当部署ごとに数えています"
            f"（複数の部署が担当する取組は部署ごとに1件とし、計{pairs}件）。")


def overview_rows(plan: Plan, columns: list[str], counts_now: dict[str, Counter],
                  counts_before: dict[str, Counter] | None) -> list[tuple[str, list[str]]]:
    """(pillar label, the cells of `columns` and 計) per pillar, then 合計: each count, with the change from the
    previous year under it ("3\n(+1)") when that year is known."""
    def cells(key: str) -> list[str]:
        now = counts_now[key]
        before = counts_before[key] if counts_before is not None else None
        out = []
        for col in [*columns, None]:
            n = sum(now.values()) if col is None else now[col]
            text = str(n)
            if before is not None:
                b = sum(before.values()) if col is None else before[col]
                text += f"\n({_change(n - b)})"
            out.append(text)
        return out

    return [(pillar.label, cells(pillar.code)) for pillar in plan.pillars] + [("合計", cells(""))]


def share_rates(columns: list[str], total: Counter) -> list[float]:
    """The share of each column in the total (構成比, %, rounded as rates are), or [] when nothing was counted."""
    whole = sum(total.values())
    if not whole:
        return []
    return [achievement.round_rate(total[c] * 100 / whole) for c in columns]


def overview_notes(previous_year: int | None, shares: list[float]) -> list[str]:
    """The notes under a counts table: what the ( ) say, and why the shares may not add up to 100."""
    notes = []
    if previous_year is not None:
        notes.append(f"( )内は{previous_year}年度からの増減（▲は減少）です。")
    else:
        notes.append("前年度の結果がデータベースにないため、増減は示していません。")
    if shares and achievement.round_rate(sum(shares)) != 100:
        notes.append("構成比は小数第2位を四捨五入しているため、合計が100にならないことがあります。")
    return notes


def _change(delta: int) -> str:
    if delta > 0:
        return f"+{delta}"
    if delta < 0:
        return f"▲{-delta}"
    return "±0"


def grade_of(item: ActionItem, year: int, roster: dict[str, str] | None,
             evaluations: dict[str, Evaluation], *, transcribed: bool = False) -> str | None:
    """The item's 自己評価 in `year` as the report counts it (the grade code, 未提出, 未確定 or 対象外), or None
    when the year was not collected. The plan is the report year's, which keeps every exclusion up to it.
    In a `transcribed` year (history import) nobody was asked by this tool: a grade not copied is 転記なし."""
    if transcribed and roster is not None and not item.excluded_in(year) and item.code not in evaluations:
        return NOT_TRANSCRIBED
    if roster is None:
        return None
    if item.excluded_in(year):
        return EXCLUDED
    status = roster.get(item.lead, MISSING)
    if status == WITH_ERRORS:
        return PENDING
    evaluation = evaluations.get(item.code)
    if evaluation is None or status != RETURNED:
        return NOT_SUBMITTED
    return evaluation.grade
