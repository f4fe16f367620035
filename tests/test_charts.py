"""Charts people can read: one per indicator in the Word report (a picture with its text alternative and its
numbers in a table next to it) and in the public table (a native chart with a description), drawn the same
way every time, with an honest axis, and never relying on colour alone."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn

from pipeline.plan import load_plan
from pipeline.report.charts import Figure, draw_charts, indicator_figure
from pipeline.report.public_table import build_workbook
from tests.conftest import PLAN_FILE
from tests.report_fixtures import docx_of, indicator_table_of

PLAN = load_plan(PLAN_FILE)
YEARS = list(PLAN.years)
TODAY_YEAR = 2024
TODAY = dt.date(2025, 6, 20)


def indicator(code: str):
    return PLAN.item_by_code[code].indicator


def test_chart__a_png_the_same_every_time():
    first = indicator_figure(indicator("1101"), {2022: 7100, 2023: 7600}, YEARS, 2024)
    again = indicator_figure(indicator("1101"), {2022: 7100, 2023: 7600}, YEARS, 2024)
    assert first.png.startswith(b"\x89PNG\r\n\x1a\n") and first.png == again.png
    assert first.png != indicator_figure(indicator("1101"), {2022: 7100, 2023: 7700}, YEARS, 2024).png


def test_chart__the_text_alternative_says_every_number():
    alt = indicator_figure(indicator("1101"), {2022: 7100, 2023: 7600}, YEARS, 2024).alt
    assert "公式LINE登録者数" in alt and "基準値は2021年度の6,794件" in alt
    assert "2022年度 7,100件、2023年度 7,600件" in alt and "目標値は2025年度に9,000件" in alt


@pytest.mark.parametrize(("code", "says", "never"), [
    ("2103", ["2023年度までの累計は9回", "目標値は2025年度に延べ3回"], []),       # 延べ: 4 + 5 = 9
    ("2401", ["目標は基準値からの減少"], ["目標値は"]),                              # 減少
    ("1301", ["実績は2022年度 4団体"], ["基準値は"]),                               # no baseline
    ("2101", ["基準値は2022年度の"], []),                                          # baseline marked *
])
def test_chart__each_kind_of_indicator_is_said_in_its_own_terms(code, says, never):
    alt = indicator_figure(indicator(code), {2022: 4, 2023: 5}, YEARS, 2024).alt
    for text in says:
        assert text in alt, alt
    for text in never:
        assert text not in alt, alt


def test_chart__no_actual_yet__says_so():
    assert "2024年度までの実績の報告はありません。" in indicator_figure(indicator("1101"), {}, YEARS, 2024).alt


def test_charts__many_are_drawn_on_all_cores_and_equal_one_by_one(monkeypatch):
    monkeypatch.setenv("GYOZAI_CACHE", "off")   # every chart drawn, none taken from before
    indicators = PLAN.indicators * 3          # over PARALLEL_FROM: through worker processes
    actuals = {(2022, i.item_code): 10 + n for n, i in enumerate(PLAN.indicators)}
    figures = draw_charts(indicators, actuals, YEARS, 2024, workers=2)
    assert set(figures) == {i.item_code for i in PLAN.indicators}
    one = PLAN.indicators[4]
    assert figures[one.item_code] == indicator_figure(one, {2022: 14}, YEARS, 2024)
    assert isinstance(figures[one.item_code], Figure)


def test_report__every_indicator_has_its_chart_with_alt_text_and_its_numbers_in_a_table(filled_store):
    plan, config, store = filled_store
    document = Document(io.BytesIO(docx_of(plan, config, TODAY_YEAR, TODAY)))
    described = [el.get("descr") for el in document.element.body.iter(qn("wp:docPr"))]
    assert len(described) == len(plan.indicators) and all(described)
    courses = [t for t in document.tables if t.rows[0].cells[-1].text.startswith("目標値")
               and t.rows[0].cells[1].text.startswith("基準値") and "2022年度" in t.rows[0].cells[2].text]
    assert len(courses) >= len(plan.indicators)


def test_public_table__charts_start_at_zero_name_their_unit_and_are_described(filled_store):
    plan, config, store = filled_store
    table = indicator_table_of(plan, store, TODAY_YEAR, TODAY)
    data = build_workbook(plan, table, TODAY)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        charts = [z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/charts/chart")]
        drawings = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/drawings/drawing"))
    assert len(charts) == len(plan.indicators)
    assert all('<c:min val="0"/>' in c for c in charts)
    assert all(re.search(r"（[^）]+）</a:t>", c) for c in charts)          # the axis says its unit
    assert len(re.findall(r'descr="[^"]*推移の折れ線グラフ', drawings)) == len(plan.indicators)
