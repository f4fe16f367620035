"""Every tie to the operating system, in one place: Linux, macOS and Windows (python.org's CPython, x64).

The rest of the package asks here for what differs between them and never imports fcntl, resource, msvcrt
or ctypes itself:

- open flags: every file we open by descriptor is opened in binary mode (O_BINARY: without it Windows reads
  and writes an .xlsx in text mode, turning its bytes into other bytes) and not inherited by child processes;
- worker processes: forked on Linux (cheap, and what they need is there already), spawned elsewhere (Windows
  has no fork; macOS's fork is unsafe with system libraries). A spawned worker gets everything by its
  initializer's arguments, so the same code works both ways;
- a memory cap per worker: RLIMIT_AS on Linux and macOS, a Job Object on Windows (through ctypes: the
  standard library, about forty lines, where pywin32 would add a 10 MB package with DLLs and a
  post-install step to the wheelhouse only for this);
- the run lock: `filelock` (flock on POSIX, LockFileEx through msvcrt.locking on Windows; pure Python with
  no dependencies, the lock pip, virtualenv and tox use; portalocker needs pywin32 on Windows);
- durability: Linux's sync() waits until everything is on disk, so one call covers thousands of archive
  copies; elsewhere (Windows has no sync(); macOS's returns before the data is written) every file is
  flushed (fsync: FlushFileBuffers on Windows) as it is written, and a folder is flushed after a rename where
  the system allows it (POSIX);
- killing a process and whatever it started, free disk space, hard links, limits on file size;
- Windows' own habits: a file held open by Excel or Word (a sharing violation), names Windows reserves or
  forbids, paths longer than MAX_PATH;
- where LibreOffice lives.
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

WINDOWS = os.name == "nt"
LINUX = sys.platform.startswith("linux")

def wine_version() -> str | None:
    """Wine's version when this Windows Python runs under Wine (CI), else None."""
    if not WINDOWS:
        return None
    import ctypes

    try:
        get = ctypes.WinDLL("ntdll").wine_get_version
    except (OSError, AttributeError):
        return None
    get.restype = ctypes.c_char_p
    return get().decode("ascii", "replace")


# --- open flags -------------------------------------------------------------------------------------

O_BINARY = getattr(os, "O_BINARY", 0)                       # Windows: no newline or ^Z translation
_NOT_INHERITED = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOINHERIT", 0)
_NO_WAIT = getattr(os, "O_NONBLOCK", 0)                      # POSIX: a FIFO put in place of a file must not hang
NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_BINARY | _NOT_INHERITED
READ = os.O_RDONLY | O_BINARY | _NOT_INHERITED
READ_NO_WAIT = READ | _NO_WAIT
READ_WRITE = os.O_RDWR | O_BINARY | _NOT_INHERITED


def create_new(path: Path | str) -> int:
    """A new file's descriptor, opened for writing in binary mode; FileExistsError when `path` exists.
    Mode 0o666: the system applies the umask (and a folder's default ACL) as for any new file."""
    return os.open(long_path(path), NEW_FILE, 0o666)


def touch_new(path: Path | str) -> None:
    """Create an empty file at `path` (which must not exist)."""
    os.close(create_new(path))


def open_to_read(path: Path | str, *, no_wait: bool = False) -> int:
    """A descriptor to read `path` in binary mode; `no_wait`: never block opening (a FIFO on POSIX)."""
    return os.open(long_path(path), READ_NO_WAIT if no_wait else READ)


def open_to_update(path: Path | str) -> int:
    return os.open(long_path(path), READ_WRITE)


# --- durability -------------------------------------------------------------------------------------

# Linux's sync() returns once everything is on disk (since 1.3.20); macOS's only schedules the writes and
# Windows has none. Where it cannot be trusted, every file is flushed as it is written.
SYNC_AT_ONCE = LINUX and hasattr(os, "sync")


def flush_each_file() -> bool:
    """Whether every file must be flushed to disk when it is written (no trustworthy sync() for all)."""
    return not SYNC_AT_ONCE


