"""The plan master (計画マスタ): the plan as a workbook the secretariat edits in Excel, and back to the plan
file. Export then import gives exactly the same plan (and the same department workbooks); an edited
master with mistakes gives every mistake at its sheet and cell, and writes nothing."""

from __future__ import annotations

import copy
import datetime as dt
import io
import tomllib
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
import tomli_w
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.files import same_on_every_system
from pipeline.intake import gate
from pipeline.plan import ADDED, ENDED, EXCLUDED, REVISED, Plan, content_digest, load_plan
from pipeline.plan_master import layout as M
from pipeline.plan_master.commands import build_master, export_master, import_master
from pipeline.survey.workbook import build_workbook
from tests.conftest import PLAN_FILE, make_project
from tests.office_support import Calc, need_office, requires_office
from tests.test_gate import _biff_workbook_stream, _changed, _ole

HEADERS = {
    M.SHEET_PLAN: ["項目", "内容"],
    M.SHEET_DEPARTMENTS: ["部署コード", "部署名"],
    M.SHEET_SECTIONS: ["節番号", "節の名称"],
    M.SHEET_PILLARS: ["柱番号", "節", "柱の名称"],
    M.SHEET_ITEMS: ["管理番号", "柱", "取組項目", "前期計画", "担当部署", "アウトカム", "現状・課題", "課題の「など」",
                    "具体的な取組の見出し"],
    M.SHEET_INITIATIVES: ["取組ID", "管理番号", "具体的な取組", "担当部署", "DX", "開始年度", "終了年度", "変更理由"],
    M.SHEET_INDICATORS: ["管理番号", "指標名", "単位", "基準値", "基準年度", "*印", "目標値", "目標年度", "方向", "延べ",
                         "報告部署"],
    M.SHEET_REVISIONS: ["取組ID", "適用年度", "具体的な取組（変更後）", "担当部署（変更後）", "DX（変更後）", "変更理由"],
    M.SHEET_EXCLUSIONS: ["管理番号", "年度", "理由"],
}


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(PLAN_FILE)


@pytest.fixture(scope="module")
def master_book(plan):
    return openpyxl.load_workbook(io.BytesIO(build_master(plan)))


def _round_trip(plan: Plan, tmp_path: Path, *, inline: bool = True):
    master = export_master(plan, None, tmp_path / "計画マスタ.xlsx")
    result = import_master(master, tmp_path / "plan.toml", inline=inline)
    assert result.errors == 0, [(f.sheet, f.cell, f.value, f.message) for f in result.findings]
    return result


def _assert_same_workbooks(original: Plan, imported: Plan, config) -> None:
    """Every department's workbook of every year is byte for byte the same from both plans."""
    for year in original.years:
        departments = original.for_year(year).surveyed_departments()
        assert [d.code for d in imported.for_year(year).surveyed_departments()] == [d.code for d in departments]
        for dept in departments:
            assert build_workbook(imported.for_year(year), config, year, dept) == \
                build_workbook(original.for_year(year), config, year, dept), (year, dept.code)


# --- the exported workbook -----------------------------------------------------------------------------

def test_the_master_opens_on_its_guide_and_has_one_plain_table_per_part_of_the_plan(master_book):
    assert master_book.sheetnames == [M.SHEET_GUIDE, *HEADERS]
    assert master_book.active.title == M.SHEET_GUIDE
    for sheet, headers in HEADERS.items():
        ws = master_book[sheet]
        assert [c.value for c in ws[1]] == headers, sheet
        assert ws.freeze_panes == "A2", sheet
        assert ws.auto_filter.ref.startswith("A1:"), sheet
        assert ws.print_title_rows == "$1:$1", sheet
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape", sheet
        # fit to one page wide (1 is the file's default, left out), as many pages down as needed
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1), sheet
        assert ws.page_setup.fitToHeight == 0, sheet
        assert not ws.protection.sheet, f"{sheet}: the secretariat edits everything"


def test_every_header_cell_has_a_note_saying_what_goes_there(master_book):
    for sheet in HEADERS:
        for cell in master_book[sheet][1]:
            assert cell.comment is not None and len(cell.comment.text) > 5, f"{sheet}!{cell.coordinate}"
    plan_sheet = master_book[M.SHEET_PLAN]
    labels = [(plan_sheet.cell(r, 1).value, plan_sheet.cell(r, 1).comment) for r in range(2, 2 + len(M.PLAN_FIELDS))]
    assert [label for label, _ in labels] == [f.label for f in M.PLAN_FIELDS]
    assert all(note is not None for _, note in labels)
    assert "（必須）" in master_book[M.SHEET_INITIATIVES]["A1"].comment.text


