"""Taking in a year done by hand (history import): its 転記票 goes through the same gate as any return, is read
in a worker process, and every cell is checked by a return's own rules (pipeline.collect.cells).

`read_transcript` checks a 転記票's values (not a path) against the year's plan: what it holds and every
finding. `import_transcript` finds the file, refuses to replace a collected year unless told to, checks it,
writes the findings beside it and, when nothing is wrong, replaces the year in the store marked as
transcribed (with its 転記元); with an error it changes nothing in the store.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.collect.adopt import Steps, adopt_workbook
from pipeline.collect.checks import SheetCells, read_identity
from pipeline.collect.returns import collected_now
from pipeline.config import Config
from pipeline.errors import AlreadyExistsError, UsageError
from pipeline.findings import Code, Finding, Tally, finding
from pipeline.fiscal import fiscal_year_short
from pipeline.history import transcript
from pipeline.intake.reader import WorkbookValues
from pipeline.intake.single import Taken
from pipeline.plan import Plan, YearPlan
from pipeline.records.year import Answer, Evaluation, IndicatorActual, Submission, Transcription, YearRecord
from pipeline.sheets import layout
from pipeline.store import Store
from pipeline.values import clean_text
from pipeline.vocabulary import RosterStatus, SubmissionStatus

AFTER_COMMIT = "データベースは更新しましたが、点検結果のファイルは前回のままです（もう一度 history import を実行すると、そろいます）。"


def findings_file_name(year: int) -> str:
    """'転記票_R06_2024年度_点検結果.csv': beside the 転記票."""
    return f"転記票_{fiscal_year_short(year)}_{year}年度_点検結果.csv"


# --- checking a 転記票's values ----------------------------------------------------------------------

@dataclass
class TranscriptCheck:
    source: str = ""
    actuals: list[IndicatorActual] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)


def read_transcript(book: WorkbookValues, plan: YearPlan, config: Config, year: int, file: str) -> TranscriptCheck:
    """What a 転記票 of `year` holds, and every finding at the sheet and cell a person sees. A blank row is
    nothing transcribed (allowed); the display columns are never read."""
    out = TranscriptCheck()
    if not _identity_fits(book, plan, year, file, out):
        return out
    for sheet in (layout.SHEET_GUIDE, *transcript.INPUT_SHEETS):
        if sheet not in book.sheet_names:
            out.findings.append(finding(Code.HIST_006, file=file, value=sheet))
    if layout.SHEET_GUIDE in book.sheet_names:
        _source(out, plan, config, year, file, book)
    if transcript.SHEET_INDICATORS in book.sheet_names:
        _Indicators(out, plan, config, year, file, book, transcript.SHEET_INDICATORS).run()
    if transcript.SHEET_GRADES in book.sheet_names:
        _Grades(out, plan, config, year, file, book, transcript.SHEET_GRADES).run()
    if transcript.SHEET_PROGRESS in book.sheet_names:
        _Progress(out, plan, config, year, file, book, transcript.SHEET_PROGRESS).run()
    if not out.has_errors and not (out.actuals or out.evaluations or out.answers):
        out.findings.append(finding(Code.HIST_009, file=file))
    return out


def _identity_fits(book: WorkbookValues, plan: Plan, year: int, file: str, out: TranscriptCheck) -> bool:
    """Whether the workbook is a 転記票 of this plan and year (the hidden identity, else the document
    properties); a finding when it is not."""
    identity = read_identity(book)
    kind = identity.get(transcript.ID_KIND) or book.properties.get(layout.PROPERTY_PREFIX + transcript.ID_KIND)
    if kind != transcript.TRANSCRIPT_KIND:
        detail = ("（部署の進捗状況調査票です）" if identity.get(layout.ID_DEPARTMENT)
                  else "（委員会意見・優良事例の記録票です）" if kind else "")
        out.findings.append(finding(Code.HIST_001, file=file, detail=detail))
        return False
    if identity.get(layout.ID_PLAN) != plan.id:
        out.findings.append(finding(Code.HIST_002, file=file, value=identity.get(layout.ID_PLAN, "?"), expected=plan.id))
        return False
    if identity.get(layout.ID_YEAR) != str(year):
        out.findings.append(finding(Code.HIST_003, file=file, value=identity.get(layout.ID_YEAR, "?"), expected=year))
        return False
    if identity.get(layout.ID_SCHEMA) != transcript.TRANSCRIPT_SCHEMA:
        out.findings.append(finding(Code.HIST_004, file=file, value=identity.get(layout.ID_SCHEMA, "?"),
                                    expected=transcript.TRANSCRIPT_SCHEMA, year=year))
        return False
    expected = transcript.transcript_id(plan)
    if identity.get(layout.ID_TEMPLATE) != expected or identity.get(layout.ID_PLAN_DIGEST) != plan.digest:
        out.findings.append(finding(Code.HIST_005, file=file, value=identity.get(layout.ID_TEMPLATE, ""), expected=expected))
    return True


def _source(out: TranscriptCheck, plan: Plan, config: Config, year: int, file: str, book: WorkbookValues) -> None:
    """転記元 on the guide sheet: required (the template fills it with default_source)."""
    rules = SheetCells(out.findings, plan, config, file, layout.SHEET_GUIDE, book)
    for r, row in enumerate(rules.rows):
        if row and layout.row_key(row[0]) == transcript.KEY_SOURCE:
            out.source = rules.text(r, 1, transcript.FIELD_SOURCE, True) or ""
            return
    out.findings.append(finding(Code.ROW_001, file=file, sheet=layout.SHEET_GUIDE, field=transcript.KEY_SOURCE, value=transcript.KEY_SOURCE))


class _Table(SheetCells):
    """One input sheet of the 転記票: rows below its header, each keyed in column A by what the plan calls it."""

    key_field = ""
    inputs: tuple[int, ...] = ()

    def __init__(self, out: TranscriptCheck, plan: Plan, config: Config, year: int, file: str,
                 book: WorkbookValues, sheet: str):
        super().__init__(out.findings, plan, config, file, sheet, book)
        self.out, self.year = out, year

    def keyed_rows(self, expected: set[str]) -> dict[str, int]:
        """key → its row, for the rows with anything typed in an input cell (an error value or a formula
        never calculated counts: calamine reads it as "", but it is there to be said); a finding for a row the
        plan does not have, or a key on two rows."""
        found: dict[str, list[int]] = defaultdict(list)
        for r in range(transcript.HEADER_ROW + 1, len(self.rows)):
            if not any(clean_text(self.cell(r, c)).text or layout.a1(r, c) in self.troubles for c in self.inputs):
                continue
            key = layout.row_key(self.cell(r, 0))
            if key not in expected:
                self.add(Code.HIST_007, r, 0, field=self.key_field, value=key or "（空欄）", year=self.year)
                continue
            found[key].append(r)
        out = {}
        for key, rows in found.items():
            if len(rows) > 1:
                self.add(Code.HIST_008, rows[1], 0, field=self.key_field, value=key,
                         cells="、".join(layout.a1(r, 0) for r in rows))
                continue
            out[key] = rows[0]
        return out


class _Indicators(_Table):
    key_field = transcript.FIELD_ITEM
    inputs = (transcript.COL_ACTUAL,)

    def run(self) -> None:
        indicators = {ind.item_code: ind for ind in transcript.reported_indicators(self.plan, self.year)}
        for code, r in self.keyed_rows(set(indicators)).items():
            ind = indicators[code]
            unit_edited = self.unit_edited(r, transcript.COL_UNIT, ind)
            actual = self.actual(r, transcript.COL_ACTUAL, ind)     # (an error value, an uncalculated formula: said at its cell)
            if actual is not None and not unit_edited:
                self.out.actuals.append(IndicatorActual(code, ind.reporter, actual))


class _Grades(_Table):
    key_field = transcript.FIELD_ITEM
    inputs = (transcript.COL_GRADE, transcript.COL_REASON)

    def run(self) -> None:
        items = {i.code: i for i in transcript.evaluated_items(self.plan, self.year)}
        for code, r in self.keyed_rows(set(items)).items():
            grade = self.grade(r, transcript.COL_GRADE)     # a reason alone: the grade is asked for (VALUE_001)
            reason = self.text(r, transcript.COL_REASON, layout.FIELD_REASON, False)
            if grade is not None and reason is not None:
                self.out.evaluations.append(Evaluation(code, items[code].lead, grade, reason))


class _Progress(_Table):
    key_field = layout.HEADER_KEY
    inputs = (transcript.COL_PROGRESS, transcript.COL_RESULT, transcript.COL_ISSUES, transcript.COL_NEXT)

    def run(self) -> None:
        initiatives = {ini.id: ini for ini in self.plan.initiatives}
        choices = self.progress_choices()
        for ini_id, r in self.keyed_rows(set(initiatives)).items():
            progress = self.choice(r, transcript.COL_PROGRESS, layout.FIELD_PROGRESS, choices)
            texts = {f: self.text(r, col, f, False) for col, f in transcript.PROGRESS_TEXTS}
            if progress is None or None in texts.values():
                continue
            ini = initiatives[ini_id]
            # the printed report gives one progress per initiative: it stands for each of its departments
            for department in ini.departments:
                self.out.answers.append(Answer(ini_id, department, ini.item_code, progress, texts[layout.FIELD_RESULT],
                                               texts[layout.FIELD_ISSUES], texts[layout.FIELD_NEXT]))


def _transcript_values(book: WorkbookValues, *, plan: Plan, config: Config, year: int,
                       file: str) -> tuple[TranscriptCheck, list[Finding]]:
    """In the worker (pipeline.intake.single): the 転記票's values checked."""
    check = read_transcript(book, plan, config, year, file)
    return check, check.findings


