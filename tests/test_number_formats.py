"""A number's meaning lives in its cell's number format: the format codes interpreted, and read from the
file's XML (xl/styles.xml and the sheet's <c s="…">) however Excel, LibreOffice or openpyxl spell them."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from pipeline.config import Limits
from pipeline.intake import gate
from pipeline.intake.reader import read_values
from pipeline.values import number_format, number_in_unit, shown_number

# format code, stored value → (scale, percent, literal unit, date, what the cell shows)
FORMATS = [
    ("General", 0.8, (1, False, "", False, "0.8")),
    ("", 12, (1, False, "", False, "12")),
    ("0", 12, (1, False, "", False, "12")),
    ("#,##0.###", 1234.5, (1, False, "", False, "1,234.5")),    # the template's old input format
    ("0.00E+00", 1234, (1, False, "", False, "1,234")),          # scientific: still the number
    ("# ?/?", 12.5, (1, False, "", False, "12.5")),
    ("@", 3, (1, False, "", False, "3")),
    ("[DBNum1][$-411]General", 80, (1, False, "", False, "80")),   # 八十: the same number in kanji
    ("_ * #,##0_ ;_ * \\-#,##0_ ;_ * \"-\"_ ;_ @_ ", 12, (1, False, "", False, "12")),   # accounting (id 41)
    ("0_);[Red](0)", 5, (1, False, "", False, "5")),
    ("0%", 0.8, (100, True, "", False, "80%")),
    ("0.0%", 0.447, (100, True, "", False, "44.7%")),
    ("0.00%", 0.8, (100, True, "", False, "80.00%")),            # LibreOffice's own percent format
    ("0\\%", 80, (1, False, "%", False, "80%")),                 # an escaped % is text: no ×100
    ('0"%"', 80, (1, False, "%", False, "80%")),
    ('0.0"％"', 80, (1, False, "%", False, "80.0%")),             # full-width, as typed in Japanese
    ('"%"0;0%', 3, (1, False, "%", False, "%3")),                # the % of another section does not count
    ("0;-0%", 5, (1, False, "", False, "5")),
    ("[Red]0%", 0.5, (100, True, "", False, "50%")),             # a colour is no text
    ("_%0", 7, (1, False, "", False, "7")),                       # _% is a space as wide as %
    ("#,##0,", 12345, (0.001, False, "", False, "12")),
    ("#,##0,,", 12_345_678, (0.000001, False, "", False, "12")),
    ("0.0,", 12345, (0.001, False, "", False, "12.3")),
    ('#,##0,"千件"', 12000, (0.001, False, "千件", False, "12千件")),
    ('0"千件"', 12, (1, False, "千件", False, "12千件")),
    ('0"万円"', 3, (1, False, "万円", False, "3万円")),
    ('0"件"', 12, (1, False, "件", False, "12件")),
    ('0" 件"', 12, (1, False, "件", False, "12件")),
    ("0\\件", 12, (1, False, "件", False, "12件")),
    ("[$¥-411]#,##0", 12, (1, False, "¥", False, "¥12")),
    ('"¥"#,##0;"¥"\\-#,##0', 12, (1, False, "¥", False, "¥12")),
    ("[$-411]#,##0", 12, (1, False, "", False, "12")),           # a locale only
    ("[>=1000]#,##0,\"千\";0", 1500, (0.001, False, "千", False, "2千")),
    ("[>=1000]#,##0,\"千\";0", 15, (1, False, "", False, "15")),
    ("yyyy/m/d", 45413, (1, False, "", True, "2024/05/01")),
    ("YYYY/MM/DD", 45413, (1, False, "", True, "2024/05/01")),    # LibreOffice writes them in capitals
    ('yyyy"年"m"月"d"日"', 45413, (1, False, "年月日", True, "2024/05/01")),
    ("[$-411]ggge\"年\"m\"月\"d\"日\"", 45413, (1, False, "年月日", True, "2024/05/01")),
    ("h:mm", 0.5, (1, False, "", True, "1899/12/30 12:00")),
    ("[h]:mm:ss", 1.5, (1, False, "", True, "1899/12/31 12:00")),
    ("h:mm AM/PM", 0.5, (1, False, "", True, "1899/12/30 12:00")),
    ("mm:ss.0", 0.5, (1, False, "", True, "1899/12/30 12:00")),
]


@pytest.mark.parametrize(("code", "value", "expected"), FORMATS, ids=[f"{c!r}" for c, _, _ in FORMATS])
def test_number_format__code__scale_percent_unit_date_and_what_it_shows(code, value, expected):
    fmt = number_format(code, value)
    scale, percent, unit, date, shown = expected
    assert (fmt.scale, fmt.percent, fmt.unit, fmt.date) == pytest.approx((scale, percent, unit, date))
    assert shown_number(value, fmt) == shown


# format code, stored value, indicator unit → the number meant in that unit, or how the format shows it
MEANINGS = [
    ("0%", 0.8, "%", 80, ""),
    ("0.0%", 0.447, "%", 44.7, ""),                    # exactly 44.7, not 44.699999999999996
    ("0.00%", 1.0, "％", 100, ""),
    ("General", 80, "%", 80, ""),
    ('0"%"', 80, "%", 80, ""),
    ("#,##0.###", 1234, "件", 1234, ""),
    ("0.00E+00", 1234, "件", 1234, ""),
    ('0"件"', 12, "件", 12, ""),
    ("0%", 0.8, "件", None, "百分率（%）として表示されています"),
    ("0.0%", 0.8, "回", None, "百分率（%）として表示されています"),
    ("#,##0,", 12000, "件", None, "千単位で表示されています"),
    ("#,##0,", 12000, "%", None, "千単位で表示されています"),
    ('#,##0,"千件"', 12000, "件", None, "千単位で単位「千件」を付けて表示されています"),
    ('0"千件"', 12, "件", None, "単位「千件」を付けて表示されています"),
    ('0"万円"', 3, "件", None, "単位「万円」を付けて表示されています"),
    ('0"%"', 80, "件", None, "単位「%」を付けて表示されています"),
    ('0"回"', 80, "件", None, "単位「回」を付けて表示されています"),
    ("[$¥-411]#,##0", 12, "名", None, "単位「¥」を付けて表示されています"),
    ("yyyy/m/d", 45413, "件", None, "日付・時刻として表示されています"),
    ("yyyy/m/d", 45413, "%", None, "日付・時刻として表示されています"),
]


@pytest.mark.parametrize(("code", "value", "unit", "meant", "meaning"), MEANINGS,
                         ids=[f"{c!r}-{u}" for c, _, u, _, _ in MEANINGS])
def test_number_in_unit__format_and_unit__the_number_meant_or_why_not(code, value, unit, meant, meaning):
    read = number_in_unit(value, number_format(code, value), unit)
    assert (read.value, read.meaning) == (meant, meaning)


# --- read from the file ----------------------------------------------------------------------------

def _package(styles: str, sheet: str, *, prefix: str = "") -> bytes:
    """A minimal .xlsx with one sheet "S" whose XML and styles are given (with a namespace `prefix`)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    ns = f'xmlns{":" + prefix if prefix else ""}="{main}"'
    p = f"{prefix}:" if prefix else ""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>"),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><{p}workbook {ns} '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<{p}sheets><{p}sheet name="S" sheetId="1" r:id="rId1"/></{p}sheets></{p}workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            "</Relationships>"),
        "xl/styles.xml": f'<?xml version="1.0" encoding="UTF-8"?><{p}styleSheet {ns}>{styles}</{p}styleSheet>',
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {ns}><{p}sheetData>{sheet}</{p}sheetData></{p}worksheet>'),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return buffer.getvalue()