def test_the_plan_sheet_holds_the_charters_particulars_as_label_value_rows(master_book, plan):
    ws = master_book[M.SHEET_PLAN]
    values = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(2, ws.max_row + 1)}
    assert values["計画ID"] == plan.id and values["計画名"] == plan.title
    assert values["計画期間（開始年度）"] == 2022 and values["計画期間（終了年度）"] == 2025
    assert values["数える単位"] == "件、回、名、校、団体"


def test_the_tables_hold_the_plan_as_the_charter_prints_it(master_book, plan):
    items = {r[0].value: [c.value for c in r] for r in master_book[M.SHEET_ITEMS].iter_rows(min_row=2)}
    item = plan.item_by_code["1101"]
    row = items["1101"]
    assert row[4] == "協働まちづくり課、健康づくり課、危機管理課ほか"       # 担当部署, ほか as in the charter
    assert row[6].split("\n") == list(item.issues)                           # one bullet per line
    assert row[7] == "はい"                                                  # the bullets close with など
    initiatives = {r[0].value: [c.value for c in r] for r in master_book[M.SHEET_INITIATIVES].iter_rows(min_row=2)}
    assert initiatives["1101-01"][:5] == ["1101-01", "1101", item.initiatives[0].text, "協働まちづくり課ほか", "いいえ"]
    assert initiatives["1101-01"][5:] == [None, None, None]                 # in force the whole period
    assert sum(v[4] == "はい" for v in initiatives.values()) == sum(i.dx for i in plan.initiatives)
    indicators = {r[0].value: [c.value for c in r] for r in master_book[M.SHEET_INDICATORS].iter_rows(min_row=2)}
    assert indicators["1101"] == ["1101", "公式LINE登録者数", "件", 6794, 2021, "いいえ", 9000, 2025, "増加", "いいえ",
                                  "協働まちづくり課"]
    assert indicators["2102"][3] == 44.7
    assert indicators["2401"][6] is None and indicators["2401"][8] == "減少"   # a direction-only target
    assert indicators["1301"][3] is None                                        # the charter shows "-"


def test_cells_that_must_come_from_another_sheet_have_dropdowns(master_book):
    def rules(sheet: str) -> dict[str, str]:
        ws = master_book[sheet]
        out = {}
        for dv in ws.data_validations.dataValidation:
            assert dv.type == "list"
            first = str(dv.sqref).split(":")[0]
            out[ws[first[0] + "1"].value] = dv.formula1
        return out

    names = {name: master_book.defined_names[name].attr_text for name in master_book.defined_names}
    assert "'部署'!$B" in names["DepartmentNames"] and "'取組項目'!$A" in names["ItemCodes"]
    assert "'柱'!$A" in names["PillarCodes"] and "'具体的な取組'!$A" in names["InitiativeIds"]
    years = '"2022,2023,2024,2025"'
    assert rules(M.SHEET_PILLARS) == {"節": "SectionNumbers"}
    assert rules(M.SHEET_ITEMS)["柱"] == "PillarCodes" and rules(M.SHEET_ITEMS)["担当部署"] == "DepartmentNames"
    assert rules(M.SHEET_INITIATIVES) == {"管理番号": "ItemCodes", "担当部署": "DepartmentNames", "DX": '"はい,いいえ"',
                                          "開始年度": years, "終了年度": years}
    assert rules(M.SHEET_INDICATORS)["報告部署"] == "DepartmentNames"
    assert rules(M.SHEET_INDICATORS)["方向"] == '"増加,減少"'
    assert rules(M.SHEET_REVISIONS) == {"取組ID": "InitiativeIds", "適用年度": years,
                                        "担当部署（変更後）": "DepartmentNames", "DX（変更後）": '"はい,いいえ"'}
    assert rules(M.SHEET_EXCLUSIONS) == {"管理番号": "ItemCodes", "年度": years}


