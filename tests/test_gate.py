"""The inbox and the file gate: what is taken, what is read, and what a parser may see.

Every file is built here, in the test: a small valid workbook from xlsxwriter or openpyxl, and the
hostile or broken variants from it (zips written byte by byte when the directory has to lie).
"""

from __future__ import annotations

import functools
import io
import os
import random
import struct
import tracemalloc
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from msoffcrypto.format.ooxml import OOXMLFile

from pipeline import platform
from pipeline.config import Limits
from pipeline.findings import finding, flatten
from pipeline.intake import gate, inbox
from pipeline.intake.gate import inspect_workbook
from pipeline.intake.inbox import read_stable, scan_inbox

LIMITS = Limits()
MiB = 1024 * 1024
GiB = 1024 * MiB
SHEET = "xl/worksheets/sheet1.xml"
# named pipes are POSIX's; a link needs an administrator on Windows and Wine's are not Windows'
POSIX_ONLY = "a named pipe or a symbolic link: POSIX's everyday, not a Windows PC's"


# --- building files -------------------------------------------------------------------------------

def _xlsx(cells: dict[str, object] | None = None) -> bytes:
    """A small valid workbook, the way the project writes its templates (xlsxwriter)."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("取組")
    for ref, value in (cells or {"A1": "進捗状況", "B2": 44.7}).items():
        sheet.write(ref, value)
    book.close()
    return buf.getvalue()


@functools.cache
def _valid() -> bytes:
    return _xlsx()


def _parts(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _zip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    return buf.getvalue()


def _changed(archive: bytes, changes: dict[str, bytes]) -> bytes:
    """The workbook with parts added or replaced."""
    return _zip({**_parts(archive), **changes})


@dataclass
class _Entry:
    """A zip entry as written byte by byte: `size` and `crc` are what the headers declare."""

    name: str
    payload: bytes          # the stored bytes (raw deflate when method is 8)
    size: int
    crc: int
    method: int = 8
    flags: int = 0
    local_name: str | None = None


def _deflate(content: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return c.compress(content) + c.flush()


def _entry(name: str, content: bytes) -> _Entry:
    return _Entry(name, _deflate(content), len(content), zlib.crc32(content))


def _entries(archive: bytes) -> list[_Entry]:
    return [_entry(name, content) for name, content in _parts(archive).items()]


def _local_header(e: _Entry) -> bytes:
    name = (e.local_name or e.name).encode()
    return struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, e.flags, e.method, 0, 0x21, e.crc, len(e.payload),
                       e.size, len(name), 0) + name


def _raw_zip(entries: list[_Entry], *, inside: dict[str, int] | None = None, declared_count: int | None = None) -> bytes:
    """A zip written by hand. `inside` maps an entry name to an offset where its local header
    already is (within another entry's data) instead of writing one."""
    out = bytearray()
    central = bytearray()
    for e in entries:
        if inside and e.name in inside:
            offset = inside[e.name]
        else:
            offset = len(out)
            out += _local_header(e) + e.payload
        name = e.name.encode()
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, e.flags, e.method, 0, 0x21, e.crc,
                               len(e.payload), e.size, len(name), 0, 0, 0, 0, 0, offset) + name
    count = len(entries) if declared_count is None else declared_count
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(central), len(out), 0)
    return bytes(out + central + end)


def _replaced(archive: bytes, replacement: _Entry) -> list[_Entry]:
    return [replacement if e.name == replacement.name else e for e in _entries(archive)]


@functools.cache
def _zeros_deflated(mebibytes: int) -> bytes:
    """Raw deflate of `mebibytes` MiB of zeros in about 1 KiB per MiB, without compressing them:
    after a full flush every MiB of zeros compresses to the same bytes, so the block is repeated."""
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = c.compress(bytes(MiB)) + c.flush(zlib.Z_FULL_FLUSH)
    return block * mebibytes + c.flush()


