"""The report's chapter on the plan period: 計画期間の総括 in the plan's last year, and in the years before it
計画期間の推移（{year}年度まで）, the same tables without the closing judgement.

  (1) each reference indicator over the years so far: baseline, each year's own figure (延べ: with the running
      total), the final (or latest) figure against the target, the rate and judgement of 1(4) — all from the
      figures the indicator list and the public table show (pipeline.report.data.indicator_figures), so no
      number here is computed a second way — and, in the last year only, whether the target was met;
      then the indicators counted by that verdict (last year) or by the year's judgement (earlier years);
  (2) each action item's self-evaluation (自己評価) in every year so far, and the grades counted per pillar
      and year;
  (3) the committee's opinions still open at the year's end.

"Met" (達成) is defined from the achievement's judgement in the last year (`verdict`): 達成 is met; a rate
that cannot be computed (評価不能) or no actual at all (実績なし, shown as 未提出 / 未確定 / 対象外 where the
roster says why) is not measurable (判定不能); anything else (未達成) is not met.
"""

from __future__ import annotations

from collections import Counter

from docx.enum.text import WD_ALIGN_PARAGRAPH

from pipeline.config import Config
from pipeline.fiscal import fiscal_year_label
from pipeline.plan import EXCLUDED, Plan
from pipeline.records.opinions import GENERAL, OpinionState, item_title
from pipeline.report import achievement, style
from pipeline.report.data import IndicatorFigures, ReportData
from pipeline.report.overview import NOT_TRANSCRIBED, grade_of
from pipeline.report.texts import actual_text, baseline_text, quantity, rate_text, transcribed_sentence
from pipeline.report.wording import breakdown
from pipeline.report.writer import ReportWriter
from pipeline.vocabulary import PENDING, ResponseStatus

CLOSING = "計画期間の総括"
INDICATORS_FINAL = "参考指標の推移と達成状況"
INDICATORS = "参考指標の推移"
GRADES = "取組項目の自己評価の推移"
OPINIONS = "対応が完了していない委員会の意見"

# the verdict on an indicator's target at the end of the period
MET, NOT_MET, UNMEASURABLE = "達成", "未達成", "判定不能"
VERDICTS = (MET, NOT_MET, UNMEASURABLE)
MET_RULE = (
    "計画期間の達成状況は、最終年度の判定（1(4)の基準）が「達成」の指標を「達成」、"
    "達成率を算定できない（「評価不能」）か実績の報告がない（「実績なし」「未提出」「未確定」「対象外」）指標を"
    "「判定不能」、それ以外（「未達成」）の指標を「未達成」としています。"
)
NOT_SUBMITTED = achievement.NOT_SUBMITTED     # 未提出: as chapter 2 counts it
GRADE_EXTRAS = (NOT_SUBMITTED, PENDING, EXCLUDED)


def chapter_title(plan: Plan, year: int) -> str:
    return CLOSING if year >= plan.period_end else f"計画期間の推移（{year}年度まで）"


def verdict(result: achievement.Achievement) -> str:
    """Whether the target was met, from the achievement's judgement in the period's last year."""
    if result.judgement == achievement.ACHIEVED:
        return MET
    if result.judgement in (achievement.NOT_ASSESSABLE, achievement.NO_ACTUAL):
        return UNMEASURABLE
    return NOT_MET


def write_chapter(w: ReportWriter, number: int, *, width: int, dash: str) -> None:
    """Chapter `number` of the report, written with the report's writer on pages `width` twips wide; `dash`
    is the report's word for "nothing"."""
    plan, year, committee = w.plan, w.year, w.committee_name
    final = year >= plan.period_end
    figures = list(w.data.figures.values())
    w.heading(f"{number} {chapter_title(plan, year)}", 1)
    for text in [*chapter_intro(plan, year, committee, figures, len(w.data.still_open)), *transcribed_paragraphs(w.data)]:
        w.para(text)
    w.heading(f"(1) {INDICATORS_FINAL if final else INDICATORS}", 2)
    _indicators(w, figures, width, dash, final)
    w.heading(f"(2) {GRADES}", 2)
    _grades(w, width, dash)
    w.heading(f"(3) {OPINIONS}", 2)
    _opinions(w, width, final)


