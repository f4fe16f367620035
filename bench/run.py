"""`make bench`: time templates, collect and report at scale, against what the libraries can do.

For each size N (BENCH_SIZES, default 200,2000,10000) it builds a synthetic workspace (bench/synthetic.py)
with N departments and N filled returns, then times, each in a fresh child process:

- templates: `templates.write_templates` for the N departments, and a bare xlsxwriter loop writing the
  same cells (read back from those templates beforehand; only the writing is timed);
- collect against its reference, as whole processes from outside, interleaved (BENCH_ROUNDS rounds, default
  3; the median of each): the `python -m pipeline collect` command into a fresh store (plan load, scan, gate,
  reading, checks, merge, outputs: everything `make collect` does), and one process reading every value of
  every sheet of the same files with bare python-calamine (bench/bare_read.py: the practical limit of
  reading); and a plain `openpyxl.load_workbook` loop (what a typical script does; on the first
  BENCH_OPENPYXL_SAMPLE files, default 500, because it is slow);
- where collect's CPU goes (bench/stages.py): each stage of a worker's work per return, and the parent's
  and the workers' CPU in a real run. With BENCH_BASELINE=<an older checkout of the project>, the command
  and the stages are measured there too, on the same returns, for a before-and-after table.

Then, for each REPORT_ITEMS (default 250,500,1000), a plan of that many items with a store of two
collected years, and `report.make_report(..., use_office=False)`: the .docx and the indicator table.

With --layout ITEMS (or BENCH_LAYOUT=ITEMS), the report of that many items is made through LibreOffice too
and its PDF checked page by page (tests/layout_checks.py: no split table row, no page of overflow, no figure
or word broken in a cell; pdfplumber from the dev extras): `python -m bench.run --layout 1000`.

Peak memory is sampled every 20 ms over the child and all its descendants (the collect workers):
the sum of RSS (what the issue asks; pages shared after fork are counted once per process) and the
sum of PSS (shared pages divided among the processes that share them).

    python -m bench.run [--output bench/RESULTS.md] [--workdir DIR] [--keep]
    BENCH_SIZES=2000,10000 BENCH_BASELINE=/path/to/old/checkout python -m bench.run
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = "200,2000,10000"
DEFAULT_REPORT_ITEMS = "250,500,1000"
DEFAULT_OPENPYXL_SAMPLE = 500
DEFAULT_ROUNDS = 3
STAGE_SAMPLE = 1000            # returns timed stage by stage (bench/stages.py)
_PAGE = os.sysconf("SC_PAGE_SIZE")
_MIB = 1024 * 1024

# the targets
TARGET_VS_CALAMINE = 0.5
TARGET_VS_OPENPYXL = 10.0
TARGET_LINEAR = 5.5
TARGET_PEAK_MIB = 500
TARGET_TEMPLATES = 0.8
TARGET_REPORT_SECONDS = 60.0


# --- memory of a process tree -----------------------------------------------------------------------

def _children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(b")") + 2:].split()[1])
        tree.setdefault(ppid, []).append(int(name))
    return tree


def _tree(pid: int) -> list[int]:
    children = _children_of()
    out, pending = [], [pid]
    while pending:
        p = pending.pop()
        out.append(p)
        pending.extend(children.get(p, ()))
    return out


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


class TreeSampler:
    """Peak summed RSS and PSS of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.pid, self.interval = pid, interval
        self.peak_rss = self.peak_pss = self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            pids = _tree(self.pid)
            self.peak_rss = max(self.peak_rss, sum(_rss(p) for p in pids))
            if n % 5 == 0:   # PSS makes the kernel walk the page tables: every 100 ms is enough
                self.peak_pss = max(self.peak_pss, sum(_pss(p) for p in pids))
            self.peak_processes = max(self.peak_processes, len(pids))
            n += 1
            self._stop.wait(self.interval)