def _ole(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (CFB version 3) with the given streams, written by hand because
    no installed package writes one. Streams are padded to 4096 bytes so they live in regular
    sectors (no mini stream needed). Sector 0 holds the FAT, sector 1 the directory."""
    sector, end, free, fat_sector = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    fat = [fat_sector, end]
    listing = [("Root Entry", 5, end, 0)]
    body = b""
    for name, content in streams.items():
        content = content.ljust(max(4096, -(-len(content) // sector) * sector), b"\0")
        count = len(content) // sector
        start = len(fat)
        fat += [start + i + 1 for i in range(count - 1)] + [end]
        listing.append((name, 2, start, len(content)))
        body += content
    assert len(fat) <= 128 and len(listing) <= 4
    fat_bytes = struct.pack(f"<{128}I", *(fat + [free] * (128 - len(fat))))
    directory = b""
    for i, (name, kind, start, size) in enumerate(listing):
        encoded = (name + "\0").encode("utf-16-le")
        child = 1 if kind == 5 and len(listing) > 1 else free
        right = i + 1 if kind == 2 and i + 1 < len(listing) else free
        directory += struct.pack("<64sHBBIII16sIQQIQ", encoded, len(encoded), kind, 1, free, right, child,
                                 bytes(16), 0, 0, 0, start, size)
    header = struct.pack("<8s16s5H6s9I", gate.OLE_MAGIC, bytes(16), 0x3E, 3, 0xFFFE, 9, 6, bytes(6),
                         0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<109I", 0, *([free] * 108))
    return header + fat_bytes + directory.ljust(sector, b"\0") + body


def _biff_workbook_stream() -> bytes:
    """The first records of an Excel 97-2003 Workbook stream: BOF (BIFF8, workbook globals) and EOF."""
    bof = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x0006)
    return bof + struct.pack("<HH", 0x000A, 0)


def _ods() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), gate.ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>')
        zf.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest/>')
    return buf.getvalue()


@functools.cache
def _encrypted(password: str, archive: bytes | None = None) -> bytes:
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(archive or _valid())).encrypt(password, out)
    return out.getvalue()


def _macro_workbook(tmp_path: Path) -> bytes:
    vba = tmp_path / "vbaProject.bin"
    vba.write_bytes(gate.OLE_MAGIC + b"not really a VBA project")
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    book.add_worksheet("取組").write("A1", 1)
    book.add_vba_project(str(vba))
    book.close()
    return buf.getvalue()


def _sheet_xml(prolog: str = "", body: str = "1") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prolog}'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        f'<row r="1"><c r="A1" t="inlineStr"><is><t>{body}</t></is></c></row></sheetData></worksheet>'
    )


BILLION_LAUGHS = _sheet_xml(
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]>\n",
    "&lol9;",
)
XXE = _sheet_xml('<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n', "&x;")


def _codes(inspection: gate.Inspection) -> list[str]:
    return [f.code for f in inspection.findings]


def _inspect(data: bytes, limits: Limits = LIMITS, password: str | None = None) -> gate.Inspection:
    return inspect_workbook(data, "回答/企画課.xlsx", limits, password)


def _refused(data: bytes, code: str, limits: Limits = LIMITS, **params) -> None:
    """The file is refused with exactly this one finding."""
    result = _inspect(data, limits)
    assert result.workbook is None
    assert result.findings == [finding(code, file="回答/企画課.xlsx", **params)]


# --- inspect: what passes ---------------------------------------------------------------------------

def test_inspect__xlsxwriter_workbook__accepted_unchanged():
    result = _inspect(_valid())
    assert result.findings == []
    assert result.workbook == _valid()
    assert not result.decrypted


def test_inspect__openpyxl_workbook__accepted():
    book = openpyxl.Workbook()
    book.active["A1"] = "記入"
    buf = io.BytesIO()
    book.save(buf)
    assert _inspect(buf.getvalue()).findings == []


def test_inspect__doctype_typed_as_cell_text__accepted_because_the_xml_escapes_it():
    data = _xlsx({"A1": "<!DOCTYPE html>", "A2": '<!ENTITY x SYSTEM "file:///etc/passwd">'})
    assert _inspect(data).findings == []


def test_inspect__large_compressible_part_under_one_mib__ratio_not_judged():
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>0</v></c></row>' for r in range(1, 20000))
    sheet = _sheet_xml().replace('<row r="1">', rows + '<row r="20000">').encode()
    assert len(sheet) < gate.RATIO_MIN_PART
    data = _changed(_valid(), {SHEET: sheet})
    assert _inspect(data).findings == []


# --- inspect: the file itself ----------------------------------------------------------------------

def test_inspect__empty_file__refused():
    _refused(b"", "FILE_001")


def test_inspect__over_size_limit__refused():
    _refused(_valid(), "FILE_002", Limits(max_file_bytes=100), size=len(_valid()), limit=100)


def test_inspect__random_bytes_named_xlsx__refused_as_not_a_zip():
    _refused(random.Random(0).randbytes(4096), "FILE_003", detail="ZIP 形式ではありません")


def test_inspect__truncated_zip__refused():
    _refused(_valid()[: len(_valid()) // 2], "FILE_003",
             detail="ZIP の目次が壊れているか、ファイルが途中で切れています")


def test_inspect__word_document_zip__refused_as_no_workbook_part():
    data = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    _refused(data, "FILE_003", detail="xl/workbook.xml がありません（Excel ブックではありません）")


def test_inspect__zip_without_content_types__refused():
    parts = _parts(_valid())
    del parts["[Content_Types].xml"]
    _refused(_zip(parts), "FILE_003", detail="[Content_Types].xml がありません")


def test_inspect__ods__refused_with_how_to_resave():
    _refused(_ods(), "FILE_007")


def test_inspect__legacy_xls__refused():
    xls = _ole({"Workbook": _biff_workbook_stream()})
    assert gate.olefile.OleFileIO(io.BytesIO(xls)).exists("Workbook")  # the hand-made file is valid OLE
    _refused(xls, "FILE_006")


def test_inspect__word_97_document__refused_as_not_excel():
    _refused(_ole({"WordDocument": b"\xec\xa5"}), "FILE_003", detail="Excel ではない Office 97-2003 形式の文書です")


def test_inspect__ole_magic_then_garbage__refused_as_broken():
    _refused(gate.OLE_MAGIC + bytes(600), "FILE_003", detail="Office 97-2003 形式のファイルとして壊れています")


# --- inspect: encryption ---------------------------------------------------------------------------

def test_inspect__encrypted_without_password__refused():
    _refused(_encrypted("himitsu"), "FILE_004")


def test_inspect__encrypted_with_wrong_password__refused():
    result = _inspect(_encrypted("himitsu"), password="machigai")
    assert flatten(result.findings, ["code", "file"]) == [("FILE_005", "回答/企画課.xlsx")]
    assert result.workbook is None


def test_inspect__encrypted_with_right_password__decrypted_bytes_to_parse():
    result = _inspect(_encrypted("himitsu"), password="himitsu")
    assert result.findings == []
    assert result.workbook == _valid()
    assert result.decrypted


def test_inspect__encrypted_macro_workbook__decrypted_then_refused(tmp_path):
    result = _inspect(_encrypted("himitsu", _macro_workbook(tmp_path)), password="himitsu")
    assert _codes(result) == ["FILE_011"]
    assert result.workbook is None
    assert result.decrypted


def test_inspect__encryption_streams_with_garbage__wrong_password_not_a_crash():
    fake = _ole({"EncryptionInfo": b"\x04\x00\x04\x00garbage", "EncryptedPackage": b"\x10" + bytes(20)})
    assert _codes(_inspect(fake)) == ["FILE_004"]
    assert _codes(_inspect(fake, password="himitsu")) == ["FILE_005"]


# --- inspect: zip bombs and a lying directory ------------------------------------------------------

def test_inspect__zip_bomb__refused_before_decompressing(monkeypatch):
    kernel = _zeros_deflated(3 * 1024)  # 3 GiB of zeros in about 3 MB
    bomb = _raw_zip(_replaced(_valid(), _Entry(SHEET, kernel, 3 * GiB, 0)))

    def no_decompression(*args, **kwargs):
        raise AssertionError("the gate decompressed a part of a zip bomb")

    monkeypatch.setattr(zlib, "decompressobj", no_decompression)
    result = _inspect(bomb)
    assert result.workbook is None
    assert result.findings == [
        finding("FILE_009", file="回答/企画課.xlsx", size=3 * GiB, limit=LIMITS.max_part_uncompressed),
        finding("FILE_008", file="回答/企画課.xlsx", part=SHEET, ratio=3 * GiB / len(kernel),
                limit=LIMITS.max_compression_ratio),
    ]


def test_inspect__directory_understates_a_bomb__stops_at_declared_size_with_little_memory():
    lying = _raw_zip(_replaced(_valid(), _Entry(SHEET, _zeros_deflated(3 * 1024), 10_000, 0)))
    tracemalloc.start()
    try:
        result = _inspect(lying)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MiB
    assert _codes(result) == ["FILE_008"]
    assert SHEET in result.findings[0].message
    assert result.workbook is None


def test_inspect__part_larger_than_declared_but_not_steep__refused_as_broken():
    noise = random.Random(1).randbytes(50_000)
    entry = _entry("docProps/noise.dat", noise)
    entry.size = 40_000
    data = _raw_zip(_entries(_valid()) + [entry])
    _refused(data, "FILE_003", detail="docProps/noise.dat が目次の大きさを超えて展開されます")


def test_inspect__part_smaller_than_declared__refused_as_broken():
    styles = _entry("xl/styles.xml", _parts(_valid())["xl/styles.xml"])
    styles.size += 100
    _refused(_raw_zip(_replaced(_valid(), styles)), "FILE_003",
             detail="xl/styles.xml の中身が目次の記載（大きさ・CRC）と一致しません")


def test_inspect__wrong_crc__refused_as_broken():
    styles = _entry("xl/styles.xml", _parts(_valid())["xl/styles.xml"])
    styles.crc ^= 1
    _refused(_raw_zip(_replaced(_valid(), styles)), "FILE_003",
             detail="xl/styles.xml の中身が目次の記載（大きさ・CRC）と一致しません")


def test_inspect__invalid_deflate_data__refused_as_broken():
    _refused(_raw_zip(_replaced(_valid(), _Entry("xl/styles.xml", b"\xff" * 100, 1000, 0))), "FILE_003",
             detail="xl/styles.xml の圧縮データが壊れています")


def test_inspect__deflate_stream_cut_short__refused_as_broken():
    content = b"<styleSheet>" + random.Random(2).randbytes(20_000).hex().encode() + b"</styleSheet>"
    compressed = _deflate(content)
    cut = _Entry("xl/styles.xml", compressed[: len(compressed) // 2], len(content), zlib.crc32(content))
    _refused(_raw_zip(_replaced(_valid(), cut)), "FILE_003", detail="xl/styles.xml の圧縮データが途中で切れています")


def test_inspect__declared_sizes_over_total_limit__refused():
    total = sum(len(c) for c in _parts(_valid()).values())
    _refused(_valid(), "FILE_009", Limits(max_total_uncompressed=1000), size=total, limit=1000)


def test_inspect__one_part_over_part_limit__refused():
    largest = max(len(c) for c in _parts(_valid()).values())
    _refused(_valid(), "FILE_009", Limits(max_part_uncompressed=1000), size=largest, limit=1000)


def test_inspect__too_many_parts__refused():
    count = len(_parts(_valid()))
    _refused(_valid(), "FILE_010", Limits(max_parts=count - 1), count=count, limit=count - 1)


def test_inspect__end_record_claims_60000_parts__refused_before_reading_the_directory():
    _refused(_raw_zip(_entries(_valid()), declared_count=60_000), "FILE_010", count=60_000, limit=LIMITS.max_parts)


def test_inspect__two_parts_with_the_same_name__refused():
    entries = _entries(_valid()) + [_entry("XL/Workbook.xml", b"<workbook/>")]
    _refused(_raw_zip(entries), "FILE_003", detail="同じ名前の部品が複数あります（XL/Workbook.xml）")


def test_inspect__local_header_names_another_part__refused():
    entries = _entries(_valid())
    entries[-1].local_name = "xl/other.xml"
    _refused(_raw_zip(entries), "FILE_003", detail=f"部品の見出しが壊れています（{entries[-1].name}）")


def test_inspect__overlapping_parts__refused():
    # "docProps/x.bin" is stored; its data is a whole second entry, which the directory also lists.
    inner = _entry("docProps/y.bin", b"y" * 100)
    carrier_payload = _local_header(inner) + inner.payload
    carrier = _Entry("docProps/x.bin", carrier_payload, len(carrier_payload), zlib.crc32(carrier_payload), method=0)
    entries = [carrier, *_entries(_valid()), inner]
    at = 30 + len(carrier.name)  # the carrier is first, so its data starts right after its header
    data = _raw_zip(entries, inside={inner.name: at})
    _refused(data, "FILE_003", detail="部品が重なっています（docProps/x.bin、docProps/y.bin）")


def test_inspect__encrypted_zip_entry__refused():
    entries = _entries(_valid())
    entries[0].flags = 1
    _refused(_raw_zip(entries), "FILE_003", detail=f"部品が暗号化されています（{entries[0].name}）")


def test_inspect__unsupported_compression_method__refused():
    entries = _entries(_valid())
    entries[0].method = 12  # bzip2: neither Excel nor LibreOffice writes it
    _refused(_raw_zip(entries), "FILE_003", detail=f"対応していない圧縮方式です（{entries[0].name}）")


# --- inspect: active and outside content -----------------------------------------------------------

def test_inspect__xlsm_with_vba_project__refused_not_parsed(tmp_path):
    _refused(_macro_workbook(tmp_path), "FILE_011", part="xl/vbaProject.bin ほか2件")


def test_inspect__macro_enabled_content_type_without_vba__refused():
    types = _parts(_valid())["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    _refused(_changed(_valid(), {"[Content_Types].xml": types}), "FILE_011", part="[Content_Types].xml: macroEnabled")


def test_inspect__excel4_macro_sheet__refused():
    _refused(_changed(_valid(), {"xl/macrosheets/sheet1.xml": b"<xm:macrosheet/>"}), "FILE_011",
             part="xl/macrosheets/sheet1.xml")


def test_inspect__activex_control__refused():
    _refused(_changed(_valid(), {"xl/activeX/activeX1.xml": b"<ax:ocx/>"}), "FILE_012", part="xl/activeX/activeX1.xml")


def test_inspect__embedded_ole_object__refused():
    _refused(_changed(_valid(), {"xl/embeddings/oleObject1.bin": gate.OLE_MAGIC}), "FILE_013",
             part="xl/embeddings/oleObject1.bin")


def test_inspect__ole_object_relationship_to_outside__refused():
    rels = (b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/oleObject"'
            b' Target="file:///C:/secret.doc" TargetMode="External"/></Relationships>')
    _refused(_changed(_valid(), {"xl/worksheets/_rels/sheet1.xml.rels": rels}), "FILE_013",
             part="xl/worksheets/_rels/sheet1.xml.rels")


def test_inspect__external_link__refused():
    _refused(_changed(_valid(), {"xl/externalLinks/externalLink1.xml": b"<externalLink/>"}), "FILE_014",
             part="xl/externalLinks/externalLink1.xml")


def test_inspect__several_kinds_of_active_content__one_finding_each_in_code_order(tmp_path):
    data = _changed(_macro_workbook(tmp_path), {"xl/externalLinks/externalLink1.xml": b"<externalLink/>",
                                                "xl/activeX/activeX1.xml": b"<ax:ocx/>"})
    assert _codes(_inspect(data)) == ["FILE_011", "FILE_012", "FILE_014"]



# --- inspect: parts that no reader opens (the theme) are bounded by the directory, never inflated ------

THEME = "xl/theme/theme1.xml"


def test_inspect__bomb_declared_in_the_unread_theme__still_refused_naming_the_part(monkeypatch):
    kernel = _zeros_deflated(300)   # 300 MiB of zeros, declared as such: the directory alone refuses it
    bomb = _raw_zip(_replaced(_valid(), _Entry(THEME, kernel, 300 * MiB, 0)))
    monkeypatch.setattr(zlib, "decompressobj", lambda *a, **k: pytest.fail("the gate decompressed the bomb"))
    result = _inspect(bomb)
    assert result.workbook is None
    assert _codes(result) == ["FILE_009", "FILE_008"]   # too large, and inflating too steeply
    assert THEME in result.findings[1].message


def test_inspect__bomb_under_a_lying_directory_in_the_unread_theme__harmless_never_inflated():
    """The directory says 10,000 bytes; the data would inflate to 3 GiB. No reader opens the theme, so the
    gate lets the workbook through without inflating it, and reading every sheet never touches it."""
    from pipeline.intake.reader import read_values
    lying = _raw_zip(_replaced(_valid(), _Entry(THEME, _zeros_deflated(3 * 1024), 10_000, 0)))
    inflated: list[int] = []
    real = zlib.decompressobj

    def counting(*args, **kwargs):
        inflated.append(1)
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(zlib, "decompressobj", counting)
        result = _inspect(lying)
    assert result.workbook is not None and result.findings == []
    assert THEME not in result.parts
    assert len(inflated) == len(_parts(_valid())) - 1    # every part but the theme
    book = read_values(result.workbook, parts=result.parts, formula_parts=result.formula_parts)
    assert [book.rows(name) for name in book.sheet_names] == [[["進捗状況", ""], ["", 44.7]]]


def test_inspect__dtd_in_the_unread_theme__harmless_and_let_through():
    data = _changed(_valid(), {THEME: BILLION_LAUGHS.encode()})
    result = _inspect(data)
    assert result.workbook is not None and result.findings == []


def test_inspect__dtd_in_a_part_that_merely_looks_like_a_theme__still_refused():
    for name in ("xl/theme/theme1.xml.rels", "xl/themes/theme1.xml", "xl/theme/sub/theme1.xml"):
        _refused(_changed(_valid(), {name: BILLION_LAUGHS.encode()}), "FILE_017", part=name)


def test_inspect__macro_named_under_the_theme_folder__still_refused_by_its_name():
    _refused(_changed(_valid(), {"xl/theme/vbaProject.bin": b"\0" * 100}), "FILE_011", part="xl/theme/vbaProject.bin")


# --- inspect: XML with a DTD -----------------------------------------------------------------------

def test_inspect__billion_laughs_in_sheet__refused():
    _refused(_changed(_valid(), {SHEET: BILLION_LAUGHS.encode()}), "FILE_017", part=SHEET)


def test_inspect__xxe_in_sheet__refused():
    _refused(_changed(_valid(), {SHEET: XXE.encode()}), "FILE_017", part=SHEET)


def test_inspect__xxe_in_utf16_sheet__refused():
    xml = XXE.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    _refused(_changed(_valid(), {SHEET: "\ufeff".encode("utf-16-le") + xml.encode("utf-16-le")}), "FILE_017", part=SHEET)


def test_inspect__lowercase_doctype_in_shared_strings__refused():
    strings = b'<?xml version="1.0"?><!doctype sst [<!entity a "b">]><sst/>'
    _refused(_changed(_valid(), {"xl/sharedStrings.xml": strings}), "FILE_017", part="xl/sharedStrings.xml")


def test_inspect__doctype_after_300_kib_of_comment__still_found():
    prolog = "<!--" + "x" * 300 * 1024 + "-->" + '<!DOCTYPE w [<!ENTITY x "y">]>\n'
    _refused(_changed(_valid(), {SHEET: _sheet_xml(prolog, "&x;").encode()}), "FILE_017", part=SHEET)


@pytest.mark.parametrize("shift", range(-8, 2))
def test_inspect__doctype_split_across_two_decompressed_chunks__still_found(shift):
    head = '<?xml version="1.0"?>\n<!--'
    pad = gate._OUT_CHUNK + shift - len(head) - len("-->")
    xml = head + "x" * pad + "-->" + "<!DOCTYPE w><w/>"
    _refused(_changed(_valid(), {SHEET: xml.encode()}), "FILE_017", part=SHEET)


def test_inspect__dtd_in_several_parts__one_finding_naming_the_first():
    data = _changed(_valid(), {SHEET: XXE.encode(), "xl/sharedStrings.xml": BILLION_LAUGHS.encode()})
    result = _inspect(data)
    assert _codes(result) == ["FILE_017"]
    assert "ほか1件" in result.findings[0].message


def test_inspect__xml_declared_in_utf7__refused_because_a_dtd_could_hide():
    xml = XXE.replace('encoding="UTF-8"', 'encoding="UTF-7"').replace("<!DOCTYPE", "+ADw-!DOCTYPE")
    _refused(_changed(_valid(), {SHEET: xml.encode()}), "FILE_003",
             detail=f"{SHEET} の文字コード（UTF-7）は読み取りに対応していません")


def test_inspect__xml_part_not_starting_like_xml__refused():
    ebcdic = XXE.encode("cp037")
    _refused(_changed(_valid(), {SHEET: ebcdic}), "FILE_003", detail=f"{SHEET} が XML として読めません")


# --- read_stable -----------------------------------------------------------------------------------

def test_read_stable__a_file__its_bytes(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(_valid())
    assert read_stable(path, LIMITS) == (_valid(), [])


def test_read_stable__over_size_limit__refused_without_opening(tmp_path, monkeypatch):
    path = tmp_path / "big.xlsx"
    path.write_bytes(bytes(1000))

    def no_open(*args, **kwargs):
        raise AssertionError("the file was opened")

    monkeypatch.setattr(inbox.os, "open", no_open)
    data, found = read_stable(path, Limits(max_file_bytes=999), name="sub/big.xlsx")
    assert data is None
    assert found == [finding("FILE_002", file="sub/big.xlsx", size=1000, limit=999)]


def _after_first_read(monkeypatch, action):
    """Run `action` right after read_stable's first read: the file changes while it is being read."""
    real_read = os.read
    calls = []

    def read(fd, n):
        chunk = real_read(fd, n)
        if not calls:
            action()
        calls.append(n)
        return chunk

    monkeypatch.setattr(inbox.os, "read", read)


def test_read_stable__file_grows_while_read__still_being_written(tmp_path, monkeypatch):
    path = tmp_path / "copying.xlsx"
    path.write_bytes(_valid()[:1000])

    def copy_the_rest():
        with path.open("ab") as fh:
            fh.write(_valid()[1000:])

    _after_first_read(monkeypatch, copy_the_rest)
    assert read_stable(path, LIMITS, name="copying.xlsx") == (None, [finding("FILE_019", file="copying.xlsx")])


def test_read_stable__rewritten_same_size_while_read__still_being_written(tmp_path, monkeypatch):
    path = tmp_path / "saving.xlsx"
    path.write_bytes(_valid())
    mtime = path.stat().st_mtime_ns
    _after_first_read(monkeypatch, lambda: os.utime(path, ns=(mtime, mtime + 1_000_000_000)))
    assert read_stable(path, LIMITS)[1] == [finding("FILE_019", file="saving.xlsx")]


def test_read_stable__file_gone__cannot_open(tmp_path):
    data, found = read_stable(tmp_path / "moved.xlsx", LIMITS, name="moved.xlsx")
    assert data is None
    assert found == [finding("FILE_020", file="moved.xlsx", detail="ファイルが見つかりません（移動または削除された可能性）")]


@pytest.mark.skipif(platform.WINDOWS, reason=POSIX_ONLY)
def test_read_stable__named_pipe__refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.xlsx")
    assert read_stable(tmp_path / "pipe.xlsx", LIMITS)[1] == [
        finding("FILE_020", file="pipe.xlsx", detail="通常のファイルではありません")]


# --- scan_inbox ------------------------------------------------------------------------------------

def _put(root: Path, relative: str, content: bytes | None = None) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_valid() if content is None else content)
    return path


