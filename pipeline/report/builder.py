"""The report's document plumbing: a reference .docx emptied of content, its styles found by name, and
paragraphs, headings, tables and pictures appended in linear time on python-docx's oxml elements
(pipeline.report.wordml).

What it writes is readable by everyone (JIS X 8341-3 / WCAG 2.x AA, and the tagged PDF made from it): the
document's language is Japanese; headings are the heading styles only, one level at a time; a table's
header row is marked as one (repeated on every page, a header row /TH in the PDF); a picture is inline
(read where it stands) and carries its alternative text.

A document builder knows nothing of the plan or the store: `pipeline.report.document` writes the report's
content with it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass, field

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.image.image import Image
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from docx.parts.image import ImagePart
from docx.section import Section
from docx.shared import Cm, Twips
from docx.styles.style import StyleFactory
from docx.text.paragraph import Paragraph

from pipeline.config import Config
from pipeline.files import stamped_package
from pipeline.report import wordml
from pipeline.report.style import (
    CAPTION,
    HEADER_FILL,
    LABEL_FILL,
    LANGUAGE,
    LATIN_LANGUAGE,
    NOTE,
    TABLE_LABEL,
    TABLE_STYLE,
    TABLE_TEXT,
    reference_bytes,
    styles_xml,
)
from pipeline.textwidth import display_width, wrapped_lines
from pipeline.values import clean_text

# Table cells are sized from what they hold (`fit_columns`): a figure or a short word is never broken inside.
HALF_WIDTH_TWIPS = 100      # a half-width character of the tables' 9 pt text (4.5 pt = 90 twips, with room)
CELL_MARGINS_TWIPS = 2 * 108 + 20   # the table style's left and right cell margins, and a little air
LINE_TWIPS = 260            # a line of 9 pt table text (single spacing in the CJK fonts)
PICTURE_GAP_TWIPS = 120    # 6 pt between a table and a picture right under it
SHORT_LINE = 12             # a line up to this display width (6 全角) is one word or figure: never broken
KEPT_SHARE = 0.6            # a table kept on one page is at most this share of the page's text height, estimated
                            # (the estimate runs about a fifth below LibreOffice's layout: the demo's department
                            # table 0.42 estimated, 0.50 laid out)
FIRST_ROWS_KEPT = 3         # a longer table: its header row and first rows stay with what introduces it
_FIGURE = re.compile(r"[*＊▲△+＋\-−]?\d[\d,.]*(?:[%％]|\s?[%％])?")


@dataclass(frozen=True)
class TocLine:
    """One line of a filled table of contents."""

    level: int
    text: str
    page: str


@dataclass(frozen=True)
class _Table:
    tbl: object             # the w:tbl element
    widths: list[int]       # twips per column
    heights: list[int] = field(default_factory=list)   # each row's height (twips) as estimated when added


@dataclass(frozen=True)
class _Row:
    tr: object              # the w:tr element
    tcs: list               # the w:tc per grid column (a merged cell for each column it spans)


def text_of(value: object) -> str:
    """A text fit for the document: forbidden control characters removed, line endings unified."""
    return clean_text(value).text


def unbreakable(text: str) -> list[str]:
    """The parts of a cell's text that must stay on one line: a short line whole (「管理番号」, 「▲100.0%」,
    「（2025年度）」), and in a longer line every figure (「1,234」). A longer line is prose and wraps."""
    units = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if display_width(line) <= SHORT_LINE:
            units.append(line)
            continue
        units.extend(m.group() for m in _FIGURE.finditer(line))
    return units


def min_width(text: str) -> int:
    """The narrowest column (twips) in which no unbreakable part of `text` is broken."""
    widest = max((display_width(u) for u in unbreakable(text)), default=0)
    return widest * HALF_WIDTH_TWIPS + CELL_MARGINS_TWIPS if widest else 0


def _cell_text(tc) -> str:
    return "\n".join(p.text for p in tc.p_lst)


def fitted_widths(widths: Sequence[int], needs: Sequence[int]) -> list[int]:
    """Column widths summing to sum(`widths`), each at least its need where the total allows: a column too
    narrow for its content is widened, and the width comes from the columns with room to spare, in
    proportion to that room. When the needs add up to more than the whole, every column gets its need scaled
    down alike (a table too wide for the page; no column is then favoured)."""
    total = sum(widths)
    grown = [max(w, n) for w, n in zip(widths, needs, strict=True)]
    excess = sum(grown) - total
    if excess <= 0:
        return list(widths)
    room = [g - n for g, n in zip(grown, needs, strict=True)]
    if sum(room) >= excess:
        out = [g - int(r * excess / sum(room)) for g, r in zip(grown, room, strict=True)]
    else:
        out = [int(n * total / sum(needs)) for n in needs]
    out[-1] += total - sum(out)
    return out


def fit_columns(tbl) -> None:
    """Size the columns of the `w:tbl` from the text they hold (see `fitted_widths`): the grid's w:gridCol
    and every cell's w:tcW (a merged cell: the sum of its columns). A merged cell's text does not size a column."""
    grid = tbl.tblGrid.gridCol_lst
    widths = [g.w.twips for g in grid]
    needs = [0] * len(widths)
    for tr in tbl.tr_lst:
        col = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            if span == 1 and col < len(needs) and not wordml.is_merge_continuation(tc):
                needs[col] = max(needs[col], min_width(_cell_text(tc)))
            col += span
    fitted = fitted_widths(widths, needs)
    if fitted == widths:
        return
    for g, w in zip(grid, fitted, strict=True):
        g.w = Twips(w)
    for tr in tbl.tr_lst:
        col = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            tc.get_or_add_tcPr().width = Twips(sum(fitted[col:col + span]))
            col += span


def row_height(widths: Sequence[int], texts: Sequence[object]) -> int:
    """A row's height (twips) as its tallest cell's wrapped lines make it, from the column widths."""
    lines = 1
    for width, text in zip(widths, texts, strict=True):
        chars = max(1.0, (width - CELL_MARGINS_TWIPS) / HALF_WIDTH_TWIPS)
        parts = text if isinstance(text, list | tuple) else [text]
        lines = max(lines, sum(wrapped_lines(text_of(p[1] if isinstance(p, tuple) else p), chars) for p in parts))
    return lines * LINE_TWIPS


# --- the reference document -----------------------------------------------------------------------

def load_reference(config: Config) -> tuple[bytes, str | None]:
    """The reference .docx's bytes, or the built-in styles and a note saying why."""
    path = config.report_reference
    try:
        return path.read_bytes(), None
    except FileNotFoundError:
        return reference_bytes(), (
            f"報告書の書式ファイル {path} がないため、標準の書式で作成しました"
            "（.venv/bin/python -m pipeline.report.style で作り直せます）。"
        )
    except OSError as exc:
        return reference_bytes(), f"報告書の書式ファイル {path} を読めないため、標準の書式で作成しました（{exc}）。"


