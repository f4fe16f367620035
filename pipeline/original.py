"""A file the store adopted, given back exactly as it came: a department's return of a year (by department
code), or any return, register or 転記票 by its sha256 (the first 8 or more hex digits are enough).

The store holds the bytes since schema 5 (returned_files, committed with the records that name them). A file
adopted before and not taken in by the upgrade is looked for where those versions kept it: the archive folder,
under its sha256, used only when its bytes still have that sha256.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pipeline import platform
from pipeline.config import Config
from pipeline.errors import UsageError
from pipeline.files import write_atomically
from pipeline.plan import Plan
from pipeline.store import Store
from pipeline.vocabulary import SubmissionStatus

MIN_PREFIX = 8
_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class Original:
    file_name: str      # as the record names it (inbox-relative)
    sha256: str
    data: bytes


def find_original(plan: Plan, config: Config, *, year: int | None = None, department: str | None = None,
                  sha256: str | None = None) -> Original:
    """The adopted file of `department` in `year`, or the file whose sha256 starts with `sha256`.
    UsageError when there is none, or when a prefix names several."""
    with Store(config.store_path, readonly=True) as store:
        if sha256 is not None:
            digest, name = _by_hash(store, sha256.strip().lower())
        else:
            if year is None or department is None:
                raise UsageError("部署コード（--department）と年度（--year）、またはハッシュ値（--sha256）を指定してください。")
            digest, name = _by_department(plan, store, year, department)
        data = store.kept_file(digest)
    if data is None:
        data = _from_archive_folder(config, digest)
    if data is None:
        raise UsageError(f"{name}（sha256 {digest}）のファイルは、データベースにも控えのフォルダー "
                         f"{config.archive_dir} にもありません。")
    return Original(name, digest, data)


def _by_hash(store: Store, prefix: str) -> tuple[str, str]:
    if len(prefix) < MIN_PREFIX or not _HEX.fullmatch(prefix):
        raise UsageError(f"ハッシュ値は16進数で{MIN_PREFIX}文字以上を指定してください（findings.csv やデータベースの sha256）。")
    found = store.sha256_named(prefix)
    if not found:
        raise UsageError(f"sha256 が {prefix} で始まるファイルは、データベースに記録されていません。")
    if len(found) > 1:
        raise UsageError(f"sha256 が {prefix} で始まるファイルが {len(found)} 件あります。もっと長く指定してください。")
    names = store.names_of(found[0])
    return found[0], names[0][1] if names else f"{found[0]}.xlsx"


def _by_department(plan: Plan, store: Store, year: int, department: str) -> tuple[str, str]:
    if department not in plan.department_by_code:
        raise UsageError(f"部署コード {department} は計画にありません。")
    name = plan.department_name(department)
    accepted = [s for s in store.submissions(year)
                if s.department_code == department and s.status == SubmissionStatus.ACCEPTED]
    if not accepted:
        raise UsageError(f"{year}年度の{name}（{department}）の回答で、受理したものはデータベースにありません"
                         f"（make status YEAR={year} で状況を確かめてください）。")
    return accepted[0].sha256, accepted[0].file_name


def _from_archive_folder(config: Config, sha256: str) -> bytes | None:
    path = config.archive_dir / sha256[:2] / f"{sha256}.xlsx"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


def write_original(original: Original, folder: Path) -> Path:
    """Write the file into `folder` under its own name (made one Windows can hold). UsageError when a different file is there already."""
    target = folder / platform.safe_name(PurePosixPath(original.file_name).name)   # a name any system can hold
    if target.exists():
        if target.is_file() and target.read_bytes() == original.data:
            return target
        raise UsageError(f"{target} に別のファイルがあります。移すか消してから、もう一度実行してください"
                         "（上書きはしません）。")
    write_atomically(target, original.data)
    return target