# --- the use case ------------------------------------------------------------------------------------

@dataclass
class ImportResult(Tally):
    year: int
    path: Path
    findings_file: Path
    findings: list[Finding]
    check: TranscriptCheck
    sha256: str = ""
    stored: bool = False
    replaced_collected: bool = False     # the year had been collected: --force replaced it


def transcript_path(config: Config, year: int, file: Path | None = None) -> Path:
    """The 転記票 to take in: `file`, else history/<year>/転記票_….xlsx. UsageError (exit 2) when it is not there."""
    path = file or config.history_for(year) / transcript.transcript_file_name(year)
    if not path.is_file():
        raise UsageError(
            f"転記票 {path} がありません。make history-template YEAR={year} で転記票を作り、印刷した報告書から"
            "記入して保存してから、もう一度実行してください。"
        )
    return path


def refuse_collected(store: Store, year: int, *, force: bool) -> bool:
    """AlreadyExistsError when the year holds collected returns (unless `force`); whether it did."""
    collected = store.has_year(year) and store.transcription(year) is None
    if collected and not force:
        raise AlreadyExistsError(
            f"{year}年度は collect で各部署の回答を取り込み済みです。転記票で置き換えると、その回答はデータベースから消えます。"
            f"置き換えるときは --force を付けてください（make history-import FORCE=1 YEAR={year}）。"
        )
    return collected


