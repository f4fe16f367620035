"""After collect, the secretariat can mail back a marked-up copy of each return that has problems, chase
the missing departments from a ready list, and see the year's state on one screen."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.collect.returns import collect
from pipeline.config import load_config
from pipeline.errors import ConfigError
from pipeline.files import Staging
from pipeline.fiscal import format_date_ja
from pipeline.followup.outputs import stage_followup
from pipeline.followup.packet_book import PACKET_FILL, PACKET_HEADERS
from pipeline.followup.packets import packet_file_name
from pipeline.followup.reminders import reminder_list_name
from pipeline.sheets import layout as L
from pipeline.store import Store
from pipeline.usecases.collect_year import run_collect_year
from pipeline.vocabulary import RETURNED
from tests.conftest import YEAR
from tests.filling import ReturnFiller

DEADLINE = format_date_ja(dt.date(2025, 5, 31))      # config.toml: deadline = "05-31"
BEFORE_DEADLINE = dt.date(2025, 5, 21)
FORMULA_TEXT = '=HYPERLINK("http://example.com","x")'


def run(project, today=BEFORE_DEADLINE, progress=None):
    """The collect command's use case: check, store, then the follow-up."""
    done = run_collect_year(project.plan, project.config, YEAR, packet_progress=progress, today=today)
    return done.result, done.followup


def packet_path(project, code="05"):
    dept = project.plan.department_by_code[code]
    return project.config.output_for(YEAR) / "差し戻し" / packet_file_name(YEAR, dept)


def marked(wb) -> dict[tuple[str, str], tuple[bool, str | None]]:
    """Every cell that is filled pink or commented: (sheet, cell) → (pink?, comment text)."""
    out = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                rgb = cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None
                pink = isinstance(rgb, str) and rgb[-6:] == PACKET_FILL[-6:]
                if pink or cell.comment is not None:
                    out[(ws.title, cell.coordinate)] = (pink, cell.comment.text if cell.comment else None)
    return out


def list_rows(wb) -> list[tuple]:
    ws = wb[L.SHEET_PACKET]
    rows = [tuple("" if v is None else v for v in r) for r in ws.iter_rows(values_only=True)]
    top = rows.index(PACKET_HEADERS)
    return rows[top + 1:]


def return_with_problems(project, name="情報政策課.xlsx", saved_at=None, delete_row=True):
    """情報政策課 returns a workbook with three errors at cells, a warning at a cell and a deleted row
    (an error without a cell)."""
    f = project.filler("05").fill_all()
    f.set("2101", "2101-03", L.FIELD_PROGRESS, "だいたい終わった")
    f.set("2101", L.KEY_ACTUAL, L.FIELD_ACTUAL, "約千件")
    f.set("2104", "2104-02", L.FIELD_RESULT, None)
    f.set("2101", "2101-02", L.FIELD_TEXT, "AI-OCRの導入（書き換え）")
    if delete_row:
        f.delete_row("2201", f.initiatives("2201")[0])
    return f.save(project.inbox() / name, saved_at=saved_at)


# --- the packet -------------------------------------------------------------------------------------

def test_packet__error_cells__highlighted_and_commented_with_their_messages_and_nothing_else(project):
    return_with_problems(project)
    result, _ = run(project)
    findings = [f for f in result.findings if f.file == "情報政策課.xlsx"]
    assert sorted(f.code for f in findings) == ["ROW_001", "ROW_004", "VALUE_001", "VALUE_002", "VALUE_003"]

    wb = openpyxl.load_workbook(packet_path(project))
    expected = {(f.sheet, f.cell): f for f in findings if f.cell}
    cells = marked(wb)
    assert set(cells) == set(expected)
    for place, f in expected.items():
        pink, comment = cells[place]
        assert pink, place
        assert f.message in comment and f.code in comment
    assert {c.comment.author for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.comment} == {
        project.config.secretariat.name}


