"""Writing outputs so that a run killed or stopped at any moment leaves the previous files as they were.

Every file is created with the permissions of an ordinary new file (0666 less the umask, and the
folder's default ACL), so that colleagues on a shared folder can open it. A file that cannot be written
(a full disk, no permission, a read-only folder) raises StorageError naming the file, never a bare OSError.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import secrets
import zipfile
from pathlib import Path

from pipeline import platform
from pipeline.errors import NOTHING_CHANGED, StorageError

_TOKEN_BYTES = 6
# what temporary_name makes: ".<stem>.<token>[-removal].tmp<suffix>"
_TEMPORARY = re.compile(rf"^\..*\.[0-9a-f]{{{2 * _TOKEN_BYTES}}}(-removal)?\.tmp(\.[^.]*)?$")


def temporary_name(path: Path, token: str) -> Path:
    """Where `path` is written before it is renamed into place: beside it (same folder, same disk, so the
    rename is atomic), hidden, and with its own suffix (LibreOffice opens a staged .docx by its suffix)."""
    return path.with_name(f".{path.stem}.{token}.tmp{path.suffix}")


def write_new(temporary: Path, data: bytes, *, target: Path, durable: bool = False) -> None:
    """Create `temporary` (which must not exist) holding `data`; on failure remove it and raise
    StorageError naming `target`, the file it stands for. `durable`: flushed to disk before this returns;
    where the system has no trustworthy sync() for all files (platform.flush_each_file), always."""
    # created with 0o666: the kernel applies the umask (and a default ACL) as for any new file, with
    # no need to read the umask (which os.umask can only do by changing it, a race with threads);
    # in binary mode (O_BINARY on Windows)
    durable = durable or platform.flush_each_file()
    try:
        try:
            fd = platform.create_new(temporary)
        except FileNotFoundError:   # its folder is not there yet (looked for only then: thousands of archive copies)
            temporary.parent.mkdir(parents=True, exist_ok=True)
            fd = platform.create_new(temporary)
    except OSError as exc:
        raise StorageError.of(exc, target) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise StorageError.of(exc, target) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to a temporary file beside `path`, flush it to disk, then rename over `path`.

    `durable=False` skips the per-file fsync, for many files that the caller makes durable at once
    with one platform.flush_written() before anything points at them."""
    temporary = temporary_name(path, secrets.token_hex(_TOKEN_BYTES))
    write_new(temporary, data, target=path, durable=durable)
    try:
        platform.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise StorageError.of(exc, path) from None
    if durable:
        platform.flush_folder(path.parent)


