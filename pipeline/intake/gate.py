"""Stage 2b: the file gate. No parser touches a returned file before `inspect_workbook` says yes.

It decides from the bytes alone whether they may be parsed: encrypted, legacy or OpenDocument files,
broken zips, zip bombs, macros and other active content, and XML with a DTD (entity bombs, XXE). It reads
the zip's central directory before it decompresses anything, and then decompresses every part as a
stream with a hard cap, because the directory can lie. A part that no reader opens (the theme, printer
settings, a thumbnail: see `_never_read`) is not inflated: nothing can be harmed by what it hides, and it is
still bounded by what the directory declares (size, total, ratio) and judged by its name.

Nothing here executes, renders or extracts anything to disk.
"""

from __future__ import annotations

import dataclasses
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise

import msoffcrypto.exceptions
import olefile
from msoffcrypto.format.ooxml import OOXMLFile

from pipeline.config import Limits
from pipeline.findings import Code, Finding, finding
from pipeline.intake.reader import may_hold_formula, worth_keeping

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

RATIO_MIN_PART = 1024 * 1024   # below this a part's compression ratio is not judged: small XML compresses well
_IN_CHUNK = 64 * 1024          # compressed bytes fed to zlib at a time
_OUT_CHUNK = 256 * 1024        # most decompressed bytes zlib may return at a time
_TAIL = 64                     # bytes kept between chunks so a keyword split across two is still found

# Parts never parsed as XML by any reader we use; everything else is scanned for a DTD.
_BINARY_SUFFIXES = (".bin", ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".svg")
_XML_SUFFIXES = (".xml", ".rels", ".vml")
# Parts that no reader we use ever opens: calamine reads the workbook, its relationships, the sheets, shared
# strings, styles and tables; pipeline.intake.reader the document properties, the sheet index, styles and
# sheets; the gate itself the content types and every relationship part. Lower-case names.
_NEVER_READ = re.compile(r"xl/theme/[^/]+\.xml|xl/printersettings/[^/]+\.bin|docprops/thumbnail\.[a-z]+")
_DTD = re.compile(rb"<!(?:doctype|entity)", re.IGNORECASE)
_MACRO_CONTENT_TYPE = re.compile(rb"macroenabled", re.IGNORECASE)
# Relationship types that pull in active or outside content, whatever the target part is called.
_RELATIONSHIP = re.compile(
    rb"""type\s*=\s*["'][^"']*/(vbaproject|control|oleobject|package|externallink|externallinkpath)["']""",
    re.IGNORECASE,
)
_RELATIONSHIP_CODE = {
    b"vbaproject": Code.FILE_011,
    b"control": Code.FILE_012,
    b"oleobject": Code.FILE_013,
    b"package": Code.FILE_013,
    b"externallink": Code.FILE_014,
    b"externallinkpath": Code.FILE_014,
}
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
# Encodings in which "<!DOCTYPE" is spelled with the ASCII bytes this module looks for (after the
# NUL bytes of UTF-16 and UTF-32 are dropped). Anything else (UTF-7, EBCDIC, …) could hide a DTD.
_SCANNABLE_ENCODINGS = re.compile(
    r"utf-?(8|16|32)(le|be)?|(us-)?ascii|iso-8859-\d+|windows-125\d|shift[_-]jis|sjis|cp932|windows-31j|euc-jp",
    re.IGNORECASE,
)


# --- the gate -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Inspection:
    """The gate's verdict. `workbook` is the bytes to parse (decrypted when they were encrypted),
    or None when the file must not be parsed; then `findings` holds at least one error."""

    findings: list[Finding]
    workbook: bytes | None
    decrypted: bool = False
    # What the scan saw while inflating every part, so the reader need not inflate them again:
    # the parts the reader needs (document properties, sheet index, styles, worksheets; by name, those
    # the package has), and the worksheets that may hold a formula.
    parts: dict[str, bytes] = field(default_factory=dict)
    formula_parts: frozenset[str] = frozenset()


def inspect_workbook(data: bytes, name: str, limits: Limits, password: str | None = None) -> Inspection:
    """Decide from the bytes alone whether a returned file may be parsed. Never raises for bad bytes."""
    if not data:
        return _refused(finding(Code.FILE_001, file=name))
    if len(data) > limits.max_file_bytes:
        return _refused(finding(Code.FILE_002, file=name, size=len(data), limit=limits.max_file_bytes))
    if data.startswith(OLE_MAGIC):
        return _inspect_ole(data, name, limits, password)
    if _is_ods(data):
        return _refused(finding(Code.FILE_007, file=name))
    return _inspect_zip(data, name, limits)


def _refused(*findings: Finding) -> Inspection:
    return Inspection(list(findings), None)


def _broken(name: str, detail: str) -> Inspection:
    return _refused(finding(Code.FILE_003, file=name, detail=detail))


