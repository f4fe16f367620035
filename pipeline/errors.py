"""Exceptions for conditions under which a run cannot go on.

A bad cell in a return is never an exception: it is a Finding. These are for a broken config,
a plan file with mistakes, a year outside the plan, a refusal to overwrite, and our own files that
cannot be written. Each carries the exit status the command line ends with.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path


class PipelineError(Exception):
    """A condition that stops the run; `str()` is a Japanese message for the user."""

    exit_code = 2


class ConfigError(PipelineError):
    """config.toml is missing, unreadable, or has a wrong or missing key."""


class PlanError(PipelineError):
    """The plan file has mistakes; `problems` lists every one with its key."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"計画ファイル {source} に {len(self.problems)} 件の誤りがあります:\n{lines}")


class UsageError(PipelineError):
    """The command was asked for something it cannot do (a year outside the plan period, …)."""


class AlreadyExistsError(PipelineError):
    """Writing would overwrite files someone may be editing."""


class LockedError(PipelineError):
    """Another run holds the lock on the store."""


# --- our own failures: never a return's -----------------------------------------------------------

# Why one of our files could not be written, in the words the message uses.
FULL = "容量不足"
NO_PERMISSION = "権限がない"
READ_ONLY = "読み取り専用"
NO_FOLDER = "フォルダーがない"
IN_USE = "ほかのアプリが開いている"
# Windows' winerror 32 and 33 (a sharing or lock violation): Excel or Word holds the file open
_SHARING_VIOLATIONS = (32, 33)

_CAUSE_BY_ERRNO = {
    errno.ENOSPC: FULL, errno.EDQUOT: FULL, errno.EFBIG: FULL,
    errno.EACCES: NO_PERMISSION, errno.EPERM: NO_PERMISSION,
    errno.EROFS: READ_ONLY,
    errno.ENOENT: NO_FOLDER, errno.ENOTDIR: NO_FOLDER,
}
_CAUSE_BY_SQLITE = {sqlite3.SQLITE_FULL: FULL, sqlite3.SQLITE_READONLY: READ_ONLY, sqlite3.SQLITE_PERM: NO_PERMISSION}
_ADVICE = {
    FULL: "ディスク（保存先）の空きを増やしてから、もう一度実行してください。",
    NO_PERMISSION: "{folder} に書き込む権限があるか確かめて（必要なら管理者に依頼して）から、もう一度実行してください。",
    READ_ONLY: "{folder} が読み取り専用（ファイルやフォルダーの設定、読み取り専用のドライブ）になっていないか確かめてから、"
               "もう一度実行してください。",
    IN_USE: "{file} を開いている Excel や Word などを閉じてから、もう一度実行してください。",
    NO_FOLDER: "{folder} があるか（ネットワークドライブがつながっているか、config.toml の [paths] が正しいか）確かめてから、"
               "もう一度実行してください。",
}
_OTHER_ADVICE = "原因を取り除いてから、もう一度実行してください。"
NOTHING_CHANGED = "データベースと出力ファイルは変更していません（前回の結果のままです）。"
NOT_A_RETURN = "回答ファイルの問題ではなく、このツールを動かしているパソコンや保存先（フォルダー・ディスク）の問題です。"


class StorageError(PipelineError):
    """One of our own files (the store, an output, an archive copy, the lock) could not be written or read:
    a full disk, no permission, a read-only folder, a folder that vanished. The machine's problem, never a
    return's. `path` and `cause` (FULL, NO_PERMISSION, … or the system's words) say where and why."""

    def __init__(self, message: str, *, path: Path | str | None = None, cause: str = ""):
        super().__init__(message)
        self.path = path
        self.cause = cause

    @classmethod
    def of(cls, exc: BaseException, path: Path | str | None, *, action: str = "に書き込めません",
           cause: str | None = None, changed: str = NOTHING_CHANGED) -> StorageError:
        """The one message for `exc` (an OSError or a sqlite3.Error) met on `path`: where, why, that it is
        not a return's fault, what was changed (`changed`), and what to do."""
        cause = cause or cause_of(exc)
        where = Path(path) if path is not None else None
        folder = where.parent if where is not None else "保存先のフォルダー"
        advice = _ADVICE.get(cause, _OTHER_ADVICE).format(folder=folder, file=where)
        subject = f"{where} " if where is not None else "保存先のファイル"
        return cls(f"{subject}{action}（原因: {cause}）。{NOT_A_RETURN}{changed}{advice}", path=where, cause=cause)


def cause_of(exc: BaseException) -> str:
    """FULL, NO_PERMISSION, READ_ONLY, NO_FOLDER or IN_USE when the error says so, else the system's own words."""
    if isinstance(exc, OSError):
        if getattr(exc, "winerror", None) in _SHARING_VIOLATIONS:
            return IN_USE
        if exc.errno in _CAUSE_BY_ERRNO:
            return _CAUSE_BY_ERRNO[exc.errno]
        return exc.strerror or str(exc) or type(exc).__name__
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _CAUSE_BY_SQLITE:
            return _CAUSE_BY_SQLITE[code & 0xFF]
    return str(exc) or type(exc).__name__


class InternalError(PipelineError):
    """Our own code failed (a bug, not a return): the run stops and nothing is changed."""


def our_failure(exc: BaseException | None, detail: str, *, doing: str, path: Path | str | None = None,
                meanwhile: str = "") -> PipelineError:
    """What stops the run when our own code raised while `doing` something (a worker's task error): the
    exception itself when it is one of ours, a StorageError for a file or the store we could not write,
    else an InternalError. `detail` is the one line known when the exception itself was not sent back;
    `meanwhile` says how to get on until the tool is fixed."""
    if isinstance(exc, PipelineError):
        return exc
    if isinstance(exc, OSError | sqlite3.Error):
        return StorageError.of(exc, getattr(exc, "filename", None) or path)
    return InternalError(
        f"{doing}、このツールの処理でエラーが起きました（{detail}）。回答ファイルの問題とは限りません。"
        f"{NOTHING_CHANGED}このメッセージを添えて、ツールの担当者に連絡してください。{meanwhile}"
    )
