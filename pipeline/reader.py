"""Reading a workbook's values fast (python-calamine), plus the few parts calamine does not expose:
custom document properties (the identity's second copy) and when the workbook was last saved.

Only called on bytes that intake.inspect_workbook has let through, and inside a worker process.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

import python_calamine
from defusedxml import ElementTree

_NS = {
    "cp": "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
    "vt": "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
    "dcterms": "http://purl.org/dc/terms/",
}


@dataclass
class WorkbookValues:
    """A workbook as the checks see it: sheet names, and each sheet's values from A1 on demand."""

    sheet_names: list[str]
    properties: dict[str, str] = field(default_factory=dict)
    saved_at: str | None = None
    _book: object | None = None
    _tables: dict[str, list[list[object]]] = field(default_factory=dict)

    def rows(self, name: str) -> list[list[object]]:
        """Values of sheet `name`, row 0 = Excel row 1, column 0 = column A."""
        if name not in self._tables:
            sheet = self._book.get_sheet_by_name(name)
            self._tables[name] = sheet.to_python(skip_empty_area=False)
        return self._tables[name]

    @classmethod
    def from_tables(cls, tables: dict[str, list[list[object]]], properties: dict[str, str] | None = None):
        """For tests and in-memory use: the same interface over plain lists."""
        return cls(list(tables), properties or {}, None, None, dict(tables))


def read_values(data: bytes) -> WorkbookValues:
    """Open a vetted .xlsx from bytes. Raises on a broken file (the caller turns that into a finding)."""
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    properties, saved_at = _document_properties(data)
    return WorkbookValues(list(book.sheet_names), properties, saved_at, book)


def _document_properties(data: bytes) -> tuple[dict[str, str], str | None]:
    properties: dict[str, str] = {}
    saved_at = None
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        if "docProps/custom.xml" in names:
            root = ElementTree.fromstring(zf.read("docProps/custom.xml"))
            for prop in root.findall("cp:property", _NS):
                value = next(iter(prop), None)
                if value is not None and prop.get("name"):
                    properties[prop.get("name")] = (value.text or "").strip()
        if "docProps/core.xml" in names:
            root = ElementTree.fromstring(zf.read("docProps/core.xml"))
            modified = root.find("dcterms:modified", _NS)
            if modified is not None and modified.text:
                saved_at = modified.text.strip()
    return properties, saved_at