def _names(inbox: inbox.Inbox) -> list[str]:
    return [c.relative for c in inbox.candidates]


def test_scan_inbox__workbooks_in_subfolders__taken_in_name_order(tmp_path):
    for name in ["総務課.xlsx", "b/企画課.XLSX", "a-b.xlsm", "a/old.xls", "a/calc.ods"]:
        _put(tmp_path, name)
    inbox = scan_inbox(tmp_path)
    assert _names(inbox) == ["a-b.xlsm", "a/calc.ods", "a/old.xls", "b/企画課.XLSX", "総務課.xlsx"]
    assert inbox.skipped == []
    first = inbox.candidates[0]
    assert (first.path, first.size, first.mtime) == (
        tmp_path / "a-b.xlsm", len(_valid()), (tmp_path / "a-b.xlsm").stat().st_mtime)


def test_scan_inbox__folder_named_like_a_workbook__is_just_a_folder(tmp_path):
    _put(tmp_path, "x.xlsx/inside.xlsx")
    assert _names(scan_inbox(tmp_path)) == ["x.xlsx/inside.xlsx"]


def test_scan_inbox__lock_hidden_and_system_files__ignored_silently(tmp_path):
    for name in ["~$企画課.xlsx", ".~lock.企画課.xlsx#", ".hidden.xlsx", ".git/objects/a.xlsx", "Thumbs.db",
                 "desktop.ini", "sub/DESKTOP.INI"]:
        _put(tmp_path, name)
    assert scan_inbox(tmp_path) == inbox.Inbox([], [])