def chapter_intro(plan: Plan, year: int, committee: str, figures: list[IndicatorFigures], still_open: int) -> list[str]:
    """The chapter's opening paragraphs: in the last year, what it sums up and the targets met (and the
    opinions still open); before, what it shows so far."""
    start, end = plan.period_start, plan.period_end
    if year < end:
        return [
            f"計画期間（{fiscal_year_label(start)}から{fiscal_year_label(end)}まで）のうち、{fiscal_year_label(year)}"
            f"までの参考指標の推移、取組項目の自己評価の推移、及び{committee}の意見への対応状況を示します。"
            f"計画期間を通じた目標の達成状況は、最終年度（{fiscal_year_label(end)}）の報告書で総括します。"
        ]
    counts = Counter(verdict(f.achievement) for f in figures)
    text = f"計画期間の{end - start + 1}年間で、{verdict_sentence(len(figures), counts)}"
    if still_open:
        text += f"また、{committee}の意見{still_open}件は対応が完了していません。"
    return [
        f"{plan.title}の計画期間（{fiscal_year_label(start)}から{fiscal_year_label(end)}までの{end - start + 1}年間）"
        f"を終えるにあたり、参考指標の推移と目標の達成状況、取組項目の自己評価の推移、及び{committee}の意見への"
        "対応状況を総括します。",
        text + "目標に届かなかった指標と残された課題は、次の計画の策定にあたって引き継ぎ、取組の見直しに活かします。",
    ]


# how each verdict is said of its indicators: in a list ("…は3指標"), and of all of them ("すべて…")
_VERDICT_SUBJECTS = {MET: "目標を達成した指標", NOT_MET: "未達成の指標", UNMEASURABLE: "達成状況を判定できなかった指標"}
_VERDICT_ALL = {MET: "目標を達成しました", NOT_MET: "目標に届きませんでした", UNMEASURABLE: "達成状況を判定できませんでした"}


def verdict_sentence(total: int, counts: Counter) -> str:
    """The targets met, not met and not measurable among `total` indicators, in one sentence that names only
    the verdicts some indicator has: '参考指標17指標のうち、目標を達成した指標は10指標、未達成の指標は4指標、
    達成状況を判定できなかった指標は3指標でした。', or '参考指標17指標は、すべて目標を達成しました。'."""
    if not total:
        return "参考指標はありません。"
    given = [v for v in VERDICTS if counts[v]]
    if len(given) == 1:
        return f"参考指標{total}指標は、すべて{_VERDICT_ALL[given[0]]}。"
    return (f"参考指標{total}指標のうち、"
            + breakdown(((_VERDICT_SUBJECTS[v] + "は", counts[v]) for v in given), "指標", between="") + "でした。")


def _years(w: ReportWriter) -> list[int]:
    return [y for y in w.plan.years if y <= w.year]


def indicator_cells(plan: Plan, f: IndicatorFigures, years: list[int], dash: str) -> list[str]:
    """An indicator's row of (1) between its name and its rate: the baseline (with its year), each year's own
    figure (延べ: with the running total), the target (with its year when not the period's last), and the
    final or latest figure (延べ: the total; another year's figure says its year)."""

    ind, result = f.indicator, f.achievement
    base = baseline_text(ind)
    if ind.baseline is not None and not ind.baseline_marked:
        base += f"\n({ind.baseline_year}年度)"
    yearly = []
    for y in years:
        text = actual_text(f, y)
        if y in f.running:
            text += f"\n(累計 {quantity(f.running[y], ind.unit)})"
        yearly.append(text)
    target = ind.target_shown + ("" if ind.target_year == plan.period_end else f"\n({ind.target_year}年度)")
    if result.value is None:
        value = dash
    elif result.kind == achievement.CUMULATIVE:
        value = f"累計 {quantity(result.value, ind.unit)}"
    else:
        value = quantity(result.value, ind.unit)
        if result.value_year is not None and result.value_year < result.year:
            value += f"\n({result.value_year}年度)"
    return [base, *yearly, target, value]