STYLES = (
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="General"/>'
    '<numFmt numFmtId="165" formatCode="#,##0&quot;千件&quot;"/><numFmt numFmtId="10" formatCode="0.0%"/></numFmts>'
    '<cellStyleXfs count="1"><xf numFmtId="9"/></cellStyleXfs>'
    '<cellXfs count="6"><xf numFmtId="164" fontId="0"/><xf numFmtId="9" applyNumberFormat="1"/>'
    '<xf numFmtId="165"><alignment horizontal="right"/></xf><xf numFmtId="10"/><xf fontId="1"/><xf numFmtId="14"/></cellXfs>'
    '<dxfs count="1"><dxf><numFmt numFmtId="165" formatCode="0%"/></dxf></dxfs>'
)
CELLS = (
    '<row r="1"><c r="A1" s="1"><v>0.8</v></c><c r="B1" s="2" t="n"><v>12</v></c><c r="C1" s="3"><v>0.5</v></c>'
    "<c r='D1' s='5'><v>45413</v></c><c r=\"E1\"><v>7</v></c><c s=\"1\" r=\"F1\"><v>1</v></c>"
    '<c r="G1" s="0"><v>1</v></c><c r="H1" s="4"><v>1</v></c><c r="I1" s="99"><v>1</v></c></row>'
)
# cell → the format read: a built-in id (9, 14), a custom <numFmt> (escaped quotes), a built-in id that
# the file redefines (10 as 0.0%, as LibreOffice writes it), no s (style 0), an xf without numFmtId,
# s before r, single quotes, a style index beyond cellXfs; the dxfs' numFmt (conditional formats) ignored
READ = {"A1": "0%", "B1": '#,##0"千件"', "C1": "0.0%", "D1": "yyyy/m/d", "E1": "General", "F1": "0%",
        "G1": "General", "H1": "General", "I1": "General", "Z9": "General"}


@pytest.mark.parametrize("prefix", ["", "x"])
@pytest.mark.parametrize("through_the_gate", [True, False])
def test_read_values__number_format__from_styles_and_the_cells_style_index(prefix, through_the_gate):
    data = _package(STYLES, CELLS, prefix=prefix)
    if through_the_gate:
        inspection = gate.inspect_workbook(data, "t.xlsx", Limits())
        assert inspection.workbook is not None and "xl/styles.xml" in inspection.parts
        book = read_values(inspection.workbook, parts=inspection.parts, formula_parts=inspection.formula_parts)
    else:
        book = read_values(data)
    assert {cell: book.number_format("S", cell) for cell in READ} == READ
    assert book.number_format("no such sheet", "A1") == "General"


def test_read_values__number_format__as_openpyxl_writes_them(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for cell, value, code in (("B2", 0.8, "0%"), ("B3", 0.8, "0.0%"), ("B4", 12, '0"千件"'), ("B5", 1, "#,##0,")):
        ws[cell] = value
        ws[cell].number_format = code
    ws["B6"] = 5
    wb.save(tmp_path / "f.xlsx")
    book = read_values((tmp_path / "f.xlsx").read_bytes())
    assert [book.number_format("S", c) for c in ("B2", "B3", "B4", "B5", "B6")] == [
        "0%", "0.0%", '0"千件"', "#,##0,", "General"]
