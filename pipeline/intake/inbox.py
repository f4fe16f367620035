"""Stage 2a: the inbox. What is in the year's inbox folder, and each candidate's bytes read once.

- `scan_inbox` lists what is in the folder: the candidates (each an `InboxFile`, which is how a file is
  known from here on: its real path, and the name every finding shows), and what was not taken and why;
- `read_stable` reads one candidate's bytes once (everything downstream uses these bytes, never the
  path again), and notices a file that is still being written.

The inbox is only ever read: nothing here moves, changes or deletes a file.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import platform
from pipeline.config import Limits
from pipeline.findings import Code, Finding, finding
from pipeline.intake.gate import OLE_MAGIC, ZIP_MAGICS

WORKBOOK_EXTENSIONS = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})
# What may hold a return without being one: a zip, a whole mail saved (pipeline.collect.held names what is inside).
HELD_EXTENSIONS = frozenset({".zip", ".msg", ".eml"})
IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini"})
# Extensions that are clearly something else: not taken, with what they are in the warning.
# A file with any other (or no) extension is taken when its first bytes say zip or OLE.
OTHER_FILES: dict[str, str] = {
    ".xlsb": "Excel バイナリブック（.xlsb）",
    ".xltx": "Excel テンプレート（.xltx）",
    ".xltm": "Excel マクロ有効テンプレート（.xltm）",
    ".xlam": "Excel アドイン（.xlam）",
    ".csv": "CSV（.csv）",
    ".tsv": "テキスト（.tsv）",
    ".txt": "テキスト（.txt）",
    ".pdf": "PDF（.pdf）",
    ".doc": "Word 文書（.doc）",
    ".docx": "Word 文書（.docx）",
    ".docm": "Word 文書（.docm）",
    ".rtf": "文書（.rtf）",
    ".ppt": "PowerPoint（.ppt）",
    ".pptx": "PowerPoint（.pptx）",
    ".odt": "OpenDocument 文書（.odt）",
    ".odp": "OpenDocument プレゼンテーション（.odp）",
    ".zip": "ZIP 圧縮ファイル（.zip）",
    ".7z": "圧縮ファイル（.7z）",
    ".lzh": "圧縮ファイル（.lzh）",
    ".rar": "圧縮ファイル（.rar）",
    ".msg": "Outlook のメール（.msg）",
    ".eml": "メール（.eml）",
    ".png": "画像（.png）",
    ".jpg": "画像（.jpg）",
    ".jpeg": "画像（.jpeg）",
    ".gif": "画像（.gif）",
    ".bmp": "画像（.bmp）",
    ".htm": "HTML（.htm）",
    ".html": "HTML（.html）",
    ".xml": "XML（.xml）",
    ".lnk": "ショートカット（.lnk）",
    ".tmp": "一時ファイル（.tmp）",
    ".bak": "バックアップファイル（.bak）",
}

_READ_CHUNK = 1024 * 1024


# --- the inbox ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class InboxFile:
    """A file that may be a return. `relative` uses "/" and is the name every finding shows."""

    path: Path
    relative: str
    size: int
    mtime: float


@dataclass(frozen=True)
class Inbox:
    candidates: list[InboxFile] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)   # what was seen but not taken, and why
    held: list[InboxFile] = field(default_factory=list)     # zips and saved mails: not returns, but may hold one


def scan_inbox(folder: Path) -> Inbox:
    """List the inbox recursively, in name order. A folder that does not exist is an empty inbox."""
    root = Path(folder)
    if not root.is_dir():
        return Inbox()
    real_root = Path(os.path.realpath(root))
    candidates: list[InboxFile] = []
    skipped: list[Finding] = []
    held: list[InboxFile] = []
    pending = [(root, "")]
    while pending:
        directory, prefix = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            skipped.append(finding(Code.FILE_020, file=prefix.rstrip("/") or ".", detail=_os_reason(exc)))
            continue
        for entry in entries:
            if _ignored(entry.name):
                continue
            relative = prefix + _display_name(entry.name)
            try:
                taken = _take(entry, relative, real_root, pending)
            except OSError as exc:
                taken = finding(Code.FILE_020, file=relative, detail=_os_reason(exc))
            if isinstance(taken, InboxFile):
                (held if Path(taken.relative).suffix.lower() in HELD_EXTENSIONS else candidates).append(taken)
            elif taken is not None:
                skipped.append(taken)
    candidates = _unique_names(candidates)
    candidates.sort(key=lambda c: c.relative)
    skipped.sort(key=lambda f: f.file)
    held.sort(key=lambda c: c.relative)
    return Inbox(candidates, skipped, held)


def _unique_names(candidates: list[InboxFile]) -> list[InboxFile]:
    """Two files whose names read the same (a Mac's decomposed name beside a composed one, a cp932 name
    beside its UTF-8 twin) are still two files: the second and later get a suffix, so that every finding,
    the store and the packets name exactly one file."""
    by_name: dict[str, list[InboxFile]] = {}
    for c in sorted(candidates, key=lambda c: os.fsencode(c.path)):
        by_name.setdefault(c.relative, []).append(c)
    out = []
    for name, same in by_name.items():
        out.append(same[0])
        out += [dataclasses.replace(c, relative=f"{name}（同じ名前のファイル {n}）") for n, c in enumerate(same[1:], 2)]
    return out


def _take(entry: os.DirEntry, relative: str, real_root: Path, pending: list) -> InboxFile | Finding | None:
    """One directory entry: a candidate, a finding saying why not, or None (a folder, queued)."""
    path = Path(entry.path)
    if entry.is_symlink():
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(real_root):
            return finding(Code.FILE_018, file=relative, target=str(target))
        if target.is_dir():
            return None  # the folder itself is scanned where it really is; following it could loop
        if not target.exists():
            return finding(Code.FILE_020, file=relative, detail="リンク先が見つかりません")
    elif entry.is_dir(follow_symlinks=False):
        pending.append((path, relative + "/"))  # a folder called "x.xlsx" is still just a folder
        return None
    st = entry.stat()  # a link here points inside the inbox, so following it is fine
    if not stat.S_ISREG(st.st_mode):
        return finding(Code.FILE_021, file=relative, detail="通常のファイルではありません")
    suffix = path.suffix.lower()
    if suffix in HELD_EXTENSIONS:
        return InboxFile(path, relative, st.st_size, st.st_mtime)
    if suffix not in WORKBOOK_EXTENSIONS:
        if suffix in OTHER_FILES:
            return finding(Code.FILE_021, file=relative, detail=OTHER_FILES[suffix])
        head = _head(path)
        if not (head.startswith(OLE_MAGIC) or head.startswith(ZIP_MAGICS)):
            kind = f"拡張子 {suffix}" if suffix else "拡張子なし"
            return finding(Code.FILE_021, file=relative, detail=f"{kind}、Excel ファイルの形式でもありません")
    return InboxFile(path, relative, st.st_size, st.st_mtime)


def _ignored(name: str) -> bool:
    # "~$x.xlsx" is Excel's lock file, ".~lock.x.xlsx#" LibreOffice's; dot names are hidden files and folders.
    return name.startswith(("~$", ".")) or name.lower() in IGNORED_NAMES


def _display_name(name: str) -> str:
    """A file name as text that prints and stores everywhere.

    Names mailed from a Mac arrive decomposed (NFD) and are composed here so they compare equal.
    A name that is not valid UTF-8 on disk (a zip from Windows unpacked on Linux) is read as cp932.
    """
    if any("\udc80" <= ch <= "\udcff" for ch in name):
        raw = os.fsencode(name)
        try:
            name = raw.decode("cp932")
        except UnicodeDecodeError:
            name = raw.decode("utf-8", "replace")
    return unicodedata.normalize("NFC", name)


def _head(path: Path, size: int = 8) -> bytes:
    fd = platform.open_to_read(path, no_wait=True)
    try:
        return os.read(fd, size)
    finally:
        os.close(fd)


# --- reading once -------------------------------------------------------------------------------

def read_stable(path: Path, limits: Limits, *, name: str | None = None) -> tuple[bytes | None, list[Finding]]:
    """The file's bytes, read once, or None with the reason.

    `name` is what findings show (the inbox-relative name; the file name when not given).
    A file over the size limit is refused without being read. A file whose size, modification time
    or identity changed while it was read is refused as still being written (FILE_019).
    """
    shown = name if name is not None else path.name
    try:
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            return None, [finding(Code.FILE_020, file=shown, detail="通常のファイルではありません")]
        if before.st_size > limits.max_file_bytes:
            return None, [finding(Code.FILE_002, file=shown, size=before.st_size, limit=limits.max_file_bytes)]
        # no_wait (O_NONBLOCK): if the name was swapped for a pipe since the stat, opening must not hang; binary (O_BINARY).
        fd = platform.open_to_read(path, no_wait=True)
        try:
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):
                return None, [finding(Code.FILE_020, file=shown, detail="通常のファイルではありません")]
            data = _read_up_to(fd, limits.max_file_bytes + 1)
        finally:
            os.close(fd)
        after = os.stat(path)
    except OSError as exc:
        return None, [finding(Code.FILE_020, file=shown, detail=_os_reason(exc))]
    if (
        len(data) != before.st_size
        or _identity(before) != _identity(opened)
        or _identity(before) != _identity(after)
    ):
        return None, [finding(Code.FILE_019, file=shown)]
    return data, []


def _read_up_to(fd: int, limit: int) -> bytes:
    chunks = []
    total = 0
    while total < limit:
        chunk = os.read(fd, min(_READ_CHUNK, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "ファイルが見つかりません（移動または削除された可能性）"
    if isinstance(exc, PermissionError):
        return "読み取りの権限がありません"
    if isinstance(exc, IsADirectoryError):
        return "フォルダーです"
    return exc.strerror or type(exc).__name__