def test_the_same_plan_gives_the_same_bytes_and_text_never_becomes_a_formula(plan, master_book):
    assert build_master(plan) == build_master(plan)
    assert master_book.properties.created == dt.datetime(2022, 4, 1, 9, 0)     # fixed: no clock in the bytes
    tricky = replace(plan, items=(replace(plan.items[0], title="=1+1"), *plan.items[1:]))
    ws = openpyxl.load_workbook(io.BytesIO(build_master(tricky)))[M.SHEET_ITEMS]
    assert ws["C2"].value == "=1+1" and ws["C2"].data_type == "s"


def test_export_refuses_to_overwrite_a_master_without_force(plan, tmp_path):
    path = export_master(plan, None, tmp_path / "計画マスタ.xlsx")
    path.write_bytes(b"edited")
    with pytest.raises(Exception, match="--force"):
        export_master(plan, None, path)
    assert path.read_bytes() == b"edited"
    export_master(plan, None, path, force=True)
    assert path.read_bytes() == same_on_every_system(build_master(plan))


# --- the exact round trip ------------------------------------------------------------------------------------

def test_the_citys_plan_comes_back_exactly_and_makes_the_same_workbooks(plan, tmp_path):
    project = make_project(tmp_path / "project")
    result = _round_trip(plan, tmp_path, inline=False)      # through the gate and a worker process, as in use
    assert result.written == tmp_path / "plan.toml"
    assert content_digest(result.plan) == content_digest(plan) == plan.digest
    assert result.plan == plan
    assert load_plan(result.written) == plan
    _assert_same_workbooks(plan, result.plan, project.config)


def test_the_plan_file_written_has_the_readmes_shape_with_defaults_left_out(plan, tmp_path):
    text = _round_trip(plan, tmp_path).written.read_text("utf-8")
    assert text.count("[[departments]]") == len(plan.departments)
    assert text.count("[[items.initiatives]]") == len(plan.initiatives)
    assert text.count("[items.indicator]") == len(plan.indicators)
    assert text.index("[plan]") < text.index("[[departments]]") < text.index("[[sections]]") \
        < text.index("[[pillars]]") < text.index("[[items]]")
    assert "baseline = 6794\n" in text and "baseline = 44.7\n" in text           # an int stays an int
    assert text.count("dx = true") == sum(i.dx for i in plan.initiatives)
    for default in ("dx = false", "departments_etc = false", "\nstart =", "revisions", "reason =", "reporter =",
                    "cumulative = false", "baseline_marked = false", 'initiatives_label = "具体的な取組"\n'):
        assert default not in text, default


def _variant(tmp_path: Path) -> Plan:
    """The city's plan with revisions during the period, written as a plan file of its own."""
    data = tomllib.loads(PLAN_FILE.read_text("utf-8"))
    items = {item["code"]: item for item in data["items"]}
    first, second = items["1101"]["initiatives"][:2]
    second.update(start=2024, reason="新しい広報媒体の導入に合わせて開始")
    items["1102"]["initiatives"][0].update(end=2023, reason="制度の廃止により終了")
    first["revisions"] = [
        {"year": 2023, "reason": "DX推進計画への位置付け", "dx": True},
        {"year": 2025, "reason": "担当の見直し", "text": "媒体ごとの発信計画を作り、情報発信を行う。",
         "departments": ["情報政策課", "協働まちづくり課"], "departments_etc": False},
    ]
    # as plan/README.md writes them: only what changes (the departments and not the ほか, or the ほか alone)
    items["2101"]["initiatives"][0]["revisions"] = [
        {"year": 2024, "departments": ["情報政策課", "財務課"], "reason": "全庁展開のため"}]
    items["1102"]["initiatives"][1]["revisions"] = [{"year": 2024, "departments_etc": True, "reason": "関係課の参加"}]
    items["1201"]["excluded"] = [{"year": 2023, "reason": "会場の改修工事のため実施しない"}]
    items["1101"]["indicator"]["reporter"] = "健康づくり課"      # not the lead
    items["1202"]["indicator"]["target"] = 100.0                # a whole number written as a float
    path = tmp_path / "variant.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return load_plan(path)


