"""The plan master (計画マスタ): the plan as an Excel workbook the secretariat edits, and back.

- `export_master` writes the plan as a workbook (`export.build_master`);
- `import_master` takes an edited master through the same gate as a return (bytes read once, inspected,
  read in a worker process), checks every cell (`importing.read_master`), and writes the plan file
  (TOML, in plan/README.md's shape) only when the whole plan is valid.

Export then import gives the same plan: `content_digest` equal, and the same department workbooks.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli as tomllib  # the standard library's parser, compiled: 3× faster on a large plan
import tomli_w

from pipeline.config import Config, Limits
from pipeline.errors import AlreadyExistsError, InternalError, UsageError
from pipeline.files import same_on_every_system, write_atomically
from pipeline.findings import Finding, Tally
from pipeline.intake.single import take_workbook
from pipeline.plan.loading import plan_from_mapping
from pipeline.plan.model import Plan
from pipeline.plan_master.export import build_master
from pipeline.plan_master.importing import read_master

__all__ = ["MasterImport", "build_master", "export_master", "import_master", "plan_toml", "read_master"]

TOML_HEAD = ("# 計画マスタ（{source}）から make plan-import で作成した計画ファイル。書式: plan/README.md\n"
             "# 計画マスタを直して import し直すと、このファイルは置き換わります（ここに書いたコメントは残りません）。\n\n")


# --- export ------------------------------------------------------------------------------------------

def export_master(plan: Plan, config: Config | None, path: Path | str, *, force: bool = False) -> Path:
    """Write `plan` as a plan master at `path`; refuse to overwrite a file (someone's edits) without `force`."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"{path}: 計画マスタのファイル名は .xlsx で終わるようにしてください。")
    if path.exists() and not force:
        raise AlreadyExistsError(
            f"{path} は既にあります。編集した内容を守るため上書きしません。作り直すときは "
            f"make plan-export MASTER={path} FORCE=1 を実行してください（コマンドでは --force）。")
    write_atomically(path, same_on_every_system(build_master(plan, config.secretariat.name if config else "")))
    return path


# --- import ------------------------------------------------------------------------------------------

@dataclass
class MasterImport(Tally):
    source: Path
    out: Path
    findings: list[Finding] = field(default_factory=list)
    plan: Plan | None = None            # the plan the master holds (None when it has an error)
    written: Path | None = None         # the plan file written (None when nothing was written)
    sha256: str = ""                    # of the master's bytes as read once


def import_master(path: Path | str, out: Path | str, *, force: bool = False, inline: bool = False,
                  config: Config | None = None) -> MasterImport:
    """Check the plan master at `path` and, when the whole plan is valid, write it as the plan file `out`.
    With any error nothing is written; every finding is in the result. Raises UsageError (no such master)
    or AlreadyExistsError (`out` exists and not `force`). `config`: the gate's limits and the workbook
    password (the defaults without). `inline`: read in this process (tests only)."""
    path, out = Path(path), Path(out)
    if not path.is_file():
        raise UsageError(f"計画マスタ {path} がありません。ファイル名と場所を確かめてください。")
    if out.exists() and not force:
        raise AlreadyExistsError(
            f"{out} は既にあります。上書きするときは make plan-import MASTER={path} OUT={out} FORCE=1 を"
            "実行してください（コマンドでは --force。今の計画ファイルのコメントは残りません）。")
    result = MasterImport(path, out)
    limits = config.limits if config else Limits()
    outcome = take_workbook(path, functools.partial(read_master, source_name=path.name), limits,
                            password=config.workbook_password if config else None, inline=inline)
    result.findings, result.sha256 = outcome.findings, outcome.sha256
    if outcome.checked is None or result.errors:
        return result
    result.plan = plan_from_mapping(outcome.checked, source=path.name)
    text = plan_toml(outcome.checked, path.name)
    if plan_from_mapping(tomllib.loads(text), source=str(out)) != result.plan:
        raise InternalError(f"{out} に書く内容が計画マスタの内容と一致しません（このツールの誤り）。何も書いていません。")
    write_atomically(out, text.encode("utf-8"))
    result.written = out
    return result


def plan_toml(mapping: dict[str, Any], source: str = "計画マスタ") -> str:
    """The plan file's text: [plan] and every [[table]] as plan/README.md shows them (tomli-w writes each
    table's keys; the headers are spelled here, so that short tables stay [[departments]] rather than
    inline tables)."""
    chunks = [TOML_HEAD.format(source=source)]
    _table(chunks, "plan", mapping["plan"], array=False)
    for key in ("departments", "sections", "pillars", "items"):
        for table in mapping[key]:
            _table(chunks, key, table, array=True)
    return "".join(chunks).rstrip("\n") + "\n"


def _table(chunks: list[str], name: str, table: dict[str, Any], *, array: bool) -> None:
    values = {k: v for k, v in table.items() if not _is_table(v)}
    chunks.append(f"[[{name}]]\n" if array else f"[{name}]\n")
    chunks.append(tomli_w.dumps(values))
    chunks.append("\n")
    for key, value in table.items():
        if isinstance(value, dict):
            _table(chunks, f"{name}.{key}", value, array=False)
        elif _is_table(value):
            for sub in value:
                _table(chunks, f"{name}.{key}", sub, array=True)


def _is_table(value: object) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value))