@dataclass
class Measured:
    """What one child reported, with the peak memory of its process tree."""

    figures: dict[str, Any]
    peak_rss_mib: float
    peak_pss_mib: float
    processes: int
    wall: float


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its children that have ended."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_child(kind: str, *args: str) -> Measured:
    """Run `python -m bench.run --child KIND ARGS` and sample its tree; its last stdout line is JSON."""
    command = [sys.executable, "-m", "bench.run", "--child", kind, *args]
    start = time.perf_counter()
    load = os.getloadavg()[0]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    with TreeSampler(process.pid) as sampler:
        out, _ = process.communicate()
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(f"bench child {kind} failed (exit {process.returncode})")
    figures = json.loads(out.strip().splitlines()[-1])
    figures["load_before"] = load
    return Measured(figures, sampler.peak_rss / _MIB, sampler.peak_pss / _MIB, sampler.peak_processes, wall)


# --- the children (each in its own process) ----------------------------------------------------------

def child_generate(config_path: str) -> dict[str, Any]:
    from bench import synthetic as S
    config, plan = S.load_workspace(Path(config_path))
    start = time.perf_counter()
    files, size = S.write_returns(plan, config)
    return {"seconds": time.perf_counter() - start, "files": files, "bytes": size}


def child_templates(config_path: str) -> dict[str, Any]:
    from bench import synthetic as S
    from pipeline.survey.workbook import write_templates
    os.environ["GYOZAI_CACHE"] = str(Path(config_path).parent / "kept")   # the plan kept for collect after
    start = time.perf_counter()
    config, plan = S.load_workspace(Path(config_path))
    loaded = time.perf_counter()
    result = write_templates(plan, config, S.YEAR, force=True)
    done = time.perf_counter()
    return {"plan_seconds": loaded - start, "seconds": done - loaded, "files": len(result.written)}


def child_xlsxwriter(config_path: str) -> dict[str, Any]:
    """The same cells as the templates, written by a bare xlsxwriter loop: no formats, validations,
    protection or properties. Reading the cells back (calamine) is not timed."""
    import python_calamine
    import xlsxwriter

    from bench import synthetic as S
    config, _plan = S.load_workspace(Path(config_path))
    sources = sorted(config.templates_for(S.YEAR).glob("*.xlsx"))
    out = Path(config_path).parent / "bare_xlsxwriter"
    out.mkdir(exist_ok=True)
    timed = 0.0
    cells = 0
    for n, source in enumerate(sources):
        book = python_calamine.CalamineWorkbook.from_path(str(source))
        sheets = [(name, book.get_sheet_by_name(name).to_python()) for name in book.sheet_names]
        start = time.perf_counter()
        wb = xlsxwriter.Workbook(str(out / f"{n}.xlsx"), {"in_memory": True, "strings_to_formulas": False,
                                                         "strings_to_urls": False, "strings_to_numbers": False})
        for name, rows in sheets:
            ws = wb.add_worksheet(name)
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    if value != "":
                        ws.write(r, c, value)
                        cells += 1
        wb.close()
        timed += time.perf_counter() - start
    return {"seconds": timed, "files": len(sources), "cells": cells}


def child_openpyxl(config_path: str, sample: str) -> dict[str, Any]:
    import openpyxl

    from bench import synthetic as S
    config, _plan = S.load_workspace(Path(config_path))
    files = S.inbox_files(config)[: int(sample)]
    start = time.perf_counter()
    values = 0
    for path in files:
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            values += sum(len(row) for row in ws.iter_rows(values_only=True))
        wb.close()
    return {"seconds": time.perf_counter() - start, "files": len(files), "values": values}


def child_report(config_path: str) -> dict[str, Any]:
    from bench import synthetic as S
    from pipeline.report.usecase import make_report

    config, plan = S.load_workspace(Path(config_path))
    if config.store_path.exists():
        config.store_path.unlink()
    S.fill_store(plan, config, (S.YEAR - 1, S.YEAR))
    # the charts kept in a folder of this run's own, empty at first: the first report draws every chart, the
    # second (the same report made again, as the secretariat does) draws none
    os.environ["GYOZAI_CACHE"] = str(Path(config_path).parent / "kept")
    shutil.rmtree(os.environ["GYOZAI_CACHE"], ignore_errors=True)
    seconds = []
    for _ in range(2):
        start = time.perf_counter()
        result = make_report(plan, config, S.YEAR, dt.date(S.YEAR + 1, 6, 20), use_office=False)
        seconds.append(time.perf_counter() - start)
    return {"seconds": seconds[0], "again_seconds": seconds[1], "items": len(plan.items),
            "initiatives": len(plan.initiatives), "departments": len(plan.departments),
            "docx_bytes": result.docx.stat().st_size}


