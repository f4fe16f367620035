"""The plan-period chapter (6 計画期間の総括, in earlier years 6 計画期間の推移) from four years collected through
the real cycle (templates, returns filled as staff do, collect), and one computation for every figure: the
report's indicator list, its summary, the public .xlsx and the .csv show the same numbers, cell by cell.

The four years (2022–2025, the charter's whole period):
  - every surveyed department returns every year, but 商工課 (18) never does, 情報政策課 (05) is sent back in
    2023 (a grade that is not a choice) and 総務管財課 (11) does not return in 2025;
  - every indicator's actual is 100 each year (fill_all's figure) but the four below; every grade is A but
    the ones in GRADES;
  - the committee gives three opinions on the 2023 report and two on the 2024 report (see `OPINIONS`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections import Counter

import openpyxl
import pytest
from docx import Document

from pipeline.plan import Exclusion
from pipeline.records.opinions import GENERAL, Opinion, opinion_id
from pipeline.report import summary as S
from pipeline.report.public_table import FIRST_ROW, SHEET_TABLE, csv_text
from pipeline.report.usecase import make_report
from pipeline.sheets import layout as L
from pipeline.store import Store
from pipeline.survey.workbook import write_templates
from pipeline.usecases.collect_year import run_collect_year
from tests.conftest import make_project
from tests.report_fixtures import docx_of

YEARS = (2022, 2023, 2024, 2025)
REPORT_DAY = {y: dt.date(y + 1, 6, 20) for y in YEARS}
ABSENT = {y: {"18"} | ({"11"} if y == 2025 else set()) for y in YEARS}   # departments that return nothing
SENT_BACK = (2023, "05")                                                  # 05's 2023 return has an error

# the indicators under test, each year's own figure (None: the reporter's return is missing or sent back)
#   2101 AI-OCR、RPA導入数: baseline *3件 (the 2022 figure, marked), target 13件    reporter 05
#   1301 まちづくり団体プラットフォーム参画団体数: no baseline ("-"), target 26団体  reporter 01
#   2103 未利用資産の売却公募実施数: 延べ, baseline 0回, target 延べ3回             reporter 06
#   2401 病気休暇者数: target 減少 (below the baseline 7名)                         reporter 11
ACTUALS = {
    "2101": {2022: 4, 2023: None, 2024: 9, 2025: 14},
    "1301": {2022: 5, 2023: 10, 2024: 15, 2025: 20},
    "2103": {2022: 1, 2023: 0, 2024: 1, 2025: 1},
    "2401": {2022: 8, 2023: 7, 2024: 6, 2025: None},
}
DEFAULT_ACTUAL = 100
GRADE_CHOICES = {"S": "S：計画以上", "A": "A：計画どおり", "B": "B：やや遅れ", "C": "C：遅れ"}
GRADES = {   # (year, item) → grade; every other item A (its lead returned), 未提出 / 未確定 as the roster says
    (2022, "1101"): "S", (2022, "2101"): "B",
    (2023, "1301"): "C",
    (2024, "1101"): "S", (2024, "1301"): "B",
    (2025, "2101"): "S", (2025, "2103"): "B",
}
# opinions given on a year's report: (item, department, text); answers: (year, opinion) → (status, text)
OPINIONS = {
    2023: [("1301", "01", "参画団体を広げる工夫をすること。"),
           ("2101", "05", "RPA の効果を数字で示すこと。"),
           ("2302", "18", "クラウドファンディングの事例を増やすこと。")],
    2024: [(GENERAL, "04", "計画全体の進み具合を市民に示すこと。"),
           ("2401", "11", "休暇から復帰する職員を支えること。")],
}
ANSWERS = {   # every other opinion asked gets fill_all's 対応中, or 回答なし where its department is absent
    (2024, "2023-01"): ("対応済", "団体向けの説明会を開き、参画の手続きを簡単にした。"),
    (2025, "2024-01"): ("対応しない", "進み具合は本報告書で公表しており、別の資料は作らない。"),
}


# --- the four years, collected ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("summary") / "project")
    plan, config = project.plan, project.config
    for year in YEARS:
        write_templates(plan, config, year)       # after the opinions on the year before: they are asked
        for d in plan.for_year(year).surveyed_departments():
            if d.code in ABSENT[year]:
                continue
            filler = project.filler(d.code, year).fill_all(actual=DEFAULT_ACTUAL)
            for sheet in filler.item_sheets:
                if filler.has(sheet, L.KEY_ACTUAL) and sheet in ACTUALS:
                    filler.set(sheet, L.KEY_ACTUAL, L.FIELD_ACTUAL, ACTUALS[sheet][year])
                if filler.has(sheet, L.KEY_GRADE):
                    grade = GRADE_CHOICES[GRADES.get((year, sheet), "A")]
                    if (year, d.code) == SENT_BACK and sheet == "2101":
                        grade = "Z：分からない"              # not a choice: an error, the return is sent back
                    filler.set(sheet, L.KEY_GRADE, L.FIELD_GRADE, grade)
            for opinion in filler.opinions:
                if (year, opinion) in ANSWERS:
                    filler.respond(opinion, *ANSWERS[year, opinion])
            filler.save(project.inbox(year) / f"{d.name}.xlsx")
        run_collect_year(plan, config, year, today=REPORT_DAY[year], inline=True)
        if year in OPINIONS:
            given = [Opinion(opinion_id(year, n), year, n, item, dept, text)
                     for n, (item, dept, text) in enumerate(OPINIONS[year], 1)]
            with Store(config.store_path) as store:
                store.replace_opinions(year, given, [], file_name="register.xlsx", sha256="0" * 64)
    return project



@pytest.fixture(scope="module")
def made(cycle):
    """year → what the report command made for 2024 and 2025 from the four years' store (without LibreOffice)."""
    return {y: make_report(cycle.plan, cycle.config, y, REPORT_DAY[y], use_office=False) for y in (2024, 2025)}


