"""A city that starts with the tool in the plan's last year: FY2022–2024 were surveyed and reported by hand.
The secretariat makes a 転記票 per past year (history template), copies the printed report into its yellow
cells, and takes it in (history import): checked like a return, stored only when all of it is valid, and
marked as transcribed, so it is never mixed up with a collected year. The FY2025 report then closes the
period over all four years.

The four years (through the command line, as the secretariat runs them):
  - 2022: only the indicator figures survive (the other sheets stay empty);
  - 2023: the figures, two items' grades and one initiative's progress;
  - 2024: the figures (2302's not kept), every item's grade (1101 S, the rest A), its own 転記元;
  - 2025: collected (templates → every department returns, fill_all's figures but the four below → collect).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import shutil
import sqlite3
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document

from pipeline import platform
from pipeline.cli import main
from pipeline.history import transcript as T
from pipeline.history.intake import TranscriptCheck, _Indicators
from pipeline.history.transcript import build_transcript, transcript_file_name
from pipeline.intake.reader import CellTrouble, WorkbookValues
from pipeline.sheets import layout as L
from pipeline.store import SCHEMA_VERSION, Store
from pipeline.usecases.collect_year import run_collect_year
from tests.conftest import ROOT, make_project
from tests.office_support import Calc, need_office, requires_office

TRANSCRIBED = (2022, 2023, 2024)
FINAL = 2025
REPORT_DATE = "2026-06-20"
GRADE_CHOICES = {"S": "S：計画以上", "A": "A：計画どおり", "B": "B：やや遅れ", "C": "C：遅れ"}
SOURCE_2024 = "令和6年度 行財政改革進捗状況報告書（冊子版）から転記"

# each year's own figure (None: not transcribed; 2025's come from the returns)
#   1101 公式LINE登録者数: baseline 6,794件 (2021), target 9,000件               reporter 01
#   1201 「市長と語ろう」開催回数: baseline 10回 (2021), target 20回              reporter 01
#   2103 未利用資産の売却公募実施数: 延べ, baseline 0回, target 延べ3回          reporter 06
#   2302 ふるさと納税を活用したクラウドファンディング件数: 延べ, target 延べ7件   reporter 18
ACTUALS = {
    "1101": {2022: 7000, 2023: 7500, 2024: 8200, 2025: 8500},
    "1201": {2022: 12, 2023: None, 2024: 15, 2025: 20},
    "2103": {2022: 1, 2023: 0, 2024: 1, 2025: 2},
    "2302": {2022: 1, 2023: 2, 2024: None, 2025: 2},
}
GRADES_2023 = {"1101": "B", "2103": "A"}
PROGRESS_2023 = ("1101-01", "実施中", "登録を呼びかけるチラシを配った。")


class TranscriptFiller:
    """Types into a 転記票 as the secretariat does in Excel: only into the yellow (unlocked) cells of the row
    whose key (管理番号, 取組ID) is in column A."""

    def __init__(self, path: Path):
        self.path = path
        self.wb = openpyxl.load_workbook(path)

    def type(self, sheet: str, key: str, column: int, value) -> str:
        ws = self.wb[sheet]
        row = next(c.row for (c,) in ws.iter_rows(min_row=T.HEADER_ROW + 2, max_col=1) if c.value == key)
        cell = ws.cell(row, column + 1)
        assert cell.protection.locked is False, f"{sheet}!{cell.coordinate} is not an input cell"
        cell.value = value
        return f"{sheet}!{cell.coordinate}"

    def actual(self, item: str, value) -> str:
        return self.type(T.SHEET_INDICATORS, item, T.COL_ACTUAL, value)

    def grade(self, item: str, grade=None, reason=None) -> str:
        if reason is not None:
            self.type(T.SHEET_GRADES, item, T.COL_REASON, reason)
        return self.type(T.SHEET_GRADES, item, T.COL_GRADE, grade) if grade is not None else ""

    def progress(self, initiative: str, progress, result=None) -> str:
        if result is not None:
            self.type(T.SHEET_PROGRESS, initiative, T.COL_RESULT, result)
        return self.type(T.SHEET_PROGRESS, initiative, T.COL_PROGRESS, progress)

    def source(self, text: str) -> None:
        ws = self.wb[L.SHEET_GUIDE]
        row = next(c.row for (c,) in ws.iter_rows(max_col=1) if L.row_key(c.value) == T.KEY_SOURCE)
        assert ws.cell(row, 2).protection.locked is False
        ws.cell(row, 2).value = text

    def save(self) -> Path:
        self.wb.save(self.path)
        return self.path


def cli(project, *args):
    return CliRunner().invoke(main, ["--config", str(project.config_path), *args])


def transcript_of(project, year: int) -> Path:
    return project.config.history_for(year) / transcript_file_name(year)


def fill_transcribed_year(project, year: int) -> None:
    filler = TranscriptFiller(transcript_of(project, year))
    for item, figures in ACTUALS.items():
        if figures[year] is not None:
            filler.actual(item, figures[year])
    if year == 2023:
        for item, grade in GRADES_2023.items():
            filler.grade(item, GRADE_CHOICES[grade], f"{item}の評価の理由（報告書から）")
        filler.progress(PROGRESS_2023[0], PROGRESS_2023[1], PROGRESS_2023[2])
    if year == 2024:
        for item in T.evaluated_items(project.plan.for_year(year), year):
            filler.grade(item.code, GRADE_CHOICES["S" if item.code == "1101" else "A"])
        filler.source(SOURCE_2024)
    filler.save()


# --- the real path: three years transcribed, the fourth collected, the final report -----------------------

@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("history") / "project")
    outputs = {}
    for year in TRANSCRIBED:
        made = cli(project, "history", "template", "--year", str(year))
        assert made.exit_code == 0, made.output
        fill_transcribed_year(project, year)
        taken = cli(project, "history", "import", "--year", str(year))
        assert taken.exit_code == 0, taken.output
        outputs[year] = taken.output
    made = cli(project, "templates", "--year", str(FINAL))
    assert made.exit_code == 0, made.output
    for d in project.plan.for_year(FINAL).surveyed_departments():
        filler = project.filler(d.code, FINAL).fill_all(actual=100)
        for sheet in filler.item_sheets:
            if sheet in ACTUALS and filler.has(sheet, L.KEY_ACTUAL):
                filler.set(sheet, L.KEY_ACTUAL, L.FIELD_ACTUAL, ACTUALS[sheet][FINAL])
        filler.save(project.inbox(FINAL) / f"{d.name}.xlsx")
    collected = cli(project, "collect", "--year", str(FINAL))
    assert collected.exit_code == 0, collected.output
    reported = cli(project, "report", "--year", str(FINAL), "--date", REPORT_DATE, "--no-pdf")
    assert reported.exit_code == 0, reported.output
    folder = project.config.output_for(FINAL)
    docx = next(folder.glob("*.docx"))
    return project, outputs, Document(io.BytesIO(docx.read_bytes())), (folder / "web" / "index.html").read_text("utf-8")


def table(document, *first: str) -> list[list[str]]:
    for t in document.tables:
        rows = [[c.text for c in row.cells] for row in t.rows]
        if rows[0][:len(first)] == list(first):
            return rows
    raise AssertionError(f"no table headed {first}")


def by_code(rows: list[list[str]]) -> dict[str, list[str]]:
    return {r[0]: r for r in rows[1:]}


def paragraphs_after(document, heading: str) -> list[str]:
    texts = [p.text for p in document.paragraphs]
    return texts[texts.index(heading):]


TRANSCRIBED_TEXT = (
    "2022年度・2023年度・2024年度の実績は、このツールを使う前に手作業で調査・報告した年度のため、その年度の報告書"
    "から転記したものです（2022年度は「令和4年度進捗状況報告書から転記」、2023年度は「令和5年度進捗状況報告書から転記」、"
    f"2024年度は「{SOURCE_2024}」）。転記していない自己評価は「転記なし」、参考指標の実績は「−」としています。"
)


def test_history__final_report_closes_the_period_over_transcribed_and_collected_years(cycle):
    _project, _outputs, report, _page = cycle
    got = by_code(table(report, "管理番号", "参考指標", "基準値"))
    # (8500 − 6794) ÷ (9000 − 6794) × 100 = 1706 ÷ 2206 × 100 = 77.33… → 77.3%, the target year: 未達成
    assert got["1101"] == ["1101", "公式LINE登録者数", "6,794件\n(2021年度)", "7,000件", "7,500件", "8,200件",
                           "8,500件", "9,000件", "8,500件", "77.3%", "未達成", "未達成"]
    # (20 − 10) ÷ (20 − 10) × 100 = 100.0% → 達成; 2023's figure was not kept: −
    assert got["1201"] == ["1201", "「市長と語ろう」開催回数", "10回\n(2021年度)", "12回", "−", "15回", "20回",
                           "20回", "20回", "100.0%", "達成", "達成"]
    # 延べ over all four years: 1, 1 + 0 = 1, 1 + 1 = 2, 2 + 2 = 4; 4 ÷ 3 × 100 = 133.3% → 達成
    assert got["2103"] == ["2103", "未利用資産の売却公募実施数", "0回\n(2021年度)", "1回\n(累計 1回)",
                           "0回\n(累計 1回)", "1回\n(累計 2回)", "2回\n(累計 4回)", "延べ3回", "累計 4回",
                           "133.3%", "達成", "達成"]
    # 延べ without 2024 (not kept): 1, 1 + 2 = 3, −, 3 + 2 = 5; 5 ÷ 7 × 100 = 71.43… → 71.4% → 未達成
    assert got["2302"][3:] == ["1件\n(累計 1件)", "2件\n(累計 3件)", "−", "2件\n(累計 5件)", "延べ7件", "累計 5件",
                               "71.4%", "未達成", "未達成"]
    # the other indicators have 2025's 100 alone: 1102 (100 − 5820) ÷ (6402 − 5820) < 0, 2301 100 ÷ 2000 = 5.0%,
    # 2401 100名 is not below 7名 → 未達成 (with 1101 and 2302: 5); the other 12 reach their targets
    assert ("計画期間の4年間で、参考指標17指標のうち、目標を達成した指標は12指標、未達成の指標は5指標でした。"
            in paragraphs_after(report, "6 計画期間の総括")[2])


def test_history__grades_of_each_year_transcribed_or_not(cycle):
    _project, _outputs, report, _page = cycle
    grades = {r[0]: r[2:] for r in table(report, "管理番号", "取組項目", "2022年度")[1:]}
    # 2022: only the figures were kept; 2023: two items; 2024: every item; 2025: collected (fill_all's A)
    assert grades["1101"] == ["転記なし", "B", "S", "A"]
    assert grades["2103"] == ["転記なし", "A", "A", "A"]
    assert grades["1102"] == ["転記なし", "転記なし", "A", "A"]
    pillars = by_code(table(report, "柱", "2022年度"))
    assert pillars["合計"][1:] == ["S 0 / A 0 / B 0 / C 0\n転記なし 17", "S 0 / A 1 / B 1 / C 0\n転記なし 15",
                                   "S 1 / A 16 / B 0 / C 0", "S 0 / A 17 / B 0 / C 0"]


def test_history__report_says_which_years_were_transcribed_and_from_what(cycle):
    _project, _outputs, report, page = cycle
    part1 = paragraphs_after(report, "(5) 調査票の提出状況")
    assert TRANSCRIBED_TEXT in part1[:part1.index("2 計画の体系")]
    assert TRANSCRIBED_TEXT in paragraphs_after(report, "6 計画期間の総括")[:4]     # after the two opening ones
    assert page.count(TRANSCRIBED_TEXT) == 2     # the indicators' notes and the period's summary


def test_history__public_table_notes_say_which_years_were_transcribed(cycle):
    """The table published on its own says it too, in the report's words, among its notes below the table."""
    project, _outputs, _report, _page = cycle
    table = next(project.config.output_for(FINAL).glob("参考指標一覧_*.xlsx"))
    texts = [c.value for row in openpyxl.load_workbook(table).active.iter_rows() for c in row if isinstance(c.value, str)]
    first = TRANSCRIBED_TEXT.split("。")[0] + "。"
    notes = "".join(t.lstrip("\u3000") for t in texts)      # the notes are cut into lines as wide as the table
    assert first + "転記していない実績は空欄です。" in notes