def test_a_plan_with_revisions_comes_back_exactly_too(tmp_path):
    variant = _variant(tmp_path)
    kinds = {year: sorted(c.kind for c in variant.for_year(year).changes) for year in variant.years}
    assert kinds == {2022: [], 2023: sorted([EXCLUDED, REVISED]), 2024: sorted([ADDED, ENDED, REVISED, REVISED]),
                     2025: [REVISED]}
    project = make_project(tmp_path / "project")
    result = _round_trip(variant, tmp_path)
    assert content_digest(result.plan) == content_digest(variant)
    assert result.plan == variant
    assert result.plan.item_by_code["1202"].indicator.target == 100.0
    assert isinstance(result.plan.item_by_code["1202"].indicator.target, float)
    text = result.written.read_text("utf-8")
    assert text.count("[[items.initiatives.revisions]]") == 4 and "[[items.excluded]]" in text
    assert 'reporter = "健康づくり課"' in text
    _assert_same_workbooks(variant, result.plan, project.config)


def test_what_people_type_in_excel_still_reads_as_the_same_plan(plan, tmp_path):
    """Codes typed as numbers, full-width digits, a figure with a comma, ○/×, a space before ほか."""
    master = export_master(plan, None, tmp_path / "計画マスタ.xlsx")
    wb = openpyxl.load_workbook(master)
    initiatives, indicators = wb[M.SHEET_INITIATIVES], wb[M.SHEET_INDICATORS]
    row = _row_of(initiatives, "1101-01")
    initiatives[f"B{row}"] = 1101
    initiatives[f"D{row}"] = "協働まちづくり課 ほか"
    initiatives[f"E{row}"] = "×"
    initiatives[f"E{_row_of(initiatives, '2101-01')}"] = "○" if plan.initiative_by_id["2101-01"].dx else "×"
    row = _row_of(indicators, "1101")
    indicators[f"D{row}"] = "6,794"
    indicators[f"E{row}"] = "２０２１年度"
    indicators[f"H{row}"] = "2025"
    wb.save(master)
    result = import_master(master, tmp_path / "plan.toml", inline=True)
    assert result.errors == 0, [(f.sheet, f.cell, f.message) for f in result.findings]
    assert result.plan == plan


@requires_office()
def test_a_master_saved_in_calc_comes_back_exactly_and_with_what_was_picked_and_typed(plan, tmp_path):
    master = export_master(plan, None, tmp_path / "計画マスタ.xlsx")
    untouched, edited = tmp_path / "untouched.xlsx", tmp_path / "edited.xlsx"
    dx = plan.initiative_by_id["1101-03"].dx
    (tmp_path / "soffice").mkdir()
    calc = Calc(need_office(), tmp_path / "soffice")
    try:
        calc.fill([
            {"in": str(master), "out": str(untouched), "actions": []},
            {"in": str(master), "out": str(edited), "actions": [
                {"sheet": M.SHEET_INITIATIVES, "key": "1101-02", "column": "F", "choose": "2024"},
                {"sheet": M.SHEET_INITIATIVES, "key": "1101-02", "column": "H", "type": "新しい媒体の導入に合わせて開始"},
                {"sheet": M.SHEET_INITIATIVES, "key": "1101-03", "column": "E", "choose": M.yes_no(not dx)},
                {"sheet": M.SHEET_INDICATORS, "key": "1101", "column": "G", "type": "9500"},
            ]},
        ])
    finally:
        calc.close()
    assert import_master(untouched, tmp_path / "same.toml", inline=True).plan == plan
    result = import_master(edited, tmp_path / "edited.toml", inline=True)
    assert result.errors == 0, [(f.sheet, f.cell, f.message) for f in result.findings]
    started = result.plan.initiative_by_id["1101-02"]
    assert (started.start, started.reason) == (2024, "新しい媒体の導入に合わせて開始")
    assert result.plan.initiative_by_id["1101-03"].dx is not dx
    target = result.plan.item_by_code["1101"].indicator.target
    assert target == 9500 and isinstance(target, int)
    assert [c.kind for c in result.plan.for_year(2024).changes] == [ADDED]


# --- mistakes: every one at its cell, nothing written ------------------------------------------------------

def _row_of(ws, key: str) -> int:
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == key)


def _edited_master(plan: Plan, path: Path, edit) -> Path:
    export_master(plan, None, path)
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)
    return path


