"""A fiscal year's records: what one collect run (or one transcribed year) decided, and what the store
holds for that year: the submissions, answers, indicators' actuals, evaluations and the roster."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.findings import Finding
from pipeline.records.opinions import Response
from pipeline.vocabulary import Arrival, RosterStatus, SubmissionStatus


@dataclass(frozen=True)
class Submission:
    file_name: str
    sha256: str
    size: int
    department_code: str | None
    template_id: str | None
    schema_version: str | None
    status: SubmissionStatus
    saved_at: str | None
    received_at: str
    errors: int
    warnings: int


@dataclass(frozen=True)
class Answer:
    initiative_id: str
    department_code: str
    item_code: str
    progress: str
    result: str
    issues: str
    next_plan: str


@dataclass(frozen=True)
class IndicatorActual:
    item_code: str
    department_code: str
    value: float


@dataclass(frozen=True)
class Evaluation:
    item_code: str
    department_code: str
    grade: str
    reason: str


@dataclass(frozen=True)
class Transcription:
    """A year the store holds from a transcript of a report done by hand, not from collected returns."""

    fiscal_year: int
    source: str          # what the secretariat wrote: 令和5年度進捗状況報告書から転記
    file_name: str
    sha256: str


@dataclass
class YearRecord:
    """Everything one collect run decided for one fiscal year: what the store will hold."""

    fiscal_year: int
    plan_id: str
    plan_digest: str
    collected_at: str
    submissions: list[Submission]
    roster: dict[str, tuple[RosterStatus, str | None]]   # department → (status, file_name)
    answers: list[tuple[Answer, str]]                 # (answer, sha256)
    actuals: list[tuple[IndicatorActual, str]]        # (actual, sha256) for fiscal_year
    evaluations: list[tuple[Evaluation, str]]
    findings: list[Finding]
    responses: list[tuple[Response, str]] = field(default_factory=list)   # answers to the committee's opinions
    arrivals: dict[str, Arrival] = field(default_factory=dict)   # department → what came that could not be used
    transcription: Transcription | None = None   # the year came from a transcript (history import), not collect