def test_history__report_on_a_transcribed_year__says_no_workbook_was_sent_and_what_was_not_copied(cycle):
    project = cycle[0]
    reported = cli(project, "report", "--year", "2023", "--date", "2024-06-20", "--no-pdf")
    assert reported.exit_code == 0, reported.output
    docx = next(project.config.output_for(2023).glob("*.docx"))
    report = Document(io.BytesIO(docx.read_bytes()))
    part1 = paragraphs_after(report, "(5) 調査票の提出状況")
    assert part1[1] == ("令和5年度（2023年度）の進捗状況は、このツールを使う前に手作業で調査・報告したため、その年度の報告書から"
                        "転記したものです（令和5年度進捗状況報告書から転記）。部署ごとの調査票の提出状況はありません。")
    assert part1[2] == "2 計画の体系"
    # each item's 自己評価 in chapter 3, in the charter's order: 1101 B (copied), 1102 not copied
    grades = [[[c.text for c in row.cells] for row in t.rows] for t in report.tables
              if [c.text for c in t.rows[0].cells] == ["自己評価", "評価の理由"]]
    assert grades[0][1] == ["B\n（やや遅れ）", "1101の評価の理由（報告書から）"]
    assert grades[1][1] == ["転記なし", "2023年度の報告書から自己評価を転記していません。"]
    # chapter 2 counts what was not copied as such, never as 未提出
    counts = table(report, "柱", "S")
    totals = dict(zip(counts[0], by_code(counts)["合計"], strict=True))
    # 2023: B 1101, A 2103, the other 15 not copied; 2022 (the year before): all 17 not copied
    assert {k: totals[k] for k in ("S", "A", "B", "転記なし", "未提出")} == {
        "S": "0\n(±0)", "A": "1\n(+1)", "B": "1\n(+1)", "転記なし": "15\n(▲2)", "未提出": "0\n(±0)"}


