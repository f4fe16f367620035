"""Reading a workbook's values fast (python-calamine), plus the few parts calamine does not expose:
custom document properties (the identity's second copy), when the workbook was last saved, and the
number format of the few cells whose meaning depends on it (80% is stored as 0.8 in a percent format).

Only called on bytes that gate.inspect_workbook has let through, and inside a worker process.
"""

from __future__ import annotations

import functools
import io
import posixpath
import re
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import python_calamine
from defusedxml import ElementTree

from pipeline.findings import Code
from pipeline.values import BUILTIN_FORMATS, GENERAL

_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_FORMULA_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3}[0-9]{1,7})\"[^>]*>(?:(?!</(?:\w+:)?c>).)*?<(?:\w+:)?f[\s>/]",
                           re.DOTALL)
_NS = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "cp": "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
    "vt": "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
    "dcterms": "http://purl.org/dc/terms/",
}


@dataclass(frozen=True)
class CellTrouble:
    """Why a cell has no value to read: `error` is the error value shown ("#DIV/0!", "#N/A", …) or "" for
    a formula whose result was never saved; `formula`: the cell holds a formula (else an error was pasted
    as a value)."""

    error: str
    formula: bool

    @property
    def uncalculated(self) -> bool:
        return not self.error

    def said(self) -> tuple[Code, dict[str, str]]:
        """The finding that says what the cell holds: its code and the message's parameters."""
        if self.uncalculated:
            return Code.VALUE_013, {}
        what = "計算式がエラー" if self.formula else "セルがエラー値（エラーになった計算結果を値として貼り付けたもの）"
        return Code.VALUE_012, {"value": self.error, "what": what}


@dataclass
class WorkbookValues:
    """A workbook as the checks see it: sheet names, and each sheet's values from A1 on demand."""

    sheet_names: list[str]
    custom_xml: bytes | None = None    # docProps/custom.xml, parsed only when asked (see `properties`)
    saved_at: str | None = None
    saved_by: str | None = None        # the application that saved it last (docProps/app.xml), e.g. "LibreOffice/7.4…"
    formulas: dict[str, set[str]] = field(default_factory=dict)   # sheet → A1 cells holding a formula
    # sheet → A1 → what a cell without a value to read holds instead (calamine reads both as ""): the error
    # its formula ended in, or that was pasted as a value ("#DIV/0!", CellTrouble.error), or a formula
    # never calculated (saved by a program, no result kept: CellTrouble.uncalculated)
    troubles: dict[str, dict[str, CellTrouble]] = field(default_factory=dict)
    _book: object | None = None
    _tables: dict[str, list[list[object]]] = field(default_factory=dict)
    _package: bytes | None = None                                 # the .xlsx, for a part not in `_parts`
    _parts: Mapping[str, bytes] = field(default_factory=dict)     # parts the gate inflated already
    _formats: dict[tuple[str, str], str] = field(default_factory=dict)   # from_tables: (sheet, A1) → code
    _sheet_part: dict[str, str] | None = None

    def rows(self, name: str) -> list[list[object]]:
        """Values of sheet `name`, row 0 = Excel row 1, column 0 = column A."""
        if name not in self._tables:
            sheet = self._book.get_sheet_by_name(name)
            self._tables[name] = sheet.to_python(skip_empty_area=False)
        return self._tables[name]

    @classmethod
    def from_tables(cls, tables: dict[str, list[list[object]]], formats: dict[tuple[str, str], str] | None = None):
        """For tests and in-memory use: the same interface over plain lists (and formats by (sheet, A1))."""
        return cls(list(tables), _tables=dict(tables), _formats=dict(formats or {}))

    @property
    def properties(self) -> dict[str, str]:
        """Custom document properties (the identity's second copy); read only when the sheet is gone."""
        properties: dict[str, str] = {}
        if self.custom_xml is not None:
            root = ElementTree.fromstring(self.custom_xml)
            for prop in root.findall("cp:property", _NS):
                value = next(iter(prop), None)
                if value is not None and prop.get("name"):
                    properties[prop.get("name")] = (value.text or "").strip()
        return properties

    def number_format(self, sheet: str, cell: str) -> str:
        """The number format code of `cell` (A1) on `sheet`, as the file stores it; General when it has
        none. Read on demand: the sheet index and the styles once, then one search of the sheet's XML."""
        if self._package is None:
            return self._formats.get((sheet, cell), GENERAL)
        if self._sheet_part is None:
            index = _sheet_parts(self._part(WORKBOOK_PART), self._part(WORKBOOK_RELS_PART))
            self._sheet_part = {name: part for part, name in index.items()}
        part = self._sheet_part.get(sheet)
        xml = self._part(part) if part else None
        if not xml:
            return GENERAL
        formats = _cell_formats(self._part(STYLES_PART))
        style = _style_index(xml, cell)
        return formats[style] if style < len(formats) else GENERAL

    def _part(self, name: str) -> bytes | None:
        """A package part's bytes: as the gate kept them, else inflated here (names match case-insensitively,
        as in Office)."""
        if name in self._parts:
            return self._parts[name]
        with zipfile.ZipFile(io.BytesIO(self._package)) as zf:
            found = next((n for n in zf.namelist() if n.lower() == name.lower()), None)
            return zf.read(found) if found else None