@pytest.fixture(scope="module")
def reports(made):
    """The 2024 and 2025 reports (python-docx)."""
    return {y: Document(io.BytesIO(result.docx.read_bytes())) for y, result in made.items()}


@pytest.fixture(scope="module")
def public(made):
    """year → (xlsx rows, csv rows), each {管理番号: {header: value}}, as the report command wrote them."""
    out = {}
    for y, files in made.items():
        ws = openpyxl.load_workbook(files.xlsx)[SHEET_TABLE]
        rows = list(ws.iter_rows(min_row=FIRST_ROW + 1, values_only=True))
        head = [h for h in rows[0] if h is not None]
        xlsx = {r[0]: dict(zip(head, r, strict=False)) for r in rows[1:] if r[0] and str(r[0]).isdigit()}
        lines = list(csv.reader(io.StringIO(files.csv.read_bytes().decode("utf-8-sig"))))
        out[y] = xlsx, {r[0]: dict(zip(lines[0], r, strict=True)) for r in lines[1:]}
    return out


# --- reading the report -------------------------------------------------------------------------------

def table(document, *first: str) -> list[list[str]]:
    """The rows (header first) of the first table whose header starts with `first`."""
    for t in document.tables:
        rows = [[c.text for c in row.cells] for row in t.rows]
        if rows[0][:len(first)] == list(first):
            return rows
    raise AssertionError(f"no table headed {first}")


def by_code(rows: list[list[str]]) -> dict[str, list[str]]:
    return {r[0]: r for r in rows[1:]}


def chapter(document) -> list[str]:
    """The body paragraphs of chapter 6, its heading first."""
    texts = [p.text for p in document.paragraphs]
    return texts[next(n for n, t in enumerate(texts) if t.startswith("6 ")):]


def summary_indicators(document) -> list[list[str]]:
    return table(document, "管理番号", "参考指標", "基準値")


def indicator_list(document) -> list[list[str]]:
    """Chapter 4's table."""
    return table(document, "管理番号", "取組項目", "参考指標")


