"""Stage 2: the year's returns: each checked, one per department decided, and the year's record.

Per file (in worker processes, so a file that crashes its reader is only a finding): read the bytes
once, inspect the zip before any parser (`pipeline.intake.untrusted`), read the values, check them against
the plan. Then, in the parent: pick one submission per department and track the roster (`decide`), and
make what the store will hold for the year (`year_record`); the collect use case
(`pipeline.usecases.collect_year`) replaces the year in the store in one transaction.

Which return is the newest: the one whose workbook was saved last (its own "last saved" property,
which survives mail and copying), then the file's modification time in the inbox, then the name.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import isolation
from pipeline.collect import checks, choice, confirmations, held
from pipeline.config import Config
from pipeline.errors import UsageError, our_failure
from pipeline.findings import Code, Finding, Tally, finding
from pipeline.fiscal import format_date_ja
from pipeline.intake import inbox
from pipeline.intake.reader import read_values
from pipeline.intake.untrusted import failure_finding, is_ours, open_untrusted
from pipeline.plan import Plan, YearPlan
from pipeline.records.year import Submission, YearRecord
from pipeline.store import Store
from pipeline.vocabulary import (
    ACCEPTED,
    DUPLICATE,
    MISSING,
    REJECTED,
    RETURNED,
    SUPERSEDED,
    WITH_ERRORS,
    Arrival,
    SubmissionStatus,
)
from pipeline.year_ask import YearAsk


@dataclass(kw_only=True)
class FileOutcome(checks.CheckedReturn):
    """What one file gave: what its workbook says (the CheckedReturn it extends: whose it is, its answers
    and findings) and what the file is. Small and picklable, sent back from a worker."""

    source: inbox.InboxFile         # the file in the inbox: its real path, and the name shown to people
    size: int
    received_at: str
    sha256: str = ""
    saved_at: str | None = None
    saved_by: str | None = None
    status: SubmissionStatus = REJECTED
    # the file's bytes, sent back when it may be accepted and the store does not hold them yet: the parent
    # keeps them in the store's transaction (Store.keep_file) as they arrive, then drops them here
    data: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def file_name(self) -> str:
        """The inbox-relative name every finding and output shows (unique within the inbox)."""
        return self.source.relative

    def take(self, checked: checks.CheckedReturn) -> None:
        """What the checks found in the workbook, after what the gate found in the file."""
        for f in dataclasses.fields(checks.CheckedReturn):
            if f.name != "findings":
                setattr(self, f.name, getattr(checked, f.name))
        self.findings += checked.findings


@dataclass
class CollectResult(Tally):
    year: int
    inbox: Path
    files: list[FileOutcome]
    skipped: list[Finding]
    roster: dict[str, tuple[str, str | None]]     # department → (status, file_name)
    findings: list[Finding]                        # every finding, in report order
    choices: dict[str, choice.Decision] = field(default_factory=dict)   # department → how its return was chosen
    choices_file: Path | None = None               # the secretariat's choices file for the year
    # department → what came from it that could not be used (its roster file is that file): never 未提出
    arrivals: dict[str, Arrival] = field(default_factory=dict)
    ask: YearAsk | None = None                     # the committee's opinions this year's workbooks ask about

    @property
    def ok(self) -> bool:
        """Every expected department's return is accepted and nothing has an error."""
        return self.errors == 0 and all(status == RETURNED for status, _ in self.roster.values())

    def count(self, status: str) -> int:
        return sum(s == status for s, _ in self.roster.values())


# --- the per-file task (runs in a worker) ----------------------------------------------------------

# How many files a worker is sent at a time (a new batch once half are checked): a return takes about a
# millisecond, so one file per round trip left the workers waiting on the parent a third of the time.
FILES_PER_WORKER = 16

_CONTEXT: dict[str, object] = {}


def _init_worker(plan: Plan, config: Config, year: int, asked: dict[str, tuple[str, ...]],
                 kept: frozenset[str] = frozenset()) -> None:
    _CONTEXT.update(plan=plan, config=config, year=year, asked=asked, kept=kept)