def test_history__store_holds_each_part_transcribed_marked_with_its_source(cycle):
    project, outputs, _report, _page = cycle
    with Store(project.config.store_path, readonly=True) as store:
        assert {y: t.source for y, t in store.transcriptions().items()} == {
            2022: "令和4年度進捗状況報告書から転記", 2023: "令和5年度進捗状況報告書から転記", 2024: SOURCE_2024}
        assert store.years() == [2022, 2023, 2024, 2025]
        for t in store.transcriptions().values():     # each 転記票 kept in the store, exactly as it was taken in
            data = store.kept_file(t.sha256)
            assert data is not None and hashlib.sha256(data).hexdigest() == t.sha256
        # 2022: only the indicator figures (an empty part is allowed)
        assert store.evaluations(2022) == {} and store.answers(2022) == {}
        assert {k: v for k, v in store.actuals().items() if k[0] == 2022} == {
            (2022, "1101"): 7000, (2022, "1201"): 12, (2022, "2103"): 1, (2022, "2302"): 1}
        # 2023: one initiative's progress, the answer of each of its departments
        initiative = project.plan.initiative_by_id[PROGRESS_2023[0]]
        assert sorted(store.answers(2023)) == [(PROGRESS_2023[0], d) for d in sorted(initiative.departments)]
        assert {a.progress for a in store.answers(2023).values()} == {PROGRESS_2023[1]}
    assert outputs[2022].splitlines()[0] == (
        "転記票_R04_2022年度.xlsx を取り込みました: 2022年度（令和4年度進捗状況報告書から転記）、参考指標の実績 4 件、"
        "自己評価 0 件、進捗状況 0 取組（警告 0 件）。")