def item_grades(document, first_year: str = "2022年度") -> list[list[str]]:
    return table(document, "管理番号", "取組項目", first_year)


def pillar_grades(document) -> list[list[str]]:
    return table(document, "柱", "2022年度")


COMMITTEE = "伊豆の国市行財政改革推進委員会"


# --- the last year: 計画期間の総括 ----------------------------------------------------------------------

def test_final__chapter_6_after_the_committees_chapter_with_its_sections(reports):
    headings = [(p.style.name, p.text) for p in reports[2025].paragraphs if p.style.name.startswith("Heading")]
    level1 = [t for s, t in headings if s == "Heading 1"]
    assert level1[3:] == ["4 各取組項目の参考指標一覧", "5 委員会意見への対応", "6 計画期間の総括"]
    assert headings[-4:] == [("Heading 1", "6 計画期間の総括"), ("Heading 2", "(1) 参考指標の推移と達成状況"),
                             ("Heading 2", "(2) 取組項目の自己評価の推移"),
                             ("Heading 2", "(3) 対応が完了していない委員会の意見")]


def test_final__the_four_kinds_of_indicator_by_hand(reports):
    rows = summary_indicators(reports[2025])
    assert rows[0] == ["管理番号", "参考指標", "基準値", "2022年度\n実績", "2023年度\n実績", "2024年度\n実績",
                       "2025年度\n実績", "目標値", "最終値", "達成率", "判定", "達成状況"]
    got = by_code(rows)
    # baseline *3件 (the 2022 figure, marked): (14 − 3) ÷ (13 − 3) × 100 = 110.0; 2023 sent back: 未確定
    assert got["2101"] == ["2101", "AI-OCR、RPA導入数", "*3件", "4件", "未確定", "9件", "14件", "13件", "14件",
                           "110.0%", "達成", "達成"]
    # no baseline ("-"): 実績 ÷ 目標値 = 20 ÷ 26 × 100 = 76.92… → 76.9, below 100 in the target year: 未達成
    assert got["1301"] == ["1301", "まちづくり団体プラットフォーム参画団体数", "-", "5団体", "10団体", "15団体",
                           "20団体", "26団体", "20団体", "76.9%", "未達成", "未達成"]
    # 延べ: running totals 1, 1 + 0 = 1, 1 + 1 = 2, 2 + 1 = 3; 3 ÷ 3 × 100 = 100.0 → 達成
    assert got["2103"] == ["2103", "未利用資産の売却公募実施数", "0回\n(2021年度)", "1回\n(累計 1回)",
                           "0回\n(累計 1回)", "1回\n(累計 2回)", "1回\n(累計 3回)", "延べ3回", "累計 3回",
                           "100.0%", "達成", "達成"]
    # 減少: 2025 missing (総務管財課 returned nothing): the target year's verdict is not made on the 2024 figure
    # (6 < 7 would have been 達成) — A.FINAL_YEAR_RULE: 未提出, so 判定不能
    assert got["2401"] == ["2401", "病気休暇者数 (基準値比較)", "7名\n(2021年度)", "8名", "7名", "6名", "未提出",
                           "減少", "6名\n(2024年度)", "−", "未提出", "判定不能"]
    # 商工課 never returned: no actual at all → 判定不能
    assert got["2302"][3:] == ["未提出", "未提出", "未提出", "未提出", "延べ7件", "−", "−", "未提出", "判定不能"]


