"""A failure to write is not a broken return (#11): when a folder of ours cannot be written (no
permission, a read-only medium, a full disk) or the store cannot be used, the run stops with exit 2 and
one message that names the path and the cause, no return is blamed, and the store and every output stay
byte for byte as they were; once the problem is gone, the next run succeeds.

The failures are real, made the way the machine allows:
- no permission: as root, permission bits do not stop writes, so the command runs in a child without
  CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (dropped from its bounding set before exec: it stays uid 0, so
  it can still run the project's Python, but a folder with mode 0555 refuses it as it would refuse a user);
- a read-only medium: a read-only bind mount (EROFS);
- a full disk: a small tmpfs mounted over the folder and filled to the last block (ENOSPC), and a file
  size limit in the child (RLIMIT_FSIZE: EFBIG).
Each is skipped, with the reason, only where the machine cannot make it.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import isolation, platform
from pipeline.cli import main
from pipeline.collect import returns as collect_module
from pipeline.collect.returns import collect
from pipeline.config import load_config
from pipeline.errors import FULL, NO_PERMISSION, READ_ONLY, InternalError, StorageError
from pipeline.followup.packets import packet_file_name
from pipeline.intake.inbox import InboxFile
from pipeline.store import Store
from tests.conftest import ROOT, YEAR, Project, copied_project, make_project

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


# --- the project: store, archive and outputs in folders of their own --------------------------------

def _split(project: Project) -> Project:
    """The project with the store in db/, the archive copies in archive/ and the outputs in output/, so
    that each can be made unwritable on its own."""
    text = project.config_path.read_text(encoding="utf-8")
    text = text.replace('store = "output/progress.sqlite"', 'store = "db/progress.sqlite"')
    text = text.replace('archive = "output/archive"', 'archive = "archive"')
    project.config_path.write_text(text, encoding="utf-8")
    p = Project(project.root, load_config(project.config_path), project.plan)
    for folder in (p.config.store_path.parent, p.config.archive_dir, p.config.output_for(YEAR)):
        folder.mkdir(parents=True, exist_ok=True)
    return p


@pytest.fixture
def split(project) -> Project:
    return _split(project)


def _cli(project, *args):
    return CliRunner().invoke(main, ["--config", str(project.config_path), *args])


def _command(project, *args) -> list[str]:
    return [sys.executable, "-m", "pipeline", "--config", str(project.config_path), *args]


def collected_once(p: Project) -> None:
    """A good year to lose: 05's return has an error (a packet), 18 has not returned (the reminder list),
    the report is written; then the inbox changes so that the next run would change everything: 05 sends
    a corrected return (a new archive copy; its packet is no longer needed) and 18 returns."""
    p.return_all(except_codes=("05", "18"))
    p.filler("05").fill_all(actual="約千件").save(p.inbox() / "情報政策課.xlsx")
    assert _cli(p, "collect", "--year", str(YEAR)).exit_code == 1
    assert _cli(p, "report", "--year", str(YEAR), "--no-pdf").exit_code == 0
    assert _packet(p).exists()
    p.filler("05").fill_all().save(p.inbox() / "情報政策課_修正.xlsx")
    p.filler("18").fill_all().save(p.inbox() / "商工課.xlsx")


@pytest.fixture(scope="module")
def _collected_cache(tmp_path_factory, _templates_cache) -> Path:
    root = tmp_path_factory.mktemp("collected") / "project"
    p = make_project(root)
    shutil.copytree(_templates_cache, p.config.templates_dir)
    collected_once(_split(p))
    return root


@pytest.fixture
def collected(tmp_path, _collected_cache) -> Project:
    """A split project after collected_once (made once, copied for each test, file times kept)."""
    return copied_project(_collected_cache, tmp_path / "project")


def _packet(p: Project) -> Path:
    return p.config.output_for(YEAR) / "差し戻し" / packet_file_name(YEAR, p.plan.department_by_code["05"])


def state(p: Project) -> dict[str, str]:
    """Every file under the store's folder, the archive and the outputs (name → digest), and the store's rows."""
    out = {}
    for top in (p.config.store_path.parent, p.config.archive_dir, p.config.output_for(YEAR).parent):
        for path in sorted(top.rglob("*")):
            if path.is_file() and not path.name.startswith("filler"):
                out[str(path.relative_to(p.root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    uri = p.config.store_path.resolve().as_uri()
    db = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)   # reads without touching the folder
    try:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        out["rows"] = json.dumps({t: sorted(map(repr, db.execute(f"SELECT * FROM {t}"))) for t in tables})
    finally:
        db.close()
    return out


def assert_stopped_clearly(proc, *, path: Path | str, cause: str) -> str:
    """Exit 2, one message naming `path` and `cause`, saying it is not a return's fault and nothing changed."""
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output
    assert "Traceback" not in output and "FILE_015" not in output
    assert proc.stderr.count("エラー:") == 1, proc.stderr
    message = proc.stderr.strip()
    assert str(path) in message and f"原因: {cause}" in message, message
    assert "回答ファイルの問題ではなく" in message and "変更していません" in message, message
    return message


