"""The store's file on disk: a new store made whole before it is put in place, why SQLite could not open or
write it (a folder we may not write, a full disk, a file-size limit…), a failed open leaving the folder as it
was, and the run lock (one collect or report at a time)."""

from __future__ import annotations

import errno
import os
import secrets
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from pipeline import platform
from pipeline.errors import FULL, NO_FOLDER, LockedError, StorageError, cause_of
from pipeline.files import ensure_folder, temporary_name


def sqlite_code(exc: sqlite3.Error) -> int | None:
    """SQLite's primary result code (SQLITE_FULL, SQLITE_READONLY, …) of `exc`."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


@contextmanager
def tidy_on_failure(store: Path) -> Iterator[None]:
    """When opening `store` fails, remove the -wal and -shm files the attempt made (a full disk leaves them
    half-made) as long as the -wal holds nothing: the store's folder is left as it was."""
    wal, shm = Path(f"{store}-wal"), Path(f"{store}-shm")
    fresh = not wal.exists() and not shm.exists()
    try:
        yield
    except BaseException:
        if fresh and not (wal.exists() and wal.stat().st_size > 0):
            _unlink_quietly(wal)
            _unlink_quietly(shm)
        raise


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def create_store(path: Path, write_schema: Callable[[sqlite3.Connection], None]) -> None:
    """A new, empty store at `path`, made under another name and linked into place only when whole: a run
    stopped half-way never leaves a 0-byte store (which the next run would refuse as damaged)."""
    ensure_folder(path.parent)
    temporary = temporary_name(path, secrets.token_hex(6))
    try:
        # 0o666 less the umask, like any new file (SQLite itself would make it 0644): colleagues sharing
        # the folder can run collect too; the -wal and -shm files take the store's permissions
        platform.touch_new(temporary)
        db = sqlite3.connect(temporary, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("BEGIN IMMEDIATE")
            write_schema(db)
            db.execute("COMMIT")
        finally:
            db.close()
        platform.place_new(temporary, path)   # False: another run made it meanwhile, use that one
    except sqlite3.Error as exc:
        raise StorageError.of(exc, path, cause=diagnose(exc, path)) from None
    except OSError as exc:
        raise StorageError.of(exc, path) from None
    finally:
        for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
            _unlink_quietly(leftover)


def diagnose(exc: sqlite3.Error, path: Path) -> str | None:
    """Why SQLite could not open or write `path` when its own code does not say (SQLITE_CANTOPEN, an I/O
    error, a folder it may not write in): found by asking the file system what SQLite met. None when
    nothing is found, or when SQLite's own code says it (a full disk, a read-only store file)."""
    folder = path.parent
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_READONLY_DIRECTORY:
        # SQLite calls a folder it cannot make its -wal file in "read-only"; it may be a matter of permission
        try:
            tempfile.TemporaryFile(dir=folder).close()
        except OSError as os_error:
            return cause_of(os_error)
        return None
    if sqlite_code(exc) in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
        return None
    if not folder.is_dir():
        return NO_FOLDER
    try:
        if platform.free_bytes(folder) < _FULL_BELOW:
            return FULL
    except OSError:
        pass
    if sqlite_code(exc) == sqlite3.SQLITE_IOERR and platform.file_size_limited():
        return FULL     # a file-size limit on this process (ulimit -f): no room for the -shm or -wal file
    probes = [lambda: os.close(platform.open_to_update(path))] if path.exists() else []
    # an unnamed file in the folder (O_TMPFILE where available): asks whether a -wal file could be made
    probes.append(lambda: tempfile.TemporaryFile(dir=folder).close())
    for probe in probes:
        try:
            probe()
        except OSError as os_error:
            return cause_of(os_error)
    return None


# Below this much free space SQLite cannot make its -shm file (32 KiB) and the run stops at once.
_FULL_BELOW = 64 * 1024


@contextmanager
def run_lock(store_path: Path | str, *, required: bool = True) -> Iterator[None]:
    """One collect or report at a time on a store; a second gets a clear message, not a corrupt store.

    `required=False` (report, which only reads the store): where the lock file cannot be made at all (a
    read-only medium, a folder without permission), go on without it, since no collect can take it there either."""
    lock_path = Path(f"{store_path}.lock")
    with ExitStack() as held:
        try:
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            held.enter_context(platform.exclusive_lock(lock_path))
        except platform.LockHeld:
            raise LockedError(
                f"別の collect または report が実行中です（{lock_path}）。終わってからもう一度実行してください。"
            ) from None
        except OSError as exc:
            if required or exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise StorageError.of(exc, lock_path) from None
        yield