def test_history__status_of_a_transcribed_year_says_so(cycle):
    project = cycle[0]
    result = cli(project, "status", "--year", "2024")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "令和6年度（2024年度） は、転記票から取り込んだ年度です（このツールで調査票は送っていません）。"
    assert f"転記元: {SOURCE_2024}" in lines
    assert not any("未提出" in line for line in lines)


# --- mistakes, refusals, the wrong workbook ---------------------------------------------------------------

@pytest.fixture
def fresh(tmp_path):
    return make_project(tmp_path / "project")


def test_history_import__mistakes_at_their_cells__nothing_stored(fresh):
    assert cli(fresh, "history", "template", "--year", "2024").exit_code == 0
    filler = TranscriptFiller(transcript_of(fresh, 2024))
    filler.actual("1102", 6100)                                  # fine, but nothing is stored with the rest
    words = filler.actual("1101", "約七千件")                      # not a number
    grade = filler.grade("1201", "Z：分からない")                  # not a choice
    reasonless = filler.grade("1202", reason="意見の出た事案が増えた。")   # a reason without its grade
    progress = filler.progress("1101-01", "", result="チラシを配った。")  # a text without its progress
    filler.save()
    result = cli(fresh, "history", "import", "--year", "2024")
    assert result.exit_code == 1
    assert words == "参考指標!E5" and grade == "自己評価!D7"
    assert result.stderr.splitlines()[:4] == [
        "エラー 参考指標!E5: 「指標実績値」の「約七千件」を数値として読めません。数字だけで記入してください（例: 1234）。（VALUE_003）",
        "エラー 自己評価!D7: 「自己評価」の「Z：分からない」は選択肢にありません。一覧（S：計画以上・A：計画どおり・B：やや遅れ・C：遅れ）から選んでください。（VALUE_002）",
        "エラー 自己評価!D8: 「自己評価」が未記入です。記入してください。（VALUE_001）",
        "エラー 取組の進捗!E5: 「進捗状況」が未記入です。記入してください。（VALUE_001）",
    ]
    assert reasonless == "" and progress == "取組の進捗!E5"
    assert "取り込んでいません（データベースは変更していません）" in result.stderr
    assert not fresh.config.store_path.exists()
    written = (fresh.config.history_for(2024) / "転記票_R06_2024年度_点検結果.csv").read_text("utf-8")
    assert "参考指標,E5" in written