def child_layout(config_path: str) -> dict[str, Any]:
    """The report through LibreOffice, then its PDF's layout checked (tests/layout_checks.py)."""
    from bench import synthetic as S
    from pipeline.report.usecase import make_report
    from tests import layout_checks as LC

    config, plan = S.load_workspace(Path(config_path))
    if config.store_path.exists():
        config.store_path.unlink()
    S.fill_store(plan, config, (S.YEAR - 1, S.YEAR))
    result = make_report(plan, config, S.YEAR, dt.date(S.YEAR + 1, 6, 20), office_timeout=3600.0)
    if result.pdf is None:
        return {"items": len(plan.items), "pdf": None, "warnings": result.warnings, "problems": []}
    start = time.perf_counter()
    split, overflow = LC.split_rows(result.pdf), LC.overflow_pages(result.pdf)
    broken = LC.broken_in_cells(result.pdf, LC.table_units(result.docx))
    return {"items": len(plan.items), "pdf": str(result.pdf), "check_seconds": time.perf_counter() - start,
            "split_rows": split, "overflow_pages": overflow, "broken": broken,
            "problems": LC.report_pdf_problems(result.pdf, result.docx, found=(split, overflow, broken))}


CHILDREN = {
    "generate": child_generate, "templates": child_templates, "xlsxwriter": child_xlsxwriter,
    "openpyxl": child_openpyxl, "report": child_report, "layout": child_layout,
}


# --- whole processes, from outside ----------------------------------------------------------------------

@dataclass
class Whole:
    """A command timed as a whole process (interpreter start included): wall and CPU (user + system, with
    every process it started), the peak memory of its tree, and the 1-minute load average before it."""

    wall: float
    cpu: float
    peak_rss_mib: float
    peak_pss_mib: float
    load_before: float
    returncode: int
    stdout: str = ""


