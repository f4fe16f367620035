"""The few WordprocessingML settings the report needs, on python-docx's oxml elements.

python-docx's `oxml` layer declares each element's children in schema order and generates their
accessors (`get_or_add_pPr()`, `pPr.style`, `keepNext_val`, `jc_val`, `tcPr.vMerge_val`,
`vAlign_val`, `insert_element_before`), and this module uses them. What it adds is only what that
layer does not declare (a row's `w:cantSplit` and `w:tblHeader`, a cell's `w:shd`, fields,
`w:updateFields`, the document's language in `w:docDefaults`, a picture's alternative text), placed
before the successors the schema names.

The report builds its body with these on raw elements rather than through python-docx's document
API, which looks up the body's last `w:sectPr` and a cell's grid position by searching, once per
paragraph or cell: a 1,000-item report took 104 s that way and takes 6 s this way.
"""

from __future__ import annotations

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_PARAGRAPH_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.simpletypes import ST_Merge

# Schema successors of elements the oxml layer does not declare (ECMA-376 Part 1, §17.4 and §17.15).
_TR_PR_AFTER_CANT_SPLIT = ("w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden")
_TR_PR_AFTER_TBL_HEADER = ("w:tblCellSpacing", "w:jc", "w:hidden")
_TC_PR_AFTER_SHD = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")
_RPR_AFTER_LANG = ("w:eastAsianLayout", "w:specVanish", "w:oMath")
_SETTINGS_AFTER_UPDATE_FIELDS = (
    "w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat", "w:docVars", "w:rsids", "m:mathPr",
    "w:attachedSchema", "w:themeFontLang", "w:clrSchemeMapping", "w:doNotIncludeSubdocsInStats",
    "w:doNotAutoCompressPictures", "w:forceUpgrade", "w:captions", "w:readModeInkLockDown", "w:smartTagType",
    "sl:schemaLibrary", "w:shapeDefaults", "w:doNotEmbedSmartTags", "w:decimalSymbol", "w:listSeparator",
)


# --- paragraphs ----------------------------------------------------------------------------------

def set_style(p, style_id: str | None) -> None:
    """The paragraph's style (`w:pStyle` first in `w:pPr`); None for the default style."""
    p.get_or_add_pPr().style = style_id


def keep_with_next(p) -> None:
    """Keep the paragraph on the page of the next one (`w:keepNext`)."""
    p.get_or_add_pPr().keepNext_val = True


def align(p, alignment: WD_PARAGRAPH_ALIGNMENT | None) -> None:
    """The paragraph's justification (`w:jc`); None removes it."""
    p.get_or_add_pPr().jc_val = alignment


def add_text(p, text: str):
    """A run holding `text`: a tab as `w:tab`, a line break (\\n or \\r) as `w:br`, as python-docx's
    `run.text` writes it. Returns the `w:r`."""
    r = p.add_r()
    if text:
        r.text = text
    return r


# --- cells, rows, tables -------------------------------------------------------------------------

# python-docx's attribute order for a new table's w:tblLook; the table style's conditional formats off
_TBL_LOOK_OFF = (("firstColumn", "0"), ("firstRow", "0"), ("lastColumn", "0"), ("lastRow", "0"),
                 ("noHBand", "1"), ("noVBand", "1"), ("val", "0600"))


def new_table(widths: list[int], style_id: str | None):
    """An empty `w:tbl` with fixed column widths (twips) and the table style `style_id`: the XML python-docx's
    add_table, table.style, table.autofit = False and column widths make, without its document walks.

    The style's conditional formats stay off: header and label shading are written per cell, so Word and
    LibreOffice show the same thing (the charter shades label cells, not whole rows)."""
    tbl = OxmlElement("w:tbl")
    tbl_pr = OxmlElement("w:tblPr")
    tbl.append(tbl_pr)
    if style_id is not None:
        tbl_pr.append(OxmlElement("w:tblStyle", {qn("w:val"): style_id}))
    tbl_pr.append(OxmlElement("w:tblW", {qn("w:type"): "dxa", qn("w:w"): str(sum(widths))}))
    tbl_pr.append(OxmlElement("w:tblLayout", {qn("w:type"): "fixed"}))
    tbl_pr.append(OxmlElement("w:tblLook", {qn(f"w:{k}"): v for k, v in _TBL_LOOK_OFF}))
    grid = OxmlElement("w:tblGrid")
    tbl.append(grid)
    for w in widths:
        grid.append(OxmlElement("w:gridCol", {qn("w:w"): str(w)}))
    return tbl

def merge_down(top, below) -> None:
    """Merge cells vertically: `top` starts the merge (restart), each of `below` continues it."""
    top.get_or_add_tcPr().vMerge_val = ST_Merge.RESTART
    for tc in below:
        tc.get_or_add_tcPr().vMerge_val = ST_Merge.CONTINUE


def is_merge_continuation(tc) -> bool:
    """A cell that continues a vertical merge (`w:vMerge` without a value, or "continue")."""
    tc_pr = tc.tcPr
    return tc_pr is not None and tc_pr.vMerge_val == ST_Merge.CONTINUE