def assert_recovers(p: Project, before: dict[str, str]) -> None:
    """With the problem gone, the same command succeeds and replaces the year."""
    proc = subprocess.run(_command(p, "collect", "--year", str(YEAR)), cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert state(p)["rows"] != before["rows"]
    assert not _packet(p).exists()
    findings = (p.config.output_for(YEAR) / "findings.csv").read_text(encoding="utf-8")
    assert "FILE_015" not in findings


# --- no permission -------------------------------------------------------------------------------

def _without_dac_override() -> None:
    """preexec_fn: the child (and what it execs) loses the right to ignore permission bits."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            os._exit(97)


@pytest.fixture(scope="module")
def unprivileged(tmp_path_factory):
    """Run a command as one whom permission bits stop; skip (with the reason) where that cannot be made."""
    if platform.WINDOWS:
        pytest.skip("Windows は権限をアクセス制御リスト（ACL）で決め、Wine では作れないため省略します（権限ビットと preexec_fn は POSIX のもの）")
    folder = tmp_path_factory.mktemp("probe") / "locked"
    folder.mkdir(mode=0o555)
    probe = subprocess.run(
        [sys.executable, "-c", f"open({str(folder / 'x')!r}, 'w')"],
        preexec_fn=_without_dac_override, capture_output=True, text=True,
    )
    folder.chmod(0o755)
    if probe.returncode == 0 or "PermissionError" not in probe.stderr:
        pytest.skip("権限のない利用者としてコマンドを実行できないため省略します（root の CAP_DAC_OVERRIDE を外せない環境）")

    def run(command: list[str], **options) -> subprocess.CompletedProcess:
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, preexec_fn=_without_dac_override,
                              **options)
    return run


def _lock_tree(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir():
            path.chmod(0o555)


def _unlock_tree(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)


# (the archive folder is no longer written: the adopted files go into the store, store schema 5)
@pytest.mark.parametrize("where", ["output", "packets", "store folder"])
def test_collect__a_folder_of_ours_without_permission__exit_2_one_message_nothing_changed(collected, unprivileged, where):
    p = collected
    folder = {"output": p.config.output_for(YEAR),
              "packets": _packet(p).parent, "store folder": p.config.store_path.parent}[where]
    before = state(p)
    _lock_tree(folder)
    try:
        proc = unprivileged(_command(p, "collect", "--year", str(YEAR)))
    finally:
        _unlock_tree(folder)
    assert_stopped_clearly(proc, path=folder, cause=NO_PERMISSION)
    assert state(p) == before
    assert_recovers(p, before)


def test_collect__store_file_read_only__exit_2_names_the_store(collected, unprivileged):
    p = collected
    before = state(p)
    p.config.store_path.chmod(0o444)
    try:
        proc = unprivileged(_command(p, "collect", "--year", str(YEAR)))
    finally:
        p.config.store_path.chmod(0o644)
    assert_stopped_clearly(proc, path=p.config.store_path, cause=READ_ONLY)
    assert state(p) == before
    assert_recovers(p, before)


@pytest.mark.skipif(platform.WINDOWS, reason="chattr +i is Linux's")
def test_collect__store_file_immutable__exit_2_names_the_store(collected):
    p = collected
    before = state(p)
    if subprocess.run(["chattr", "+i", str(p.config.store_path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i が使えないファイルシステムのため省略します")
    try:
        proc = subprocess.run(_command(p, "collect", "--year", str(YEAR)), cwd=ROOT, capture_output=True, text=True)
    finally:
        subprocess.run(["chattr", "-i", str(p.config.store_path)], check=True)
    assert_stopped_clearly(proc, path=p.config.store_path, cause=READ_ONLY)
    assert state(p) == before


def test_report_and_templates__folder_without_permission__exit_2_and_every_file_as_it_was(collected, unprivileged):
    p = collected
    before = state(p)
    output = p.config.output_for(YEAR)
    _lock_tree(output)
    try:
        report = unprivileged(_command(p, "report", "--year", str(YEAR), "--no-pdf"))
    finally:
        _unlock_tree(output)
    assert_stopped_clearly(report, path=output, cause=NO_PERMISSION)
    assert state(p) == before

    templates = p.config.templates_for(YEAR)
    written = {f.name: f.read_bytes() for f in templates.iterdir()}
    _lock_tree(templates)
    try:
        proc = unprivileged(_command(p, "templates", "--year", str(YEAR), "--force"))
    finally:
        _unlock_tree(templates)
    assert_stopped_clearly(proc, path=templates, cause=NO_PERMISSION)
    assert {f.name: f.read_bytes() for f in templates.iterdir()} == written


def test_report__its_web_folder_without_permission__exit_2_and_every_file_as_it_was(collected, unprivileged):
    # a page published before, its folder locked (a CMS sync tool's doing, say): the report, the tables and
    # the page all stay as they were, not a new report beside an old page
    p = collected
    first = subprocess.run(_command(p, "report", "--year", str(YEAR), "--no-pdf", "--date", "2025-06-20"), cwd=ROOT,
                           capture_output=True, text=True)
    assert first.returncode == 0, first.stdout + first.stderr
    before = state(p)
    web = p.config.output_for(YEAR) / "web"
    assert (web / "index.html").is_file()
    _lock_tree(web)
    try:
        proc = unprivileged(_command(p, "report", "--year", str(YEAR), "--no-pdf", "--date", "2025-07-01"))
    finally:
        _unlock_tree(web)
    assert_stopped_clearly(proc, path=web, cause=NO_PERMISSION)
    assert state(p) == before


def test_collect__first_run_cannot_write_outputs__no_store_is_left_behind(split, unprivileged):
    p = split
    p.return_all()
    _lock_tree(p.config.output_for(YEAR))
    try:
        proc = unprivileged(_command(p, "collect", "--year", str(YEAR)))
    finally:
        _unlock_tree(p.config.output_for(YEAR))
    assert_stopped_clearly(proc, path=p.config.output_for(YEAR), cause=NO_PERMISSION)
    assert not p.config.store_path.exists() and list(p.config.output_for(YEAR).iterdir()) == []


# --- a read-only medium --------------------------------------------------------------------------

@pytest.fixture
def mounts():
    """mount(args, target): mount over a folder for the test; everything is unmounted afterwards."""
    made: list[Path] = []

    def mount(args: list[str], target: Path) -> None:
        if platform.WINDOWS:
            pytest.skip("mount は Linux のもの（Windows の読み取り専用の媒体や満杯のディスクは作れないため省略します）")
        proc = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"この環境では mount できないため省略します（{proc.stderr.strip()}）")
        made.append(target)

    yield mount
    for target in reversed(made):
        if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(target)], capture_output=True)


def _read_only(mount, folder: Path) -> None:
    mount(["--bind", str(folder)], folder)
    mount(["-o", "remount,ro,bind"], folder)


def test_collect__output_on_a_read_only_medium__exit_2_nothing_changed(collected, mounts):
    p = collected
    before = state(p)
    _read_only(mounts, p.config.output_for(YEAR))
    proc = subprocess.run(_command(p, "collect", "--year", str(YEAR)), cwd=ROOT, capture_output=True, text=True)
    assert_stopped_clearly(proc, path=p.config.output_for(YEAR), cause=READ_ONLY)
    assert state(p) == before


def test_status_and_report__store_on_a_read_only_medium__read_it(collected, mounts):
    p = collected
    _read_only(mounts, p.config.store_path.parent)
    status = subprocess.run(_command(p, "status", "--year", str(YEAR)), cwd=ROOT, capture_output=True, text=True)
    assert status.returncode == 1 and "差し戻し 1" in status.stdout, status.stdout + status.stderr
    report = subprocess.run(_command(p, "report", "--year", str(YEAR), "--no-pdf"), cwd=ROOT, capture_output=True,
                            text=True)
    assert report.returncode == 0, report.stdout + report.stderr
    collect_run = subprocess.run(_command(p, "collect", "--year", str(YEAR)), cwd=ROOT, capture_output=True, text=True)
    assert_stopped_clearly(collect_run, path=p.config.store_path, cause=READ_ONLY)


# --- a full disk -----------------------------------------------------------------------------------

def _fill(folder: Path) -> None:
    """Fill the file system under `folder` to the last block."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        for size in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    assert os.statvfs(folder).f_bavail == 0


@pytest.mark.parametrize("where", ["output", "store folder"])
def test_collect__disk_full__exit_2_one_message_nothing_changed_then_recovers(collected, mounts, where):
    p = collected
    folder = {"output": p.config.output_for(YEAR).parent,
              "store folder": p.config.store_path.parent}[where]
    saved = folder.with_name(f"{folder.name}.saved")
    folder.rename(saved)
    folder.mkdir()
    mounts(["-t", "tmpfs", "-o", "size=8m", "tmpfs"], folder)
    shutil.copytree(saved, folder, dirs_exist_ok=True)
    shutil.rmtree(saved)
    before = state(p)
    _fill(folder)
    proc = subprocess.run(_command(p, "collect", "--year", str(YEAR)), cwd=ROOT, capture_output=True, text=True)
    assert_stopped_clearly(proc, path=folder, cause=FULL)
    assert state(p) == before
    report = subprocess.run(_command(p, "report", "--year", str(YEAR), "--no-pdf"), cwd=ROOT, capture_output=True,
                            text=True)
    if where == "output":
        assert_stopped_clearly(report, path=folder, cause=FULL)
    assert state(p) == before
    (folder / "filler").unlink()
    assert_recovers(p, before)


@pytest.mark.skipif(platform.WINDOWS, reason="RLIMIT_FSIZE is POSIX's (Windows has no limit on a file's size per process)")
def test_collect__file_size_limit_at_the_commit__exit_2_store_and_outputs_as_they_were(collected):
    """RLIMIT_FSIZE (EFBIG): the outputs and copies fit, the store's write-ahead log does not, so the commit
    fails inside SQLite; its own rollback must not hide the cause behind "no transaction is active"."""
    p = collected
    before = state(p)

    def limited() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))

    proc = subprocess.run(_command(p, "collect", "--year", str(YEAR)), cwd=ROOT, capture_output=True, text=True,
                          preexec_fn=limited)
    assert_stopped_clearly(proc, path=p.config.store_path, cause=FULL)
    assert "rollback" not in proc.stderr
    assert state(p) == before
    assert_recovers(p, before)


