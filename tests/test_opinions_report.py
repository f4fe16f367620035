"""The committee's loop in the report and on the status screen: the opinions asked in a year with the
departments' answers (grouped by action item in the charter's order, 全般 first), the counts, an opinion
asked again until it is settled, and the good practices named on the previous year's report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
from click.testing import CliRunner
from docx import Document

from pipeline.cli import main
from pipeline.followup.status import year_status
from pipeline.records.opinions import GENERAL, GoodPractice, Opinion, Response
from pipeline.store import Store
from pipeline.vocabulary import ResponseStatus
from tests import report_fixtures as F

TODAY = dt.date(2025, 6, 20)
COMMITTEE = "伊豆の国市行財政改革推進委員会"
DONE, IN_PROGRESS, NOT_YET, DECLINED, UNANSWERED = (
    ResponseStatus.DONE, ResponseStatus.IN_PROGRESS, ResponseStatus.NOT_YET, ResponseStatus.DECLINED,
    ResponseStatus.UNANSWERED)

# Given on the 2023 report, numbered in the order the committee spoke, not in the charter's order.
ON_2101 = Opinion("2023-01", 2023, 1, "2101", "05", "AI-OCRの効果を数値で示すこと。")
ON_1101 = Opinion("2023-02", 2023, 2, "1101", "01", "情報発信の効果を検証すること。")
GENERAL_1 = Opinion("2023-03", 2023, 3, GENERAL, "07", "計画全体の進捗を市民に分かりやすく示すこと。")
ON_2302 = Opinion("2023-04", 2023, 4, "2302", "18", "返礼品の構成を見直すこと。")      # 商工課 never returns
ON_1201 = Opinion("2023-05", 2023, 5, "1201", "01", "市長との対話集会を毎月開くこと。")
ON_1102 = Opinion("2024-01", 2024, 1, "1102", "01", "情報公開の請求をオンラインでできるようにすること。")
ON_2201 = Opinion("2025-01", 2025, 1, "2201", "05", "電子申請の利用率を公表すること。")   # asked from 2026

PRACTICES_2023 = [
    GoodPractice(2023, 1, "2101-02", "定型業務の自動化で、他課にも広げられる。"),
    GoodPractice(2023, 2, "1201-01", "市民の声を施策に反映する仕組みとして参考になる。"),
]

RESPONSES = {
    2024: [
        Response("2023-01", 2024, "05", IN_PROGRESS, "検討会を設置し、効果の測り方を整理した。"),
        Response("2023-02", 2024, "01", DONE, "アクセス数の分析を始め、発信内容に反映した。"),
        Response("2023-03", 2024, "07", NOT_YET, "来年度に検討する。"),
        Response("2023-04", 2024, "18", UNANSWERED, ""),
        Response("2023-05", 2024, "01", DECLINED, "職員体制から毎月の開催は難しく、年2回とする。"),
    ],
    2025: [
        Response("2023-01", 2025, "05", DONE, "手順書を作成し、削減時間を年度ごとに公表した。"),
        Response("2023-03", 2025, "07", IN_PROGRESS, "報告書の概要版を作成している。"),
        Response("2024-01", 2025, "01", NOT_YET, "システムの改修費を次年度予算で要求する。"),
        # 2023-04: no record at all this year
    ],
}


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    """(plan, config, store): three collected years, the committee's registers on 2023, 2024 and 2025."""
    root = tmp_path_factory.mktemp("loop")
    config_path = F.write_config(root)
    plan = F.plan()
    config = F.config(root)
    store = Store(config.store_path)
    store.replace_year(F.year_record(plan, 2023))
    for year in (2024, 2025):
        record = dataclasses.replace(F.year_record(plan, 2024), fiscal_year=year,
                                     responses=[(r, f"sha-{r.department_code}") for r in RESPONSES[year]])
        store.replace_year(record)
    store.replace_opinions(2023, [ON_2101, ON_1101, GENERAL_1, ON_2302, ON_1201], PRACTICES_2023,
                           file_name="r2023.xlsx", sha256="x")
    store.replace_opinions(2024, [ON_1102], [], file_name="r2024.xlsx", sha256="y")
    store.replace_opinions(2025, [ON_2201], [], file_name="r2025.xlsx", sha256="z")
    yield plan, config, store, config_path
    store.close()


def report(plan, config, year: int):
    return Document(io.BytesIO(F.docx_of(plan, config, year, TODAY)))


@pytest.fixture(scope="module")
def report_2024(loop):
    plan, config, store, _ = loop
    return report(plan, config, 2024)


@pytest.fixture(scope="module")
def report_2025(loop):
    plan, config, store, _ = loop
    return report(plan, config, 2025)


def table(document, first_header: str) -> list[list[str]]:
    for t in document.tables:
        if t.rows[0].cells[0].text == first_header:
            return [[c.text for c in row.cells] for row in t.rows[1:]]
    raise AssertionError(f"no table headed {first_header}")