def test_history_import__a_percent_typed_as_a_fraction__the_returns_rule(fresh):
    """The value rules are a return's: 0.8 in a % indicator whose figures are tens is flagged (VALUE_010)."""
    assert cli(fresh, "history", "template", "--year", "2023").exit_code == 0
    filler = TranscriptFiller(transcript_of(fresh, 2023))
    cell = filler.actual("2102", 0.8)
    filler.save()
    result = cli(fresh, "history", "import", "--year", "2023")
    assert cell == "参考指標!E13"
    assert "参考指標!E13" in result.output and "（VALUE_010）" in result.output


def test_read_transcript__an_actual_that_is_an_error_value__said_at_its_cell_not_skipped_as_a_blank_row(fresh):
    """calamine reads #DIV/0! as "": the row is still one with something typed, and the error is said there
    (VALUE_012), never taken for a row left blank (nothing transcribed)."""
    plan = fresh.plan.for_year(2023)
    ind = T.reported_indicators(plan, 2023)[0]
    row = [None] * (T.COL_UNIT + 1)
    row[T.COL_IND_KEY], row[T.COL_ACTUAL], row[T.COL_UNIT] = ind.item_code, "", ind.unit
    at = L.a1(T.HEADER_ROW + 1, T.COL_ACTUAL)
    book = WorkbookValues([T.SHEET_INDICATORS], _tables={T.SHEET_INDICATORS: [[None]] * (T.HEADER_ROW + 1) + [row]},
                          troubles={T.SHEET_INDICATORS: {at: CellTrouble("#DIV/0!", formula=True)}})
    out = TranscriptCheck()
    _Indicators(out, plan, fresh.config, 2023, "転記票.xlsx", book, T.SHEET_INDICATORS).run()
    assert [(f.code, f.sheet, f.cell, f.value) for f in out.findings] == [
        ("VALUE_012", T.SHEET_INDICATORS, at, "#DIV/0!")]
    assert out.actuals == []