def _indicators(w: ReportWriter, figures: list[IndicatorFigures], width: int, dash: str, final: bool) -> None:

    plan, year = w.plan, w.year
    years = _years(w)
    w.para(
        f"各参考指標の基準値、各年度の実績、{'最終値' if final else '最新値'}と目標値、"
        f"{fiscal_year_label(year)}の達成率と判定です"
        + ("。最終年度の判定から、計画期間の目標の達成状況を示します。" if final else "。"),
        keep_with_next=True,
    )
    last = "最終値" if final else "最新値"
    fractions = [1.1, 2.6, 1.4, *[1.1] * len(years), 1.1, 1.2, 1.1, 0.9] + ([1.0] if final else [])
    t = w.table(fractions, width)
    w.row(t, ["管理番号", "参考指標", "基準値", *[f"{y}年度\n実績" for y in years], "目標値", last,
              "達成率", "判定", *(["達成状況"] if final else [])], header=True)
    center = {i: WD_ALIGN_PARAGRAPH.CENTER for i in [0, *range(2, len(fractions))]}
    for f in figures:
        ind, result = f.indicator, f.achievement
        w.row(t, [ind.item_code, ind.name, *indicator_cells(plan, f, years, dash), rate_text(result), f.judgement,
                  *([verdict(result)] if final else [])], align=center)
    notes = [
        "実績は各年度の値で、延べの指標は( )内に計画初年度からの累計を示します。"
        f"{last}は、延べの指標は累計、それ以外は{year}年度までの最新の実績です"
        f"（{year}年度の実績がない指標は、( )内にその実績の年度を示します）。",
        f"達成率の算定方法と判定の基準は、1(4)のとおりです。「{dash}」は実績・達成率がないことを示します。",
    ]
    marked = sorted({f.indicator.baseline_year for f in figures if f.indicator.baseline_marked})
    if marked:
        notes.append(f"「*」のある基準値は、計画書の注記のとおり{'・'.join(f'{y}年度' for y in marked)}の数値です。")
    missing_years = [y for y in years if y not in w.data.rosters]
    if missing_years:
        notes.append(f"{'・'.join(f'{y}年度' for y in missing_years)}の回答はデータベースにないため「{dash}」としています。")
    if final:
        notes.append(MET_RULE)
    for n, note in enumerate(notes):
        w.para(("注）" if n == 0 else "") + note, style.NOTE)

    # the indicators counted
    if final:
        counts = Counter(verdict(f.achievement) for f in figures)
        columns = list(VERDICTS)
        w.para(f"計画期間の達成状況（{fiscal_year_label(year)}の判定による）ごとの指標の数です。", keep_with_next=True)
    else:
        counts = Counter(f.judgement for f in figures)
        base_labels = [label for label, _meaning in achievement.JUDGEMENTS]
        columns = base_labels + [label for label in (NOT_SUBMITTED, PENDING, achievement.EXCLUDED) if counts[label]]
        w.para(f"{fiscal_year_label(year)}の判定ごとの指標の数です（計画期間の達成状況は最終年度に示します）。",
               keep_with_next=True)
    t = w.table([2.0] + [1.0] * (len(columns) + 1), width)
    w.row(t, ["", *columns, "計"], header=True)
    w.row(t, ["指標の数", *[str(counts[c]) for c in columns], str(len(figures))], labels=(0,),
          align={i: WD_ALIGN_PARAGRAPH.CENTER for i in range(1, len(columns) + 2)})
    w.keep_together(t)


def grade_keys(plan: Plan, data: ReportData, years: list[int]) -> dict[tuple[str, int], str | None]:
    """(item code, year) → the item's 自己評価 that year as counted (grade_of), None: the year not collected.
    In a transcribed year nobody was asked by this tool: a grade not copied is 転記なし, not 未提出."""
    return {(item.code, y): grade_of(item, y, data.rosters.get(y), data.evaluations.get(y, {}),
                                     transcribed=y in data.transcribed)
            for item in plan.items for y in years}


def transcribed_paragraphs(data: ReportData) -> list[str]:
    """What the report says of the years up to its own that were transcribed from reports done by hand."""
    sentence = transcribed_sentence(data)
    if not sentence:
        return []
    return [f"{sentence}転記していない自己評価は「{NOT_TRANSCRIBED}」、参考指標の実績は「−」としています。"]


def pillar_grade_rows(plan: Plan, config: Config, keys: dict[tuple[str, int], str | None], years: list[int],
                      dash: str) -> list[tuple[str, list[str]]]:
    """(pillar label, a cell per year) and then 合計: 'S 1 / A 2 / B 0 / C 0' and, below, 未提出 … where any."""
    codes = [g.code for g in config.grades]
    rows = [(p.label, plan.items_of(p)) for p in plan.pillars] + [("合計", list(plan.items))]
    out = []
    for label, items in rows:
        cells = []
        for y in years:
            counted = Counter(keys[i.code, y] for i in items)
            if None in counted:
                cells.append(dash)
                continue
            line = " / ".join(f"{c} {counted[c]}" for c in codes)
            extras = sorted(k for k in counted if k not in codes and k not in GRADE_EXTRAS) + list(GRADE_EXTRAS)
            more = "・".join(f"{k} {counted[k]}" for k in extras if counted[k])
            cells.append(f"{line}\n{more}" if more else line)
        out.append((label, cells))
    return out