def test_final__verdict_of_every_indicator_and_the_counts(reports):
    verdicts = {code: row[-1] for code, row in by_code(summary_indicators(reports[2025])).items()}
    # every other indicator is 100 in each year:
    #   1101 (100 − 6794) ÷ (9000 − 6794) < 0, 1102 (100 − 5820) ÷ (6402 − 5820) < 0,
    #   2301 (100 − 0) ÷ (2000 − 0) = 5.0% → 未達成;
    #   1201 900%, 1202 (100 − 25) ÷ 75 = 100%, 1401, 1402 100 ÷ 100, 2102 (100 − 44.7) ÷ 55.3 = 100%,
    #   2104 100 ÷ 100, 2201, 2402 → 達成;
    #   2401, 2403: 総務管財課 returned nothing in 2025, the target year: no verdict on the 2024 figure
    #   (A.FINAL_YEAR_RULE) → 判定不能, as 2302 whose 商工課 never returned
    assert verdicts == {
        "1101": "未達成", "1102": "未達成", "1201": "達成", "1202": "達成", "1301": "未達成", "1401": "達成",
        "1402": "達成", "2101": "達成", "2102": "達成", "2103": "達成", "2104": "達成", "2201": "達成",
        "2301": "未達成", "2302": "判定不能", "2401": "判定不能", "2402": "達成", "2403": "判定不能",
    }
    assert table(reports[2025], "", "達成", "未達成") == [["", "達成", "未達成", "判定不能", "計"],
                                                        ["指標の数", "10", "4", "3", "17"]]
    text = chapter(reports[2025])
    assert ("計画期間の4年間で、参考指標17指標のうち、目標を達成した指標は10指標、未達成の指標は4指標、"
            f"達成状況を判定できなかった指標は3指標でした。また、{COMMITTEE}の意見3件は対応が完了していません。"
            "目標に届かなかった指標と残された課題は、次の計画の策定にあたって引き継ぎ、取組の見直しに活かします。") in text
    assert any(S.MET_RULE in p for p in text)          # the rule for "met", stated under the table


def test_final__every_items_grade_in_every_year(reports):
    rows = item_grades(reports[2025])
    assert rows[0] == ["管理番号", "取組項目", "2022年度", "2023年度", "2024年度", "2025年度"]
    assert {r[0]: r[2:] for r in rows[1:]} == {
        "1101": ["S", "A", "S", "A"],
        "1102": ["A", "A", "A", "A"],
        "1201": ["A", "A", "A", "A"],
        "1202": ["A", "A", "A", "A"],
        "1301": ["A", "C", "B", "A"],
        "1401": ["A", "A", "A", "A"],
        "1402": ["A", "A", "A", "A"],
        "2101": ["B", "未確定", "A", "S"],          # 情報政策課 sent back in 2023
        "2102": ["A", "A", "A", "A"],
        "2103": ["A", "A", "A", "B"],
        "2104": ["A", "A", "A", "A"],
        "2201": ["A", "未確定", "A", "A"],
        "2301": ["A", "A", "A", "A"],
        "2302": ["未提出", "未提出", "未提出", "未提出"],   # 商工課 never returned
        "2401": ["A", "A", "A", "未提出"],          # 総務管財課 absent in 2025
        "2402": ["A", "A", "A", "A"],
        "2403": ["A", "A", "A", "未提出"],
    }


def test_final__grades_counted_per_pillar_and_year(reports):
    assert pillar_grades(reports[2025]) == [
        ["柱", "2022年度", "2023年度", "2024年度", "2025年度"],
        ["1-1 わかりやすい情報提供", "S 1 / A 1 / B 0 / C 0", "S 0 / A 2 / B 0 / C 0", "S 1 / A 1 / B 0 / C 0",
         "S 0 / A 2 / B 0 / C 0"],
        ["1-2 市民ニーズの把握"] + ["S 0 / A 2 / B 0 / C 0"] * 4,
        ["1-3 市民活動の推進", "S 0 / A 1 / B 0 / C 0", "S 0 / A 0 / B 0 / C 1", "S 0 / A 0 / B 1 / C 0",
         "S 0 / A 1 / B 0 / C 0"],
        ["1-4 市民力の活用"] + ["S 0 / A 2 / B 0 / C 0"] * 4,
        ["2-1 行政運営の見直し", "S 0 / A 3 / B 1 / C 0", "S 0 / A 3 / B 0 / C 0\n未確定 1",
         "S 0 / A 4 / B 0 / C 0", "S 1 / A 2 / B 1 / C 0"],
        ["2-2 行政サービスの見直し", "S 0 / A 1 / B 0 / C 0", "S 0 / A 0 / B 0 / C 0\n未確定 1",
         "S 0 / A 1 / B 0 / C 0", "S 0 / A 1 / B 0 / C 0"],
        ["2-3 安定した歳入の確保"] + ["S 0 / A 1 / B 0 / C 0\n未提出 1"] * 4,
        ["2-4 職員力の強化", "S 0 / A 3 / B 0 / C 0", "S 0 / A 3 / B 0 / C 0", "S 0 / A 3 / B 0 / C 0",
         "S 0 / A 1 / B 0 / C 0\n未提出 2"],
        # 17 items each year: 2022 1 + 14 + 1 + 0 + 1; 2023 0 + 13 + 0 + 1 + 1 + 2; 2024 as 2022; 2025 1 + 12 + 1 + 3
        ["合計", "S 1 / A 14 / B 1 / C 0\n未提出 1", "S 0 / A 13 / B 0 / C 1\n未提出 1・未確定 2",
         "S 1 / A 14 / B 1 / C 0\n未提出 1", "S 1 / A 12 / B 1 / C 0\n未提出 3"],
    ]


