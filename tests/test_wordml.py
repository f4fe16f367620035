"""The report's Word layer at the XML level: each helper writes exactly this, in the schema's order, so
one that silently does nothing (or puts a child where Word rejects it) fails here."""

from __future__ import annotations

import re

import pytest
from docx.enum.text import WD_PARAGRAPH_ALIGNMENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from lxml import etree

from pipeline.report import wordml as W


def xml(text: str):
    """An element from a compact notation: `w:` tags without namespace declarations."""
    first = re.match(r"<([\w:]+)", text).group(1)
    return parse_xml(text.replace(f"<{first}", f"<{first} {nsdecls('w')}", 1))


def out(element) -> str:
    """The element as XML, without the namespace declaration, for comparing with the notation."""
    return etree.tostring(element, encoding="unicode").replace(f" {nsdecls('w')}", "")


# --- paragraphs ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("before", "style", "after"), [
    ("<w:p/>", "Body", '<w:p><w:pPr><w:pStyle w:val="Body"/></w:pPr></w:p>'),
    ("<w:p><w:pPr><w:jc w:val=\"left\"/></w:pPr></w:p>", "Body",
     '<w:p><w:pPr><w:pStyle w:val="Body"/><w:jc w:val="left"/></w:pPr></w:p>'),
    ('<w:p><w:pPr><w:pStyle w:val="Old"/></w:pPr></w:p>', "New", '<w:p><w:pPr><w:pStyle w:val="New"/></w:pPr></w:p>'),
    ('<w:p><w:pPr><w:pStyle w:val="Old"/></w:pPr></w:p>', None, "<w:p><w:pPr/></w:p>"),
])
def test_set_style__pstyle_first_in_ppr(before, style, after):
    p = xml(before)
    W.set_style(p, style)
    assert out(p) == after


def test_keep_with_next__after_pstyle_before_jc_and_only_once():
    p = xml('<w:p><w:pPr><w:pStyle w:val="S"/><w:jc w:val="center"/></w:pPr><w:r/></w:p>')
    W.keep_with_next(p)
    W.keep_with_next(p)
    assert out(p) == '<w:p><w:pPr><w:pStyle w:val="S"/><w:keepNext/><w:jc w:val="center"/></w:pPr><w:r/></w:p>'


def test_align__jc_in_schema_order_and_none_removes_it():
    p = xml('<w:p><w:pPr><w:pStyle w:val="S"/><w:keepNext/><w:rPr/></w:pPr></w:p>')
    W.align(p, WD_PARAGRAPH_ALIGNMENT.RIGHT)
    assert out(p) == '<w:p><w:pPr><w:pStyle w:val="S"/><w:keepNext/><w:jc w:val="right"/><w:rPr/></w:pPr></w:p>'
    W.align(p, None)
    assert out(p) == '<w:p><w:pPr><w:pStyle w:val="S"/><w:keepNext/><w:rPr/></w:pPr></w:p>'


def test_add_text__tabs_and_line_breaks_become_elements_and_edge_spaces_are_kept():
    p = xml("<w:p/>")
    W.add_text(p, " a\tb\nc")
    assert out(p) == ('<w:p><w:r><w:t xml:space="preserve"> a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c</w:t></w:r></w:p>')


# --- cells, rows, tables -------------------------------------------------------------------------

def test_merge_down__top_restarts_the_others_continue():
    top, below = xml("<w:tc><w:tcPr><w:tcW/><w:vAlign w:val=\"top\"/></w:tcPr><w:p/></w:tc>"), xml("<w:tc><w:p/></w:tc>")
    W.merge_down(top, [below])
    assert out(top) == '<w:tc><w:tcPr><w:tcW/><w:vMerge w:val="restart"/><w:vAlign w:val="top"/></w:tcPr><w:p/></w:tc>'
    assert out(below) == "<w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc>"
    assert W.is_merge_continuation(below) and not W.is_merge_continuation(top)
    assert not W.is_merge_continuation(xml("<w:tc><w:p/></w:tc>"))