class Staging:
    """Files written beside their targets under temporary names, then put in place together.

    Staging every output first surfaces a full disk or a folder without permission before anything is
    replaced; `publish()` then renames each over its target (and removes the files marked to go). Leaving
    the `with` block without publishing (an exception) removes every temporary file: the targets stay
    as they were. Temporary names are fixed per run (`temporary(target)`), so a worker can write one."""

    def __init__(self) -> None:
        self.token = secrets.token_hex(_TOKEN_BYTES)
        self._staged: dict[Path, Path] = {}      # target → its temporary file
        self._to_remove: list[Path] = []
        self._probes: list[Path] = []

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()

    def temporary(self, target: Path) -> Path:
        """The temporary file for `target`, registered (so that discard() removes it whoever writes it)."""
        temporary = temporary_name(target, self.token)
        self._staged[target] = temporary
        return temporary

    def stage(self, target: Path, data: bytes) -> Path:
        """Write `data` as the new content of `target`, not yet in place; staging a target again replaces it.
        A package (.xlsx, .docx) is written as made on any system (same_on_every_system)."""
        if target in self._staged:
            self.unstage(target)
        write_new(self.temporary(target), same_on_every_system(data), target=target)
        return target

    def staged(self, target: Path) -> Path:
        """The temporary file that holds `target`'s staged content (KeyError when `target` is not staged)."""
        return self._staged[target]

    def unstage(self, target: Path) -> None:
        temporary = self._staged.pop(target, None)
        if temporary is not None:
            temporary.unlink(missing_ok=True)

    def remove_on_publish(self, path: Path) -> None:
        """`path` goes when the staged files are put in place (a file of an earlier run no longer wanted).

        Removing a file takes the same right as making one in its folder: an empty file made there now
        (and removed with the staged ones) shows a folder we cannot change before anything is committed."""
        probe = temporary_name(path, f"{self.token}-removal")
        try:
            platform.touch_new(probe)
        except OSError as exc:
            raise StorageError.of(exc, path, action="を削除できません") from None
        self._probes.append(probe)
        self._to_remove.append(path)

    def flush(self) -> None:
        """Before the store points at what was written: every file written so far (the staged ones, archive
        copies) on disk, and no target held open by another program (Excel, Word), so that publish() after the
        store's commit will not stop half-way for that. StorageError naming the file to close otherwise."""
        platform.flush_written()
        self._refuse_held_open(NOTHING_CHANGED)

    def publish(self, *, sync: bool = True, changed: str = NOTHING_CHANGED) -> None:
        """Put every staged file in place, then remove the files marked to go. `sync`: flush everything to
        disk first (platform.flush_written). `changed` is what the message says if a rename fails half-way.

        A target another program holds open (Excel, Word on Windows) is found before anything is replaced:
        the run stops naming it, and every target stays as it was."""
        if sync:
            platform.flush_written()
        self._refuse_held_open(changed)
        folders = {target.parent for target in self._staged}
        while self._staged:
            target, temporary = next(iter(self._staged.items()))
            try:
                platform.replace(temporary, target)
            except OSError as exc:
                raise StorageError.of(exc, target, changed=changed) from None
            del self._staged[target]
        while self._to_remove:
            path = self._to_remove[0]
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                raise StorageError.of(exc, path, action="を削除できません", changed=changed) from None
            del self._to_remove[0]
        self.discard()   # the probes
        if sync:
            for folder in sorted(folders):
                platform.flush_folder(folder)

    def _refuse_held_open(self, changed: str) -> None:
        for target in [*self._staged, *self._to_remove]:
            if platform.held_open(target):
                raise StorageError.of(platform.sharing_violation(target), target, action="を置き換えられません",
                                      changed=changed)

    def discard(self) -> None:
        """Remove every temporary file not yet in place; the targets stay as they were."""
        for temporary in [*self._staged.values(), *self._probes]:
            try:
                temporary.unlink(missing_ok=True)
            except OSError:
                pass  # a folder we cannot write to holds no temporary file of ours
        self._staged.clear()
        self._to_remove.clear()
        self._probes.clear()


def remove_leftovers(folder: Path) -> None:
    """Remove the temporary files a run killed half-way left in `folder` (only names temporary_name
    gives). Call it only while no other run can be writing there (under the run lock)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if _TEMPORARY.match(entry.name) and entry.is_file(follow_symlinks=False):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def ensure_folder(folder: Path) -> Path:
    """`folder`, created if missing; StorageError (naming it) when it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError.of(exc, folder, action="を作成できません") from None
    return folder