def test_final__opinions_still_open_at_the_end(reports):
    # 2023-01 settled 対応済 in 2024, 2024-01 settled 対応しない in 2025; the others are open, in charter order
    assert table(reports[2025], "意見番号", "対象の報告", "取組項目") == [
        ["意見番号", "対象の報告", "取組項目", "担当部署", "委員会の意見", "最新の対応状況"],
        ["2023-02", "2023年度", "2101 効果的な行政運営", "情報政策課", "RPA の効果を数字で示すこと。",
         "対応中\n（2025年度）"],
        ["2023-03", "2023年度", "2302 ふるさと納税・クラウドファンディングの活用", "商工課",
         "クラウドファンディングの事例を増やすこと。", "回答なし\n（2025年度）"],
        ["2024-02", "2024年度", "2401 働きやすい職場環境の醸成", "総務管財課", "休暇から復帰する職員を支えること。",
         "回答なし\n（2025年度）"],
    ]
    assert (f"2024年度までの報告に対して{COMMITTEE}から受けた意見5件のうち、3件は2025年度末の時点で対応が完了して"
            "いません。計画期間を終えても残る意見として、次の計画での扱いを検討します。") in chapter(reports[2025])


# --- an earlier year: 計画期間の推移, without the closing judgement ------------------------------------

def test_earlier__titled_as_the_course_so_far_without_any_verdict(reports):
    text = chapter(reports[2024])
    assert text[0] == "6 計画期間の推移（2024年度まで）"
    assert "(1) 参考指標の推移" in text and "(1) 参考指標の推移と達成状況" not in text
    assert any(p.endswith("計画期間を通じた目標の達成状況は、最終年度（令和7年度（2025年度））の報告書で総括します。")
               for p in text)
    joined = "\n".join(text)
    assert S.MET_RULE not in joined and "目標を達成し" not in joined and "判定不能" not in joined
    header = summary_indicators(reports[2024])[0]
    assert "達成状況" not in header and "2025年度\n実績" not in header and "最新値" in header


def test_earlier__the_four_kinds_of_indicator_by_hand(reports):
    got = by_code(summary_indicators(reports[2024]))
    # (9 − 3) ÷ (13 − 3) × 100 = 60.0; the straight course (2024 − 2022) ÷ (2025 − 2022) = 66.7 → 要努力
    assert got["2101"] == ["2101", "AI-OCR、RPA導入数", "*3件", "4件", "未確定", "9件", "13件", "9件", "60.0%",
                           "要努力"]
    # 15 ÷ 26 × 100 = 57.69… → 57.7; course (2024 − 2021) ÷ (2025 − 2021) = 75.0 → 要努力
    assert got["1301"][2:] == ["-", "5団体", "10団体", "15団体", "26団体", "15団体", "57.7%", "要努力"]
    # 延べ: 1 + 0 + 1 = 2; 2 ÷ 3 × 100 = 66.67 → 66.7; course from 2021: 75.0 → 要努力
    assert got["2103"][2:] == ["0回\n(2021年度)", "1回\n(累計 1回)", "0回\n(累計 1回)", "1回\n(累計 2回)",
                               "延べ3回", "累計 2回", "66.7%", "要努力"]
    # 減少: 6 < 7 → 達成
    assert got["2401"][2:] == ["7名\n(2021年度)", "8名", "7名", "6名", "減少", "6名", "−", "達成"]