def test_store__full_in_the_middle_of_replace_year__storage_error_and_the_old_year_kept(collected):
    p = collected
    result = collect(p.plan.for_year(YEAR), p.config, YEAR)
    before = state(p)
    with Store(p.config.store_path) as store:
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages}")    # SQLITE_FULL as soon as the year grows
        with pytest.raises(StorageError) as caught:
            store.replace_year(collect_module.year_record(p.plan.for_year(YEAR), result, "2025-06-01T00:00:00Z"))
        assert not store.db.in_transaction
    assert caught.value.cause == FULL and str(p.config.store_path) in str(caught.value)
    assert state(p) == before


# --- the store itself ------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["collect"], ["status"], ["report", "--no-pdf"], ["templates", "--force"]])
def test_store_of_0_bytes__refused_as_damaged_by_every_command__file_unchanged(split, command):
    p = split
    p.return_all()
    p.config.store_path.write_bytes(b"")
    result = _cli(p, command[0], "--year", str(YEAR), *command[1:])
    assert result.exit_code == 2, result.output
    assert str(p.config.store_path) in result.output and "バックアップから戻して" in result.output
    assert "0 バイト" in result.output and isinstance(result.exception, SystemExit)    # a message, not a traceback
    assert p.config.store_path.read_bytes() == b""


