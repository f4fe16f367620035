"""Return packets (差し戻し): for each department whose chosen return has findings, a copy of that very
workbook with every problem cell filled pink and commented with its message, and a first sheet
(差し戻し指摘) listing the findings — ready to mail back. The department fixes the copy and returns
it; collect reads it like any return (the list sheet is expected, so it gives no SHEET_002).

A returned file is untrusted: a packet is made in a worker process (as collect reads it), from the
bytes read from the inbox, after the same gate, and only when they are still the bytes collect
checked. Nothing is ever written into the inbox. Every text that came from a return or a message is
written as a plain string, never a formula."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import isolation
from pipeline.collect.returns import CollectResult, FileOutcome
from pipeline.config import Config, Limits
from pipeline.errors import our_failure
from pipeline.files import Staging, made_on
from pipeline.findings import Code, Finding
from pipeline.fiscal import fiscal_year_label, fiscal_year_short, format_date_ja
from pipeline.intake import inbox
from pipeline.intake.untrusted import is_ours, open_untrusted
from pipeline.plan import Department, Plan

PACKET_FOLDER = "差し戻し"

# Findings about how the secretariat chose among a department's returns: for the secretariat, not the department.
SECRETARIAT_ONLY = frozenset({Code.SUBM_004, Code.SUBM_005})
def packet_file_name(year: int, department: Department) -> str:
    """'R06_2024年度_05_情報政策課_差し戻し.xlsx'."""
    return f"{fiscal_year_short(year)}_{year}年度_{department.code}_{department.name}_{PACKET_FOLDER}.xlsx"


def packet_header(config: Config, year: int, department: Department, file_name: str) -> list[str]:
    """The instructions at the top of the 差し戻し指摘 sheet."""
    return [
        f"差し戻し指摘　{fiscal_year_label(year)} 進捗状況調査票（{department.name}）",
        f"ご提出いただいた調査票（{file_name}）に、修正または確認が必要な箇所があります。",
        "1. ピンク色のセルが指摘のあるセルです。内容はセルのコメント（マウスを重ねると表示）と下の一覧にあります。",
        "2. このファイルの各シートで、指摘のあるセルを直してください（黄色の入力欄と同じように入力できます）。"
        "このファイルをそのまま使い、このシートも消さずに残して構いません。",
        f"3. 直したこのファイルを、提出期限 {format_date_ja(config.deadline(year))} までに返送してください"
        f"（期限を過ぎている場合はできるだけ早く）。{config.return_instructions}",
        "「エラー」は直さないと受理できません。「警告」は内容を確認し、問題がなければそのままで構いません。",
        f"問い合わせ先: {config.secretariat.contact_line}",
    ]


# --- return packets: which, where, in workers ---------------------------------------------------------

@dataclass(frozen=True)
class PacketJob:
    """One packet to make: picklable, sent to a worker."""

    department: str
    source: inbox.InboxFile   # the return in the inbox (read, never written)
    sha256: str                # the bytes collect checked
    findings: tuple[Finding, ...]
    header: tuple[str, ...]
    packet_name: str
    author: str
    limits: Limits
    password: str | None
    when: dt.datetime | None = None    # the packet's stamp (the day it is made), so a rerun gives the same bytes


@dataclass(frozen=True)
class PacketOutcome:
    department: str
    packet_name: str
    data: bytes | None
    problem: str = ""      # why there is no packet


def packet_jobs(plan: Plan, config: Config, result: CollectResult, today: dt.date) -> list[PacketJob]:
    """A job for each department whose chosen return (the one the roster points to) has findings
    for the department to see (how the secretariat chose among its returns is not one of them)."""
    by_name = {o.file_name: o for o in result.files}
    jobs = []
    for code, (_status, file_name) in sorted(result.roster.items()):
        outcome: FileOutcome | None = by_name.get(file_name) if file_name else None
        if outcome is None or code not in plan.department_by_code or code in result.arrivals:
            continue    # (what came was not this year's form: marking it up would not help; the letter asks for it)
        findings = tuple(f for f in outcome.findings if f.code not in SECRETARIAT_ONLY)
        if not findings:
            continue
        dept = plan.department_by_code[code]
        jobs.append(PacketJob(
            department=code, source=outcome.source, sha256=outcome.sha256, findings=findings,
            header=tuple(packet_header(config, result.year, dept, outcome.file_name)),
            packet_name=packet_file_name(result.year, dept), author=config.secretariat.name,
            limits=config.limits, password=config.workbook_password, when=made_on(today),
        ))
    return jobs


def make_packet(job: PacketJob) -> PacketOutcome:
    """Read the return again, check it is what collect checked, and build its packet (in a worker)."""
    def refused(problem: str) -> PacketOutcome:
        return PacketOutcome(job.department, job.packet_name, None, problem)

    opened = open_untrusted(job.source.path, job.source.relative, job.limits, job.password)
    if opened.data is None:
        return refused(opened.findings[0].message if opened.findings else "ファイルを読めません。")
    if opened.sha256 != job.sha256:
        return refused("点検の後にファイルが変わりました。もう一度 make collect を実行してください。")
    if opened.workbook is None:
        return refused(opened.findings[0].message if opened.findings else "ファイルを開けません。")
    from pipeline.followup.packet_book import build_packet  # openpyxl: loaded only when packets are made

    try:
        packet = build_packet(opened.workbook, list(job.findings), list(job.header), author=job.author,
                              when=job.when)
    except Exception as exc:  # openpyxl may refuse what calamine read: no packet, the run goes on
        return refused(f"openpyxl で開けないため作れません（{type(exc).__name__}: {str(exc)[:100]}）。")
    return PacketOutcome(job.department, job.packet_name, packet)


@dataclass
class PacketsResult:
    folder: Path
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)            # packets of an earlier run no longer needed
    refused: dict[str, str] = field(default_factory=dict)        # department → why it has no packet
    names: dict[str, str] = field(default_factory=dict)          # department → packet file name (written)


def stage_packets(
    plan: Plan, config: Config, result: CollectResult, staging: Staging,
    progress: Callable[[int, int, str], None] | None = None,
    inline: bool = False,
    today: dt.date | None = None,
) -> PacketsResult:
    """Make this run's packets for output/<year>/差し戻し/ and stage them; the packets of an earlier run
    that this run does not make go when `staging` is published (listed in `removed`)."""
    folder = config.output_for(result.year) / PACKET_FOLDER
    out = PacketsResult(folder)
    jobs = packet_jobs(plan, config, result, today or dt.date.today())
    if jobs:
        import pipeline.followup.packet_book  # noqa: F401  (openpyxl once here, not in every worker)
    if inline:
        results = isolation.run_inline(make_packet, jobs)
    else:
        results = isolation.run_isolated(make_packet, jobs, workers=config.workers,
                                         memory_bytes=config.limits.worker_memory_bytes,
                                         timeout=config.limits.worker_timeout_seconds)
    try:
        for n, (job, outcome) in enumerate(results, 1):
            if isinstance(outcome, isolation.WorkerFailure):
                if is_ours(outcome):
                    # our code raised, not the return: stop, as collect does
                    raise our_failure(outcome.error, outcome.detail, doing=f"差し戻しファイル {job.packet_name} の作成中")
                out.refused[job.department] = f"作成中に処理が異常終了しました（{outcome.detail}）。"
            elif outcome.data is None:
                out.refused[job.department] = outcome.problem
            else:
                out.written.append(staging.stage(folder / outcome.packet_name, outcome.data))
                out.names[job.department] = outcome.packet_name
            if progress:
                progress(n, len(jobs), job.packet_name)
    finally:
        results.close()
    out.written.sort()
    # Only names this tool gives, so a file someone put here is never touched.
    ours = {packet_file_name(result.year, d) for d in plan.departments}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.name in ours and path not in out.written and path.is_file():
                staging.remove_on_publish(path)
                out.removed.append(path)
    return out


def write_packets(
    plan: Plan, config: Config, result: CollectResult,
    progress: Callable[[int, int, str], None] | None = None,
    inline: bool = False,
    today: dt.date | None = None,
) -> PacketsResult:
    """Write output/<year>/差し戻し/ for this run, and remove the packets this run did not write."""
    with Staging() as staging:
        out = stage_packets(plan, config, result, staging, progress=progress, inline=inline, today=today)
        staging.publish()
    return out