def test_earlier__indicators_counted_by_the_years_judgement(reports):
    # 達成: 1201 1202 1401 1402 2102 2104 2201 2401 2402 2403; 要努力: 1101 1102 1301 2101 2103 2301
    # (2301: (100 − 0) ÷ 2000 = 5.0% below its course 66.7%); 2302: 未提出
    assert table(reports[2024], "", "達成", "順調") == [
        ["", "達成", "順調", "要努力", "未達成", "評価不能", "実績なし", "未提出", "計"],
        ["指標の数", "10", "0", "6", "0", "0", "0", "1", "17"],
    ]


def test_earlier__grades_up_to_the_year_and_opinions_open_at_its_end(reports):
    rows = item_grades(reports[2024])
    assert rows[0][2:] == ["2022年度", "2023年度", "2024年度"]
    assert by_code(rows)["2101"][2:] == ["B", "未確定", "A"]
    assert pillar_grades(reports[2024])[-1] == ["合計", "S 1 / A 14 / B 1 / C 0\n未提出 1",
                                                "S 0 / A 13 / B 0 / C 1\n未提出 1・未確定 2",
                                                "S 1 / A 14 / B 1 / C 0\n未提出 1"]
    # opinions on the 2024 report itself (2024-01, 2024-02) come after it: not counted here
    assert table(reports[2024], "意見番号", "対象の報告", "取組項目")[1:] == [
        ["2023-02", "2023年度", "2101 効果的な行政運営", "情報政策課", "RPA の効果を数字で示すこと。",
         "対応中\n（2024年度）"],
        ["2023-03", "2023年度", "2302 ふるさと納税・クラウドファンディングの活用", "商工課",
         "クラウドファンディングの事例を増やすこと。", "回答なし\n（2024年度）"],
    ]
    assert (f"2023年度までの報告に対して{COMMITTEE}から受けた意見3件のうち、2件は2024年度末の時点で対応が完了して"
            "いません。2025年度の調査票で引き続き対応状況を尋ねます。") in chapter(reports[2024])


# --- one computation: the report's tables, the .xlsx and the .csv -------------------------------------

NO_FIGURE = {"−", "-", "未提出", "未確定", "対象外", "減少", "増加"}   # a cell that says why there is no number


def number(text: str, unit: str) -> float | None:
    """A report cell as the number the xlsx holds: '7,500件' → 7500, '*3件' → 3, '延べ3回' → 3, '▲25.0%' → −25.0;
    the first line only (the summary adds a running total or a year below); None for a cell without a number."""
    first = text.split("\n")[0]
    if first in NO_FIGURE:
        return None
    assert first.endswith(unit), (text, unit)
    figure = first.removesuffix(unit).removeprefix("*").removeprefix("延べ").replace(",", "").replace("▲", "-")
    return float(figure)


def same(report: str, unit: str, cell, field: str) -> None:
    """One cell in the three outputs: the report's text, the xlsx value, the CSV field."""
    assert field == csv_text(cell), (field, cell)                   # the CSV is the xlsx cell, as csv_text writes it
    assert number(report, unit) == (None if cell is None else float(cell)), (report, cell)
    assert (float(field) if field else None) == (None if cell is None else float(cell))