PROPERTY_PARTS = (CUSTOM_PART, CORE_PART, APP_PART) = ("docProps/custom.xml", "docProps/core.xml", "docProps/app.xml")
WORKBOOK_PART, WORKBOOK_RELS_PART, STYLES_PART = "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"
# A worksheet up to this size is kept by the gate as it inflates it; a bigger one is inflated again if needed.
KEEP_WORKSHEET_BYTES = 1024 * 1024


def worth_keeping(part: str, size: int) -> bool:
    """Whether the gate keeps a part it inflates, for the reader: the document properties, the sheet index
    and the styles, and the worksheets (a cell's number format is read from its sheet)."""
    if part in PROPERTY_PARTS or part in (WORKBOOK_PART, WORKBOOK_RELS_PART, STYLES_PART):
        return True
    return part.startswith("xl/worksheets/") and part.endswith(".xml") and size <= KEEP_WORKSHEET_BYTES


def may_hold_formula(part: str, xml: bytes) -> bool:
    """Whether a package part is a worksheet whose XML has a formula element or an error value (t="e", a
    formula's error pasted as a value): then its cells are read."""
    return part.startswith("xl/worksheets/") and part.endswith(".xml") and (
        has_formula(xml) or b't="e"' in xml or b"t='e'" in xml)


_NAME_END = frozenset(b" \t\n\r\f\v>/")           # what may follow an element's name (`\s`, ">", "/")
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")   # `\w` in bytes


def has_formula(xml: bytes) -> bool:
    """Whether the XML has a formula element: `_FORMULA.search(xml) is not None`, found with plain searches
    for "<f" and ":f" (a sheet holds a handful, in <formula1> of its dropdowns) instead of the pattern tried
    at every "<" of the sheet."""
    at = xml.find(b"<f")
    while at >= 0:
        if xml[at + 2:at + 3] and xml[at + 2] in _NAME_END:
            return True
        at = xml.find(b"<f", at + 2)
    at = xml.find(b":f")
    while at >= 0:
        if xml[at + 2:at + 3] and xml[at + 2] in _NAME_END:
            start = at
            while start > 0 and xml[start - 1] in _WORD:
                start -= 1
            if start < at and start > 0 and xml[start - 1] == 0x3C:   # "<" prefix ":f"
                return True
        at = xml.find(b":f", at + 2)
    return False


def read_values(data: bytes, *, parts: Mapping[str, bytes] | None = None,
                formula_parts: Collection[str] | None = None) -> WorkbookValues:
    """Open a vetted .xlsx from bytes. Raises on a broken file (the caller turns that into a finding).

    The gate has already inflated every part once: it may hand over the parts it kept (`parts`, by name,
    see `worth_keeping`) and the worksheets that may hold a formula (`formula_parts`), so they are not
    inflated again. Without them the package is read here."""
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    if parts is not None and formula_parts is not None:
        custom, saved_at, saved_by = parts.get(CUSTOM_PART), _saved_at(parts.get(CORE_PART)), _saved_by(parts.get(APP_PART))
        formulas: dict[str, set[str]] = {}
        troubles: dict[str, dict[str, CellTrouble]] = {}
        if formula_parts:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                formulas, troubles = _formula_cells(zf, formula_parts)
        return WorkbookValues(list(book.sheet_names), custom, saved_at, saved_by, formulas, troubles, book,
                              _package=data, _parts=parts)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        custom = zf.read(CUSTOM_PART) if CUSTOM_PART in names else None
        saved_at = _saved_at(zf.read(CORE_PART) if CORE_PART in names else None)
        saved_by = _saved_by(zf.read(APP_PART) if APP_PART in names else None)
        formulas, troubles = _formula_cells(zf)
    return WorkbookValues(list(book.sheet_names), custom, saved_at, saved_by, formulas, troubles, book,
                          _package=data)