def flush_written() -> None:
    """Make durable every file written so far through pipeline.files: one sync() on Linux; elsewhere each
    was flushed when written (flush_each_file), so nothing is left to do."""
    if SYNC_AT_ONCE:
        os.sync()


def flush_folder(folder: Path | str) -> None:
    """Flush a folder's entries (a rename into it) to disk, where the system lets a folder be opened for it
    (POSIX). On Windows NTFS journals its metadata and a folder cannot be opened as a file: nothing to do."""
    if WINDOWS:
        return
    try:
        fd = os.open(folder, os.O_RDONLY | _NOT_INHERITED)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass    # some file systems (and some network shares) refuse fsync on a folder
    finally:
        os.close(fd)


# --- disk space, file-size limits, hard links ----------------------------------------------------------

def free_bytes(folder: Path | str) -> int:
    """Free space, in bytes, for this user in `folder`'s file system (OSError when it cannot be told)."""
    return shutil.disk_usage(folder).free


def file_size_limited() -> bool:
    """Whether this process may not write files beyond some size (ulimit -f; never on Windows)."""
    try:
        import resource
    except ImportError:
        return False
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    return soft != resource.RLIM_INFINITY


def place_new(temporary: Path, path: Path) -> bool:
    """Put `temporary` at `path` unless `path` exists; False when another file is there already. A hard link
    where the file system has them (the temporary name is then removed by the caller), else a rename, which
    on Windows never replaces an existing file either."""
    try:
        os.link(temporary, path)
        return True
    except FileExistsError:
        return False
    except OSError:
        if path.exists():
            return False
    try:
        if WINDOWS:
            os.rename(temporary, path)
        else:
            _rename_unless_there(temporary, path)
    except FileExistsError:
        return False
    return True


def _rename_unless_there(temporary: Path, path: Path) -> None:
    # POSIX rename replaces: the small window between the test and the rename is the one the link closed
    if path.exists():
        raise FileExistsError(path)
    os.rename(temporary, path)


# --- the run lock -------------------------------------------------------------------------------------

class LockHeld(Exception):
    """Another process holds the lock."""


@contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Hold `lock_path` exclusively while the block runs; LockHeld at once when another process (or another
    lock in this one) has it. The lock file stays, made with an ordinary new file's permissions, so that a
    colleague sharing the folder can take it next. OSError when the lock file cannot be made or opened."""
    import filelock

    lock = filelock.FileLock(str(lock_path), timeout=0, thread_local=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise LockHeld(str(lock_path)) from None
    try:
        yield
    finally:
        lock.release()


# --- worker processes --------------------------------------------------------------------------------

def worker_start_method() -> str:
    """fork on Linux (workers inherit the plan instead of unpickling it); spawn where there is no fork
    (Windows) or where fork is unsafe (macOS). GYOZAI_START_METHOD=spawn forces spawn, for tests."""
    wanted = os.environ.get("GYOZAI_START_METHOD")
    if wanted:
        return wanted
    return "fork" if LINUX and "fork" in multiprocessing.get_all_start_methods() else "spawn"


def redirect_stderr(path: str) -> None:
    """Send this process's standard error (descriptor 2, and on Windows the handle native code writes to)
    to the file at `path`, so the parent can read what a dying worker said."""
    fd = os.open(path, os.O_WRONLY | O_BINARY)
    try:
        os.dup2(fd, 2)
    finally:
        os.close(fd)
    if WINDOWS:
        import ctypes
        import msvcrt

        std_error_handle = -12
        ctypes.windll.kernel32.SetStdHandle(std_error_handle, msvcrt.get_osfhandle(2))


def clear_file(fd: int) -> None:
    """Empty the file open at `fd` and write from its start again."""
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)


def limit_memory(budget: int) -> None:
    """Let this process map or commit at most `budget` bytes beyond what it holds now: RLIMIT_AS on POSIX,
    a Job Object's per-process commit limit on Windows. Counting from what is held now, not from zero, keeps
    the limit about the file being read rather than how much the libraries took."""
    if budget <= 0:
        return
    if WINDOWS:
        _windows_job_memory_limit(_windows_committed_bytes() + budget)
        return
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _mapped_bytes() + budget
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _mapped_bytes() -> int:
    """The address space this process maps now (Linux's /proc; 0 where there is none)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _windows_committed_bytes() -> int:
    import ctypes
    from ctypes import wintypes

    class ProcessMemoryCounters(ctypes.Structure):
        _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD),
                    *((name, ctypes.c_size_t) for name in (
                        "PeakWorkingSetSize", "WorkingSetSize", "QuotaPeakPagedPoolUsage", "QuotaPagedPoolUsage",
                        "QuotaPeakNonPagedPoolUsage", "QuotaNonPagedPoolUsage", "PagefileUsage",
                        "PeakPagefileUsage"))]

    counters = ProcessMemoryCounters()
    counters.cb = ctypes.sizeof(counters)
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    kernel32.K32GetProcessMemoryInfo.argtypes = [wintypes.HANDLE, ctypes.c_void_p, wintypes.DWORD]
    if not kernel32.K32GetProcessMemoryInfo(kernel32.GetCurrentProcess(), ctypes.byref(counters), counters.cb):
        return 0
    return counters.PagefileUsage


