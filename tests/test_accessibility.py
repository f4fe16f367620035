"""A report everyone can read (JIS X 8341-3 / WCAG 2.x AA for what the city publishes): the .docx and the
PDF LibreOffice makes of it.

The .docx: headings only through the heading styles, one level at a time; every table's first row a header
row; every picture with alternative text, inline; the title and the Japanese language set; no cell that
says something by its colour alone. The PDF: tagged (headings, tables with header cells, figures with /Alt),
its title shown in the viewer's title bar, its language Japanese, bookmarks from the headings, fonts embedded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import struct
import subprocess
import zipfile
import zlib

import pikepdf
import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from pipeline import office
from pipeline.files import made_on, stamped_pdf
from pipeline.report import style as RS
from pipeline.report.builder import DocumentBuilder
from pipeline.report.document import REPORT_NAME
from pipeline.report.usecase import make_report
from tests.office_support import requires_office

YEAR = 2024
TODAY = dt.date(2025, 6, 20)
HEADING = re.compile(r"heading ([1-9])", re.IGNORECASE)
CHAPTER = re.compile(r"[1-9]\d* \S")          # "1 …", "2 計画の体系", as the charter numbers its chapters
ALLOWED_BOLD_STYLES = {"title", "toc heading", RS.CAPTION.casefold()}   # besides the headings


def png(width: int, height: int) -> bytes:
    """A plain PNG of `width` × `height` pixels (as a chart's picture is), made without an image library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x1f\x4e\x79" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def heading_level(p) -> int | None:
    match = HEADING.fullmatch(p.style.name if p.style is not None else "")
    return int(match.group(1)) if match else None


def headings(document) -> list[tuple[int, str]]:
    """(level, text) of every heading paragraph, in document order."""
    found = []
    for p in document.paragraphs:
        level = heading_level(p)
        if level is not None:
            found.append((level, p.text))
    return found


def compact(text: str) -> str:
    return "".join(str(text).split())


# --- the .docx: headings ------------------------------------------------------------------------------

def test_headings__heading_styles_in_order_no_level_skipped(document):
    found = headings(document)
    assert found and found[0][0] == 1
    previous = 0
    for level, text in found:
        assert 1 <= level <= 4, text
        assert level <= previous + 1, f"見出し「{text}」はレベル{previous}の次にレベル{level}"
        previous = level
    chapters = [text for level, text in found if level == 1]
    assert len(chapters) >= 5 and all(CHAPTER.match(t) for t in chapters)
    assert [t.split()[0] for t in chapters] == [str(n) for n in range(1, len(chapters) + 1)]


def test_headings__only_heading_styles_carry_an_outline_level(document):
    # a paragraph given an outline level by hand would be a heading to the PDF and the TOC without its style
    for p in document.paragraphs:
        if heading_level(p) is None:
            assert p._p.pPr is None or p._p.pPr.find(qn("w:outlineLvl")) is None, p.text


def test_headings__no_bold_paragraph_poses_as_a_heading(document):
    body = document.element.body
    assert body.xpath(".//w:r/w:rPr/w:b | .//w:pPr/w:rPr/w:b") == []     # no bold by direct formatting
    styles = document.styles.element

    def bold(style) -> bool:
        while style is not None:
            b = style.find(f"{qn('w:rPr')}/{qn('w:b')}")
            if b is not None:
                return b.get(qn("w:val"), "true") not in ("0", "false", "off")
            based_on = style.basedOn_val
            style = styles.get_by_id(based_on) if based_on else None
        return False

    used = {styles.get_by_id(i) for i in set(body.xpath(".//w:pPr/w:pStyle/@w:val"))}
    bold_styles = {s.name_val for s in used
                   if s is not None and bold(s) and not HEADING.fullmatch(s.name_val)}
    assert bold_styles and {n.casefold() for n in bold_styles} <= ALLOWED_BOLD_STYLES


def test_headings__the_builder_refuses_a_skipped_level():
    builder = DocumentBuilder(RS.reference_bytes())
    with pytest.raises(ValueError):
        builder.heading("(1) 章のない節", 2)
    builder.heading("1 章", 1)
    builder.heading("(1) 節", 2)
    with pytest.raises(ValueError):
        builder.heading("1101 柱のない取組項目", 4)
    builder.heading("1-1 柱", 3)
    builder.heading("1101 取組項目", 4)
    with pytest.raises(ValueError):
        builder.heading("見出し5", 5)
    builder.heading("2 次の章", 1)


# --- the .docx: tables, pictures, reading order, colour --------------------------------------------------

def test_tables__every_table_first_row_is_a_header_row(document):
    tables = document.element.body.xpath(".//w:tbl")
    assert len(tables) > 50
    for tbl in tables:
        rows = tbl.xpath("./w:tr")
        marked = [bool(tr.xpath("./w:trPr/w:tblHeader")) for tr in rows]
        assert marked[0], "".join(tbl.xpath(".//w:t/text()"))[:60]
        # header rows are the first ones, one after the other (Word ignores a header row below a body row)
        assert marked == sorted(marked, reverse=True)


def test_reading_order__no_floating_pictures_text_boxes_or_frames(document):
    body = document.element.body
    assert body.xpath(".//wp:anchor") == []
    assert body.xpath(".//w:txbxContent | .//w:pict | .//w:framePr") == []
    assert body.xpath(".//*[local-name()='AlternateContent']") == []      # mc:AlternateContent (shapes)


def test_pictures__every_picture_in_the_report_has_alt_text(document):
    for doc_pr in document.element.body.xpath(".//wp:docPr"):
        assert (doc_pr.get("descr") or "").strip(), doc_pr.get("name")


def test_colour__no_shaded_cell_says_something_by_its_colour_alone(document):
    # a shaded cell holds its words (a status is 未提出, not a colour); a header row's corner may be blank
    shaded = 0
    for tc in document.element.body.iter(qn("w:tc")):
        tc_pr = tc.tcPr
        shd = tc_pr.find(qn("w:shd")) if tc_pr is not None else None
        if shd is None or shd.get(qn("w:fill")) in (None, "auto", "FFFFFF"):
            continue
        shaded += 1
        if tc_pr.vMerge is not None and tc_pr.vMerge_val != "restart":
            continue                                 # continues a merged cell that holds the text
        if tc.getparent().xpath("./w:trPr/w:tblHeader"):
            continue                                 # a header row's shade says "header", as its TH does
        assert "".join(tc.xpath(".//w:t/text()")).strip(), "網掛けだけで文字のないセル"
    assert shaded > 100


def test_tables__never_two_in_a_row(document):
    # Word and LibreOffice join two tables with nothing between them into one, header row in the middle
    for tbl in document.element.body.xpath(".//w:tbl"):
        previous = tbl.getprevious()
        assert previous is None or previous.tag != qn("w:tbl")


def test_picture__helper_inserts_an_inline_picture_with_alt_text_and_title():
    builder = DocumentBuilder(RS.reference_bytes())
    builder.heading("1 章", 1)
    alt = "参考指標の達成率の推移を示す棒グラフ。2024年度は80.0%で、目標を達成しています。"
    p = builder.picture(png(60, 30), 12.0, alt, "達成率の推移")
    wide = builder.picture(png(60, 30), 40.0, "幅の広い図")
    doc = Document(io.BytesIO(builder.package(made_on(TODAY))))
    drawings = doc.element.body.xpath(".//w:drawing")
    assert len(drawings) == 2 and doc.element.body.xpath(".//wp:anchor") == []
    doc_pr = drawings[0].xpath("./wp:inline/wp:docPr")[0]
    assert doc_pr.get("descr") == alt and doc_pr.get("title") == "達成率の推移"
    assert drawings[0].xpath(".//pic:cNvPr")[0].get("descr") == alt
    assert drawings[1].xpath("./wp:inline/wp:docPr")[0].get("title") is None
    shapes = doc.inline_shapes
    assert shapes[0].width == 4320000 and shapes[0].height == 2160000          # 12 cm, in proportion
    section = doc.sections[-1]
    assert shapes[1].width == section.page_width - section.left_margin - section.right_margin
    assert p.tag == qn("w:p") and wide.tag == qn("w:p")
    assert doc.paragraphs[1].alignment == WD_ALIGN_PARAGRAPH.CENTER
    with zipfile.ZipFile(io.BytesIO(builder.package(made_on(TODAY)))) as z:
        assert len([n for n in z.namelist() if n.startswith("word/media/")]) == 1   # the same image once


@pytest.mark.parametrize("alt", ["", "   ", "\x07"])
def test_picture__without_alt_text_is_refused(alt):
    builder = DocumentBuilder(RS.reference_bytes())
    with pytest.raises(ValueError):
        builder.picture(png(4, 4), 5.0, alt, "題")


# --- the .docx: title and language ------------------------------------------------------------------

def doc_defaults_lang(document):
    return document.styles.element.find(
        f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")


def test_properties__title_set(document):
    title = document.core_properties.title
    assert REPORT_NAME in title and str(YEAR) in title


def test_language__japanese_with_latin_text_in_english_as_word_in_japan_writes_it(document):
    # East Asian text ja-JP; Latin-script text en-US, whose line breaking keeps a figure whole (a Latin
    # language of ja-JP lets LibreOffice split 「2025年度」 between two digits)
    lang = doc_defaults_lang(document)
    assert lang is not None
    assert lang.get(qn("w:eastAsia")) == "ja-JP" and lang.get(qn("w:val")) == "en-US"
    assert document.core_properties.language == "ja-JP"
    ref = Document(io.BytesIO(RS.reference_bytes()))
    assert doc_defaults_lang(ref).get(qn("w:eastAsia")) == "ja-JP"
    assert doc_defaults_lang(ref).get(qn("w:val")) == "en-US"


def _reference_with_styles(change) -> bytes:
    with zipfile.ZipFile(io.BytesIO(RS.reference_bytes())) as z:
        members = {n: z.read(n) for n in z.namelist()}
    styles = members["word/styles.xml"].decode("utf-8")
    changed = change(styles)
    assert changed != styles
    members["word/styles.xml"] = changed.encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("change", [
    lambda s: s.replace('<w:lang w:val="en-US" w:eastAsia="ja-JP"',
                        '<w:lang w:val="en-US" w:eastAsia="en-US"'),
    lambda s: s.replace('<w:lang w:val="en-US" w:eastAsia="ja-JP"',
                        '<w:lang w:val="ja-JP" w:eastAsia="ja-JP"'),
    lambda s: re.sub(r"<w:lang [^>]*/>", "", s),
    lambda s: re.sub(r"<w:docDefaults>.*?</w:docDefaults>", "", s),
    lambda s: re.sub(r'(w:styleId="Normal".*?)(</w:rPr></w:style>)', r'\1<w:lang w:val="en-US"/>\2', s,
                     count=1, flags=re.DOTALL),
], ids=["english", "japanese-latin", "no-lang", "no-docDefaults", "english-normal"])
def test_language__an_edited_reference_still_gives_a_japanese_document(change):
    builder = DocumentBuilder(_reference_with_styles(change))
    doc = Document(io.BytesIO(builder.package(made_on(TODAY))))
    lang = doc_defaults_lang(doc)
    assert lang.get(qn("w:val")) == "en-US" and lang.get(qn("w:eastAsia")) == "ja-JP"
    assert doc.styles.element.index(doc.styles.element.find(qn("w:docDefaults"))) == 0
    normal = doc.styles["Normal"].element
    assert all(lang.get(qn("w:eastAsia")) == "ja-JP" and lang.get(qn("w:val")) == "en-US"
               for lang in normal.xpath("./w:rPr/w:lang"))


# --- the PDF's post-processing (no LibreOffice needed) -----------------------------------------------------

def _bare_pdf(**root) -> bytes:
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        for key, value in root.items():
            pdf.Root[pikepdf.Name("/" + key)] = value
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def test_stamped_pdf__adds_language_and_title_display_where_missing():
    stamped = stamped_pdf(_bare_pdf(), made_on(TODAY))
    assert stamped == stamped_pdf(_bare_pdf(), made_on(TODAY))
    with pikepdf.open(io.BytesIO(stamped)) as pdf:
        assert str(pdf.Root.Lang) == "ja-JP"
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True


def test_stamped_pdf__keeps_the_viewer_preferences_the_pdf_already_says():
    made = _bare_pdf(ViewerPreferences=pikepdf.Dictionary(DisplayDocTitle=False, HideToolbar=True))
    with pikepdf.open(io.BytesIO(stamped_pdf(made, made_on(TODAY)))) as pdf:
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is False
        assert bool(pdf.Root.ViewerPreferences.HideToolbar) is True


def _tagged_pdf(document_language: str, run_languages: list[str | None]) -> bytes:
    """A PDF whose structure tree holds one paragraph of /Span elements, each with the /Lang given, as
    LibreOffice tags runs whose script's language differs from the document's."""
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        page = pdf.pages[0].obj
        spans = pikepdf.Array()
        for n, lang in enumerate(run_languages):
            span = pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Span, Pg=page,
                                      K=pikepdf.Dictionary(Type=pikepdf.Name.MCR, MCID=n, Pg=page))
            if lang:
                span.Lang = pikepdf.String(lang)
            spans.append(pdf.make_indirect(span))
        paragraph = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.P, K=spans))
        pdf.Root.StructTreeRoot = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.StructTreeRoot, K=pikepdf.Array([paragraph])))
        pdf.Root.Lang = pikepdf.String(document_language)
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def test_stamped_pdf__one_language_japanese_for_the_whole_text():
    # LibreOffice, from the .docx's Latin en-US and East Asian ja-JP: /Lang en-US and a ja-JP /Span per run
    made = _tagged_pdf("en-US", ["ja-JP", None, "ja-JP", "en-US"])
    with pikepdf.open(io.BytesIO(stamped_pdf(made, made_on(TODAY)))) as pdf:
        assert str(pdf.Root.Lang) == "ja-JP"
        spans = pdf.Root.StructTreeRoot.K[0].K
        assert len(spans) == 4 and all("/Lang" not in span for span in spans)


