"""The plan revised during its period: an initiative added from a later year, one ended, one reworded and
moved to other departments, an action item not evaluated for a year (対象外). Each year uses the plan as it
stood that year — in its workbooks, its collect and its report — and a later revision changes nothing of an
earlier year."""

from __future__ import annotations

import datetime as dt
import tomllib

import openpyxl
import pytest
import tomli_w

from pipeline.config import load_config
from pipeline.errors import PlanError
from pipeline.plan import ADDED, ENDED, EXCLUDED, REVISED, load_plan, plan_from_mapping
from pipeline.sheets import layout as L
from pipeline.store import Store
from pipeline.survey.workbook import build_workbook, write_templates
from pipeline.usecases.collect_year import run_collect_year
from tests.conftest import PLAN_FILE, Project, make_project
from tests.report_fixtures import docx_of, indicator_table_of

TODAY = dt.date(2025, 6, 20)


def revise(data: dict) -> dict:
    """The city's plan with the kinds of revision the charter allows, each with its reason."""
    items = {item["code"]: item for item in data["items"]}
    ended = next(i for i in items["1101"]["initiatives"] if i["id"] == "1101-03")
    ended.update(end=2023, reason="目的を達成したため2023年度で終了する。")
    items["1101"]["initiatives"].append({
        "id": "1101-04", "text": "動画による情報発信を行う。", "departments": ["協働まちづくり課"],
        "departments_etc": False, "dx": True, "start": 2024, "reason": "市民アンケートの結果を受けて追加する。"})
    reworded = next(i for i in items["2101"]["initiatives"] if i["id"] == "2101-01")
    reworded["revisions"] = [{"year": 2024, "text": "AI-OCRとRPAを全庁で活用し、入力作業を削減する。",
                              "departments": ["情報政策課", "財務課"], "reason": "対象を全庁に広げるため。"}]
    items["2402"]["excluded"] = [{"year": 2024, "reason": "人事制度の見直し中のため、2024年度は評価しない。"}]
    return data