def _grades(w: ReportWriter, width: int, dash: str) -> None:
    plan, data = w.plan, w.data
    years = _years(w)
    keys = grade_keys(plan, data, years)
    legend = "、".join(f"{g.code}：{g.label}" for g in w.config.grades)
    w.para(f"各取組項目の自己評価（{legend}）の推移です。", keep_with_next=True)
    t = w.table([1.0, 4.6, *[1.2] * len(years)], width)
    w.row(t, ["管理番号", "取組項目", *[f"{y}年度" for y in years]], header=True)
    center = {i: WD_ALIGN_PARAGRAPH.CENTER for i in [0, *range(2, 2 + len(years))]}
    for item in plan.items:
        w.row(t, [item.code, item.title, *[keys[item.code, y] or dash for y in years]], align=center)

    w.para("")
    w.para("柱ごと・年度ごとの自己評価の件数です。", keep_with_next=True)
    t = w.table([2.8, *[2.2] * len(years)], width)
    w.row(t, ["柱", *[f"{y}年度" for y in years]], header=True)
    center = {i: WD_ALIGN_PARAGRAPH.CENTER for i in range(1, 1 + len(years))}
    for label, cells in pillar_grade_rows(plan, w.config, keys, years, dash):
        w.row(t, [label, *cells], labels=(0,), align=center)
    w.keep_together(t)
    notes = [f"自己評価の区分は1(3)のとおりです。{NOT_SUBMITTED}: 調査票の提出がない（又は自己評価の記入がない）。"
             f"{PENDING}: 調査票の差し戻し中。{EXCLUDED}: その年度は評価の対象外。"]
    missing_years = [y for y in years if y not in data.rosters]
    if missing_years:
        notes.append(f"{'・'.join(f'{y}年度' for y in missing_years)}の回答はデータベースにないため「{dash}」としています。")
    w.para("注）" + "".join(notes), style.NOTE)


def opinions_text(year: int, committee: str, given: int, still_open: int, final: bool) -> str:
    """What (3) says of the committee's opinions given before `year`: none, all settled, or how many are open."""
    if not given:
        return f"{year - 1}年度までの報告に対して、{committee}から受けた意見はありません。"
    if not still_open:
        return (f"{year - 1}年度までの報告に対して{committee}から受けた意見{given}件は、いずれも{year}年度までに"
                f"「{ResponseStatus.DONE.label}」又は「{ResponseStatus.DECLINED.label}」との回答があり、"
                "対応が完了していない意見はありません。")
    text = (f"{year - 1}年度までの報告に対して{committee}から受けた意見{given}件のうち、{still_open}件は"
            f"{year}年度末の時点で対応が完了していません。")
    if final:
        return text + "計画期間を終えても残る意見として、次の計画での扱いを検討します。"
    return text + f"{year + 1}年度の調査票で引き続き対応状況を尋ねます。"


def _opinions(w: ReportWriter, width: int, final: bool) -> None:
    year, data, committee = w.year, w.data, w.committee_name
    still_open, given = data.still_open, data.opinions_before
    text = opinions_text(year, committee, given, len(still_open), final)
    if not still_open:
        w.para(text)
        return
    w.para(text, keep_with_next=True)
    t = w.table((1.1, 1.1, 3.0, 1.8, 5.0, 1.6), width)
    w.row(t, ("意見番号", "対象の報告", "取組項目", "担当部署", "委員会の意見", "最新の対応状況"), header=True)
    center = {0: WD_ALIGN_PARAGRAPH.CENTER, 1: WD_ALIGN_PARAGRAPH.CENTER, 5: WD_ALIGN_PARAGRAPH.CENTER}
    for state in still_open:
        opinion = state.opinion
        w.row(t, (opinion.id, f"{opinion.year}年度", opinion_item_text(w.plan, opinion.item_code),
                  opinion_department(w.plan, opinion.department_code), opinion.text, latest_status(state)),
              align=center, split=True)
    w.para(f"注）最新の対応状況は、{year}年度までの調査票で最後に尋ねた年度の回答です。"
           f"「{ResponseStatus.UNANSWERED.label}」は、調査票の提出がない、差し戻し中である、"
           "又は対応状況の記入がないことを示します。", style.NOTE)


def latest_status(state: OpinionState) -> str:
    """'対応中\n（2025年度）': the opinion's latest answer and the year of its workbook."""
    latest = state.latest
    if latest is None:
        return ResponseStatus.UNANSWERED.label
    return f"{latest.status.label}\n（{latest.year}年度）"


def opinion_item_text(plan: Plan, code: str) -> str:
    """'1101 窓口の…' or '全般 計画全体'; an item the plan no longer has shows its code alone."""
    if code != GENERAL and code not in plan.item_by_code:
        return code
    return f"{code} {item_title(plan, code)}"


def opinion_department(plan: Plan, code: str) -> str:
    return plan.department_name_or(code, code)