def opinion_rows(document) -> list[list[str]]:
    return table(document, "意見番号")


def group(text: str) -> list[str]:
    """An action item's row over its opinions: one cell across the table."""
    return [text] * 7


def paragraphs(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def chapter(document) -> list[str]:
    """The paragraphs of the last chapter, from its heading on."""
    texts = paragraphs(document)
    return texts[texts.index("5 委員会意見への対応"):]


# --- the report ---------------------------------------------------------------------------------------

def test_report__every_opinion_asked_with_the_years_status_and_answer__grouped_in_charter_order(report_2024):
    assert opinion_rows(report_2024) == [
        group("全般 計画全体"),
        ["2023-03", "2023年度", "行政経営課", GENERAL_1.text, "未対応", "来年度に検討する。", "−"],
        group("1101 市民ニーズに応じた情報提供"),
        ["2023-02", "2023年度", "協働まちづくり課", ON_1101.text, "対応済", "アクセス数の分析を始め、発信内容に反映した。", "−"],
        group("1201 対話による広聴活動の充実"),
        ["2023-05", "2023年度", "協働まちづくり課", ON_1201.text, "対応しない",
         "職員体制から毎月の開催は難しく、年2回とする。", "−"],
        group("2101 効果的な行政運営"),
        ["2023-01", "2023年度", "情報政策課", ON_2101.text, "対応中", "検討会を設置し、効果の測り方を整理した。", "−"],
        group("2302 ふるさと納税・クラウドファンディングの活用"),
        ["2023-04", "2023年度", "商工課", ON_2302.text, "回答なし", "−", "−"],
    ]


def test_report__counts_by_status_and_how_many_stay_open(report_2024):
    text = chapter(report_2024)
    assert ("2024年度の対応状況は、対応済 1件、対応中 1件、未対応 1件、対応しない 1件、回答なし 1件です。"
            "対応済・対応しないの2件を除く3件は、2025年度の調査票でも引き続き対応状況を尋ねます。") in text
    assert any("対応が完了していなかった5件について" in p for p in text)


def test_report__none_settled__no_clause_of_zero_settled_and_no_zero_counts(tmp_path):
    # 2024: two opinions asked, one 対応中 and one 未対応: nothing to take away, so no 「…の0件を除く2件」
    plan, config = F.plan(), F.config(tmp_path)
    store = Store(config.store_path)
    try:
        store.replace_year(F.year_record(plan, 2023))
        store.replace_year(dataclasses.replace(F.year_record(plan, 2024), responses=[
            (Response("2023-01", 2024, "05", IN_PROGRESS, "検討会を設置した。"), "sha-05"),
            (Response("2023-02", 2024, "01", NOT_YET, "来年度に検討する。"), "sha-01")]))
        store.replace_opinions(2023, [ON_2101, ON_1101], [], file_name="r2023.xlsx", sha256="x")
        text = chapter(report(plan, config, 2024))
    finally:
        store.close()
    assert ("2024年度の対応状況は、対応中 1件、未対応 1件です。"
            "これらの2件はいずれも、2025年度の調査票でも引き続き対応状況を尋ねます。") in text
    assert not any("0件" in p for p in text)


def test_report__an_open_opinion_is_asked_again_until_settled(report_2025):
    rows = opinion_rows(report_2025)
    ids = [r[0] for r in rows if r[0] != r[1]]
    # settled in 2024 (2023-02 対応済, 2023-05 対応しない): gone; given on the 2025 report (2025-01): not yet asked
    assert ids == ["2023-03", "2024-01", "2023-01", "2023-04"]
    by_id = {r[0]: r for r in rows}
    assert by_id["2023-01"][4:] == ["対応済", "手順書を作成し、削減時間を年度ごとに公表した。",
                                    "2024年度 対応中：検討会を設置し、効果の測り方を整理した。"]
    assert by_id["2023-03"][4:] == ["対応中", "報告書の概要版を作成している。", "2024年度 未対応：来年度に検討する。"]
    assert by_id["2023-04"][4:] == ["回答なし", "−", "2024年度 回答なし"]      # no record this year either
    assert by_id["2024-01"][1:3] == ["2024年度", "協働まちづくり課"]
    assert group("1102 積極的な情報公開の推進") in rows
    assert ("2025年度の対応状況は、対応済 1件、対応中 1件、未対応 1件、回答なし 1件です。"   # no 対応しない 0件
            "対応済・対応しないの1件を除く3件は、計画期間の最終年度を終えても対応が完了していません。"
            "次の計画での扱いを検討します。") in chapter(report_2025)      # 2025 is the plan's last year: no 2026 workbook


def test_report__good_practices_named_on_the_previous_years_report(report_2024, report_2025):
    assert table(report_2024, "取組番号") == [
        ["2101-02", "【DX】AI-OCR、RPAを活用した業務の効率化", "情報政策課ほか", PRACTICES_2023[0].reason],
        ["1201-01", F.plan().initiative_by_id["1201-01"].display_text, "協働まちづくり課", PRACTICES_2023[1].reason],
    ]
    text = chapter(report_2024)
    assert text[text.index("(2) 優良事例（庁内で共有した取組）") + 1].endswith("全部署に共有した取組（2件）です。")
    assert f"2024年度の報告に対して、{COMMITTEE}が優良事例として紹介した取組はありません。" in chapter(report_2025)


def test_report__the_last_chapter_after_the_indicator_list(report_2024):
    headings = [(p.style.name, p.text) for p in report_2024.paragraphs if p.style.name.startswith("Heading")]
    level1 = [t for s, t in headings if s == "Heading 1"]
    assert level1[-3:-1] == ["4 各取組項目の参考指標一覧", "5 委員会意見への対応"]   # then 6 計画期間の推移
    assert headings[-6:-4] == [("Heading 2", "(1) 委員会意見への対応状況"),
                               ("Heading 2", "(2) 優良事例（庁内で共有した取組）")]
    assert any("5 委員会意見への対応に示します" in p for p in paragraphs(report_2024))   # 1(2) points to it


def test_report__no_opinion_yet__says_so(filled_store):
    plan, config, store = filled_store
    text = chapter(report(plan, config, 2024))
    assert f"2023年度までの報告に対する{COMMITTEE}の意見はないため、対応状況の報告はありません。" in text
    assert f"2023年度の報告に対して、{COMMITTEE}が優良事例として紹介した取組はありません。" in text


def test_report__every_opinion_settled_earlier__says_none_was_asked(tmp_path):
    plan, config = F.plan(), F.config(tmp_path)
    store = F.filled_store(config.store_path, plan, years=(2024,))
    store.replace_opinions(2023, [ON_1101], [], file_name="r.xlsx", sha256="x")
    store.db.execute("INSERT INTO opinion_responses VALUES (?,?,?,?,?,?)",
                     (2023, ON_1101.id, "01", "done", "対応した。", "sha"))   # an earlier year's answer
    store.db.commit()
    document = report(plan, config, 2024)
    assert any(p.startswith(f"2023年度までの報告に対する{COMMITTEE}の意見1件は、いずれも") for p in chapter(document))
    assert not [t for t in document.tables if t.rows[0].cells[0].text == "意見番号"]
    store.close()


def test_report__same_store_and_date_give_the_same_bytes(loop):
    plan, config, store, _ = loop
    assert F.docx_of(plan, config, 2025, TODAY) == F.docx_of(plan, config, 2025, TODAY)


# --- the status screen --------------------------------------------------------------------------------

def test_status__asked_answered_settled_open_and_per_department(loop):
    plan, config, store, _ = loop
    opinions = year_status(plan, config, store, 2024, TODAY).opinions
    assert (opinions.asked, opinions.answered, opinions.settled, opinions.still_open) == (5, 4, 2, 3)
    assert [(d.code, d.name, d.asked, d.answered, d.still_open) for d in opinions.departments] == [
        ("01", "協働まちづくり課", 2, 2, 0), ("05", "情報政策課", 1, 1, 1), ("07", "行政経営課", 1, 1, 1),
        ("18", "商工課", 1, 0, 1)]
    later = year_status(plan, config, store, 2025, TODAY).opinions
    assert (later.asked, later.answered, later.settled, later.still_open) == (4, 3, 1, 3)
    assert "計画期間の最終年度のため、未完了のまま残る意見 3 件。" in later.lines()[2]       # no 2026 workbook asks


def test_status__the_command_prints_the_opinions(loop):
    _plan, _config, _store, config_path = loop
    result = CliRunner().invoke(main, ["--config", str(config_path), "status", "--year", "2024",
                                       "--today", "2025-05-21"])
    assert result.exit_code == 1, result.output      # 商工課 has not returned
    lines = result.output.splitlines()
    start = lines.index("委員会意見への対応（2024年度の調査票で尋ねた意見）")
    assert lines[start + 1] == ("尋ねた意見 5 件: 回答 4 件、回答なし 1 件。対応済・対応しないで完了 2 件、"
                                "2025年度も尋ねる意見 3 件。")
    rows = {line.split()[0]: line.split()[1:] for line in lines[start + 3:]}
    assert rows == {"01": ["協働まちづくり課", "2", "2", "0"], "05": ["情報政策課", "1", "1", "1"],
                    "07": ["行政経営課", "1", "1", "1"], "18": ["商工課", "1", "0", "1"]}


def test_status__no_opinion_ever_given__shows_nothing_of_them(filled_store):
    plan, config, store = filled_store
    state = year_status(plan, config, store, 2024, TODAY)
    assert state.opinions is None
    assert not [line for line in state.lines() if "委員会意見" in line]
