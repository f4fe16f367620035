"""No wrong figure, nothing typed dropped silently (issue #11): a number is read as the person saw it in
its cell's format, a count is whole, text typed where the form does not read is reported at its cell,
the indicator's charter text is guarded like the rest, and a workbook that lost its identity says whose
it seems to be. Returns are the project's own workbooks, filled as a person would (tests/filling.py); each
cell rule itself (every format, fraction and unit) is proven on plain values in tests/test_cell_rules.py."""

from __future__ import annotations

import openpyxl
import pytest

from pipeline.findings import Severity, flatten
from pipeline.sheets import layout as L
from pipeline.store import Store
from pipeline.survey.workbook import write_templates
from pipeline.usecases.collect_year import run_collect_year
from pipeline.vocabulary import RETURNED, WITH_ERRORS
from tests.conftest import YEAR
from tests.test_collect import run

NAME = "return.xlsx"


def _return(project, code, mutate):
    """Department `code` returns a clean workbook changed by `mutate(filler)`; returns (result, its findings,
    what mutate returned)."""
    filler = project.filler(code).fill_all()
    where = mutate(filler)
    filler.save(project.inbox() / NAME)
    result = run(project)
    return result, [f for f in result.findings if f.file == NAME], where


def _actual(filler, sheet, value, number_format=None) -> str:
    """Type `value` into the indicator actual of `sheet`, the cell formatted with `number_format`."""
    cell = filler.wb[sheet][filler.set(sheet, L.KEY_ACTUAL, L.FIELD_ACTUAL, value)]
    if number_format is not None:
        cell.number_format = number_format
    return cell.coordinate


def _type(filler, sheet, key, column, value) -> str:
    """Type into column `column` (0 = A) of the row of `key` (a locked cell: protection lifted, as anyone can)."""
    cell = filler.wb[sheet].cell(filler.row_of(sheet, key), column + 1)
    cell.value = value
    return cell.coordinate


def _stored(project, item):
    with Store(project.config.store_path) as store:
        return store.actuals().get((YEAR, item))


# --- class 1: a number's meaning lives in its cell's format --------------------------------------------

# (each format's meaning is proven on values in test_cell_rules.py; here the format read from a saved file)
@pytest.mark.parametrize(("item", "typed", "number_format", "stored"), [
    ("1202", 0.8, "0%", 80),              # 80% typed in Excel: 0.8 shown as 80% (a built-in format)
    ("1202", 44.7, None, 44.7),           # the template's own (default) format
])
def test_collect__percent_typed_in_percent_indicator__stored_as_80(project, item, typed, number_format, stored):
    result, found, _ = _return(project, "06", lambda f: _actual(f, item, typed, number_format))
    assert found == []
    assert result.roster["06"] == (RETURNED, NAME)
    assert _stored(project, item) == stored


@pytest.mark.parametrize(("typed", "number_format", "shown", "meaning"), [
    (0.8, "0%", "80%", "百分率（%）として表示されています"),                  # a built-in format (numFmtId)
    (12, '0"千件"', "12千件", "単位「千件」を付けて表示されています"),      # a format of the file's own (<numFmt>)
])
def test_collect__format_that_changes_the_meaning_of_a_count__error_at_the_cell(project, typed, number_format,
                                                                                 shown, meaning):
    result, found, cell = _return(project, "05", lambda f: _actual(f, "2101", typed, number_format))
    assert flatten(found, ["severity", "code", "sheet", "cell", "field"]) == [
        (Severity.ERROR, "VALUE_009", "2101", cell, "指標実績値")]
    value = f"{typed:,}" if typed >= 1 else str(typed)
    assert found[0].message == (
        f"「指標実績値」のセルは表示形式が「{number_format}」で、「{shown}」と{meaning}（保存されている値は {value}）。"
        "件の数として読めないため取り込みません。セルの表示形式を「標準」に戻し、件の数値を数字だけで記入してください（例: 1234）。")
    assert result.roster["05"] == (WITH_ERRORS, NAME)
    assert _stored(project, "2101") is None


def test_collect__number_in_a_date_format__error_says_it_shows_a_date(project):
    _, found, cell = _return(project, "05", lambda f: _actual(f, "2101", 45413, "yyyy/m/d"))
    assert flatten(found, ["code", "sheet", "cell"]) == [("VALUE_009", "2101", cell)]
    assert "「yyyy/m/d」" in found[0].message and "日付・時刻として表示されています" in found[0].message