def _init_forked_worker(plan: Plan, config: Config, year: int, asked: dict[str, tuple[str, ...]],
                        kept: frozenset[str] = frozenset()) -> None:
    _init_worker(plan, config, year, asked, kept)
    # What a worker inherited at fork (the plan and its index) lives as long as it does: keep the
    # garbage collector from walking it again and again (and from copying its pages by touching them).
    gc.freeze()


def process_file(source: inbox.InboxFile) -> FileOutcome:
    """Read, inspect and check one inbox file. Never raises for a bad file: it becomes a finding."""
    plan, config, year = _CONTEXT["plan"], _CONTEXT["config"], _CONTEXT["year"]
    relative = source.relative
    outcome = FileOutcome(source=source, size=source.size, received_at=_iso(source.mtime))
    opened = open_untrusted(source.path, relative, config.limits, config.workbook_password)
    outcome.findings += opened.findings
    if opened.data is None:
        return outcome
    data = opened.data
    outcome.sha256 = opened.sha256
    outcome.size = len(data)
    if opened.workbook is None:
        return outcome
    inspection = opened.inspection
    try:
        book = read_values(inspection.workbook, parts=inspection.parts, formula_parts=inspection.formula_parts)
    except Exception as exc:  # a broken file must not stop the run: it is a finding
        outcome.findings.append(finding(Code.FILE_003, file=relative, detail=_short(exc)))
        return outcome
    outcome.saved_at = book.saved_at
    outcome.saved_by = book.saved_by
    try:
        checked = checks.check_return(book, plan, config, year, relative, _CONTEXT["asked"])
    except Exception as exc:  # calamine raises on some damaged sheets only when they are read
        outcome.findings.append(finding(Code.FILE_003, file=relative, detail=_short(exc)))
        return outcome
    outcome.take(checked)
    if outcome.department and not outcome.has_errors and outcome.sha256 not in _CONTEXT["kept"]:
        # the bytes of what may be accepted go back to the parent, which keeps them in the store's transaction
        outcome.data = data
    return outcome


def _process_in_worker(source: inbox.InboxFile) -> FileOutcome:
    """process_file in a worker: the outcome goes back without its source, which the parent has (the job)."""
    outcome = process_file(source)
    outcome.source = None    # put back by the parent: one path less to pickle and unpickle per file
    return outcome


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- the run -------------------------------------------------------------------------------------

def collect(
    plan: YearPlan, config: Config, year: int,
    progress: Callable[[int, int, str], None] | None = None,
    inline: bool = False,
    now: dt.datetime | None = None,
    ask: YearAsk | None = None,
    store: Store | None = None,
) -> CollectResult:
    """Check every file in the year's inbox and decide what the store will hold. Writes nothing but, with
    `store` (opened for writing), the bytes of each return that may be accepted, as they arrive, into the
    store's open transaction (Store.keep_file: committed with the year, or not at all).
    `now`: the moment against which saved times are judged (default: the clock). `ask`: the committee's
    opinions the year's workbooks ask about (pipeline.year_ask.year_ask; default: none)."""
    ask = ask or YearAsk(year)
    asked = {d.code: ask.ids_of(d.code) for d in plan.departments}
    folder = config.returns_for(year)
    scanned = inbox.scan_inbox(folder)
    jobs = scanned.candidates
    outcomes: list[FileOutcome] = []
    plan.work_out()   # once, here, for the forked workers to inherit
    kept = store.kept_files() if store is not None else frozenset()    # their bytes need not come back
    if inline:
        _init_worker(plan, config, year, asked, kept)
        results = isolation.run_inline(process_file, jobs)
    else:
        results = isolation.run_isolated(
            _process_in_worker, jobs, workers=config.workers, memory_bytes=config.limits.worker_memory_bytes,
            timeout=config.limits.worker_timeout_seconds, initializer=_init_forked_worker,
            initargs=(plan, config, year, asked, kept), queue=FILES_PER_WORKER,
        )
    try:
        for n, (job, result) in enumerate(results, 1):
            if isinstance(result, isolation.WorkerFailure):
                result = _failed(job, result, config)
            result.source = job
            if store is not None and result.data is not None:
                store.keep_file(result.sha256, result.data)
                result.data = None
            outcomes.append(result)
            if progress:
                progress(n, len(jobs), job.relative)
    finally:
        results.close()   # when the run stops early: the workers end now, not when the generator is collected
    outcomes.sort(key=lambda o: o.file_name)
    result = decide(plan, config, year, folder, outcomes, scanned.skipped, now=now,
                    held_files=list_held_files(scanned.held, config, inline=inline))
    result.ask = ask
    return result


