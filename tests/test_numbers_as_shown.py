"""Numbers as Excel means them (issue 23): a figure pasted from a department's own sums (5820×1.1 arrives
as 6402.000000000001) is the number the cell shows, in the store, every output and every comparison; a
formula whose result is an error is said to be one, at its cell. Returns are the project's own workbooks,
filled as a person would (tests/filling.py), taken through the CLI."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.collect.returns import collect
from pipeline.committee import register as R
from pipeline.committee.intake import collect_opinions
from pipeline.findings import Severity, flatten
from pipeline.report.public_table import RATE_HEADER, public_file_name
from pipeline.report.usecase import report_file_name
from pipeline.sheets import layout as L
from pipeline.store import Store
from pipeline.survey.filling import ReturnFiller
from pipeline.usecases.collect_year import run_collect_year
from pipeline.vocabulary import WITH_ERRORS, ResponseStatus
from tests import report_fixtures as F
from tests.conftest import YEAR
from tests.office_support import Calc, need_office, requires_office
from tests.test_hostile import _with_sheet_xml
from tests.test_libreoffice import COL_VALUE, job, typed_return
from tests.test_opinions_loop import TODAY, _looped_cache, looped, responses  # noqa: F401  (the fixtures)
from tests.test_opinions_register import new_register, register_path

RESIDUE = "6402.000000000001"
NAME = "return.xlsx"


def _cli(project, *args):
    return CliRunner().invoke(main, ["--config", str(project.config_path), *args])


def _collect_and_report(project):
    collected = _cli(project, "collect", "--year", str(YEAR))
    assert collected.exit_code in (0, 1), collected.output
    reported = _cli(project, "report", "--year", str(YEAR), "--date", "2025-06-20", "--no-pdf")
    assert reported.exit_code == 0, reported.output
    return project.config.output_for(YEAR)


def _outputs(folder) -> dict[str, str]:
    """Every published output as text: the CSV, the public .xlsx's cell values, the web page, the report."""
    csv_text = (folder / public_file_name(YEAR, ".csv")).read_bytes().decode("utf-8-sig")
    book = openpyxl.load_workbook(folder / public_file_name(YEAR, ".xlsx"))
    cells = "\n".join(repr(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value is not None)
    with zipfile.ZipFile(folder / report_file_name(YEAR)) as docx:
        document = docx.read("word/document.xml").decode("utf-8")
    page = (folder / "web" / "index.html").read_text(encoding="utf-8")
    return {"csv": csv_text, "xlsx": cells, "docx": document, "web": page}


def _csv_row(folder, item: str) -> dict[str, str]:
    text = (folder / public_file_name(YEAR, ".csv")).read_bytes().decode("utf-8-sig")
    return next(row for row in csv.DictReader(io.StringIO(text)) if item in row.values())


def test_report__actual_pasted_from_a_sum__every_output_shows_6402_and_the_target_is_reached(project):
    filler = project.filler("01").fill_all()
    cell = filler.set("1102", L.KEY_ACTUAL, L.FIELD_ACTUAL, 5820 * 1.1)     # 貼り付け→値 of =5820*1.1
    filler.save(project.inbox() / "総合政策課.xlsx")
    folder = _collect_and_report(project)
    with Store(project.config.store_path) as store:
        assert repr(store.actuals()[(YEAR, "1102")]) == "6402.0"
        assert [f for f in store.findings(YEAR) if f[5] == cell] == []
    outputs = _outputs(folder)
    for name, text in outputs.items():
        assert RESIDUE not in text and "6402.00000" not in text, name
    row = _csv_row(folder, "1102")
    assert row[f"{YEAR}年度実績"] == "6402"
    assert row["判定"] == "達成" and row[RATE_HEADER] == "100"
    assert "6,402" in outputs["web"] and "6,402" in outputs["docx"]


def test_report__store_of_an_earlier_version_holding_a_residue__published_as_shown(tmp_path):
    config_path = F.write_config(tmp_path)
    store_path = tmp_path / "output" / "progress.sqlite"
    F.filled_store(store_path, F.plan()).close()
    with sqlite3.connect(store_path) as db:      # as a version before the rule stored the pasted figure
        db.execute("UPDATE indicator_actuals SET value = ? WHERE fiscal_year = ? AND item_code = '1102'",
                   (5820 * 1.1, YEAR))
    result = CliRunner().invoke(main, ["--config", str(config_path), "report", "--year", str(YEAR),
                                       "--date", "2025-06-20", "--no-pdf"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "output" / str(YEAR)
    for name, text in _outputs(folder).items():
        assert RESIDUE not in text and "6402.00000" not in text, name
    row = _csv_row(folder, "1102")
    assert row[f"{YEAR}年度実績"] == "6402" and row["判定"] == "達成"


# --- a cell whose formula ends in an error, or was never calculated -------------------------------------

def _return_with_cell(project, code: str, sheet: str, key: str, field: str, xml_cell):
    """Department `code` returns a clean workbook whose cell (`key`'s row, `field`) is rewritten in the
    sheet's XML as `xml_cell(ref, style)` makes it (what Excel or a program saved there); returns the cell."""
    filler = project.filler(code).fill_all()
    ref = filler.set(sheet, key, field, 1)
    path = project.inbox() / NAME
    filler.save(path)

    def rewrite(xml: str) -> str:
        return re.sub(rf'<c r="{ref}"( s="\d+")?[^>]*>.*?</c>', lambda m: xml_cell(ref, m.group(1) or ""), xml,
                      count=1, flags=re.DOTALL)
    path.write_bytes(_with_sheet_xml(path.read_bytes(), sheet, rewrite))
    return ref


def _findings(project):
    result = collect(project.plan.for_year(YEAR), project.config, YEAR)
    return result, [f for f in result.findings if f.file == NAME]


@pytest.mark.parametrize("error", ["#VALUE!"])     # (every error value: test_cell_rules.py)
def test_collect__formula_ending_in_an_error_in_the_actual__error_at_the_cell_never_未記入(project, error):
    cell = _return_with_cell(project, "05", "2101", L.KEY_ACTUAL, L.FIELD_ACTUAL,
                             lambda ref, s: f'<c r="{ref}"{s} t="e"><f>B20/B21</f><v>{error}</v></c>')
    result, found = _findings(project)
    assert flatten(found, ["severity", "code", "sheet", "cell", "field", "value"]) == [
        (Severity.ERROR, "VALUE_012", "2101", cell, "指標実績値", error)]
    assert found[0].message == (
        f"「指標実績値」の計算式がエラー（{error}）になっています。エラーのため値を読み取れず、取り込みません。"
        "正しい値を直接入力してください（計算式を使うなら、エラーにならないよう参照先や割る数を直してください）。")
    assert result.roster["05"] == (WITH_ERRORS, NAME)
    assert [a for o in result.files for a in o.actuals if a.item_code == "2101"] == []


def test_collect__error_pasted_as_a_value_in_a_choice__said_to_be_an_error_value(project):
    initiative = project.plan.initiatives_of("2101", "05")[0].id
    cell = _return_with_cell(project, "05", "2101", initiative, L.FIELD_PROGRESS,
                             lambda ref, s: f'<c r="{ref}"{s} t="e"><v>#N/A</v></c>')
    _, found = _findings(project)
    assert flatten(found, ["code", "sheet", "cell", "field", "value"]) == [
        ("VALUE_012", "2101", cell, L.FIELD_PROGRESS, "#N/A")]
    assert found[0].message.startswith(
        f"「{L.FIELD_PROGRESS}」のセルがエラー値（エラーになった計算結果を値として貼り付けたもの）（#N/A）になっています。")


def test_collect__formula_never_calculated_in_a_text__said_so_not_未記入(project):
    initiative = project.plan.initiatives_of("2101", "05")[0].id
    # as openpyxl and other programs save a formula: no result kept until Excel calculates it
    cell = _return_with_cell(project, "05", "2101", initiative, L.FIELD_RESULT,
                             lambda ref, s: f'<c r="{ref}"{s}><f>CONCATENATE(B5,"を実施")</f><v></v></c>')
    _, found = _findings(project)
    assert flatten(found, ["severity", "code", "sheet", "cell", "field"]) == [
        (Severity.ERROR, "VALUE_013", "2101", cell, L.FIELD_RESULT)]
    assert found[0].message == (
        f"「{L.FIELD_RESULT}」に計算式がありますが、計算結果が保存されていません（計算をしないプログラムで作られたファイルの可能性）。"
        "値を読み取れないため取り込みません。Excel で開いて計算させてから保存し直すか、値を直接入力してください。")


def test_collect__formula_whose_result_is_empty_text__an_empty_cell_not_an_error(project):
    initiative = project.plan.initiatives_of("2101", "05")[0].id
    cell = _return_with_cell(project, "05", "2101", initiative, L.FIELD_ISSUES,
                             lambda ref, s: f'<c r="{ref}"{s} t="str"><f>IF(B5="","",B5)</f><v></v></c>')
    _, found = _findings(project)
    assert flatten(found, ["code", "cell", "value"]) == [("VALUE_008", cell, "")]


def test_cli_collect__formula_error__the_finding_in_the_findings_csv(project):
    cell = _return_with_cell(project, "05", "2101", L.KEY_ACTUAL, L.FIELD_ACTUAL,
                             lambda ref, s: f'<c r="{ref}"{s} t="e"><f>B20/0</f><v>#DIV/0!</v></c>')
    result = _cli(project, "collect", "--year", str(YEAR))
    assert result.exit_code == 1, result.output
    listed = (project.config.output_for(YEAR) / "findings.csv").read_bytes().decode("utf-8-sig")
    assert "VALUE_012" in listed and cell in listed and "計算式がエラー（#DIV/0!）" in listed
    assert "VALUE_001" not in listed and "計算結果の値（）" not in listed


def test_opinions_collect__register_text_by_a_formula_never_calculated__said_at_its_cell(project):
    f = new_register(project)
    f.opinion(1, item="1101", text="意見。")
    at = f.type(R.SHEET_OPINIONS, 1, "D", '=CONCATENATE("意見","。")')   # openpyxl keeps no result, as a program
    f.save(register_path(project))
    result = collect_opinions(project.plan, project.config, YEAR)
    assert flatten(result.findings, ["code", "sheet", "cell", "field"]) == [
        ("VALUE_013", R.SHEET_OPINIONS, at, R.FIELD_TEXT)]


# --- a figure that cannot be right is not published silently ------------------------------------------

IMPLAUSIBLE = 1e15      # 件: 5820×1.1 typed with the cell's exponent, a paste gone wrong


def _return_actual(project, value, item="1102", code="01"):
    filler = project.filler(code).fill_all()
    cell = filler.set(item, L.KEY_ACTUAL, L.FIELD_ACTUAL, value)
    filler.save(project.inbox() / NAME)
    return cell


def _confirm(project, line: str):
    (project.config.returns_dir / f"{YEAR}_実績値の確認.toml").write_text(line + "\n", encoding="utf-8")


def test_collect_and_report__actual_1e15__warning_at_the_cell_held_as_確認中_until_confirmed(project):
    cell = _return_actual(project, IMPLAUSIBLE)
    collected = _cli(project, "collect", "--year", str(YEAR))
    assert collected.exit_code == 1, collected.output         # (the other departments are still missing)
    with Store(project.config.store_path) as store:
        warnings = [f for f in store.findings(YEAR) if f[2] == NAME]
        assert (YEAR, "1102") not in store.actuals()
    assert [(f[0], f[1], f[4], f[5], f[6]) for f in warnings] == [
        ("warning", "VALUE_014", "1102", cell, "指標実績値")]
    line = '"1102" = 1000000000000000'
    assert warnings[0][8] == (
        "「指標実績値」が 1,000,000,000,000,000件 です。計画の基準値 5,820件・目標値 6,402件の 100 倍を超えており、"
        "桁・単位・貼り付けの誤りの可能性があります。事務局が確認するまで、この実績値は取り込まず、報告書・公開用の表・"
        "ウェブページでは「確認中」とします。部署に確かめて正しい数値なら、"
        f"{YEAR}_実績値の確認.toml に {line} の1行を書いて、もう一度 make collect を実行してください。"
        "誤りなら、正しい数値を記入し直してもらってください。")
    listed = (project.config.output_for(YEAR) / "findings.csv").read_bytes().decode("utf-8-sig")
    assert "VALUE_014" in listed and line.replace('"', '""') in listed
    folder = _collect_and_report(project)
    outputs = _outputs(folder)
    for name, text in outputs.items():
        assert "1,000,000,000,000,000" not in text and "1000000000000000" not in text and "1e+15" not in text, name
    row = _csv_row(folder, "1102")
    assert row[f"{YEAR}年度実績"] == "" and row["判定"] == "確認中"
    assert f"{YEAR}年度実績: 確認中" in row["注記"]
    assert "確認中" in outputs["web"] and "確認中" in outputs["docx"]

    _confirm(project, line)                  # the secretariat checked with the department: it stands
    folder = _collect_and_report(project)
    with Store(project.config.store_path) as store:
        assert store.actuals()[(YEAR, "1102")] == IMPLAUSIBLE
        notes = [(f[1], f[5]) for f in store.findings(YEAR) if f[2] == NAME]
    assert notes == [("VALUE_015", cell)]
    row = _csv_row(folder, "1102")
    assert row[f"{YEAR}年度実績"] == "1000000000000000" and row["判定"] == "達成"
    assert "1,000,000,000,000,000" in _outputs(folder)["web"]


def test_collect__confirmation_of_another_figure__still_held(project):
    _return_actual(project, IMPLAUSIBLE)
    _confirm(project, '"1102" = 100000000000000')       # a digit fewer than the return says
    _cli(project, "collect", "--year", str(YEAR))
    with Store(project.config.store_path) as store:
        assert [f[1] for f in store.findings(YEAR) if f[2] == NAME] == ["VALUE_014"]
        assert (YEAR, "1102") not in store.actuals()


@pytest.mark.parametrize(("text", "message"), [
    ('"9999" = 1', "「9999」は、参考指標のある取組項目の管理番号ではありません"),
    ('"1102" = "多い"', "「1102」の値が数値ではありません"),
    ('"1102" = ', "書き方に誤りがあります"),
])
def test_cli_collect__confirmations_file_written_wrong__exit_2_names_the_line_and_nothing_written(project, text,
                                                                                                   message):
    _return_actual(project, IMPLAUSIBLE)
    _confirm(project, text)
    result = _cli(project, "collect", "--year", str(YEAR))
    assert result.exit_code == 2 and message in result.output
    assert not project.config.store_path.exists()


# --- the same, saved by LibreOffice Calc ----------------------------------------------------------------

@pytest.fixture(scope="module")
def calc(tmp_path_factory):
    """One headless soffice for the module's workbooks."""
    session = Calc(need_office(), tmp_path_factory.mktemp("soffice"))
    yield session
    session.close()


@requires_office()
def test_calc__sum_and_division_by_zero_typed_as_formulas__6402_stored_and_the_error_at_its_cell(project, calc):
    own_sum = typed_return(project, "01")          # 総合政策課 reports 1102 (5,820 → 6,402 件)
    own_sum.type("1102", L.KEY_ACTUAL, COL_VALUE, "=5820*1.1")
    division = typed_return(project, "05")         # 情報政策課 reports 2101
    division.type("2101", L.KEY_ACTUAL, COL_VALUE, "=10/0")
    done = calc.fill([job(project, own_sum, "総合政策課.xlsx"), job(project, division, "情報政策課.xlsx")])
    assert [d["done"][-1]["content"] for d in done] == ["FORMULA", "FORMULA"]
    # (Calc writes the result as it shows it, <v>6402</v>; Excel writes the double's 17 digits,
    # 6402.000000000001, which the openpyxl-written returns above stand for)

    result = run_collect_year(project.plan, project.config, YEAR).result
    with Store(project.config.store_path) as store:
        actuals = store.actuals()
    assert repr(actuals[(YEAR, "1102")]) == "6402.0"
    sum_cell = L.a1(ReturnFiller(project.template("01")).row_of("1102", L.KEY_ACTUAL) - 1, COL_VALUE)
    assert [(f.code, f.cell) for f in result.findings if f.file == "総合政策課.xlsx"] == [("VALUE_008", sum_cell)]
    cell = L.a1(ReturnFiller(project.template("05")).row_of("2101", L.KEY_ACTUAL) - 1, COL_VALUE)
    found = [(f.severity.value, f.code, f.sheet, f.cell, f.value) for f in result.findings if f.file == "情報政策課.xlsx"]
    assert found == [("error", "VALUE_012", "2101", cell, "#DIV/0!")]
    assert (YEAR, "2101") not in actuals


def test_collect__answer_to_a_committee_opinion_by_a_formula_ending_in_an_error__said_at_its_cell(looped):  # noqa: F811
    p = looped
    filler = p.filler("05", 2024).fill_all()
    filler.respond("2023-02", "対応中", "=VLOOKUP(A1,B:C,2,FALSE)")     # openpyxl writes it as a formula
    path = filler.save(p.inbox(2024) / "情報政策課.xlsx")
    cell = L.a1(L.OPINION_FIRST_ROW + 1, L.COL_RESPONSE_TEXT)
    path.write_bytes(_with_sheet_xml(path.read_bytes(), L.SHEET_OPINIONS, lambda xml: re.sub(
        rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?</c>', rf'<c r="{cell}"\1 t="e"><f>\2</f><v>#N/A</v></c>',
        xml)))
    result = run_collect_year(p.plan, p.config, 2024, today=TODAY, inline=True).result
    found = [(f.code, f.sheet, f.cell, f.field, f.value) for f in result.findings if f.file == "情報政策課.xlsx"]
    assert found == [("VALUE_012", L.SHEET_OPINIONS, cell, L.FIELD_RESPONSE_TEXT, "#N/A")]
    assert responses(p)[(2024, "2023-02")][0] is ResponseStatus.UNANSWERED
