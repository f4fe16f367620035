"""The achievement rate of each kind of indicator, against figures worked out by hand."""

from __future__ import annotations

import dataclasses

import pytest

from pipeline.plan import DECREASE
from pipeline.report import achievement as A
from pipeline.vocabulary import MISSING, PENDING, RETURNED, WITH_ERRORS
from tests.report_fixtures import plan as load_real_plan

PLAN = load_real_plan()
FIRST = PLAN.period_start


def indicator(code: str):
    return PLAN.item_by_code[code].indicator


def assess(code_or_indicator, actuals, year=2024):
    ind = indicator(code_or_indicator) if isinstance(code_or_indicator, str) else code_or_indicator
    return A.assess(ind, actuals, year, first_year=FIRST)


def test_kinds__come_from_the_plan_file():
    kinds = {ind.item_code: A.kind_of(ind) for ind in PLAN.indicators}
    assert kinds["1101"] == A.RELATIVE
    assert {c for c, k in kinds.items() if k == A.RATIO} == {"1301", "1402", "2104"}         # baseline "-"
    assert {c for c, k in kinds.items() if k == A.CUMULATIVE} == {"2103", "2302"}            # 延べ
    assert {c for c, k in kinds.items() if k == A.DIRECTION} == {"2401"}                     # 減少


def test_baseline_relative__1101__hand_computed():
    # (7500 − 6794) ÷ (9000 − 6794) × 100 = 706 ÷ 2206 × 100 = 32.004…  → 32.0
    # on a straight course from 2021 to 2025, 2024 is 3/4 of the way: 75.0 expected → 要努力
    r = assess("1101", {2024: 7500})
    assert (r.kind, r.value, r.value_year, r.rate, r.expected, r.judgement) == (
        A.RELATIVE, 7500, 2024, 32.0, 75.0, A.BEHIND)
    assert r.formula == "（実績 − 基準値）÷（目標値 − 基準値）× 100"


def test_baseline_relative__1102__on_track():
    # (6300 − 5820) ÷ (6402 − 5820) = 480 ÷ 582 = 82.47… → 82.5 ≥ 75.0
    r = assess("1102", {2023: 6000, 2024: 6300})
    assert (r.rate, r.judgement) == (82.5, A.ON_TRACK)


def test_baseline_relative__decreasing_target__same_formula():
    ind = dataclasses.replace(indicator("1101"), baseline=100, target=60, direction=DECREASE)
    # (80 − 100) ÷ (60 − 100) = −20 ÷ −40 = 50.0
    assert assess(ind, {2024: 80}).rate == 50.0
    # moving the wrong way gives a negative rate: (110 − 100) ÷ (60 − 100) = −25.0
    assert assess(ind, {2024: 110}).rate == -25.0


def test_baseline_marked__2101__course_starts_in_2022():
    # baseline *3 is the 2022 figure: (10 − 3) ÷ (13 − 3) = 70.0; expected (2024−2022)/(2025−2022) = 66.7
    r = assess("2101", {2024: 10})
    assert (r.rate, r.expected, r.judgement) == (70.0, 66.7, A.ON_TRACK)


def test_no_baseline__1301__actual_over_target():
    # baseline "-": 13 ÷ 26 × 100 = 50.0
    r = assess("1301", {2024: 13})
    assert (r.kind, r.rate, r.judgement) == (A.RATIO, 50.0, A.BEHIND)
    assert r.formula == "実績 ÷ 目標値 × 100"
    assert "基準値がない" in r.note


def test_no_baseline__1402__percentage_unit():
    assert assess("1402", {2024: 80}).rate == 80.0


def test_cumulative__2103__sum_of_yearly_actuals_with_zero_baseline_note():
    # 延べ3回: 1 + 0 + 1 = 2 → 2 ÷ 3 = 66.7; four plan years, three done: 75.0 expected
    r = assess("2103", {2022: 1, 2023: 0, 2024: 1})
    assert (r.kind, r.value, r.rate, r.expected, r.judgement) == (A.CUMULATIVE, 2, 66.7, 75.0, A.BEHIND)
    assert "基準値が0のため" in r.note


def test_cumulative__2302__reaches_its_target():
    # 延べ7件: 2 + 3 + 2 = 7 → 100.0
    r = assess("2302", {2022: 2, 2023: 3, 2024: 2})
    assert (r.value, r.rate, r.judgement) == (7, 100.0, A.ACHIEVED)


def test_cumulative__missing_years_are_named_in_the_note():
    # only 2023 is known: 3 ÷ 7 = 42.857… → 42.9
    r = assess("2302", {2023: 3})
    assert (r.value, r.value_year, r.rate) == (3, 2023, 42.9)
    assert "2022年度・2024年度の実績がない" in r.note


def test_direction_only__2401__achieved_below_the_baseline_without_a_rate():
    r = assess("2401", {2024: 5})
    assert (r.kind, r.rate, r.judgement) == (A.DIRECTION, None, A.ACHIEVED)
    assert r.formula == "達成率は算定しない（基準値を下回れば達成）"


def test_direction_only__2401__at_the_baseline_is_not_yet_achieved():
    assert assess("2401", {2024: 7}).judgement == A.BEHIND
    assert A.assess(indicator("2401"), {2025: 8}, 2025, first_year=FIRST).judgement == A.NOT_ACHIEVED