class _StyleBook:
    """The reference's styles found by name whatever their case ('heading 1' as Word writes it,
    'Heading 1' as LibreOffice does); a style an edited reference has lost comes from the built-in set."""

    def __init__(self, doc):
        self.doc = doc
        self._by_name: dict[str, object] = {}
        self._ids: dict[tuple[str, WD_STYLE_TYPE], str | None] = {}
        element = doc.styles.element
        for style in element.findall(qn("w:style")):
            name = style.find(qn("w:name"))
            if name is not None:
                self._by_name.setdefault(name.get(qn("w:val"), "").casefold(), style)
        ids = {s.get(qn("w:styleId")) for s in element.findall(qn("w:style"))}
        for style in parse_xml(styles_xml().encode("utf-8")).findall(qn("w:style")):
            key = style.find(qn("w:name")).get(qn("w:val")).casefold()
            if key not in self._by_name and style.get(qn("w:styleId")) not in ids:
                added = deepcopy(style)
                element.append(added)
                self._by_name[key] = added

    def __getitem__(self, name: str):
        style = self._by_name.get(name.casefold())
        if style is None:
            raise KeyError(f"書式ファイルにスタイル「{name}」がありません。")
        return StyleFactory(style)

    def style_id(self, name: str, kind: WD_STYLE_TYPE = WD_STYLE_TYPE.PARAGRAPH) -> str | None:
        """The id python-docx writes for the style `name` (None for the type's default style), looked up
        once: assigning a style object searches the whole styles part for the default each time."""
        key = (name, kind)
        try:
            return self._ids[key]
        except KeyError:
            pass
        style_id = self.doc.part.get_style_id(self[name], kind)
        self._ids[key] = style_id
        return style_id

    def table_fills(self) -> tuple[str, str]:
        """(header fill, label fill) from the table style's first-row and first-column shading."""
        header, label = HEADER_FILL, LABEL_FILL
        style = self._by_name.get(TABLE_STYLE.casefold())
        for pr in style.findall(qn("w:tblStylePr")) if style is not None else ():
            shd = pr.find(f"{qn('w:tcPr')}/{qn('w:shd')}")
            fill = shd.get(qn("w:fill")) if shd is not None else None
            if fill and fill != "auto":
                if pr.get(qn("w:type")) == "firstRow":
                    header = fill
                elif pr.get(qn("w:type")) == "firstCol":
                    label = fill
        return header, label