def test_packet__list_sheet__first_and_lists_every_finding_with_its_place(project):
    return_with_problems(project)
    result, _ = run(project)
    findings = [f for f in result.findings if f.file == "情報政策課.xlsx"]

    wb = openpyxl.load_workbook(packet_path(project))
    assert wb.sheetnames[0] == L.SHEET_PACKET and wb.active.title == L.SHEET_PACKET
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [L.SHEET_PACKET]
    label = {"error": "エラー", "warning": "警告"}
    assert list_rows(wb) == [
        (label[str(f.severity)], f.code, f.sheet, f.cell, f"{f.sheet}!{f.cell}" if f.cell else f.sheet, f.field,
         f.value, f.message) for f in findings]
    deleted_row = next(r for r in list_rows(wb) if r[1] == "ROW_001")
    assert deleted_row[2:5] == ("2201", "", "2201")       # no cell: only in the list
    header = " ".join(str(r[0]) for r in wb[L.SHEET_PACKET].iter_rows(max_row=8, max_col=1, values_only=True) if r[0])
    assert "情報政策課.xlsx" in header and DEADLINE in header and "ピンク色のセル" in header


def test_packet__original_return__bytes_unchanged_and_nothing_written_into_the_inbox(project):
    path = return_with_problems(project)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    run(project)
    assert packet_path(project).exists()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in project.inbox().rglob("*")) == ["情報政策課.xlsx"]


def test_packet__formula_text_in_a_return__stays_text_in_the_cell_and_in_the_list(project):
    f = project.filler("05").fill_all()
    cell = f.wb["2101"][f.set("2101", L.KEY_ACTUAL, L.FIELD_ACTUAL, FORMULA_TEXT)]
    cell.data_type = "s"     # pasted as text, as the department's Excel stored it
    f.save(project.inbox() / "情報政策課.xlsx")
    run(project)

    wb = openpyxl.load_workbook(packet_path(project))
    marked_cell = wb["2101"][cell.coordinate]
    assert (marked_cell.value, marked_cell.data_type) == (FORMULA_TEXT, "s")
    row = next(r for r in list_rows(wb) if r[1] == "VALUE_003")
    assert row[6] == FORMULA_TEXT
    with zipfile.ZipFile(packet_path(project)) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not [n for n in sheets if re.search(rb"<f[ >]", zf.read(n))]


def test_packet__returned_after_fixing__accepted_without_sheet_002_and_the_packet_goes(project):
    return_with_problems(project, saved_at=dt.datetime(2025, 5, 1), delete_row=False)
    run(project)
    fixed = ReturnFiller(packet_path(project))
    fixed.answer("2101", "2101-03", progress="実施中", result="修正後の実績")
    fixed.set("2101", L.KEY_ACTUAL, L.FIELD_ACTUAL, 1000)
    fixed.set("2104", "2104-02", L.FIELD_RESULT, "記入した")
    fixed.set("2101", "2101-02", L.FIELD_TEXT, project.plan.initiative_by_id["2101-02"].display_text)
    fixed.save(project.inbox() / packet_path(project).name, saved_at=dt.datetime(2025, 5, 20))

    result, followup = run(project)
    chosen = result.roster["05"]
    assert chosen == (RETURNED, packet_path(project).name)
    assert [f.code for f in result.findings if f.file == chosen[1]] == []
    with Store(project.config.store_path) as store:
        assert store.answers(YEAR)[("2101-03", "05")].result == "修正後の実績"
    assert not packet_path(project).exists() and followup.packets.removed == [packet_path(project)]


def test_packet__fixed_in_part_and_returned__new_packet_marks_only_what_is_left(project):
    return_with_problems(project, saved_at=dt.datetime(2025, 5, 1))
    first, _ = run(project)
    fixed = ReturnFiller(packet_path(project))
    fixed.set("2101", "2101-03", L.FIELD_PROGRESS, "実施中")
    fixed.set("2101", L.KEY_ACTUAL, L.FIELD_ACTUAL, 1000)
    for ws in fixed.wb.worksheets:        # as LibreOffice re-saves it: the comments lose their author
        for row in ws.iter_rows():
            for cell in row:
                if cell.comment:
                    cell.comment.author = " "
    fixed.save(project.inbox() / "再提出.xlsx", saved_at=dt.datetime(2025, 5, 20))

    result, _ = run(project)
    left = [f for f in result.findings if f.file == "再提出.xlsx"]
    assert sorted(f.code for f in left) == ["ROW_001", "ROW_004", "VALUE_001"]
    wb = openpyxl.load_workbook(packet_path(project))
    assert wb.sheetnames.count(L.SHEET_PACKET) == 1 and len(wb.sheetnames) == len(set(wb.sheetnames))
    assert set(marked(wb)) == {(f.sheet, f.cell) for f in left if f.cell}
    assert [r[1] for r in list_rows(wb)] == [f.code for f in left]
    input_cell = wb["2101"][next(f for f in first.findings if f.code == "VALUE_002").cell]
    assert input_cell.fill.fgColor.rgb[-6:] == "FFF2CC"     # back to the yellow of an input cell


