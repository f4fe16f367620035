"""The adopted files kept in the store (schema 5): committed with the records that name them, given back
byte for byte (`original`, by department and year or by sha256), and taken over from the archive folder of
an older store without losing any."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import StorageError
from pipeline.original import Original, write_original
from pipeline.store import SCHEMA_VERSION, Store
from pipeline.usecases import collect_year as usecase
from pipeline.usecases.collect_year import run_collect_year
from pipeline.vocabulary import ACCEPTED, SUPERSEDED
from tests.conftest import YEAR


def _collect(project):
    return run_collect_year(project.plan, project.config, YEAR, inline=True, today=dt.date(2025, 6, 1)).result


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _original(project, *args: str):
    return CliRunner().invoke(main, ["--config", str(project.config_path), "original", *args])


def _as_schema_4(project, archive_extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """Turn the store into what version 4 left: no returned_files table, user_version 4, and each adopted
    file as one copy in the archive folder (<2 hex>/<sha256>.xlsx), plus `archive_extra` (name → bytes).
    Returns what the folder holds (relative name → bytes)."""
    folder = project.config.archive_dir
    with Store(project.config.store_path, readonly=True) as store:
        kept = {sha: store.kept_file(sha) for sha in store.kept_files()}
    db = sqlite3.connect(project.config.store_path)
    db.execute("DROP TABLE returned_files")
    db.execute("DROP INDEX submissions_by_sha256")
    db.execute("PRAGMA user_version=4")
    db.commit()
    db.close()
    copies = {f"{sha[:2]}/{sha}.xlsx": data for sha, data in kept.items()} | dict(archive_extra or {})
    for name, data in copies.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return copies


def _folder(project) -> dict[str, bytes]:
    folder = project.config.archive_dir
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- kept with the record --------------------------------------------------------------------------

def test_collect__every_accepted_return_kept_in_the_store__no_file_per_return(project):
    good = project.return_all()
    result = _collect(project)
    with Store(project.config.store_path, readonly=True) as store:
        kept = store.kept_files()
        assert kept == {o.sha256 for o in result.files if o.status == ACCEPTED}
        for code, path in good.items():
            assert store.kept_file(_sha(path)) == path.read_bytes(), code
    assert not project.config.archive_dir.exists()


def test_collect__a_superseded_return__its_bytes_not_kept(project):
    project.filler("05").fill_all(actual=10).save(project.inbox() / "b_first.xlsx", saved_at=dt.datetime(2025, 5, 1))
    project.filler("05").fill_all(actual=20).save(project.inbox() / "a_second.xlsx", saved_at=dt.datetime(2025, 5, 9))
    result = _collect(project)
    assert {o.file_name: o.status for o in result.files} == {"a_second.xlsx": ACCEPTED, "b_first.xlsx": SUPERSEDED}
    with Store(project.config.store_path, readonly=True) as store:
        assert store.kept_files() == {_sha(project.inbox() / "a_second.xlsx")}


def test_collect__fails_after_the_files_were_kept__store_has_neither_records_nor_files(project, monkeypatch):
    project.return_all()

    def full_disk(*args, **kwargs):
        raise StorageError("出力先がいっぱいです", path=project.config.output_dir, cause="空きがない")

    monkeypatch.setattr(usecase, "stage_collect_outputs", full_disk)
    with pytest.raises(StorageError):
        _collect(project)
    assert not project.config.store_path.exists()       # a first run: no store, as before
    monkeypatch.undo()
    _collect(project)                                    # a store now, with the year
    before = Store(project.config.store_path, readonly=True).dump()
    project.filler("05").fill_all(actual=99).save(project.inbox() / "correction.xlsx", saved_at=dt.datetime(2025, 5, 20))
    monkeypatch.setattr(usecase, "stage_collect_outputs", full_disk)
    with pytest.raises(StorageError):
        _collect(project)
    assert Store(project.config.store_path, readonly=True).dump() == before    # the new file rolled back too


def test_recollect__unchanged_inbox__no_bytes_sent_or_written_again(project, monkeypatch):
    project.return_all()
    _collect(project)
    written: list[str] = []
    real = Store.keep_file
    monkeypatch.setattr(Store, "keep_file", lambda self, sha, data: written.append(sha) or real(self, sha, data))
    result = _collect(project)
    assert written == []
    assert all(o.data is None for o in result.files)


def test_keep_file__bytes_that_do_not_have_the_sha256__refused(project, tmp_path):
    with Store(tmp_path / "s.sqlite") as store, pytest.raises(ValueError):
        store.keep_file("0" * 64, b"not these bytes")


# --- given back ------------------------------------------------------------------------------------

def test_original__by_department_and_year__the_accepted_return_byte_identical(project, tmp_path):
    good = project.return_all()
    _collect(project)
    result = _original(project, "--year", str(YEAR), "--department", "05", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / good["05"].name).read_bytes() == good["05"].read_bytes()
    assert "保存しました" in result.output


def test_original__by_sha256_prefix__byte_identical_under_its_inbox_name(project, tmp_path):
    good = project.return_all()
    _collect(project)
    sha = _sha(good["18"])
    result = _original(project, "--sha256", sha[:10].upper(), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / good["18"].name).read_bytes() == good["18"].read_bytes()


def test_original__default_folder_is_the_years_output(project):
    good = project.return_all()
    _collect(project)
    assert _original(project, "--year", str(YEAR), "--department", "05").exit_code == 0
    assert (project.config.output_for(YEAR) / "控え" / good["05"].name).read_bytes() == good["05"].read_bytes()


@pytest.mark.parametrize(("args", "words"), [
    (["--year", str(YEAR), "--department", "99"], "部署コード 99 は計画にありません"),
    (["--sha256", "abc"], "8文字以上"),
    (["--sha256", "ffffffffff"], "記録されていません"),
    ([], "どちらかを指定してください"),
])
def test_original__nothing_to_give__exit_2_in_japanese(project, args, words):
    project.return_all()
    _collect(project)
    result = _original(project, *args)
    assert result.exit_code == 2
    assert words in result.output


def test_original__a_department_without_an_accepted_return__says_so(project):
    project.return_all(except_codes=("05",))
    _collect(project)
    result = _original(project, "--year", str(YEAR), "--department", "05")
    assert result.exit_code == 2 and "受理したものはデータベースにありません" in result.output


def test_original__a_different_file_of_that_name_in_the_folder__not_overwritten(project, tmp_path):
    good = project.return_all()
    _collect(project)
    (tmp_path / good["05"].name).write_bytes(b"mine")
    result = _original(project, "--year", str(YEAR), "--department", "05", "--out", str(tmp_path))
    assert result.exit_code == 2 and "上書きはしません" in result.output
    assert (tmp_path / good["05"].name).read_bytes() == b"mine"


# --- the upgrade from schema 4 (one file per return in the archive folder) ---------------------------

@pytest.mark.parametrize(("recorded", "written"), [
    ("5月12日受信/企画:財政課_回答.xlsx", "企画：財政課_回答.xlsx"),   # a name from a Mac's share
    ("CON.xlsx", "CON_.xlsx"),
])
def test_original__a_name_windows_cannot_hold__written_under_one_it_can(tmp_path, recorded, written):
    """The store may name a file that reached a Linux inbox under a name Windows refuses; given back on any
    system, it is written under a name the secretariat's PC can open, its bytes unchanged."""
    path = write_original(Original(recorded, "ab" * 32, b"PK\x03\x04 bytes"), tmp_path)
    assert path == tmp_path / written and path.read_bytes() == b"PK\x03\x04 bytes"