def list_held_files(files: list[inbox.InboxFile], config: Config, *, inline: bool = False,
                    ) -> list[tuple[inbox.InboxFile, held.Held]]:
    """What each zip and saved mail in the inbox holds, by name (in workers, like every untrusted parse)."""
    if not files:
        return []
    jobs = [held.HeldJob(f, config.limits) for f in files]
    results = isolation.run_inline(held.list_held, jobs) if inline else isolation.run_isolated(
        held.list_held, jobs, workers=min(config.workers or os.cpu_count() or 1, len(jobs)),
        memory_bytes=config.limits.worker_memory_bytes, timeout=config.limits.worker_timeout_seconds)
    out = []
    try:
        for job, result in results:
            if isinstance(result, isolation.WorkerFailure):
                result = held.Held(held.held_kind(job.source.relative) or held.ZIP, problem=result.detail)
            out.append((job.source, result))
    finally:
        results.close()
    return sorted(out, key=lambda pair: pair[0].relative)


def _failed(source: inbox.InboxFile, failure: isolation.WorkerFailure, config: Config) -> FileOutcome:
    """A worker that died (a crash, a signal: calamine's abort) or ran out of time or memory on a file
    costs that file a finding. An exception raised by our own code while the worker lives (an archive
    copy that could not be written, a bug) is our failure, never the file's: it stops the run."""
    if is_ours(failure):
        raise our_failure(failure.error, failure.detail, doing=f"{source.relative} の点検中",
                          meanwhile="急ぐときは、このファイルを受付フォルダーから一時的に移すと、ほかの回答は取り込めます。")
    outcome = FileOutcome(source=source, size=source.size, received_at=_iso(source.mtime))
    outcome.findings.append(failure_finding(failure, source.relative, config.limits))
    return outcome