def test_packet__file_changed_after_collect__no_packet_and_a_note(project):
    path = return_with_problems(project)
    plan = project.plan.for_year(YEAR)
    result = collect(plan, project.config, YEAR)
    project.filler("05").fill_all().save(path)          # a new version arrives between check and packet
    with Staging() as staging:      # the collect use case's next step
        followup = stage_followup(plan, project.config, result, staging, today=BEFORE_DEADLINE)
        staging.publish()
    assert not packet_path(project).exists()
    assert len(followup.notes) == 1 and "情報政策課（05）" in followup.notes[0] and "変わりました" in followup.notes[0]


def test_packet__only_for_known_departments_with_findings__other_files_in_the_folder_kept(project):
    project.filler("01").fill_all().save(project.inbox() / "clean.xlsx")
    project.filler("05", year=2023).fill_all().save(project.inbox() / "old_year.xlsx")
    wb = openpyxl.Workbook()
    wb.active["A1"] = "家計簿"
    wb.save(project.inbox() / "kakeibo.xlsx")
    folder = project.config.output_for(YEAR) / "差し戻し"
    folder.mkdir(parents=True)
    (folder / "メモ.txt").write_text("memo", encoding="utf-8")
    stale = folder / packet_file_name(YEAR, project.plan.department_by_code["01"])
    stale.write_bytes(b"from an earlier run")

    _, followup = run(project)
    assert followup.packets.written == []
    assert sorted(p.name for p in folder.iterdir()) == ["メモ.txt"]
    assert followup.packets.removed == [stale]


def test_packets__progress__reported_once_per_packet(project):
    return_with_problems(project)
    f = project.filler("18").fill_all()
    sheet = next(s for s in f.item_sheets if f.initiatives(s))
    f.set(sheet, f.initiatives(sheet)[0], L.FIELD_PROGRESS, "？")
    f.save(project.inbox() / "商工課.xlsx")
    calls = []
    run(project, progress=lambda n, total, name: calls.append((n, total, name)))
    assert sorted(c[2] for c in calls) == sorted(packet_path(project, c).name for c in ("05", "18"))
    assert [(n, total) for n, total, _ in calls] == [(1, 2), (2, 2)]


# --- the reminder list --------------------------------------------------------------------------------

def _with_contacts(project, text):
    project.config_path.write_text(project.config_path.read_text(encoding="utf-8") + text, encoding="utf-8")
    project.config = load_config(project.config_path)