def import_transcript(plan: Plan, config: Config, year: int, file: Path | None = None, *, force: bool = False,
                      inline: bool = False) -> ImportResult:
    """Check the year's 転記票 and, when it has no error, replace the year in the store marked as transcribed.
    The findings go to a CSV beside the 転記票 either way; with an error the store is not touched. Raises
    UsageError (a year outside the plan, no 転記票), AlreadyExistsError (a collected year, without `force`),
    LockedError, or StorageError (nothing was changed). `inline`: check in this process (tests)."""
    plan.check_year(year)
    plan = plan.for_year(year)
    path = transcript_path(config, year, file)
    findings_file = path.parent / findings_file_name(year)

    def before() -> None:
        if config.store_path.exists():     # refuse before any work; checked again under the writer
            with Store(config.store_path, readonly=True) as store:
                refuse_collected(store, year, force=force)

    def result(taken: Taken[TranscriptCheck]) -> ImportResult:
        return ImportResult(year, path, findings_file, taken.findings, taken.checked or TranscriptCheck(),
                            taken.sha256)

    def store(store: Store, taken: Taken[TranscriptCheck], result: ImportResult) -> None:
        result.replaced_collected = refuse_collected(store, year, force=force)
        store.replace_year(transcribed_record(plan, year, path.name, len(taken.data), taken.sha256, result.check,
                                              result.findings))

    check = functools.partial(_transcript_values, plan=plan, config=config, year=year, file=path.name)
    return adopt_workbook(config, path, check, findings_file, Steps(result, store, AFTER_COMMIT, before),
                          inline=inline)


def transcribed_record(plan: Plan, year: int, file_name: str, size: int, sha256: str, check: TranscriptCheck,
                       findings: list[Finding]) -> YearRecord:
    """The year as the store holds a transcribed one: every surveyed department counted as reported (the
    printed report is the year's result), the 転記票 as its one submission, and the 転記元."""
    now = collected_now()
    return YearRecord(
        fiscal_year=year, plan_id=plan.id, plan_digest=plan.digest, collected_at=now,
        submissions=[Submission(file_name, sha256, size, None, transcript.transcript_id(plan), transcript.TRANSCRIPT_SCHEMA,
                                SubmissionStatus.ACCEPTED, None, now, 0, sum(not f.is_error for f in findings))],
        roster={d.code: (RosterStatus.RETURNED, file_name) for d in plan.surveyed_departments()},
        answers=[(a, sha256) for a in check.answers],
        actuals=[(a, sha256) for a in check.actuals],
        evaluations=[(e, sha256) for e in check.evaluations],
        findings=findings,
        transcription=Transcription(year, check.source, file_name, sha256),
    )