def _mistakes(wb) -> set[tuple[str, str, str, str]]:
    """Make one of each kind of mistake; the (code, sheet, cell, value) each should give."""
    ini, items, pillars = wb[M.SHEET_INITIATIVES], wb[M.SHEET_ITEMS], wb[M.SHEET_PILLARS]
    ind, revisions, excluded, departments = wb[M.SHEET_INDICATORS], wb[M.SHEET_REVISIONS], wb[M.SHEET_EXCLUSIONS], \
        wb[M.SHEET_DEPARTMENTS]
    r1, r2, r3, r4 = (_row_of(ini, i) for i in ("1101-01", "1101-02", "1101-03", "1102-01"))
    r5, r6 = _row_of(ini, "1102-02"), _row_of(ini, "1102-03")
    ini[f"D{r1}"] = "協働まちづくり課、市民活動課"          # unknown department
    ini[f"B{r2}"] = "9999"                                  # unknown item
    ini[f"A{r3}"] = "1101-01"                               # duplicate ID
    ini[f"F{r4}"] = 2030                                    # a year outside the period
    ini[f"F{r5}"], ini[f"G{r5}"], ini[f"H{r5}"] = 2025, 2024, "見直し"   # an end before its start
    ini[f"F{r6}"] = 2024                                    # a late start without its reason
    ini[f"E{_row_of(ini, '1102-04')}"] = "たぶん"            # a bad DX value
    items[f"B{_row_of(items, '1102')}"] = "9-9"             # unknown pillar
    items[f"C{_row_of(items, '1201')}"] = None              # a missing required cell
    pillars["B2"] = 7                                       # unknown section
    ind[f"D{_row_of(ind, '1101')}"] = "約七千"              # a number that is not a number
    ind[f"E{_row_of(ind, '1102')}"] = "令和3"               # a year that is not a number
    departments["A3"] = departments["A2"].value             # duplicate department code
    revisions.append(["1201-01", 2024, "文言の見直し", None, None, None])   # a revision without its reason
    revisions.append(["9999-01", 2024, None, None, "はい", "理由"])         # unknown initiative
    excluded.append(["1202", 2023, None])                                    # 対象外 without its reason
    return {
        ("PLAN_004", M.SHEET_INITIATIVES, f"D{r1}", "市民活動課"),
        ("PLAN_005", M.SHEET_INITIATIVES, f"B{r2}", "9999"),
        ("PLAN_009", M.SHEET_INITIATIVES, f"A{r3}", "1101-01"),
        ("PLAN_010", M.SHEET_INITIATIVES, f"F{r4}", "2030"),
        ("PLAN_011", M.SHEET_INITIATIVES, f"G{r5}", "2024"),
        ("PLAN_012", M.SHEET_INITIATIVES, f"H{r6}", ""),
        ("PLAN_015", M.SHEET_INITIATIVES, f"E{_row_of(ini, '1102-04')}", "たぶん"),
        ("PLAN_006", M.SHEET_ITEMS, f"B{_row_of(items, '1102')}", "9-9"),
        ("PLAN_003", M.SHEET_ITEMS, f"C{_row_of(items, '1201')}", ""),
        ("PLAN_007", M.SHEET_PILLARS, "B2", "7"),
        ("PLAN_013", M.SHEET_INDICATORS, f"D{_row_of(ind, '1101')}", "約七千"),
        ("PLAN_014", M.SHEET_INDICATORS, f"E{_row_of(ind, '1102')}", "令和3"),
        ("PLAN_009", M.SHEET_DEPARTMENTS, "A3", "01"),
        ("PLAN_012", M.SHEET_REVISIONS, "F2", ""),
        ("PLAN_008", M.SHEET_REVISIONS, "A3", "9999-01"),
        ("PLAN_012", M.SHEET_EXCLUSIONS, "C2", ""),
    }


def test_every_mistake_is_found_at_its_cell_with_its_value_and_nothing_is_written(plan, tmp_path):
    expected: set = set()
    master = _edited_master(plan, tmp_path / "計画マスタ.xlsx", lambda wb: expected.update(_mistakes(wb)))
    out = tmp_path / "plan.toml"
    result = import_master(master, out, inline=True)
    found = {(f.code, f.sheet, f.cell, f.value) for f in result.findings}
    assert found == expected
    assert all(f.is_error and f.file == "計画マスタ.xlsx" for f in result.findings)
    assert result.written is None and result.plan is None and not out.exists()