def test_upgrade__old_store_and_archive_folder__every_file_in_the_store_and_the_folder_untouched(project, tmp_path):
    good = project.return_all()
    _collect(project)
    other = (project.inbox() / "古い年度の回答.bin")     # a copy an earlier year adopted: not in this year's rows
    other_bytes = b"an earlier return" * 100
    other_sha = hashlib.sha256(other_bytes).hexdigest()
    damaged_sha = "ab" + "0" * 62
    copies = _as_schema_4(project, {f"{other_sha[:2]}/{other_sha}.xlsx": other_bytes,
                                    f"ab/{damaged_sha}.xlsx": b"bytes that are not those of the name",
                                    "notes.txt": b"the secretariat's own note"})
    assert not other.exists()
    with Store(project.config.store_path, readonly=True) as store:     # read-only: never upgraded
        assert store.kept_files() == frozenset()
    _collect(project)          # the next collect upgrades the store and takes the copies in
    with Store(project.config.store_path, readonly=True) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
        for name, data in copies.items():
            sha = name.split("/")[-1].removesuffix(".xlsx")
            if hashlib.sha256(data).hexdigest() == sha:
                assert store.kept_file(sha) == data, name
        assert store.kept_file(damaged_sha) is None
    assert _folder(project) == copies          # nothing in the folder changed or removed
    for path in good.values():
        out = tmp_path / "out"
        assert _original(project, "--sha256", _sha(path), "--out", str(out)).exit_code == 0
        assert (out / path.name).read_bytes() == path.read_bytes()


def test_upgrade__not_yet_upgraded_store__files_given_back_from_the_archive_folder(project, tmp_path):
    good = project.return_all()
    _collect(project)
    _as_schema_4(project)
    for code, path in good.items():
        result = _original(project, "--year", str(YEAR), "--department", code, "--out", str(tmp_path / code))
        assert result.exit_code == 0, result.output
        assert (tmp_path / code / path.name).read_bytes() == path.read_bytes()


def test_upgrade__a_copy_in_the_folder_that_was_altered__not_given_back(project, tmp_path):
    good = project.return_all()
    _collect(project)
    _as_schema_4(project)
    sha = _sha(good["05"])
    (project.config.archive_dir / sha[:2] / f"{sha}.xlsx").write_bytes(b"altered")
    result = _original(project, "--sha256", sha, "--out", str(tmp_path))
    assert result.exit_code == 2 and "ありません" in result.output

