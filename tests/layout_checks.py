"""Checks of a report's pages as LibreOffice laid them out, that catch a layout defect without a person looking.

    problems = report_pdf_problems(pdf_path, docx_path)     # [] when the pages hold

- a table row split across two pages: from the tagged PDF's structure tree (pikepdf), a /TR element whose
  marked content sits on two pages (a repeated header row is a new /TR on each page, so it does not count);
- a page that is only overflow: a page with at most `OVERFLOW_LINES` lines of text besides its page number,
  and no picture on it;
- a figure or word broken inside a table cell: the cells of every ruled table on every page (pdfplumber's
  table finder and its text lines with their boxes), where an unbreakable part of the report's table texts
  (pipeline.report.builder.unbreakable: a short line whole, a figure) runs from the end of one line of a
  cell onto the next, or a figure simply continues on the next line (「▲100.」 / 「0%」).

pdfplumber is the library made for this: it gives every character and line with its box and finds a table's
cells from its ruling lines, which is what "inside a cell" means; poppler's pdftotext gives the text in
reading order without the cells. The same functions serve the tests (which already need LibreOffice) and the
bench (`bench/run.py --check-layout` on its 1,000-item report).
"""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
from docx import Document

from pipeline.report.builder import unbreakable

OVERFLOW_LINES = 2
_PAGE_NUMBER = re.compile(r"^\d+\s*/\s*\d+$")
_FIGURE_START = re.compile(r"^[\d%％.,]")
_DIGIT_END = re.compile(r"\d[,.]?$")


# --- rows split across pages (the structure tree) -----------------------------------------------------

def _pages_of(element, page, pages: dict, out: set) -> None:
    """The pages holding the marked content of a structure element and its descendants."""
    if isinstance(element, pikepdf.Dictionary):
        page = element.get("/Pg", page)
        if element.get("/Type") in ("/MCR", "/OBJR"):
            if page is not None:
                out.add(pages.get(page.objgen))
            return
        kids = element.get("/K")
        if kids is None:
            return
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            _pages_of(kid, page, pages, out)
    elif isinstance(element, int) and page is not None:     # a marked-content id on the current page
        out.add(pages.get(page.objgen))


def _elements(element, kind: str):
    if isinstance(element, pikepdf.Dictionary):
        if element.get("/S") == kind:
            yield element
            return
        kids = element.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
            yield from _elements(kid, kind)


def split_rows(pdf_path: Path) -> list[tuple[list[int], str]]:
    """Every table row whose content is on more than one page: (its pages, 1-based; the row's first text)."""
    with pikepdf.open(pdf_path) as pdf:
        pages = {p.objgen: n for n, p in enumerate(pdf.pages, 1)}
        root = pdf.Root.get("/StructTreeRoot")
        if root is None:
            raise ValueError(f"{pdf_path} は構造（タグ）のないPDFです。")
        found = []
        for tr in _elements(root, "/TR"):
            on: set = set()
            _pages_of(tr, None, pages, on)
            on.discard(None)
            if len(on) > 1:
                found.append((sorted(on), ""))
    if found:
        import pdfplumber
        with pdfplumber.open(pdf_path) as doc:
            found = [(on, _last_lines(doc.pages[on[0] - 1])) for on, _ in found]
    return found


def _last_lines(page) -> str:
    lines = [ln["text"] for ln in page.extract_text_lines() if not _PAGE_NUMBER.match(ln["text"].strip())]
    return " / ".join(lines[-2:])


# --- pages of overflow -------------------------------------------------------------------------------

def overflow_pages(pdf_path: Path, max_lines: int = OVERFLOW_LINES) -> list[tuple[int, list[str]]]:
    """Pages with at most `max_lines` lines of text (the page number not counted) and no picture:
    (page, 1-based; its lines). A page with no text and no picture (a blank page) counts too."""
    import pdfplumber
    found = []
    with pdfplumber.open(pdf_path) as doc:
        for n, page in enumerate(doc.pages, 1):
            lines = [ln["text"] for ln in page.extract_text_lines()
                     if not _PAGE_NUMBER.match(ln["text"].strip())]
            if len(lines) <= max_lines and not page.images and n > 1:
                found.append((n, lines))
    return found


# --- figures and words broken inside a cell ----------------------------------------------------------

def table_units(docx_path: Path) -> set[str]:
    """The parts of the report's table texts that must not break (two characters or more)."""
    units: set[str] = set()
    for table in Document(str(docx_path)).tables:
        for tr in table._tbl.tr_lst:
            for tc in tr.tc_lst:
                text = "\n".join(p.text for p in tc.p_lst)
                units.update(u.replace(" ", "") for u in unbreakable(text) if len(u.replace(" ", "")) >= 2)
    return units


def cell_text_page(page, bbox):
    """The page with only the characters whose centre lies in the cell `bbox` (a character drawn over the
    cell's edge still belongs to it; pdfplumber's within_bbox would drop it)."""
    x0, top, x1, bottom = bbox

    def inside(obj) -> bool:
        if obj.get("object_type") != "char":
            return False
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return x0 <= cx <= x1 and top <= cy <= bottom

    return page.filter(inside)


def _cell_lines(page, bbox) -> list[str]:
    return [re.sub(r"\s+", "", ln["text"]) for ln in cell_text_page(page, bbox).extract_text_lines()]


def broken_in_cells(pdf_path: Path, units: set[str]) -> list[tuple[int, str, str]]:
    """Places where a cell's line ends in the middle of an unbreakable part: (page, the line, the next line)."""
    import pdfplumber
    by_start: dict[str, list[str]] = {}
    for u in units:
        by_start.setdefault(u[0], []).append(u)
    found = []
    with pdfplumber.open(pdf_path) as doc:
        for n, page in enumerate(doc.pages, 1):
            for table in page.find_tables():
                for cell in table.cells:
                    lines = [ln for ln in _cell_lines(page, cell) if ln]
                    for line, after in zip(lines, lines[1:], strict=False):
                        if _DIGIT_END.search(line) and _FIGURE_START.match(after) or _spans(line, after, by_start):
                            found.append((n, line, after))
    return found


def _spans(line: str, after: str, by_start: dict[str, list[str]]) -> bool:
    """Some unit is the whole of `line` followed by `after`'s head: a cell's short text broken in two. (A unit
    that merely ends a longer line is a word inside prose, which wraps where it must.)"""
    return any(len(u) > len(line) and u.startswith(line) and after.startswith(u[len(line):])
               for u in by_start.get(line[:1], ()))


# --- all of them --------------------------------------------------------------------------------------

def report_pdf_problems(pdf_path: Path, docx_path: Path, *, found: tuple | None = None) -> list[str]:
    """Every layout problem of the report's PDF, in Japanese, one a line ([] when none). `found`: the three
    checks' results when already made (split_rows, overflow_pages, broken_in_cells)."""
    split, overflow, broken = found or (split_rows(pdf_path), overflow_pages(pdf_path),
                                        broken_in_cells(pdf_path, table_units(docx_path)))
    problems = [f"表の行がページをまたいでいます（{'・'.join(map(str, pages))}ページ、直前: {text}）"
                for pages, text in split]
    problems += [f"{n}ページは前のページからあふれた{len(lines)}行だけです: {' / '.join(lines)}"
                 for n, lines in overflow]
    problems += [f"{n}ページ: 表のセルの中で数値や語が途中で改行されています（{line} / {after}）"
                 for n, line, after in broken]
    return problems