@pytest.mark.parametrize("number_format", ["#,##0", "@"])
def test_collect__format_that_shows_the_number_itself__stored_as_typed(project, number_format):
    result, found, _ = _return(project, "05", lambda f: _actual(f, "2101", 1234, number_format))
    assert found == []
    assert _stored(project, "2101") == 1234


def test_collect__percent_indicator_given_a_fraction__warning_80_percent_typed_as_0_8(project):
    result, found, cell = _return(project, "06", lambda f: _actual(f, "1202", 0.8))
    assert flatten(found, ["severity", "code", "sheet", "cell", "field", "value"]) == [
        (Severity.WARNING, "VALUE_010", "1202", cell, "指標実績値", "0.8")]
    assert found[0].message == (
        "「指標実績値」が 0.8 です。計画の基準値・目標値（25%、100%）と比べて桁が小さく、80% のつもりで 0.8 と"
        "入力した可能性があります。0.8% で正しいか確認し、80% なら 80 と記入し直してもらってください。")
    assert result.roster["06"] == (RETURNED, NAME)       # a warning: stored as typed
    assert _stored(project, "1202") == 0.8


# --- class 5: nothing typed is dropped silently -----------------------------------------------------

def test_collect__text_in_a_row_inserted_between_initiatives__warning_at_each_cell(project):
    def insert(f):
        row = f.row_of("2101", "2101-03") + 1
        f.insert_row("2101", row)
        ws = f.wb["2101"]
        ws.cell(row, 2).value = "RPAの追加導入（計画外）"
        ws.cell(row, 5).value = "3業務に導入した。"
        ws.cell(row, 6).value = "   "                   # only spaces: nothing typed
        return row
    result, found, row = _return(project, "05", insert)
    assert flatten(found, ["severity", "code", "sheet", "cell", "value"]) == [
        (Severity.WARNING, "ROW_005", "2101", f"B{row}", "RPAの追加導入（計画外）"),
        (Severity.WARNING, "ROW_005", "2101", f"E{row}", "3業務に導入した。")]
    assert found[0].message == (
        "調査票が読み取らないセル（記入欄のない行）に「RPAの追加導入（計画外）」と入力されています。この内容は"
        "取り込まれません。回答なら回答欄（黄色のセル）に記入し、不要なら削除してもらってください。")
    assert result.roster["05"] == (RETURNED, NAME)
    with Store(project.config.store_path) as store:      # the rows around it are read as before
        assert {k[0] for k in store.answers(YEAR) if k[1] == "05" and k[0].startswith("2101-")} == set(
            project.filler("05").initiatives("2101"))


@pytest.mark.parametrize(("key", "column", "place"), [
    ("2101-02", 8, "取組 2101-02 の行の記入欄の外"),               # column I
    ("2101-02", L.COL_PREVIOUS, "取組 2101-02 の行の記入欄の外"),   # column H of a template without carry-over
    (L.HEADER_KEY, L.COL_PREVIOUS, "「取組ID」の行の記入欄の外"),
    (L.KEY_ACTUAL, L.COL_PREVIOUS, "「指標実績値」の行の記入欄の外"),
    (L.KEY_REASON, 10, "「評価の理由」の行の記入欄の外"),
    ("管理番号", 9, "「管理番号」の行の記入欄の外"),
])
def test_collect__text_in_a_cell_beyond_the_form__warning_at_the_cell(project, key, column, place):
    _, found, cell = _return(project, "05", lambda f: _type(f, "2101", key, column, "メモ：要確認"))
    assert flatten(found, ["code", "sheet", "cell", "value"]) == [("ROW_005", "2101", cell, "メモ：要確認")]
    assert f"（{place}）" in found[0].message


def test_collect__text_below_the_last_block_and_beside_the_title__warning_at_each_cell(project):
    def scribble(f):
        ws = f.wb["2101"]
        below = f.row_of("2101", L.KEY_REASON) + 3
        ws.cell(below, 1).value = "備考"
        ws.cell(below, 2).value = 42
        ws["C1"] = "作成者：山田"
        return below
    _, found, below = _return(project, "05", scribble)
    assert flatten(found, ["code", "cell", "value"]) == [
        ("ROW_005", "C1", "作成者：山田"), ("ROW_005", f"A{below}", "備考"), ("ROW_005", f"B{below}", "42")]
    assert "（表題の行）" in found[0].message and "（記入欄のない行）" in found[1].message