def test_history_import__unit_changed_beside_the_actual__the_returns_rule(fresh):
    """A sheet whose protection was lifted and whose unit was typed over: the figure would be read in another
    unit, so it is refused at the unit's cell, as in a return (ROW_006)."""
    assert cli(fresh, "history", "template", "--year", "2023").exit_code == 0
    filler = TranscriptFiller(transcript_of(fresh, 2023))
    filler.actual("1101", 7)
    filler.wb[T.SHEET_INDICATORS]["F5"].value = "千件"
    filler.save()
    result = cli(fresh, "history", "import", "--year", "2023")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "エラー 参考指標!F5: 指標実績値の単位のセルが「千件」に書き換えられています（計画の単位は「件」）。実績値の意味が"
        "変わるため取り込みません。単位を「件」に戻し、件の数値を記入してもらってください。（ROW_006）")
    assert not fresh.config.store_path.exists()


def test_history_import__an_empty_transcript__refused(fresh):
    assert cli(fresh, "history", "template", "--year", "2022").exit_code == 0
    result = cli(fresh, "history", "import", "--year", "2022")
    assert result.exit_code == 1
    assert "（ファイル全体）: 転記票に、参考指標の実績値・自己評価・進捗状況のどれも記入されていません。" in result.stderr
    assert not fresh.config.store_path.exists()


def test_history_import__a_transcript_of_another_year__refused(fresh):
    assert cli(fresh, "history", "template", "--year", "2023").exit_code == 0
    filler = TranscriptFiller(transcript_of(fresh, 2023))
    filler.actual("1101", 7000)
    filler.save()
    result = cli(fresh, "history", "import", "--year", "2024", str(transcript_of(fresh, 2023)))
    assert result.exit_code == 1
    assert ("エラー （ファイル全体）: 2023年度の転記票です（取り込もうとしたのは 2024年度）。YEAR の指定を確かめるか、"
            "make history-template YEAR=2024 で作った転記票に内容を書き写してください。（HIST_003）") in result.stderr
    assert not fresh.config.store_path.exists()


def test_history_import__a_transcript_of_another_plan__refused(fresh, tmp_path):
    other = dataclasses.replace(fresh.plan, id="another_city_2022_2025")
    path = tmp_path / "よその転記票.xlsx"
    path.write_bytes(build_transcript(other.for_year(2024), fresh.config, 2024))
    filler = TranscriptFiller(path)
    filler.actual("1101", 7000)
    filler.save()
    result = cli(fresh, "history", "import", "--year", "2024", str(path))
    assert result.exit_code == 1
    assert "別の計画（another_city_2022_2025）の転記票です。" in result.stderr and "（HIST_002）" in result.stderr


def test_history_import__a_department_workbook__refused(project):
    result = cli(project, "history", "import", "--year", "2024", str(project.template("05")))
    assert result.exit_code == 1
    assert ("転記票の識別情報（非表示シート）が見つかりません（部署の進捗状況調査票です）。" in result.stderr
            and "（HIST_001）" in result.stderr)


def test_history_import__no_transcript__says_how_to_make_one(fresh):
    result = cli(fresh, "history", "import", "--year", "2024")
    assert result.exit_code == 2
    assert "make history-template YEAR=2024 で転記票を作り" in result.stderr


# --- never mixed up ---------------------------------------------------------------------------------------