@pytest.mark.parametrize("year", [2024, 2025])
def test_one_computation__report_tables_xlsx_and_csv_cell_by_cell(cycle, reports, public, year):
    xlsx, csv_rows = public[year]
    listed, summary = indicator_list(reports[year]), summary_indicators(reports[year])
    listed_rows = {r[0]: dict(zip(listed[0], r, strict=True)) for r in listed[1:]}
    summary_rows = {r[0]: dict(zip(summary[0], r, strict=True)) for r in summary[1:]}
    indicators = cycle.plan.indicators
    assert list(xlsx) == list(csv_rows) == list(listed_rows) == list(summary_rows) == [i.item_code for i in indicators]
    base_head = next(h for h in listed[0] if h.endswith("(基準)"))
    target_head = next(h for h in listed[0] if h.endswith("(目標)"))
    checked = 0
    for ind in indicators:
        code, unit = ind.item_code, ind.unit
        x, c, rep, summ = xlsx[code], csv_rows[code], listed_rows[code], summary_rows[code]
        same(rep[base_head], unit, x["基準値"], c["基準値"])
        same(summ["基準値"], unit, x["基準値"], c["基準値"])
        same(rep[target_head], unit, x["目標値"], c["目標値"])
        same(summ["目標値"], unit, x["目標値"], c["目標値"])
        for y in cycle.plan.years:
            head = f"{y}年度実績"
            if y > year:                                            # a later year: empty in the table and CSV
                assert x[head] is None and c[head] == "" and f"{y}年度\n実績" not in rep
                continue
            for text in (rep[f"{y}年度\n実績"], summ[f"{y}年度\n実績"]):
                same(text, unit, x[head], c[head])
                if x[head] is None:                                 # the note says why, as the report's cell does
                    assert f"{y}年度実績: {text if text != '−' else '報告なし'}" in x["注記"]
            checked += 1
        for text in (rep["達成率"], summ["達成率"]):
            same(text, "%", x["達成率(%)"], c["達成率(%)"])
        assert rep["判定"] == summ["判定"] == x["判定"] == c["判定"]
        if ind.cumulative and x["達成率(%)"] is not None:           # the running total: in the xlsx note
            total = summ["最終値" if year == cycle.plan.period_end else "最新値"].removeprefix("累計 ")
            assert f"までの累計 {total}" in x["注記"]
    assert checked == len(indicators) * (year - 2021)


def test_excluded_item__its_grade_reads_対象外_in_that_year_only(cycle):
    """An item 対象外 in 2023 (the plan's exclusion, kept by the report year's plan): neither a grade nor 未提出."""
    plan = cycle.plan
    items = tuple(dataclasses.replace(i, excluded=(Exclusion(2023, "制度の見直しのため"),)) if i.code == "1102" else i
                  for i in plan.items)
    document = Document(io.BytesIO(docx_of(dataclasses.replace(plan, items=items), cycle.config, 2025,
                                           REPORT_DAY[2025])))
    assert by_code(item_grades(document))["1102"][2:] == ["A", "対象外", "A", "A"]
    assert pillar_grades(document)[1][1:3] == ["S 1 / A 1 / B 0 / C 0", "S 0 / A 1 / B 0 / C 0\n対象外 1"]


@pytest.mark.parametrize(("counts", "sentence"), [
    ({S.MET: 10, S.NOT_MET: 4, S.UNMEASURABLE: 3},
     "参考指標17指標のうち、目標を達成した指標は10指標、未達成の指標は4指標、達成状況を判定できなかった指標は3指標でした。"),
    ({S.MET: 13, S.NOT_MET: 4},          # none unmeasurable: no 「0指標は達成状況を判定できませんでした」
     "参考指標17指標のうち、目標を達成した指標は13指標、未達成の指標は4指標でした。"),
    ({S.MET: 17}, "参考指標17指標は、すべて目標を達成しました。"),
    ({S.UNMEASURABLE: 17}, "参考指標17指標は、すべて達成状況を判定できませんでした。"),
])
def test_verdict_sentence__names_only_the_verdicts_some_indicator_has(counts, sentence):
    assert S.verdict_sentence(17, Counter(counts)) == sentence