def _inspect_ole(data: bytes, name: str, limits: Limits, password: str | None) -> Inspection:
    """An OLE compound file: an encrypted .xlsx, a legacy .xls, or some other old Office file."""
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            encrypted = ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage")
            legacy_workbook = ole.exists("Workbook") or ole.exists("Book")
    except Exception:  # olefile raises many kinds of errors on a damaged file; all mean the same here
        return _broken(name, "Office 97-2003 形式のファイルとして壊れています")
    if legacy_workbook and not encrypted:
        return _refused(finding(Code.FILE_006, file=name))
    if not encrypted:
        return _broken(name, "Excel ではない Office 97-2003 形式の文書です")
    if password is None:
        return _refused(finding(Code.FILE_004, file=name))
    try:
        office_file = OOXMLFile(io.BytesIO(data))
        office_file.load_key(password=password, verify_password=True)
        plain = io.BytesIO()
        office_file.decrypt(plain)
    except (msoffcrypto.exceptions.InvalidKeyError, msoffcrypto.exceptions.DecryptionError,
            msoffcrypto.exceptions.FileFormatError):
        return _refused(finding(Code.FILE_005, file=name))
    except Exception:  # a damaged EncryptionInfo makes msoffcrypto fail in many ways
        return _refused(finding(Code.FILE_005, file=name))
    # The decrypted package goes through the whole gate; without the password, so a file encrypted
    # twice stops here instead of recursing.
    inner = inspect_workbook(plain.getvalue(), name, limits, None)
    return dataclasses.replace(inner, decrypted=True)


def _is_ods(data: bytes) -> bool:
    """ODF puts an uncompressed "mimetype" part first, so the first local header says what it is."""
    if not data.startswith(b"PK\x03\x04") or len(data) < 30:
        return False
    name_length, extra_length = struct.unpack_from("<HH", data, 26)
    if data[30:30 + name_length] != b"mimetype":
        return False
    start = 30 + name_length + extra_length
    return data[start:start + len(ODS_MIMETYPE)] == ODS_MIMETYPE


@dataclass
class _Part:
    """One zip entry as the central directory declares it, with where its data really lies."""

    info: zipfile.ZipInfo
    data_start: int = 0

    @property
    def name(self) -> str:
        return self.info.filename

    @property
    def data_end(self) -> int:
        return self.data_start + self.info.compress_size


def _inspect_zip(data: bytes, name: str, limits: Limits) -> Inspection:
    if not data.startswith(ZIP_MAGICS):
        return _broken(name, "ZIP 形式ではありません")
    declared = _declared_entry_count(data)
    if declared is not None and declared > limits.max_parts:
        return _refused(finding(Code.FILE_010, file=name, count=declared, limit=limits.max_parts))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except Exception:  # zipfile raises several kinds of errors on a damaged directory; all mean the same
        return _broken(name, "ZIP の目次が壊れているか、ファイルが途中で切れています")
    if len(infos) > limits.max_parts:
        return _refused(finding(Code.FILE_010, file=name, count=len(infos), limit=limits.max_parts))

    problem = _structure_problem(data, infos)
    if problem:
        return _broken(name, problem)
    parts = [_Part(i, _data_start(data, i)) for i in infos]
    problem = _layout_problem(data, parts)
    if problem:
        return _broken(name, problem)

    refused = _directory_findings(parts, name, limits)
    if refused:
        return _refused(*refused)  # nothing has been decompressed

    flags = _Flags()
    for part in parts:
        flags.note_name(part.name)
    for part in parts:
        if part.name.endswith("/") or _never_read(part.name):
            continue
        problem = _scan_part(memoryview(data)[part.data_start:part.data_end], part.info, flags, limits)
        if problem:
            return _refused(problem.as_finding(name, limits))
    findings = flags.findings(name)
    if findings:
        return Inspection(findings, None)
    return Inspection(findings, data, parts=flags.kept, formula_parts=frozenset(flags.formula_parts))


def _never_read(part: str) -> bool:
    """Whether no reader opens this part, so the gate need not inflate it (see _NEVER_READ)."""
    return _NEVER_READ.fullmatch(part.lower()) is not None