def test_office__pdf_options_ask_for_a_tagged_pdf_with_title_and_bookmarks():
    assert office.PDF_OPTIONS["UseTaggedPDF"] is True
    assert office.PDF_OPTIONS["DisplayPDFDocTitle"] is True
    assert office.PDF_OPTIONS["ExportBookmarks"] is True


# --- the PDF through LibreOffice -----------------------------------------------------------------------

@dataclasses.dataclass
class Structure:
    """The PDF's structure tree: the standard type of every element in reading order (custom types
    resolved through the RoleMap), and the /Alt of every figure."""

    types: list[str]
    figures: list[str]
    tables: list[list[list[str]]]       # per table, per row, the cells' types


def structure(pdf: pikepdf.Pdf) -> Structure:
    tree = pdf.Root.StructTreeRoot
    role_map = {str(k): str(v) for k, v in tree.get("/RoleMap", pikepdf.Dictionary()).items()}

    def standard(kind: str) -> str:
        seen = set()
        while kind in role_map and kind not in seen and role_map[kind] != kind:
            seen.add(kind)
            kind = role_map[kind]
        return kind

    found = Structure([], [], [])

    def kids(node):
        k = node.get("/K")
        if k is None:
            return []
        items = list(k) if isinstance(k, pikepdf.Array) else [k]
        return [i for i in items if isinstance(i, pikepdf.Dictionary) and "/S" in i]

    def walk(node) -> None:
        kind = standard(str(node.S))
        found.types.append(kind)
        if kind == "/Figure":
            found.figures.append(str(node.get("/Alt", "")))
        if kind == "/Table":
            rows = []
            for child in kids(node):
                sections = [child] if standard(str(child.S)) == "/TR" else kids(child)  # THead/TBody or TR
                for tr in sections:
                    if standard(str(tr.S)) == "/TR":
                        rows.append([standard(str(c.S)) for c in kids(tr)])
            found.tables.append(rows)
        for child in kids(node):
            walk(child)

    for top in (list(tree.K) if isinstance(tree.K, pikepdf.Array) else [tree.K]):
        walk(top)
    return found