def _windows_job_memory_limit(limit: int) -> None:
    """Put this process in a new Job Object that allows it `limit` bytes of committed memory: beyond that an
    allocation fails (MemoryError in Python, an abort in Rust or C), in this worker only."""
    import ctypes
    from ctypes import wintypes

    class IoCounters(ctypes.Structure):
        _fields_ = [(name, ctypes.c_ulonglong) for name in (
            "ReadOperationCount", "WriteOperationCount", "OtherOperationCount",
            "ReadTransferCount", "WriteTransferCount", "OtherTransferCount")]

    class BasicLimits(ctypes.Structure):
        _fields_ = [("PerProcessUserTimeLimit", ctypes.c_longlong), ("PerJobUserTimeLimit", ctypes.c_longlong),
                    ("LimitFlags", wintypes.DWORD), ("MinimumWorkingSetSize", ctypes.c_size_t),
                    ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", wintypes.DWORD),
                    ("Affinity", ctypes.c_size_t), ("PriorityClass", wintypes.DWORD),
                    ("SchedulingClass", wintypes.DWORD)]

    class ExtendedLimits(ctypes.Structure):
        _fields_ = [("BasicLimitInformation", BasicLimits), ("IoInfo", IoCounters),
                    ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                    ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]

    job_object_limit_process_memory = 0x100
    job_object_extended_limit_information = 9
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.CreateJobObjectW.restype = wintypes.HANDLE
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    kernel32.SetInformationJobObject.argtypes = [wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD]
    kernel32.AssignProcessToJobObject.argtypes = [wintypes.HANDLE, wintypes.HANDLE]
    job = kernel32.CreateJobObjectW(None, None)
    if not job:
        raise ctypes.WinError(ctypes.get_last_error())
    limits = ExtendedLimits()
    limits.BasicLimitInformation.LimitFlags = job_object_limit_process_memory
    limits.ProcessMemoryLimit = limit
    if not kernel32.SetInformationJobObject(job, job_object_extended_limit_information, ctypes.byref(limits),
                                            ctypes.sizeof(limits)):
        raise ctypes.WinError(ctypes.get_last_error())
    if not kernel32.AssignProcessToJobObject(job, kernel32.GetCurrentProcess()):
        raise ctypes.WinError(ctypes.get_last_error())
    # the handle stays open for the worker's life: the job, and its limit, last as long as the process


def death_reason(exitcode: int) -> str:
    """A worker's exit code in words: a POSIX signal's name, or a Windows NTSTATUS such as an access violation."""
    if exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            return f"signal {-exitcode}"
    if WINDOWS and exitcode >= 0xC0000000:
        return _NTSTATUS.get(exitcode, f"exit code {exitcode:#x}")
    return f"exit code {exitcode}"


_NTSTATUS = {
    0xC0000005: "STATUS_ACCESS_VIOLATION",
    0xC0000017: "STATUS_NO_MEMORY",
    0xC00000FD: "STATUS_STACK_OVERFLOW",
    0xC0000409: "STATUS_STACK_BUFFER_OVERRUN (abort)",
}


