"""After the committee meets on a year's report, the secretariat makes the register (opinions template),
types the committee's opinions and good practices into its yellow cells, and takes it in (opinions collect):
a clean register replaces that year's opinions in the store; a careless one is pointed out cell by cell
and changes nothing."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.committee import register as R
from pipeline.committee.intake import collect_opinions, findings_file_name
from pipeline.errors import AlreadyExistsError
from pipeline.files import same_on_every_system
from pipeline.plan import Department
from pipeline.records.opinions import GENERAL, GoodPractice, Opinion
from pipeline.sheets import layout as L
from pipeline.sheets.look import INPUT_FILL
from pipeline.store import Store
from tests.conftest import YEAR

REGISTER_NAME = "R06_2024年度_委員会意見・優良事例.xlsx"
OPINION_INPUTS = ("B", "D", "E", "F", "G")
PRACTICE_INPUTS = ("B", "D")


class RegisterFiller:
    """Types into the register as the secretariat does in Excel: only into the yellow (unlocked) cells of
    the row whose 番号 is given."""

    def __init__(self, path: Path):
        self.wb = openpyxl.load_workbook(path)

    def row_of(self, sheet: str, number: int) -> int:
        for (cell,) in self.wb[sheet].iter_rows(min_row=R.FIRST_ROW + 1, min_col=1, max_col=1):
            if cell.value == number:
                return cell.row
        raise KeyError(f"番号 {number} not in {sheet}")

    def type(self, sheet: str, number: int, column: str, value) -> str:
        cell = self.wb[sheet][f"{column}{self.row_of(sheet, number)}"]
        assert cell.protection.locked is False, f"{sheet}!{cell.coordinate} is not an input cell"
        cell.value = value
        return cell.coordinate

    def opinion(self, number: int, item=None, text=None, department=None, member=None, date=None) -> RegisterFiller:
        for column, value in zip(OPINION_INPUTS, (item, text, department, member, date), strict=True):
            if value is not None:
                self.type(R.SHEET_OPINIONS, number, column, value)
        return self

    def practice(self, number: int, initiative=None, reason=None) -> RegisterFiller:
        for column, value in zip(PRACTICE_INPUTS, (initiative, reason), strict=True):
            if value is not None:
                self.type(R.SHEET_PRACTICES, number, column, value)
        return self

    def save(self, path: Path) -> Path:
        self.wb.save(path)
        return path


def register_path(project, year=YEAR) -> Path:
    return project.config.opinions_for(year) / R.register_file_name(year)


def new_register(project, year=YEAR, plan=None) -> RegisterFiller:
    R.write_register(plan or project.plan, project.config, year, force=True)
    return RegisterFiller(register_path(project, year))


def clean_register(project) -> Path:
    """Three opinions (one on the plan as a whole), a blank row between them, and two good practices."""
    f = new_register(project)
    f.opinion(1, item="1101", text="SNSの発信回数だけでなく、届いた人数を指標にしてはどうか。")
    f.opinion(2, item=GENERAL, text="計画全体の進捗を市民に分かりやすく公表すること。", department="行政経営課",
              member="山田委員", date=dt.date(2025, 7, 15))
    f.opinion(4, item="2101", text="窓口のデジタル化を他課にも広げること。", department="05", date="2025/7/15")
    f.practice(1, initiative="2101-01", reason="AI-OCRで入力時間を半分にした。")
    f.practice(2, initiative="1101-01", reason="媒体ごとに発信を使い分けている。")
    return f.save(register_path(project))


def stored(project):
    with Store(project.config.store_path, readonly=True) as store:
        return store.opinions(), store.good_practices(YEAR), store.opinion_years()


def dump(project):
    if not project.config.store_path.exists():
        return None
    with Store(project.config.store_path, readonly=True) as store:
        return store.dump()


def places(findings) -> set[tuple[str, str, str]]:
    return {(f.code, f.sheet, f.cell) for f in findings}


def invoke(project, *args):
    return CliRunner().invoke(main, ["--config", str(project.config_path), "opinions", *args, "--year", str(YEAR)])


def list_of(wb, name: str) -> list[str]:
    """The values a dropdown whose source is the defined name `name` offers."""
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    return [c.value for (c,) in wb[sheet][ref.replace("$", "")]]


def validation_at(ws, coordinate):
    return next((dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref), None)


# --- the template -------------------------------------------------------------------------------------

def test_template__register_in_its_own_year_folder__guide_then_opinions_then_practices(project):
    written = R.write_register(project.plan, project.config, YEAR)
    assert written.path == project.root / "opinions" / "2024" / REGISTER_NAME
    wb = openpyxl.load_workbook(written.path)
    assert wb.sheetnames == [L.SHEET_GUIDE, R.SHEET_OPINIONS, R.SHEET_PRACTICES, R.SHEET_LISTS, L.SHEET_IDENTITY]
    assert [wb[s].sheet_state for s in wb.sheetnames] == ["visible", "visible", "visible", "hidden", "veryHidden"]
    guide = "\n".join(str(c.value) for row in wb[L.SHEET_GUIDE].iter_rows() for c in row if c.value)
    assert "令和6年度（2024年度）" in guide and "make opinions-collect YEAR=2024" in guide and "主担当課" in guide


def test_template__headers_and_numbered_rows(project):
    wb = openpyxl.load_workbook(R.write_register(project.plan, project.config, YEAR).path)
    opinions, practices = wb[R.SHEET_OPINIONS], wb[R.SHEET_PRACTICES]
    header = R.HEADER_ROW + 1
    assert [L.row_key(c.value) for c in opinions[header]] == ["番号", "管理番号", "取組項目", "意見", "対応部署", "委員名",
                                                              "会議日"]
    assert [L.row_key(c.value) for c in practices[header]] == ["番号", "取組ID", "具体的な取組", "紹介の理由"]
    assert [opinions.cell(header + n, 1).value for n in range(1, 31)] == list(range(1, 31))
    assert [practices.cell(header + n, 1).value for n in range(1, 21)] == list(range(1, 21))
    assert opinions.cell(header + 31, 1).value is None


def test_template__dropdowns__item_codes_with_general__departments__initiative_ids(project):
    plan = project.plan
    wb = openpyxl.load_workbook(R.write_register(plan, project.config, YEAR).path)
    opinions, practices = wb[R.SHEET_OPINIONS], wb[R.SHEET_PRACTICES]

    item = validation_at(opinions, "B5")
    assert item.type == "list" and item.sqref == openpyxl.worksheet.cell_range.MultiCellRange("B5:B34")
    assert list_of(wb, item.formula1) == [GENERAL] + [i.code for i in plan.items]
    department = validation_at(opinions, "E34")
    assert department.type == "list" and department.errorStyle == "warning"    # a code may be typed instead
    assert list_of(wb, department.formula1) == [d.name for d in plan.surveyed_departments()]
    initiative = validation_at(practices, "B24")
    assert initiative.type == "list"
    assert list_of(wb, initiative.formula1) == [ini.id for ini in plan.initiatives]
    for ws, coordinate in ((opinions, "D5"), (practices, "D24")):
        length = validation_at(ws, coordinate)
        assert (length.type, length.operator, length.formula1) == ("textLength", "lessThanOrEqual", "1000")
    assert validation_at(opinions, "G5").type == "date"


def test_template__chosen_code__its_title_shown_beside_it_by_a_lookup(project):
    wb = openpyxl.load_workbook(R.write_register(project.plan, project.config, YEAR).path)
    title, text = wb[R.SHEET_OPINIONS]["C5"].value, wb[R.SHEET_PRACTICES]["C24"].value
    assert title.startswith("=") and "VLOOKUP($B5,ItemTable,2,FALSE)" in title
    assert "VLOOKUP($B24,InitiativeTable,2,FALSE)" in text
    table = wb.defined_names["ItemTable"].attr_text
    sheet, ref = next(iter(wb.defined_names["ItemTable"].destinations))
    rows = {row[0].value: row[1].value for row in wb[sheet][ref.replace("$", "")]}
    assert rows[GENERAL] == "計画全体" and rows["1101"] == project.plan.item_by_code["1101"].title, table


def test_template__only_input_cells_unlocked_and_yellow__sheets_protected__printed_a4_landscape(project):
    wb = openpyxl.load_workbook(R.write_register(project.plan, project.config, YEAR).path)
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
    for sheet, inputs, rows in ((R.SHEET_OPINIONS, OPINION_INPUTS, 30), (R.SHEET_PRACTICES, PRACTICE_INPUTS, 20)):
        ws = wb[sheet]
        for row in ws.iter_rows(min_row=1, max_row=R.FIRST_ROW + rows + 2):
            for cell in row:
                unlocked = cell.protection.locked is False
                yellow = (cell.fill.fgColor.rgb or "").endswith(INPUT_FILL.lstrip("#"))
                expected = cell.column_letter in inputs and R.FIRST_ROW < cell.row <= R.FIRST_ROW + rows
                assert unlocked == yellow == expected, f"{sheet}!{cell.coordinate}"
        assert ws["B5"].number_format == "@"      # a code stays text: 1101 not a number, 2101-01 not a date
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows == "$4:$4"


def test_template__identity__kind_plan_and_year_in_a_very_hidden_sheet_and_the_properties(project):
    wb = openpyxl.load_workbook(R.write_register(project.plan, project.config, YEAR).path)
    identity = {row[0].value: row[1].value for row in wb[L.SHEET_IDENTITY].iter_rows()}
    assert identity[R.ID_KIND] == R.REGISTER_KIND
    assert identity[L.ID_PLAN] == project.plan.id and identity[L.ID_YEAR] == "2024"
    assert L.ID_DEPARTMENT not in identity
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props[L.PROPERTY_PREFIX + R.ID_KIND] == R.REGISTER_KIND


def test_template__same_plan_and_year__same_bytes(project):
    first = R.build_register(project.plan.for_year(YEAR), project.config, YEAR)
    assert R.build_register(project.plan.for_year(YEAR), project.config, YEAR) == first
    assert R.build_register(project.plan.for_year(YEAR + 1), project.config, YEAR + 1) != first


def test_template__existing_register__not_overwritten_without_force(project):
    path = clean_register(project)
    typed = path.read_bytes()
    with pytest.raises(AlreadyExistsError, match="--force"):
        R.write_register(project.plan, project.config, YEAR)
    assert path.read_bytes() == typed
    R.write_register(project.plan, project.config, YEAR, force=True)
    assert path.read_bytes() == same_on_every_system(R.build_register(project.plan.for_year(YEAR), project.config, YEAR))


def test_cli_template__writes_then_refuses_to_overwrite(project):
    first = invoke(project, "template")
    assert first.exit_code == 0, first.output
    assert register_path(project).exists() and REGISTER_NAME in first.output
    second = invoke(project, "template")
    assert second.exit_code == 2
    assert "上書きしません" in second.output and "--force" in second.output


# --- collect: a clean register ------------------------------------------------------------------------

def test_collect__clean_register__opinions_stored_with_ids_from_their_row_numbers(project):
    register = clean_register(project)
    result = collect_opinions(project.plan, project.config, YEAR)

    assert result.stored and result.errors == 0 and result.warnings == 0
    with Store(project.config.store_path, readonly=True) as store:   # the register's bytes kept with its rows
        assert store.kept_files() == {result.sha256}
        assert store.kept_file(result.sha256) == register.read_bytes()
    opinions, practices, years = stored(project)
    lead = project.plan.item_by_code["1101"].lead
    assert opinions == [
        Opinion("2024-01", 2024, 1, "1101", lead, "SNSの発信回数だけでなく、届いた人数を指標にしてはどうか。"),
        Opinion("2024-02", 2024, 2, GENERAL, "07", "計画全体の進捗を市民に分かりやすく公表すること。", "山田委員",
                "2025-07-15"),
        Opinion("2024-04", 2024, 4, "2101", "05", "窓口のデジタル化を他課にも広げること。", "", "2025-07-15"),
    ]
    assert practices == [GoodPractice(2024, 1, "2101-01", "AI-OCRで入力時間を半分にした。"),
                         GoodPractice(2024, 2, "1101-01", "媒体ごとに発信を使い分けている。")]
    assert years == [2024]
    csv_path = project.config.opinions_for(YEAR) / findings_file_name(YEAR)
    assert csv_path.read_text(encoding="utf-8").splitlines() == ["severity,code,file,sheet,cell,field,message"]


def test_cli_collect__clean_register__exit_0_and_counts(project):
    clean_register(project)
    result = invoke(project, "collect")
    assert result.exit_code == 0, result.output
    assert "委員会意見 3 件" in result.output and "優良事例 2 件" in result.output


def test_collect__warnings_only__stored_and_the_warning_shown(project):
    f = new_register(project)
    f.practice(1, initiative="2101-01", reason="理由1").practice(3, initiative="2101-01", reason="理由2")
    f.save(register_path(project))
    result = invoke(project, "collect")
    assert result.exit_code == 0, result.output
    assert "警告 優良事例!B7:" in result.output and "OPIN_018" in result.output
    assert [p.number for p in stored(project)[1]] == [1, 3]


def test_collect__empty_register__recorded_as_a_year_without_opinions_with_a_warning(project):
    new_register(project).save(register_path(project))
    result = collect_opinions(project.plan, project.config, YEAR)
    assert result.stored and [f.code for f in result.findings] == ["OPIN_019"]
    assert stored(project) == ([], [], [2024])


# --- collect: a careless register -----------------------------------------------------------------------

def careless_register(project, plan=None) -> Path:
    limit = project.config.max_text_length
    f = new_register(project, plan=plan)
    f.opinion(1, item="9999", text="存在しない管理番号への意見。")
    f.opinion(2, item="1101", member="佐藤委員")                          # no opinion typed
    f.opinion(3, text="管理番号のない意見。")
    f.opinion(4, item=GENERAL, text="全般の意見。")                         # 全般 without a department
    f.opinion(5, item="1101", text="意見。", department="議会事務局")        # not a department of the plan
    f.opinion(6, item="1101", text="意見。", department="監査委員事務局")    # in the plan, but sent no workbook
    f.opinion(7, item="1101", text="長" * (limit + 1))
    f.opinion(8, item="1101", text="意見。", date="来月の委員会")
    f.opinion(9, item="1201", text="この行は正しい。")
    f.practice(1, initiative="9999-99", reason="存在しない取組。")
    f.practice(2, initiative="1101-01")                                     # no reason
    f.practice(3, reason="取組IDのない理由。")
    return f.save(register_path(project))


EXPECTED_CARELESS = {
    ("OPIN_009", R.SHEET_OPINIONS, "B5"),
    ("OPIN_010", R.SHEET_OPINIONS, "D6"),
    ("OPIN_008", R.SHEET_OPINIONS, "B7"),
    ("OPIN_013", R.SHEET_OPINIONS, "E8"),
    ("OPIN_011", R.SHEET_OPINIONS, "E9"),
    ("OPIN_012", R.SHEET_OPINIONS, "E10"),
    ("VALUE_005", R.SHEET_OPINIONS, "D11"),
    ("OPIN_014", R.SHEET_OPINIONS, "G12"),
    ("OPIN_016", R.SHEET_PRACTICES, "B5"),
    ("OPIN_017", R.SHEET_PRACTICES, "D6"),
    ("OPIN_015", R.SHEET_PRACTICES, "B7"),
}


@pytest.fixture
def audit_office_plan(project):
    """The plan with one more department, 監査委員事務局, that takes part in nothing (so gets no workbook)."""
    plan = dataclasses.replace(project.plan, departments=(*project.plan.departments, Department("99", "監査委員事務局")))
    assert "99" not in {d.code for d in plan.surveyed_departments()}
    return plan


def test_collect__careless_register__each_mistake_at_its_cell__store_unchanged(project, audit_office_plan):
    clean_register(project)
    collect_opinions(project.plan, project.config, YEAR)
    before = dump(project)
    careless_register(project, plan=audit_office_plan)     # made from the plan it is checked against

    result = collect_opinions(audit_office_plan, project.config, YEAR)

    assert places(result.findings) == EXPECTED_CARELESS
    assert all(f.is_error and f.file == REGISTER_NAME for f in result.findings)
    assert not result.stored and dump(project) == before
    general = next(f for f in result.findings if f.code == "OPIN_013")
    assert "全般" in general.message and "対応部署" in general.message
    unknown = next(f for f in result.findings if f.code == "OPIN_011")
    assert unknown.value == "議会事務局" and "一覧から部署名を選ぶ" in unknown.message
    with (project.config.opinions_for(YEAR) / findings_file_name(YEAR)).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["code"], r["sheet"], r["cell"]) for r in rows} == EXPECTED_CARELESS


def test_cli_collect__careless_register__exit_1_every_finding_printed_and_nothing_stored(project):
    careless_register(project)
    result = invoke(project, "collect")
    assert result.exit_code == 1
    for code, sheet, cell in EXPECTED_CARELESS - {("OPIN_012", R.SHEET_OPINIONS, "E10")}:
        assert f"エラー {sheet}!{cell}:" in result.output and code in result.output
    assert "取り込んでいません" in result.output
    assert dump(project) is None      # no store was made either


def test_collect__corrected_register__replaces_the_years_opinions(project):
    clean_register(project)
    collect_opinions(project.plan, project.config, YEAR)
    careless_register(project)
    assert not collect_opinions(project.plan, project.config, YEAR).stored

    f = new_register(project)
    f.opinion(2, item="1201", text="直した意見。", department="企画課")
    f.save(register_path(project))
    result = collect_opinions(project.plan, project.config, YEAR)

    assert result.stored
    opinions, practices, years = stored(project)
    assert opinions == [Opinion("2024-02", 2024, 2, "1201", "06", "直した意見。")]
    assert practices == [] and years == [2024]


def test_collect__number_column_emptied__refused_at_its_cell(project):
    f = new_register(project)
    f.opinion(1, item="1101", text="意見。")
    f.wb[R.SHEET_OPINIONS]["A5"] = None        # the sheet's protection lifted and the number deleted
    f.save(register_path(project))
    result = collect_opinions(project.plan, project.config, YEAR)
    assert places(result.findings) == {("OPIN_007", R.SHEET_OPINIONS, "A5")}


def test_collect__department_typed_loosely__name_with_spaces_or_code_without_its_zero(project):
    f = new_register(project)
    f.opinion(1, item="１１０１", text="全角の管理番号。", department=" 情報政策課 ")
    f.opinion(2, item="1101", text="ゼロのない部署コード。", department=5)
    f.save(register_path(project))
    collect_opinions(project.plan, project.config, YEAR)
    assert [(o.item_code, o.department_code) for o in stored(project)[0]] == [("1101", "05"), ("1101", "05")]


# --- collect: not this year's register ------------------------------------------------------------------

def test_collect__register_of_another_year__refused_as_such(project):
    R.write_register(project.plan, project.config, YEAR - 1)
    project.config.opinions_for(YEAR).mkdir(parents=True)
    shutil.copy(register_path(project, YEAR - 1), project.config.opinions_for(YEAR) / REGISTER_NAME)
    result = collect_opinions(project.plan, project.config, YEAR)
    assert [f.code for f in result.findings] == ["OPIN_003"]
    assert "2023年度" in result.findings[0].message and not result.stored


def test_collect__a_department_workbook_saved_as_the_register__refused(project):
    folder = project.config.opinions_for(YEAR)
    folder.mkdir(parents=True)
    shutil.copy(project.template("05"), folder / "委員会意見.xlsx")
    result = collect_opinions(project.plan, project.config, YEAR)
    assert [f.code for f in result.findings] == ["OPIN_001"]
    assert "部署の進捗状況調査票" in result.findings[0].message


def test_collect__sheet_deleted__refused_naming_the_sheet(project):
    f = new_register(project)
    f.opinion(1, item="1101", text="意見。")
    del f.wb[R.SHEET_PRACTICES]
    f.save(register_path(project))
    result = collect_opinions(project.plan, project.config, YEAR)
    assert [(f.code, f.value) for f in result.findings] == [("OPIN_006", R.SHEET_PRACTICES)]
    assert not result.stored


def test_collect__not_a_workbook__the_gate_refuses_it(project):
    folder = project.config.opinions_for(YEAR)
    folder.mkdir(parents=True)
    (folder / REGISTER_NAME).write_bytes(b"")
    result = collect_opinions(project.plan, project.config, YEAR)
    assert [f.code for f in result.findings] == ["FILE_001"] and not result.stored


def test_cli_collect__no_register__exit_2_says_to_make_one(project):
    result = invoke(project, "collect")
    assert result.exit_code == 2
    assert "記録票" in result.output and "make opinions-template YEAR=2024" in result.output


def test_cli_collect__two_registers__exit_1_names_both(project):
    path = clean_register(project)
    shutil.copy(path, path.with_name("委員会意見（コピー）.xlsx"))
    result = invoke(project, "collect")
    assert result.exit_code == 1
    assert "2 件" in result.output and "委員会意見（コピー）.xlsx" in result.output and REGISTER_NAME in result.output
    assert dump(project) is None


def test_config__opinions_folder__resolves_against_the_config_folder(project):
    assert project.config.opinions_for(YEAR) == project.root / "opinions" / "2024"
    assert 'opinions = "opinions"' in project.config_path.read_text(encoding="utf-8")