def center_vertically(tc) -> None:
    tc.get_or_add_tcPr().vAlign_val = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def shade(tc, fill: str) -> None:
    """The cell's background (`w:shd`), replacing any earlier one."""
    tc_pr = tc.get_or_add_tcPr()
    tc_pr.remove_all("w:shd")
    tc_pr.insert_element_before(OxmlElement("w:shd", {qn("w:val"): "clear", qn("w:color"): "auto", qn("w:fill"): fill}),
                                *_TC_PR_AFTER_SHD)


def cant_split(tr) -> None:
    """The row is not broken across two pages (`w:cantSplit`)."""
    tr_pr = tr.get_or_add_trPr()
    if tr_pr.find(qn("w:cantSplit")) is None:
        tr_pr.insert_element_before(OxmlElement("w:cantSplit"), *_TR_PR_AFTER_CANT_SPLIT)


def repeat_as_header(tr) -> None:
    """The row repeats at the top of every page the table runs onto (`w:tblHeader`), and stays whole."""
    cant_split(tr)
    tr_pr = tr.trPr
    if tr_pr.find(qn("w:tblHeader")) is None:
        tr_pr.insert_element_before(OxmlElement("w:tblHeader"), *_TR_PR_AFTER_TBL_HEADER)


def keep_together(tbl, rows: int | None = None) -> None:
    """Keep a short table on one page: every paragraph of every row but the last keeps with the next
    (Word's way to do it); with `rows`, only the first `rows` rows keep with the next (a long table's
    start). A cell continuing a vertical merge stands for the merge's first cell, which is in an earlier
    row, so its own empty paragraph is left alone."""
    tr_lst = tbl.tr_lst[:-1]
    for tr in tr_lst if rows is None else tr_lst[:rows]:
        for tc in tr.tc_lst:
            if not is_merge_continuation(tc):
                for p in tc.p_lst:
                    keep_with_next(p)


def keep_last_row_with_next(tbl) -> None:
    """The table's last row stays on the page of the paragraph after the table (its note)."""
    tr_lst = tbl.tr_lst
    if tr_lst:
        for tc in tr_lst[-1].tc_lst:
            if not is_merge_continuation(tc):
                for p in tc.p_lst:
                    keep_with_next(p)


# --- language and alternative text --------------------------------------------------------------

def set_language(rpr, east_asian: str, latin: str) -> None:
    """The language of the run properties `rpr` (a `w:rPr`) for East Asian and Latin text (`w:lang`
    w:eastAsia and w:val); complex scripts (w:bidi) keep theirs."""
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, *_RPR_AFTER_LANG)
    lang.set(qn("w:val"), latin)
    lang.set(qn("w:eastAsia"), east_asian)


def set_document_language(styles, east_asian: str, latin: str) -> None:
    """The language of every text that names none: `w:docDefaults/w:rPrDefault/w:rPr/w:lang` of the styles
    part `styles`, made where an edited reference lacks it. Screen readers read the text in it; LibreOffice
    breaks lines by it (a Latin language of ja-JP lets it split a figure between two digits)."""
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)                  # the first child of w:styles
    rpr_default = defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = OxmlElement("w:rPrDefault")
        defaults.insert(0, rpr_default)             # before w:pPrDefault
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_default.append(rpr)
    set_language(rpr, east_asian, latin)


def set_alt_text(inline, alt: str, title: str = "") -> None:
    """A picture's alternative text (`wp:docPr` descr, and title when given), as Word's "Alt Text" pane
    writes it; the picture's own `pic:cNvPr` gets the same, as Word also writes it."""
    targets = [inline.docPr, *inline.xpath("./a:graphic/a:graphicData/pic:pic/pic:nvPicPr/pic:cNvPr")]
    for element in targets:
        element.set("descr", alt)
        if title:
            element.set("title", title)


# --- fields and settings -------------------------------------------------------------------------

def _field_char(p, kind: str) -> None:
    p.add_r().append(OxmlElement("w:fldChar", {qn("w:fldCharType"): kind}))


def field_start(p, instruction: str) -> None:
    """The start of a field (`begin`, the instruction, `separate`); its shown result follows."""
    _field_char(p, "begin")
    instr = OxmlElement("w:instrText", {qn("xml:space"): "preserve"})
    instr.text = f" {instruction} "
    p.add_r().append(instr)
    _field_char(p, "separate")


def field_end(p) -> None:
    _field_char(p, "end")


def field(p, instruction: str, shown: str) -> None:
    """A whole field whose result, until it is updated, is `shown`."""
    field_start(p, instruction)
    add_text(p, shown)
    field_end(p)


def update_fields_on_open(settings) -> None:
    """Ask Word to update the fields (the table of contents) when it opens the document."""
    if settings.find(qn("w:updateFields")) is None:
        settings.insert_element_before(OxmlElement("w:updateFields", {qn("w:val"): "true"}),
                                       *_SETTINGS_AFTER_UPDATE_FIELDS)
