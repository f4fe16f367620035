"""The public indicator table: machine-readable Excel, a chart per indicator, CSV for the open-data page."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from pipeline.report.public_table import (
    FIRST_ROW,
    SHEET_CHART_DATA,
    SHEET_CHARTS,
    SHEET_TABLE,
    build_csv,
    build_workbook,
    csv_text,
    headers,
    public_file_name,
)
from pipeline.report.usecase import make_report
from tests import report_fixtures as F

YEAR = 2024
TODAY = dt.date(2025, 6, 20)
HEADERS = ["管理番号", "取組項目", "参考指標", "単位", "基準年度", "基準値", "目標年度", "目標値",
           "2022年度実績", "2023年度実績", "2024年度実績", "2025年度実績", "達成率(%)", "判定", "注記"]


@pytest.fixture(scope="module")
def table(filled_store):
    plan, _config, store = filled_store
    return F.indicator_table_of(plan, store, YEAR, TODAY)


@pytest.fixture(scope="module")
def xlsx(filled_store, table) -> bytes:
    return build_workbook(filled_store[0], table, TODAY)


@pytest.fixture(scope="module")
def sheet(xlsx):
    return openpyxl.load_workbook(io.BytesIO(xlsx))[SHEET_TABLE]


def records(sheet) -> dict[str, dict]:
    rows = list(sheet.iter_rows(min_row=FIRST_ROW + 1, values_only=True))
    head = list(rows[0][:len(HEADERS)])
    out = {}
    for row in rows[1:]:
        if row[0] is None or not str(row[0]).isdigit():
            break
        out[row[0]] = dict(zip(head, row, strict=False))
    return out


def test_headers__exactly_as_specified(filled_store, sheet):
    assert list(headers(filled_store[0])) == HEADERS
    row = next(sheet.iter_rows(min_row=FIRST_ROW + 1, max_row=FIRST_ROW + 1, values_only=True))
    assert list(row[:len(HEADERS)]) == HEADERS


def test_title_and_notes__outside_the_table(sheet):
    assert "参考指標一覧" in sheet["A1"].value and "令和6年度（2024年度）実績" in sheet["A1"].value
    table = sheet.tables["参考指標"]
    assert table.ref == f"A{FIRST_ROW + 1}:O{FIRST_ROW + 1 + 17}"
    notes = [c.value for c in sheet["A"][FIRST_ROW + 1 + 17:] if c.value]
    assert any("2022年度の数値" in n for n in notes)             # the charter's baseline note
    assert any("（実績 − 基準値）÷（目標値 − 基準値）× 100" in n for n in notes)
    assert any("データの基準日: 令和7年6月20日" in n for n in notes)


def test_numbers__stored_as_numbers(sheet):
    rows = records(sheet)
    assert len(rows) == 17
    r = rows["1101"]
    assert (r["単位"], r["基準年度"], r["基準値"], r["目標年度"], r["目標値"]) == ("件", 2021, 6794, 2025, 9000)
    assert (r["2022年度実績"], r["2023年度実績"], r["2024年度実績"], r["2025年度実績"]) == (None, 7000, 7500, None)
    assert (r["達成率(%)"], r["判定"]) == (32.0, "要努力")
    for row in rows.values():
        for key in ("基準年度", "基準値", "目標年度", "目標値", "2022年度実績", "2023年度実績", "2024年度実績",
                    "達成率(%)"):
            assert row[key] is None or type(row[key]) in (int, float), (row["管理番号"], key, row[key])
    assert rows["2102"]["基準値"] == 44.7 and rows["2102"]["単位"] == "%"


def test_every_kind__its_empty_cells_and_notes(sheet):
    rows = records(sheet)
    assert rows["1301"]["基準値"] is None and "基準値なし" in rows["1301"]["注記"]
    assert rows["2101"]["基準年度"] == 2022 and "「*」" in rows["2101"]["注記"]
    assert rows["2401"]["目標値"] is None and rows["2401"]["達成率(%)"] is None and rows["2401"]["判定"] == "達成"
    assert rows["2103"]["目標値"] == 3 and "累計 2回" in rows["2103"]["注記"] and rows["2103"]["達成率(%)"] == 66.7
    assert rows["2104"]["2024年度実績"] is None and "2023年度の実績で判定" in rows["2104"]["注記"]


def test_missing_return__未提出_in_judgement_and_note(sheet):
    r = records(sheet)["2302"]
    assert r["判定"] == "未提出"
    assert "2024年度実績: 未提出" in r["注記"] and "2023年度実績: 未提出" in r["注記"]


def test_machine_readable__no_merged_cells_no_formulas(xlsx):
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    for ws in wb.worksheets:
        assert not ws.merged_cells.ranges, ws.title
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


def test_charts__one_per_indicator_on_their_own_sheet(xlsx):
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 17
        first = z.read("xl/charts/chart1.xml").decode("utf-8")
    assert SHEET_CHART_DATA in first and "公式LINE登録者数" in first
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert wb.sheetnames == [SHEET_TABLE, SHEET_CHARTS, SHEET_CHART_DATA]
    data = list(wb[SHEET_CHART_DATA].iter_rows(values_only=True))
    assert data[0][:5] == ("管理番号", "参考指標", "系列", "単位", "2021年度")
    cumulative = [r for r in data if r[0] == "2103" and r[2] == "実績（累計）"][0]
    assert cumulative[4:] == (None, None, 1, 2, None)          # 2021 … 2025: running total


def test_determinism__same_store_same_bytes(filled_store, table, xlsx):
    assert build_workbook(filled_store[0], table, TODAY) == xlsx
    assert build_csv(table) == build_csv(table)


def test_csv__bom_header_numbers(table):
    data = build_csv(table)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADERS
    r = dict(zip(HEADERS, [row for row in rows if row[0] == "1101"][0], strict=True))
    assert (r["基準値"], r["2024年度実績"], r["2025年度実績"], r["達成率(%)"]) == ("6794", "7500", "", "32")
    assert dict(zip(HEADERS, [row for row in rows if row[0] == "2102"][0], strict=True))["基準値"] == "44.7"
    assert b"\r\n" in data


@pytest.mark.parametrize(("value", "text"), [
    ('=HYPERLINK("http://example.com","x")', '\'=HYPERLINK("http://example.com","x")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-1+1", "'-1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1+1", "'=1+1"), (" =1", "'=1"),
    (-5, "-5"), (-2.5, "-2.5"), (6794.0, "6794"), (None, ""), ("普通の文", "普通の文"),
])
def test_csv_text__formula_prefix_for_text_not_numbers(value, text):
    assert csv_text(value) == text


def test_injection__plan_texts_stay_inert_in_xlsx_and_csv(filled_store):
    plan, _config, store = filled_store
    item = plan.items[0]
    hostile = dataclasses.replace(item, title=F.DDE,
                                  indicator=dataclasses.replace(item.indicator, name=F.HYPERLINK))
    plan = dataclasses.replace(plan, items=(hostile, *plan.items[1:]))
    table = F.indicator_table_of(plan, store, YEAR, TODAY)
    wb = openpyxl.load_workbook(io.BytesIO(build_workbook(plan, table, TODAY)))
    cell = wb[SHEET_TABLE].cell(FIRST_ROW + 2, 3)
    assert (cell.value, cell.data_type, cell.hyperlink) == (F.HYPERLINK, "s", None)
    assert wb[SHEET_TABLE].cell(FIRST_ROW + 2, 2).value == F.DDE
    for ws in wb.worksheets:
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    rows = list(csv.reader(io.StringIO(build_csv(table).decode("utf-8-sig"))))
    assert rows[1][1] == "'" + F.DDE and rows[1][2] == "'" + F.HYPERLINK


def test_report__public_table_file_names(filled_store, tmp_path):
    plan, config, store = filled_store
    config = dataclasses.replace(config, output_dir=tmp_path)
    files = make_report(plan, config, YEAR, TODAY, use_office=False)
    assert files.xlsx == tmp_path / "2024" / public_file_name(YEAR, ".xlsx") == tmp_path / "2024" / (
        "参考指標一覧_R06_2024年度.xlsx")
    assert files.csv.name == "参考指標一覧_R06_2024年度.csv"
    assert files.xlsx.read_bytes()[:2] == b"PK"