def decide(
    plan: YearPlan, config: Config, year: int, folder: Path, outcomes: list[FileOutcome], skipped: list[Finding],
    *, now: dt.datetime | None = None, held_files: list[tuple[inbox.InboxFile, held.Held]] = (),
) -> CollectResult:
    """One submission per department (duplicates and superseded marked), and the roster.

    Which of a department's different returns counts is pipeline.collect.choice's decision (no single clock
    trusted, the secretariat's choices file first); every doubt becomes a warning on the chosen file."""
    now = now or dt.datetime.now(dt.UTC)
    choices_file = choice.choices_path(config.returns_dir, year)
    by_department: dict[str, list[FileOutcome]] = {}
    for o in outcomes:
        if o.department:
            by_department.setdefault(o.department, []).append(o)
        else:   # whose it seems to be: its identity of another year, its sheets, else its file name
            o.apparent_department = o.apparent_department or _named(plan, o)
        whose = o.department or o.apparent_department
        name = plan.department_name_or(whose)
        o.findings = [_with_department(f, name) for f in o.findings]
    chosen_by_secretariat = _secretariat_choices(plan, choice.load_choices(choices_file), choices_file, outcomes)
    _hold_implausible(plan, config, year, outcomes)

    roster: dict[str, tuple[str, str | None]] = {}
    decisions: dict[str, choice.Decision] = {}
    for dept, group in by_department.items():
        dept_name = plan.department_name(dept)
        # the same bytes twice are one submission
        distinct: dict[str, FileOutcome] = {}
        for o in sorted(group, key=lambda o: (o.received_at, o.file_name)):   # the first to arrive counts
            if o.sha256 in distinct:
                o.status = DUPLICATE
                o.findings = [finding(Code.SUBM_001, file=o.file_name, department=dept_name,
                                      other=distinct[o.sha256].file_name)]
            else:
                distinct[o.sha256] = o
        override = chosen_by_secretariat.get(dept)
        if override is not None:
            override = distinct[next(o.sha256 for o in group if o.file_name == override)].file_name
        candidates = [choice.Candidate(o.file_name, o.saved_at, o.saved_by, o.received_at, o.has_errors)
                      for o in distinct.values()]
        decision = choice.decide(candidates, now, override)
        chosen = next(o for o in distinct.values() if o.file_name == decision.chosen)
        for other in distinct.values():
            if other is not chosen:
                other.status = SUPERSEDED
                other.findings = [finding(Code.SUBM_002, file=other.file_name, department=dept_name,
                                          other=chosen.file_name, rule=decision.rule)]
        if decision.by_secretariat:
            chosen.findings.append(finding(Code.SUBM_005, file=chosen.file_name, department=dept_name,
                                           choices_file=choices_file.name))
        elif decision.doubt:
            alternative = next(c.file_name for c in sorted(candidates, key=lambda c: c.received_at, reverse=True)
                               if c.file_name != chosen.file_name)
            chosen.findings.append(finding(
                Code.SUBM_004, file=chosen.file_name, department=dept_name, count=len(distinct), rule=decision.rule,
                doubt=decision.doubt, choices_file=choices_file.name, line=choice.choice_line(dept, alternative)))
        if len(distinct) > 1 or decision.by_secretariat:
            decisions[dept] = decision
        chosen.status = REJECTED if chosen.has_errors else ACCEPTED
        roster[dept] = (RETURNED if chosen.status == ACCEPTED else WITH_ERRORS, chosen.file_name)

    # A department whose chosen return is a wrong form (an old version) is told what came, not only 差し戻し.
    by_file = {o.file_name: o for o in outcomes}
    arrivals = {dept: by_file[file].arrival for dept, (_status, file) in roster.items() if by_file[file].arrival}
    # Whatever else came from a department that has no return of its own says whose it is (a workbook of
    # another year or plan, one that lost its identity, a file named after it that cannot be read, a zip or
    # a saved mail holding its workbook): that department has sent something, so it is not chased as if it
    # had sent nothing, and its roster says what came.
    skipped = list(skipped)
    unused = [(o.arrival or _unread_arrival(o), o.apparent_department, o.file_name, False)
              for o in outcomes if not o.department]
    for source, what in held_files:
        skipped.append(_held_finding(source, what))
        arrival = _held_arrival(source, what)
        if arrival is not None:
            dept = next((d for d in map(lambda n: checks.department_of_name(plan, n), what.workbooks) if d), None)
            unused.append((arrival, dept or checks.department_of_name(plan, source.relative), source.relative, True))
    unused += [(Arrival.NOT_A_WORKBOOK if f.code == Code.FILE_021 else Arrival.NOT_READ_HERE,
                checks.department_of_name(plan, f.file), f.file, True) for f in skipped
               if f.code in (Code.FILE_021, Code.FILE_018, Code.FILE_020)]
    order = list(Arrival)
    told = []
    for arrival, dept, file_name, untold in sorted((u for u in unused if u[1] is not None),
                                                   key=lambda u: (order.index(u[0]), u[2])):
        if dept in plan.department_by_code and dept not in roster:
            roster[dept] = (WITH_ERRORS, file_name)
            arrivals[dept] = arrival
            if untold:      # no error of its file names the department: say what came, in place of 未提出
                told.append(finding(Code.SUBM_006, file=file_name, department=plan.department_name(dept),
                                    value=arrival.label, ask=arrival.ask))

    missing_findings = []
    for d in plan.surveyed_departments():
        if d.code not in roster:
            roster[d.code] = (MISSING, None)
            missing_findings.append(finding(Code.SUBM_003, department=d.name, deadline=format_date_ja(config.deadline(year))))

    skipped.sort(key=lambda f: f.file)
    findings = skipped + [f for o in outcomes for f in o.findings] + told + missing_findings
    return CollectResult(year, folder, outcomes, skipped, roster, findings, decisions, choices_file, arrivals=arrivals)