def test_shade__replaces_an_earlier_fill_and_stands_before_valign():
    tc = xml('<w:tc><w:tcPr><w:tcW/><w:shd w:fill="000000"/><w:vAlign w:val="center"/></w:tcPr><w:p/></w:tc>')
    W.shade(tc, "D9E1F2")
    assert out(tc) == ('<w:tc><w:tcPr><w:tcW/><w:shd w:val="clear" w:color="auto" w:fill="D9E1F2"/>'
                       '<w:vAlign w:val="center"/></w:tcPr><w:p/></w:tc>')


def test_center_vertically():
    tc = xml("<w:tc><w:tcPr><w:tcW/></w:tcPr><w:p/></w:tc>")
    W.center_vertically(tc)
    assert out(tc) == '<w:tc><w:tcPr><w:tcW/><w:vAlign w:val="center"/></w:tcPr><w:p/></w:tc>'


def test_repeat_as_header__cant_split_then_tbl_header_before_the_cells():
    tr = xml('<w:tr><w:trPr><w:trHeight w:val="400"/></w:trPr><w:tc><w:p/></w:tc></w:tr>')
    W.repeat_as_header(tr)
    W.repeat_as_header(tr)
    assert out(tr) == ('<w:tr><w:trPr><w:cantSplit/><w:trHeight w:val="400"/><w:tblHeader/></w:trPr>'
                       "<w:tc><w:p/></w:tc></w:tr>")
    bare = xml("<w:tr><w:tc><w:p/></w:tc></w:tr>")
    W.cant_split(bare)
    assert out(bare) == "<w:tr><w:trPr><w:cantSplit/></w:trPr><w:tc><w:p/></w:tc></w:tr>"


def test_keep_together__every_row_but_the_last_keeps_with_next_except_merge_continuations():
    tbl = xml(
        "<w:tbl><w:tblPr/><w:tblGrid/>"
        '<w:tr><w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p/></w:tc><w:tc><w:p/><w:p/></w:tc></w:tr>'
        "<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc><w:tc><w:p/></w:tc></w:tr>"
        "<w:tr><w:tc><w:p/></w:tc><w:tc><w:p/></w:tc></w:tr></w:tbl>"
    )
    W.keep_together(tbl)
    kept = [[[p.pPr is not None and p.pPr.keepNext_val for p in tc.p_lst] for tc in tr.tc_lst] for tr in tbl.tr_lst]
    assert kept == [[[True], [True, True]], [[False], [True]], [[False], [False]]]


def test_new_table__fixed_widths_style_and_conditional_formats_off():
    tbl = W.new_table([1000, 2000], "TableGrid")
    assert out(tbl) == (
        '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:type="dxa" w:w="3000"/>'
        '<w:tblLayout w:type="fixed"/><w:tblLook w:firstColumn="0" w:firstRow="0" w:lastColumn="0" '
        'w:lastRow="0" w:noHBand="1" w:noVBand="1" w:val="0600"/></w:tblPr>'
        '<w:tblGrid><w:gridCol w:w="1000"/><w:gridCol w:w="2000"/></w:tblGrid></w:tbl>'
    )


# --- fields and settings -------------------------------------------------------------------------

def test_field__begin_instruction_separate_shown_text_end():
    p = xml("<w:p/>")
    W.field(p, 'TOC \\o "1-3"', "右クリックで更新")
    assert out(p) == (
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> TOC \\o "1-3" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>右クリックで更新</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )


def test_update_fields_on_open__before_compat_and_only_once():
    settings = xml('<w:settings><w:zoom w:percent="100"/><w:compat/><w:rsids/></w:settings>')
    W.update_fields_on_open(settings)
    W.update_fields_on_open(settings)
    assert out(settings) == ('<w:settings><w:zoom w:percent="100"/><w:updateFields w:val="true"/>'
                             "<w:compat/><w:rsids/></w:settings>")