def test_scan_inbox__other_files__not_taken_with_the_reason(tmp_path):
    _put(tmp_path, "依頼文.pdf", b"%PDF-1.7")
    _put(tmp_path, "回答.csv", b"a,b\n")
    _put(tmp_path, "memo", b"hello")
    _put(tmp_path, "notes.dat", b"hello")
    inbox = scan_inbox(tmp_path)
    assert inbox.candidates == []
    assert inbox.skipped == [
        finding("FILE_021", file="memo", detail="拡張子なし、Excel ファイルの形式でもありません"),
        finding("FILE_021", file="notes.dat", detail="拡張子 .dat、Excel ファイルの形式でもありません"),
        finding("FILE_021", file="依頼文.pdf", detail="PDF（.pdf）"),
        finding("FILE_021", file="回答.csv", detail="CSV（.csv）"),
    ]


def test_scan_inbox__no_or_odd_extension_but_zip_or_ole_inside__taken(tmp_path):
    _put(tmp_path, "企画課の回答")
    _put(tmp_path, "old.download", _ole({"Workbook": _biff_workbook_stream()}))
    assert _names(scan_inbox(tmp_path)) == ["old.download", "企画課の回答"]


@pytest.mark.skipif(platform.WINDOWS, reason=POSIX_ONLY)
def test_scan_inbox__symlinks_out_of_the_inbox__refused_with_target(tmp_path):
    inbox_dir = tmp_path / "inbox"
    outside = _put(tmp_path, "elsewhere/secret.xlsx")
    inbox_dir.mkdir()
    (inbox_dir / "passwd.xlsx").symlink_to("/etc/passwd")
    (inbox_dir / "secret.xlsx").symlink_to(outside)
    (inbox_dir / "elsewhere").symlink_to(outside.parent, target_is_directory=True)
    inbox = scan_inbox(inbox_dir)
    assert inbox.candidates == []
    assert inbox.skipped == [
        finding("FILE_018", file="elsewhere", target=os.path.realpath(outside.parent)),
        finding("FILE_018", file="passwd.xlsx", target=os.path.realpath("/etc/passwd")),
        finding("FILE_018", file="secret.xlsx", target=os.path.realpath(outside)),
    ]


