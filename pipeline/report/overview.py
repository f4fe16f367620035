"""Chapter 2's overview tables: how many action items got each self-evaluation (自己評価), and how many
initiatives stand at each progress (進捗状況), by pillar, with the change from the previous year. A mix-in of
the report's writer (pipeline.report.document), which gives it `plan`, `config`, `data`, `year` and the table
helpers."""

from __future__ import annotations

from collections import Counter

from docx.enum.text import WD_ALIGN_PARAGRAPH

from pipeline.plan import EXCLUDED, ActionItem, Initiative
from pipeline.report import achievement as A
from pipeline.report import style as RS
from pipeline.report import wordml as W
from pipeline.report.builder import text_of
from pipeline.report.data import YearState
from pipeline.store import Evaluation
from pipeline.values import format_number
from pipeline.vocabulary import MISSING, RETURNED, WITH_ERRORS

NOT_SUBMITTED = A.NOT_SUBMITTED
PENDING_SHORT = A.PENDING
NO_ANSWER = "未回答"


class Overview:
    def _overview_table(self, columns: list[str], counts_now: dict[str, Counter],
                        counts_before: dict[str, Counter] | None) -> None:
        plan = self.plan
        t = self.table([2.8] + [1.0] * (len(columns) + 1))
        self.row(t, ["柱", *columns, "計"], header=True)
        center = {i: WD_ALIGN_PARAGRAPH.CENTER for i in range(1, len(columns) + 2)}

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

        for pillar in plan.pillars:
            self.row(t, [pillar.label, *cells(pillar.code)], labels=(0,), align=center)
        self.row(t, ["合計", *cells("")], labels=(0,), align=center)
        total = counts_now[""]
        whole = sum(total.values())
        notes = []
        if counts_before is not None and self.data.previous is not None:
            notes.append(f"( )内は{self.data.previous.year}年度からの増減（▲は減少）です。")
        else:
            notes.append("前年度の結果がデータベースにないため、増減は示していません。")
        if whole:
            shares = [A.round_rate(total[c] * 100 / whole) for c in columns]
            self.row(t, ["構成比（％）", *[format_number(s) for s in shares], "100"], labels=(0,), align=center)
            if A.round_rate(sum(shares)) != 100:
                notes.append("構成比は小数第2位を四捨五入しているため、合計が100にならないことがあります。")
        W.keep_together(t.tbl)
        self.para("注）" + "".join(notes), RS.NOTE)

    def _grade_counts(self, state: YearState) -> dict[str, Counter]:
        counts: dict[str, Counter] = {"": Counter()}
        for pillar in self.plan.pillars:
            counts[pillar.code] = Counter()
        for item in self.plan.items:
            key = self.grade_key(item, state)
            if key == EXCLUDED:
                continue        # not evaluated this year: neither in the counts nor in the shares
            counts[item.pillar][key] += 1
            counts[""][key] += 1
        return counts

    def grade_key(self, item: ActionItem, state: YearState) -> str:
        return grade_of(item, state.year, state.roster, state.evaluations)

    def grade_overview(self) -> None:
        data = self.data
        now = self._grade_counts(data.current)
        before = self._grade_counts(data.previous) if data.previous else None
        codes = [g.code for g in self.config.grades]
        extra = sorted({k for c in now.values() for k in c} - set(codes) - {NOT_SUBMITTED, PENDING_SHORT})
        columns = codes + extra + [NOT_SUBMITTED, PENDING_SHORT]
        legend = "、".join(f"{g.code}：{g.label}" for g in self.config.grades)
        excluded = [i.code for i in self.plan.items if i.excluded_in(self.year)]
        aside = f"対象外の取組項目（{'、'.join(excluded)}）は件数と構成比に含めていません。" if excluded else ""
        self.para(f"取組項目ごとの自己評価（{legend}）の件数です。{aside}", keep_with_next=True)
        self._overview_table(columns, now, before)

    def _progress_counts(self, state: YearState) -> dict[str, Counter]:
        counts: dict[str, Counter] = {"": Counter()}
        for pillar in self.plan.pillars:
            counts[pillar.code] = Counter()
        for item in self.plan.items:
            for ini in item.initiatives:
                for dept in ini.departments:
                    key = self.progress_key(state, ini, dept)
                    counts[item.pillar][key] += 1
                    counts[""][key] += 1
        return counts

    @staticmethod
    def progress_key(state: YearState, ini: Initiative, dept: str) -> str:
        status = state.status(dept)
        if status == WITH_ERRORS:
            return PENDING_SHORT
        if status != RETURNED:
            return NOT_SUBMITTED
        answer = state.answers.get((ini.id, dept))
        return text_of(answer.progress) if answer and text_of(answer.progress) else NO_ANSWER

    def progress_overview(self) -> None:
        data = self.data
        now = self._progress_counts(data.current)
        before = self._progress_counts(data.previous) if data.previous else None
        labels = [c.label for c in self.config.progress_choices]
        fixed = {NOT_SUBMITTED, PENDING_SHORT, NO_ANSWER}
        extra = sorted({k for c in now.values() for k in c} - set(labels) - fixed)
        columns = labels + extra + [NOT_SUBMITTED, PENDING_SHORT]
        if any(c[NO_ANSWER] for c in now.values()):
            columns.append(NO_ANSWER)
        pairs = sum(len(ini.departments) for ini in self.plan.initiatives)
        self.para(
            f"具体的な取組（{len(self.plan.initiatives)}件）の進捗状況を、担当部署ごとに数えています"
            f"（複数の部署が担当する取組は部署ごとに1件とし、計{pairs}件）。", keep_with_next=True,
        )
        self._overview_table(columns, now, before)


def _change(delta: int) -> str:
    if delta > 0:
        return f"+{delta}"
    if delta < 0:
        return f"▲{-delta}"
    return "±0"


def grade_of(item: ActionItem, year: int, roster: dict[str, str] | None,
             evaluations: dict[str, Evaluation]) -> str | None:
    """The item's 自己評価 in `year` as the report counts it (the grade code, 未提出, 未確定 or 対象外), or None
    when the year was not collected. The plan is the report year's, which keeps every exclusion up to it."""
    if roster is None:
        return None
    if item.excluded_in(year):
        return EXCLUDED
    status = roster.get(item.lead, MISSING)
    if status == WITH_ERRORS:
        return PENDING_SHORT
    evaluation = evaluations.get(item.code)
    if evaluation is None or status != RETURNED:
        return NOT_SUBMITTED
    return evaluation.grade