def transcribe_2024(project) -> None:
    assert cli(project, "history", "template", "--year", "2024").exit_code == 0
    filler = TranscriptFiller(transcript_of(project, 2024))
    filler.actual("1101", 8200)
    filler.save()


def test_history_import__over_a_collected_year__refused_unless_forced(project):
    project.return_all(2024)
    run_collect_year(project.plan, project.config, 2024, inline=True)
    with Store(project.config.store_path, readonly=True) as store:
        before = store.dump()
    transcribe_2024(project)
    refused = cli(project, "history", "import", "--year", "2024")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        "エラー: 2024年度は collect で各部署の回答を取り込み済みです。転記票で置き換えると、その回答はデータベースから消えます。"
        "置き換えるときは --force を付けてください（make history-import FORCE=1 YEAR=2024）。")
    with Store(project.config.store_path, readonly=True) as store:
        assert store.dump() == before
    forced = cli(project, "history", "import", "--year", "2024", "--force")
    assert forced.exit_code == 0, forced.output
    assert "collect で取り込んでいた2024年度の回答は、転記票の内容で置き換えました。" in forced.output
    with Store(project.config.store_path, readonly=True) as store:
        assert store.transcription(2024).source == "令和6年度進捗状況報告書から転記"
        assert {k: v for k, v in store.actuals().items() if k[0] == 2024} == {(2024, "1101"): 8200}
        assert store.answers(2024) == {} and store.evaluations(2024) == {}


def test_collect__over_a_transcribed_year__refused_unless_forced(project):
    transcribe_2024(project)
    assert cli(project, "history", "import", "--year", "2024").exit_code == 0
    with Store(project.config.store_path, readonly=True) as store:
        before = store.dump()
    project.return_all(2024)
    refused = cli(project, "collect", "--year", "2024")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        "エラー: 2024年度は転記票から取り込んだ年度です（令和6年度進捗状況報告書から転記）。collect すると、転記した内容は"
        "受付フォルダーの回答で置き換わります。置き換えるときは --force を付けてください（make collect FORCE=1 YEAR=2024）。")
    with Store(project.config.store_path, readonly=True) as store:
        assert store.dump() == before
    forced = cli(project, "collect", "--year", "2024", "--force")
    assert forced.exit_code == 0, forced.output
    with Store(project.config.store_path, readonly=True) as store:
        assert store.transcriptions() == {}
        assert store.actuals()[2024, "1101"] == 100          # the return's figure (fill_all), not the transcript's


def test_history_import__again_over_a_transcribed_year__replaces_it(fresh):
    transcribe_2024(fresh)
    assert cli(fresh, "history", "import", "--year", "2024").exit_code == 0
    filler = TranscriptFiller(transcript_of(fresh, 2024))
    filler.actual("1101", 8300)
    filler.save()
    again = cli(fresh, "history", "import", "--year", "2024")
    assert again.exit_code == 0, again.output
    with Store(fresh.config.store_path, readonly=True) as store:
        assert store.actuals() == {(2024, "1101"): 8300}


# --- the workbook -------------------------------------------------------------------------------------------

def test_history_template__units_beside_the_actuals__guide_in_japanese__same_bytes(fresh):
    made = cli(fresh, "history", "template", "--year", "2024")
    assert made.exit_code == 0
    path = transcript_of(fresh, 2024)
    assert path.name == "転記票_R06_2024年度.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [L.SHEET_GUIDE, T.SHEET_INDICATORS, T.SHEET_GRADES, T.SHEET_PROGRESS, L.SHEET_IDENTITY]
    assert wb[L.SHEET_IDENTITY].sheet_state == "veryHidden"
    ws = wb[T.SHEET_INDICATORS]
    assert [c.value for c in ws[5]][:6] == ["1101", "公式LINE登録者数", "6,794件（2021年度）", "9,000件（2025年度）",
                                            None, "件"]
    assert ws["E5"].protection.locked is False and ws["F5"].protection.locked is True
    assert ws.protection.sheet
    assert T.default_source(2024) == "令和6年度進捗状況報告書から転記"
    assert cli(fresh, "history", "template", "--year", "2024").exit_code == 2     # it may hold typed work
    first = path.read_bytes()
    assert cli(fresh, "history", "template", "--year", "2024", "--force").exit_code == 0
    assert path.read_bytes() == first