def _declared_entry_count(data: bytes) -> int | None:
    """The entry count in the end-of-central-directory record (zip64 too), read before zipfile
    builds an object per entry; None when the record is not found (zipfile will then refuse)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if end < 0 or end + 22 > len(data):
        return None
    count = struct.unpack_from("<H", data, end + 10)[0]
    locator = end - 20
    if count == 0xFFFF and locator >= 0 and data[locator:locator + 4] == b"PK\x06\x07":
        record = struct.unpack_from("<Q", data, locator + 8)[0]
        if record + 56 <= len(data) and data[record:record + 4] == b"PK\x06\x06":
            count = struct.unpack_from("<Q", data, record + 32)[0]
    return count


def _structure_problem(data: bytes, infos: list[zipfile.ZipInfo]) -> str | None:
    """What makes this zip not an Excel workbook, as a short Japanese detail; None if nothing."""
    seen: set[str] = set()
    for info in infos:
        key = info.filename.lower()  # part names in an Office package are case-insensitive
        if key in seen:
            return f"同じ名前の部品が複数あります（{info.filename}）"
        seen.add(key)
        if info.flag_bits & 0x1:
            return f"部品が暗号化されています（{info.filename}）"
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return f"対応していない圧縮方式です（{info.filename}）"
    if "[content_types].xml" not in seen:
        return "[Content_Types].xml がありません"
    if "xl/workbook.xml" not in seen:
        return "xl/workbook.xml がありません（Excel ブックではありません）"
    return None


def _data_start(data: bytes, info: zipfile.ZipInfo) -> int:
    """Where the entry's compressed bytes begin, from its local header; -1 when the header is bad."""
    offset = info.header_offset
    if offset < 0 or offset + 30 > len(data) or data[offset:offset + 4] != b"PK\x03\x04":
        return -1
    name_length, extra_length = struct.unpack_from("<HH", data, offset + 26)
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    try:
        central_name = info.orig_filename.encode(encoding)
    except UnicodeEncodeError:
        return -1
    # The local and central names must agree, or two readers could see two different files.
    if data[offset + 30:offset + 30 + name_length] != central_name:
        return -1
    return offset + 30 + name_length + extra_length


def _layout_problem(data: bytes, parts: list[_Part]) -> str | None:
    for part in parts:
        if part.data_start < 0:
            return f"部品の見出しが壊れています（{part.name}）"
        if part.data_end > len(data):
            return f"ファイルが途中で切れています（{part.name}）"
    # Overlapping entries are how the densest zip bombs reuse one compressed kernel many times.
    ordered = sorted(parts, key=lambda p: p.info.header_offset)
    for first, second in pairwise(ordered):
        if second.info.header_offset < first.data_end:
            return f"部品が重なっています（{first.name}、{second.name}）"
    return None


