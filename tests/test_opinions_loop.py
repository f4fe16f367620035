"""The committee's loop on the departments' side: an opinion given on a year's report is asked in the next
year's workbook of the department it is addressed to, answered, collected, and asked again until settled;
the good practices are shown in every workbook."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from pipeline.records.opinions import GENERAL, GoodPractice, Opinion, opinion_id
from pipeline.sheets import layout as L
from pipeline.store import Store
from pipeline.survey.workbook import write_templates
from pipeline.usecases.collect_year import run_collect_year
from pipeline.vocabulary import ResponseStatus
from tests.conftest import Project, copied_project, make_project

TODAY = dt.date(2025, 6, 1)


def give_opinions(project, year: int, opinions: list[tuple[str, str, str]], practices=()) -> list[Opinion]:
    """The committee's opinions on `year`'s report, as `opinions collect` stores them: (item, department, text)."""
    given = [Opinion(opinion_id(year, n), year, n, item, dept, text) for n, (item, dept, text) in enumerate(opinions, 1)]
    with Store(project.config.store_path) as store:
        store.replace_opinions(year, given, [GoodPractice(year, n, ini, why) for n, (ini, why) in enumerate(practices, 1)],
                               file_name="register.xlsx", sha256="0" * 64)
    return given


def asked_rows(path) -> dict[str, list]:
    wb = openpyxl.load_workbook(path)
    if L.SHEET_OPINIONS not in wb.sheetnames:
        return {}
    ws = wb[L.SHEET_OPINIONS]
    return {row[0].value: [c.value for c in row] for row in ws.iter_rows(min_row=L.OPINION_FIRST_ROW + 2) if row[0].value}


def responses(project) -> dict[tuple[int, str], tuple[ResponseStatus, str]]:
    with Store(project.config.store_path, readonly=True) as store:
        return {(r.year, r.opinion_id): (r.status, r.text) for r in store.responses()}


@pytest.fixture(scope="module")
def _looped_cache(tmp_path_factory, _templates_cache) -> Path:
    """2023 collected; the committee gives three opinions on the 2023 report and names one good practice."""
    root = tmp_path_factory.mktemp("looped") / "project"
    project = make_project(root)
    shutil.copytree(_templates_cache, project.config.templates_dir)
    project.return_all(2023)
    run_collect_year(project.plan, project.config, 2023, today=TODAY, inline=True)
    give_opinions(project, 2023, [
        ("1101", "", "情報発信の効果を測る指標を工夫すること。"),          # to the lead (01), filled below
        ("1101", "05", "SNS の発信を情報政策課と連携して強めること。"),    # to a department other than the lead
        (GENERAL, "04", "計画全体の進め方を分かりやすく示すこと。"),       # on the plan as a whole
    ], practices=[("1101-01", "市民に伝わる工夫が他課の参考になる。")])
    with Store(project.config.store_path) as store:     # the first one to the item's lead, as the register says
        store.db.execute("UPDATE opinions SET department_code = '01' WHERE opinion_id = '2023-01'")
    write_templates(project.plan, project.config, 2024, force=True)
    return root


@pytest.fixture
def looped(tmp_path, _looped_cache) -> Project:
    """The looped project (_looped_cache: made once per module, copied for each test, file times kept)."""
    return copied_project(_looped_cache, tmp_path / "project")


def test_templates__each_opinion_is_asked_of_its_department_and_nobody_else(looped):
    assert list(asked_rows(looped.template("01", 2024))) == ["2023-01"]
    assert list(asked_rows(looped.template("05", 2024))) == ["2023-02"]
    assert list(asked_rows(looped.template("04", 2024))) == ["2023-03"]
    assert asked_rows(looped.template("02", 2024)) == {}
    row = asked_rows(looped.template("04", 2024))["2023-03"]
    assert row[L.COL_OPINION_ITEM] == "全般 計画全体" and row[L.COL_OPINION_YEAR] == "2023年度"
    assert row[L.COL_OPINION_TEXT] == "計画全体の進め方を分かりやすく示すこと。"
    assert row[L.COL_OPINION_BEFORE] == "なし"


def test_templates__the_answer_cells_are_inputs_with_a_dropdown_and_the_rest_is_locked(looped):
    ws = openpyxl.load_workbook(looped.template("05", 2024))[L.SHEET_OPINIONS]
    r = L.OPINION_FIRST_ROW + 2
    assert ws.protection.sheet
    assert not ws.cell(r, L.COL_RESPONSE_STATUS + 1).protection.locked
    assert not ws.cell(r, L.COL_RESPONSE_TEXT + 1).protection.locked
    assert ws.cell(r, L.COL_OPINION_TEXT + 1).protection.locked
    lists = [v.formula1 for v in ws.data_validations.dataValidation if v.type == "list"]
    assert lists == ['"対応済,対応中,未対応,対応しない"']


def test_templates__every_workbook_shows_the_good_practices_read_only(looped):
    for code in ("01", "02", "05"):
        ws = openpyxl.load_workbook(looped.template(code, 2024))[L.SHEET_PRACTICES]
        rows = [[c.value for c in row] for row in ws.iter_rows(min_row=L.OPINION_FIRST_ROW + 2) if row[0].value]
        assert rows[0][0] == "1101-01" and rows[0][3] == "市民に伝わる工夫が他課の参考になる。"
        assert ws.protection.sheet
        assert all(c.protection.locked for row in ws.iter_rows() for c in row)


def test_loop__in_progress_is_asked_again_with_the_answer_then_settled_and_no_longer_asked(looped):
    p = looped
    for d in p.plan.surveyed_departments():
        filler = p.filler(d.code, 2024).fill_all()
        if d.code == "04":
            filler.respond("2023-03", "対応済", "計画の進め方を一枚の図にまとめ、公表した。")
        if d.code == "02":
            continue                                         # does not return: its opinions stay unanswered
        filler.save(p.inbox(2024) / f"{d.name}.xlsx")
    done = run_collect_year(p.plan, p.config, 2024, today=TODAY, inline=True)
    assert [f.code for f in done.result.findings if f.is_error] == ["SUBM_003"]      # 02 is missing, nothing else
    stored = responses(p)
    assert stored[(2024, "2023-01")] == (ResponseStatus.IN_PROGRESS, "意見 2023-01 を受けて見直しを進めている。")
    assert stored[(2024, "2023-03")] == (ResponseStatus.DONE, "計画の進め方を一枚の図にまとめ、公表した。")

    write_templates(p.plan, p.config, 2025)
    assert asked_rows(p.template("04", 2025)) == {}         # settled: not asked again
    again = asked_rows(p.template("01", 2025))["2023-01"]
    assert again[L.COL_OPINION_BEFORE] == "2024年度: 対応中（意見 2023-01 を受けて見直しを進めている。）"
    assert L.SHEET_PRACTICES not in openpyxl.load_workbook(p.template("01", 2025)).sheetnames   # none named on 2024

    filler = p.filler("01", 2025).fill_all()
    filler.respond("2023-01", "対応済", "指標に閲覧数を加えた。")
    filler.save(p.inbox(2025) / "協働まちづくり課.xlsx")
    run_collect_year(p.plan, p.config, 2025, today=TODAY, inline=True)
    stored = responses(p)
    assert stored[(2025, "2023-01")] == (ResponseStatus.DONE, "指標に閲覧数を加えた。")
    assert stored[(2025, "2023-02")][0] is ResponseStatus.UNANSWERED   # 05 did not return in 2025


def test_collect__a_department_that_did_not_return__its_opinions_are_recorded_unanswered(looped):
    p = looped
    p.return_all(2024, except_codes=("05",))
    run_collect_year(p.plan, p.config, 2024, today=TODAY, inline=True)
    assert responses(p)[(2024, "2023-02")] == (ResponseStatus.UNANSWERED, "")


# (a choice left empty, a text too long: the cell rules, test_cell_rules.py)
@pytest.mark.parametrize(("status", "text", "code", "column"), [
    ("検討済み", "説明", "VALUE_002", L.COL_RESPONSE_STATUS),      # the sheet's own choices
    ("対応済", None, "RESP_004", L.COL_RESPONSE_TEXT),
    ("対応しない", None, "RESP_004", L.COL_RESPONSE_TEXT),
])
def test_collect__careless_answer__error_at_its_cell_and_the_department_is_sent_back(looped, status, text, code, column):
    p = looped
    filler = p.filler("05", 2024).fill_all()
    filler.respond("2023-02", status, text)
    filler.save(p.inbox(2024) / "情報政策課.xlsx")
    result = run_collect_year(p.plan, p.config, 2024, today=TODAY, inline=True).result
    found = [f for f in result.findings if f.code == code and f.sheet == L.SHEET_OPINIONS]
    assert found and found[0].cell == L.a1(L.OPINION_FIRST_ROW + 1, column)
    assert responses(p)[(2024, "2023-02")][0] is ResponseStatus.UNANSWERED


def test_collect__not_yet_needs_no_text(looped):
    p = looped
    filler = p.filler("05", 2024).fill_all()
    filler.respond("2023-02", "未対応", None)
    filler.save(p.inbox(2024) / "情報政策課.xlsx")
    run_collect_year(p.plan, p.config, 2024, today=TODAY, inline=True)
    assert responses(p)[(2024, "2023-02")] == (ResponseStatus.NOT_YET, "")


def test_collect__opinion_row_deleted_or_sheet_deleted_or_unknown_row__error(looped):
    p = looped
    filler = p.filler("05", 2024).fill_all()
    filler.wb[L.SHEET_OPINIONS].cell(L.OPINION_FIRST_ROW + 2, 1).value = "2023-09"
    filler.save(p.inbox(2024) / "情報政策課.xlsx")
    filler = p.filler("04", 2024).fill_all()
    del filler.wb[L.SHEET_OPINIONS]
    filler.save(p.inbox(2024) / "財務課.xlsx")
    result = run_collect_year(p.plan, p.config, 2024, today=TODAY, inline=True).result
    codes = {(f.department, f.code, f.value) for f in result.findings}
    assert ("情報政策課", "RESP_003", "2023-09") in codes
    assert ("情報政策課", "RESP_002", "2023-02") in codes
    assert ("財務課", "RESP_001", L.SHEET_OPINIONS) in codes


def test_store__a_store_made_before_the_loop_gains_its_tables(project, tmp_path):
    import sqlite3
    path = tmp_path / "old.sqlite"
    with Store(path):
        pass
    with sqlite3.connect(path) as db:       # as schema 1 left it
        for table in ("opinions", "opinion_registers", "good_practices", "opinion_responses"):
            db.execute(f"DROP TABLE {table}")
        db.execute("PRAGMA user_version=1")
    with Store(path, readonly=True) as store:
        assert store.opinions() == [] and store.responses() == [] and store.good_practices(2023) == []
    with Store(path) as store:
        store.replace_opinions(2023, [Opinion("2023-01", 2023, 1, "1101", "01", "意見")], [],
                               file_name="r.xlsx", sha256="0")
        assert [o.id for o in store.opinions()] == ["2023-01"]


def test_collect__workbooks_made_before_the_register__a_warning_not_an_error_and_asked_next_year(project):
    project.return_all(2023)
    run_collect_year(project.plan, project.config, 2023, today=TODAY, inline=True)
    # the 2024 workbooks were sent (made by the fixture) before the committee's register was taken in
    give_opinions(project, 2023, [("1101", "01", "情報発信の効果を測る工夫をすること。")])
    project.return_all(2024)
    result = run_collect_year(project.plan, project.config, 2024, today=TODAY, inline=True).result
    found = [f for f in result.findings if f.code == "RESP_005"]
    assert [(f.severity.value, f.department, f.value) for f in found] == [("warning", "協働まちづくり課", "2023-01")]
    assert result.errors == 0
    assert responses(project)[(2024, "2023-01")] == (ResponseStatus.UNANSWERED, "")
    write_templates(project.plan, project.config, 2025)
    assert list(asked_rows(project.template("01", 2025))) == ["2023-01"]


def test_templates__the_workbook_records_which_opinions_it_asks(looped):
    wb = openpyxl.load_workbook(looped.template("05", 2024))
    identity = {row[0].value: row[1].value for row in wb[L.SHEET_IDENTITY].iter_rows()}
    assert identity[L.ID_OPINIONS] == "2023-02"
    assert L.ID_OPINIONS not in {row[0].value for row in
                                 openpyxl.load_workbook(looped.template("02", 2024))[L.SHEET_IDENTITY].iter_rows()}


def test_collect__register_corrected_after_the_workbooks_went_out__no_department_is_blamed(looped):
    p = looped
    with Store(p.config.store_path) as store:     # 2023-02 moved from 情報政策課 (05) to 財務課 (04)
        store.db.execute("UPDATE opinions SET department_code = '04' WHERE opinion_id = '2023-02'")
    p.return_all(2024)
    result = run_collect_year(p.plan, p.config, 2024, today=TODAY, inline=True).result
    assert result.errors == 0
    assert [(f.code, f.department, f.value) for f in result.findings if f.code.startswith("RESP")] == [
        ("RESP_005", "財務課", "2023-02")]
    assert responses(p)[(2024, "2023-02")] == (ResponseStatus.UNANSWERED, "")