class DocumentBuilder:
    """Appends to the body of a copy of the reference document, before its last section's w:sectPr."""

    def __init__(self, reference: bytes):
        self.doc = Document(io.BytesIO(reference))
        self.styles = _StyleBook(self.doc)
        self._set_language()
        self.header_fill, self.label_fill = self.styles.table_fills()
        self.headings: list[TocLine] = []
        self._level = 0                             # the last heading's level (0: none yet)
        self._shape_id: int | None = None           # the last drawing id given (see _next_shape_id)
        self._images: dict[str, str] = {}           # an image's sha1 → its relationship id (see _image)
        self._image_number: int | None = None       # the last /word/media/imageN number used
        body = self.doc.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)
        section = self.doc.sections[0]
        self.width = int(section.page_width - section.left_margin - section.right_margin) // 635  # EMU → twips
        self._sect_pr = body.find(qn("w:sectPr"))   # the last section's: new content goes before it

    def _set_language(self) -> None:
        """Japanese for every text, whatever the reference says (Latin-script text en-US, as Word in Japan
        writes it; see pipeline.report.style): the styles' defaults (w:docDefaults), the default paragraph
        style where it names a language of its own, and the document's properties."""
        wordml.set_document_language(self.doc.styles.element, LANGUAGE, LATIN_LANGUAGE)
        normal = self.doc.styles.element.default_for(WD_STYLE_TYPE.PARAGRAPH)
        if normal is not None and normal.rPr is not None and normal.rPr.find(qn("w:lang")) is not None:
            wordml.set_language(normal.rPr, LANGUAGE, LATIN_LANGUAGE)
        self.doc.core_properties.language = LANGUAGE

    def package(self, stamp) -> bytes:
        """The .docx bytes, every part stamped `stamp`; Word is asked to update the fields when it opens it."""
        wordml.update_fields_on_open(self.doc.settings.element)
        for tbl in self.doc.element.body.iter(qn("w:tbl")):
            fit_columns(tbl)
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return stamped_package(buffer.getvalue(), stamp)

    def _paragraph(self, style: str):
        """A new w:p at the end of the body (before the last w:sectPr, held since the start: python-docx's
        add_paragraph and add_table look it up among all the body's children every time)."""
        p = OxmlElement("w:p")
        self._sect_pr.addprevious(p)
        wordml.set_style(p, self.styles.style_id(style))
        return p

    def para(self, text: str = "", style: str = "Body Text", *, align=None, keep_with_next: bool = False):
        """Append a paragraph; returns its w:p element."""
        previous = self._sect_pr.getprevious()
        p = self._paragraph(style)
        if keep_with_next or style == CAPTION:      # a caption or lead-in stays with what it introduces
            wordml.keep_with_next(p)
        if style == NOTE and previous is not None and previous.tag == qn("w:tbl"):
            # a table's note goes to the next page with the table's last row, never alone (a page of overflow)
            wordml.keep_last_row_with_next(previous)
        if text:
            wordml.add_text(p, text_of(text))
        if align is not None:
            wordml.align(p, align)
        return p

    def heading(self, text: str, level: int, *, page_break: bool | None = None):
        """Append a heading in the style "heading `level`" (1-4). Levels go down one at a time (a chapter,
        then its sections, …) so that the outline a screen reader and the PDF's bookmarks show has no gap;
        a skipped level is a mistake in the report's code, raised as ValueError."""
        if not 1 <= level <= self._level + 1 or level > 4:
            raise ValueError(f"見出しのレベル {level} は、直前の見出し（レベル {self._level}）の次に置けません"
                             "（レベルは1〜4で、1段ずつ下げてください）。")
        self._level = level
        p = self._paragraph(f"heading {level}")
        wordml.add_text(p, text_of(text))
        if page_break is not None:
            p.get_or_add_pPr().pageBreakBefore_val = page_break
        if level <= 3:
            self.headings.append(TocLine(level, text_of(text), ""))
        return p

    def picture(self, data: bytes, width_cm: float, alt: str, title: str = ""):
        """Append a picture (PNG, JPEG, … bytes) centred in a paragraph of its own; returns its w:p.

        It is `width_cm` wide (at most the current section's text width), its height in proportion, and
        inline with the text (never floating, so it is read where it stands). `alt` is its alternative
        text, what a screen reader says for it and the tagged PDF's /Alt (wp:docPr descr; required: a
        ValueError without it); `title` a short name for it (wp:docPr title). Inserted with python-docx's
        own run.add_picture, which stores equal images once."""
        alt_text = text_of(alt).strip()
        if not alt_text:
            raise ValueError("図には代替テキスト（図が何を示しているかの説明）が必要です。")
        previous = self._sect_pr.getprevious()
        p = self._paragraph("Normal")
        wordml.align(p, WD_ALIGN_PARAGRAPH.CENTER)
        if previous is not None and previous.tag == qn("w:tbl"):
            # room between a table and the picture under it: drawn on screen, the picture's white ground
            # would otherwise cover the table's bottom rule
            p.get_or_add_pPr().spacing_before = Twips(PICTURE_GAP_TWIPS)
        width = Cm(width_cm)
        section = Section(self._sect_pr, self.doc.part)      # the section the body's end belongs to
        if section.page_width and section.left_margin is not None and section.right_margin is not None:
            width = min(width, section.page_width - section.left_margin - section.right_margin)
        # python-docx's own parts: the image stored once per content (get_or_add_image) and the inline made by
        # CT_Inline.new_pic_inline, as run.add_picture does, but with the shape id counted here: add_picture
        # asks StoryPart.next_id, which scans every id of the document each time (quadratic over a report)
        r_id, image = self._image(data)
        cx, cy = image.scaled_dimensions(width, None)
        inline = CT_Inline.new_pic_inline(self._next_shape_id(), r_id, image.filename, cx, cy)
        Paragraph(p, self.doc).add_run()._r.add_drawing(inline)
        wordml.set_alt_text(inline, alt_text, text_of(title).strip())
        return p

    def _image(self, data: bytes) -> tuple[str, Image]:
        """The relationship id of the image part holding `data` (one part per distinct image) and the image.
        python-docx's get_or_add_image hashes every image part of the package on each call and numbers parts
        by a scan: quadratic in a report of a thousand charts; here the parts are indexed once, as made."""
        image = Image.from_blob(data)
        found = self._images.get(image.sha1)
        if found is None:
            part = self.doc.part
            if self._image_number is None:
                self._image_number = max((p.partname.idx or 0 for p in part.package.image_parts), default=0)
            self._image_number += 1
            image_part = ImagePart.from_image(image, PackURI(f"/word/media/image{self._image_number}.{image.ext}"))
            part.package.image_parts.append(image_part)
            found = self._images[image.sha1] = part.relate_to(image_part, RT.IMAGE)
        return found, image

    def _next_shape_id(self) -> int:
        """A drawing id unique in the document: one more than any id there when first asked, then counted."""
        if self._shape_id is None:
            used = [int(v) for v in self.doc.element.xpath("//@id") if v.isdigit()]
            self._shape_id = max(used, default=0)
        self._shape_id += 1
        return self._shape_id

    def table(self, fractions: Sequence[float], width: int | None = None) -> _Table:
        """An empty table whose columns share `width` (the text width) by `fractions`; an empty paragraph
        before it when the body ends with a table.

        The XML is what python-docx's add_table, table.style, table.autofit = False and column widths make.
        """
        total = width or self.width
        widths = [int(total * f / sum(fractions)) for f in fractions]
        widths[-1] = total - sum(widths[:-1])
        previous = self._sect_pr.getprevious()
        if previous is not None and previous.tag == qn("w:tbl"):
            # two tables in a row are one table to Word, LibreOffice and so a screen reader (the second's
            # header row in the middle of the first): an empty paragraph keeps them apart, as Word does
            self.para("")
        tbl = wordml.new_table(widths, self.styles.style_id(TABLE_STYLE, WD_STYLE_TYPE.TABLE))
        self._sect_pr.addprevious(tbl)
        return _Table(tbl, widths)

    def row(self, table: _Table, texts: Sequence[object], *, header: bool = False, labels: Sequence[int] = (),
            fills: dict[int, str] | None = None, align: dict[int, object] | None = None,
            split: bool = False) -> _Row:
        """Append a row. A text is a str (one paragraph, line breaks kept) or a list (one paragraph each).

        A row stays on one page. One holding a return's long texts (`split`) breaks across pages only when it is
        taller than a page's text area (estimated from its wrapped lines), which no layout could keep whole.
        """
        tr = table.tbl.add_tr()
        height = row_height(table.widths, texts)
        table.heights.append(height)
        if header or not split or height < self._text_height():
            wordml.cant_split(tr)
            if header:
                wordml.repeat_as_header(tr)
        tcs = []
        for i, (width, text) in enumerate(zip(table.widths, texts, strict=True)):
            tc = tr.add_tc()
            tc.get_or_add_tcPr().width = Twips(width)
            is_label = header or i in labels
            fill = (fills or {}).get(i) or (self.header_fill if header else self.label_fill if is_label else None)
            if fill:
                wordml.shade(tc, fill)
            if is_label:
                wordml.center_vertically(tc)
            self.write_cell(tc, text, TABLE_LABEL if is_label else TABLE_TEXT)
            if align and i in align:
                for p in tc.p_lst:
                    wordml.align(p, align[i])
            tcs.append(tc)
        return _Row(tr, tcs)

    def keep_together(self, table: _Table) -> None:
        """Keep `table` on one page when it fits there with room to spare (its rows' estimated heights: an
        estimate, not the layout). A longer table flows from page to page, its rows whole and its header row
        repeated; only its first rows keep with what comes before, so a heading or lead-in never stays alone
        at a page's foot. (Kept together, a table longer than a page makes LibreOffice push the heading and
        lead-in before it onto a page of their own.)"""
        if sum(table.heights) <= self._text_height() * KEPT_SHARE:
            wordml.keep_together(table.tbl)
        else:
            wordml.keep_together(table.tbl, rows=FIRST_ROWS_KEPT)

    def _text_height(self) -> int:
        """The current section's text area height in twips."""
        section = Section(self._sect_pr, self.doc.part)
        return int(section.page_height - section.top_margin - section.bottom_margin) // 635

    def write_cell(self, tc, text: object, style: str) -> None:
        """Write `text` into the cell `tc` (a w:tc element), as python-docx's cell.paragraphs[0] (then
        cell.add_paragraph()) with p.style and p.add_run would."""
        lines = text if isinstance(text, list | tuple) else [text]
        for n, line in enumerate(lines):
            p = (tc.p_lst[0] if tc.p_lst else tc.add_p()) if n == 0 else tc.add_p()
            line_style = style
            if isinstance(line, tuple):     # (style, text)
                line_style, line = line
            wordml.set_style(p, self.styles.style_id(line_style))
            value = text_of(line)
            if value:
                wordml.add_text(p, value)

    def merge(self, row: _Row, first: int, last: int, text: object, style: str = TABLE_TEXT,
              fill: str | None = None):
        """Merge the row's cells first..last (blank ones, as `row` wrote them) into one holding `text`;
        returns its w:tc. The XML is what python-docx's cell.merge makes, without its walks of the table."""
        tc = row.tcs[first]
        if last > first:
            tc_pr = tc.tcPr
            width = tc_pr.width
            for other in row.tcs[first + 1:last + 1]:
                if other is tc:
                    continue
                if width and other.tcPr.width:
                    width += other.tcPr.width
                row.tr.remove(other)
            tc_pr.width = width
            tc_pr.grid_span = last - first + 1
            row.tcs[first + 1:last + 1] = [tc] * (last - first)
        for p in tc.p_lst[1:]:
            tc.remove(p)
        for r in tc.p_lst[0].r_lst:
            tc.p_lst[0].remove(r)
        self.write_cell(tc, text, style)
        if fill:
            wordml.shade(tc, fill)
        return tc

    def vmerge(self, table: _Table, rows: Sequence[_Row], col: int, text: str) -> None:
        """Merge column `col` of consecutive rows (blank cells there, as `row` wrote them) into one label cell
        holding `text`: the XML python-docx's cell.merge makes (vMerge restart, then continue)."""
        top = rows[0].tcs[col]
        if len(rows) > 1:
            wordml.merge_down(top, [r.tcs[col] for r in rows[1:]])
        self.write_cell(top, text, TABLE_LABEL)
        wordml.shade(top, self.label_fill)
        wordml.center_vertically(top)