@pytest.mark.skipif(platform.WINDOWS, reason=POSIX_ONLY)
def test_scan_inbox__symlinks_inside__file_taken_folder_not_followed(tmp_path):
    _put(tmp_path, "real.xlsx")
    (tmp_path / "alias.xlsx").symlink_to(tmp_path / "real.xlsx")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "gone.xlsx").symlink_to(tmp_path / "deleted.xlsx")
    inbox = scan_inbox(tmp_path)
    assert _names(inbox) == ["alias.xlsx", "real.xlsx"]
    assert inbox.skipped == [finding("FILE_020", file="gone.xlsx", detail="リンク先が見つかりません")]


@pytest.mark.skipif(platform.WINDOWS, reason=POSIX_ONLY)
def test_scan_inbox__named_pipe__not_taken_and_never_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    assert scan_inbox(tmp_path).skipped == [finding("FILE_021", file="pipe", detail="通常のファイルではありません")]


@pytest.mark.skipif(platform.WINDOWS, reason="a name in bytes (cp932 from a Windows zip or share) is POSIX's: Windows names are UTF-16")
def test_scan_inbox__mac_and_windows_file_names__shown_as_composed_text(tmp_path):
    _put(tmp_path, unicodedata.normalize("NFD", "ガバナンス.xlsx"))
    cp932_name = "テスト.xlsx".encode("cp932")
    with open(os.path.join(os.fsencode(tmp_path), cp932_name), "wb") as fh:
        fh.write(_valid())
    assert _names(scan_inbox(tmp_path)) == ["ガバナンス.xlsx", "テスト.xlsx"]
    assert all(c.path.exists() for c in scan_inbox(tmp_path).candidates)


def test_scan_inbox__missing_folder__empty_inbox(tmp_path):
    assert scan_inbox(tmp_path / "2099") == inbox.Inbox([], [])
