"""The Word report: its text from a filled store, its typography in the XML, determinism, LibreOffice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import secrets
import subprocess
import zipfile

import pikepdf
import pytest
from click.testing import CliRunner
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from pipeline import office
from pipeline.cli import main
from pipeline.errors import UsageError
from pipeline.report import achievement as A
from pipeline.report.document import TOC_INSTRUCTION
from pipeline.report.overview import NOT_SUBMITTED
from pipeline.report.style import reference_bytes
from pipeline.report.texts import rate_text
from pipeline.report.usecase import make_report, report_file_name
from pipeline.vocabulary import PENDING_SENT_BACK_CELL
from tests import report_fixtures as F
from tests.office_support import requires_office

YEAR = 2024
TODAY = dt.date(2025, 6, 20)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def text(document) -> str:
    """Every paragraph and every table cell, in document order (merged cells once)."""
    parts = []
    body = document.element.body
    for p in body.iter(f"{W}p"):
        parts.append("".join(t.text or "" for t in p.iter(f"{W}t")))
    return "\n".join(parts)


def part(docx: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        return z.read(name).decode("utf-8")


def parts(docx: bytes, prefix: str) -> str:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist()
                       if n.startswith(prefix) and n.endswith((".xml", ".rels")))      # not the charts' pictures


# --- the text ---------------------------------------------------------------------------------------

def test_cover__title_year_city_date(document):
    first = [p.text for p in document.paragraphs[:14] if p.text]
    assert first[:2] == ["第3次伊豆の国市行財政改革大綱 後期行動計画\n進捗状況報告書", "令和6年度（2024年度）実績"]
    assert "令和7年6月20日（2025年6月20日）" in first
    assert "伊豆の国市" in first


def test_body__follows_the_charter_numbering(document):
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    level1 = [t for s, t in headings if s == "Heading 1"]
    assert [t.split(" ")[0] for t in level1] == ["1", "2", "3", "4", "5", "6"]   # the charter's 1-4, then the report's own
    assert level1[1:] == ["2 計画の体系", "3 具体的な取組", "4 各取組項目の参考指標一覧", "5 委員会意見への対応",
                          "6 計画期間の推移（2024年度まで）"]
    level3 = [t for s, t in headings if s == "Heading 3"]
    assert level3 == [p.label for p in F.plan().pillars]
    assert "(1) 市民へのアプローチ" in [t for s, t in headings if s == "Heading 2"]


def test_text__every_item_initiative_and_indicator(text):
    plan = F.plan()
    for item in plan.items:
        assert f"{item.code} {item.title}" in text
        for line in item.outcomes + item.issues:
            assert line in text
    for ini in plan.initiatives:
        assert ini.display_text in text, ini.id
    for ind in plan.indicators:
        assert ind.name in text
    assert text.count("【DX】") >= 27


def test_text__indicator_figures(document):
    rows = {cells[0]: cells for cells in table_rows(document, "管理番号", "参考指標")}
    assert rows["1101"][3:] == ["6,794件", "9,000件", "−", "7,000件", "7,500件", "32.0%", "要努力", ""]
    assert rows["2101"][3] == "*3件"
    assert rows["1301"][3] == "-"
    assert rows["2103"][4] == "延べ3回"
    assert rows["2103"][8:] == ["66.7%", "要努力", "延べ: 累計 2回"]
    assert rows["2401"][4] == "減少" and rows["2401"][9] == "達成"
    assert rows["2104"][7] == "−" and rows["2104"][8] == "40.0%"        # 2024 missing: 2023 used
    assert rows["2302"][6:10] == [NOT_SUBMITTED, NOT_SUBMITTED, "−", NOT_SUBMITTED]


def table_rows(document, *first_headers: str) -> list[list[str]]:
    for table in document.tables:
        head = [c.text for c in table.rows[0].cells]
        if list(head[:len(first_headers)]) == list(first_headers) or (
                head[0] == first_headers[0] and first_headers[-1] in head):
            return [[c.text for c in row.cells] for row in table.rows[1:]]
    raise AssertionError(f"no table headed {first_headers}")


def test_text__per_item_indicator_block(text):
    assert "公式LINE登録者数\n6,794件\n9,000件\n7,500件\n32.0%\n要努力" in text
    assert "2024年度の見込みの達成率 75%" in text


def test_missing_return__reads_未提出_never_blank(document, text):
    roster = dict(row[:2] for row in table_rows(document, "部署", "提出状況"))
    assert roster["商工課"] == NOT_SUBMITTED
    assert roster["福祉事務所"] == PENDING_SENT_BACK_CELL     # the reason on a line of its own
    assert roster["協働まちづくり課"] == "提出済み"
    # 2302 (lead 商工課): its initiative, its 自己評価
    assert "商工課\n未提出\n調査票が提出されていません。" in text
    assert "未提出\n商工課の調査票が提出されていません。" in text
    # 福祉事務所's shared initiatives in 2101
    assert text.count("福祉事務所\n未確定\n調査票に誤りがあり差し戻し中") == 2
    # the one empty row of a returned workbook
    assert "総務管財課\n未回答\nこの取組の回答がありません。" in text


def test_system_table__every_item_with_its_grade(document):
    rows = table_rows(document, "取組方針", "柱")
    assert [r[2] for r in rows] == [i.code for i in F.plan().items]
    grades = {r[2]: r[4] for r in rows}
    assert grades["1101"] == "S" and grades["1102"] == "A" and grades["2302"] == NOT_SUBMITTED
    assert rows[0][0] == "(1) 市民へのアプローチ" and rows[0][1] == "1-1 わかりやすい情報提供"


def test_overview__counts_with_change_from_previous_year(document):
    grade_rows = table_rows(document, "柱", "S")
    total = next(r for r in grade_rows if r[0] == "合計")
    # 2024: 16 items graded S,A,B,C cyclically but 2302 (missing) → S 5, A 3, B 4, C 4, 未提出 1
    assert total[1:] == ["5\n(+5)", "3\n(▲1)", "4\n(▲4)", "4\n(±0)", "1\n(±0)", "0\n(±0)", "17\n(±0)"]
    progress_rows = table_rows(document, "柱", "完了")
    assert next(r for r in progress_rows if r[0] == "合計")[-1] == "62\n(±0)"


def test_return_texts__stay_inert_text(docx_bytes, text):
    assert F.HYPERLINK in text
    assert F.DDE in text
    assert F.URL in text
    assert F.CONTROL_CLEAN in text and "\x07" not in text
    xml = parts(docx_bytes, "word/")
    assert "w:hyperlink" not in xml
    assert "fldSimple" not in xml
    instructions = re.findall(r"<w:instrText[^>]*>([^<]*)</w:instrText>", part(docx_bytes, "word/document.xml"))
    assert [i.strip() for i in instructions] == [TOC_INSTRUCTION]


# --- typography in the XML ----------------------------------------------------------------------

def test_fonts__east_asian_font_set_without_theme_fonts(docx_bytes):
    styles = part(docx_bytes, "word/styles.xml")
    assert 'w:eastAsia="游明朝"' in styles and 'w:eastAsia="游ゴシック"' in styles
    assert "Theme=" not in styles                       # no asciiTheme / eastAsiaTheme …
    assert 'w:eastAsia="ja-JP"' in styles


def test_page__a4_portrait_then_landscape_for_the_indicator_list(document):
    first, last = document.sections[0], document.sections[-1]
    assert (first.page_width.mm, first.page_height.mm) == pytest.approx((210, 297), abs=0.1)
    assert (last.page_width.mm, last.page_height.mm) == pytest.approx((297, 210), abs=0.1)
    assert first.left_margin.mm == pytest.approx(25, abs=0.1)
    assert first.different_first_page_header_footer       # no page number on the cover
    assert not last.different_first_page_header_footer


def test_fields__page_numpages_in_footer_toc_in_body(docx_bytes):
    footers = parts(docx_bytes, "word/footer")
    assert "PAGE" in footers and "NUMPAGES" in footers and " / " in footers
    document = part(docx_bytes, "word/document.xml")
    assert document.count('w:fldCharType="begin"') == 1 == document.count('w:fldCharType="end"')
    assert 'TOC \\o "1-3" \\h \\z \\u' in document
    assert '<w:updateFields w:val="true"/>' in part(docx_bytes, "word/settings.xml")


def test_tables__first_row_repeats_on_every_page(document):
    assert len(document.tables) > 50
    for table in document.tables:
        if len(table.rows) > 1:
            tr_pr = table.rows[0]._tr.trPr
            assert tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None


def test_tables__label_cells_shaded_like_the_charter(document):
    item_table = next(t for t in document.tables if t.rows[0].cells[0].text == "管理番号"
                      and t.rows[0].cells[2].text == "取組項目")
    fills = [cell_fill(c) for c in item_table.rows[0].cells]
    assert fills == ["D9D9D9", None, "D9D9D9", None, "D9D9D9", None]
    assert cell_fill(item_table.rows[1].cells[0]) == "D9D9D9"


def cell_fill(cell) -> str | None:
    shd = cell._tc.tcPr.find(qn("w:shd")) if cell._tc.tcPr is not None else None
    return None if shd is None else shd.get(qn("w:fill"))


def test_headings__use_the_styles_the_toc_collects(docx_bytes):
    styles = part(docx_bytes, "word/styles.xml")
    for level in (1, 2, 3):
        block = re.search(rf'w:styleId="Heading{level}".*?</w:style>', styles).group(0)
        assert f'<w:outlineLvl w:val="{level - 1}"/>' in block


# --- determinism and the reference ----------------------------------------------------------------

def test_determinism__same_store_same_bytes(filled_store, docx_bytes):
    plan, config, store = filled_store
    assert F.docx_of(plan, config, YEAR, TODAY) == docx_bytes
    props = part(docx_bytes, "docProps/core.xml")
    assert "2025-06-20T09:00:00Z" in props and "revision" not in props


def test_determinism__reference_file_is_reproducible():
    assert reference_bytes() == reference_bytes()


def test_reference__missing_file_falls_back_to_builtin_styles(filled_store, docx_bytes, tmp_path):
    plan, config, store = filled_store
    missing = dataclasses.replace(config, report_reference=tmp_path / "none.docx")
    data = F.docx_of(plan, missing, YEAR, TODAY)
    assert part(data, "word/styles.xml") == part(docx_bytes, "word/styles.xml")


def test_reference__a_restyled_reference_is_used(filled_store, tmp_path):
    plan, config, store = filled_store
    ref = Document(io.BytesIO(reference_bytes()))
    ref.styles["表本文"].font.size = Pt(10)
    path = tmp_path / "ref.docx"
    ref.save(path)
    data = F.docx_of(plan, dataclasses.replace(config, report_reference=path), YEAR, TODAY)
    assert '<w:sz w:val="20"/>' in part(data, "word/styles.xml")


def test_reference__saved_by_libreoffice_or_missing_a_style(filled_store, tmp_path):
    # LibreOffice writes built-in names capitalised ("Heading 1", "TOC 1"); a user may delete a style
    plan, config, store = filled_store
    with zipfile.ZipFile(io.BytesIO(reference_bytes())) as z:
        members = {n: z.read(n) for n in z.namelist()}
    styles = members["word/styles.xml"].decode("utf-8")
    styles = re.sub(r'w:val="(heading|toc) (\d)"', lambda m: f'w:val="{m[1].capitalize()} {m[2]}"', styles)
    styles = re.sub(r'<w:style [^>]*w:styleId="Note".*?</w:style>', "", styles)
    assert '"Heading 1"' in styles and "注記" not in styles
    members["word/styles.xml"] = styles.encode("utf-8")
    path = tmp_path / "edited.docx"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    doc = Document(io.BytesIO(F.docx_of(plan, dataclasses.replace(config, report_reference=path),
                                           YEAR, TODAY)))
    names = {p.style.name for p in doc.paragraphs}
    assert {"Heading 1", "Heading 3", "注記"} <= names


def test_year__outside_the_plan_or_not_collected(filled_store):
    plan, config, store = filled_store
    with pytest.raises(UsageError, match="計画期間"):
        F.docx_of(plan, config, 2030, TODAY)
    with pytest.raises(UsageError, match="make collect YEAR=2025"):
        F.docx_of(plan, config, 2025, TODAY)


def test_first_collected_year__no_change_column(filled_store, tmp_path):
    plan, config, _store = filled_store
    config = dataclasses.replace(config, store_path=tmp_path / "one.sqlite", output_dir=tmp_path / "output")
    store = F.filled_store(config.store_path, plan, years=(2024,))
    doc = Document(io.BytesIO(F.docx_of(plan, config, YEAR, TODAY)))
    total = next(r for r in table_rows(doc, "柱", "S") if r[0] == "合計")
    assert total[1:] == ["5", "3", "4", "4", "1", "0", "17"]
    store.close()


# --- writing the folder, the command line, LibreOffice -------------------------------------------

def test_write_report__without_office__docx_xlsx_csv(filled_store, tmp_path):
    plan, config, store = filled_store
    config = dataclasses.replace(config, output_dir=tmp_path / "out")
    result = make_report(plan, config, YEAR, TODAY, use_office=False)
    assert [p.relative_to(tmp_path / "out" / "2024").as_posix() for p in result.paths] == [
        "進捗状況報告書_R06_2024年度.docx", "参考指標一覧_R06_2024年度.xlsx", "参考指標一覧_R06_2024年度.csv",
        "web/index.html"]
    assert result.docx.read_bytes() == F.docx_of(plan, config, YEAR, TODAY)
    assert not list(result.folder.glob(".*.tmp"))


def test_write_report__missing_reference_is_a_warning(filled_store, tmp_path):
    plan, config, store = filled_store
    config = dataclasses.replace(config, output_dir=tmp_path / "out", report_reference=tmp_path / "gone.docx")
    result = make_report(plan, config, YEAR, TODAY, use_office=False)
    assert result.docx.exists()
    assert any("gone.docx" in w for w in result.warnings)


def test_cli__report_command(tmp_path):
    config_path = F.write_config(tmp_path)
    plan = F.plan()
    F.filled_store(tmp_path / "output" / "progress.sqlite", plan).close()
    result = CliRunner().invoke(main, ["--config", str(config_path), "report", "--year", "2024",
                                       "--date", "2025-06-20", "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert report_file_name(2024) in result.output
    assert (tmp_path / "output" / "2024" / report_file_name(2024)).exists()


def test_cli__report_without_store_is_a_clear_error(tmp_path):
    config_path = F.write_config(tmp_path)
    result = CliRunner().invoke(main, ["--config", str(config_path), "report", "--year", "2024", "--no-pdf"])
    assert result.exit_code == 2
    assert "collect" in result.output
    assert not (tmp_path / "output" / "progress.sqlite").exists()


@requires_office("pdftotext")
def test_libreoffice__toc_filled_and_pdf_written(filled_store, tmp_path):
    plan, config, store = filled_store
    config = dataclasses.replace(config, output_dir=tmp_path / "out")
    result = make_report(plan, config, YEAR, TODAY)
    assert result.warnings == []
    assert result.pdf is not None and result.pdf.exists() and result.toc_filled
    pdf_text = subprocess.run(["pdftotext", "-layout", str(result.pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
    for heading in ("目次", "計画の体系", "具体的な取組", "各取組項目の参考指標一覧", "1-1 わかりやすい情報提供"):
        assert heading in pdf_text
    for item in plan.items:
        assert item.code in pdf_text
    assert re.search(r"2 計画の体系\.+\s*\d+", pdf_text)           # the TOC has page numbers
    assert re.search(r"\d+ / \d+", pdf_text)                       # the footer
    doc = Document(result.docx)
    toc = [p.text for p in doc.paragraphs if p.style.name.startswith("toc")]
    assert toc[0].startswith("1 ") and re.search(r"\t\d+$", toc[0])
    assert len(toc) == 28          # 6 chapters, 14 sections, 8 pillars
    assert not list(result.folder.glob(".*.tmp"))
    # the web page links the PDF made, copied beside it
    assert (result.folder / "web" / result.pdf.name).read_bytes() == result.pdf.read_bytes()
    assert 'href="%E9%80%B2%E6%8D%97%E7%8A%B6%E6%B3%81%E5%A0%B1%E5%91%8A%E6%9B%B8_R06_2024%E5%B9%B4%E5%BA%A6.pdf"' \
        in result.web.read_text(encoding="utf-8")
    again = make_report(plan, dataclasses.replace(config, output_dir=tmp_path / "again"), YEAR, TODAY)
    assert again.pdf.read_bytes() == result.pdf.read_bytes()      # the same store and date, the same bytes
    assert again.docx.read_bytes() == result.docx.read_bytes()
    assert again.web.read_bytes() == result.web.read_bytes()


def test_libreoffice__failure_leaves_the_docx_and_warns(filled_store, tmp_path, monkeypatch):
    plan, config, store = filled_store
    config = dataclasses.replace(config, output_dir=tmp_path / "out")

    class Broken:
        def update_and_export(self, docx, pdf, *, timeout):
            raise office.OfficeError("テスト用の失敗")

    monkeypatch.setattr(office, "find_office", lambda: Broken())
    stale = config.output_for(YEAR) / report_file_name(YEAR, ".pdf")
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    result = make_report(plan, config, YEAR, TODAY)
    assert result.docx.exists() and result.pdf is None and not stale.exists()
    assert any("テスト用の失敗" in w for w in result.warnings)


class _ClockStampingOffice:
    """Stands in for LibreOffice: writes a PDF stamped with the clock's time and a random ID, as soffice does,
    or (with `garbage`) a file that is not a PDF at all."""

    def __init__(self, garbage: bool = False) -> None:
        self.garbage = garbage

    def update_and_export(self, docx, pdf, *, timeout):
        if self.garbage:
            pdf.write_bytes(b"%PDF-1.7 this is not a pdf")
            return []
        with pikepdf.new() as made:
            made.add_blank_page()
            made.docinfo["/CreationDate"] = dt.datetime.now().strftime("D:%Y%m%d%H%M%S.%f")
            made.trailer["/DocChecksum"] = pikepdf.Name("/" + secrets.token_hex(16).upper())
            made.save(pdf, static_id=False)
        return []


def test_pdf__same_store_and_date_give_the_same_bytes_whatever_the_clock(filled_store, tmp_path, monkeypatch):
    plan, config, store = filled_store
    monkeypatch.setattr(office, "find_office", lambda: _ClockStampingOffice())
    made = []
    for run in ("a", "b"):
        result = make_report(plan, dataclasses.replace(config, output_dir=tmp_path / run), YEAR, TODAY)
        made.append(result.pdf.read_bytes())
    assert made[0] == made[1]
    with pikepdf.open(io.BytesIO(made[0])) as pdf:
        assert str(pdf.docinfo["/CreationDate"]).startswith("D:20250620")      # the report's date, not the clock's
        assert "/DocChecksum" not in pdf.trailer and "/ModDate" not in pdf.docinfo


def test_pdf__that_cannot_be_read_is_a_warning_and_no_pdf(filled_store, tmp_path, monkeypatch):
    plan, config, store = filled_store
    monkeypatch.setattr(office, "find_office", lambda: _ClockStampingOffice(garbage=True))
    result = make_report(plan, dataclasses.replace(config, output_dir=tmp_path / "out"), YEAR, TODAY)
    assert result.pdf is None and result.docx.exists()
    assert not list(result.folder.glob("*.pdf")) and not list(result.folder.glob(".*"))
    assert any("PDF" in w for w in result.warnings)


def test_judgements__listed_in_the_report(text):
    for label, meaning in A.JUDGEMENTS:
        assert label in text and meaning in text
    for line in A.METHOD:
        assert line in text


@pytest.mark.parametrize(("actual", "text"), [(7500, "32.0%"), (9000, "100.0%"), (6242.4, "▲25.0%")])
def test_rate_text__one_decimal_and_the_japanese_minus(actual, text):
    # (6242.4 − 6794) ÷ (9000 − 6794) = −551.6 ÷ 2206 = −25.0
    result = A.assess(F.plan().item_by_code["1101"].indicator, {2024: actual}, 2024, first_year=2022)
    assert rate_text(result) == text