def _directory_findings(parts: list[_Part], name: str, limits: Limits) -> list[Finding]:
    """Zip bomb checks from the declared sizes alone, before anything is decompressed."""
    found = []
    largest = max(parts, key=lambda p: p.info.file_size, default=None)
    total = sum(p.info.file_size for p in parts)
    if largest is not None and largest.info.file_size > limits.max_part_uncompressed:
        found.append(finding(Code.FILE_009, file=name, size=largest.info.file_size,
                             limit=limits.max_part_uncompressed))
    elif total > limits.max_total_uncompressed:
        found.append(finding(Code.FILE_009, file=name, size=total, limit=limits.max_total_uncompressed))
    for part in parts:
        if part.info.file_size >= RATIO_MIN_PART:
            ratio = part.info.file_size / max(part.info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                found.append(finding(Code.FILE_008, file=name, part=part.name, ratio=ratio,
                                     limit=limits.max_compression_ratio))
                break
    return found


@dataclass(frozen=True)
class _PartProblem:
    """A part whose bytes do not match what the directory declares (the directory lied)."""

    part: str
    detail: str
    ratio: float | None = None   # set when the part expanded past its declared size that steeply

    def as_finding(self, name: str, limits: Limits) -> Finding:
        if self.ratio is not None:
            return finding(Code.FILE_008, file=name, part=self.part, ratio=self.ratio, limit=limits.max_compression_ratio)
        return finding(Code.FILE_003, file=name, detail=self.detail)


class _Flags:
    """Active or outside content and DTDs found in the package, by code, in the order found."""

    _NAME_RULES = (
        (Code.FILE_011, lambda n: n.endswith("vbaproject.bin") or n.startswith("xl/macrosheets/")),
        (Code.FILE_012, lambda n: n.startswith("xl/activex/")),
        (Code.FILE_013, lambda n: n.startswith("xl/embeddings/") or "oleobject" in n),
        (Code.FILE_014, lambda n: n.startswith("xl/externallinks/") or n == "xl/connections.xml"),
    )

    def __init__(self) -> None:
        self.parts: dict[str, list[str]] = {}
        self.kept: dict[str, bytes] = {}      # inflated parts the reader needs (reader.worth_keeping)
        self.formula_parts: set[str] = set()

    def add(self, code: str, part: str) -> None:
        found = self.parts.setdefault(code, [])
        if part not in found:
            found.append(part)

    def note_name(self, part: str) -> None:
        lowered = part.lower()
        for code, rule in self._NAME_RULES:
            if rule(lowered):
                self.add(code, part)

    def findings(self, name: str) -> list[Finding]:
        return [
            finding(code, file=name, part=_parts_label(self.parts[code]))
            for code in sorted(self.parts)
        ]


def _parts_label(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{parts[0]} ほか{len(parts) - 1}件"


def _scan_part(compressed: memoryview, info: zipfile.ZipInfo, flags: _Flags, limits: Limits) -> _PartProblem | None:
    """Decompress one part as a stream (never past its declared size) and look inside it."""
    part = info.filename
    lowered = part.lower()
    xml = lowered.endswith(_XML_SUFFIXES)
    scanned = xml or not lowered.endswith(_BINARY_SUFFIXES)
    content_types = lowered == "[content_types].xml"
    relationships = lowered.endswith(".rels")
    kept: list[bytes] | None = [] if worth_keeping(part, info.file_size) else None
    worksheet = part.startswith("xl/worksheets/") and part.endswith(".xml")
    chunks = 0
    crc = 0
    produced = 0
    tail = b""
    first = True
    try:
        for chunk, consumed in _inflate(compressed, info.compress_type, info.file_size):
            produced += len(chunk)
            if produced > info.file_size:
                ratio = produced / max(consumed, 1)
                steep = ratio > limits.max_compression_ratio
                return _PartProblem(part, f"{part} が目次の大きさを超えて展開されます", ratio if steep else None)
            crc = zlib.crc32(chunk, crc)
            chunks += 1
            if kept is not None:
                kept.append(chunk)
            # a worksheet inflated in more than one chunk is left for the reader to scan whole
            if worksheet and (chunks > 1 or may_hold_formula(part, chunk)):
                flags.formula_parts.add(part)
            if not scanned:
                continue
            # UTF-16 and UTF-32 spell ASCII keywords with NUL bytes between
            text = chunk.replace(b"\0", b"") if b"\0" in chunk else chunk
            if first and xml and text:
                problem = _xml_start_problem(part, text)
                if problem:
                    return _PartProblem(part, problem)
            first = False
            window = tail + text
            # plain finds first, the rarest byte first: most parts have no "!" at all
            if b"!" in window and b"<!" in window and _DTD.search(window):
                flags.add(Code.FILE_017, part)
            if content_types and _MACRO_CONTENT_TYPE.search(window):
                flags.add(Code.FILE_011, f"{part}: macroEnabled")
            if relationships:
                for match in _RELATIONSHIP.finditer(window):
                    flags.add(_RELATIONSHIP_CODE[match.group(1).lower()], part)
            tail = window[-_TAIL:]
    except zlib.error:
        return _PartProblem(part, f"{part} の圧縮データが壊れています")
    except _Truncated:
        return _PartProblem(part, f"{part} の圧縮データが途中で切れています")
    if produced != info.file_size or crc != info.CRC:
        return _PartProblem(part, f"{part} の中身が目次の記載（大きさ・CRC）と一致しません")
    if kept is not None:
        flags.kept[part] = b"".join(kept)
    return None


class _Truncated(Exception):
    pass


def _inflate(compressed: memoryview, method: int, declared: int) -> Iterator[tuple[bytes, int]]:
    """Yield (decompressed chunk, compressed bytes consumed so far), stopping at most one byte past
    `declared`, so a part that lies about its size never costs more than it declared."""
    if method == zipfile.ZIP_STORED:
        for start in range(0, min(len(compressed), declared + 1), _OUT_CHUNK):
            end = min(start + _OUT_CHUNK, len(compressed), declared + 1)
            yield bytes(compressed[start:end]), end
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    for start in range(0, len(compressed), _IN_CHUNK):
        pending = compressed[start:start + _IN_CHUNK]
        fed = start + len(pending)
        while pending:
            room = declared + 1 - produced
            out = inflater.decompress(pending, min(_OUT_CHUNK, room))
            pending = inflater.unconsumed_tail
            if out:
                produced += len(out)
                yield out, fed - len(pending)
                if produced > declared:
                    return
            elif pending and not inflater.eof:
                # zlib keeps input it could not use yet only when the output limit was reached
                raise _Truncated
            if inflater.eof:
                return
    if not inflater.eof:
        raise _Truncated


def _xml_start_problem(part: str, head: bytes) -> str | None:
    """An XML part must begin like XML in an encoding whose DTD keywords the scan can see."""
    head = head.lstrip(b"\xef\xbb\xbf\xff\xfe").lstrip()
    if not head.startswith(b"<"):
        return f"{part} が XML として読めません"
    declared = _XML_ENCODING.match(head)
    if declared and not _SCANNABLE_ENCODINGS.fullmatch(declared.group(1).decode("ascii", "replace")):
        return f"{part} の文字コード（{declared.group(1).decode('ascii', 'replace')}）は読み取りに対応していません"
    return None