# --- child processes that start others (LibreOffice) ----------------------------------------------------

def own_group() -> dict:
    """subprocess.Popen arguments that put a child, and what it starts, in a group of its own that
    kill_group can end at once."""
    if WINDOWS:
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def kill_group(proc: subprocess.Popen) -> None:
    """End `proc` and every process it started (started with own_group), then reap it."""
    if WINDOWS:
        # taskkill /T ends the tree by parent id; it is in every Windows' System32
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True, check=False)
        try:
            proc.kill()
        except OSError:
            pass
    else:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    proc.wait()


# --- LibreOffice -------------------------------------------------------------------------------------------

def _windows_office_folders() -> list[str]:
    roots = [os.environ.get(name) for name in ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)")]
    return [os.path.join(root, "LibreOffice", "program") for root in dict.fromkeys(r for r in roots if r)]


def soffice_candidates() -> list[str]:
    """Where LibreOffice's soffice is installed, on this system, most likely first."""
    if WINDOWS:
        return [os.path.join(folder, "soffice.exe") for folder in _windows_office_folders()]
    return ["/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice",
            "/Applications/LibreOffice.app/Contents/MacOS/soffice"]


def uno_python_candidates(soffice: str | None = None) -> list[str]:
    """Pythons that may have UNO: LibreOffice's own (beside soffice on Windows and in /opt), Debian's."""
    beside = []
    if soffice:
        folder = os.path.dirname(os.path.realpath(soffice))
        beside = [os.path.join(folder, "python.exe" if WINDOWS else "python")]
    if WINDOWS:
        return [*beside, *(os.path.join(folder, "python.exe") for folder in _windows_office_folders())]
    return [*beside, "/usr/bin/python3", "/usr/lib/libreoffice/program/python", "/opt/libreoffice/program/python",
            "/Applications/LibreOffice.app/Contents/Resources/python"]


def is_program(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


# --- Windows' file habits -----------------------------------------------------------------------------------

# Names Windows reserves for devices, with or without an extension (CON.xlsx is the console too).
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in "123456789¹²³"), *(f"LPT{n}" for n in "123456789¹²³")}
_FORBIDDEN = set('<>:"/\\|?*') | {chr(n) for n in range(32)}


def name_problem(name: str) -> str | None:
    """Why Windows cannot hold a file or folder called `name`, in words for a message, or None. Asked on
    every system: a folder made on Linux is opened on the secretariat's Windows PC."""
    bad = sorted({ch for ch in name if ch in _FORBIDDEN})
    if bad:
        shown = " ".join(repr(ch)[1:-1] if ord(ch) < 32 else ch for ch in bad)
        return f"Windows でファイル名に使えない文字（{shown}）を含みます"
    if name.endswith((".", " ")):
        return "Windows ではファイル名の最後に「.」や空白を置けません"
    if name.split(".")[0].rstrip(" ").upper() in _RESERVED:
        return f"「{name.split('.')[0]}」は Windows が装置の名前として予約しています"
    return None


def safe_name(name: str) -> str:
    """`name` made one Windows can hold: forbidden characters become full-width look-alikes (a department's
    "企画/財政課" stays readable as "企画／財政課"), a trailing dot or space goes, and a reserved device name
    gets "_" after it."""
    table = {'<': "＜", '>': "＞", ':': "：", '"': "”", '/': "／", '\\': "＼", '|': "｜", '?': "？", '*': "＊"}
    cleaned = "".join(table.get(ch, "_" if ord(ch) < 32 else ch) for ch in name).rstrip(". ")
    stem, dot, rest = cleaned.partition(".")
    if stem.rstrip(" ").upper() in _RESERVED:
        cleaned = f"{stem}_{dot}{rest}"
    return cleaned or "_"


# winerror 32 (ERROR_SHARING_VIOLATION) and 33 (ERROR_LOCK_VIOLATION): another program has the file open
# without sharing it; Excel and Word hold every file they show so.
SHARING_VIOLATIONS = (32, 33)


