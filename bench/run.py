"""`make bench`: time templates, collect and report at scale, against what the libraries can do.

For each size N (BENCH_SIZES, default 200,2000,10000) it builds a synthetic workspace (bench/synthetic.py)
with N departments and N filled returns, then times, each in a fresh child process:

- templates: `templates.write_templates` for the N departments, and a bare xlsxwriter loop writing the
  same cells (read back from those templates beforehand; only the writing is timed);
- the two references on the returns: bare python-calamine reading every value of every sheet in one
  process (the practical limit of reading), and a plain `openpyxl.load_workbook` loop (what a typical
  script does; on the first BENCH_OPENPYXL_SAMPLE files, default 500, because it is slow);
- collect: `collect.usecase.run_collect_year` into a fresh store, the function `make collect` calls: the
  checks, the status workbook, findings.csv, packets and reminders, the store, all or nothing (its steps
  timed apart as well).

Then, for each REPORT_ITEMS (default 250,500,1000), a plan of that many items with a store of two
collected years, and `report.write_report(..., use_office=False)`: the .docx and the indicator table.

Peak memory is sampled every 20 ms over the child and all its descendants (the collect workers):
the sum of RSS (what the issue asks; pages shared after fork are counted once per process) and the
sum of PSS (shared pages divided among the processes that share them).

    python -m bench.run [--output bench/RESULTS.md] [--workdir DIR] [--keep]
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


def child_calamine(config_path: str) -> dict[str, Any]:
    import python_calamine

    from bench import synthetic as S
    config, _plan = S.load_workspace(Path(config_path))
    files = S.inbox_files(config)
    start, cpu = time.perf_counter(), cpu_seconds()
    values = 0
    for path in files:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            values += sum(len(row) for row in book.get_sheet_by_name(name).to_python())
    return {"seconds": time.perf_counter() - start, "cpu_seconds": cpu_seconds() - cpu, "files": len(files),
            "values": values}


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


def child_collect(config_path: str) -> dict[str, Any]:
    from bench import synthetic as S
    from pipeline.collect.usecase import run_collect_year
    from pipeline.vocabulary import ACCEPTED

    start = time.perf_counter()
    config, plan = S.load_workspace(Path(config_path))
    if config.store_path.exists():
        config.store_path.unlink()
    loaded, cpu = time.perf_counter(), cpu_seconds()
    run = run_collect_year(plan, config, S.YEAR)     # the collect command's own use case, as make collect runs it
    cpu = cpu_seconds() - cpu   # the workers have ended: their time is in RUSAGE_CHILDREN
    result, t = run.result, run.timings
    return {
        "plan_seconds": loaded - start, "collect_seconds": t["check"], "merge_seconds": t["sync"] + t["store"],
        "outputs_seconds": t["outputs"] + t["publish"], "seconds": sum(t.values()), "cpu_seconds": cpu,
        "files": len(result.files),
        "accepted": sum(o.status == ACCEPTED for o in result.files), "errors": result.errors,
        "warnings": result.warnings,
    }


def child_report(config_path: str) -> dict[str, Any]:
    from bench import synthetic as S
    from pipeline.report.usecase import write_report
    from pipeline.store import Store

    config, plan = S.load_workspace(Path(config_path))
    if config.store_path.exists():
        config.store_path.unlink()
    S.fill_store(plan, config, (S.YEAR - 1, S.YEAR))
    start = time.perf_counter()
    with Store(config.store_path) as store:
        result = write_report(plan, config, store, S.YEAR, dt.date(S.YEAR + 1, 6, 20), use_office=False)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "items": len(plan.items), "initiatives": len(plan.initiatives),
            "departments": len(plan.departments), "docx_bytes": result.docx.stat().st_size}


CHILDREN = {
    "generate": child_generate, "templates": child_templates, "xlsxwriter": child_xlsxwriter,
    "calamine": child_calamine, "openpyxl": child_openpyxl, "collect": child_collect, "report": child_report,
}


# --- the run -----------------------------------------------------------------------------------------

@dataclass
class SizeRun:
    n: int
    generate: Measured
    templates: Measured
    xlsxwriter: Measured
    calamine: Measured
    openpyxl: Measured
    collect: Measured

    @staticmethod
    def fps(m: Measured) -> float:
        return m.figures["files"] / m.figures["seconds"] if m.figures["seconds"] else float("inf")


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


def run_size(workdir: Path, n: int, sample: int) -> SizeRun:
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
    calamine = run_child("calamine", config_path)
    _say(f"  calamine    {SizeRun.fps(calamine):8.1f} files/s (bare read, one process)")
    openpyxl = run_child("openpyxl", config_path, str(sample))
    _say(f"  openpyxl    {SizeRun.fps(openpyxl):8.1f} files/s (load_workbook loop, {openpyxl.figures['files']} files)")
    collect = run_child("collect", config_path)
    _say(f"  collect     {SizeRun.fps(collect):8.1f} files/s  peak RSS {collect.peak_rss_mib:.0f} MiB "
         f"(PSS {collect.peak_pss_mib:.0f}), accepted {collect.figures['accepted']}/{collect.figures['files']}")
    return SizeRun(n, generate, templates, bare_writer, calamine, openpyxl, collect)


def run_report(workdir: Path, items: int) -> ReportRun:
    from bench import synthetic as S
    config_path = str(S.make_workspace(workdir / f"report{items}", max(20, items // 2), items))
    report = run_child("report", config_path)
    _say(f"[report {items} items] {report.figures['seconds']:.1f} s, peak RSS {report.peak_rss_mib:.0f} MiB")
    return ReportRun(items, report)


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
        "| returns | KB each | collect files/s | ÷ calamine | ÷ openpyxl | bare calamine files/s | openpyxl files/s "
        "| collect s | + plan load s | of which outputs s | peak RSS MiB | peak PSS MiB | accepted "
        "| CPU ms/file collect (all processes) | CPU ms/file calamine | load avg before |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in results.sizes:
        c = s.collect.figures
        fps = SizeRun.fps(s.collect)
        lines.append(
            f"| {s.n:,} | {s.generate.figures['bytes'] / s.generate.figures['files'] / 1024:.1f} "
            f"| {fps:.0f} | {fps / SizeRun.fps(s.calamine):.2f}× | {fps / SizeRun.fps(s.openpyxl):.1f}× "
            f"| {SizeRun.fps(s.calamine):.0f} | {SizeRun.fps(s.openpyxl):.1f} "
            f"| {c['seconds']:.2f} | {c['plan_seconds']:.2f} | {c['outputs_seconds']:.2f} "
            f"| {s.collect.peak_rss_mib:.0f} | {s.collect.peak_pss_mib:.0f} | {c['accepted']:,}/{c['files']:,} "
            f"| {c['cpu_seconds'] / c['files'] * 1000:.2f} "
            f"| {s.calamine.figures['cpu_seconds'] / s.calamine.figures['files'] * 1000:.2f} "
            f"| {c['load_before']:.1f} |"
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
            "| items | initiatives | departments | seconds | s per item | peak RSS MiB | .docx KB |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in results.reports:
            f = r.report.figures
            lines.append(f"| {r.items:,} | {f['initiatives']:,} | {f['departments']:,} | {f['seconds']:.1f} "
                         f"| {f['seconds'] / r.items * 1000:.1f} ms | {r.report.peak_rss_mib:.0f} "
                         f"| {f['docx_bytes'] / 1024:.0f} |")
    lines += ["", "## Against the targets", ""]
    lines += targets(results)
    lines += [
        "",
        "## How to read this",
        "",
        "- **files/s** is returns (or workbooks) per second of wall time. **collect** is the collect command's "
        "use case `run_collect_year` (inbox scan, the gate, reading, checks in the worker processes; the "
        "status workbook, findings.csv, packets and reminder list staged; one transaction into a fresh store; "
        "the outputs put in place); loading the plan is shown apart, and the outputs' share of the time too.",
        "- **÷ calamine** is collect's throughput over bare python-calamine reading every value of every "
        "sheet of the same files in one process: the practical limit of reading, with no safety gate, no "
        "checks and no store. **÷ openpyxl** is over a plain `openpyxl.load_workbook` loop reading every "
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
        "- **CPU ms/file** is user + system time per return, of the collect process and its workers together "
        "(collect and merge only), and of the bare calamine loop. Wall-clock rates depend on what else the "
        "machine runs (**load avg before** is the 1-minute load average when the step started: above ~0.5 "
        "on 2 cores, something else was competing); CPU time does not, so compare those when the load was high. "
        "With both cores free, collect's rate is about 2 ÷ its CPU ms/file.",
        "- Timings vary by a few per cent between runs on a quiet machine; the small sizes are the noisiest.",
    ]
    return "\n".join(lines) + "\n"


def targets(results: Results) -> list[str]:
    out = []
    if results.sizes:
        largest = results.sizes[-1]
        fps = SizeRun.fps(largest.collect)
        vs_cal = fps / SizeRun.fps(largest.calamine)
        vs_opx = fps / SizeRun.fps(largest.openpyxl)
        out.append(f"- collect ≥ {TARGET_VS_CALAMINE}× bare calamine (N={largest.n:,}): {vs_cal:.2f}× — {_mark(vs_cal >= TARGET_VS_CALAMINE)}")
        out.append(f"- collect ≥ {TARGET_VS_OPENPYXL:.0f}× the openpyxl loop (N={largest.n:,}): {vs_opx:.1f}× — {_mark(vs_opx >= TARGET_VS_OPENPYXL)}")
        by_n = {s.n: s for s in results.sizes}
        if 2000 in by_n and 10000 in by_n:
            ratio = by_n[10000].collect.figures["seconds"] / by_n[2000].collect.figures["seconds"]
            out.append(f"- collect linear: 10,000 returns ≤ {TARGET_LINEAR}× the time of 2,000: {ratio:.2f}× — {_mark(ratio <= TARGET_LINEAR)}")
        peak = max(results.sizes, key=lambda s: s.n).collect
        out.append(f"- peak memory at N={largest.n:,} < {TARGET_PEAK_MIB} MiB: RSS {peak.peak_rss_mib:.0f} MiB "
                   f"(PSS {peak.peak_pss_mib:.0f}) — {_mark(peak.peak_rss_mib < TARGET_PEAK_MIB)}")
        t = SizeRun.fps(largest.templates) / SizeRun.fps(largest.xlsxwriter)
        out.append(f"- templates ≥ {TARGET_TEMPLATES}× the bare xlsxwriter loop (N={largest.n:,}): {t:.2f}× — {_mark(t >= TARGET_TEMPLATES)}")
    if results.reports:
        biggest = max(results.reports, key=lambda r: r.items)
        seconds = biggest.report.figures["seconds"]
        out.append(f"- report for {biggest.items:,} items < {TARGET_REPORT_SECONDS:.0f} s: {seconds:.1f} s — "
                   f"{_mark(seconds < TARGET_REPORT_SECONDS)}")
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
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        print(json.dumps(CHILDREN[kind](*rest)), flush=True)
        return 0

    sizes = _sizes(os.environ.get("BENCH_SIZES", DEFAULT_SIZES))
    report_items = _sizes(os.environ.get("REPORT_ITEMS", DEFAULT_REPORT_ITEMS))
    sample = int(os.environ.get("BENCH_OPENPYXL_SAMPLE", DEFAULT_OPENPYXL_SAMPLE))
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="gyozai-bench-"))
    results = Results()
    try:
        for n in sizes:
            results.sizes.append(run_size(workdir, n, sample))
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