def test_error_values_and_uncalculated_formulas__said_at_their_cell_as_in_a_return_never_as_empty(plan, tmp_path):
    """A master whose cells hold #REF! (a row deleted under a formula) or a formula a program never calculated:
    each is said at its cell with the return's own words (VALUE_012/013), not as 未記入 (PLAN_003), and a row
    whose only content is such a cell is not skipped as blank."""
    cells = {}

    def edit(wb):
        ini, items = wb[M.SHEET_INITIATIVES], wb[M.SHEET_ITEMS]
        r, q = _row_of(ini, "1101-02"), _row_of(items, "1201")
        ini[f"C{r}"] = "#REF!"                 # an error value (openpyxl writes it as one: t="e")
        items[f"C{q}"] = "=1/0"                # a formula with no saved result
        cells.update(ref=f"C{r}", formula=f"C{q}")
    master = _edited_master(plan, tmp_path / "計画マスタ.xlsx", edit)
    result = import_master(master, tmp_path / "plan.toml", inline=True)
    said = {(f.code, f.sheet, f.cell) for f in result.findings}
    assert said == {("VALUE_012", M.SHEET_INITIATIVES, cells["ref"]), ("VALUE_013", M.SHEET_ITEMS, cells["formula"])}
    assert "#REF!" in next(f.message for f in result.findings if f.code == "VALUE_012")
    assert result.plan is None and not (tmp_path / "plan.toml").exists()