def _unread_arrival(o: FileOutcome) -> Arrival:
    """A file of no known department: another workbook than ours, one this PC could not read from the inbox
    (being copied, no permission: ours to fix, not the department's), or one that could not be read at all."""
    codes = {f.code for f in o.findings}
    if Code.IDENT_001 in codes:
        return Arrival.NOT_A_WORKBOOK
    return Arrival.NOT_READ_HERE if codes & {Code.FILE_019, Code.FILE_020} else Arrival.UNREADABLE


def _named(plan: Plan, o: FileOutcome) -> str | None:
    return checks.department_of_name(plan, o.file_name)     # the inbox-relative name: a folder's name counts too


def _held_arrival(source: inbox.InboxFile, what: held.Held) -> Arrival | None:
    """What a zip or saved mail holding a workbook is, as something a department sent; None when it holds none."""
    if not what.workbooks:
        return None
    if what.kind == held.ZIP:
        return Arrival.IN_LOCKED_ZIP if what.encrypted else Arrival.IN_ZIP
    return Arrival.MAIL_MSG if what.kind == held.MSG else Arrival.MAIL_EML


def _held_finding(source: inbox.InboxFile, what: held.Held) -> Finding:
    """The zip or saved mail named with the workbooks inside, or, holding none, a file we do not take."""
    if not what.workbooks:
        return finding(Code.FILE_021, file=source.relative, detail=inbox.OTHER_FILES[what.kind])
    members = "、".join(f"「{n}」" for n in what.workbooks[:5]) + (
        f" ほか {len(what.workbooks) - 5} 件" if len(what.workbooks) > 5 else "")
    if what.kind == held.ZIP:
        return finding(Code.FILE_024 if what.encrypted else Code.FILE_022, file=source.relative, members=members)
    return finding(Code.FILE_023, file=source.relative, members=members, kind=what.kind)


def _hold_implausible(plan: Plan, config: Config, year: int, outcomes: list[FileOutcome]) -> None:
    """An actual the checks found implausible (VALUE_014 at its cell) is not taken, unless the secretariat's
    confirmations file lets that very figure stand: then it is, and the warning says so (VALUE_015)."""
    path = confirmations.confirmations_path(config.returns_dir, year)
    confirmed = confirmations.load_confirmations(path, {ind.item_code for ind in plan.indicators})
    for o in outcomes:
        held = {f.sheet: f for f in o.findings if f.code == Code.VALUE_014}
        if not held:
            continue
        kept = []
        for actual in o.actuals:
            warning = held.get(actual.item_code)
            if warning is None:
                kept.append(actual)
            elif confirmed.get(actual.item_code) == actual.value:
                kept.append(actual)
                ind = plan.item_by_code[actual.item_code].indicator
                o.findings[o.findings.index(warning)] = finding(
                    Code.VALUE_015, file=warning.file, department=warning.department, sheet=warning.sheet,
                    cell=warning.cell, field=warning.field, value=warning.value, unit=ind.unit,
                    figures=checks.plan_figures(ind), confirm_file=path.name)
        o.actuals = kept


def _secretariat_choices(plan: Plan, chosen: dict[str, str], path: Path,
                         outcomes: list[FileOutcome]) -> dict[str, str]:
    """The choices file checked against the inbox: every line must name a return of that department."""
    by_name = {o.file_name: o for o in outcomes}
    for dept, file_name in chosen.items():
        line = choice.choice_line(dept, file_name)
        where = f"採用の指定ファイル {path} の行 {line}"
        if dept not in plan.department_by_code:
            raise UsageError(f"{where}: 部署コード「{dept}」は計画にありません。部署コードを直してください。")
        o = by_name.get(file_name)
        if o is None:
            raise UsageError(f"{where}: 受付フォルダーにそのファイルがありません。回収状況の「ファイル一覧」の名前を書いてください。")
        if o.department != dept:
            whose = f"{plan.department_name(o.department)}の回答" if o.department in plan.department_by_code \
                else "識別できない回答"
            raise UsageError(f"{where}: そのファイルは{whose}です。部署コードとファイル名を確かめてください。")
    return chosen