def outline(pdf: pikepdf.Pdf) -> list[tuple[int, str]]:
    """(depth from 1, title) of every bookmark, depth first."""
    found = []

    def walk(items, depth):
        for item in items:
            found.append((depth, item.title))
            walk(item.children, depth + 1)

    with pdf.open_outline() as tree:
        walk(tree.root, 1)
    return found


@pytest.fixture(scope="module")
def report_pdf(filled_store, tmp_path_factory):
    """(the report's .docx as python-docx reads it, the PDF's path) made through LibreOffice."""
    plan, config, store = filled_store
    config = dataclasses.replace(config, output_dir=tmp_path_factory.mktemp("a11y"))
    result = make_report(plan, config, YEAR, TODAY)
    assert result.pdf is not None, result.warnings
    return Document(result.docx), result.pdf


def run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@requires_office("pdfinfo", "pdffonts")
def test_pdf__tagged_and_titled(report_pdf):
    docx, pdf_path = report_pdf
    info = dict(line.split(":", 1) for line in run("pdfinfo", str(pdf_path)).splitlines() if ":" in line)
    assert info["Tagged"].strip() == "yes"
    assert info["Title"].strip() == docx.core_properties.title
    with pikepdf.open(pdf_path) as pdf:
        assert bool(pdf.Root.MarkInfo.Marked) is True
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True
        assert str(pdf.docinfo.Title) == docx.core_properties.title