def test_collect__label_row_copied__the_copy_is_not_read_so_each_of_its_cells_is_reported(project):
    def copy_actual_row(f):
        ws = f.wb["2101"]
        below = f.row_of("2101", L.KEY_REASON) + 2
        ws.cell(below, 1).value = "指標実績値 ※"
        ws.cell(below, 2).value = 999
        return below
    _, found, below = _return(project, "05", copy_actual_row)
    assert flatten(found, ["code", "cell", "value"]) == [("ROW_005", f"A{below}", "指標実績値 ※"),
                                                         ("ROW_005", f"B{below}", "999")]
    assert _stored(project, "2101") == 100          # the form's own row is what counts


def test_collect__many_cells_beyond_the_form__twenty_reported_then_the_rest_counted(project):
    def scribble(f):
        ws = f.wb["2104"]
        start = ws.max_row + 2
        for n in range(25):
            ws.cell(start + n, 9).value = f"メモ{n}"
    _, found, _ = _return(project, "05", scribble)
    assert [f.code for f in found] == ["ROW_005"] * 20
    assert [f.value for f in found] == [f"メモ{n}" for n in range(20)]
    assert "（このシートでは、ほかに 5 セルにも同じような入力があります）" in found[-1].message
    assert "ほかに" not in found[0].message


def test_collect__carry_over_template__last_years_answers_are_the_forms_own(project):
    project.filler("05", year=2023).fill_all().save(project.inbox(2023) / "情報政策課.xlsx")
    run(project, year=2023)
    write_templates(project.plan, project.config, YEAR, force=True)
    assert openpyxl.load_workbook(project.template("05"))["2101"].cell(
        project.filler("05").row_of("2101", L.HEADER_KEY), L.COL_PREVIOUS + 1).value == "（参考）2023年度の回答"
    _, found, _ = _return(project, "05", lambda f: None)
    assert found == []
    _, found, cell = _return(project, "05", lambda f: _type(f, "2101", "2101-02", L.COL_PREVIOUS + 1, "メモ"))
    assert flatten(found, ["code", "cell"]) == [("ROW_005", cell)]


# --- class 6: the indicator block is charter text too ----------------------------------------------

@pytest.mark.parametrize("label", [L.KEY_INDICATOR_NAME, L.KEY_BASELINE, L.KEY_TARGET])
def test_collect__indicator_charter_text_edited__warning_at_the_cell_and_accepted(project, label):
    result, found, cell = _return(project, "05", lambda f: _type(f, "2101", label, 1, "書き換えた文言"))
    assert flatten(found, ["severity", "code", "sheet", "cell", "field", "value"]) == [
        (Severity.WARNING, "ROW_004", "2101", cell, label, "書き換えた文言")]
    assert result.roster["05"] == (RETURNED, NAME)
    assert _stored(project, "2101") == 100


def test_collect__initiative_departments_edited__warning_at_the_cell(project):
    _, found, cell = _return(project, "05", lambda f: _type(f, "2101", "2101-02", L.COL_DEPARTMENTS, "情報政策課"))
    assert flatten(found, ["code", "cell", "field"]) == [("ROW_004", cell, "担当部署")]


@pytest.mark.parametrize(("unit", "now"), [("千件", "「千件」"), (None, "空欄")])
def test_collect__unit_cell_edited__error_at_the_cell_and_the_figure_not_taken(project, unit, now):
    result, found, cell = _return(project, "05", lambda f: _type(f, "2101", L.KEY_ACTUAL, L.COL_UNIT, unit))
    assert flatten(found, ["severity", "code", "sheet", "cell", "field", "value"]) == [
        (Severity.ERROR, "ROW_006", "2101", cell, "単位", unit or "")]
    assert found[0].message == (
        f"指標実績値の単位のセルが{now}に書き換えられています（計画の単位は「件」）。実績値の意味が変わるため"
        "取り込みません。単位を「件」に戻し、件の数値を記入してもらってください。")
    assert result.roster["05"] == (WITH_ERRORS, NAME)
    assert _stored(project, "2101") is None


# --- identity lost ------------------------------------------------------------------------------