def test_store__damaged__clear_message_for_a_reader_too(split):
    p = split
    p.config.store_path.write_bytes(b"not a database at all, just text" * 200)
    p.inbox().mkdir(parents=True, exist_ok=True)     # (a year with no inbox stops before the store: test_accounted_for)
    for command in (["collect"], ["status"]):
        result = _cli(p, command[0], "--year", str(YEAR))
        assert result.exit_code == 2 and "壊れている" in result.output and str(p.config.store_path) in result.output


def test_store__creation_stopped_half_way__no_empty_store_left_to_be_refused_later(tmp_path, monkeypatch):
    import pipeline.store

    folder = tmp_path / "db"
    folder.mkdir()

    def disk_fails(db):
        raise sqlite3.OperationalError("disk I/O error")
    monkeypatch.setattr(pipeline.store, "_write_schema", disk_fails)
    with pytest.raises(StorageError):
        Store(folder / "s.sqlite")
    assert list(folder.iterdir()) == []          # no 0-byte store, no temporary, no -wal/-shm
    monkeypatch.undo()
    with Store(folder / "s.sqlite") as store:
        assert store.years() == []
    assert sorted(f.name for f in folder.iterdir()) == ["s.sqlite"]


# --- whose failure: the worker's task error is ours, a death or a timeout is the file's ----------------

