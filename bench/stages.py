"""Where collect's CPU goes, per return: `python bench/stages.py CONFIG YEAR SAMPLE` prints one JSON line.

1. Each stage of a worker's work on one return, timed in this one process (CPU time, no workers) on the first
   SAMPLE returns of the inbox: reading the file and its sha256, the gate (pipeline.intake.gate), opening the
   workbook (python-calamine and the parts the reader takes itself), the checks (which read the item sheets
   through calamine as they go), and keeping the return's bytes (store schema 5: Store.keep_file into a scratch
   store; an older tree: its one archive copy file per return).
2. The collect use case itself (`run_collect_year`, the function the command calls) on the whole inbox into a
   fresh store: the CPU of this process (the parent: plan, scan, receiving results, deciding, outputs,
   store) and of its workers, and the wall time of each step.

It imports nothing but `pipeline` (and the standard library), so that bench/run.py can run it against an
older checkout of the project (BENCH_BASELINE) for a before-and-after table.
"""

from __future__ import annotations

import hashlib
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(config_path: str, year: str, sample: str) -> dict:
    from pipeline.collect import checks
    from pipeline.config import load_config
    from pipeline.files import write_atomically
    from pipeline.plan import load_plan
    from pipeline.vocabulary import ACCEPTED
    try:        # the intake of untrusted workbooks below the stages, the collect use case above them
        from pipeline.intake import gate, inbox
        from pipeline.intake.reader import read_values
        from pipeline.usecases.collect_year import run_collect_year
    except ImportError:     # an older checkout (BENCH_BASELINE), from before the layers
        from pipeline.collect import gate, inbox  # noqa: I001 (modules of that checkout)
        from pipeline.collect.reader import read_values
        from pipeline.collect.usecase import run_collect_year

    fiscal_year = int(year)
    config = load_config(Path(config_path))
    started = time.process_time()
    plan = load_plan(config.plan_file)
    plan_cpu = time.process_time() - started
    year_plan = plan.for_year(fiscal_year)
    year_plan.surveyed_departments()
    _ = year_plan.digest         # worked out before the timing (in a run: before the workers fork)
    asked = {d.code: () for d in year_plan.departments}
    jobs = inbox.scan_inbox(config.returns_for(fiscal_year)).candidates[: int(sample)]
    spent = dict.fromkeys(("read", "sha256", "gate", "open", "checks", "archive copy"), 0.0)
    copies = Path(tempfile.mkdtemp(prefix="stages-"))
    clock = time.process_time
    from pipeline.store import Store
    scratch = Store(copies / "scratch.sqlite") if hasattr(Store, "keep_file") else None
    try:
        for n, source in enumerate(jobs):
            t0 = clock()
            data, _ = inbox.read_stable(source.path, config.limits, name=source.relative)
            t1 = clock()
            digest = hashlib.sha256(data).hexdigest()
            t2 = clock()
            inspection = gate.inspect_workbook(data, source.relative, config.limits, config.workbook_password)
            t3 = clock()
            book = read_values(inspection.workbook, parts=inspection.parts, formula_parts=inspection.formula_parts)
            t4 = clock()
            checks.check_return(book, year_plan, config, fiscal_year, source.relative, asked)
            t5 = clock()
            if scratch is not None:
                scratch.keep_file(digest, data)
            else:
                write_atomically(copies / digest[:2] / f"{n}.xlsx", data, durable=False)
            t6 = clock()
            for stage, seconds in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5), strict=True):
                spent[stage] += seconds
        if scratch is not None:
            scratch.db.execute("COMMIT")
    finally:
        if scratch is not None:
            scratch.close()
        shutil.rmtree(copies, ignore_errors=True)
    per_file = {stage: seconds / max(len(jobs), 1) * 1000 for stage, seconds in spent.items()}

    shutil.rmtree(config.output_dir, ignore_errors=True)   # the bench's own workspace: a fresh store
    own, children, wall = time.process_time(), _cpu_children(), time.perf_counter()
    run = run_collect_year(plan, config, fiscal_year)
    files = len(run.result.files)
    return {
        "sample": len(jobs), "stage_ms": per_file, "plan_cpu_seconds": plan_cpu,
        "files": files, "accepted": sum(o.status == ACCEPTED for o in run.result.files), "wall_seconds": time.perf_counter() - wall,
        "parent_ms": (time.process_time() - own) / max(files, 1) * 1000,
        "workers_ms": (_cpu_children() - children) / max(files, 1) * 1000,
        "steps": run.timings,
    }


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])), flush=True)
