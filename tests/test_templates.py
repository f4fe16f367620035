"""The survey workbooks: one per department, its initiatives only, protected, validated, identified."""

from __future__ import annotations

import io
import tomllib
from collections import defaultdict

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import AlreadyExistsError
from pipeline.plan import plan_from_mapping
from pipeline.sheets import layout as L
from pipeline.sheets.look import INPUT_FILL
from pipeline.survey.workbook import build_workbook, write_templates
from tests.conftest import PLAN_FILE, YEAR


@pytest.fixture(scope="module")
def books(_templates_cache):
    folder = _templates_cache / str(YEAR)
    return {p.name: openpyxl.load_workbook(p) for p in sorted(folder.glob("*.xlsx"))}


def _identity(wb) -> dict[str, str]:
    return {r[0].value: r[1].value for r in wb[L.SHEET_IDENTITY].iter_rows()}


def test_templates__one_workbook_per_department__named_with_year_code_and_name(project, books):
    assert len(books) == 19
    names = sorted(books)
    assert names[0] == "R06_2024年度_01_協働まちづくり課_進捗状況調査票.xlsx"
    assert "R06_2024年度_12_福祉事務所_進捗状況調査票.xlsx" in names


def test_templates__every_initiative__in_exactly_the_workbooks_of_its_departments(plan, books):
    found: dict[str, set[str]] = defaultdict(set)
    for wb in books.values():
        dept = _identity(wb)[L.ID_DEPARTMENT]
        for ws in wb.worksheets:
            if ws.title.isdigit():
                for (cell,) in ws.iter_rows(min_col=1, max_col=1):
                    if cell.value in plan.initiative_by_id:
                        found[cell.value].add(dept)
    assert set(found) == set(plan.initiative_by_id)
    for ini in plan.initiatives:
        assert found[ini.id] == set(ini.departments), ini.id


def test_templates__item_sheets__named_by_management_number_for_items_taken_part_in(plan, books):
    for wb in books.values():
        dept = _identity(wb)[L.ID_DEPARTMENT]
        assert wb.sheetnames[0] == L.SHEET_GUIDE
        assert [s for s in wb.sheetnames if s.isdigit()] == [i.code for i in plan.items_for(dept)]


def test_templates__every_sheet_protected__only_input_cells_unlocked_and_yellow(books):
    for wb in books.values():
        for ws in wb.worksheets:
            assert ws.protection.sheet, ws.title
            if not ws.title.isdigit():
                continue
            for row in ws.iter_rows():
                for cell in row:
                    if cell.coordinate in ws.merged_cells and cell.coordinate not in {r.coord.split(":")[0] for r in ws.merged_cells.ranges}:
                        continue
                    unlocked = cell.protection.locked is False
                    yellow = (cell.fill.fgColor.rgb or "").endswith(INPUT_FILL.lstrip("#"))
                    assert unlocked == yellow, f"{ws.title}!{cell.coordinate}"


def _validation_for(ws, coordinate):
    for dv in ws.data_validations.dataValidation:
        if coordinate in dv.sqref:
            return dv
    return None


