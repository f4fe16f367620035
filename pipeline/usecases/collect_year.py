"""The collect command as one use case: check the year's inbox, then replace the year in the store and
every output together, or change nothing.

The order is what makes a failure harmless:

1. under the run lock, open the store (a damaged, empty or read-only store stops the run before any work);
2. check every file (in the workers); the bytes of each return that may be accepted go into the store's
   open transaction as they arrive (Store.keep_file), so the year's records and their files commit together;
3. make every output and stage each as a temporary file beside its target (findings.csv, the status
   workbook, the return packets, the reminder list): a full disk or a folder without permission shows here;
4. one flush (platform.flush_written): the staged files are on disk before the store points at them;
5. commit the store's transaction (the year and the files it adopted);
6. rename the staged files into place, then remove the packets of an earlier run no longer wanted.

A failure before 5 removes the temporary files and rolls the transaction back: the store (files included)
and the outputs are as they were. A kill at any moment leaves each file whole, the old or the new.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.collect.outputs import stage_collect_outputs
from pipeline.collect.returns import (
    CollectResult,
    archive,
    collect,
    collected_now,
    refuse_emptying,
    refuse_transcribed,
    year_record,
)
from pipeline.config import Config
from pipeline.errors import UsageError
from pipeline.files import Staging, remove_leftovers
from pipeline.followup.outputs import FollowupResult, stage_followup
from pipeline.followup.packets import PACKET_FOLDER
from pipeline.plan import Plan
from pipeline.store import Store, run_lock
from pipeline.survey.workbook import template_file_name
from pipeline.year_ask import year_ask

# What a message says when the store was committed but an output could not be put in place.
AFTER_COMMIT = ("データベースは更新しましたが、出力ファイルの一部は前回のままです"
                "（同じ受付フォルダーでもう一度 make collect を実行すると、すべてそろいます）。")


@dataclass
class CollectRun:
    """What one collect run did: the check results, the status workbook and findings.csv, the follow-up."""

    result: CollectResult
    outputs: list[Path]
    followup: FollowupResult
    timings: dict[str, float] = field(default_factory=dict)   # seconds per step, for the benchmark


def run_collect_year(
    plan: Plan, config: Config, year: int, *,
    force: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
    packet_progress: Callable[[int, int, str], None] | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    inline: bool = False,
) -> CollectRun:
    """Collect the year: check its inbox, replace the year in the store, write every output, all or nothing.

    Raises UsageError (a year outside the plan, an empty inbox that would wipe a collected year without
    `force`, a year transcribed by history import without `force`), LockedError, or StorageError (a file or the store we could not write: nothing was changed).
    `progress` and `packet_progress` are told (n, total, name) per file and per packet; `today` dates the
    reminder list; `now` is the moment saved times are judged against (default: the clock); `inline` checks the
    files in this process (tests only)."""
    plan = plan.for_year(year)     # checked against the plan as it stood that year
    require_year_under_way(plan, config, year)
    new_store = not config.store_path.exists()
    committed = False
    with run_lock(config.store_path):
        for folder in (config.output_for(year), config.output_for(year) / PACKET_FOLDER):
            remove_leftovers(folder)   # of a run killed half-way
        try:
            with Store(config.store_path, archive=config.archive_dir) as store, Staging() as staging:
                refuse_transcribed(store, year, force=force)   # before any work
                clock = _Clock()
                result = collect(plan, config, year, progress=progress, inline=inline, now=now,
                                 ask=year_ask(plan, store, year), store=store)
                clock.mark("check")
                refuse_emptying(result, store, force=force)
                archive(config, result, store)
                folder = config.output_for(year)
                outputs = stage_collect_outputs(plan, result, folder, staging, today or dt.date.today())
                followup = stage_followup(plan, config, result, staging, progress=packet_progress, today=today,
                                          inline=inline)
                clock.mark("outputs")
                staging.flush()   # the staged outputs on disk before the store points at them
                clock.mark("sync")
                store.replace_year(year_record(plan, result, collected_now()))
                committed = True
                clock.mark("store")
                staging.publish(sync=False, changed=AFTER_COMMIT)
                clock.mark("publish")
        except BaseException:
            if not committed:
                if new_store:
                    _remove_store(config.store_path)   # as it was: no store
            raise
    return CollectRun(result, outputs, followup, clock.seconds)


def require_year_under_way(plan: Plan, config: Config, year: int) -> None:
    """UsageError (exit 2, before anything is written) when the year's survey has not begun here: no workbook
    made for it in the templates folder (`templates` was never run for the year), or no inbox folder.

    Collecting such a year would store a roster and write a status workbook and a reminder list that chase
    every department for a form it was never sent. "Made" means what `templates` leaves behind: at least one
    department's workbook under its own name in input_templates/<year>/ (the store keeps no record of it)."""
    made = config.templates_for(year)
    if not any((made / template_file_name(plan, year, d)).is_file() for d in plan.surveyed_departments()):
        raise UsageError(
            f"{year}年度の調査票がまだ作られていません（{made} に調査票がありません）。何も変更していません。"
            f"先に make templates YEAR={year} で調査票を作って各部署に送り、"
            "回答が届いてから make collect を実行してください。")
    inbox = config.returns_for(year)
    if not inbox.is_dir():
        raise UsageError(
            f"受付フォルダー {inbox} がありません。何も変更していません。"
            f"このフォルダーを作り、届いた回答のファイルを保存してから、もう一度 make collect を実行してください。")


class _Clock:
    """Wall time of each step of a run, in order."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def mark(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] = now - self._last
        self._last = now



def _remove_store(path: Path) -> None:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            leftover.unlink(missing_ok=True)
        except OSError:
            pass
