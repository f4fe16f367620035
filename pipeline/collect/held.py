"""What a zip or a saved mail left in the inbox holds, by the names of what is inside: never extracted,
never opened further.

A department's return sometimes reaches the inbox inside something else: a zip (compressed to get past a
mail size limit, or with a password, as some offices still send), or the whole mail saved from Outlook
(.msg) or another mail program (.eml) instead of its attachment. collect does not unpack these: it names
what is inside, so that whoever it seems to be from is not chased for a return it has sent, and the
secretariat is told to save the workbook itself into the inbox. The names come from:

- a zip: its central directory (the entry names; the entry's data is never read);
- a .eml: the MIME parts' file names (stdlib `email`; the file is already bounded by the inbox size limit,
  and at most MAX_NAMES parts are looked at);
- a .msg: the attachment storages' file-name streams (olefile; Outlook writes PR_ATTACH_LONG_FILENAME,
  else PR_ATTACH_FILENAME, as UTF-16 or as the PC's code page).

`list_held` runs in a worker process (pipeline.isolation), like every parser of untrusted bytes.
"""

from __future__ import annotations

import email
import email.policy
import io
import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pipeline.config import Limits
from pipeline.intake import inbox
from pipeline.intake.gate import OLE_MAGIC, ZIP_MAGICS

ZIP, MSG, EML = ".zip", ".msg", ".eml"
HELD_EXTENSIONS = inbox.HELD_EXTENSIONS
# What a return inside may be called: a workbook in any of the forms people save one in.
WORKBOOK_NAMES = (".xlsx", ".xlsm", ".xls", ".ods")
MAX_NAMES = 200
_ZIP_UTF8 = 0x800           # general purpose flag bit 11: the name is UTF-8
_ZIP_ENCRYPTED = 0x1


@dataclass(frozen=True)
class Held:
    """What one zip or saved mail holds: the file names inside, as text; whether the zip has a password."""

    kind: str                                   # ZIP, MSG or EML
    names: tuple[str, ...] = ()
    encrypted: bool = False
    problem: str = ""                           # why nothing could be listed ("" when listed)

    @property
    def workbooks(self) -> tuple[str, ...]:
        """The names inside that look like a workbook (a return, or what a return should have been)."""
        return tuple(n for n in self.names if n.lower().endswith(WORKBOOK_NAMES))


@dataclass(frozen=True)
class HeldJob:
    source: inbox.InboxFile
    limits: Limits = field(default_factory=Limits)


def held_kind(name: str) -> str | None:
    suffix = PurePosixPath(name).suffix.lower()
    return suffix if suffix in HELD_EXTENSIONS else None


def list_held(job: HeldJob) -> Held:
    """The names inside the file (in a worker). Never raises for a bad file: `problem` says why."""
    kind = held_kind(job.source.relative) or ZIP
    data, found = inbox.read_stable(job.source.path, job.limits, name=job.source.relative)
    if data is None:
        return Held(kind, problem=found[0].message if found else "読めません")
    try:
        if kind == ZIP:
            return _zip(data, job.limits)
        if kind == MSG:
            return _msg(data)
        return _eml(data)
    except Exception as exc:   # a damaged container is only a file we could not look into
        return Held(kind, problem=f"{type(exc).__name__}: {str(exc)[:100]}")


def _zip(data: bytes, limits: Limits) -> Held:
    if not data.startswith(ZIP_MAGICS):
        return Held(ZIP, problem="ZIP 形式ではありません")
    names, encrypted = [], False
    with zipfile.ZipFile(io.BytesIO(data)) as archive:      # reads the central directory only
        infos = archive.infolist()
        if len(infos) > limits.max_parts:
            return Held(ZIP, problem=f"中のファイルが {len(infos)} 個あります")
        for info in infos[:MAX_NAMES]:
            if info.filename.endswith("/"):
                continue
            encrypted |= bool(info.flag_bits & _ZIP_ENCRYPTED)
            names.append(posixpath.basename(_zip_name(info)))
    return Held(ZIP, tuple(names), encrypted)


def _zip_name(info: zipfile.ZipInfo) -> str:
    """An entry's name as its maker meant it: zip tools on Japanese Windows write cp932 without saying so
    (zipfile then reads the bytes as cp437)."""
    if info.flag_bits & _ZIP_UTF8:
        return info.filename
    raw = info.filename.encode("cp437")
    for encoding in ("utf-8", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _eml(data: bytes) -> Held:
    message = email.message_from_bytes(data, policy=email.policy.default)
    names = []
    for n, part in enumerate(message.walk()):
        if n >= MAX_NAMES:
            break
        name = part.get_filename()
        if name:
            names.append(posixpath.basename(str(name).replace("\\", "/")))
    return Held(EML, tuple(names))


# Outlook's attachment file names: PR_ATTACH_LONG_FILENAME (0x3707), else PR_ATTACH_FILENAME (0x3704);
# 001F is UTF-16LE, 001E the sender's code page (cp932 on a Japanese PC).
_MSG_NAME_STREAMS = ("__substg1.0_3707001F", "__substg1.0_3707001E", "__substg1.0_3704001F", "__substg1.0_3704001E")


def _msg(data: bytes) -> Held:
    import olefile

    if not data.startswith(OLE_MAGIC):
        return Held(MSG, problem="Outlook のメール形式ではありません")
    names = []
    with olefile.OleFileIO(data) as ole:
        storages = sorted({entry[0] for entry in ole.listdir(streams=True, storages=True)
                           if entry and entry[0].lower().startswith("__attach_version1.0_")})
        for storage in storages[:MAX_NAMES]:
            for stream in _MSG_NAME_STREAMS:
                if ole.exists(f"{storage}/{stream}"):
                    raw = ole.openstream(f"{storage}/{stream}").read(4096)
                    text = raw.decode("utf-16-le" if stream.endswith("F") else "cp932", "replace")
                    names.append(text.rstrip("\x00"))
                    break
    return Held(MSG, tuple(n for n in names if n))
