"""pipeline.platform, and what the rest of the package does with it: spawned workers (Windows has no fork),
durable writes without one sync() for all, a file held open by Excel or Word, names Windows reserves.

On Linux the Windows behaviours are simulated by replacing pipeline.platform's answers; under Wine
(tools/wine/run-tests) the same tests meet the real ones."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import files, platform
from pipeline.cli import main
from pipeline.errors import IN_USE, StorageError
from tests.conftest import YEAR


def _cli(project, *args):
    return CliRunner().invoke(main, ["--config", str(project.config_path), *args])


def _outputs(project) -> dict[str, bytes]:
    out = project.config.output_for(YEAR)
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


# --- workers by spawn: everything by the initializer, nothing by inheritance ------------------------------

@pytest.mark.skipif(platform.WINDOWS, reason="on Windows every run spawns: the other tests cover it")
def test_collect__workers_spawned_not_forked__the_same_outputs_byte_for_byte(project, monkeypatch):
    project.return_all(except_codes=("18",))
    bad = project.inbox() / "壊れた.xlsx"
    bad.write_bytes(b"PK\x03\x04 not a workbook")
    assert platform.worker_start_method() == "fork"
    forked = _cli(project, "collect", "--year", str(YEAR))
    assert forked.exit_code == 1, forked.output     # the broken file is a finding, not a stop
    by_fork = _outputs(project)
    shutil.rmtree(project.config.output_for(YEAR))
    project.config.store_path.unlink()

    monkeypatch.setenv("GYOZAI_START_METHOD", "spawn")
    assert platform.worker_start_method() == "spawn"
    spawned = _cli(project, "collect", "--year", str(YEAR))
    assert spawned.exit_code == 1, spawned.output
    assert _outputs(project) == by_fork
    assert "壊れた.xlsx" in (project.config.output_for(YEAR) / "findings.csv").read_text(encoding="utf-8-sig")


def test_worker_memory_limit__counted_from_what_the_worker_holds():
    if platform.WINDOWS:
        assert platform._windows_committed_bytes() > 0
    else:
        assert platform._mapped_bytes() > 0


# --- durable writes where there is no sync() for all ------------------------------------------------------

def test_write_new__no_sync_for_all__every_file_flushed_as_written(tmp_path, monkeypatch):
    flushed = []
    monkeypatch.setattr(platform, "SYNC_AT_ONCE", False)
    monkeypatch.setattr(os, "fsync", lambda fd: flushed.append(fd))
    monkeypatch.setattr(os, "sync", lambda: pytest.fail("os.sync called"), raising=False)
    files.write_atomically(tmp_path / "a.csv", b"x\n", durable=False)
    with files.Staging() as staging:
        staging.stage(tmp_path / "b.csv", b"y\n")
        staging.flush()
        staging.publish()
    assert len(flushed) >= 2
    assert (tmp_path / "a.csv").read_bytes() == b"x\n" and (tmp_path / "b.csv").read_bytes() == b"y\n"


def test_new_files__binary_and_not_inherited():
    assert platform.NEW_FILE & os.O_EXCL and platform.NEW_FILE & platform.O_BINARY == platform.O_BINARY
    if platform.WINDOWS:
        assert platform.O_BINARY and platform.READ & os.O_BINARY


# --- a file held open by Excel or Word ---------------------------------------------------------------------

def test_staging__target_held_open__names_it_changes_nothing(tmp_path, monkeypatch):
    kept = tmp_path / "回収状況_2024.xlsx"
    kept.write_bytes(b"old")
    other = tmp_path / "findings.csv"
    other.write_bytes(b"old")
    monkeypatch.setattr(platform, "held_open", lambda path: os.fspath(path) == os.fspath(kept))
    with pytest.raises(StorageError) as caught, files.Staging() as staging:
        staging.stage(other, b"new")
        staging.stage(kept, b"new")
        staging.publish()
    message = str(caught.value)
    assert caught.value.cause == IN_USE
    assert f"{kept} を開いている Excel や Word などを閉じてから" in message
    assert "変更していません" in message
    assert kept.read_bytes() == b"old" and other.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["findings.csv", "回収状況_2024.xlsx"]


def test_collect__status_workbook_open_in_excel__exit_2_names_it_store_unchanged(project, monkeypatch):
    project.return_all()
    assert _cli(project, "collect", "--year", str(YEAR)).exit_code == 0
    before = _outputs(project), project.config.store_path.read_bytes()
    status = next(project.config.output_for(YEAR).glob("回収状況_*.xlsx"))
    monkeypatch.setattr(platform, "held_open", lambda path: os.fspath(path) == os.fspath(status))
    (project.inbox() / "追加.txt").write_text("x", encoding="utf-8")   # something to change
    result = _cli(project, "collect", "--year", str(YEAR))
    assert result.exit_code == 2, result.output
    assert f"{status} を開いている Excel や Word などを閉じてから" in result.output
    assert (_outputs(project), project.config.store_path.read_bytes()) == before


def test_replace__windows_access_denied_on_a_writable_target__said_as_held_open(tmp_path, monkeypatch):
    target = tmp_path / "t.docx"
    target.write_bytes(b"old")
    source = tmp_path / "s.docx"
    source.write_bytes(b"new")

    def denied(src, dst):
        error = PermissionError(13, "Access is denied", str(dst))
        error.winerror = 5
        raise error

    monkeypatch.setattr(platform, "WINDOWS", True)
    monkeypatch.setattr(os, "replace", denied)
    with pytest.raises(PermissionError) as caught:
        platform.replace(source, target)
    assert caught.value.winerror == 32


# --- names Windows forbids or reserves ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["CON", "con.xlsx", "PRN.csv", "AUX", "NUL.txt", "COM1.xlsx", "LPT9",
                                  "企画課.", "企画課 ", "a<b", "a:b", 'a"b', "a/b", "a\\b", "a|b", "a?b", "a*b",
                                  "a\tb"])
def test_name_problem__forbidden_or_reserved(name):
    assert platform.name_problem(name)
    fixed = platform.safe_name(name)
    assert platform.name_problem(fixed) is None and fixed


@pytest.mark.parametrize("name", ["企画課.xlsx", "CONSOLE.xlsx", "COM10", "回収状況_2024.xlsx", "a.b.c"])
def test_name_problem__ordinary_names_pass(name):
    assert platform.name_problem(name) is None
    assert platform.safe_name(name) == name


def test_safe_name__readable_look_alikes():
    assert platform.safe_name("企画/財政課") == "企画／財政課"
    assert platform.safe_name("CON.xlsx") == "CON_.xlsx"


def test_long_path__prefixed_only_on_windows_beyond_max_path(monkeypatch):
    deep = "C:\\" + "\\".join(["フォルダー" * 10] * 8) + "\\a.xlsx"
    monkeypatch.setattr(platform, "WINDOWS", True)
    monkeypatch.setattr(os.path, "abspath", lambda p: p)
    assert platform.long_path(deep) == "\\\\?\\" + deep
    assert platform.long_path("C:\\short.xlsx") == "C:\\short.xlsx"
    assert platform.long_path("\\\\server\\share\\" + "x" * 300).startswith("\\\\?\\UNC\\server\\share\\")


# --- LibreOffice where Windows installs it ------------------------------------------------------------------

def test_office_candidates__program_files_on_windows(monkeypatch):
    monkeypatch.setattr(platform, "WINDOWS", True)
    monkeypatch.setenv("ProgramFiles", "C:\\Program Files")
    monkeypatch.delenv("ProgramW6432", raising=False)
    monkeypatch.delenv("ProgramFiles(x86)", raising=False)
    expected = os.path.join("C:\\Program Files", "LibreOffice", "program")
    assert platform.soffice_candidates() == [os.path.join(expected, "soffice.exe")]
    assert os.path.join(expected, "python.exe") in platform.uno_python_candidates()


def test_kill_group__ends_the_child_and_what_it_started():
    """The child starts a grandchild (its stdio away from ours, so a survivor could not hold the test runner's
    pipes) and says its pid once it runs; kill_group ends both."""
    import subprocess
    import time

    code = ("import subprocess, sys, time\n"
            "g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(20)'], stdin=subprocess.DEVNULL,"
            " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
            "print(g.pid, flush=True)\n"
            "time.sleep(20)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
                            **platform.own_group())
    grandchild = int(proc.stdout.readline())
    proc.stdout.close()
    platform.kill_group(proc)
    assert proc.returncode is not None
    if platform.LINUX:      # the grandchild is gone, or a zombie waiting for init to reap it
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                state = Path(f"/proc/{grandchild}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except FileNotFoundError:
                break
            if state == "Z":
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"the grandchild {grandchild} still runs after kill_group")


@pytest.mark.skipif(not platform.WINDOWS, reason="a sharing violation is Windows' own")
def test_held_open__a_file_opened_as_excel_opens_it__found_and_said_before_anything_changes(tmp_path):
    import ctypes
    from ctypes import wintypes

    target = tmp_path / "回収状況_2024.xlsx"
    target.write_bytes(b"old")
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.CreateFileW.restype = wintypes.HANDLE
    kernel32.CreateFileW.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, ctypes.c_void_p,
                                     wintypes.DWORD, wintypes.DWORD, wintypes.HANDLE]
    generic_read_write, share_read, open_existing = 0xC0000000, 0x1, 3   # as Excel holds a workbook it shows
    handle = kernel32.CreateFileW(str(target), generic_read_write, share_read, None, open_existing, 0, None)
    assert handle != wintypes.HANDLE(-1).value
    try:
        assert platform.held_open(target)
        with pytest.raises(StorageError) as caught, files.Staging() as staging:
            staging.stage(target, b"new")
            staging.publish()
        assert caught.value.cause == IN_USE and str(target) in str(caught.value)
        with pytest.raises(StorageError) as direct:
            files.write_atomically(target, b"new")
        assert direct.value.cause == IN_USE
    finally:
        kernel32.CloseHandle(handle)
    assert target.read_bytes() == b"old"
    assert not platform.held_open(target)


def test_run_lock__second_holder_refused_with_a_message(tmp_path):
    from pipeline.errors import LockedError
    from pipeline.storefile import run_lock

    store = tmp_path / "store.sqlite"
    with run_lock(store):
        with pytest.raises(LockedError) as caught, run_lock(store):
            pass
        assert "別の collect または report が実行中です" in str(caught.value)
    with run_lock(store):     # free again once the first is done
        pass


def test_output_gone__a_closed_pipe_on_each_system_and_nothing_else(monkeypatch):
    """`… | head`: POSIX says EPIPE; Windows says EINVAL with no file name. A failure on a file of ours is not it."""
    import errno

    assert platform.output_gone(BrokenPipeError(errno.EPIPE, "Broken pipe"))
    monkeypatch.setattr(platform, "WINDOWS", True)
    assert platform.output_gone(OSError(errno.EINVAL, "Invalid argument"))
    assert not platform.output_gone(OSError(errno.EINVAL, "Invalid argument", "C:\\gyozai\\output\\x.xlsx"))
    assert not platform.output_gone(OSError(errno.ENOSPC, "No space left on device"))
    monkeypatch.setattr(platform, "WINDOWS", False)
    assert not platform.output_gone(OSError(errno.EINVAL, "Invalid argument"))