def _with_department(f: Finding, name: str) -> Finding:
    if f.department or not name:
        return f
    return Finding(f.severity, f.code, f.message, f.file, name, f.sheet, f.cell, f.field, f.value)


def year_record(plan: YearPlan, result: CollectResult, collected_at: str) -> YearRecord:
    """What the store holds for the year: only accepted submissions' answers, and which plan content (the
    year's plan digest) they were checked against."""
    accepted = [o for o in result.files if o.status == ACCEPTED]
    return YearRecord(
        fiscal_year=result.year,
        plan_id=plan.id,
        plan_digest=plan.digest,
        collected_at=collected_at,
        submissions=[
            Submission(o.file_name, o.sha256, o.size, o.department, o.template_id, o.schema_version, o.status,
                       o.saved_at, o.received_at, sum(f.is_error for f in o.findings),
                       sum(not f.is_error for f in o.findings))
            for o in result.files
        ],
        roster=result.roster,
        arrivals=result.arrivals,
        answers=[(a, o.sha256) for o in accepted for a in o.answers],
        actuals=[(a, o.sha256) for o in accepted for a in o.actuals],
        evaluations=[(e, o.sha256) for o in accepted for e in o.evaluations],
        findings=result.findings,
        responses=[(r, o.sha256) for o in accepted for r in o.responses] + [
            (r, "") for r in (result.ask or YearAsk(result.year)).unanswered(
                {r.opinion_id for o in accepted for r in o.responses})],
    )


def refuse_emptying(result: CollectResult, store: Store, *, force: bool = False) -> None:
    """UsageError when an empty inbox would wipe a year that holds accepted returns (unless `force`)."""
    if not result.files and store.has_year(result.year) and any(
            s.status == ACCEPTED for s in store.submissions(result.year)) and not force:
        raise UsageError(
            f"{result.inbox} に回答ファイルがありませんが、データベースには{result.year}年度の回答が保存されています。"
            f"受付フォルダーを確認してください（空のフォルダーで上書きするときは make collect YEAR={result.year} FORCE=1、"
            "コマンドでは --force）。"
        )


def refuse_transcribed(store: Store, year: int, *, force: bool = False) -> None:
    """UsageError when the year was transcribed from a report done by hand (history import), unless `force`:
    collecting replaces it with the returns in the inbox, and a transcribed year is never mixed with them."""
    transcription = store.transcription(year)
    if transcription is not None and not force:
        raise UsageError(
            f"{year}年度は転記票から取り込んだ年度です（{transcription.source}）。collect すると、転記した内容は"
            f"受付フォルダーの回答で置き換わります。置き換えるときは --force を付けてください（make collect FORCE=1 YEAR={year}）。"
        )


def collected_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def archive_path(config: Config, sha256: str) -> Path:
    """Where versions before store schema 5 kept an adopted file's copy (the store holds them since)."""
    return config.archive_dir / sha256[:2] / f"{sha256}.xlsx"


def archive(config: Config, result: CollectResult, store: Store) -> None:
    """Keep the exact bytes of every accepted return under its content hash in the store's transaction
    (Store.keep_file), so the store can always be traced back to what a department sent and the record
    and its file are committed together. collect(store=) has kept them as they arrived; one missing (a
    collect without the store, a test) is read from the inbox (which is only read) and must be unchanged."""
    accepted = {o.sha256: o for o in result.files if o.status == ACCEPTED}
    kept = store.kept_files()
    for o in accepted.values():
        if o.sha256 in kept:
            continue
        if o.data is not None:
            store.keep_file(o.sha256, o.data)
            continue
        data, _ = inbox.read_stable(o.source.path, config.limits, name=o.file_name)
        if data is None or hashlib.sha256(data).hexdigest() != o.sha256:
            raise UsageError(
                f"{o.file_name} が点検の後に変更されました。コピーや保存が終わってから、もう一度 make collect YEAR={result.year} を"
                "実行してください。"
            )
        store.keep_file(o.sha256, data)
