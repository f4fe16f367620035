"""The achievement rate (達成率) of a reference indicator, and its judgement (判定).

One formula per kind of indicator, chosen once and stated in every output (see `METHOD`):

  baseline-relative  (実績 − 基準値) ÷ (目標値 − 基準値) × 100   an indicator with a baseline and a number
                     as target; it also works for a decreasing target (both differences are negative)
  ratio              実績 ÷ 目標値 × 100                          no baseline (the charter prints "-")
  cumulative         累計 ÷ 目標値 × 100                          a 延べ target: 累計 is the sum of the yearly
                     actuals from the plan's first year up to the report year
  direction only     no percentage                               a target of "減少": achieved when the
                     actual is below the baseline

A non-cumulative indicator is judged on its latest actual up to the report year. Rates are rounded half
up to one decimal (小数第2位を四捨五入) before they are compared, so a printed 100.0% is always 達成.

The rule for a missing actual in the year the verdict is final (`FINAL_YEAR_RULE`, the one place it is
decided): from the target year on, a judgement is no longer a course but the verdict on the target, so it
is made on that year's own actual. Without it (未提出, 差し戻し中, 確認中) the indicator is 実績なし — printed
with the reason the roster knows, and counted as 判定不能 — whatever an earlier year's figure says: a
latest-value indicator may have moved either way since. The one exception is a 延べ target whose total up
to the last reported year already reaches the target: the yearly actuals are counts that only add up, so
the missing year cannot undo it, and it is 達成. Before the target year a missing actual is bridged by the
latest one (the note says which year), as the course is only a guide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pipeline.plan import DECREASE, Indicator, Plan
from pipeline.values import format_number
from pipeline.vocabulary import MISSING, PENDING, WITH_ERRORS

# kinds
RELATIVE = "baseline_relative"
RATIO = "ratio"
CUMULATIVE = "cumulative"
DIRECTION = "direction"

# judgements
ACHIEVED = "達成"          # rate ≥ 100 (direction only: the actual has moved past the baseline)
ON_TRACK = "順調"          # before the target year, at or above the straight course to the target
BEHIND = "要努力"          # before the target year, below that course
NOT_ACHIEVED = "未達成"    # in or after the target year, below 100
NOT_ASSESSABLE = "評価不能"  # the charter's figures do not allow a rate (no baseline and a 減少 target, …)
NO_ACTUAL = "実績なし"      # no actual reported up to the report year
# where the reason for a missing actual is known from the roster
NOT_SUBMITTED = "未提出"    # the reporting department returned nothing
EXCLUDED = "対象外"         # the item was not evaluated that year (the plan's 対象外): nobody was asked
NOT_ASKED = "not_asked"     # a reporter status: the year's plan asked nobody for this actual (対象外)

FORMULAS = {
    RELATIVE: "（実績 − 基準値）÷（目標値 − 基準値）× 100",
    RATIO: "実績 ÷ 目標値 × 100",
    CUMULATIVE: "計画初年度からの実績の累計 ÷ 目標値 × 100",
    DIRECTION: "達成率は算定しない（基準値を下回れば達成）",
}

# How a missing actual is judged in and after the target year (see the module's docstring): printed once in
# the report's 1(4) and the public table's notes, and applied by `assess`.
FINAL_YEAR_RULE = (
    "目標年度以降に当該年度の実績の報告がない指標（未提出・差し戻し中・確認中）は、前の年度の実績では判定せず、"
    "「実績なし」（判定不能）とします。ただし「延べ」の指標で、前の年度までの累計が目標値に達しているものは「達成」とします。"
)
# The method as printed in the report and in the Excel table's notes.
METHOD = (
    "達成率は、基準値がある指標は「（実績 − 基準値）÷（目標値 − 基準値）× 100」で算定します"
    "（基準値から目標値までの伸びのうち、どれだけ進んだかを表します。減少を目指す指標にも同じ式を使います）。",
    "基準値がない指標（計画で「-」）は「実績 ÷ 目標値 × 100」で算定します。",
    "目標が「延べ」の指標は、計画初年度から当該年度までの各年度の実績の合計（累計）を目標値と比べ、"
    "「累計 ÷ 目標値 × 100」で算定します（基準値が0の指標は、上の基準値からの式と同じ値になります）。",
    "目標が「減少」の指標は達成率を算定せず、実績が基準値を下回っていれば達成とします。",
    "延べ以外の指標は、当該年度までの最新の実績で算定します。達成率は小数第2位を四捨五入しています。",
    FINAL_YEAR_RULE,
)
JUDGEMENTS = (
    (ACHIEVED, "達成率が100％以上（「減少」の指標は実績が基準値を下回った）"),
    (ON_TRACK, "目標年度の前で、基準年度から目標年度まで一定の割合で進んだ場合の達成率（見込み）以上"),
    (BEHIND, "目標年度の前で、見込みの達成率を下回る"),
    (NOT_ACHIEVED, "目標年度以降で、達成率が100％未満"),
    (NOT_ASSESSABLE, "計画の数値から達成率を算定できない"),
    (NO_ACTUAL, "当該年度までの実績の報告がない（目標年度以降は、当該年度の実績の報告がない）"),
)


@dataclass(frozen=True)
class Achievement:
    """One indicator's standing in one report year."""

    item_code: str
    year: int                  # the report year
    kind: str                  # RELATIVE / RATIO / CUMULATIVE / DIRECTION
    value: float | None        # the figure compared with the target: the latest actual, or the cumulative sum
    value_year: int | None     # the fiscal year of that figure (cumulative: the last year summed)
    rate: float | None         # 達成率 in %, rounded half up to 0.1; None where no percentage applies
    expected: float | None     # the rate a straight course from baseline to target had reached by value_year
    judgement: str
    note: str

    @property
    def formula(self) -> str:
        return FORMULAS[self.kind]