def test_store__a_schema_2_store_gains_the_transcriptions_table(fresh):
    path = fresh.config.store_path
    path.parent.mkdir(parents=True)
    with Store(path):
        pass
    db = sqlite3.connect(path)
    db.execute("DROP TABLE transcriptions")
    db.execute("PRAGMA user_version=2")
    db.commit()
    db.close()
    with Store(path, readonly=True) as store:       # read as it is: no transcribed year
        assert store.transcriptions() == {}
    with Store(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.transcriptions() == {}


@pytest.mark.skipif(platform.WINDOWS or shutil.which("make") is None,
                    reason="GNU make がない（Windows の make.cmd は tests/test_make_cmd.py）")
def test_make__history_targets_take_year_and_force(fresh):
    def make(*args):
        return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *args, f"CONFIG={fresh.config_path}"],
                              capture_output=True, text=True, check=False)

    made = make("history-template", "YEAR=2024")
    assert made.returncode == 0, made.stderr
    assert transcript_of(fresh, 2024).exists()
    assert make("history-template", "YEAR=2024").returncode != 0
    assert make("history-template", "YEAR=2024", "FORCE=1").returncode == 0
    filler = TranscriptFiller(transcript_of(fresh, 2024))
    filler.actual("1101", 8200)
    filler.save()
    taken = make("history-import", "YEAR=2024")
    assert taken.returncode == 0, taken.stderr
    assert "転記票_R06_2024年度.xlsx を取り込みました" in taken.stdout
    listed = make("help").stdout
    assert "make history-template" in listed and "make history-import" in listed


# --- filled in LibreOffice Calc ---------------------------------------------------------------------------

@requires_office()
def test_history_import__filled_in_calc__dropdowns_and_a_typed_percent(fresh, tmp_path):
    """The secretariat fills the 転記票 in Calc: "80%" typed into a % indicator (Calc stores 0.8 shown as a
    percent) is read as 80, the grade and the progress are picked from their dropdowns, and the text typed
    with Alt+Enter comes in as written."""
    assert cli(fresh, "history", "template", "--year", "2023").exit_code == 0
    path = transcript_of(fresh, 2023)
    col = L.column_letter
    reason = "窓口の手続を見直した。\n参考指標は目標に近づいた。"
    actions = [
        {"sheet": T.SHEET_INDICATORS, "key": "2102", "column": col(T.COL_ACTUAL), "enter": "80%"},
        {"sheet": T.SHEET_INDICATORS, "key": "1101", "column": col(T.COL_ACTUAL), "type": "7500"},
        {"sheet": T.SHEET_GRADES, "key": "2102", "column": col(T.COL_GRADE), "choose": 2},
        {"sheet": T.SHEET_GRADES, "key": "2102", "column": col(T.COL_REASON), "type": reason},
        {"sheet": T.SHEET_PROGRESS, "key": "2102-01", "column": col(T.COL_PROGRESS), "choose": "完了"},
    ]
    session = Calc(need_office(), tmp_path / "soffice")
    try:
        session.fill([{"in": str(path), "out": str(path), "actions": actions}])
    finally:
        session.close()
    result = cli(fresh, "history", "import", "--year", "2023")
    assert result.exit_code == 0, result.output
    with Store(fresh.config.store_path, readonly=True) as store:
        assert store.actuals() == {(2023, "2102"): 80, (2023, "1101"): 7500}
        evaluation = store.evaluations(2023)["2102"]
        assert (evaluation.grade, evaluation.reason) == (fresh.config.grades[2].code, reason)
        initiative = fresh.plan.initiative_by_id["2102-01"]
        assert {k: a.progress for k, a in store.answers(2023).items()} == {
            ("2102-01", d): "完了" for d in initiative.departments}
