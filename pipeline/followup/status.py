"""The year's status (the `status` command): one screen from the store, as the last collect left it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.config import Config
from pipeline.errors import UsageError
from pipeline.findings import Code
from pipeline.fiscal import fiscal_year_label, format_date_ja
from pipeline.plan import Plan
from pipeline.records.opinions import answer_in, opinions_asked
from pipeline.records.year import Transcription
from pipeline.store import Store
from pipeline.textwidth import display_width
from pipeline.vocabulary import ACCEPTED, MISSING, REJECTED, RETURNED, WITH_ERRORS, Arrival, ResponseStatus

# --- the year's status, from the store ---------------------------------------------------------------

@dataclass(frozen=True)
class DepartmentStatus:
    code: str
    name: str
    status: str               # RETURNED / WITH_ERRORS / MISSING
    file_name: str
    errors: int
    warnings: int
    arrival: Arrival | None = None   # what came, when it could not be used (another year's form, a zip…)

    @property
    def label(self) -> str:
        return self.arrival.short if self.arrival else self.status.short


@dataclass(frozen=True)
class OpinionCount:
    """One department's share of the committee's opinions asked in the year."""

    code: str
    name: str
    asked: int                # open at the start of the year, so asked in its workbook
    answered: int             # answered in the year's workbook (not 回答なし)
    still_open: int           # asked again next year (not settled by the year's answer)


@dataclass(frozen=True)
class OpinionStatus:
    """Where the committee's opinions stand after the year's answers."""

    year: int
    departments: tuple[OpinionCount, ...]    # the departments asked, by code
    last_year: bool = False                  # the plan's last year: nothing is asked after it

    @property
    def asked(self) -> int:
        return sum(d.asked for d in self.departments)

    @property
    def answered(self) -> int:
        return sum(d.answered for d in self.departments)

    @property
    def still_open(self) -> int:
        return sum(d.still_open for d in self.departments)

    @property
    def settled(self) -> int:
        return self.asked - self.still_open

    def lines(self) -> list[str]:
        out = ["", f"委員会意見への対応（{self.year}年度の調査票で尋ねた意見）"]
        if not self.departments:
            return [*out, "この年度に対応状況を尋ねた意見はありません（前年度までにすべて対応済み又は対応しない）。"]
        done = f"{ResponseStatus.DONE.label}・{ResponseStatus.DECLINED.label}"
        out.append(f"尋ねた意見 {self.asked} 件: 回答 {self.answered} 件、{ResponseStatus.UNANSWERED.label} "
                   f"{self.asked - self.answered} 件。{done}で完了 {self.settled} 件、"
                   + (f"計画期間の最終年度のため、未完了のまま残る意見 {self.still_open} 件。" if self.last_year
                      else f"{self.year + 1}年度も尋ねる意見 {self.still_open} 件。"))
        table = [("コード", "部署", "尋ねた", "回答", "継続", "")] + [    # "": every count right-aligned
            (d.code, d.name, str(d.asked), str(d.answered), str(d.still_open), "") for d in self.departments]
        widths = [max(display_width(row[col]) for row in table) for col in range(len(table[0]) - 1)]
        out += [_row(row, widths, numbers=(2, 3, 4)) for row in table]
        return out


@dataclass(frozen=True)
class YearStatus:
    year: int
    deadline: dt.date
    today: dt.date
    departments: tuple[DepartmentStatus, ...]
    to_confirm: tuple[str, ...] = ()     # departments whose choice among several returns needs a look
    opinions: OpinionStatus | None = None  # None when the committee has never given an opinion
    transcription: Transcription | None = None   # the year was taken in from a 転記票 (history import)

    def count(self, status: str) -> int:
        return sum(d.status == status for d in self.departments)

    @property
    def all_accepted(self) -> bool:
        return all(d.status == RETURNED for d in self.departments)

    @property
    def days_left(self) -> int:
        """Days until the deadline (negative when it has passed)."""
        return (self.deadline - self.today).days

    def lines(self) -> list[str]:
        """One screen: a row per department, the totals, the deadline and the days left; for a year transcribed
        from a report done by hand, that it was and from what (no department was asked by this tool)."""
        if self.transcription is not None:
            return self.transcribed_lines()
        out = [f"{fiscal_year_label(self.year)} 進捗状況調査の提出状況（最後の collect の結果）", ""]
        table = [("コード", "部署", "状況", "エラー", "警告", "ファイル")] + [
            (d.code, d.name, d.label, str(d.errors), str(d.warnings), d.file_name or "—") for d in self.departments]
        widths = [max(display_width(row[col]) for row in table) for col in range(len(table[0]) - 1)]
        for row in table:
            out.append(_row(row, widths, numbers=(3, 4)))
        out += [
            "",
            f"受理 {self.count(RETURNED)}、差し戻し {self.count(WITH_ERRORS)}、未提出 {self.count(MISSING)}"
            f"（全 {len(self.departments)} 部署）。提出された回答のエラー {sum(d.errors for d in self.departments)} 件、"
            f"警告 {sum(d.warnings for d in self.departments)} 件。",
            f"提出期限: {format_date_ja(self.deadline)}　" + (
                f"あと {self.days_left} 日" if self.days_left > 0 else
                "本日が期限です" if self.days_left == 0 else f"期限を {-self.days_left} 日過ぎています"),
        ]
        arrived = [d for d in self.departments if d.arrival]
        if arrived:
            out.append(f"届いたが取り込めないもの（未提出ではありません）{len(arrived)} 部署:")
            out += [f"  {d.name}: {d.arrival.label}（{d.file_name}）。{d.arrival.ask}" for d in arrived]
        if self.to_confirm:
            out.append(f"採用の判断に要確認: {'、'.join(self.to_confirm)}（回収状況の「採用の判断」シートを確認し、"
                       f"必要なら採用の指定ファイルに1行書いて make collect YEAR={self.year} で回収し直してください）")
        if self.opinions is not None:
            out += self.opinions.lines()
        return out


    def transcribed_lines(self) -> list[str]:
        t = self.transcription
        out = [f"{fiscal_year_label(self.year)} は、転記票から取り込んだ年度です（このツールで調査票は送っていません）。", "",
               f"転記元: {t.source}", f"転記票: {t.file_name}",
               "各部署の提出状況はありません。報告書では、転記した内容をこの年度の実績として扱います。",
               f"各部署の回答で置き換えるときは make collect YEAR={self.year} FORCE=1 を実行してください。"]
        if self.opinions is not None:
            out += self.opinions.lines()
        return out


def _row(cells: tuple[str, ...], widths: list[int], numbers: tuple[int, ...] = ()) -> str:
    """Columns padded to `widths` in display width (全角 counts 2), numbers right-aligned; the last one free."""
    parts = []
    for col, (text, width) in enumerate(zip(cells, widths, strict=False)):
        pad = " " * (width - display_width(text))
        parts.append(pad + text if col in numbers else text + pad)
    return "  ".join([*parts, cells[-1]]).rstrip()


def load_status(plan: Plan, config: Config, year: int, today: dt.date) -> YearStatus:
    """The status command: the year as the last collect stored it, read-only. Raises UsageError when the
    year was never collected."""
    if not config.store_path.exists():
        raise never_collected(year)
    with Store(config.store_path, readonly=True) as store:
        return year_status(plan, config, store, year, today)


def year_status(plan: Plan, config: Config, store: Store, year: int, today: dt.date) -> YearStatus:
    """The year as the last collect stored it. Raises UsageError when it was never collected."""
    plan = plan.for_year(year)
    if not store.has_year(year):
        raise never_collected(year)
    submissions = store.submissions(year)
    chosen = {s.department_code: s for s in submissions if s.department_code and s.status in (ACCEPTED, REJECTED)}
    by_file = {s.file_name: s for s in submissions}
    rows = []
    arrivals = store.arrivals(year)
    for code, status in sorted(store.roster(year).items()):
        s = chosen.get(code) if status != MISSING else None
        name = plan.department_name_or(code)
        arrival, file_name = arrivals.get(code, (None, s.file_name if s else ""))
        if arrival is not None:
            s = by_file.get(file_name)      # the file that came (no submission when it was a zip or a mail)
        rows.append(DepartmentStatus(code, name, status, file_name, s.errors if s else 0, s.warnings if s else 0,
                                     arrival))
    doubtful = {f[3] for f in store.findings(year) if f[1] == Code.SUBM_004}
    return YearStatus(year, config.deadline(year), today, tuple(rows), tuple(sorted(doubtful)),
                      opinion_status(plan, store, year), store.transcription(year))


def opinion_status(plan: Plan, store: Store, year: int) -> OpinionStatus | None:
    """The committee's opinions asked in `year` and how they were answered; None when none was ever given."""
    opinions = store.opinions()
    if not opinions:
        return None
    counts: dict[str, list[int]] = {}
    for state in opinions_asked(plan, opinions, store.responses(), year):
        answer = answer_in(state, year)
        count = counts.setdefault(state.opinion.department_code, [0, 0, 0])
        count[0] += 1
        count[1] += answer is not None and answer.status != ResponseStatus.UNANSWERED
        count[2] += not (answer is not None and answer.status.settles)
    return OpinionStatus(year, tuple(
        OpinionCount(code, plan.department_name_or(code), *count)
        for code, count in sorted(counts.items())), last_year=year >= plan.period_end)


def never_collected(year: int) -> UsageError:
    return UsageError(f"{year}年度はまだ回収（collect）していません。先に make collect YEAR={year} を実行してください。")