def test_latest_actual__2104__earlier_year_used_and_said():
    # no 2024 figure: the 2023 figure 40 ÷ 100 = 40.0, judged against 2023's course (2/4 = 50.0)
    r = assess("2104", {2023: 40})
    assert (r.value, r.value_year, r.rate, r.expected, r.judgement) == (40, 2023, 40.0, 50.0, A.BEHIND)
    assert "2023年度の実績" in r.note


def test_later_years__are_ignored():
    assert assess("1101", {2024: 7500, 2025: 9000}).rate == 32.0


def test_target_year__below_100_is_not_achieved():
    assert A.assess(indicator("1201"), {2025: 20}, 2025, first_year=FIRST).judgement == A.ACHIEVED
    r = A.assess(indicator("1201"), {2025: 19}, 2025, first_year=FIRST)
    assert (r.rate, r.judgement) == (90.0, A.NOT_ACHIEVED)


def test_rounding__half_up_not_half_even():
    # 0.5 ÷ 8 × 100 = 6.25 exactly: half up gives 6.3 (round() would give 6.2)
    ind = dataclasses.replace(indicator("2402"), baseline=0, target=8)
    assert assess(ind, {2024: 0.5}).rate == 6.3


def test_no_actual__no_rate():
    r = assess("1101", {})
    assert (r.rate, r.value, r.judgement) == (None, None, A.NO_ACTUAL)


@pytest.mark.parametrize("changes", [{"target": 6794}, {"baseline": None, "direction": DECREASE, "target": 60}])
def test_not_assessable__when_the_charter_figures_allow_no_rate(changes):
    ind = dataclasses.replace(indicator("1101"), **changes)
    assert assess(ind, {2024: 7000}).judgement == A.NOT_ASSESSABLE


def test_assess_plan__every_indicator_from_store_shaped_actuals():
    results = A.assess_plan(PLAN, {(2024, "1101"): 7500.0, (2023, "2103"): 1.0, (2024, "2103"): 1.0}, 2024)
    assert len(results) == 17
    assert results["1101"].rate == 32.0
    assert results["2103"].value == 2


@pytest.mark.parametrize(("status", "label"), [
    (MISSING, A.NOT_SUBMITTED), (WITH_ERRORS, PENDING), (RETURNED, A.NO_ACTUAL), (None, A.NO_ACTUAL),
])
def test_judgement_label__says_why_an_actual_is_missing(status, label):
    assert A.judgement_label(assess("1101", {}), status) == label
    assert A.judgement_label(assess("1101", {2024: 7500}), status) == A.BEHIND


# --- the final-year rule (A.FINAL_YEAR_RULE): a verdict on the target is made on the year's own actual ---------

def final(code, actuals):
    return A.assess(indicator(code), actuals, 2025, first_year=FIRST)


def test_final_year__cumulative_2302_short_of_target_without_2025__no_actual_not_not_achieved():
    # 延べ7件: 2 + 2 + 2 = 6 through 2024, 2025 not reported → no verdict; 6 ÷ 7 = 85.714… → 85.7 said as reference
    r = final("2302", {2022: 2, 2023: 2, 2024: 2})
    assert (r.value, r.value_year, r.rate, r.judgement) == (6, 2024, None, A.NO_ACTUAL)
    assert "目標年度以降の2025年度の実績がないため、前の年度の実績では判定していません（2024年度までの達成率は 85.7%）。" in r.note
    assert A.judgement_label(r, MISSING) == A.NOT_SUBMITTED


def test_final_year__cumulative_2302_already_at_target_without_2025__achieved():
    # 2 + 3 + 2 = 7 ≥ 7 through 2024: counts only add up, so the missing 2025 cannot undo it
    r = final("2302", {2022: 2, 2023: 3, 2024: 2})
    assert (r.value, r.value_year, r.rate, r.judgement) == (7, 2024, 100.0, A.ACHIEVED)
    assert "2025年度の実績はありませんが、2024年度までの累計で目標値に達しています。" in r.note
    assert A.judgement_label(r, MISSING) == A.ACHIEVED


def test_final_year__latest_value_2301_pending__not_judged_on_2024():
    # (1500 − 0) ÷ (2000 − 0) = 75.0 in 2024; 2025 is being corrected → 未確定, not 未達成
    r = final("2301", {2023: 900, 2024: 1500})
    assert (r.value, r.value_year, r.rate, r.judgement) == (1500, 2024, None, A.NO_ACTUAL)
    assert "2024年度までの達成率は 75.0%" in r.note
    assert "2024年度の実績（1,500件）で判定しています" not in r.note
    assert A.judgement_label(r, WITH_ERRORS) == PENDING


def test_final_year__latest_value_at_target_in_an_earlier_year__still_no_actual():
    # 1201: 20 回 in 2024 is 100.0 %, but a latest-value figure may fall back: no 2025 actual, no verdict
    assert final("1201", {2024: 20}).judgement == A.NO_ACTUAL
    assert final("2401", {2024: 5}).judgement == A.NO_ACTUAL      # 減少: below the baseline in 2024 only


def test_final_year__with_the_years_actual__judged_as_before():
    assert final("2301", {2024: 1500, 2025: 1800}).judgement == A.NOT_ACHIEVED    # 90.0
    assert final("2302", {2022: 2, 2023: 2, 2024: 2, 2025: 0}).judgement == A.NOT_ACHIEVED  # 6 ÷ 7, 2025 reported 0


def test_final_year__rule_is_printed_with_the_method():
    assert A.FINAL_YEAR_RULE in A.METHOD