def test_the_command_prints_every_mistake_in_japanese_and_exits_1(plan, tmp_path):
    project = make_project(tmp_path / "project")
    expected: set = set()
    master = _edited_master(plan, tmp_path / "計画マスタ.xlsx", lambda wb: expected.update(_mistakes(wb)))
    out = tmp_path / "plan.toml"
    result = CliRunner().invoke(main, ["--config", str(project.config_path), "plan", "import", str(master),
                                       "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and not out.exists()
    for _code, sheet, cell, value in expected:
        assert f"{sheet}!{cell}" + (f"「{value}」" if value else "") in result.output, (sheet, cell)
    assert "具体的な取組!D2「市民活動課」: 「担当部署」の部署「市民活動課」は部署シートにありません" in result.output
    assert f"エラーが {len(expected)} 件あるため、計画ファイルを書いていません" in result.output


def test_a_mistake_only_the_whole_plan_shows_is_placed_at_its_cell_too(plan, tmp_path):
    def edit(wb):
        wb[M.SHEET_REVISIONS].append(["1101-01", 2022, "文言の見直し", None, None, "理由"])   # not after its start
        ini = wb[M.SHEET_INITIATIVES]
        ini[f"H{_row_of(ini, '1101-02')}"] = "理由だけ"        # a reason with no late start or early end
    master = _edited_master(plan, tmp_path / "計画マスタ.xlsx", edit)
    result = import_master(master, tmp_path / "plan.toml", inline=True)
    row = _row_of(openpyxl.load_workbook(master)[M.SHEET_INITIATIVES], "1101-02")
    assert {(f.code, f.sheet, f.cell, f.value) for f in result.findings} == {
        ("PLAN_017", M.SHEET_REVISIONS, "B2", "2022"),
        ("PLAN_017", M.SHEET_INITIATIVES, f"H{row}", "理由だけ"),
    }
    assert all("計画ファイルでは items[1101].initiatives" in f.message for f in result.findings)
    assert result.written is None


def test_a_revision_that_changes_nothing_is_found_at_its_row(plan, tmp_path):
    def edit(wb):
        revisions = wb[M.SHEET_REVISIONS]
        revisions.append(["1102-02", 2024, None, "協働まちづくり課", None, "担当の確認"])   # the departments as they are
        revisions.append(["1102-03", 2024, None, None, None, "理由"])                      # nothing at all
    master = _edited_master(plan, tmp_path / "計画マスタ.xlsx", edit)
    result = import_master(master, tmp_path / "plan.toml", inline=True)
    assert [(f.code, f.sheet, f.cell, f.value) for f in result.findings] == [
        ("PLAN_019", M.SHEET_REVISIONS, "A3", "1102-03"), ("PLAN_019", M.SHEET_REVISIONS, "A2", "1102-02")]
    assert "前の年度と同じ" in result.findings[0].message


def test_an_item_without_initiatives_is_found_at_its_code(plan, tmp_path):
    def edit(wb):
        ini = wb[M.SHEET_INITIATIVES]
        for key in ("1301-01",):
            ini.delete_rows(_row_of(ini, key))
    master = _edited_master(plan, tmp_path / "計画マスタ.xlsx", edit)
    result = import_master(master, tmp_path / "plan.toml", inline=True)
    row = _row_of(openpyxl.load_workbook(master)[M.SHEET_ITEMS], "1301")
    assert [(f.code, f.sheet, f.cell, f.value) for f in result.findings] == [("PLAN_020", M.SHEET_ITEMS, f"A{row}", "1301")]


def test_a_renamed_header_or_a_deleted_sheet_is_named(plan, tmp_path):
    def edit(wb):
        wb[M.SHEET_INDICATORS]["D1"] = "基準"
        del wb[M.SHEET_EXCLUSIONS]
    master = _edited_master(plan, tmp_path / "計画マスタ.xlsx", edit)
    result = import_master(master, tmp_path / "plan.toml", inline=True)
    assert [(f.code, f.sheet, f.field or f.value) for f in result.findings] == [("PLAN_001", M.SHEET_EXCLUSIONS, "対象外")]
    wb = openpyxl.load_workbook(master)
    wb.create_sheet(M.SHEET_EXCLUSIONS).append(["管理番号", "年度", "理由"])
    wb.save(master)
    result = import_master(master, tmp_path / "plan.toml", inline=True)
    assert [(f.code, f.sheet, f.cell, f.field) for f in result.findings] == [("PLAN_002", M.SHEET_INDICATORS, "A1", "基準値")]


# --- the gate, and usage errors ---------------------------------------------------------------------------

def test_the_master_goes_through_the_gate_like_a_return(plan, tmp_path):
    legacy = tmp_path / "計画マスタ.xls"
    legacy.write_bytes(_ole({"Workbook": _biff_workbook_stream()}))
    macro = tmp_path / "計画マスタ.xlsm"
    macro.write_bytes(_changed(build_master(plan), {"xl/vbaProject.bin": gate.OLE_MAGIC + b" not a real project"}))
    for path, code in ((legacy, "FILE_006"), (macro, "FILE_011")):
        result = import_master(path, tmp_path / "plan.toml")
        assert [f.code for f in result.findings] == [code]
        assert result.written is None and not (tmp_path / "plan.toml").exists()


def test_a_workbook_that_is_not_a_master_is_told_so(plan, tmp_path):
    project = make_project(tmp_path / "project")
    path = tmp_path / "調査票.xlsx"
    path.write_bytes(build_workbook(plan.for_year(2024), project.config, 2024, plan.department_by_code["05"]))
    result = import_master(path, tmp_path / "plan.toml", inline=True)
    assert {f.code for f in result.findings} == {"PLAN_001"}
    assert {f.value for f in result.findings} == set(M.SHEETS)


def test_usage_errors_exit_2_and_change_nothing(plan, tmp_path):
    project = make_project(tmp_path / "project")
    runner = CliRunner()
    base = ["--config", str(project.config_path), "plan"]
    result = runner.invoke(main, [*base, "import", str(tmp_path / "ない.xlsx"), "--out", str(tmp_path / "p.toml")])
    assert result.exit_code == 2 and "がありません" in result.output
    master = tmp_path / "計画マスタ.xlsx"
    assert runner.invoke(main, [*base, "export", "--out", str(master)]).exit_code == 0
    assert master.read_bytes() == same_on_every_system(build_master(plan, project.config.secretariat.name))
    assert runner.invoke(main, [*base, "export", "--out", str(master)]).exit_code == 2
    out = tmp_path / "p.toml"
    out.write_text("# mine\n", encoding="utf-8")
    result = runner.invoke(main, [*base, "import", str(master), "--out", str(out)])
    assert result.exit_code == 2 and "--force" in result.output and out.read_text("utf-8") == "# mine\n"
    result = runner.invoke(main, [*base, "import", str(master), "--out", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert load_plan(out) == plan


# --- a master sorted in Excel or Calc -------------------------------------------------------------------

def _sort_rows(ws, column: int, *, reverse: bool = False) -> None:
    """What 並べ替え does to a table: the data rows (under the header) reordered by one column's values, each
    cell taking its value and its format along (a figure's number format says 100.0 rather than 100)."""
    rows = [[(c.value, copy.copy(c._style)) for c in row] for row in ws.iter_rows(min_row=2, max_row=ws.max_row)]
    rows = [r for r in rows if any(v not in (None, "") for v, _ in r)]
    rows.sort(key=lambda r: ("" if r[column][0] is None else str(r[column][0])), reverse=reverse)
    for r, cells in enumerate(rows, 2):
        for c, (value, style) in enumerate(cells, 1):
            ws.cell(r, c).value = value
            ws.cell(r, c)._style = style


# sheet → the column a person might sort it by (0-based), and which way
SORTS = {
    M.SHEET_DEPARTMENTS: (1, True),       # by 部署名, descending
    M.SHEET_SECTIONS: (1, True),
    M.SHEET_PILLARS: (2, False),          # by 柱の名称
    M.SHEET_ITEMS: (4, False),            # by 担当部署
    M.SHEET_INITIATIVES: (3, False),      # by 担当部署: the initiatives of an item come back in another order
    M.SHEET_INDICATORS: (1, True),
    M.SHEET_REVISIONS: (1, True),         # by 適用年度, latest first
    M.SHEET_EXCLUSIONS: (1, True),
}


@pytest.mark.parametrize("sheet", list(SORTS))
def test_a_master_sorted_by_any_column_is_the_same_plan_with_the_same_digest(sheet, tmp_path):
    variant = _variant(tmp_path)          # revisions and an exclusion too, so that every sheet has rows
    items = {i.code: i for i in variant.items}
    assert len(items["1101"].initiatives) > 1
    master = _edited_master(variant, tmp_path / "計画マスタ.xlsx", lambda wb: _sort_rows(wb[sheet], *SORTS[sheet][:1],
                                                                                     reverse=SORTS[sheet][1]))
    result = import_master(master, tmp_path / "plan.toml", inline=True)
    assert result.errors == 0, [(f.sheet, f.cell, f.message) for f in result.findings]
    assert result.plan == variant
    assert content_digest(result.plan) == content_digest(variant)
    assert [result.plan.for_year(y).digest for y in variant.years] == [variant.for_year(y).digest for y in variant.years]


def test_a_master_with_every_sheet_sorted_is_still_the_same_plan_and_a_real_change_still_changes_it(plan, tmp_path):
    def sort_all(wb):
        for sheet, (column, reverse) in SORTS.items():
            _sort_rows(wb[sheet], column, reverse=reverse)

    master = _edited_master(plan, tmp_path / "計画マスタ.xlsx", sort_all)
    assert [c.value for c in openpyxl.load_workbook(master)[M.SHEET_INITIATIVES]["A"][1:4]] != \
        [i.id for i in plan.initiatives[:3]]                # the sheet really is in another order
    result = import_master(master, tmp_path / "plan.toml", inline=True)
    assert result.errors == 0, [(f.sheet, f.cell, f.message) for f in result.findings]
    assert result.plan == plan and result.plan.digest == plan.digest

    def sort_and_reword(wb):
        sort_all(wb)
        ws = wb[M.SHEET_INITIATIVES]
        ws[f"C{_row_of(ws, '1101-02')}"] = "ホームページの全面改修を行う。"
    changed = import_master(_edited_master(plan, tmp_path / "変更.xlsx", sort_and_reword), tmp_path / "plan2.toml",
                            inline=True)
    assert changed.errors == 0
    assert changed.plan.initiative_by_id["1101-02"].text == "ホームページの全面改修を行う。"
    assert changed.plan.digest != plan.digest
    assert [i.id for i in changed.plan.item_by_code["1101"].initiatives] == \
        [i.id for i in plan.item_by_code["1101"].initiatives]


@requires_office()
def test_a_master_sorted_in_calc_is_the_same_plan_with_the_same_digest(tmp_path):
    variant = _variant(tmp_path)
    master = export_master(variant, None, tmp_path / "計画マスタ.xlsx")
    (tmp_path / "soffice").mkdir()
    calc = Calc(need_office(), tmp_path / "soffice")
    try:
        (done,) = calc.fill([{"in": str(master), "out": str(tmp_path / "sorted.xlsx"), "actions": [
            {"sheet": sheet, "sort": column, "descending": descending}
            for sheet, (column, descending) in SORTS.items()]}])
    finally:
        calc.close()
    by_sheet = {d["sheet"]: d["first_column"] for d in done["done"]}
    assert by_sheet[M.SHEET_INITIATIVES] != sorted(by_sheet[M.SHEET_INITIATIVES])    # really in another order
    result = import_master(tmp_path / "sorted.xlsx", tmp_path / "plan.toml", inline=True)
    assert result.errors == 0, [(f.sheet, f.cell, f.message) for f in result.findings]
    assert result.plan == variant
    assert [result.plan.for_year(y).digest for y in variant.years] == [variant.for_year(y).digest for y in variant.years]