def sharing_violation(path: Path | str) -> PermissionError:
    """The error Windows gives for a file another program holds open (winerror 32), on any system."""
    error = PermissionError(13, "別のプロセスがファイルを使用中です", str(path))
    error.winerror = 32     # on Windows the constructor sets it from a fourth argument; set here for all
    return error


def held_open(path: Path | str) -> bool:
    """Whether another program (Excel, Word) holds the existing file `path` open so that it cannot be replaced
    or removed now: on Windows, asked by opening it for deletion while sharing everything, which fails with a
    sharing violation exactly then. Never on POSIX, where an open file can always be replaced."""
    if not WINDOWS or not os.path.isfile(path):
        return False
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.CreateFileW.restype = wintypes.HANDLE
    kernel32.CreateFileW.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, ctypes.c_void_p,
                                     wintypes.DWORD, wintypes.DWORD, wintypes.HANDLE]
    delete, share_all, open_existing = 0x00010000, 0x7, 3
    handle = kernel32.CreateFileW(long_path(path), delete, share_all, None, open_existing, 0, None)
    if handle == wintypes.HANDLE(-1).value:
        return ctypes.get_last_error() in SHARING_VIOLATIONS
    kernel32.CloseHandle(handle)
    return False


def replace(source: Path | str, target: Path | str) -> None:
    """os.replace, which on Windows fails while another program holds `target` open (a sharing violation, or
    "access denied" for a file that is not read-only): that failure is said as one (winerror 32)."""
    try:
        os.replace(long_path(source), long_path(target))
    except PermissionError as exc:
        if WINDOWS and getattr(exc, "winerror", None) == 5 and _writable_file(target):
            raise sharing_violation(target) from None
        raise


def _writable_file(path: Path | str) -> bool:
    try:
        return os.path.isfile(path) and os.access(path, os.W_OK)
    except OSError:
        return False


# Windows' classic limit on a path (MAX_PATH, 260 with the terminating NUL). Python 3.6+ itself takes longer
# paths when the system allows them (LongPathsEnabled); where it does not, "\\?\" before an absolute path does.
MAX_PATH = 259


def long_path(path: Path | str) -> str:
    """`path` as the system can open it: on Windows an absolute path beyond MAX_PATH gets the "\\\\?\\" prefix
    (which also turns off the system's own rewriting of names, so the path is made absolute and normal first)."""
    text = str(path)
    if not WINDOWS or len(text) <= MAX_PATH or text.startswith("\\\\?\\"):
        return text
    text = os.path.abspath(text)
    if text.startswith("\\\\"):
        return "\\\\?\\UNC\\" + text[2:]
    return "\\\\?\\" + text


# --- the user's own folders ---------------------------------------------------------------------------

def user_cache_folder() -> Path:
    """Where this user's work kept between runs goes: %LOCALAPPDATA% on Windows (per user, its ACL lets no
    other user in), else $XDG_CACHE_HOME or ~/.cache."""
    if WINDOWS:
        base = os.environ.get("LOCALAPPDATA")
        if base:
            return Path(base)
        return Path.home() / "AppData" / "Local"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def only_user_can_write(path: Path | str) -> bool:
    """Whether only this user can have written `path`. POSIX: owned by them and not writable by group or
    others. Windows: mode bits say nothing of who may write (ACLs do), so a file is taken as private; the
    default folder (%LOCALAPPDATA%) is the user's own by its ACL."""
    if WINDOWS:
        return True
    st = os.stat(path)
    return st.st_uid == os.geteuid() and not st.st_mode & 0o022


def venv_python() -> str:
    """How the secretariat runs the .venv's Python from the tool's folder, as they would type it here."""
    return ".venv\\Scripts\\python" if WINDOWS else ".venv/bin/python"


def output_gone(exc: OSError) -> bool:
    """Whether writing our output failed because its reader went away (`… | head`): EPIPE on POSIX; on
    Windows a write to a pipe whose reader closed fails with EINVAL (ERROR_NO_DATA) and no file name."""
    if isinstance(exc, BrokenPipeError):
        return True
    return WINDOWS and exc.errno == errno.EINVAL and exc.filename is None
