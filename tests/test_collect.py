"""Collect behaves like a careful secretariat: clean returns merge with exact values, every bad case is
a finding at its sheet and cell, duplicates/superseded/missing are reported, a second run changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.findings import flatten
from pipeline.sheets import layout as L
from pipeline.store import Store
from pipeline.usecases.collect_year import run_collect_year
from pipeline.vocabulary import ACCEPTED, DUPLICATE, MISSING, RETURNED, SUPERSEDED, WITH_ERRORS, Arrival
from tests.conftest import YEAR


def run(project, year=YEAR):
    result = run_collect_year(project.plan, project.config, year).result
    return result


def codes(result, file=None):
    return [f.code for f in result.findings if file is None or f.file == file]


def cli_collect(project, *args):
    return CliRunner().invoke(main, ["--config", str(project.config_path), "collect", "--year", str(YEAR), *args])


# --- clean returns ---------------------------------------------------------------------------------

def test_collect__clean_returns__all_accepted_exit_0_and_the_store_holds_exact_values(project):
    filler = project.filler("05").fill_all(actual="1,234")
    filler.answer("2101", "2101-02", progress="完了", result="AI-OCRを3課に導入した。\n効果を検証中。",
                  issues="職員の習熟", next_plan="対象業務を拡大する。")
    filler.set("2101", L.KEY_GRADE, L.FIELD_GRADE, "S：計画以上")
    filler.save(project.inbox() / "情報政策課.xlsx")
    project.return_all(except_codes=("05",))

    result = cli_collect(project)
    assert result.exit_code == 0, result.output
    with Store(project.config.store_path) as store:
        assert set(store.roster(YEAR).values()) == {RETURNED}
        answer = store.answers(YEAR)[("2101-02", "05")]
        assert (answer.progress, answer.result, answer.issues, answer.next_plan) == (
            "完了", "AI-OCRを3課に導入した。\n効果を検証中。", "職員の習熟", "対象業務を拡大する。")
        assert len(store.answers(YEAR)) == sum(len(i.departments) for i in project.plan.initiatives)
        assert store.actuals()[(YEAR, "2101")] == 1234
        assert store.evaluations(YEAR)["2101"].grade == "S"
        assert store.evaluations(YEAR)["2101"].reason == "おおむね計画どおり進んだ。"
        assert len(store.evaluations(YEAR)) == 17
    assert "受理 19、差し戻し 0、未提出 0" in result.output


# --- values checked again (pasting bypasses validation) ---------------------------------------------

def _one_bad(project, mutate, code="05"):
    filler = project.filler(code).fill_all()
    cell = mutate(filler)
    filler.save(project.inbox() / "return.xlsx")
    return run(project), cell


def test_collect__pasted_text_in_number_cell__finding_at_cell(project):
    result, cell = _one_bad(project, lambda f: f.set("2101", L.KEY_ACTUAL, L.FIELD_ACTUAL, "約千件"))
    assert flatten([f for f in result.findings if f.code.startswith("VALUE")], ["code", "sheet", "cell", "field", "value"]) == [
        ("VALUE_003", "2101", cell, "指標実績値", "約千件")]
    finding = next(f for f in result.findings if f.code == "VALUE_003")
    assert finding.message == "「指標実績値」の「約千件」を数値として読めません。数字だけで記入してください（例: 1234）。"
    assert finding.department == "情報政策課" and finding.file == "return.xlsx"
    assert result.roster["05"] == (WITH_ERRORS, "return.xlsx")


def test_collect__control_characters__removed_with_a_warning_and_accepted(project):
    # openpyxl refuses a raw control character; Excel stores a pasted one in this escaped form
    _one_bad(project, lambda f: f.set("2104", "2104-02", L.FIELD_RESULT, "標準化_x0007_を進めた"))
    result = run(project)
    assert [f.code for f in result.findings if f.file == "return.xlsx"] == ["VALUE_006"]
    with Store(project.config.store_path) as store:
        assert store.answers(YEAR)[("2104-02", "05")].result == "標準化を進めた"


# --- structure ------------------------------------------------------------------------------------

def test_collect__initiative_row_deleted__finding_names_the_initiative(project):
    def delete(f):
        f.delete_row("2101", "2101-06")
    result, _ = _one_bad(project, delete)
    assert flatten([f for f in result.findings if f.file == "return.xlsx"], ["code", "sheet", "value"]) == [
        ("ROW_001", "2101", "2101-06")]


def test_collect__initiative_row_duplicated__finding_at_the_second_row(project):
    def duplicate(f):
        ws = f.wb["2101"]
        row = f.row_of("2101", "2101-06")
        f.insert_row("2101", row + 1)
        for col in range(1, 8):
            ws.cell(row + 1, col).value = ws.cell(row, col).value
        return f"A{row + 1}"
    result, cell = _one_bad(project, duplicate)
    f = next(f for f in result.findings if f.code == "ROW_002")
    assert (f.sheet, f.cell, f.value) == ("2101", cell, "2101-06")


def test_collect__charter_text_edited__warning_at_cell_and_still_accepted(project):
    result, cell = _one_bad(project, lambda f: f.set("2101", "2101-02", L.FIELD_TEXT, "AI-OCRの導入（書き換え）"))
    assert flatten(result.findings, ["code", "sheet", "cell"]) == [("ROW_004", "2101", cell)] + [
        ("SUBM_003", "", "")] * 18
    assert result.roster["05"] == (RETURNED, "return.xlsx")


def test_collect__sheet_deleted_or_renamed__findings(project):
    def rename_and_delete(f):
        f.wb["2101"].title = "2101 (2)"
        del f.wb["2104"]
    result, _ = _one_bad(project, rename_and_delete)
    assert sorted(flatten([f for f in result.findings if f.code.startswith("SHEET")], ["code", "value"])) == [
        ("SHEET_001", "2101"), ("SHEET_001", "2104"), ("SHEET_002", "2101 (2)")]


# --- identity ---------------------------------------------------------------------------------------

def test_collect__workbook_of_another_year__refused(project):
    project.filler("05", year=2023).fill_all().save(project.inbox() / "情報政策課.xlsx")
    result = run(project)
    assert codes(result, "情報政策課.xlsx") == ["IDENT_003"]
    # it sent something: not 未提出 (tests/test_accounted_for.py follows it to status and the reminder list)
    assert result.roster["05"] == (WITH_ERRORS, "情報政策課.xlsx")
    assert result.arrivals == {"05": Arrival.LAST_YEARS_FORM}


def test_collect__workbook_of_another_plan__refused(project):
    filler = project.filler("05").fill_all()
    ws = filler.wb[L.SHEET_IDENTITY]
    for row in ws.iter_rows():
        if row[0].value == L.ID_PLAN:
            row[1].value = "another-city-plan"
    filler.save(project.inbox() / "x.xlsx")
    result = run(project)
    assert codes(result, "x.xlsx") == ["IDENT_002"]
    # whose it is, by its identity: not 未提出 (tests/test_accounted_for.py)
    assert (result.roster["05"], result.arrivals) == ((WITH_ERRORS, "x.xlsx"), {"05": Arrival.OTHER_PLANS_FORM})


def test_collect__not_a_survey_workbook__refused(project):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "家計簿"
    project.inbox().mkdir(parents=True)
    wb.save(project.inbox() / "kakeibo.xlsx")
    assert codes(run(project), "kakeibo.xlsx") == ["IDENT_001"]


def test_collect__another_departments_workbook_under_a_new_name__taken_by_its_identity(project):
    project.filler("05").fill_all().save(project.inbox() / "総務管財課_回答.xlsx")
    result = run(project)
    assert codes(result, "総務管財課_回答.xlsx") == ["IDENT_007"]
    assert result.roster["05"] == (RETURNED, "総務管財課_回答.xlsx")
    assert result.roster["11"] == (MISSING, None)


# --- several files from one department --------------------------------------------------------------

def test_collect__same_bytes_twice__one_submission_noted_once(project):
    path = project.filler("05").fill_all().save(project.inbox() / "情報政策課.xlsx")
    (project.inbox() / "再送").mkdir()
    shutil.copy(path, project.inbox() / "再送" / "情報政策課(1).xlsx")
    result = run(project)
    statuses = {o.file_name: o.status for o in result.files}
    assert statuses == {"情報政策課.xlsx": ACCEPTED, "再送/情報政策課(1).xlsx": DUPLICATE}
    assert codes(result, "再送/情報政策課(1).xlsx") == ["SUBM_001"]


def test_collect__two_different_returns__newest_saved_is_used_older_superseded(project):
    project.filler("05").fill_all(actual=10).save(project.inbox() / "b_first.xlsx", saved_at=dt.datetime(2025, 5, 1))
    project.filler("05").fill_all(actual=20).save(project.inbox() / "a_second.xlsx", saved_at=dt.datetime(2025, 5, 9))
    result = run(project)
    assert {o.file_name: o.status for o in result.files} == {"a_second.xlsx": ACCEPTED, "b_first.xlsx": SUPERSEDED}
    superseded = next(f for f in result.findings if f.code == "SUBM_002")
    assert superseded.file == "b_first.xlsx" and "a_second.xlsx" in superseded.message
    with Store(project.config.store_path) as store:
        assert store.actuals()[(YEAR, "2101")] == 20


def test_collect__corrected_return__replaces_the_departments_answers(project):
    bad = project.filler("05").fill_all()
    bad.set("2101", "2101-02", L.FIELD_PROGRESS, "？")
    bad.save(project.inbox() / "first.xlsx", saved_at=dt.datetime(2025, 5, 1))
    run(project)
    with Store(project.config.store_path) as store:
        assert store.roster(YEAR)["05"] == WITH_ERRORS
        assert not [k for k in store.answers(YEAR) if k[1] == "05"]
    good = project.filler("05").fill_all()
    good.answer("2101", "2101-02", progress="完了", result="修正後の実績")
    good.save(project.inbox() / "corrected.xlsx", saved_at=dt.datetime(2025, 5, 20))
    run(project)
    with Store(project.config.store_path) as store:
        assert store.roster(YEAR)["05"] == RETURNED
        assert store.answers(YEAR)[("2101-02", "05")].result == "修正後の実績"


# --- the roster, the outputs, a second run -----------------------------------------------------------

def test_collect__department_that_did_not_return__missing_and_exit_1(project):
    project.return_all(except_codes=("18",))
    result = cli_collect(project)
    assert result.exit_code == 1
    assert "未提出 1" in result.output
    with Store(project.config.store_path) as store:
        assert store.roster(YEAR)["18"] == MISSING
    rows = list(csv.DictReader((project.config.output_for(YEAR) / "findings.csv").open(encoding="utf-8")))
    assert [(r["severity"], r["code"], r["file"], r["cell"]) for r in rows] == [("error", "SUBM_003", "", "")]
    assert "商工課の調査票が提出されていません" in rows[0]["message"]


def test_collect__findings_csv__header_and_cells(project):
    def paste_formula_text(f):
        cell = f.wb["2101"][f.set("2101", L.KEY_ACTUAL, L.FIELD_ACTUAL, '=HYPERLINK("http://example.com","x")')]
        cell.data_type = "s"     # pasted as text, not typed as a formula
    _one_bad(project, paste_formula_text)
    (project.inbox() / "メモ.txt").write_text("memo", encoding="utf-8")
    cli_collect(project)
    path = project.config.output_for(YEAR) / "findings.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "severity,code,file,sheet,cell,field,message"
    rows = list(csv.DictReader(lines))
    value_rows = [r for r in rows if r["code"] == "VALUE_003"]
    assert value_rows and value_rows[0]["sheet"] == "2101" and value_rows[0]["cell"].startswith("B")
    assert [r["cell"] for r in rows if r["code"] == "FILE_021"] == [""]


def test_collect__status_workbook__one_row_per_department_and_every_finding(project):
    project.return_all(except_codes=("18",))
    cli_collect(project)
    books = list(project.config.output_for(YEAR).glob("回収状況_*.xlsx"))
    wb = openpyxl.load_workbook(books[0])
    status = [[c.value for c in row] for row in wb["提出状況"].iter_rows(min_row=4)]
    assert len(status) == 19
    assert ["18", "商工課", "未提出", None, 0, 0] in status
    assert wb["指摘一覧"].tables  # filterable


def test_collect__lock_files_and_hidden_files__ignored_other_files_listed(project):
    project.return_all()
    (project.inbox() / "~$情報政策課.xlsx").write_bytes(b"lock")
    (project.inbox() / ".DS_Store").write_bytes(b"x")
    (project.inbox() / "説明.pdf").write_bytes(b"%PDF-1.4")
    result = run(project)
    assert [f.file for f in result.skipped] == ["説明.pdf"]
    assert result.ok
    assert [o.file_name for o in result.files if o.status == ACCEPTED] == sorted(
        f"{d.name}.xlsx" for d in project.plan.surveyed_departments())


def test_collect__second_run_on_the_same_inbox__changes_nothing(project):
    project.return_all(except_codes=("03",))
    bad = project.filler("03").fill_all()
    bad.set("1101", "1101-03", L.FIELD_PROGRESS, None)
    bad.save(project.inbox() / "危機管理課.xlsx")
    run(project)
    with Store(project.config.store_path) as store:
        first = store.dump()
    run(project)
    with Store(project.config.store_path) as store:
        second = store.dump()
    assert {k: v for k, v in first.items() if k != "runs"} == {k: v for k, v in second.items() if k != "runs"}
    assert [r[:3] for r in first["runs"]] == [r[:3] for r in second["runs"]]


def test_collect__other_years__untouched(project):
    project.return_all(year=2023)
    run(project, year=2023)
    with Store(project.config.store_path) as store:
        before = len(store.answers(2023))
    project.return_all()
    run(project)
    with Store(project.config.store_path) as store:
        assert len(store.answers(2023)) == before > 0
        assert store.years() == [2023, 2024]


def test_collect__empty_inbox_would_wipe_a_collected_year__refused(project):
    project.return_all()
    run(project)
    shutil.rmtree(project.inbox())
    project.inbox().mkdir()     # emptied (a folder that is gone: tests/test_accounted_for.py)
    result = cli_collect(project)
    assert result.exit_code == 2 and "--force" in result.output
    with Store(project.config.store_path) as store:
        assert len(store.answers(YEAR)) > 0


@pytest.mark.parametrize("flag", ["-q", "--quiet"])
def test_cli_collect__quiet__prints_nothing_on_success(project, flag):
    project.return_all()
    result = cli_collect(project, flag)
    assert result.exit_code == 0 and result.output == ""