def kind_of(indicator: Indicator) -> str:
    if indicator.direction_only:
        return DIRECTION
    if indicator.cumulative:
        return CUMULATIVE
    return RATIO if indicator.baseline is None else RELATIVE


def round_rate(value: float) -> float:
    """Half up to one decimal, as a person rounds (Python's round() is half-even on binary floats)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def assess(indicator: Indicator, actuals: Mapping[int, float], year: int, *, first_year: int) -> Achievement:
    """The indicator's rate and judgement for report `year`.

    `actuals` maps a fiscal year to that year's own figure (not a running total); years after `year`
    and before `first_year` (the plan's first year) are ignored.
    """
    ind = indicator
    kind = kind_of(ind)
    known = {y: v for y, v in actuals.items() if first_year <= y <= year}
    unit = ind.unit

    def result(value=None, value_year=None, rate=None, expected=None, judgement=NO_ACTUAL, note=""):
        return Achievement(ind.item_code, year, kind, value, value_year, rate, expected, judgement, note)

    if not known:
        return result(note=f"{year}年度までの実績の報告がありません。")

    notes: list[str] = []
    # FINAL_YEAR_RULE: in and after the target year, the year's own actual or no verdict (延べ: unless reached)
    final_missing = year >= ind.target_year and year not in known
    unjudged = f"目標年度以降の{year}年度の実績がないため、前の年度の実績では判定していません。"
    if kind == CUMULATIVE:
        summed = sorted(known)
        value, value_year = float(sum(known[y] for y in summed)), summed[-1]
        gaps = [y for y in range(first_year, year + 1) if y not in known]
        notes.append(f"延べの目標: {first_year}〜{year}年度の実績の累計 {format_number(value)}{unit} を目標値と比べます。")
        if gaps:
            notes.append(f"{'・'.join(f'{y}年度' for y in gaps)}の実績がないため、累計に含めていません。")
        if ind.baseline == 0:
            notes.append("基準値が0のため、基準値からの伸びで計算しても同じ値です。")
        elif ind.baseline is not None:
            notes.append(f"基準値（{format_number(ind.baseline)}{unit}）は累計に含めません。")
    else:
        value_year = max(known)
        value = float(known[value_year])
        if value_year < year and not final_missing:
            notes.append(f"{year}年度の実績がないため、{value_year}年度の実績（{format_number(value)}{unit}）で判定しています。")

    if kind == DIRECTION:
        if ind.baseline is None:
            notes.append("基準値がないため、方向だけの目標を判定できません。")
            return result(value, value_year, judgement=NOT_ASSESSABLE, note=" ".join(notes))
        moved = value < ind.baseline if ind.direction == DECREASE else value > ind.baseline
        word = "減少" if ind.direction == DECREASE else "増加"
        notes.insert(0, f"目標は「{word}」: 基準値 {format_number(ind.baseline)}{unit} と比べて判定します（達成率は算定しません）。")
        if final_missing:
            return result(value, value_year, judgement=NO_ACTUAL, note=" ".join([*notes, unjudged]))
        judgement = ACHIEVED if moved else (NOT_ACHIEVED if year >= ind.target_year else BEHIND)
        return result(value, value_year, judgement=judgement, note=" ".join(notes))

    target = float(ind.target)  # type: ignore[arg-type]  # not direction-only, so there is a number
    if kind == RELATIVE:
        span = target - float(ind.baseline)  # type: ignore[arg-type]
        if span == 0:
            notes.append("目標値が基準値と同じため、達成率を算定できません。")
            return result(value, value_year, judgement=NOT_ASSESSABLE, note=" ".join(notes))
        raw = (value - float(ind.baseline)) / span * 100  # type: ignore[arg-type]
        start = ind.baseline_year
    else:  # RATIO or CUMULATIVE
        if kind == RATIO and ind.direction == DECREASE:
            notes.append("基準値がない減少目標のため、達成率を算定できません。")
            return result(value, value_year, judgement=NOT_ASSESSABLE, note=" ".join(notes))
        if target == 0:
            notes.append("目標値が0のため、達成率を算定できません。")
            return result(value, value_year, judgement=NOT_ASSESSABLE, note=" ".join(notes))
        if kind == RATIO:
            notes.insert(0, "基準値がないため、実績 ÷ 目標値 で算定しています。")
        raw = value / target * 100
        # a cumulative course starts before the first year's actuals; a ratio course at the baseline year
        start = first_year - 1 if kind == CUMULATIVE else ind.baseline_year

    rate = round_rate(raw)
    expected = None
    if ind.target_year > start:
        expected = round_rate(min(100.0, max(0.0, (value_year - start) / (ind.target_year - start) * 100)))
    if final_missing and not (kind == CUMULATIVE and rate >= 100):
        notes.append(f"{unjudged[:-1]}（{value_year}年度までの達成率は {_percent(rate)}）。")
        return result(value, value_year, judgement=NO_ACTUAL, note=" ".join(notes))
    if rate >= 100:
        judgement = ACHIEVED
        if final_missing:
            notes.append(f"{year}年度の実績はありませんが、{value_year}年度までの累計で目標値に達しています。")
    elif year >= ind.target_year:
        judgement = NOT_ACHIEVED
    elif expected is not None and rate >= expected:
        judgement = ON_TRACK
    else:
        judgement = BEHIND
    return result(value, value_year, rate, expected, judgement, " ".join(notes))


def _percent(rate: float) -> str:
    return f"▲{-rate:.1f}%" if rate < 0 else f"{rate:.1f}%"


def by_item(actuals: Mapping[tuple[int, str], float]) -> dict[str, dict[int, float]]:
    """The store's {(year, item_code): actual} grouped once as {item_code: {year: actual}}."""
    grouped: dict[str, dict[int, float]] = {}
    for (y, code), v in actuals.items():
        grouped.setdefault(code, {})[y] = v
    return grouped


def assess_plan(plan: Plan, actuals: Mapping[tuple[int, str], float], year: int) -> dict[str, Achievement]:
    """Every indicator of the plan for report `year`, keyed by 管理番号."""
    grouped = by_item(actuals)
    return {
        ind.item_code: assess(ind, grouped.get(ind.item_code, {}), year, first_year=plan.period_start)
        for ind in plan.indicators
    }


def judgement_label(result: Achievement, reporter_status: str | None) -> str:
    """The judgement as printed: a missing actual says why (未提出 / 未確定) when the roster knows."""
    if result.judgement != NO_ACTUAL:
        return result.judgement
    return {MISSING: NOT_SUBMITTED, WITH_ERRORS: PENDING, NOT_ASKED: EXCLUDED}.get(reporter_status or "", NO_ACTUAL)


def missing_label(reporter_status: str | None) -> str | None:
    """Why a year has no actual: 未提出 / 未確定, or None when the return came in (or the year was not collected)."""
    return {MISSING: NOT_SUBMITTED, WITH_ERRORS: PENDING, NOT_ASKED: EXCLUDED}.get(reporter_status or "")