def _copied_into_a_new_workbook(project, code, path, sheets=None):
    """What a person gets by copying the sheets' cells into a new workbook: values only, no identity."""
    source = project.filler(code).fill_all().wb
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in sheets or [s for s in source.sheetnames if s.isdigit()]:
        ws = wb.create_sheet(name)
        for row in source[name].iter_rows():
            for cell in row:
                if cell.value is not None:
                    ws.cell(cell.row, cell.column).value = cell.value
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def test_collect__sheets_copied_into_a_new_workbook__error_names_the_department(project):
    _copied_into_a_new_workbook(project, "05", project.inbox() / "Book1.xlsx")
    collected = run_collect_year(project.plan, project.config, YEAR)   # (the outcome comes back from a worker)
    result = collected.result
    found = [f for f in result.findings if f.file == "Book1.xlsx"]
    assert flatten(found, ["severity", "code", "department"]) == [(Severity.ERROR, "IDENT_008", "情報政策課")]
    assert found[0].message == (
        "情報政策課の調査票のようですが、配布した調査票の識別情報（非表示シート）がありません（シートを新しいブックに"
        "コピーした可能性）。識別情報がないため受け付けられません。情報政策課に、配布した調査票に記入し直して送って"
        "もらってください。")
    (outcome,) = [o for o in result.files if o.file_name == "Book1.xlsx"]
    assert (outcome.department, outcome.apparent_department) == (None, "05")
    # it has returned something, to be fixed: not chased as if it had sent nothing
    assert result.roster["05"] == (WITH_ERRORS, "Book1.xlsx")
    followup = collected.followup
    assert "05" not in {d.code for d in followup.missing}
    assert [r.status for r in followup.reminders if r.department.code == "05"] == [WITH_ERRORS]


@pytest.mark.parametrize(("code", "sheets", "name"), [
    ("05", ["2101"], "Book1.xlsx"),                          # one sheet: its subtitle and initiatives say it
    ("05", None, "総務管財課_回答.xlsx"),                      # the sheets outweigh the file name
    ("11", None, "回答.xlsx"),
    ("06", ["1202", "1402"], "企画課.xlsx"),
])
def test_collect__identity_lost__the_department_its_sheets_say(project, code, sheets, name):
    _copied_into_a_new_workbook(project, code, project.inbox() / name, sheets)
    result = run(project)
    (outcome,) = result.files
    assert outcome.apparent_department == code
    assert flatten(outcome.findings, ["code", "department"]) == [("IDENT_008", project.plan.department_name(code))]


def test_collect__identity_lost_and_sheets_renamed__the_subtitle_and_initiatives_still_say(project):
    path = _copied_into_a_new_workbook(project, "12", project.inbox() / "Book1.xlsx")
    wb = openpyxl.load_workbook(path)
    for n, ws in enumerate(wb.worksheets, 1):
        ws.title = f"Sheet{n}"
    wb.save(path)
    (outcome,) = run(project).files
    assert (outcome.apparent_department, [f.code for f in outcome.findings]) == ("12", ["IDENT_008"])


def test_collect__initiative_ids_alone__not_taken_for_a_survey_workbook(project):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "2101-02"
    project.inbox().mkdir(parents=True)
    wb.save(project.inbox() / "メモ.xlsx")
    (outcome,) = run(project).files
    assert (outcome.apparent_department, [f.code for f in outcome.findings]) == (None, ["IDENT_001"])


def test_collect__identity_lost_and_no_sign_of_whose__not_a_survey_workbook(project):
    path = _copied_into_a_new_workbook(project, "05", project.inbox() / "メモ.xlsx", ["2104"])
    wb = openpyxl.load_workbook(path)
    ws = wb["2104"]
    for row in ws.iter_rows():       # only the item's context is left: 2104 is several departments'
        if not str(row[0].value or "").startswith(L.CTX_CODE[:2]) and row[0].value not in L.CONTEXT_LABELS:
            for cell in row:
                cell.value = None
    wb.save(path)
    result = run(project)
    assert [f.code for f in result.findings if f.file == "メモ.xlsx"] == ["IDENT_001"]
    assert result.files[0].apparent_department is None


# --- a clean return stays clean -----------------------------------------------------------------------

def test_collect__every_departments_clean_return__no_finding_at_all(project):
    project.return_all()
    result = run_collect_year(project.plan, project.config, YEAR).result
    assert result.findings == [] and result.ok
