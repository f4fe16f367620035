"""A workbook that came from outside, taken in once: its bytes read whole (`inbox.read_stable`), their
SHA-256, and the gate's verdict on them (`gate.inspect_workbook`). Every stage that takes one in (collect, the
committee's register, the plan master, a 転記票, the packets made from a return) starts here, in a worker.
And when that worker failed: the file's doing (it crashed, ran out of time or of its memory budget: a
finding) or ours (our own code raised: the run stops, `pipeline.errors.our_failure`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import isolation
from pipeline.config import Limits
from pipeline.findings import Code, Finding, finding
from pipeline.intake import gate, inbox


@dataclass(frozen=True)
class Opened:
    """What the bytes read once are: `data` None when they could not be read, `workbook` None when the gate
    refused them (then `findings` says why)."""

    data: bytes | None = None
    sha256: str | None = None
    findings: list[Finding] = field(default_factory=list)
    inspection: gate.Inspection | None = None

    @property
    def workbook(self) -> bytes | None:
        return self.inspection.workbook if self.inspection else None


def open_untrusted(path: Path, name: str, limits: Limits, password: str | None) -> Opened:
    """Read the file at `path` once, hash the bytes read and let the gate judge them. Never raises for a
    bad file: it becomes a finding, named `name` (the file as the secretariat sees it)."""
    data, found = inbox.read_stable(path, limits, name=name)
    if data is None:
        return Opened(findings=found)
    inspection = gate.inspect_workbook(data, name, limits, password)
    return Opened(data, hashlib.sha256(data).hexdigest(), [*found, *inspection.findings], inspection)


def out_of_memory(failure: isolation.WorkerFailure) -> bool:
    """The task ran out of the worker's memory budget: what a hostile file does, like calamine's abort."""
    return isinstance(failure.error, MemoryError) or failure.detail.startswith("MemoryError")


def is_ours(failure: isolation.WorkerFailure) -> bool:
    """Our own code raised while the worker lived (an archive copy that could not be written, a bug): never
    the file's. A worker that died, ran out of time, or out of its memory budget is the file's doing."""
    return failure.kind == "error" and not out_of_memory(failure)


def failure_finding(failure: isolation.WorkerFailure, name: str, limits: Limits) -> Finding:
    """The finding a file's worker failure costs it (not `is_ours`)."""
    if failure.kind == "timeout":
        return finding(Code.FILE_016, file=name, seconds=limits.worker_timeout_seconds)
    return finding(Code.FILE_015, file=name, detail=failure.detail)