def reminder_rows(project):
    wb = openpyxl.load_workbook(project.config.output_for(YEAR) / reminder_list_name(YEAR))
    ws = wb["督促リスト"]
    table = ws.tables[next(iter(ws.tables))]
    rows = [[("" if c.value is None else c.value) for c in row] for row in ws[table.ref]]
    header = [str(r[0]) for r in ws.iter_rows(max_row=3, max_col=1, values_only=True)]
    return header, [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_reminder_list__exactly_the_missing_and_to_fix_departments_with_deadline_and_contact(project):
    _with_contacts(project, '\n[department_contacts]\n"18" = "商工課 佐藤 内線2345"\n')
    project.return_all(except_codes=("03", "05", "18"))
    return_with_problems(project)
    run(project)

    header, rows = reminder_rows(project)
    assert [(r["部署コード"], r["部署"], r["状況"]) for r in rows] == [
        ("03", "危機管理課", "未提出"), ("18", "商工課", "未提出"), ("05", "情報政策課", "要修正（差し戻し）")]
    assert f"提出期限: {DEADLINE}" in header
    assert all(r["提出期限"] == DEADLINE and DEADLINE in r["督促文"] for r in rows)
    by_code = {r["部署コード"]: r for r in rows}
    assert by_code["18"]["連絡先"] == "商工課 佐藤 内線2345" and by_code["18"]["備考"] == ""
    assert by_code["03"]["連絡先"] == "" and "[department_contacts]" in by_code["03"]["備考"]
    text = by_code["18"]["督促文"]
    assert text.startswith("商工課 御中\n") and "までにご提出くださいますようお願いいたします" in text
    assert project.config.secretariat.phone in text
    assert by_code["05"]["差し戻しファイル"] == packet_path(project).name and packet_path(project).name in by_code["05"]["督促文"]
    assert (by_code["05"]["エラー"], by_code["05"]["警告"]) == (4, 1)


def test_reminder_list__after_the_deadline__asks_for_it_at_once(project):
    project.return_all(except_codes=("18",))
    run(project, today=dt.date(2025, 6, 3))
    _, rows = reminder_rows(project)
    assert [r["部署コード"] for r in rows] == ["18"]
    assert f"提出期限の{DEADLINE}を過ぎております" in rows[0]["督促文"] and "至急ご提出ください" in rows[0]["督促文"]


def test_reminder_list__everyone_accepted__says_so(project):
    project.return_all()
    _, followup = run(project)
    assert followup.reminders == [] and followup.missing == []
    wb = openpyxl.load_workbook(followup.reminder_list)
    assert "未提出・要修正の部署はありません。" in [c for r in wb.active.iter_rows(values_only=True) for c in r]


def test_config__department_contacts__optional_and_a_wrong_one_named(project):
    assert project.config.department_contacts == {}
    _with_contacts(project, '\n[department_contacts]\n"05" = " 情報政策課 田中 内線1234 "\n')
    assert project.config.department_contacts == {"05": "情報政策課 田中 内線1234"}
    project.config_path.write_text(project.config_path.read_text(encoding="utf-8") + '"06" = 6\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r": department_contacts\.06 "):
        load_config(project.config_path)


# --- the command line ---------------------------------------------------------------------------------

def cli(project, *args):
    return CliRunner().invoke(main, ["--config", str(project.config_path), *args])


def test_cli_collect__missing_departments__named_on_the_last_line(project):
    project.return_all(except_codes=("03", "18"))
    result = cli(project, "collect", "--year", str(YEAR))
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "未提出 2 部署: 危機管理課（03）、商工課（18）"
    assert (project.config.output_for(YEAR) / reminder_list_name(YEAR)).exists()


def test_status__after_collect__a_row_per_department_totals_days_left_and_exit_1(project):
    project.return_all(except_codes=("05", "18"))
    return_with_problems(project)
    run(project)
    result = cli(project, "status", "--year", str(YEAR), "--today", "2025-05-21")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    rows = {line.split()[0]: line.split() for line in lines if re.match(r"^\d\d ", line)}
    assert len(rows) == 19
    assert rows["05"][1:5] == ["情報政策課", "差し戻し", "4", "1"] and rows["05"][5] == "情報政策課.xlsx"
    assert rows["18"][1:5] == ["商工課", "未提出", "0", "0"]
    assert rows["01"][2] == "受理"
    assert "受理 17、差し戻し 1、未提出 1（全 19 部署）。提出された回答のエラー 4 件、警告 1 件。" in lines
    assert lines[-1] == f"提出期限: {DEADLINE}　あと 10 日"


@pytest.mark.parametrize("today, said", [
    ("2025-05-31", "本日が期限です"),
    ("2025-06-03", "期限を 3 日過ぎています"),
])
def test_status__on_and_after_the_deadline__says_so(project, today, said):
    project.return_all()
    run(project)
    result = cli(project, "status", "--year", str(YEAR), "--today", today)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"提出期限: {DEADLINE}　{said}"
    with Store(project.config.store_path) as store:
        assert set(store.roster(YEAR).values()) == {RETURNED}


def test_status__year_never_collected__exit_2_and_says_run_collect_first(project):
    result = cli(project, "status", "--year", str(YEAR))
    assert result.exit_code == 2 and f"先に make collect YEAR={YEAR} を実行してください" in result.output
    assert not project.config.store_path.exists()      # looking creates no database

    project.return_all(year=2023)
    run_collect_year(project.plan, project.config, 2023)
    result = cli(project, "status", "--year", str(YEAR))
    assert result.exit_code == 2 and f"{YEAR}年度はまだ回収（collect）していません" in result.output