@requires_office("pdfinfo", "pdffonts")
def test_pdf__language_japanese(report_pdf):
    _docx, pdf_path = report_pdf
    with pikepdf.open(pdf_path) as pdf:
        assert str(pdf.Root.Lang).startswith("ja")


@requires_office("pdfinfo", "pdffonts")
def test_pdf__structure_has_the_headings_and_tables_with_header_cells(report_pdf):
    docx, pdf_path = report_pdf
    with pikepdf.open(pdf_path) as pdf:
        tree = structure(pdf)
    levels = [f"/H{level}" for level, _text in headings(docx)]
    assert [t for t in tree.types if re.fullmatch(r"/H\d?", t)] == levels   # the docx's headings, in order
    assert "/H1" in tree.types
    assert len(tree.tables) == len(docx.tables) and len(tree.tables) > 50
    for rows in tree.tables:
        assert rows and rows[0] and set(rows[0]) == {"/TH"}                # the header row's cells are TH
        assert all(set(r) <= {"/TD", "/TH"} for r in rows)
    assert len(tree.figures) == len(docx.inline_shapes)                     # every picture a /Figure …
    assert all(alt.strip() for alt in tree.figures)                          # … with its alternative text


@requires_office("pdfinfo", "pdffonts")
def test_pdf__bookmarks_are_the_headings(report_pdf):
    docx, pdf_path = report_pdf
    with pikepdf.open(pdf_path) as pdf:
        marks = outline(pdf)
    expected = [(level, compact(text)) for level, text in headings(docx)]
    assert [(depth, compact(title)) for depth, title in marks] == expected
    chapters = [compact(title) for depth, title in marks if depth == 1]
    for chapter in ("2 計画の体系", "3 具体的な取組", "4 各取組項目の参考指標一覧"):
        assert compact(chapter) in chapters