def run_whole(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> Whole:
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
    with TreeSampler(process.pid) as sampler:
        out, _ = process.communicate()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Whole(wall, cpu, sampler.peak_rss / _MIB, sampler.peak_pss / _MIB, load, process.returncode, out)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


@dataclass
class CollectVersusBare:
    """The collect command and the bare read of the same returns, interleaved; medians over the rounds."""

    tree: str                  # "now", or the baseline's name
    collect: list[Whole]
    bare: list[Whole]
    stages: dict[str, Any]
    again: list[Whole] = field(default_factory=list)    # collect again on the same, unchanged inbox

    @property
    def again_seconds(self) -> float:
        return _median([w.wall for w in self.again]) if self.again else float("nan")

    @property
    def collect_seconds(self) -> float:
        return _median([w.wall for w in self.collect])

    @property
    def bare_seconds(self) -> float:
        return _median([w.wall for w in self.bare])

    @property
    def speed(self) -> float:
        """collect's speed as a share of the bare read's (1.0: as fast)."""
        return self.bare_seconds / self.collect_seconds

    def cpu(self, which: str) -> float:
        return _median([w.cpu for w in getattr(self, which)])


def measure_collect(tree: Path, name: str, config_path: str, rounds: int) -> CollectVersusBare:
    """`python -m pipeline collect` of the tree against bench/bare_read.py, one after the other, `rounds`
    times, each collect into a fresh store; then bench/stages.py in the same tree."""
    from bench import synthetic as S
    workspace = Path(config_path).parent
    # `pipeline` from that tree, whichever is installed; work kept between runs (the parsed plan) in the
    # workspace, as the templates step before left it
    env = {**os.environ, "PYTHONPATH": str(tree), "GYOZAI_CACHE": str(workspace / "kept")}
    collect_command = [sys.executable, "-m", "pipeline", "--config", config_path, "collect", "--year", str(S.YEAR)]
    bare_command = [sys.executable, str(ROOT / "bench" / "bare_read.py"), str(workspace / "returns" / str(S.YEAR))]
    collects, bares, again = [], [], []
    for _ in range(rounds):
        bares.append(run_whole(bare_command, cwd=tree))
        shutil.rmtree(workspace / "output", ignore_errors=True)
        collects.append(run_whole(collect_command, cwd=tree, env=env))
        again.append(run_whole(collect_command, cwd=tree, env=env))
        for w in (collects[-1], again[-1]):
            if w.returncode not in (0, 1):
                raise RuntimeError(f"collect failed in {tree} (exit {w.returncode})")
    stages = run_whole([sys.executable, str(ROOT / "bench" / "stages.py"), config_path, str(S.YEAR),
                        str(STAGE_SAMPLE)], cwd=tree, env=env)
    if stages.returncode != 0:
        raise RuntimeError(f"bench/stages.py failed in {tree} (exit {stages.returncode})")
    return CollectVersusBare(name, collects, bares, json.loads(stages.stdout.strip().splitlines()[-1]), again)


# --- the run -----------------------------------------------------------------------------------------

@dataclass
class SizeRun:
    n: int
    generate: Measured
    templates: Measured
    xlsxwriter: Measured
    openpyxl: Measured
    collect: CollectVersusBare
    baseline: CollectVersusBare | None = None

    @staticmethod
    def fps(m: Measured) -> float:
        return m.figures["files"] / m.figures["seconds"] if m.figures["seconds"] else float("inf")

    @property
    def collect_fps(self) -> float:
        return self.n / self.collect.collect_seconds


@dataclass
class ReportRun:
    items: int
    report: Measured


@dataclass
class Results:
    sizes: list[SizeRun] = field(default_factory=list)
    reports: list[ReportRun] = field(default_factory=list)


def _sizes(text: str) -> list[int]:
    return [int(x) for x in text.replace(" ", "").split(",") if x]


def _say(message: str) -> None:
    print(message, flush=True)


def run_size(workdir: Path, n: int, sample: int, rounds: int, baseline: Path | None) -> SizeRun:
    from bench import synthetic as S
    config_path = str(S.make_workspace(workdir / f"n{n}", n))
    _say(f"[N={n}] workspace {Path(config_path).parent}")
    generate = run_child("generate", config_path)
    _say(f"  returns written: {generate.figures['files']} files, "
         f"{generate.figures['bytes'] / generate.figures['files'] / 1024:.1f} KB each, {generate.figures['seconds']:.1f} s")
    templates = run_child("templates", config_path)
    _say(f"  templates   {SizeRun.fps(templates):8.1f} files/s")
    bare_writer = run_child("xlsxwriter", config_path)
    _say(f"  xlsxwriter  {SizeRun.fps(bare_writer):8.1f} files/s (bare loop, same cells)")
    openpyxl = run_child("openpyxl", config_path, str(sample))
    _say(f"  openpyxl    {SizeRun.fps(openpyxl):8.1f} files/s (load_workbook loop, {openpyxl.figures['files']} files)")
    before = None
    if baseline is not None:
        before = measure_collect(baseline, baseline.name, config_path, rounds)
        _say(f"  collect ({baseline.name}) {before.collect_seconds:.2f} s, bare read {before.bare_seconds:.2f} s: "
             f"{before.speed:.2f}× its speed")
    now = measure_collect(ROOT, "now", config_path, rounds)
    _say(f"  collect     {now.collect_seconds:.2f} s, bare read {now.bare_seconds:.2f} s: {now.speed:.2f}× its speed; "
         f"peak RSS {max(w.peak_rss_mib for w in now.collect):.0f} MiB")
    return SizeRun(n, generate, templates, bare_writer, openpyxl, now, before)


def run_report(workdir: Path, items: int) -> ReportRun:
    from bench import synthetic as S
    config_path = str(S.make_workspace(workdir / f"report{items}", max(20, items // 2), items))
    report = run_child("report", config_path)
    _say(f"[report {items} items] {report.figures['seconds']:.1f} s, peak RSS {report.peak_rss_mib:.0f} MiB")
    return ReportRun(items, report)


def check_layout(workdir: Path, items: int) -> dict[str, Any]:
    """The `items`-item report's PDF checked page by page: {"problems": [...], ...} (see child_layout)."""
    from bench import synthetic as S
    config_path = str(S.make_workspace(workdir / f"layout{items}", max(20, items // 2), items))
    return child_layout(config_path)


# --- RESULTS.md --------------------------------------------------------------------------------------

def _versions() -> str:
    names = ("python-calamine", "openpyxl", "xlsxwriter", "python-docx")
    parts = [f"Python {platform.python_version()}"]
    for name in names:
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} (not installed)")
    return ", ".join(parts)


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def render(results: Results, sample: int) -> str:
    cores = os.cpu_count() or 1
    lines = [
        "# Benchmark results",
        "",
        f"Measured {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on {cores} cores "
        f"({platform.machine()}, {platform.system()}); {_versions()}.",
        "Made by `make bench` (bench/run.py); sizes from BENCH_SIZES and REPORT_ITEMS.",
        "",
        "## Collect",
        "",
        "The whole `python -m pipeline collect` command against one process reading every value of the same "
        "files with bare python-calamine, both timed from outside (interpreter start included), interleaved; "
        "the median of the rounds.",
        "",
        "| returns | KB each | tree | collect s | again s | bare read s | speed ÷ bare read | collect files/s | ÷ openpyxl "
        "| CPU s collect (all processes) | CPU s bare read | peak RSS MiB | peak PSS MiB | accepted | load avg before |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in results.sizes:
        kb = s.generate.figures["bytes"] / s.generate.figures["files"] / 1024
        for run in filter(None, (s.baseline, s.collect)):
            fps = s.n / run.collect_seconds
            lines.append(
                f"| {s.n:,} | {kb:.1f} | {run.tree} | {run.collect_seconds:.2f} | {run.again_seconds:.2f} | {run.bare_seconds:.2f} "
                f"| **{run.speed:.2f}×** | {fps:.0f} | {fps / SizeRun.fps(s.openpyxl):.1f}× "
                f"| {run.cpu('collect'):.2f} | {run.cpu('bare'):.2f} "
                f"| {max(w.peak_rss_mib for w in run.collect):.0f} | {max(w.peak_pss_mib for w in run.collect):.0f} "
                f"| {run.stages['accepted']:,}/{run.stages['files']:,} | {run.collect[0].load_before:.1f} |"
            )
    stage_names = ("read", "sha256", "gate", "open", "checks", "archive copy")   # now: kept in the store
    lines += [
        "",
        "### Where collect's CPU goes",
        "",
        f"Per return, in ms of CPU: each stage of a worker's work, timed in one process on the first "
        f"{STAGE_SAMPLE:,} returns (bench/stages.py); then, in a real run of the use case on every return, "
        "the workers' CPU (the stages plus sending results back) and the parent's (receiving results, deciding); "
        "and the steps' wall seconds.",
        "",
        "| returns | tree | " + " | ".join(stage_names) + " | stages total | workers (run) | parent (run) "
        "| plan load s (CPU) | check s | outputs s | store s |",
        "|---:|---|" + "---:|" * (len(stage_names) + 7),
    ]
    for s in results.sizes:
        for run in filter(None, (s.baseline, s.collect)):
            st = run.stages
            ms = st["stage_ms"]
            steps = st["steps"]
            lines.append(
                f"| {s.n:,} | {run.tree} | " + " | ".join(f"{ms[k]:.3f}" for k in stage_names)
                + f" | {sum(ms.values()):.3f} | {st['workers_ms']:.3f} | {st['parent_ms']:.3f} "
                f"| {st['plan_cpu_seconds']:.2f} | {steps['check']:.2f} | {steps['outputs']:.2f} "
                f"| {steps['sync'] + steps['store']:.2f} |"
            )
    lines += [
        "",
        "## Templates",
        "",
        "| departments | templates files/s | bare xlsxwriter files/s | ratio | templates s | plan load s | peak RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in results.sizes:
        t = s.templates
        lines.append(
            f"| {s.n:,} | {SizeRun.fps(t):.1f} | {SizeRun.fps(s.xlsxwriter):.1f} "
            f"| {SizeRun.fps(t) / SizeRun.fps(s.xlsxwriter):.2f}× | {t.figures['seconds']:.1f} "
            f"| {t.figures['plan_seconds']:.2f} | {t.peak_rss_mib:.0f} |"
        )
    if results.reports:
        lines += [
            "",
            "## Report (.docx and the indicator table, no LibreOffice)",
            "",
            "| items | initiatives | departments | seconds | s per item | made again s | peak RSS MiB | .docx KB |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in results.reports:
            f = r.report.figures
            lines.append(f"| {r.items:,} | {f['initiatives']:,} | {f['departments']:,} | {f['seconds']:.1f} "
                         f"| {f['seconds'] / r.items * 1000:.1f} ms | {f.get('again_seconds', float('nan')):.1f} "
                         f"| {r.report.peak_rss_mib:.0f} "
                         f"| {f['docx_bytes'] / 1024:.0f} |")
    lines += ["", "## Against the targets", ""]
    lines += targets(results)
    lines += [
        "",
        "## How to read this",
        "",
        "- **collect s** is the whole `python -m pipeline --config … collect --year …` command into a fresh "
        "store, as the secretariat runs it: interpreter start, plan load, inbox scan, the gate, reading and "
        "checks in the worker processes, the status workbook, findings.csv and reminder list, one transaction "
        "into the store (with the adopted returns' bytes, schema 5; before: one archive copy file per return). "
        "**again s** is the same command run again at once on the unchanged inbox and store. The parsed plan is "
        "kept in the workspace's own cache folder (GYOZAI_CACHE), as the templates step before left it. **bare read s** is bench/bare_read.py: one process reading "
        "every value of every sheet of the same files with python-calamine, with no safety gate, no checks "
        "and no store: the practical limit of reading. **speed ÷ bare read** is bare read s ÷ collect s (the "
        "target is 0.5×). The two alternate, so a load from elsewhere falls on both. **tree** is `now` (this "
        "checkout) or the BENCH_BASELINE checkout, run on the same returns.",
        "- **÷ openpyxl** is collect's throughput over a plain `openpyxl.load_workbook` loop reading every "
        f"value (timed on the first {sample} files when there are more, since it is slow and its rate "
        "does not depend on the count).",
        "- **peak RSS** is the largest sum of the resident memory of the collect process and its workers, "
        "sampled every 20 ms; pages a forked worker shares with its parent are counted in both, so it "
        "overstates. **peak PSS** divides shared pages among the processes sharing them: the honest total.",
        "- **templates** is `templates.write_templates` for every department (on every core: forked workers from 40 workbooks on); the bare "
        "xlsxwriter loop writes the same cell values (read back from those templates beforehand, not timed) "
        "with no formats, validations, protection, row heights or properties.",
        "- The returns are the project's own workbooks with the answers written into the input cells "
        "(`templates.build_workbook(prefill=...)`, on every core): every one is a clean return, so collect "
        "does the full work for each (all sheets read, every answer checked and stored). A return saved by "
        "Excel is a little larger (Excel and openpyxl write more XML for the same cells).",
        "- The synthetic plan (bench/synthetic.py): N departments, 50 items; each department takes part in "
        "3 to 5 items with 1 to 3 initiatives of its own in each (a quarter shared with a second "
        "department); each item has an indicator reported by its lead. The report's plan has the given "
        "number of items and half as many departments, with two collected years.",
        "- **CPU s** is user + system time of the process and every process it started (collect's workers). "
        "Wall-clock figures depend on what else the machine runs (**load avg before** is the 1-minute load "
        "average when the first round started: above ~0.5 on 2 cores, something else was competing); CPU time "
        "much less so.",
        "- Timings vary by a few per cent between runs on a quiet machine; the small sizes are the noisiest.",
    ]
    return "\n".join(lines) + "\n"


def targets(results: Results) -> list[str]:
    out = []
    if results.sizes:
        largest = results.sizes[-1]
        for size in results.sizes:
            if size.n >= 2000 or size is largest:
                speed = size.collect.speed
                out.append(f"- collect ≥ {TARGET_VS_CALAMINE}× the bare read's speed (N={size.n:,}, whole command): "
                           f"{speed:.2f}× — {_mark(speed >= TARGET_VS_CALAMINE)}")
        vs_opx = largest.collect_fps / SizeRun.fps(largest.openpyxl)
        out.append(f"- collect ≥ {TARGET_VS_OPENPYXL:.0f}× the openpyxl loop (N={largest.n:,}): {vs_opx:.1f}× — {_mark(vs_opx >= TARGET_VS_OPENPYXL)}")
        by_n = {s.n: s for s in results.sizes}
        if 2000 in by_n and 10000 in by_n:
            ratio = by_n[10000].collect.collect_seconds / by_n[2000].collect.collect_seconds
            out.append(f"- collect linear: 10,000 returns ≤ {TARGET_LINEAR}× the time of 2,000: {ratio:.2f}× — {_mark(ratio <= TARGET_LINEAR)}")
        for size in results.sizes:
            if size.n >= 2000 and size.collect.again:
                first, again = size.collect.collect_seconds, size.collect.again_seconds
                out.append(f"- a re-collect of the unchanged inbox at least as fast as the first (N={size.n:,}): "
                           f"{again:.2f} s against {first:.2f} s — {_mark(again <= first)}")
        rss = max(w.peak_rss_mib for w in largest.collect.collect)
        pss = max(w.peak_pss_mib for w in largest.collect.collect)
        out.append(f"- peak memory at N={largest.n:,} < {TARGET_PEAK_MIB} MiB: RSS {rss:.0f} MiB "
                   f"(PSS {pss:.0f}) — {_mark(rss < TARGET_PEAK_MIB)}")
        t = SizeRun.fps(largest.templates) / SizeRun.fps(largest.xlsxwriter)
        out.append(f"- templates ≥ {TARGET_TEMPLATES}× the bare xlsxwriter loop (N={largest.n:,}): {t:.2f}× — {_mark(t >= TARGET_TEMPLATES)}")
    if results.reports:
        biggest = max(results.reports, key=lambda r: r.items)
        seconds = biggest.report.figures["seconds"]
        out.append(f"- report for {biggest.items:,} items < {TARGET_REPORT_SECONDS:.0f} s: {seconds:.1f} s — "
                   f"{_mark(seconds < TARGET_REPORT_SECONDS)}")
        again = biggest.report.figures.get("again_seconds")
        if again is not None:
            out.append(f"- the same report made again (its charts kept): {again:.1f} s — "
                       f"{_mark(again < TARGET_REPORT_SECONDS)}")
        if len(results.reports) > 1:
            smallest = min(results.reports, key=lambda r: r.items)
            ratio = seconds / smallest.report.figures["seconds"]
            scale = biggest.items / smallest.items
            out.append(f"- report linear in items: {scale:g}× the items took {ratio:.2f}× the time — "
                       f"{_mark(ratio <= scale * 1.25)}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md",
                        help="where to write the results (Markdown)")
    parser.add_argument("--workdir", type=Path, default=None, help="workspace folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the workspace folder")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--layout", type=int, default=int(os.environ.get("BENCH_LAYOUT", "0") or 0),
                        metavar="ITEMS", help="only check the layout of the report of ITEMS items (LibreOffice)")
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        print(json.dumps(CHILDREN[kind](*rest)), flush=True)
        return 0
    if args.layout:
        workdir = args.workdir or Path(tempfile.mkdtemp(prefix="gyozai-bench-"))
        try:
            found = check_layout(workdir, args.layout)
        finally:
            if not args.keep and args.workdir is None:
                shutil.rmtree(workdir, ignore_errors=True)
        _say(f"[layout {args.layout} items] " + ("; ".join(found["warnings"]) if found["pdf"] is None else
             f"{len(found['problems'])} problems" + "".join(f"\n  {p}" for p in found["problems"])))
        return 1 if found["pdf"] is None or found["problems"] else 0

    sizes = _sizes(os.environ.get("BENCH_SIZES", DEFAULT_SIZES))
    report_items = _sizes(os.environ.get("REPORT_ITEMS", DEFAULT_REPORT_ITEMS))
    sample = int(os.environ.get("BENCH_OPENPYXL_SAMPLE", DEFAULT_OPENPYXL_SAMPLE))
    rounds = int(os.environ.get("BENCH_ROUNDS", DEFAULT_ROUNDS))
    baseline = Path(os.environ["BENCH_BASELINE"]).resolve() if os.environ.get("BENCH_BASELINE") else None
    if baseline is not None and not (baseline / "pipeline" / "__main__.py").is_file():
        parser.error(f"BENCH_BASELINE={baseline} is not a checkout of this project")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="gyozai-bench-"))
    results = Results()
    try:
        for n in sizes:
            results.sizes.append(run_size(workdir, n, sample, rounds, baseline))
        for items in report_items:
            results.reports.append(run_report(workdir, items))
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    text = render(results, sample)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    _say("\n" + "\n".join(targets(results)))
    _say(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