def _job(name="a.xlsx"):
    return InboxFile(Path(f"/inbox/{name}"), name, 100, 0.0)


def test_failed__task_error_is_our_failure__it_stops_the_run(project):
    full = OSError(errno.ENOSPC, "No space left on device", "/out/archive/ab/x.xlsx")
    with pytest.raises(StorageError) as caught:
        collect_module._failed(_job(), isolation.WorkerFailure("error", "OSError: …", full), project.config)
    assert caught.value.cause == FULL and str(Path("/out/archive/ab/x.xlsx")) in str(caught.value)
    ours = StorageError("既に作られたメッセージ", path="/out/a", cause=NO_PERMISSION)
    with pytest.raises(StorageError, match="既に作られたメッセージ"):
        collect_module._failed(_job(), isolation.WorkerFailure("error", "StorageError", ours), project.config)
    with pytest.raises(InternalError, match="a.xlsx の点検中.*KeyError: 'x'"):
        collect_module._failed(_job(), isolation.WorkerFailure("error", "KeyError: 'x'"), project.config)


def test_failed__death_timeout_or_memory__the_file_gets_its_finding(project):
    cases = [(isolation.WorkerFailure("crashed", "SIGABRT"), "FILE_015"),
             (isolation.WorkerFailure("timeout", "no result within 5 s"), "FILE_016"),
             (isolation.WorkerFailure("error", "MemoryError", MemoryError()), "FILE_015")]
    for failure, code in cases:
        outcome = collect_module._failed(_job(), failure, project.config)
        assert [f.code for f in outcome.findings] == [code]


def test_collect__store_cannot_take_the_returns_bytes__storage_error_not_a_finding_nothing_kept(project, monkeypatch):
    """The store fills up while the returns' bytes go in as they arrive: our failure (StorageError naming
    the store), never a finding on a return, and the store holds nothing of the run."""
    from pipeline.usecases.collect_year import run_collect_year
    real = Store._connect_for_writing

    def small(self):
        db = real(self)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count={pages + 12}")    # room for the rows, not for 19 returns
        return db
    monkeypatch.setattr(Store, "_connect_for_writing", small)
    project.return_all()
    with pytest.raises(StorageError) as caught:
        run_collect_year(project.plan, project.config, YEAR)
    assert str(project.config.store_path) in str(caught.value)
    assert not project.config.store_path.exists()     # a first run leaves no store behind


# --- the command line never shows a traceback for our own files ------------------------------------

