"""Reading a workbook's values fast (python-calamine), plus the few parts calamine does not expose:
custom document properties (the identity's second copy) and when the workbook was last saved.

Only called on bytes that intake.inspect_workbook has let through, and inside a worker process.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import python_calamine
from defusedxml import ElementTree

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


@dataclass
class WorkbookValues:
    """A workbook as the checks see it: sheet names, and each sheet's values from A1 on demand."""

    sheet_names: list[str]
    custom_xml: bytes | None = None    # docProps/custom.xml, parsed only when asked (see `properties`)
    saved_at: str | None = None
    saved_by: str | None = None        # the application that saved it last (docProps/app.xml), e.g. "LibreOffice/7.4…"
    formulas: dict[str, set[str]] = field(default_factory=dict)   # sheet → A1 cells holding a formula
    _book: object | None = None
    _tables: dict[str, list[list[object]]] = field(default_factory=dict)

    def rows(self, name: str) -> list[list[object]]:
        """Values of sheet `name`, row 0 = Excel row 1, column 0 = column A."""
        if name not in self._tables:
            sheet = self._book.get_sheet_by_name(name)
            self._tables[name] = sheet.to_python(skip_empty_area=False)
        return self._tables[name]

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


PROPERTY_PARTS = (CUSTOM_PART, CORE_PART, APP_PART) = ("docProps/custom.xml", "docProps/core.xml", "docProps/app.xml")


def may_hold_formula(part: str, xml: bytes) -> bool:
    """Whether a package part is a worksheet whose XML has a formula element (then its cells are read)."""
    return part.startswith("xl/worksheets/") and part.endswith(".xml") and _FORMULA.search(xml) is not None


def read_values(data: bytes, *, parts: Mapping[str, bytes] | None = None,
                formula_parts: Collection[str] | None = None) -> WorkbookValues:
    """Open a vetted .xlsx from bytes. Raises on a broken file (the caller turns that into a finding).

    The gate has already inflated every part once: it may hand over the property parts (`parts`, by
    name, those the package has) and the worksheets that may hold a formula (`formula_parts`), so they
    are not inflated again. Without them the package is read here."""
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    if parts is not None and formula_parts is not None:
        custom, saved_at, saved_by = parts.get(CUSTOM_PART), _saved_at(parts.get(CORE_PART)), _saved_by(parts.get(APP_PART))
        formulas: dict[str, set[str]] = {}
        if formula_parts:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                formulas = _formula_cells(zf, formula_parts)
        return WorkbookValues(list(book.sheet_names), custom, saved_at, saved_by, formulas, book)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        custom = zf.read(CUSTOM_PART) if CUSTOM_PART in names else None
        saved_at = _saved_at(zf.read(CORE_PART) if CORE_PART in names else None)
        saved_by = _saved_by(zf.read(APP_PART) if APP_PART in names else None)
        formulas = _formula_cells(zf)
    return WorkbookValues(list(book.sheet_names), custom, saved_at, saved_by, formulas, book)


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


def _formula_cells(zf: zipfile.ZipFile, only: Collection[str] | None = None) -> dict[str, set[str]]:
    """Cells that hold a formula, per sheet name. calamine shows only the cached values, and a value
    computed by a formula was not typed by the person answering, so checks flag it.
    `only`: the worksheet parts worth reading (the others are known to hold none)."""
    names = [n for n in zf.namelist()
             if n.startswith("xl/worksheets/") and n.endswith(".xml") and (only is None or n in only)]
    parts = {n: b for n in names if _FORMULA.search(b := zf.read(n))}
    if not parts:
        return {}
    names = _sheet_parts(zf)
    return {names.get(n, n): {m.decode() for m in _FORMULA_CELL.findall(b)} for n, b in parts.items()}


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part name → sheet (tab) name, from xl/workbook.xml and its relationships."""
    workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = {}
    for rel in rels.findall("rel:Relationship", _NS):
        t = rel.get("Target", "")
        target[rel.get("Id")] = t.lstrip("/") if t.startswith("/") else posixpath.normpath(posixpath.join("xl", t))
    out = {}
    for sheet in workbook.iter(f"{{{_NS['main']}}}sheet"):
        rid = sheet.get(f"{{{_NS['r']}}}id")
        if rid in target:
            out[target[rid]] = sheet.get("name", "")
    return out
