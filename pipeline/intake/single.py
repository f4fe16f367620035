"""One workbook that is not a department's return — the committee's register, the plan master — taken in
through the same gate as any return: its bytes read once, inspected before any parser touches them, and read
and checked in a worker process with a memory limit. A file that crashes or exhausts its reader is a finding
on that file; a failure of our own stops the run as ours (pipeline.errors.our_failure), never the file's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pipeline import isolation
from pipeline.config import Limits
from pipeline.errors import our_failure
from pipeline.findings import Code, Finding, finding
from pipeline.intake.reader import WorkbookValues, read_values
from pipeline.intake.untrusted import failure_finding, is_ours, open_untrusted

T = TypeVar("T")


@dataclass(frozen=True)
class Taken(Generic[T]):
    """What came of the file: its bytes (for an archive copy), their sha256, what the check made of the
    values (None when the file never got that far), and every finding of the gate and the check."""

    data: bytes | None = None
    sha256: str = ""
    checked: T | None = None
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class _Job:
    path: Path
    name: str
    limits: Limits
    password: str | None
    check: Callable[[WorkbookValues], tuple[Any, list[Finding]]]


def take_workbook(path: Path, check: Callable[[WorkbookValues], tuple[T, list[Finding]]], limits: Limits, *,
                  password: str | None = None, inline: bool = False) -> Taken[T]:
    """Gate, read and `check` the workbook at `path` (in a worker unless `inline`, for tests). `check` gets
    the workbook's values and returns what it made of them and its findings; it runs in the worker, so it
    must be a module-level function (or a functools.partial of one)."""
    job = _Job(path, path.name, limits, password, check)
    if inline:
        results = isolation.run_inline(_take, [job])
    else:
        results = isolation.run_isolated(_take, [job], workers=1, memory_bytes=limits.worker_memory_bytes,
                                         timeout=limits.worker_timeout_seconds)
    try:
        [(_job, outcome)] = list(results)
    finally:
        results.close()
    if not isinstance(outcome, isolation.WorkerFailure):
        return outcome
    if is_ours(outcome):
        raise our_failure(outcome.error, outcome.detail, doing=f"{path.name} の点検中")
    return Taken(findings=[failure_finding(outcome, path.name, limits)])


def _take(job: _Job) -> Taken:
    """In the worker. Never raises for a bad file: it becomes a finding."""
    opened = open_untrusted(job.path, job.name, job.limits, job.password)
    if opened.data is None:
        return Taken(findings=opened.findings)
    if opened.workbook is None:
        return Taken(opened.data, opened.sha256, findings=opened.findings)
    inspection = opened.inspection
    try:
        book = read_values(inspection.workbook, parts=inspection.parts, formula_parts=inspection.formula_parts)
        checked, findings = job.check(book)
    except Exception as exc:  # calamine raises on some damaged sheets only when they are read: the file's
        detail = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
        return Taken(opened.data, opened.sha256, findings=[finding(Code.FILE_003, file=job.name, detail=detail)])
    return Taken(opened.data, opened.sha256, checked, [*opened.findings, *findings])