@requires_office("pdfinfo", "pdffonts")
def test_pdf__every_font_embedded(report_pdf):
    _docx, pdf_path = report_pdf
    lines = run("pdffonts", str(pdf_path)).splitlines()[2:]
    assert lines
    for line in lines:
        # name, type (may be two words), encoding, emb, sub, uni, object number, generation
        assert line.split()[-5] == "yes", line


@requires_office("pdfinfo", "pdffonts")
def test_pdf__a_picture_is_a_figure_with_its_alt_text(tmp_path):
    builder = DocumentBuilder(RS.reference_bytes())
    builder.doc.core_properties.title = "図の代替テキストの確認"
    builder.heading("1 図のある章", 1)
    builder.para("次の図は達成率の推移です。")
    alt = "参考指標の達成率の推移を示す棒グラフ。2024年度は80.0%です。"
    builder.picture(png(60, 30), 12.0, alt, "達成率の推移")
    docx = tmp_path / "figure.docx"
    docx.write_bytes(builder.package(made_on(TODAY)))
    made = tmp_path / "figure.pdf"
    office.find_office().update_and_export(docx, made, timeout=240)
    with pikepdf.open(io.BytesIO(stamped_pdf(made.read_bytes(), made_on(TODAY)))) as pdf:
        tree = structure(pdf)
        assert str(pdf.Root.Lang).startswith("ja")
    assert tree.figures and all(alt in figure for figure in tree.figures)
    assert "/H1" in tree.types