# xlsxwriter options for every workbook this project writes: text is always written as text, so a
# return's "=HYPERLINK(...)" or "http://…" never becomes a formula, a link or a number.
XLSX_INERT_TEXT = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def csv_safe(value: str) -> str:
    """OWASP: a cell that begins with = + - @ tab or CR is prefixed with ' so no spreadsheet runs it."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# --- packages (.xlsx, .docx) that are the same bytes for the same content ---------------------------------

_MODIFIED = re.compile(rb"(<dcterms:modified\b[^>]*>)[^<]*(</dcterms:modified>)")


def made_on(day: dt.date) -> dt.datetime:
    """The time a document made on `day` is stamped with (not the clock's, so a rerun gives the same bytes)."""
    return dt.datetime(day.year, day.month, day.day, 9, 0, 0)


def zip_member(name: str, when: dt.datetime) -> zipfile.ZipInfo:
    """A package member stamped `when`, with fixed attributes."""
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 0
    return info


def same_on_every_system(data: bytes) -> bytes:
    """A package (a zip: .xlsx, .docx) marked as made on MS-DOS/Windows whatever system made it: Python's
    zipfile records the system it runs on in each member's "version made by" (3 = Unix, 0 = Windows), and
    xlsxwriter leaves it so, which alone would make Linux's and Windows' workbooks differ by a byte per member.
    Only the central directory holds it; anything that is not a plain zip is returned as it is."""
    if not data.startswith(b"PK\x03\x04"):
        return data
    end = data.rfind(b"PK\x05\x06")
    if end < 0 or len(data) < end + 22:
        return data
    count = int.from_bytes(data[end + 10:end + 12], "little")
    offset = int.from_bytes(data[end + 16:end + 20], "little")
    out = bytearray(data)
    for _ in range(count):
        if out[offset:offset + 4] != b"PK\x01\x02":
            return data          # zip64 or something unexpected: leave it whole
        out[offset + 5] = 0      # the high byte of "version made by": the host system
        name, extra, comment = (int.from_bytes(out[offset + k:offset + k + 2], "little") for k in (28, 30, 32))
        offset += 46 + name + extra + comment
    return bytes(out)


_COMPRESSED = (".png", ".jpg", ".jpeg", ".gif")


def stamped_package(data: bytes, when: dt.datetime) -> bytes:
    """The same package with every member and its "last modified" property stamped `when`, so equal
    content gives equal bytes (python-docx and openpyxl stamp the time of saving)."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                member = _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", member)
            entry = zip_member(info.filename, when)
            if info.filename.lower().endswith(_COMPRESSED):
                entry.compress_type = zipfile.ZIP_STORED    # a PNG is compressed already: deflating it again costs time
            dst.writestr(entry, member)
    return out.getvalue()


def _drop_languages(tree) -> None:
    """No /Lang on any element of the structure tree `tree` (the document's own holds for all of it). Walked
    with a stack: a tree is as deep as the report's nesting, and as wide as its runs (tens of thousands)."""
    import pikepdf

    stack = [tree] if isinstance(tree, pikepdf.Dictionary) else []
    seen: set[tuple[int, int]] = set()
    while stack:
        element = stack.pop()
        if element.is_indirect:
            if element.objgen in seen:
                continue
            seen.add(element.objgen)
        if pikepdf.Name.Lang in element:
            del element[pikepdf.Name.Lang]
        if element.get(pikepdf.Name.Type) in (pikepdf.Name.MCR, pikepdf.Name.OBJR):
            continue                                # a reference to page content, not an element
        kids = element.get(pikepdf.Name.K)
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, pikepdf.Dictionary):
                stack.append(kid)


def stamped_pdf(data: bytes, when: dt.datetime, *, language: str = "ja-JP") -> bytes:
    """The same PDF created `when`, with no modification time and an ID made from its content, so equal
    content gives equal bytes (LibreOffice stamps the clock's time, a random ID and a checksum of both).
    pikepdf (qpdf) rewrites the file's cross-reference table, which a patch by hand would have to keep right.

    For readers of every kind (JIS X 8341-3): the whole text is in `language` (/Lang, so a screen reader reads
    it, digits and acronyms too, as Japanese), and a viewer shows the title, not the file name
    (/ViewerPreferences /DisplayDocTitle, where the PDF does not say otherwise). LibreOffice tags every run by
    its script's language: the document's /Lang then is the Latin script's (en-US, which the report's .docx
    holds for line breaking only), and each Japanese run a /Span of its own /Lang; these are made one language
    again here."""
    import pikepdf
    from pikepdf.models.metadata import encode_pdf_date

    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root
        root[pikepdf.Name.Lang] = pikepdf.String(language)
        _drop_languages(root.get(pikepdf.Name.StructTreeRoot))
        preferences = root.get(pikepdf.Name.ViewerPreferences)
        if not isinstance(preferences, pikepdf.Dictionary):
            preferences = root[pikepdf.Name.ViewerPreferences] = pikepdf.Dictionary()
        if pikepdf.Name.DisplayDocTitle not in preferences:
            preferences[pikepdf.Name.DisplayDocTitle] = True
        pdf.docinfo[pikepdf.Name.CreationDate] = encode_pdf_date(when)
        for key in ("/ModDate",):
            if key in pdf.docinfo:
                del pdf.docinfo[key]
        for key in ("/ID", "/DocChecksum"):
            if key in pdf.trailer:
                del pdf.trailer[key]
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()
