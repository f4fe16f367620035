"""One workbook that is not a return (the committee's register, a 転記票) taken into the store, all or
nothing: gated and checked in a worker (`pipeline.intake.single`), its findings written beside it either way,
and only when it has no error its content committed to the store with its exact bytes (Store.keep_file), before
the findings file is put in place. `opinions collect` and `history import` each take one this way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.collect.outputs import findings_csv
from pipeline.config import Config
from pipeline.files import Staging, remove_leftovers
from pipeline.findings import Finding
from pipeline.intake.reader import WorkbookValues
from pipeline.intake.single import Taken, take_workbook
from pipeline.store import Store, run_lock


@dataclass(frozen=True)
class Steps:
    """The use case's own steps around the shared ones, each called under the run lock."""

    # what the checked workbook makes: a result with `findings`, `errors` (a Tally) and `stored`
    result: Callable[[Taken[Any]], Any]
    store: Callable[[Store, Taken[Any], Any], None]    # write it, in the store's one transaction
    after_commit: str     # what to say when the store took it but the findings file could not be put in place
    before: Callable[[], None] | None = None      # a refusal before any work (the store read only)


def adopt_workbook(config: Config, path: Path, check: Callable[[WorkbookValues], tuple[Any, list[Finding]]],
                   findings_file: Path, steps: Steps, *, inline: bool = False) -> Any:
    """Take the workbook at `path` as `check` finds it; return `steps.result`'s, stored when it has no error.
    Raises LockedError, or StorageError (a file or the store we could not write: nothing was changed)."""
    with run_lock(config.store_path):
        if steps.before is not None:
            steps.before()
        remove_leftovers(path.parent)   # of a run killed half-way
        taken = take_workbook(path, check, config.limits, password=config.workbook_password, inline=inline)
        result = steps.result(taken)
        with Staging() as staging:
            staging.stage(findings_file, findings_csv(result.findings))
            if result.errors or taken.data is None:
                staging.publish()
                return result
            staging.flush()   # the staged file on disk before the store points at it
            with Store(config.store_path, archive=config.archive_dir) as store:
                store.keep_file(taken.sha256, taken.data)   # the exact bytes, committed with what they hold
                steps.store(store, taken, result)
            result.stored = True
            staging.publish(sync=False, changed=steps.after_commit)
    return result