_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>\s*([0-9T:.+Z-]+)\s*</dcterms:modified>")


def _saved_at(core: bytes | None) -> str | None:
    """When the workbook was last saved (dcterms:modified): a timestamp, so a pattern reads it safely."""
    match = _MODIFIED.search(core) if core else None
    return match.group(1).decode("ascii") if match else None


_APPLICATION = re.compile(rb"<(?:\w+:)?Application>\s*([^<]{1,200}?)\s*</(?:\w+:)?Application>")


def _saved_by(app: bytes | None) -> str | None:
    """The application that saved the workbook (docProps/app.xml), which tells how to read its saved time."""
    match = _APPLICATION.search(app) if app else None
    return match.group(1).decode("utf-8", "replace") if match else None


def _formula_cells(zf: zipfile.ZipFile, only: Collection[str] | None = None
                   ) -> tuple[dict[str, set[str]], dict[str, dict[str, CellTrouble]]]:
    """Cells that hold a formula, per sheet name, and the cells whose value is an error or a formula's result
    that was never saved (see `cell_troubles`). calamine shows only the cached values, and a value computed
    by a formula was not typed by the person answering, so checks flag it; it shows an error or a missing
    result as "", which would read as a cell left empty.
    `only`: the worksheet parts worth reading (the others are known to hold none)."""
    names = [n for n in zf.namelist()
             if n.startswith("xl/worksheets/") and n.endswith(".xml") and (only is None or n in only)]
    parts = {n: b for n in names if may_hold_formula(n, b := zf.read(n))}
    if not parts:
        return {}, {}
    names = _sheet_parts(zf.read(WORKBOOK_PART), zf.read(WORKBOOK_RELS_PART))
    formulas = {names.get(n, n): {m.decode() for m in _FORMULA_CELL.findall(b)} for n, b in parts.items()}
    troubles = {names.get(n, n): found for n, b in parts.items() if (found := cell_troubles(b))}
    return {sheet: cells for sheet, cells in formulas.items() if cells}, troubles


# An error value (t="e") or a formula cell, with its attributes and content (a self-closing <c/> has neither).
_TROUBLE_CELL = re.compile(rb"<(?:\w+:)?c\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(?<!/)>((?:(?!</(?:\w+:)?c\s*>).)*?)"
                           rb"</(?:\w+:)?c\s*>", re.DOTALL)
_CACHED = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>([^<]*)</(?:\w+:)?v\s*>")
_ERROR_TYPE = re.compile(rb"""\bt\s*=\s*["']e["']""")
# a result of text type (t="str", "inlineStr"): an empty result is a formula's "" (=IF(A1="","",…)), computed
_TEXT_TYPE = re.compile(rb"""\bt\s*=\s*["'](?:str|inlineStr|s)["']""")


def cell_troubles(sheet_xml: bytes) -> dict[str, CellTrouble]:
    """A1 → CellTrouble for each cell of a worksheet's XML holding an error value (t="e": the #DIV/0! of a
    formula, or pasted as a value) or a formula with no saved result (written by a program that does not
    calculate, never opened in Excel since)."""
    sheet_xml = _utf8(sheet_xml)
    out: dict[str, CellTrouble] = {}
    for attributes_text, content in _TROUBLE_CELL.findall(sheet_xml):
        formula = _FORMULA.search(content) is not None
        error = _ERROR_TYPE.search(attributes_text) is not None
        if not formula and not error:
            continue
        ref = _attributes(attributes_text).get("r", "")
        cached = _CACHED.search(content)
        value = _ENTITY.sub(_unescape, cached.group(1).decode("utf-8", "replace")).strip() if cached else ""
        if error:
            out[ref] = CellTrouble(value or "#N/A", formula)
        elif not value and not _TEXT_TYPE.search(attributes_text):
            out[ref] = CellTrouble("", True)
    return out