def test_templates__inputs__validated_with_inline_lists_and_japanese_messages(project, books):
    wb = books["R06_2024年度_05_情報政策課_進捗状況調査票.xlsx"]
    ws = wb["2101"]
    rows = {L.row_key(c.value): c.row for (c,) in ws.iter_rows(min_col=1, max_col=1) if c.value}
    progress = _validation_for(ws, f"D{rows['2101-02']}")
    assert progress.type == "list"
    assert progress.formula1 == '"完了,実施中,一部実施,検討中,未着手"'
    assert len(progress.formula1) < 255
    assert progress.showErrorMessage and progress.error.startswith("進捗状況は一覧")
    result = _validation_for(ws, f"E{rows['2101-02']}")
    assert (result.type, result.operator, result.formula1) == ("textLength", "lessThanOrEqual", "1000")
    actual = _validation_for(ws, f"B{rows[L.KEY_ACTUAL]}")
    assert (actual.type, actual.operator, actual.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert ws.cell(rows[L.KEY_ACTUAL], 3).value == "件"       # the unit beside the number
    grade = _validation_for(ws, f"B{rows[L.KEY_GRADE]}")
    assert grade.formula1 == '"S：計画以上,A：計画どおり,B：やや遅れ,C：遅れ"'


def test_templates__indicator_and_evaluation__only_for_the_lead_department(books):
    for name, wb in books.items():
        for ws in wb.worksheets:
            if ws.title == "2101":
                keys = {L.row_key(c.value) for (c,) in ws.iter_rows(min_col=1, max_col=1)}
                lead = "情報政策課" in name
                assert (L.KEY_ACTUAL in keys) == lead and (L.KEY_GRADE in keys) == lead, name


def test_templates__indicator_block__the_charter_text_from_the_layout_and_a_general_input(project, books):
    wb = books["R06_2024年度_05_情報政策課_進捗状況調査票.xlsx"]
    ws = wb["2101"]
    rows = _rows(ws)
    ind = project.plan.item_by_code["2101"].indicator
    assert [(label, ws.cell(rows[label], 2).value) for label, _ in L.indicator_rows(ind)] == [
        ("参考指標", "AI-OCR、RPA導入数"), ("基準値", "3件（2022年度）＊"), ("目標値", "13件（2025年度）")]
    actual = rows[L.KEY_ACTUAL]
    assert ws.cell(actual, L.COL_UNIT + 1).value == "件"
    # the default number format: what Excel and Calc recognise in what is typed (80% → a percent) is kept
    assert ws.cell(actual, 2).number_format == "General"
    assert "＊基準値は2022年度の数値です。" in ws.cell(actual, L.COL_ACTUAL_NOTE + 1).value


def test_templates__marked_baseline__the_note_names_the_indicators_own_baseline_year(project):
    data = tomllib.loads(PLAN_FILE.read_text(encoding="utf-8"))
    indicator = next(i["indicator"] for i in data["items"] if i["code"] == "2101")
    indicator["baseline_year"] = 2021
    plan = plan_from_mapping(data)
    wb = openpyxl.load_workbook(io.BytesIO(build_workbook(plan.for_year(YEAR), project.config, YEAR, plan.department_by_code["05"])))
    ws = wb["2101"]
    row = _rows(ws)[L.KEY_ACTUAL]
    assert ws.cell(_rows(ws)[L.KEY_BASELINE], 2).value == "3件（2021年度）＊"
    assert ws.cell(row, L.COL_ACTUAL_NOTE + 1).value.endswith("＊基準値は2021年度の数値です。")


def test_templates__identity__very_hidden_sheet_and_custom_properties(project, books):
    wb = books["R06_2024年度_12_福祉事務所_進捗状況調査票.xlsx"]
    assert wb[L.SHEET_IDENTITY].sheet_state == "veryHidden"
    identity = _identity(wb)
    assert identity[L.ID_PLAN] == "izunokuni-gyozai3-kouki"
    assert identity[L.ID_YEAR] == "2024"
    assert identity[L.ID_DEPARTMENT] == "12"
    assert identity[L.ID_SCHEMA] == L.SCHEMA_VERSION
    year_plan = project.plan.for_year(2024)            # the plan as it stood in 2024
    assert identity[L.ID_TEMPLATE] == L.template_id(year_plan.id, year_plan.digest, 2024, "12")
    assert identity[L.ID_PLAN_DIGEST] == year_plan.digest
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props[L.PROPERTY_PREFIX + L.ID_DEPARTMENT] == "12"
    assert props[L.PROPERTY_PREFIX + L.ID_TEMPLATE] == identity[L.ID_TEMPLATE]


def test_templates__guide_sheet__year_in_both_calendars_deadline_contact_and_meanings(books):
    ws = books["R06_2024年度_07_行政経営課_進捗状況調査票.xlsx"][L.SHEET_GUIDE]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "令和6年度（2024年度）" in text
    assert "令和7年5月31日（2025年5月31日）" in text
    assert "行政経営課" in text and "055-948-1111" in text
    for meaning in ("計画した取組を完了した。", "取組に着手していない。", "A：計画どおり", "ほとんど進んでいない。"):
        assert meaning in text


def test_templates__print_setup__a4_landscape_fit_to_width_titles_frozen(books):
    ws = books["R06_2024年度_05_情報政策課_進捗状況調査票.xlsx"]["2201"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1)    # 1 is the default, so xlsxwriter omits it
    assert ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$1:$2"
    assert ws.freeze_panes is not None
    assert ws.column_dimensions["B"].width > 40


def test_templates__same_inputs__same_bytes(project):
    dept = project.plan.department_by_code["05"]
    first = build_workbook(project.plan.for_year(2024), project.config, 2024, dept)
    assert build_workbook(project.plan.for_year(2024), project.config, 2024, dept) == first
    assert build_workbook(project.plan.for_year(2025), project.config, 2025, dept) != first


def test_templates__existing_workbooks__not_overwritten_without_force(project):
    target = project.template("05")
    target.write_bytes(b"someone is editing this")
    with pytest.raises(AlreadyExistsError, match="--force"):
        write_templates(project.plan, project.config, 2024)
    assert target.read_bytes() == b"someone is editing this"
    write_templates(project.plan, project.config, 2024, force=True)
    assert target.read_bytes().startswith(b"PK")


def test_cli_templates__year_outside_the_plan__exit_2(project):
    result = CliRunner().invoke(main, ["--config", str(project.config_path), "templates", "--year", "2026"])
    assert result.exit_code == 2
    assert "2026年度は計画期間（2022〜2025年度）の外です" in result.output


def test_cli_templates__writes_the_year_folder(tmp_path):
    from tests.conftest import make_project
    p = make_project(tmp_path / "fresh")
    result = CliRunner().invoke(main, ["--config", str(p.config_path), "templates", "--year", "2025"])
    assert result.exit_code == 0, result.output
    assert len(list(p.config.templates_for(2025).glob("R07_2025年度_*.xlsx"))) == 19


# --- carry-over: next year's workbooks show last year's answers ---------------------------------------

def _collect(project, year):
    from pipeline.usecases.collect_year import run_collect_year
    run_collect_year(project.plan, project.config, year)


def _rows(ws) -> dict[str, int]:
    return {L.row_key(c.value): c.row for (c,) in ws.iter_rows(min_col=1, max_col=1) if c.value}


def test_templates__carry_over__last_years_answer_read_only_beside_the_inputs(project):
    filler = project.filler("05", year=2023).fill_all()
    filler.answer("2101", "2101-02", progress="一部実施", result="RPAを2業務に導入した。", issues="効果測定",
                  next_plan="対象を広げる。")
    filler.save(project.inbox(2023) / "情報政策課.xlsx")
    _collect(project, 2023)
    write_templates(project.plan, project.config, 2024, force=True)

    ws = openpyxl.load_workbook(project.template("05"))["2101"]
    rows = _rows(ws)
    header = ws.cell(rows[L.HEADER_KEY], L.COL_PREVIOUS + 1)
    assert header.value == "（参考）2023年度の回答"
    previous = ws.cell(rows["2101-02"], L.COL_PREVIOUS + 1)
    assert previous.value == "進捗状況: 一部実施\n取組実績: RPAを2業務に導入した。\n課題: 効果測定\n次年度の予定: 対象を広げる。"
    assert previous.protection.locked is not False
    assert ws.cell(rows["2101-02"], L.COL_PROGRESS + 1).value is None     # the input itself stays empty


def test_templates__carry_over__department_that_did_not_return_says_so(project):
    project.filler("01", year=2023).fill_all().save(project.inbox(2023) / "a.xlsx")
    _collect(project, 2023)
    write_templates(project.plan, project.config, 2024, force=True)
    ws = openpyxl.load_workbook(project.template("05"))["2101"]
    assert ws.cell(_rows(ws)["2101-02"], L.COL_PREVIOUS + 1).value == "前年度は未提出"


def test_templates__carry_over__cumulative_indicator_shows_the_running_total(project):
    for year, actual in ((2023, 2),):
        filler = project.filler("18", year=year).fill_all(actual=actual)
        filler.save(project.inbox(year) / "商工課.xlsx")
        _collect(project, year)
    write_templates(project.plan, project.config, 2024, force=True)
    ws = openpyxl.load_workbook(project.template("18"))["2302"]
    history = ws.cell(_rows(ws)[L.KEY_HISTORY], 2).value
    assert history == "2022年度 未報告／2023年度 2件（延べ 2件、2022〜2023年度の累計）"
    note = next(c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "2023年度の自己評価" in c.value)
    assert "A：計画どおり（おおむね計画どおり進んだ。）" in note


def test_templates__without_last_year_in_the_store__no_carry_over_column(project):
    ws = openpyxl.load_workbook(project.template("05"))["2101"]
    assert ws.cell(_rows(ws)[L.HEADER_KEY], L.COL_PREVIOUS + 1).value is None