@pytest.mark.parametrize("error, cause", [
    (PermissionError(errno.EACCES, "Permission denied", "/srv/share/output/2024/x.xlsx"), NO_PERMISSION),
    (OSError(errno.EROFS, "Read-only file system", "/srv/share/output/2024/x.xlsx"), READ_ONLY),
    (OSError(errno.EIO, "Input/output error", "/srv/share/output/2024/x.xlsx"), "Input/output error"),
])
def test_cli__stray_os_error__one_message_exit_2(project, monkeypatch, error, cause):
    import pipeline.usecases.collect_year

    def fail(*args, **kwargs):
        raise error
    monkeypatch.setattr(pipeline.usecases.collect_year, "run_collect_year", fail)
    result = _cli(project, "collect", "--year", str(YEAR))
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert str(Path("/srv/share/output/2024/x.xlsx")) in result.output and f"原因: {cause}" in result.output


def test_cli__reader_of_the_output_gone__stops_quietly_not_blamed_on_storage(project):
    """`make plan-check | head`: the pipe closes before the command writes; that is nobody's failure to report
    (not a "保存先のファイルを使えません"), and no traceback."""
    proc = subprocess.Popen(_command(project, "plan-check"), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()       # the reader is gone before the command starts writing
    said = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    assert proc.wait() != 0 and said == ""


def test_cli__stray_sqlite_error__names_the_store(project, monkeypatch):
    import pipeline.usecases.collect_year

    def fail(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(pipeline.usecases.collect_year, "run_collect_year", fail)
    result = _cli(project, "collect", "--year", str(YEAR))
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert str(project.config.store_path) in result.output and "database or disk is full" in result.output


# --- permissions of what we write ------------------------------------------------------------------

@pytest.mark.skipif(platform.WINDOWS, reason="a file's mode bits and the umask are POSIX's")
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664)])
def test_every_file_we_write__the_mode_of_an_ordinary_new_file(project, umask, mode):
    p = project
    p.return_all(except_codes=("05", "18"))
    p.filler("05").fill_all(actual="約千件").save(p.inbox() / "情報政策課.xlsx")

    def with_umask() -> None:
        os.umask(umask)

    for args, status in ((["templates", "--year", "2025"], 0), (["collect", "--year", str(YEAR)], 1),
                         (["report", "--year", str(YEAR), "--no-pdf"], 0)):
        proc = subprocess.run(_command(p, *args), cwd=ROOT, capture_output=True, text=True, preexec_fn=with_umask)
        assert proc.returncode == status, proc.stdout + proc.stderr
    out = p.config.output_for(YEAR)
    files = [*p.config.templates_for(2025).iterdir(), *p.config.archive_dir.rglob("*.xlsx"), out / "findings.csv",
             *out.glob("回収状況_*.xlsx"), *out.glob("督促リスト_*.xlsx"), _packet(p), *out.glob("進捗状況報告書_*.docx"),
             *out.glob("参考指標一覧_*.xlsx"), *out.glob("参考指標一覧_*.csv"), p.config.store_path,
             Path(f"{p.config.store_path}.lock")]
    assert len(files) == 19 + 7 + 2     # the 17 accepted returns are in the store, not files of their own
    modes = {str(f.relative_to(p.root)): oct(stat.S_IMODE(f.stat().st_mode)) for f in files}
    assert set(modes.values()) == {oct(mode)}, modes


def test_collect__temporary_files_of_a_killed_run__removed_under_the_lock_others_kept(collected):
    p = collected
    out = p.config.output_for(YEAR)
    leftovers = [out / ".findings.0123456789ab.tmp.csv", _packet(p).parent / f".{_packet(p).stem}.0123456789ab.tmp.xlsx",
                 out / f".{_packet(p).stem}.0123456789ab-removal.tmp.xlsx"]
    someone_elses = [out / ".findings.csv.bak", out / "メモ.tmp.txt"]
    for path in leftovers + someone_elses:
        path.write_bytes(b"x")
    assert _cli(p, "collect", "--year", str(YEAR)).exit_code == 0
    assert [path.exists() for path in leftovers + someone_elses] == [False] * 3 + [True] * 2