def _sheet_parts(workbook_xml: bytes, rels_xml: bytes) -> dict[str, str]:
    """Worksheet part name → sheet (tab) name, from xl/workbook.xml and its relationships."""
    target = {}
    for tag in _RELATIONSHIP.findall(_utf8(rels_xml)):
        attributes = _attributes(tag)
        t = attributes.get("Target", "")
        target[attributes.get("Id")] = t.lstrip("/") if t.startswith("/") else posixpath.normpath(posixpath.join("xl", t))
    out = {}
    for tag in _SHEET.findall(_utf8(workbook_xml)):
        attributes = _attributes(tag)
        rid = next((v for k, v in attributes.items() if k.endswith(":id")), None)   # r:id, whatever the prefix
        if rid in target:
            out[target[rid]] = attributes.get("name", "")
    return out


# The few elements read from package XML, found by pattern: the gate has refused any DTD, so the only
# entities are XML's own, and a prefix may stand for any namespace. An attribute value may hold ">".
_ATTRIBUTES = rb"""((?:[^>"']|"[^"]*"|'[^']*')*)"""
_RELATIONSHIP = re.compile(rb"<(?:[\w.-]+:)?Relationship\b" + _ATTRIBUTES + rb">")
_SHEET = re.compile(rb"<(?:[\w.-]+:)?sheet\b" + _ATTRIBUTES + rb">")
_NUMFMTS = re.compile(rb"<(?:[\w.-]+:)?numFmts\b[^>]*>(.*?)</(?:[\w.-]+:)?numFmts\s*>", re.DOTALL)
_NUMFMT = re.compile(rb"<(?:[\w.-]+:)?numFmt\b" + _ATTRIBUTES + rb">")
_CELLXFS = re.compile(rb"<(?:[\w.-]+:)?cellXfs\b[^>]*>(.*?)</(?:[\w.-]+:)?cellXfs\s*>", re.DOTALL)
_XF = re.compile(rb"<(?:[\w.-]+:)?xf\b" + _ATTRIBUTES + rb">")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


_ATTRIBUTE = re.compile(rb"""([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _attributes(tag: bytes) -> dict[str, str]:
    """A tag's attributes (the text after its name), by name as written, their values unescaped."""
    out = {}
    for name, double, single in _ATTRIBUTE.findall(tag):
        value = (double or single).decode("utf-8", "replace")
        out[name.decode("ascii", "replace")] = _ENTITY.sub(_unescape, value) if "&" in value else value
    return out


def _unescape(entity: re.Match) -> str:
    name = entity.group(1)
    if name.startswith("#"):
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        return chr(code) if 0 < code < 0x110000 else ""
    return _ENTITIES[name]


def _utf8(xml: bytes) -> bytes:
    """XML as UTF-8 (what Excel, LibreOffice and openpyxl write); a part in UTF-16 is converted."""
    if xml[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return xml.decode("utf-16").encode("utf-8")
    return xml


@functools.lru_cache(maxsize=32)
def _cell_formats(styles: bytes | None) -> tuple[str, ...]:
    """The number format code of each cell style (cellXfs, by index): a <numFmt> of the file, else the
    built-in format of that id. Cached by the part's bytes: the returns of one template or one office
    suite mostly share them."""
    if not styles:
        return ()
    styles = _utf8(styles)
    custom: dict[int, str] = {}
    for block in _NUMFMTS.findall(styles):          # (not the numFmt of a conditional format's dxf)
        for tag in _NUMFMT.findall(block):
            attributes = _attributes(tag)
            number = _number(attributes.get("numFmtId"))
            if number is not None:
                custom[number] = attributes.get("formatCode") or GENERAL
    block = _CELLXFS.search(styles)
    ids = [_number(_attributes(tag).get("numFmtId")) or 0 for tag in _XF.findall(block.group(1))] if block else []
    return tuple(custom.get(i) or BUILTIN_FORMATS.get(i, GENERAL) for i in ids)


def _number(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


_STYLE = re.compile(rb"""\ss\s*=\s*["'](\d+)["']""")


def _style_index(sheet_xml: bytes, cell: str) -> int:
    """The style (s, 0 when absent) of the <c> element of `cell` in a worksheet's XML; 0 when the cell
    has no element (an empty cell)."""
    tag = re.search(rb"""<(?:\w+:)?c\s[^>]*?(?<=\s)r\s*=\s*["']""" + cell.encode("ascii") + rb"""["'][^>]*>""",
                    sheet_xml)
    style = _STYLE.search(tag.group(0)) if tag else None
    return int(style.group(1)) if style else 0