def city_plan_data() -> dict:
    return tomllib.loads(PLAN_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def revised(project) -> Project:
    """The project, with its plan file revised (the workbooks of 2023 and 2024 written from it)."""
    path = project.root / "plan_revised.toml"
    path.write_bytes(tomli_w.dumps(revise(city_plan_data())).encode("utf-8"))
    config_text = project.config_path.read_text(encoding="utf-8").replace(PLAN_FILE.as_posix(), path.as_posix())
    project.config_path.write_text(config_text, encoding="utf-8")
    config = load_config(project.config_path)
    plan = load_plan(config.plan_file)
    for year in (2023, 2024):
        write_templates(plan, config, year, force=True)
    return Project(project.root, config, plan)


def initiative_rows(path, sheet: str) -> dict[str, str]:
    ws = openpyxl.load_workbook(path)[sheet]
    return {row[0].value: row[1].value for row in ws.iter_rows() if row[0].value and str(row[0].value).startswith(sheet)}


# --- the plan as it stood each year ----------------------------------------------------------------

def test_plan__each_year_has_the_initiatives_in_force_with_that_years_text():
    plan = plan_from_mapping(revise(city_plan_data()))
    y2023, y2024 = plan.for_year(2023), plan.for_year(2024)
    assert [i.id for i in y2023.item_by_code["1101"].initiatives] == ["1101-01", "1101-02", "1101-03"]
    assert [i.id for i in y2024.item_by_code["1101"].initiatives] == ["1101-01", "1101-02", "1101-04"]
    assert y2023.initiative_by_id["2101-01"].departments == ("06",)
    assert y2024.initiative_by_id["2101-01"].text == "AI-OCRとRPAを全庁で活用し、入力作業を削減する。"
    assert y2024.initiative_by_id["2101-01"].departments == ("05", "04")
    assert "2402" not in {i.code for d in y2024.surveyed_departments() for i in y2024.items_for(d.code)}
    assert [(c.kind, c.item_code, c.initiative_id) for c in y2024.changes] == [
        (ENDED, "1101", "1101-03"), (ADDED, "1101", "1101-04"), (REVISED, "2101", "2101-01"), (EXCLUDED, "2402", "")]
    assert y2023.changes == ()


def test_plan__a_revision_from_a_later_year_leaves_an_earlier_years_plan_as_it_was():
    original, revised = plan_from_mapping(city_plan_data()), plan_from_mapping(revise(city_plan_data()))
    assert revised.digest != original.digest
    assert revised.for_year(2023).digest == original.for_year(2023).digest
    assert revised.for_year(2024).digest != original.for_year(2024).digest


def test_plan__a_comment_or_a_reformatting_of_the_file_changes_nothing(tmp_path):
    text = PLAN_FILE.read_text(encoding="utf-8")
    reformatted = tmp_path / "plan.toml"
    reformatted.write_text("# 2026年3月 事務局が注記を追加\n" + text.replace(" = ", "   =   "), encoding="utf-8")
    original, again = load_plan(PLAN_FILE), load_plan(reformatted)
    assert again.digest == original.digest
    config = make_project(tmp_path / "p").config
    dept = original.department_by_code["05"]
    assert build_workbook(again.for_year(2024), config, 2024, dept) == build_workbook(original.for_year(2024), config, 2024, dept)


@pytest.mark.parametrize(("change", "says"), [
    (lambda d: d["items"][0]["initiatives"][0].update(start=2024, end=2023, reason="理由"), "終了年度（2023）が開始年度"),
    (lambda d: d["items"][0]["initiatives"][0].update(end=2023), "reason"),
    (lambda d: d["items"][0]["initiatives"][0].update(start=2030, reason="理由"), "2030年度は計画期間"),
    (lambda d: d["items"][0]["initiatives"][0].update(revisions=[{"year": 2024, "reason": "理由"}]), "変更する項目"),
    (lambda d: d["items"][0]["initiatives"][0].update(revisions=[{"year": 2024, "text": "新"}]), "reason"),
    (lambda d: d["items"][0]["initiatives"][0].update(revisions=[{"year": 2022, "text": "新", "reason": "理由"}]),
     "2年度目以降"),
    (lambda d: d["items"][0].update(excluded=[{"year": 2024}]), "excluded[0].reason"),
    (lambda d: d["items"][0].update(excluded=[{"year": 2024, "reason": "a"}, {"year": 2024, "reason": "b"}]), "重複"),
])
def test_plan_check__a_revision_without_what_it_needs__named_with_its_key(change, says):
    data = city_plan_data()
    change(data)
    with pytest.raises(PlanError) as raised:
        plan_from_mapping(data)
    assert any(says in problem for problem in raised.value.problems), raised.value.problems


# --- through workbooks, collect and report ----------------------------------------------------------

def test_templates__each_year_asks_for_the_initiatives_in_force_as_they_stood(revised):
    p = revised
    assert list(initiative_rows(p.template("03", 2023), "1101")) == ["1101-03"]
    assert not p.template("03", 2024).exists()      # its one initiative ended: no 2024 workbook (the old one removed)
    assert list(initiative_rows(p.template("01", 2024), "1101")) == ["1101-01", "1101-04"]
    assert initiative_rows(p.template("04", 2024), "2101")["2101-01"] == "【DX】AI-OCRとRPAを全庁で活用し、入力作業を削減する。"
    assert "2101" not in openpyxl.load_workbook(p.template("04", 2023)).sheetnames     # 財務課 joins it in 2024
    assert "2402" in openpyxl.load_workbook(p.template("07", 2023)).sheetnames
    assert "2402" not in openpyxl.load_workbook(p.template("07", 2024)).sheetnames    # 対象外 in 2024


def test_collect_and_report__both_years_against_their_own_plan(revised):
    p = revised
    for year in (2023, 2024):
        p.return_all(year)
        result = run_collect_year(p.plan, p.config, year, today=TODAY, inline=True).result
        assert result.errors == 0 and result.ok, [f.message for f in result.findings if f.is_error]
    with Store(p.config.store_path, readonly=True) as store:
        assert ("1101-03", "03") in store.answers(2023) and ("1101-04", "01") not in store.answers(2023)
        assert ("1101-04", "01") in store.answers(2024) and ("1101-03", "03") not in store.answers(2024)
        assert ("2101-01", "04") in store.answers(2024)
        assert "2402" not in store.evaluations(2024)
        digests = dict(store.db.execute("SELECT fiscal_year, plan_digest FROM runs"))
        assert digests == {2023: p.plan.for_year(2023).digest, 2024: p.plan.for_year(2024).digest}
        text = "\n".join(par.text for par in _document(docx_of(p.plan, p.config, 2024, TODAY)).paragraphs)
        table = _cells(docx_of(p.plan, p.config, 2024, TODAY))
    assert "【令和6年度（2024年度）の計画の変更】" in text
    assert "対象外の取組項目（2402）は件数と構成比に含めていません。" in text
    assert "この取組項目は、令和6年度（2024年度）は評価の対象外です（理由: 人事制度の見直し中のため、2024年度は評価しない。）。" in text
    for reason in ("市民アンケートの結果を受けて追加する。", "目的を達成したため2023年度で終了する。", "対象を全庁に広げるため。"):
        assert reason in table
    assert "動画による情報発信を行う。" in table
    with Store(p.config.store_path, readonly=True) as store:
        rows = {row[0]: row for row in indicator_table_of(p.plan, store, 2024, TODAY).rows}
    assert "2024年度実績: 対象外" in rows["2402"][-1]       # not 未提出: nobody was asked for it
    assert rows["2402"][-2] != "未提出"                     # judged on the latest actual there is (2023's)


def test_plan_check__lists_each_years_changes(revised):
    from click.testing import CliRunner

    from pipeline.cli import main
    result = CliRunner().invoke(main, ["--config", str(revised.config_path), "plan-check"])
    assert result.exit_code == 0, result.output
    assert "2023年度: 具体的な取組 58" in result.output and "— 変更なし" in result.output
    assert "2024年度: 具体的な取組 58、調査する部署 18 — 終了 1101-03、追加 1101-04、変更 2101-01、対象外 2402" in result.output
    assert "対象外 2402 人事制度の見直し中のため" not in result.output       # an item's change names its title
    assert "理由: 市民アンケートの結果を受けて追加する。" in result.output


def test_report__an_earlier_years_report_is_unchanged_by_a_later_revision(project):
    project.return_all(2023)
    run_collect_year(project.plan, project.config, 2023, today=TODAY, inline=True)
    revised = plan_from_mapping(revise(city_plan_data()))
    before = docx_of(project.plan, project.config, 2023, TODAY)
    after = docx_of(revised, project.config, 2023, TODAY)
    assert after == before


def _document(data: bytes):
    import io

    from docx import Document
    return Document(io.BytesIO(data))


def _cells(data: bytes) -> str:
    return "\n".join(cell.text for table in _document(data).tables for row in table.rows for cell in row.cells)


def test_identity__a_workbook_records_the_plan_of_its_year(revised):
    wb = openpyxl.load_workbook(revised.template("01", 2024))
    identity = {row[0].value: row[1].value for row in wb[L.SHEET_IDENTITY].iter_rows()}
    assert identity[L.ID_PLAN_DIGEST] == revised.plan.for_year(2024).digest
