"""The year's status (the `status` command): one screen from the store, as the last collect left it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.config import Config
from pipeline.errors import UsageError
from pipeline.findings import Code
from pipeline.fiscal import fiscal_year_label, format_date_ja
from pipeline.plan import Plan
from pipeline.store import Store
from pipeline.textwidth import display_width
from pipeline.vocabulary import ACCEPTED, MISSING, REJECTED, RETURNED, WITH_ERRORS

# --- the year's status, from the store ---------------------------------------------------------------

@dataclass(frozen=True)
class DepartmentStatus:
    code: str
    name: str
    status: str               # RETURNED / WITH_ERRORS / MISSING
    file_name: str
    errors: int
    warnings: int

    @property
    def label(self) -> str:
        return self.status.short


@dataclass(frozen=True)
class YearStatus:
    year: int
    deadline: dt.date
    today: dt.date
    departments: tuple[DepartmentStatus, ...]
    to_confirm: tuple[str, ...] = ()     # departments whose choice among several returns needs a look

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
        """One screen: a row per department, the totals, the deadline and the days left."""
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
        if self.to_confirm:
            out.append(f"採用の判断に要確認: {'、'.join(self.to_confirm)}（回収状況の「採用の判断」シートを確認し、"
                       "必要なら採用の指定ファイルに1行書いて collect し直してください）")
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
    if not store.has_year(year):
        raise never_collected(year)
    chosen = {s.department_code: s for s in store.submissions(year)
              if s.department_code and s.status in (ACCEPTED, REJECTED)}
    rows = []
    for code, status in sorted(store.roster(year).items()):
        s = chosen.get(code) if status != MISSING else None
        name = plan.department_name(code) if code in plan.department_by_code else ""
        rows.append(DepartmentStatus(code, name, status, s.file_name if s else "", s.errors if s else 0,
                                     s.warnings if s else 0))
    doubtful = {f[3] for f in store.findings(year) if f[1] == Code.SUBM_004}
    return YearStatus(year, config.deadline(year), today, tuple(rows), tuple(sorted(doubtful)))


def never_collected(year: int) -> UsageError:
    return UsageError(f"{year}年度はまだ回収（collect）していません。先に python -m pipeline collect --year {year} を実行してください。")
